// Activation functions shared by the reference kernels.
#pragma once

#include <algorithm>
#include <cmath>

#include "graph/graph.h"

namespace dpurun::cpu {

inline float activate(float x, const graph::ActivationParams& a) {
  switch (a.kind) {
    case graph::Activation::kNone: return x;
    case graph::Activation::kRelu: return std::max(x, 0.f);
    case graph::Activation::kRelu6: return std::min(std::max(x, 0.f), 6.f);
    case graph::Activation::kLeakyRelu: return x >= 0.f ? x : a.alpha * x;
    case graph::Activation::kElu: return x >= 0.f ? x : std::expm1(x);
    case graph::Activation::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case graph::Activation::kTanh: return std::tanh(x);
    case graph::Activation::kHardSigmoid: return std::min(std::max(x + 3.f, 0.f), 6.f) / 6.f;
    case graph::Activation::kHardSwish: return x * std::min(std::max(x + 3.f, 0.f), 6.f) / 6.f;
    case graph::Activation::kClamp: return std::min(std::max(x, a.alpha), a.beta);
  }
  return x;
}

}  // namespace dpurun::cpu
