#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpurun/loadgen.h"
#include "report/bench_charts.h"

namespace dpurun::report {
namespace {

constexpr int kW = 640, kH = 320, kLeft = 64, kRight = 16, kTop = 16, kBottom = 48;
const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

// A round upper bound for an axis: 1, 2 or 5 × 10^k.
double nice_max(double v) {
  if (!(v > 0)) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (v <= m * p) return m * p;
  return 10 * p;
}

std::string open_svg(const std::string& id, int w = kW, int h = kH) {
  return fmt::format(R"(<svg class="chart" data-chart="{}" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}">)",
                     id, w, h, w, h) +
         fmt::format(R"(<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>)", w, h);
}

// Axes with 5 ticks on y (0 … y_max) and labels.
std::string axes(double y_max, const std::string& x_label, const std::string& y_label) {
  std::string s;
  const int plot_h = kH - kTop - kBottom;
  for (int k = 0; k <= 5; ++k) {
    double y = kTop + plot_h * (1 - k / 5.0);
    s += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#e0e0e0"/>)", kLeft, y, kW - kRight, y);
    s += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{:.6g}</text>)", kLeft - 4, y + 4,
                     y_max * k / 5);
  }
  s += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333"/>)", kLeft, kTop + plot_h, kW - kRight, kTop + plot_h);
  s += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333"/>)", kLeft, kTop, kLeft, kTop + plot_h);
  s += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>)", (kLeft + kW - kRight) / 2,
                   kH - 8, html_escape(x_label));
  s += fmt::format(R"~(<text x="14" y="{}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {})">{}</text>)~",
                   kTop + plot_h / 2, kTop + plot_h / 2, html_escape(y_label));
  return s;
}

}  // namespace

Histogram latency_histogram(const std::vector<double>& samples, int bins) {
  Histogram h;
  if (samples.empty()) return h;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  h.low = sorted.front();
  h.high = std::max(percentile(sorted, 99.9), h.low + 1e-6);
  h.counts.assign(static_cast<std::size_t>(bins), 0);
  for (double v : sorted) {
    auto b = static_cast<long>((v - h.low) / (h.high - h.low) * bins);
    h.counts[static_cast<std::size_t>(std::clamp<long>(b, 0, bins - 1))]++;
  }
  return h;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  return o;
}

std::string svg_line_chart(const std::string& id, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series) {
  double x_min = 1e300, x_max = -1e300, y_max = 0;
  for (const auto& s : series)
    for (auto [x, y] : s.points) x_min = std::min(x_min, x), x_max = std::max(x_max, x), y_max = std::max(y_max, y);
  if (x_min > x_max) x_min = 0, x_max = 1;
  if (x_max == x_min) x_min -= 1, x_max += 1;
  y_max = nice_max(y_max);
  const double plot_w = kW - kLeft - kRight - 120, plot_h = kH - kTop - kBottom;  // 120: the legend
  auto px = [&](double x) { return kLeft + 12 + (plot_w - 24) * (x - x_min) / (x_max - x_min); };
  auto py = [&](double y) { return kTop + plot_h * (1 - y / y_max); };
  std::string s = open_svg(id) + axes(y_max, x_label, y_label);
  std::vector<double> xs;
  for (const auto& se : series)
    for (auto [x, y] : se.points) xs.push_back(x);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  for (double x : xs)
    s += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{:g}</text>)", px(x), kTop + plot_h + 16, x);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const char* colour = kColours[k % 8];
    std::string path;
    for (auto [x, y] : series[k].points) path += fmt::format("{}{:.1f},{:.1f} ", path.empty() ? "M" : "L", px(x), py(y));
    s += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="2.5"/>)", path, colour);
    for (auto [x, y] : series[k].points)
      s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"><title>{}: {:g} → {:.1f}</title></circle>)", px(x),
                       py(y), colour, html_escape(series[k].name), x, y);
    double ly = kTop + 14 + 18.0 * double(k);
    s += fmt::format(R"(<rect x="{}" y="{:.1f}" width="14" height="4" fill="{}"/>)", kW - kRight - 110, ly - 4, colour);
    s += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11">{}</text>)", kW - kRight - 90, ly + 1, html_escape(series[k].name));
  }
  return s + "</svg>";
}

