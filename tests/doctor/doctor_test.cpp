// `dpurun doctor` on a host without a DPU, and with a stand-in `xdputil` on PATH reporting a DPU
// that matches a compiled model and one that does not.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "data/decode.h"
#include "dpurun/doctor.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

const DoctorCheck* find(const DoctorReport& r, const std::string& name) {
  for (const auto& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

// PATH without any xdputil, while it lives (this machine has none, but a developer's might).
class NoXdputil {
 public:
  NoXdputil() : old_(std::getenv("PATH") ? std::getenv("PATH") : "") { setenv("PATH", "/usr/bin:/bin", 1); }
  ~NoXdputil() { setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

TEST(Doctor, ParsesWhatXdputilLists) {
  auto dpus = parse_xdputil(R"({"DPU IP Spec": {"DPU Core Count": 2}, "kernels": [
      {"DPU Arch": "DPUCZDX8G_ISA1_B4096", "fingerprint": "0x101000016010407", "name": "DPU Core 0"},
      {"DPU Arch": "DPUCZDX8G_ISA1_B4096", "fingerprint": "0x101000016010407", "name": "DPU Core 1"}]})");
  ASSERT_EQ(dpus.size(), 2u);
  EXPECT_EQ(dpus[1].arch, "DPUCZDX8G_ISA1_B4096");
  EXPECT_EQ(dpus[0].fingerprint, 0x101000016010407u);
  EXPECT_TRUE(parse_xdputil("xdputil: error: no DPU device").empty());
  EXPECT_TRUE(parse_xdputil(R"({"fingerprint": "0x123456789abcdef0123"})").empty()) << "more than 64 bits";
}

TEST(Doctor, WithoutADpuSaysSoAndWhatStillWorks) {
  NoXdputil path;
  DoctorReport r = run_doctor();
  EXPECT_FALSE(r.dpu_ready);
  const DoctorCheck* dpu = find(r, "DPU");
  ASSERT_NE(dpu, nullptr);
  EXPECT_EQ(dpu->status, DoctorCheck::Status::kMissing);
  EXPECT_NE(dpu->detail.find("xdputil"), std::string::npos) << dpu->detail;
  EXPECT_FALSE(dpu->fix.empty());
  EXPECT_NE(r.without_dpu.find("bit-exactly"), std::string::npos);
  const DoctorCheck* cpu = find(r, "CPU");
  ASSERT_NE(cpu, nullptr);
  EXPECT_NE(cpu->detail.find("cores"), std::string::npos);
  ASSERT_NE(find(r, "memory"), nullptr);
  const DoctorCheck* dec = find(r, "image decoders");
  ASSERT_NE(dec, nullptr);
  EXPECT_EQ(dec->detail.find("TurboJPEG") != std::string::npos, data::have_turbojpeg()) << dec->detail;
  EXPECT_EQ(dec->detail.find("libspng") != std::string::npos, data::have_spng()) << dec->detail;

  auto cli = test::run_cli("doctor --json " + (test::temp_dir() / "doctor.json").string());
  EXPECT_EQ(cli.exit_code, 1) << cli.output;  // not ready for --backend dpu
  EXPECT_NE(cli.output.find("No DPU backend here"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("--variant quantized"), std::string::npos) << cli.output;
  auto j = nlohmann::json::parse(test::read_file(test::temp_dir() / "doctor.json"));
  EXPECT_FALSE(j["dpu_ready"].get<bool>());
}

// The model's DPU (from the .xmodel) against what the stand-in xdputil reports.
TEST(Doctor, AModelWhoseDpuMatchesOrNot) {
  const auto model = test::shared("models/mnist-tf1-zcu104/digitRecognitiion.xmodel");
  DPURUN_REQUIRE_SHARED(model);
  std::string want;
  {
    test::FakeXdputil board("0x1000000deadbeef", "DPUCZDX8G_ISA0_B1024");
    DoctorReport r = run_doctor(model);
    ASSERT_EQ(r.dpus.size(), 1u);
    EXPECT_EQ(find(r, "DPU")->status, DoctorCheck::Status::kOk);
    const DoctorCheck* m = find(r, "model");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->status, DoctorCheck::Status::kMissing);
    EXPECT_NE(m->detail.find("does not match"), std::string::npos) << m->detail;
    EXPECT_NE(m->fix.find("arch.json"), std::string::npos) << m->fix;
    EXPECT_FALSE(r.dpu_ready);
    auto at = m->detail.find("fingerprint 0x");
    ASSERT_NE(at, std::string::npos) << m->detail;
    want = m->detail.substr(at + 12, m->detail.find(')', at) - at - 12);
  }
  test::FakeXdputil board(want, "DPUCZDX8G_ISA0_B4096_MAX_BG2");
  DoctorReport r = run_doctor(model);
  const DoctorCheck* m = find(r, "model");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, DoctorCheck::Status::kOk) << m->detail;
  EXPECT_NE(m->detail.find("matches"), std::string::npos) << m->detail;
  auto cli = test::run_cli("doctor --model " + model);
  EXPECT_NE(cli.output.find("this board's DPU matches"), std::string::npos) << cli.output;
}

TEST(Doctor, AFloatModelIsNotForTheDpu) {
  const auto model = test::shared("models/tf-resnet56-cifar10/float_frozen.pb");
  DPURUN_REQUIRE_SHARED(model);
  NoXdputil path;
  DoctorReport r = run_doctor(model);
  const DoctorCheck* m = find(r, "model");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, DoctorCheck::Status::kWarning);
  EXPECT_NE(m->detail.find("not a compiled model"), std::string::npos) << m->detail;
}

}  // namespace
}  // namespace dpurun
