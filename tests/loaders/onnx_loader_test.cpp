// The ONNX reader on the real QDQ LeNet and on broken or unsupported files.
#include <gtest/gtest.h>

#include <functional>

#include "dpurun/error.h"
#include "dpurun/model.h"
#include "onnx.pb.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

Error load_error(const std::string& bytes) { return test::load_error(bytes, "model.onnx"); }

const std::string kLeNet = "models/lenet-cifar10-vck190/LeNet_int.onnx";

TEST(OnnxLoader, QdqLeNetRunsAsIntegers) {
  auto path = test::shared(kLeNet);
  DPURUN_REQUIRE_SHARED(path);
  Model m = Model::load(path);
  EXPECT_TRUE(m.is_integer());
  EXPECT_EQ(m.inputs()[0].shape, (Shape{-1, 32, 32, 3})) << "NCHW input taken as NHWC images";
  EXPECT_EQ(m.outputs()[0].shape, (Shape{-1, 10}));
}

TEST(OnnxLoader, TruncatedAndForeignFiles) {
  auto path = test::shared(kLeNet);
  DPURUN_REQUIRE_SHARED(path);
  std::string bytes = test::read_file(path);
  EXPECT_EQ(load_error(bytes.substr(0, bytes.size() / 2)).code(), ErrorCode::kInvalidModel);
  Error e = load_error("not an onnx file at all");
  EXPECT_NE(std::string(e.what()).find("not an ONNX model"), std::string::npos) << e.what();
}

// Edits the real model: `edit` changes the ModelProto; the load must fail with `code`,
// mentioning `expect`.
void expect_refused(const std::function<void(loaders::onnx::ModelProto&)>& edit, const std::string& expect,
                    ErrorCode code = ErrorCode::kUnsupported) {
  loaders::onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(test::read_file(test::shared(kLeNet))));
  edit(m);
  Error e = load_error(m.SerializeAsString());
  EXPECT_EQ(e.code(), code);
  EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
}

TEST(OnnxLoader, UnsupportedOpAndScalesAreNamed) {
  DPURUN_REQUIRE_SHARED(test::shared(kLeNet));
  expect_refused([](loaders::onnx::ModelProto& m) {
    for (auto& n : *m.mutable_graph()->mutable_node())
      if (n.op_type() == "Relu") {
        n.set_op_type("Selu");
        break;
      }
  }, "op 'Selu'");
  expect_refused([](loaders::onnx::ModelProto& m) {
    // The first Constant is the input's scale: 1/64 becomes 0.02.
    auto& t = *m.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_t();
    float v = 0.02f;
    t.set_raw_data(std::string(reinterpret_cast<const char*>(&v), 4));
    t.clear_float_data();
  }, "not a power of two");
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// Found by fuzz_onnx: pooling attributes of the wrong length were read past their end.
// Likewise zero strides would divide by zero.
TEST(OnnxLoader, MalformedWindowAttributesAreRefused) {
  DPURUN_REQUIRE_SHARED(test::shared(kLeNet));
  for (const char* attr : {"strides", "kernel_shape", "pads"})
    for (int variant = 0; variant < 2; ++variant) {
      loaders::onnx::ModelProto m;
      ASSERT_TRUE(m.ParseFromString(test::read_file(test::shared(kLeNet))));
      bool edited = false;
      for (auto& n : *m.mutable_graph()->mutable_node()) {
        if (n.op_type() != "MaxPool" || edited) continue;
        loaders::onnx::AttributeProto* a = nullptr;
        for (auto& at : *n.mutable_attribute())
          if (at.name() == attr) a = &at;
        if (!a) {
          a = n.add_attribute();
          a->set_name(attr);
        }
        a->clear_ints();
        if (variant == 0) a->add_ints(2);  // one value where two (or four) belong
        else for (int k = 0; k < (std::string(attr) == "pads" ? 4 : 2); ++k) a->add_ints(std::string(attr) == "pads" ? -1 : 0);
        edited = true;
      }
      ASSERT_TRUE(edited);
      Error e = test::load_error(m.SerializeAsString(), "model.onnx");
      // kUnsupported where the value reads as another kind of pooling (a 1-D kernel).
      EXPECT_TRUE(e.code() == ErrorCode::kInvalidModel || e.code() == ErrorCode::kUnsupported)
          << attr << " " << variant << ": " << e.what();
    }
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// A tensor whose dimensions' product overflows int64: an error naming the file, not a wrapped
// count.
TEST(OnnxLoader, ATensorShapeThatOverflowsIsRefusedNamingTheFile) {
  DPURUN_REQUIRE_SHARED(test::shared(kLeNet));
  loaders::onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(test::read_file(test::shared(kLeNet))));
  ASSERT_GT(m.graph().initializer_size(), 0);
  auto& t = *m.mutable_graph()->mutable_initializer(0);
  t.clear_dims();
  for (std::int64_t d : {std::int64_t{1} << 32, std::int64_t{1} << 32, std::int64_t{3}})
    t.add_dims(d);
  Error e = test::load_error(m.SerializeAsString(), "model.onnx");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(std::string(e.what()).find("model.onnx: shape [4294967296, 4294967296, 3]"),
            std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace dpurun

namespace dpurun {
namespace {

// Found by fuzz_onnx (CI): a node with neither a name nor an output was named by its first
// output, read past the end of an empty list.
TEST(OnnxLoader, ANodeWithoutNameOrOutputIsRefusedNamingTheFile) {
  DPURUN_REQUIRE_SHARED(test::shared(kLeNet));
  expect_refused([](loaders::onnx::ModelProto& m) {
    auto* n = m.mutable_graph()->mutable_node(0);  // the input scale's Constant
    n->clear_name();
    n->clear_output();
  }, "model.onnx: node '(unnamed)' (Constant): has no output", ErrorCode::kInvalidModel);
}

}  // namespace
}  // namespace dpurun
