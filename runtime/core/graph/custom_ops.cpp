#include <map>
#include <mutex>

#include "dpurun/custom_op.h"

namespace dpurun {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::shared_ptr<const CustomOpFn>>& registry() {
  static std::map<std::string, std::shared_ptr<const CustomOpFn>> r;
  return r;
}

}  // namespace

void register_custom_op(const std::string& type, CustomOpFn fn) {
  std::lock_guard lock(registry_mutex());
  if (fn) registry()[type] = std::make_shared<const CustomOpFn>(std::move(fn));
  else registry().erase(type);
}

std::shared_ptr<const CustomOpFn> find_custom_op(const std::string& type) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(type);
  return it == registry().end() ? nullptr : it->second;
}

std::vector<std::string> registered_custom_ops() {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> types;
  for (const auto& [type, fn] : registry()) types.push_back(type);
  return types;
}

}  // namespace dpurun
