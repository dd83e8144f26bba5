// nlohmann::json's get<integer>() converts a floating-point number (say 1e35) to the integer
// type unchecked, which is undefined behaviour. get_checked() refuses what does not fit with a
// json::out_of_range, which readers already catch and report with the file's name.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <vector>

namespace dpurun::json_number {

template <typename T>
T get_checked(const nlohmann::json& j) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using L = std::numeric_limits<T>;
    bool fits = false;
    if (j.is_number_unsigned()) {
      fits = j.get<std::uint64_t>() <= static_cast<std::uint64_t>(L::max());
    } else if (j.is_number_integer()) {
      const auto v = j.get<std::int64_t>();
      fits = (L::is_signed || v >= 0) && (!L::is_signed || v >= static_cast<std::int64_t>(L::min())) &&
             (v < 0 || static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(L::max()));
    } else if (j.is_number_float()) {
      const double d = j.get<double>();
      // L::max() + 1 is a power of two, exact as a double.
      fits = d == std::trunc(d) && d >= static_cast<double>(L::min()) && d < std::ldexp(1.0, L::digits);
    } else {
      return j.get<T>();  // throws type_error
    }
    if (!fits) throw nlohmann::json::out_of_range::create(406, "number " + j.dump() + " is out of range", &j);
    return j.is_number_float() ? static_cast<T>(j.get<double>()) : j.get<T>();
  } else if constexpr (requires { typename T::value_type; } && !std::is_same_v<T, std::string>) {
    if (!j.is_array()) return j.get<T>();  // throws type_error
    T out;
    for (const auto& e : j) out.push_back(get_checked<typename T::value_type>(e));
    return out;
  } else {
    return j.get<T>();
  }
}

}  // namespace dpurun::json_number
