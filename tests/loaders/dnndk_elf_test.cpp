// The DNNDK .elf reader on the real ZCU102 kernels (facts from their PROVENANCE.md) and on
// damaged copies of them.
#include <gtest/gtest.h>

#include <random>

#include "dpurun/error.h"
#include "dpurun/inspect.h"
#include "loaders/dnndk/elf_reader.h"
#include "loaders/loader.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

using loaders::dnndk::read_dnndk_elf;

struct Expected {
  const char* file;
  const char* kernel;
  const char* input_node;
  const char* output_node;
  bool debug;
};

// From ../shared/models/keras-cifar10-dnndk-zcu102/PROVENANCE.md.
const Expected kElfs[] = {
    {"dpu_miniVggNet_0.elf", "miniVggNet_0", "conv2d_1_convolution", "dense_2_MatMul", false},
    {"dbg_dpu_miniVggNet_0.elf", "miniVggNet_0", "conv2d_1_convolution", "dense_2_MatMul", true},
    {"dpu_miniGoogleNet_0.elf", "miniGoogleNet_0", "conv2d_1_convolution", "dense_1_MatMul", false},
    {"dpu_miniResNet_0.elf", "miniResNet_0", "batch_normalization_1_FusedBatchNormV3_1_add", "dense_1_MatMul", false},
};

std::string elf_path(const char* file) { return test::shared("models/keras-cifar10-dnndk-zcu102/") + file; }

TEST(DnndkElf, EverySharedKernelMatchesItsProvenance) {
  DPURUN_REQUIRE_SHARED(elf_path(kElfs[0].file));
  for (const auto& e : kElfs) {
    SCOPED_TRACE(e.file);
    auto m = read_dnndk_elf(dpurun::read_file(elf_path(e.file)), e.file);
    EXPECT_EQ(m.machine, "aarch64");
    ASSERT_EQ(m.kernels.size(), 1u);  // one DPU kernel each; softmax runs on the CPU
    const auto& k = m.kernels[0];
    EXPECT_EQ(k.name, e.kernel);
    EXPECT_EQ(k.dpu_arch, "dpuv2");
    EXPECT_EQ(k.dpu_target, "v1.4.1");
    EXPECT_EQ(k.compiler, "VAI_C Compiler for Edge, Version v5.01");
    EXPECT_EQ(k.debug_mode, e.debug);
    EXPECT_EQ(k.input_nodes, std::vector<std::string>{e.input_node});
    EXPECT_EQ(k.output_nodes, std::vector<std::string>{e.output_node});
    // The nodes' parameter records account for the parameter section, up to its alignment
    // padding (miniResNet's section ends with 2 bytes no node claims).
    EXPECT_LE(k.node_parameter_bytes, k.parameter_bytes);
    EXPECT_LT(k.parameter_bytes - k.node_parameter_bytes, 16u);
    EXPECT_GT(k.workload(), 0u);
    // NHWC 32×32×3 in, 10 logits out (PROVENANCE: int8 = x · dpuGetTensorScale(input)).
    const loaders::dnndk::ElfTensor *in = nullptr, *out = nullptr;
    for (const auto& t : k.tensors) {
      if (t.kind == 2) in = &t;
      if (t.kind == 4) out = &t;
    }
    ASSERT_TRUE(in && out);
    EXPECT_EQ(in->height * in->width * in->channels, 32 * 32 * 3);
    EXPECT_EQ(in->channels, 3);
    EXPECT_EQ(out->height * out->width * out->channels, 10);
  }
}

TEST(DnndkElf, InspectShowsKernelsNodesAndTensors) {
  DPURUN_REQUIRE_SHARED(elf_path(kElfs[3].file));
  ModelInfo info = inspect_model(elf_path(kElfs[3].file));
  EXPECT_EQ(info.format, "dnndk-elf");
  EXPECT_EQ(info.kind, "compiled");
  ASSERT_EQ(info.subgraphs.size(), 1u);
  EXPECT_EQ(info.subgraphs[0].device, "DPU");
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].shape, (Shape{1, 32, 32, 3}));
  EXPECT_EQ(info.inputs[0].type, DataType::kInt8);
  EXPECT_FALSE(info.cpu_runnable);
  EXPECT_NE(info.cpu_message.find("DPU machine code"), std::string::npos) << info.cpu_message;
  std::string text = to_text(info);
  EXPECT_NE(text.find("batch_normalization_1_FusedBatchNormV3_1_add"), std::string::npos) << text;
  EXPECT_NE(text.find("v1.4.1"), std::string::npos);
  // PROVENANCE: int8 = x · dpuGetTensorScale(input); the input's fix point 6 is a scale of 64.
  EXPECT_NE(text.find("conv2d_1_input:0 [1, 32, 32, 3] int8 fix_point 6 (scale 64)"), std::string::npos) << text;
}

