// Image decoding (OpenCV) and the manifest's preprocessing, into the model's NHWC float input.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

#include "dpurun/manifest.h"

namespace dpurun::data {

// Decoding: 8-bit BGR, or gray where the manifest asks for it. Throws Error naming the file.
cv::Mat decode_file(const std::string& path, const Preprocessing& pre);
cv::Mat decode_rgb_chw(const std::uint8_t* chw, int height, int width);
// The manifest's preprocessing of a decoded image (BGR or gray) into NHWC floats.
void preprocess_image(cv::Mat img, const std::string& name, const Preprocessing& pre,
                      const Shape& input_hwc, float* out);

// Decodes an image file; `input_hwc` is the model input without the batch ([H, W, C]).
void preprocess_file(const std::string& path, const Preprocessing& pre, const Shape& input_hwc,
                     float* out);
// Same for raw 8-bit RGB pixels in CHW order (CIFAR-10 binary records).
void preprocess_rgb_chw(const std::uint8_t* chw, int height, int width, const std::string& name,
                        const Preprocessing& pre, const Shape& input_hwc, float* out);

}  // namespace dpurun::data
