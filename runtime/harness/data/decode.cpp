#include "data/decode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "dpurun/error.h"

#if DPURUN_HAVE_TURBOJPEG
#include <turbojpeg.h>
#endif
#if DPURUN_HAVE_SPNG
#include <spng.h>
#endif

namespace dpurun::data {
namespace {

// OpenCV's own bound on an image's pixels (CV_IO_MAX_IMAGE_PIXELS); larger files go to OpenCV,
// which refuses them with its message.
constexpr std::size_t kMaxPixels = std::size_t{1} << 30;

cv::Mat decode_with_opencv(const std::string& path, bool gray) {
  cv::Mat img;
  try {
    img = cv::imread(path, gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::kInvalidData, path + ": cannot be decoded (" + e.what() + ")");
  }
  if (img.empty())
    throw Error(ErrorCode::kInvalidData,
                path + ": cannot be read as an image (missing, unreadable, truncated or not an "
                       "image); replace or remove it");
  return img;
}

// The whole file, or false (OpenCV then reports what is wrong with it).
bool read_bytes(const std::string& path, std::vector<unsigned char>& bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  if (ok) {
    bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
      ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    ok = got == bytes.size();
  }
  ::close(fd);
  return ok;
}

// The decoders' output: this thread's last image, reused where no one holds it any more (a fresh
// buffer per small image cost more than the copy the caller makes). For TurboJPEG (`offset`),
// every row starts one pixel past a 64-byte boundary: libjpeg-turbo's SIMD colour conversion
// writes 16-byte-aligned rows with non-temporal stores, which send the pixels past the cache
// just before they are read (a CIFAR-10 image decoded and read 11.3 µs against 16.4).
cv::Mat& output(int rows, int cols, int type, bool offset) {
  thread_local cv::Mat whole, last;
  const int expected_refs = offset ? 2 : 1;  // `whole` holds the buffer too
  const bool reusable = last.u && __atomic_load_n(&last.u->refcount, __ATOMIC_ACQUIRE) == expected_refs &&
                        last.rows == rows && last.cols == cols && last.type() == type &&
                        (whole.u == last.u) == offset;
  if (reusable) return last;
  if (!offset) {
    whole = cv::Mat();
    last = cv::Mat(rows, cols, type);
    return last;
  }
  whole = cv::Mat(rows, (cols + 1 + 63) / 64 * 64, type);  // rows a multiple of 64 bytes apart
  last = whole(cv::Rect(1, 0, cols, rows));
  return last;
}

#if DPURUN_HAVE_TURBOJPEG
// An APP1 "Exif" segment before the scan: cv::imread turns the image by its orientation tag.
bool has_exif(const std::vector<unsigned char>& b) {
  std::size_t pos = 2;  // after SOI
  while (pos + 4 <= b.size() && b[pos] == 0xFF) {
    unsigned marker = b[pos + 1];
    if (marker == 0xFF) { ++pos; continue; }  // fill byte
    if (marker == 0xDA || marker == 0xD9) return false;  // start of scan, end of image
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
    std::size_t len = (std::size_t{b[pos + 2]} << 8) | b[pos + 3];
    if (marker == 0xE1 && len >= 8 && pos + 10 <= b.size() && std::memcmp(&b[pos + 4], "Exif\0\0", 6) == 0)
      return true;
    pos += 2 + len;
  }
  return false;
}

struct TurboHandle {
  tjhandle h = tjInitDecompress();
  ~TurboHandle() {
    if (h) tjDestroy(h);
  }
};

// YCbCr to BGR or gray, gray to gray: what libjpeg gives OpenCV, with the same default DCT and
// upsampling. Empty where another case or any warning: OpenCV decides those.
cv::Mat decode_jpeg(const std::vector<unsigned char>& b, bool gray) {
  if (has_exif(b)) return {};
  thread_local TurboHandle turbo;
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (!turbo.h || tjDecompressHeader3(turbo.h, b.data(), static_cast<unsigned long>(b.size()), &width, &height,
                                      &subsampling, &colorspace) != 0)
    return {};
  bool ok = colorspace == TJCS_YCbCr || (colorspace == TJCS_GRAY && gray);
  if (!ok || width <= 0 || height <= 0 || std::size_t(width) * std::size_t(height) > kMaxPixels) return {};
  cv::Mat& img = output(height, width, gray ? CV_8UC1 : CV_8UC3, true);
  if (tjDecompress2(turbo.h, b.data(), static_cast<unsigned long>(b.size()), img.data, width,
                    static_cast<int>(img.step[0]), height, gray ? TJPF_GRAY : TJPF_BGR, 0) != 0)
    return {};  // an error, or a warning (a truncated file): OpenCV's behaviour stands
  return img;
}
#endif

#if DPURUN_HAVE_SPNG
// 8-bit gray to gray and 8-bit RGB to BGR, without transparency. Empty where another case or any
// error.
cv::Mat decode_png(const std::vector<unsigned char>& b, bool gray) {
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(0), &spng_ctx_free);
  spng_ihdr ihdr{};
  if (!ctx || spng_set_png_buffer(ctx.get(), b.data(), b.size()) != 0 || spng_get_ihdr(ctx.get(), &ihdr) != 0)
    return {};
  bool ok = ihdr.bit_depth == 8 && (gray ? ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE
                                         : ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR);
  spng_trns trns{};
  if (!ok || spng_get_trns(ctx.get(), &trns) == 0 || std::size_t(ihdr.width) * ihdr.height > kMaxPixels) return {};
  const int fmt = gray ? SPNG_FMT_G8 : SPNG_FMT_RGB8;
  cv::Mat& img = output(static_cast<int>(ihdr.height), static_cast<int>(ihdr.width), gray ? CV_8UC1 : CV_8UC3, false);
  if (spng_decode_image(ctx.get(), img.data, img.total() * img.elemSize(), fmt, 0) != 0) return {};
  if (!gray)
    for (std::size_t i = 0, n = img.total() * 3; i < n; i += 3) std::swap(img.data[i], img.data[i + 2]);
  return img;
}
#endif

}  // namespace

