#include "dpurun/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "data/decode.h"
#include "data/preprocess.h"
#include "dpurun/error.h"
#include "dpurun/runner.h"

namespace dpurun {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kCifarRecord = 1 + 3 * 32 * 32;
const std::vector<std::string> kCifarClasses{"airplane", "automobile", "bird",  "cat",  "deer",
                                             "dog",      "frog",       "horse", "ship", "truck"};

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".ppm" ||
         ext == ".pgm" || ext == ".webp" || ext == ".tif" || ext == ".tiff";
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

}  // namespace

struct Dataset::Impl {
  std::string root;
  std::string kind;
  std::vector<std::string> classes;
  std::vector<std::string> names;
  std::vector<int> labels;
  // Binary batches: the pixels of every record, CHW per image (held in memory: 30 MB per 10k).
  std::vector<std::uint8_t> pixels;
  bool random = false;
  std::uint64_t seed = 0;

  void add(std::string name, int label) {
    names.push_back(std::move(name));
    labels.push_back(label);
  }

  int class_index(const std::string& name, std::map<std::string, int>& index) {
    auto it = index.find(name);
    if (it != index.end()) return it->second;
    int id = static_cast<int>(classes.size());
    classes.push_back(name);
    index[name] = id;
    return id;
  }

  static constexpr int kMaxClasses = 10000;

  void open_labels_csv(const fs::path& csv) {
    kind = "labels.csv";
    std::ifstream in(csv);
    if (!in) throw Error(ErrorCode::kIo, csv.string() + ": cannot be read");
    std::map<std::string, int> index;
    for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = static_cast<int>(i);
    std::string line;
    std::size_t line_no = 0;
    std::vector<std::string> missing;
    std::size_t missing_count = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty() || line == "\r") continue;
      auto cells = split_csv(line);
      if (line_no == 1 && cells[0] == "path") continue;  // header
      if (cells.size() < 2)
        throw Error(ErrorCode::kInvalidData,
                    csv.string() + ":" + std::to_string(line_no) +
                        ": expected path,label_index[,label_name], got \"" + line + "\"");
      int label;
      try {
        std::size_t used;
        label = std::stoi(cells[1], &used);
        if (used != cells[1].size() || label < 0) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw Error(ErrorCode::kInvalidData, csv.string() + ":" + std::to_string(line_no) +
                                                 ": label \"" + cells[1] +
                                                 "\" is not a non-negative integer");
      }
      // Bounded before anything is sized by it (class names, the confusion matrix).
      if (label >= kMaxClasses)
        throw Error(ErrorCode::kInvalidData, csv.string() + ":" + std::to_string(line_no) + ": label " +
                                                 cells[1] + " is out of range; dpurun evaluates classifiers of at most " +
                                                 std::to_string(kMaxClasses) + " classes");
      if (cells.size() >= 3 && !cells[2].empty()) {
        while (classes.size() <= static_cast<std::size_t>(label)) classes.emplace_back();
        auto& cls = classes[static_cast<std::size_t>(label)];
        if (cls.empty()) cls = cells[2];
        else if (cls != cells[2])
          throw Error(ErrorCode::kInvalidData,
                      csv.string() + ":" + std::to_string(line_no) + ": label " + cells[1] +
                          " is named \"" + cells[2] + "\" here but \"" + cls +
                          "\" elsewhere (or in the model's manifest)");
      }
      fs::path img = root / fs::path(cells[0]);
      std::error_code ec;
      if (!fs::is_regular_file(img, ec)) {
        if (missing.size() < 5) missing.push_back(cells[0] + " (line " + std::to_string(line_no) + ")");
        ++missing_count;
        continue;
      }
      add(img.string(), label);
    }
    if (missing_count) {
      std::string list;
      for (auto& m : missing) list += "\n  " + m;
      throw Error(ErrorCode::kInvalidData,
                  csv.string() + " names " + std::to_string(missing_count) +
                      " file(s) that do not exist under " + root + ":" + list +
                      (missing_count > missing.size() ? "\n  …" : "") +
                      "\nFix the paths (relative to the folder holding labels.csv) or the folder.");
    }
  }

  void open_class_folders(const fs::path& dir) {
    kind = "class folders";
    std::vector<fs::path> sub, flat;
    for (auto& e : fs::directory_iterator(dir))
      if (e.is_directory()) sub.push_back(e.path());
      else if (e.is_regular_file() && is_image(e.path())) flat.push_back(e.path());
    if (sub.empty() && !flat.empty()) {  // images alone: no labels
      kind = "images (no labels)";
      std::sort(flat.begin(), flat.end());
      for (auto& f : flat) add(f.string(), -1);
      return;
    }
    std::sort(sub.begin(), sub.end());
    std::map<std::string, int> index;
    for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = static_cast<int>(i);
    bool fixed = !classes.empty();
    for (auto& s : sub) {
      std::string cls = s.filename().string();
      if (fixed && !index.count(cls))
        throw Error(ErrorCode::kInvalidData,
                    s.string() + ": folder names a class the model does not have (\"" + cls +
                        "\"); the manifest's classes are the expected folder names");
      int label = class_index(cls, index);
      std::vector<fs::path> files;
      for (auto& e : fs::directory_iterator(s))
        if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (auto& f : files) add(f.string(), label);
    }
  }

  void open_binary(const std::vector<fs::path>& files) {
    kind = "cifar10 binary";
    if (classes.empty()) classes = kCifarClasses;
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) throw Error(ErrorCode::kIo, f.string() + ": cannot be read");
      std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
      if (bytes.empty() || bytes.size() % kCifarRecord != 0)
        throw Error(ErrorCode::kInvalidData,
                    f.string() + ": " + std::to_string(bytes.size()) +
                        " bytes is not a whole number of CIFAR-10 records (1 label byte + 3072 "
                        "pixel bytes each); the file is truncated or not a CIFAR-10 batch");
      for (std::size_t r = 0; r < bytes.size() / kCifarRecord; ++r) {
        const std::uint8_t* rec = bytes.data() + r * kCifarRecord;
        if (rec[0] >= classes.size())
          throw Error(ErrorCode::kInvalidData, f.string() + ": record " + std::to_string(r) +
                                                   " has label " + std::to_string(rec[0]) +
                                                   ", beyond the " +
                                                   std::to_string(classes.size()) + " classes");
        add(f.filename().string() + "#" + std::to_string(r), rec[0]);
        pixels.insert(pixels.end(), rec + 1, rec + kCifarRecord);
      }
    }
  }
};

