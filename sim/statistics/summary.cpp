#include "tokencast/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tokencast {

double quantile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0.0;
  const double position = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

Summary summarize(std::span<const double> values) {
  Summary s;
  s.n = static_cast<std::int64_t>(values.size());
  if (values.empty()) return s;
  const double n = static_cast<double>(values.size());

  // Two-pass mean and variance in index order: stable and independent of scheduling.
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / n;
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.sd = values.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  s.mean_se = s.sd / std::sqrt(n);

  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  s.p5 = quantile_sorted(sorted, 0.05);
  s.p25 = quantile_sorted(sorted, 0.25);
  s.p50 = quantile_sorted(sorted, 0.50);
  s.p75 = quantile_sorted(sorted, 0.75);
  s.p95 = quantile_sorted(sorted, 0.95);
  s.p99 = quantile_sorted(sorted, 0.99);
  return s;
}

Histogram make_histogram(std::span<const double> values, int bins) {
  Histogram h;
  if (values.empty() || bins < 1) return h;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  h.lo = *lo;
  h.hi = *hi;
  if (!(h.hi > h.lo)) {
    // Every value equal: one bin holding them all, of a width that keeps charts finite.
    h.hi = h.lo + std::max(1.0, std::abs(h.lo) * 1e-6);
    h.counts.assign(1, static_cast<double>(values.size()));
    return h;
  }
  h.counts.assign(static_cast<std::size_t>(bins), 0.0);
  const double width = (h.hi - h.lo) / bins;
  for (double v : values) {
    const auto bin = std::min(static_cast<std::size_t>((v - h.lo) / width), h.counts.size() - 1);
    h.counts[bin] += 1.0;
  }
  return h;
}

double percentile_se(std::span<const double> values, double q, int sections) {
  const std::size_t size = values.size() / static_cast<std::size_t>(sections);
  if (sections < 2 || size < 2) return std::numeric_limits<double>::infinity();
  std::vector<double> run(size), estimates;
  for (int k = 0; k < sections; ++k) {
    std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(k * size), size, run.begin());
    std::sort(run.begin(), run.end());
    estimates.push_back(quantile_sorted(run, q));
  }
  double mean = 0;
  for (double e : estimates) mean += e;
  mean /= sections;
  double squares = 0;
  for (double e : estimates) squares += (e - mean) * (e - mean);
  return std::sqrt(squares / (sections - 1)) / std::sqrt(static_cast<double>(sections));
}

}  // namespace tokencast