// Every truncation and many corruptions give an Error naming the file, never a crash (the
// suite also runs under AddressSanitizer).
TEST(DnndkElf, DamagedFilesAreRefusedByName) {
  DPURUN_REQUIRE_SHARED(elf_path(kElfs[0].file));
  const std::string bytes = dpurun::read_file(elf_path(kElfs[0].file));
  for (double f : {0.0, 0.01, 0.2, 0.5, 0.9, 0.999}) {
    std::string cut = bytes.substr(0, static_cast<std::size_t>(f * double(bytes.size())));
    try {
      read_dnndk_elf(cut, "cut.elf");
      ADD_FAILURE() << "a file cut to " << f << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
      EXPECT_NE(std::string(e.what()).find("cut.elf"), std::string::npos) << e.what();
    }
  }
  // The metadata, tensor and node sections sit in the first 4 KiB and the section headers at the
  // end: corrupt bytes there.
  std::mt19937 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = bytes;
    for (int k = 0; k < 4; ++k) {
      std::size_t at = trial % 2 ? rng() % 0x1000 : bytes.size() - 1 - rng() % 0x800;
      bad[at] = static_cast<char>(rng());
    }
    try {
      read_dnndk_elf(bad, "bad.elf");
    } catch (const Error& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find("bad.elf"), std::string::npos);
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(DnndkElf, ForeignFilesAreRefused) {
  auto message = [](const std::string& bytes) {
    try {
      read_dnndk_elf(bytes, "x.elf");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(read)");
  };
  EXPECT_NE(message("not an elf at all").find("ELF magic"), std::string::npos);
  // A real ELF with no DPU kernel: this test program itself.
  std::string self = dpurun::read_file("/proc/self/exe");
  EXPECT_NE(message(self).find("no DPU kernel"), std::string::npos) << message(self);
}

// A .bss (SHT_NOBITS) larger than the file takes no bytes of it: an ELF with one is read, not
// refused as truncated (a sanitizer build's own executable has such a .bss).
TEST(DnndkElf, ANoBitsSectionLargerThanTheFileIsNotTruncation) {
  const std::string names("\0.shstrtab\0.bss\0", 16);
  std::string elf(64 + 16 + 3 * 64, '\0');
  auto put = [&](std::size_t at, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) elf[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  elf.replace(0, 4, "\x7f" "ELF");
  put(4, 2, 1), put(5, 1, 1), put(6, 1, 1), put(18, 183, 2);
  put(0x28, 80, 8), put(0x3a, 64, 2), put(0x3c, 3, 2), put(0x3e, 1, 2);
  elf.replace(64, 16, names);
  auto section = [&](int i, std::uint32_t name, std::uint32_t type, std::uint64_t offset, std::uint64_t size) {
    const std::size_t at = 80 + 64 * i;
    put(at, name, 4), put(at + 4, type, 4), put(at + 24, offset, 8), put(at + 32, size, 8);
  };
  section(1, 1, 3, 64, 16);             // .shstrtab (SHT_STRTAB)
  section(2, 11, 8, 80, 1ull << 30);    // .bss (SHT_NOBITS), 1 GiB
  std::string message;
  try {
    read_dnndk_elf(elf, "bss.elf");
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("no DPU kernel"), std::string::npos) << message;
  section(2, 11, 1, 80, 1ull << 30);    // the same size as PROGBITS is truncation
  try {
    read_dnndk_elf(elf, "bss.elf");
    ADD_FAILURE() << "a 1 GiB PROGBITS section in a 272-byte file was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("section 2 lies past the end"), std::string::npos) << e.what();
  }
}

TEST(DnndkElf, TheCliInspectsAndRefusesToEvaluate) {
  DPURUN_REQUIRE_SHARED(elf_path(kElfs[0].file));
  auto r = test::run_cli("inspect " + elf_path(kElfs[0].file) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"dpu_target\": \"v1.4.1\""), std::string::npos) << r.output;
  r = test::run_cli("eval -q -n 10 --model " + elf_path(kElfs[0].file));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("DPU machine code"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace dpurun
