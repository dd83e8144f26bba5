// The manifest's preprocessing of decoded images (data/decode.h), into the model's NHWC float
// input: per-channel tables of the 256 values and per-image standardisation from histograms,
// beside the reference loops they are tested against.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

#include "dpurun/manifest.h"

namespace dpurun::data {

// The manifest's preprocessing of a decoded image (BGR or gray) into NHWC floats.
void preprocess_image(cv::Mat img, const std::string& name, const Preprocessing& pre,
                      const Shape& input_hwc, float* out);
// The same in plain loops, one value at a time (the reference the tables are tested against).
void preprocess_image_reference(cv::Mat img, const std::string& name, const Preprocessing& pre,
                                const Shape& input_hwc, float* out);

// The same quantized to the model's int8 input at `fix_point` by pre.input_conversion: what
// quantize_input() makes of preprocess_image()'s floats, from per-channel tables of the 256
// values (computed per image where it is standardised).
void preprocess_image_int8(cv::Mat img, const std::string& name, const Preprocessing& pre,
                           const Shape& input_hwc, int fix_point, std::int8_t* out);

// Decodes an image file; `input_hwc` is the model input without the batch ([H, W, C]).
void preprocess_file(const std::string& path, const Preprocessing& pre, const Shape& input_hwc,
                     float* out);
// Same for raw 8-bit RGB pixels in CHW order (CIFAR-10 binary records).
void preprocess_rgb_chw(const std::uint8_t* chw, int height, int width, const std::string& name,
                        const Preprocessing& pre, const Shape& input_hwc, float* out);
// Both, to int8 (preprocess_image_int8).
void preprocess_file_int8(const std::string& path, const Preprocessing& pre, const Shape& input_hwc,
                          int fix_point, std::int8_t* out);
void preprocess_rgb_chw_int8(const std::uint8_t* chw, int height, int width, const std::string& name,
                             const Preprocessing& pre, const Shape& input_hwc, int fix_point,
                             std::int8_t* out);

}  // namespace dpurun::data
