// The bench report's HTML page as a person sees it: headless Chromium loads it, its script finds
// every chart drawn, nothing logs an error, and the screenshot has each chart's colours in it.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "dpurun/bench.h"
#include "support/test_env.h"

namespace dpurun {
namespace {

// A report as a sweep of 1–4 runners × batch 1 and 8 would give, from the simulated device.
BenchReport simulated_report() {
  BenchReport r;
  r.model_name = "simulated <model> & co";  // markup in names must be escaped
  r.settings.run.model_file = "/models/x.xmodel";
  r.settings.threads = {1, 2, 3, 4};
  r.settings.batches = {1, 8};
  r.settings.scenario.min_count = 2000;
  r.settings.scenario.min_duration_s = 0;
  r.settings.scenario.warmup_s = 0;
  r.classes = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  r.complete = true;
  for (int threads = 1; threads <= 4; ++threads)
    for (int batch : {1, 8}) {
      auto run = simulate(r.settings.scenario, {threads, batch, 1.0, 0.2});
      BenchPoint p;
      p.threads = threads;
      p.batch = batch;
      p.scenario = run.result;
      p.latency_ms = summarize(p.scenario.latency_ms);
      p.complete = true;
      p.images_per_runner.assign(static_cast<std::size_t>(threads), p.scenario.measured / std::size_t(threads));
      p.confusion.assign(10, std::vector<std::int64_t>(10, 0));
      for (std::size_t t = 0; t < 10; ++t)
        for (std::size_t q = 0; q < 10; ++q) p.confusion[t][q] = t == q ? 150 + 10 * std::int64_t(t) : std::int64_t((t + q) % 4);
      for (auto& row : p.confusion)
        for (auto v : row) p.scored += std::size_t(v);
      for (std::size_t t = 0; t < 10; ++t) p.top1_correct += std::size_t(p.confusion[t][t]);
      r.points.push_back(std::move(p));
    }
  return r;
}

// Pixels within 8 of an RGB colour.
int count_colour(const cv::Mat& bgr, int r, int g, int b) {
  int n = 0;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      auto p = bgr.at<cv::Vec3b>(y, x);
      n += std::abs(p[2] - r) <= 8 && std::abs(p[1] - g) <= 8 && std::abs(p[0] - b) <= 8;
    }
  return n;
}

TEST(HtmlReport, RendersInHeadlessChromiumWithEveryChart) {
  // A missing browser fails the test: only ../shared may be absent.
  ASSERT_EQ(test::run_command("command -v chromium").exit_code, 0)
      << "needs the Debian package 'chromium' (scripts/install-deps.sh installs it)";
  BenchReport r = simulated_report();
  const std::string html = to_html(r);
  EXPECT_EQ(html.find("<model>"), std::string::npos);
  EXPECT_NE(html.find("simulated &lt;model&gt; &amp; co"), std::string::npos);
  auto dir = test::temp_dir();
  test::write_file(dir / "report.html", html);
  const auto png = dir / "report.png";
  auto res = test::run_command("timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars "
                               "--user-data-dir=" + (dir / "profile").string() +
                               " --window-size=1400,1500 --enable-logging=stderr --v=0 --screenshot=" + png.string() +
                               " file://" + (dir / "report.html").string());
  ASSERT_EQ(res.exit_code, 0) << res.output;
  EXPECT_NE(res.output.find("dpurun-report: 4 of 4 charts drawn"), std::string::npos) << res.output;
  EXPECT_EQ(res.output.find("Uncaught"), std::string::npos) << res.output;
  cv::Mat shot = cv::imread(png.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(shot.empty()) << "no screenshot at " << png;
  // Each chart's own colour, in enough pixels to be a drawn chart rather than a stray mark.
  EXPECT_GT(count_colour(shot, 0x1f, 0x77, 0xb4), 2000) << "throughput line (batch 1) and latency histogram";
  EXPECT_GT(count_colour(shot, 0xff, 0x7f, 0x0e), 300) << "throughput line (batch 8)";
  EXPECT_GT(count_colour(shot, 0x2c, 0xa0, 0x2c), 20000) << "per-class accuracy bars";
  // The diagonal holds ~92 % of each row: shade 255 − 200 × 0.92 ≈ 71 in red and green.
  int diagonal = 0;
  for (int rgb : {60, 77}) diagonal += count_colour(shot, rgb, rgb, 255);  // 52–85
  EXPECT_GT(diagonal, 5000) << "the confusion matrix's diagonal";
}

TEST(HtmlReport, AnIncompleteRunSaysSo) {
  BenchReport r = simulated_report();
  r.complete = false;
  r.points[1].complete = false;
  r.points[1].stop_reason = "every runner timed out";
  const std::string html = to_html(r);
  EXPECT_NE(html.find("id=\"incomplete\""), std::string::npos);
  EXPECT_NE(html.find("INCOMPLETE: every runner timed out"), std::string::npos);
  EXPECT_EQ(to_html(simulated_report()).find("id=\"incomplete\""), std::string::npos);
}

}  // namespace
}  // namespace dpurun
