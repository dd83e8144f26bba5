#include "loaders/keras/hdf5_file.h"

#include <hdf5.h>

#include <fstream>
#include <mutex>

#include "dpurun/error.h"

namespace dpurun::loaders::keras {
namespace {

// The HDF5 library is not built thread-safe everywhere (Debian's serial flavour): one call at a
// time.
std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex m;
  return m;
}

void silence_h5_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// Closes an HDF5 handle on scope exit.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ErrorCode::kInvalidModel, where + ": " + what);
}

constexpr hssize_t kMaxStrings = 1 << 20;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 29;  // 2 GiB of float32

}  // namespace

bool looks_like_hdf5(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {};
  return in.read(sig, 8) && std::string(sig, 8) == "\x89HDF\r\n\x1a\n";
}

std::shared_ptr<const Hdf5File> Hdf5File::open(const std::string& path) {
  std::lock_guard lock(h5_mutex());
  silence_h5_errors();
  if (!std::ifstream(path)) throw Error(ErrorCode::kNotFound, path + ": no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    bad(path, "not an HDF5 file (a Keras .h5 model or weights file starts with HDF5's signature)");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) bad(path, "the HDF5 file cannot be opened (truncated or damaged?)");
  return std::shared_ptr<const Hdf5File>(new Hdf5File(path, id));
}

Hdf5File::~Hdf5File() {
  std::lock_guard lock(h5_mutex());
  H5Fclose(id_);
}

Hdf5Group Hdf5File::root() const {
  std::lock_guard lock(h5_mutex());
  hid_t g = H5Gopen2(id_, "/", H5P_DEFAULT);
  if (g < 0) bad(path_, "the HDF5 file has no readable root group (truncated or damaged?)");
  return Hdf5Group(shared_from_this(), g, "/");
}

Hdf5Group::Hdf5Group(std::shared_ptr<const Hdf5File> file, std::int64_t id, std::string path)
    : file_(std::move(file)),
      id_(new std::int64_t(id),
          [](std::int64_t* p) {
            std::lock_guard lock(h5_mutex());
            H5Gclose(*p);
            delete p;
          }),
      path_(std::move(path)) {}

std::string Hdf5Group::where(const std::string& name) const {
  return file_->path() + ": " + (path_ == "/" ? "/" : path_ + "/") + name;
}

bool Hdf5Group::has_attribute(const std::string& name) const {
  std::lock_guard lock(h5_mutex());
  return H5Aexists(*id_, name.c_str()) > 0;
}

std::vector<std::string> Hdf5Group::strings(const std::string& attribute) const {
  std::lock_guard lock(h5_mutex());
  const std::string at = where("@" + attribute);
  if (H5Aexists(*id_, attribute.c_str()) <= 0) bad(at, "attribute missing");
  Handle a{H5Aopen(*id_, attribute.c_str(), H5P_DEFAULT), H5Aclose};
  if (a.id < 0) bad(at, "attribute cannot be read");
  Handle type{H5Aget_type(a.id), H5Tclose};
  Handle space{H5Aget_space(a.id), H5Sclose};
  if (type.id < 0 || space.id < 0) bad(at, "attribute cannot be read");
  hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (n < 0 || n > kMaxStrings) bad(at, "attribute has an unreadable or too large extent");
  H5T_class_t cls = H5Tget_class(type.id);
  if (cls == H5T_FLOAT || cls == H5T_INTEGER) {
    if (n == 0) return {};  // h5py's way of writing an empty list
    bad(at, "expected strings, found numbers");
  }
  if (cls != H5T_STRING) bad(at, "expected a string attribute");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.id) > 0) {
    Handle mem{H5Tcopy(H5T_C_S1), H5Tclose};
    H5Tset_size(mem.id, H5T_VARIABLE);
    H5Tset_cset(mem.id, H5Tget_cset(type.id));  // ASCII or UTF-8 (tf.keras): no conversion
    std::vector<char*> ptrs(static_cast<std::size_t>(n), nullptr);
    if (H5Aread(a.id, mem.id, ptrs.data()) < 0) bad(at, "attribute cannot be read");
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, ptrs.data());
  } else {
    std::size_t size = H5Tget_size(type.id);
    if (size == 0 ||
        size > (std::size_t{1} << 26) / static_cast<std::size_t>(std::max<hssize_t>(n, 1)))
      bad(at, "string attribute of unreadable size");
    Handle mem{H5Tcopy(type.id), H5Tclose};
    std::string buf(size * static_cast<std::size_t>(n), '\0');
    if (H5Aread(a.id, mem.id, buf.data()) < 0) bad(at, "attribute cannot be read");
    for (hssize_t i = 0; i < n; ++i) {
      std::string s = buf.substr(static_cast<std::size_t>(i) * size, size);
      out.push_back(s.substr(0, s.find('\0')));
    }
  }
  return out;
}

