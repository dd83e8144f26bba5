#include "support/test_env.h"

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>

namespace dpurun::test {

std::string shared(const std::string& relative) {
  return (std::filesystem::path(DPURUN_SHARED_DIR) / relative).lexically_normal().string();
}

std::filesystem::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "dpurun";
  for (char& c : name)
    if (c == '/') c = '_';
  auto dir = std::filesystem::temp_directory_path() / ("dpurun-test-" + name);
  // Emptied on the test's first call only: later calls in the same test share it.
  static std::string current;
  if (current != name) {
    std::filesystem::remove_all(dir);
    current = name;
  }
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<float> random_floats(std::size_t n, unsigned seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

Error load_error(const std::string& bytes, const std::string& file_name,
                 const ModelOptions& options) {
  auto path = (temp_dir() / file_name).string();
  write_file(path, bytes);
  try {
    Model::load(path, options);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos)
        << "the message names the file: " << e.what();
    return e;
  }
  ADD_FAILURE() << "loading " << file_name << " did not fail";
  return Error(ErrorCode::kInternal, "");
}

std::vector<float> load_images(const Dataset& data, const Manifest& manifest, std::size_t limit) {
  const std::size_t n = limit ? std::min(limit, data.size()) : data.size();
  std::vector<float> images(n * 3072);
  for (std::size_t i = 0; i < n; ++i)
    data.load(i, manifest.preprocessing, {32, 32, 3}, images.data() + i * 3072);
  return images;
}

std::vector<float> run_images(const Model& model, const std::vector<float>& images, std::size_t n,
                              KernelChoice kernels, int batch) {
  CpuExecutor exec(model, CpuOptions{0, kernels});
  const auto per_in = static_cast<std::size_t>(exec.input_elements());
  const auto per_out = static_cast<std::size_t>(exec.output_elements());
  std::vector<float> out(n * per_out);
  for (std::size_t b = 0; b < n; b += static_cast<std::size_t>(batch))
    exec.run(images.data() + b * per_in, out.data() + b * per_out,
             static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(batch), n - b)));
  return out;
}

std::vector<int> top1(const std::vector<float>& outputs, std::size_t classes) {
  std::vector<int> t;
  for (auto it = outputs.begin(); it + static_cast<long>(classes) <= outputs.end();
       it += static_cast<long>(classes))
    t.push_back(static_cast<int>(std::max_element(it, it + static_cast<long>(classes)) - it));
  return t;
}

std::vector<std::string> cli_argv() {
  std::vector<std::string> argv;
  std::istringstream emulator(DPURUN_CLI_EMULATOR);
  for (std::string word; emulator >> word;) argv.push_back(word);
  argv.push_back(DPURUN_CLI);
  return argv;
}

CliResult run_cli(const std::string& args) {
  std::string cmd;
  for (const auto& a : cli_argv()) cmd += a + " ";
  return run_command(cmd + args);
}

CliResult run_command(const std::string& command) {
  std::string cmd = command + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

FakeXdputil::FakeXdputil(const std::string& fingerprint, const std::string& arch) {
  const char* path = std::getenv("PATH");
  old_path_ = path ? path : "";
  auto dir = temp_dir() / ("xdputil-" + fingerprint);
  std::filesystem::create_directories(dir);
  write_file(dir / "xdputil", "#!/bin/sh\necho '{\"kernels\": [{\"DPU Arch\": \"" + arch +
                                  "\", \"fingerprint\": \"" + fingerprint + "\", \"name\": \"DPU Core 0\"}]}'\n");
  std::filesystem::permissions(dir / "xdputil", std::filesystem::perms::owner_all);
  setenv("PATH", (dir.string() + ":" + old_path_).c_str(), 1);
}

FakeXdputil::~FakeXdputil() { setenv("PATH", old_path_.c_str(), 1); }

}  // namespace dpurun::test
