// A small read-only view of an HDF5 file over the HDF5 C library: groups, string attributes
// (fixed- or variable-length, scalar or arrays) and float datasets. Every failure throws
// Error(kInvalidModel) naming the file and the object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dpurun::loaders::keras {

class Hdf5File;

class Hdf5Group {
 public:
  const std::string& path() const { return path_; }
  bool has_attribute(const std::string& name) const;
  // The strings of a string attribute; an empty numeric array (how h5py writes an empty list)
  // gives none. Throws if the attribute is missing or is neither.
  std::vector<std::string> strings(const std::string& attribute) const;
  std::string string(const std::string& attribute) const;  // a single string
  bool has_group(const std::string& name) const;
  bool has_dataset(const std::string& name) const;
  Hdf5Group group(const std::string& name) const;
  std::vector<std::string> children() const;
  // A dataset of any float or integer type as float32, with its shape.
  std::vector<float> floats(const std::string& dataset, std::vector<std::int64_t>& shape) const;

 private:
  friend class Hdf5File;
  Hdf5Group(std::shared_ptr<const Hdf5File> file, std::int64_t id, std::string path);
  std::string where(const std::string& name) const;
  std::shared_ptr<const Hdf5File> file_;
  std::shared_ptr<std::int64_t> id_;  // closes the group with the last copy
  std::string path_;
};

class Hdf5File : public std::enable_shared_from_this<Hdf5File> {
 public:
  // Throws Error(kNotFound) for a missing file, Error(kInvalidModel) for one that is not HDF5.
  static std::shared_ptr<const Hdf5File> open(const std::string& path);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  const std::string& path() const { return path_; }
  Hdf5Group root() const;

 private:
  Hdf5File(std::string path, std::int64_t id) : path_(std::move(path)), id_(id) {}
  std::string path_;
  std::int64_t id_;
};

// Whether the file starts with HDF5's signature (at offset 0; user blocks are not looked for).
bool looks_like_hdf5(const std::string& path);

}  // namespace dpurun::loaders::keras