std::string Hdf5Group::string(const std::string& attribute) const {
  auto v = strings(attribute);
  if (v.size() != 1) bad(where("@" + attribute), "expected one string");
  return v[0];
}

bool Hdf5Group::has_group(const std::string& name) const {
  std::lock_guard lock(h5_mutex());
  if (name.empty() || H5Lexists(*id_, name.c_str(), H5P_DEFAULT) <= 0) return false;
  H5O_info_t info;
  return H5Oget_info_by_name(*id_, name.c_str(), &info, H5P_DEFAULT) >= 0 &&
         info.type == H5O_TYPE_GROUP;
}

bool Hdf5Group::has_dataset(const std::string& name) const {
  std::lock_guard lock(h5_mutex());
  if (name.empty()) return false;
  // Each component of a path must exist for H5Lexists.
  std::size_t pos = 0;
  while ((pos = name.find('/', pos + 1)) != std::string::npos)
    if (H5Lexists(*id_, name.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  if (H5Lexists(*id_, name.c_str(), H5P_DEFAULT) <= 0) return false;
  H5O_info_t info;
  return H5Oget_info_by_name(*id_, name.c_str(), &info, H5P_DEFAULT) >= 0 &&
         info.type == H5O_TYPE_DATASET;
}

Hdf5Group Hdf5Group::group(const std::string& name) const {
  std::lock_guard lock(h5_mutex());
  if (!has_group(name)) bad(where(name), "group missing");
  hid_t g = H5Gopen2(*id_, name.c_str(), H5P_DEFAULT);
  if (g < 0) bad(where(name), "group cannot be opened");
  return Hdf5Group(file_, g, (path_ == "/" ? "/" : path_ + "/") + name);
}

std::vector<std::string> Hdf5Group::children() const {
  std::lock_guard lock(h5_mutex());
  std::vector<std::string> out;
  H5G_info_t info;
  if (H5Gget_info(*id_, &info) < 0) bad(where(""), "group cannot be listed");
  for (hsize_t i = 0; i < info.nlinks && i < static_cast<hsize_t>(kMaxStrings); ++i) {
    ssize_t len =
        H5Lget_name_by_idx(*id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0 || len > 4096) bad(where(""), "group cannot be listed");
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(*id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(len));
    out.push_back(name);
  }
  return out;
}

std::vector<float> Hdf5Group::floats(const std::string& dataset,
                                     std::vector<std::int64_t>& shape) const {
  std::lock_guard lock(h5_mutex());
  const std::string at = where(dataset);
  if (!has_dataset(dataset)) bad(at, "dataset missing");
  Handle d{H5Dopen2(*id_, dataset.c_str(), H5P_DEFAULT), H5Dclose};
  if (d.id < 0) bad(at, "dataset cannot be opened");
  Handle type{H5Dget_type(d.id), H5Tclose};
  Handle space{H5Dget_space(d.id), H5Sclose};
  if (type.id < 0 || space.id < 0) bad(at, "dataset cannot be read");
  H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) bad(at, "dataset is not numeric");
  int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 0 || rank > 8) bad(at, "dataset has an unreadable rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  shape.clear();
  std::int64_t count = 1;
  for (hsize_t v : dims) {
    if (v > static_cast<hsize_t>(kMaxElements)) bad(at, "dataset is too large");
    shape.push_back(static_cast<std::int64_t>(v));
    count *= static_cast<std::int64_t>(v);
    if (count > kMaxElements) bad(at, "dataset is too large");
  }
  std::vector<float> out(static_cast<std::size_t>(count));
  if (count > 0 && H5Dread(d.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    bad(at, "dataset cannot be read (the file is truncated or damaged)");
  return out;
}

}  // namespace dpurun::loaders::keras