#if DPURUN_HAVE_TURBOJPEG
bool have_turbojpeg() { return true; }
#else
bool have_turbojpeg() { return false; }
#endif
#if DPURUN_HAVE_SPNG
bool have_spng() { return true; }
#else
bool have_spng() { return false; }
#endif

cv::Mat decode_file(const std::string& path, const Preprocessing& pre, Decoder* used) {
  const bool gray = pre.channel_order == Preprocessing::ChannelOrder::kGray;
  if (used) *used = Decoder::kOpenCv;
#if DPURUN_HAVE_TURBOJPEG || DPURUN_HAVE_SPNG
  thread_local std::vector<unsigned char> bytes;
  if (read_bytes(path, bytes) && bytes.size() > 8) {
    cv::Mat img;
    Decoder d = Decoder::kOpenCv;
#if DPURUN_HAVE_TURBOJPEG
    if (bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) img = decode_jpeg(bytes, gray), d = Decoder::kTurboJpeg;
#endif
#if DPURUN_HAVE_SPNG
    if (std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0) img = decode_png(bytes, gray), d = Decoder::kSpng;
#endif
    if (bytes.capacity() > (std::size_t{1} << 24)) bytes = {};  // no large file kept per thread
    if (!img.empty()) {
      if (used) *used = d;
      return img;
    }
  }
#endif
  return decode_with_opencv(path, gray);
}

cv::Mat decode_rgb_chw(const std::uint8_t* chw, int height, int width) {
  cv::Mat bgr(height, width, CV_8UC3);
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  for (int y = 0; y < height; ++y) {
    auto* row = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      std::size_t p = static_cast<std::size_t>(y) * width + x;
      row[3 * x + 0] = chw[2 * plane + p];
      row[3 * x + 1] = chw[plane + p];
      row[3 * x + 2] = chw[p];
    }
  }
  return bgr;
}

}  // namespace dpurun::data
