// Image decoding into 8-bit BGR (or gray) cv::Mats, pixel for pixel what cv::imread gives.
// JPEGs go through TurboJPEG and 8-bit PNGs through libspng where dpurun is built with them and
// the file is one they decode exactly as OpenCV does; anything else (EXIF orientation, CMYK,
// alpha, palettes, 16 bits, a gray/colour conversion, any decoder error) goes to cv::imread.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

#include "dpurun/manifest.h"

namespace dpurun::data {

enum class Decoder { kOpenCv, kTurboJpeg, kSpng };

// 8-bit BGR, or gray where the manifest asks for it. Throws Error naming the file. `used`, if
// given, says which decoder made the pixels.
cv::Mat decode_file(const std::string& path, const Preprocessing& pre, Decoder* used = nullptr);
// CIFAR-10 binary records: 8-bit RGB in CHW order, to BGR.
cv::Mat decode_rgb_chw(const std::uint8_t* chw, int height, int width);

// Whether this build has the direct decoders (otherwise every file goes to OpenCV).
bool have_turbojpeg();
bool have_spng();

}  // namespace dpurun::data