Dataset Dataset::open(const std::string& path, const std::vector<std::string>& classes) {
  auto impl = std::make_shared<Impl>();
  impl->classes = classes;
  if (path.rfind("random:", 0) == 0) {  // random:N[:SEED]
    std::size_t n = 0, used = 0;
    const std::string spec = path.substr(7);
    try {
      n = std::stoul(spec, &used);
      if (used < spec.size()) {
        if (spec[used] != ':') throw std::invalid_argument("");
        std::size_t used_seed = 0;
        impl->seed = std::stoull(spec.substr(used + 1), &used_seed);
        if (used + 1 + used_seed != spec.size()) throw std::invalid_argument("");
      }
    } catch (const std::exception&) {
      n = 0;
    }
    if (n == 0 || n > 1000000)
      throw Error(ErrorCode::kInvalidArgument, path + ": a random data set is random:N or random:N:SEED, N from 1 to 1000000");
    impl->root = path;
    impl->kind = "random";
    impl->random = true;
    for (std::size_t i = 0; i < n; ++i) impl->add("random#" + std::to_string(i), -1);
    Dataset d;
    d.impl_ = std::move(impl);
    return d;
  }
  std::error_code ec;
  fs::path p(path);
  if (!fs::exists(p, ec))
    throw Error(ErrorCode::kNotFound,
                path + ": no such data set. Give --data DIR or set DPURUN_DATA (a folder with "
                       "labels.csv or class sub-folders, or CIFAR-10 .bin batches; random:N for N "
                       "random inputs); "
                       "scripts/get-cifar10.sh downloads the official CIFAR-10 test batch");
  if (fs::is_regular_file(p)) {
    impl->root = p.parent_path().string();
    impl->open_binary({p});
  } else {
    impl->root = p.string();
    std::vector<fs::path> bins;
    for (fs::path dir : {p, p / "cifar-10-batches-bin"})
      if (fs::exists(dir / "test_batch.bin", ec)) {
        bins.push_back(dir / "test_batch.bin");
        break;
      }
    if (fs::exists(p / "labels.csv", ec)) impl->open_labels_csv(p / "labels.csv");
    else if (!bins.empty()) impl->open_binary(bins);
    else impl->open_class_folders(p);
  }
  if (impl->names.empty())
    throw Error(ErrorCode::kInvalidData,
                path + ": holds no images (expected labels.csv, class sub-folders of images, or "
                       "CIFAR-10 .bin batches)");
  Dataset d;
  d.impl_ = std::move(impl);
  return d;
}

