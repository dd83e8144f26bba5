// Builds small XIR graphs (.xmodel) in tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "xir_graph.pb.h"

namespace dpurun::test {

class XirGraphBuilder {
 public:
  // An op with an output tensor of `dims` (float32); args as {name, {producers}}.
  loaders::xir::OPNode& op(const std::string& name, const std::string& type, std::vector<std::int64_t> dims,
                  std::initializer_list<std::pair<std::string, std::vector<std::string>>> args = {});
  loaders::xir::OPNode& constant(const std::string& name, std::vector<std::int64_t> dims,
                        const std::vector<float>& values);
  loaders::xir::OPNode& fix(const std::string& name, const std::string& input, std::vector<std::int64_t> dims,
                   int fix_point);

  static void set_ints(loaders::xir::OPNode& n, const std::string& key, std::vector<std::int32_t> v);
  static void set_string(loaders::xir::OPNode& n, const std::string& key, const std::string& v);
  static void set_bool(loaders::xir::OPNode& n, const std::string& key, bool v);
  static void set_int(loaders::xir::OPNode& n, const std::string& key, std::int32_t v);

  std::string bytes() const { return g_.SerializeAsString(); }
  loaders::xir::Graph& graph() { return g_; }

 private:
  loaders::xir::Graph g_;
};

}  // namespace dpurun::test
