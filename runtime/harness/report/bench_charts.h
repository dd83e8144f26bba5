// Charts as inline SVG, for reports that are one self-contained HTML page (no scripts or fonts
// to fetch). Each chart is an <svg class="chart" data-chart="…"> element.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dpurun::report {

struct Histogram {
  double low = 0, high = 0;  // bins split [low, high] evenly; the last also holds what is above
  std::vector<std::size_t> counts;
};
// 40 bins from the smallest sample to the 99.9th percentile.
Histogram latency_histogram(const std::vector<double>& samples, int bins = 40);

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

std::string html_escape(const std::string& s);
std::string svg_line_chart(const std::string& id, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series);
std::string svg_histogram(const std::string& id, const Histogram& h, const std::string& x_label);
std::string svg_bar_chart(const std::string& id, const std::vector<std::string>& labels,
                          const std::vector<double>& values, double y_max, const std::string& y_label);
std::string svg_heatmap(const std::string& id, const std::vector<std::string>& labels,
                        const std::vector<std::vector<std::int64_t>>& matrix);

}  // namespace dpurun::report
