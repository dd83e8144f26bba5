#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "dpurun/dataset.h"
#include "dpurun/error.h"

namespace dpurun {

namespace fs = std::filesystem;

std::size_t export_images(const Dataset& data, const std::string& out, const ImageExportOptions& o) {
  if (o.format != "png" && o.format != "jpg")
    throw Error(ErrorCode::kInvalidArgument, "image format '" + o.format + "': use png (lossless) or jpg");
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100)
    throw Error(ErrorCode::kInvalidArgument, "--quality must be 1 to 100");
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
    throw Error(ErrorCode::kInvalidArgument, out + ": exists and is not an empty folder; name a new one");
  const fs::path target(out);
  const fs::path tmp = target.string() + ".partial";
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec) || ec)
    throw Error(ErrorCode::kIo, tmp.string() + ": cannot be created (" + ec.message() + ")");

  const auto& classes = data.class_names();
  std::vector<std::size_t> per_class(classes.size(), 0);
  std::vector<int> params;
  if (o.format == "jpg") params = {cv::IMWRITE_JPEG_QUALITY, o.jpeg_quality};
  Preprocessing pre;  // decoding only: colour as stored, no resize
  pre.channel_order = Preprocessing::ChannelOrder::kBGR;
  std::ofstream csv(tmp / "labels.csv");
  csv << "path,label_index,label_name\n";
  const std::size_t n = o.limit ? std::min(o.limit, data.size()) : data.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::size_t>(data.label(i));
    const std::string cls = label < classes.size() ? classes[label] : std::to_string(label);
    char name[32];
    std::snprintf(name, sizeof name, "%04zu.%s", label < per_class.size() ? per_class[label]++ : i, o.format.c_str());
    const fs::path rel = fs::path(cls) / name;
    fs::create_directories(tmp / cls, ec);
    Dataset::Pixels px = data.decode(i, pre);
    cv::Mat m(px.height, px.width, CV_8UC(px.channels), px.data.data());
    bool ok = false;
    try {
      ok = cv::imwrite((tmp / rel).string(), m, params);
    } catch (const cv::Exception& e) {
      ok = false;
    }
    if (!ok) {
      fs::remove_all(tmp, ec);
      throw Error(ErrorCode::kIo, (target / rel).string() + ": cannot be written (image " + data.name(i) + ")");
    }
    csv << rel.generic_string() << ',' << label << ',' << cls << '\n';
  }
  csv.close();
  if (!csv) {
    fs::remove_all(tmp, ec);
    throw Error(ErrorCode::kIo, (target / "labels.csv").string() + ": cannot be written");
  }
  fs::remove(target, ec);  // empty, if there
  fs::rename(tmp, target, ec);
  if (ec) throw Error(ErrorCode::kIo, out + ": cannot be created (" + ec.message() + ")");
  return n;
}

}  // namespace dpurun
