#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/file.h"
#include "dpurun/dump.h"
#include "dpurun/error.h"

namespace dpurun {
namespace fs = std::filesystem;

namespace {

struct Folder {
  std::map<std::string, fs::path> files;      // tensor file name → path
  std::vector<std::string> order;             // dump.json's, where there is one
  std::map<std::string, std::string> dtypes;  // dump.json's
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// VART's dump (XLNX_ENABLE_DUMP=1 on a board): dump/<subgraph>/{input,internal,output}/
// <engine>.<tensor>.bin, int8 as the DPU holds it; engine 0's, named as `dpurun dump` names a
// compiled op's output (<tensor>_fix.bin).
void read_vart_dump(const std::string& dir, Folder& f) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string name = it->path().filename().string();
    const std::string kind = it->path().parent_path().filename().string();
    if (name.rfind("0.", 0) != 0 || !ends_with(name, ".bin") ||
        (kind != "input" && kind != "internal" && kind != "output"))
      continue;
    f.files[name.substr(2, name.size() - 6) + "_fix.bin"] = it->path();
  }
  for (const auto& [file, _] : f.files) f.dtypes[file] = "int8";
}

Folder read_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(
        ErrorCode::kNotFound,
        dir + ": no such dump folder (give two folders of .bin files, e.g. from `dpurun dump`)");
  Folder f;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".bin")
      f.files[e.path().filename().string()] = e.path();
  if (ec) throw Error(ErrorCode::kIo, dir + ": cannot be listed: " + ec.message());
  if (f.files.empty()) read_vart_dump(dir, f);
  const fs::path index = fs::path(dir) / "dump.json";
  if (fs::exists(index, ec)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(index.string()));
      for (const auto& t : j.at("tensors")) {
        const std::string file = t.at("file").get<std::string>();
        f.order.push_back(file);
        f.dtypes[file] = t.at("dtype").get<std::string>();
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCode::kInvalidData, index.string() + ": not a dump index (" + e.what() +
                                               "); delete it to compare by file names");
    }
  }
  return f;
}

template <typename T>
void compare_values(const std::string& a, const std::string& b, TensorComparison& c) {
  c.elements = a.size() / sizeof(T);
  bool first = true;
  for (std::size_t i = 0; i < c.elements; ++i) {
    T x, y;
    std::memcpy(&x, a.data() + i * sizeof(T), sizeof(T));
    std::memcpy(&y, b.data() + i * sizeof(T), sizeof(T));
    if (std::memcmp(&x, &y, sizeof(T)) == 0) continue;
    ++c.differ;
    const double d = std::fabs(double(x) - double(y));
    if (!std::isnan(d))
      c.max_difference = std::max(c.max_difference, d);
    else
      c.max_difference = NAN;
    if (first) {
      c.first = i;
      c.a = double(x);
      c.b = double(y);
      first = false;
    }
  }
}

}  // namespace

int DumpComparison::first_difference() const {
  for (std::size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].differ || !tensors[i].problem.empty()) return static_cast<int>(i);
  return -1;
}

DumpComparison compare_dumps(const std::string& dir_a, const std::string& dir_b) {
  const Folder a = read_folder(dir_a), b = read_folder(dir_b);
  DumpComparison c;
  c.dir_a = dir_a;
  c.dir_b = dir_b;
  // Graph order from either folder's index; the files it does not list follow by name.
  std::vector<std::string> order = !a.order.empty() ? a.order : b.order;
  c.graph_order = !order.empty();
  for (const auto& [name, _] : a.files)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  for (const auto& [name, _] : b.files)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  for (const auto& file : order) {
    const bool in_a = a.files.count(file), in_b = b.files.count(file);
    if (!in_a || !in_b) {
      (in_a ? c.only_a : c.only_b).push_back(file);
      continue;
    }
    TensorComparison t;
    t.name = file;
    auto dtype = a.dtypes.count(file)   ? a.dtypes.at(file)
                 : b.dtypes.count(file) ? b.dtypes.at(file)
                                        : "";
    t.type = dtype == "int8" || (dtype.empty() && ends_with(file, "_fix.bin")) ? DataType::kInt8
                                                                               : DataType::kFloat32;
    const std::string x = read_file(a.files.at(file).string()),
                      y = read_file(b.files.at(file).string());
    const std::size_t size = t.type == DataType::kInt8 ? 1 : 4;
    if (x.size() != y.size() || x.size() % size != 0)
      t.problem = fmt::format("sizes differ or do not fit {}: {} and {} bytes", to_string(t.type),
                              x.size(), y.size());
    else if (t.type == DataType::kInt8)
      compare_values<std::int8_t>(x, y, t);
    else
      compare_values<float>(x, y, t);
    c.tensors.push_back(std::move(t));
  }
  if (c.tensors.empty())
    throw Error(
        ErrorCode::kInvalidData,
        dir_a + " and " + dir_b +
            " share no tensor file: nothing to compare (are both dumps of the same model?)");
  return c;
}

std::string to_table(const DumpComparison& c) {
  std::string out = fmt::format("compare  {}\n    with {}\n", c.dir_a, c.dir_b);
  out += fmt::format(
      "{} tensor(s) in both, in {}\n", c.tensors.size(),
      c.graph_order ? "graph order (dump.json)" : "name order (neither folder has a dump.json)");
  for (const auto& t : c.tensors) {
    if (!t.problem.empty())
      out += fmt::format("  DIFF  {}: {}\n", t.name, t.problem);
    else if (t.differ)
      out += fmt::format(
          "  DIFF  {}: {} of {} {} differ, largest by {}; first at element {}: {} vs {}\n", t.name,
          t.differ, t.elements, to_string(t.type), t.max_difference, t.first, t.a, t.b);
    else
      out += fmt::format("  same  {} ({} {})\n", t.name, t.elements, to_string(t.type));
  }
  if (!c.only_a.empty()) out += fmt::format("only in {}: {}\n", c.dir_a, fmt::join(c.only_a, ", "));
  if (!c.only_b.empty()) out += fmt::format("only in {}: {}\n", c.dir_b, fmt::join(c.only_b, ", "));
  const int first = c.first_difference();
  if (first < 0)
    out += fmt::format("equal: all {} tensor(s) in both are identical\n", c.tensors.size());
  else
    out += fmt::format("first difference: {}\n", c.tensors[static_cast<std::size_t>(first)].name);
  return out;
}

}  // namespace dpurun