std::size_t Dataset::size() const { return impl_->names.size(); }
const std::string& Dataset::root() const { return impl_->root; }
const std::vector<std::string>& Dataset::class_names() const { return impl_->classes; }
int Dataset::label(std::size_t i) const { return impl_->labels.at(i); }
bool Dataset::labelled() const { return !impl_->labels.empty() && impl_->labels.front() >= 0; }
const std::string& Dataset::name(std::size_t i) const { return impl_->names.at(i); }
std::string Dataset::kind() const { return impl_->kind; }

void Dataset::load(std::size_t i, const Preprocessing& pre, const Shape& input_hwc,
                   float* out) const {
  if (impl_->random) {
    std::mt19937_64 rng(impl_->seed * 0x9E3779B97F4A7C15ull + i);
    std::normal_distribution<float> normal;
    for (std::int64_t k = 0, n = element_count(input_hwc); k < n; ++k) out[k] = normal(rng);
    return;
  }
  if (impl_->pixels.empty()) {
    data::preprocess_file(impl_->names.at(i), pre, input_hwc, out);
  } else {
    data::preprocess_rgb_chw(impl_->pixels.data() + i * (kCifarRecord - 1), 32, 32,
                             impl_->names.at(i), pre, input_hwc, out);
  }
}

void Dataset::load(std::size_t i, const Preprocessing& pre, const Shape& input_hwc, int fix_point,
                   std::int8_t* out) const {
  if (impl_->random) {
    thread_local std::vector<float> x;
    x.resize(static_cast<std::size_t>(element_count(input_hwc)));
    load(i, pre, input_hwc, x.data());
    return quantize_input(x.data(), x.size(), fix_point, out, pre.input_conversion);
  }
  if (impl_->pixels.empty()) {
    data::preprocess_file_int8(impl_->names.at(i), pre, input_hwc, fix_point, out);
  } else {
    data::preprocess_rgb_chw_int8(impl_->pixels.data() + i * (kCifarRecord - 1), 32, 32,
                                  impl_->names.at(i), pre, input_hwc, fix_point, out);
  }
}

Dataset::Pixels Dataset::decode(std::size_t i, const Preprocessing& pre) const {
  if (impl_->random)
    throw Error(ErrorCode::kInvalidArgument, impl_->root + ": random inputs have no pixels to decode or cache; "
                                             "use --input-cache tensors or none");
  cv::Mat m = impl_->pixels.empty()
                  ? data::decode_file(impl_->names.at(i), pre)
                  : data::decode_rgb_chw(impl_->pixels.data() + i * (kCifarRecord - 1), 32, 32);
  Pixels p{m.rows, m.cols, m.channels(), {}};
  p.data.resize(m.total() * m.elemSize());
  for (int y = 0; y < m.rows; ++y)
    std::copy(m.ptr<std::uint8_t>(y), m.ptr<std::uint8_t>(y) + std::size_t(m.cols) * m.elemSize(),
              p.data.begin() + long(std::size_t(y) * m.cols * m.elemSize()));
  return p;
}

void Dataset::preprocess(std::size_t i, const Pixels& image, const Preprocessing& pre, const Shape& input_hwc,
                         float* out) const {
  // A header over the cached pixels: preprocess_image converts into new buffers, never in place.
  cv::Mat m(image.height, image.width, CV_8UC(image.channels), const_cast<std::uint8_t*>(image.data.data()));
  data::preprocess_image(m, impl_->names.at(i), pre, input_hwc, out);
}

void Dataset::preprocess(std::size_t i, const Pixels& image, const Preprocessing& pre, const Shape& input_hwc,
                         int fix_point, std::int8_t* out) const {
  cv::Mat m(image.height, image.width, CV_8UC(image.channels), const_cast<std::uint8_t*>(image.data.data()));
  data::preprocess_image_int8(m, impl_->names.at(i), pre, input_hwc, fix_point, out);
}

}  // namespace dpurun
