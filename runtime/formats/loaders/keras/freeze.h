// Keras model → frozen TensorFlow GraphDef for inference, as freeze_graph writes it: learning
// phase 0 (Dropout is an Identity, BatchNormalization in inference form), weights as Const nodes,
// and Keras's TensorFlow node names (<layer>/convolution, <layer>/BiasAdd, <layer>/Relu,
// <layer>/MatMul, <layer>/Softmax, …) so that vai_q_tensorflow's --input_nodes/--output_nodes
// stay what users know.
#pragma once

#include <string>
#include <vector>

#include "dpurun/freeze.h"
#include "dpurun/tensor.h"
#include "graph_def.pb.h"
#include "loaders/keras/keras_model.h"

namespace dpurun::loaders::keras {

struct FrozenGraph {
  tf::GraphDef graph;
  std::vector<FrozenNode> inputs, outputs;  // NHWC, batch -1
};

// Throws Error naming the file and layer for an unsupported layer or setting, and for weights
// whose shapes do not fit the layer.
FrozenGraph freeze(const Model& model);

}  // namespace dpurun::loaders::keras
