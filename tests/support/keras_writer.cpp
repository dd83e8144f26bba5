#include "support/keras_writer.h"

#include <hdf5.h>

#include <stdexcept>

namespace dpurun::test {
namespace {

void check(herr_t r, const char* what) {
  if (r < 0) throw std::runtime_error(std::string("HDF5 write failed: ") + what);
}

void string_attr(hid_t obj, const char* name, const std::vector<std::string>& values, bool fixed,
                 bool scalar) {
  hid_t type = H5Tcopy(H5T_C_S1);
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  hsize_t n = values.size();
  hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  if (fixed) {
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    std::string buf(width * values.size(), '\0');
    for (std::size_t i = 0; i < values.size(); ++i)
      buf.replace(i * width, values[i].size(), values[i]);
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    check(H5Awrite(a, type, buf.data()), name);
    H5Aclose(a);
  } else {
    H5Tset_size(type, H5T_VARIABLE);
    std::vector<const char*> ptrs;
    for (const auto& v : values) ptrs.push_back(v.c_str());
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    check(H5Awrite(a, type, ptrs.data()), name);
    H5Aclose(a);
  }
  H5Sclose(space);
  H5Tclose(type);
}

void empty_numeric_attr(hid_t obj, const char* name) {
  hsize_t n = 0;
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Aclose(a);
  H5Sclose(space);
}

void write_layers(hid_t group, const std::vector<KerasLayerWeights>& layers, bool fixed) {
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l.layer);
  string_attr(group, "layer_names", names, fixed, false);
  for (const auto& l : layers) {
    hid_t lg = H5Gcreate2(group, l.layer.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (l.weights.empty()) {
      empty_numeric_attr(lg, "weight_names");
    } else {
      std::vector<std::string> wnames;
      hid_t inner = H5Gcreate2(lg, l.layer.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      for (const auto& w : l.weights) {
        wnames.push_back(l.layer + "/" + w.name + ":0");
        std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
        hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        hid_t d = H5Dcreate2(inner, (w.name + ":0").c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT);
        check(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.data.data()),
              "weights");
        H5Dclose(d);
        H5Sclose(space);
      }
      H5Gclose(inner);
      string_attr(lg, "weight_names", wnames, fixed, false);
    }
    H5Gclose(lg);
  }
}

}  // namespace

void write_keras_h5(const std::string& path, const std::vector<KerasLayerWeights>& layers,
                    const KerasFileOptions& o) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) throw std::runtime_error("cannot create " + path);
  string_attr(f, "keras_version", {o.keras_version}, o.fixed_length_strings, true);
  string_attr(f, "backend", {"tensorflow"}, o.fixed_length_strings, true);
  if (!o.model_config.empty()) {
    string_attr(f, "model_config", {o.model_config}, o.fixed_length_strings, true);
    hid_t g = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    write_layers(g, layers, o.fixed_length_strings);
    H5Gclose(g);
  } else {
    write_layers(f, layers, o.fixed_length_strings);
  }
  H5Fclose(f);
}

}  // namespace dpurun::test
