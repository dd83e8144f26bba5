// Builds small TensorFlow GraphDefs in tests, for every op the loader supports.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "graph_def.pb.h"

namespace dpurun::test {

class TfGraphBuilder {
 public:
  std::string placeholder(const std::string& name, std::vector<std::int64_t> shape);
  std::string constant(const std::string& name, std::vector<std::int64_t> shape,
                       const std::vector<float>& values);
  std::string int_constant(const std::string& name, std::vector<std::int64_t> shape,
                           const std::vector<std::int32_t>& values);
  // A node with attribute T = float; set more attributes on the returned NodeDef.
  loaders::tf::NodeDef& op(const std::string& name, const std::string& type,
                  std::initializer_list<std::string> inputs);
  std::string conv2d(const std::string& name, const std::string& x, const std::string& w,
                     int stride, const std::string& padding, int dilation = 1,
                     bool depthwise = false);
  std::string pool(const std::string& name, const std::string& type, const std::string& x, int k,
                   int stride, const std::string& padding);

  static void set_ints(loaders::tf::NodeDef& n, const std::string& key, std::vector<std::int64_t> values);
  static void set_string(loaders::tf::NodeDef& n, const std::string& key, const std::string& value);
  static void set_float(loaders::tf::NodeDef& n, const std::string& key, float value);
  static void set_bool(loaders::tf::NodeDef& n, const std::string& key, bool value);
  static void set_int(loaders::tf::NodeDef& n, const std::string& key, std::int64_t value);

  std::string bytes() const;
  const loaders::tf::GraphDef& def() const { return def_; }

 private:
  loaders::tf::GraphDef def_;
};

}  // namespace dpurun::test