std::string svg_histogram(const std::string& id, const Histogram& h, const std::string& x_label) {
  std::size_t top = 0;
  for (auto c : h.counts) top = std::max(top, c);
  const double y_max = nice_max(double(top));
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  std::string s = open_svg(id) + axes(y_max, x_label, "queries");
  const double bw = h.counts.empty() ? 0 : plot_w / double(h.counts.size());
  for (std::size_t b = 0; b < h.counts.size(); ++b) {
    double bh = plot_h * double(h.counts[b]) / y_max;
    double lo = h.low + (h.high - h.low) * double(b) / double(h.counts.size());
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{:.4g} ms: {}</title></rect>)",
                     kLeft + bw * double(b) + 0.5, kTop + plot_h - bh, std::max(bw - 1, 1.0), bh, kColours[0], lo, h.counts[b]);
  }
  for (int k = 0; k <= 4; ++k)
    s += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{:.3g}</text>)", kLeft + plot_w * k / 4,
                     kTop + plot_h + 16, h.low + (h.high - h.low) * k / 4);
  return s + "</svg>";
}

std::string svg_bar_chart(const std::string& id, const std::vector<std::string>& labels,
                          const std::vector<double>& values, double y_max, const std::string& y_label) {
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  std::string s = open_svg(id) + axes(y_max, "", y_label);
  const double bw = values.empty() ? 0 : plot_w / double(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    double bh = plot_h * std::clamp(values[k] / y_max, 0.0, 1.0);
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {:.4g}</title></rect>)",
                     kLeft + bw * double(k) + bw * 0.15, kTop + plot_h - bh, bw * 0.7, bh, kColours[2],
                     html_escape(k < labels.size() ? labels[k] : ""), values[k]);
    s += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle">{}</text>)", kLeft + bw * (double(k) + 0.5),
                     kTop + plot_h + 14, html_escape(k < labels.size() ? labels[k].substr(0, 10) : ""));
  }
  return s + "</svg>";
}

std::string svg_heatmap(const std::string& id, const std::vector<std::string>& labels,
                        const std::vector<std::vector<std::int64_t>>& m) {
  const int n = static_cast<int>(m.size()), cell = n ? std::max(12, std::min(40, 440 / n)) : 0;
  const int left = 90, top = 24, w = left + n * cell + 16, h = top + n * cell + 40;
  std::string s = open_svg(id, w, h);
  for (int r = 0; r < n; ++r) {
    std::int64_t row_total = 0;
    for (auto v : m[static_cast<std::size_t>(r)]) row_total += v;
    s += fmt::format(R"(<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>)", left - 4, top + r * cell + cell / 2 + 4,
                     html_escape(static_cast<std::size_t>(r) < labels.size() ? labels[static_cast<std::size_t>(r)] : ""));
    for (int c = 0; c < n; ++c) {
      const auto v = m[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      double f = row_total ? double(v) / double(row_total) : 0;  // share of the true class
      int shade = static_cast<int>(255 - 200 * f);
      s += fmt::format(R"~(<rect x="{}" y="{}" width="{}" height="{}" fill="rgb({},{},255)" stroke="#fff"><title>true {} → predicted {}: {}</title></rect>)~",
                       left + c * cell, top + r * cell, cell, cell, shade, shade, r, c, v);
      if (cell >= 28)
        s += fmt::format(R"(<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="{}">{}</text>)", left + c * cell + cell / 2,
                         top + r * cell + cell / 2 + 3, f > 0.5 ? "#fff" : "#000", v);
    }
  }
  s += fmt::format(R"(<text x="{}" y="14" font-size="11" text-anchor="middle">predicted</text>)", left + n * cell / 2);
  s += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="middle">rows: true class (shade: share of the row)</text>)",
                   left + n * cell / 2, top + n * cell + 20);
  return s + "</svg>";
}

}  // namespace dpurun::report
