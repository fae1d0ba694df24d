// First-order variance shares from given data, and Spearman's rank correlation.
//
// Given data: sort the trials by X, cut them into M equal-count bins (M = sqrt(n)), and compare the
// spread of the bins' mean outputs with the output's whole spread. The raw ratio of sums of squares
// (eta squared) is biased upward by the bins' sampling noise, about (M - 1) / n of Var(Y); the
// estimate here is omega squared, (SSB - (M - 1) MSW) / (SST + MSW), which removes it. The
// interval is by sectioning (20 runs of trials, each estimated on its own), unknown under 320
// trials (16 a section).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "sectioning.hpp"
#include "variance_shares.hpp"

namespace tokencast::detail {
namespace {

double omega_squared(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  if (n < 4) return 0;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Ties keep trial order: the bins are the same at any thread count.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  double total = 0;
  for (const double v : y) total += (v - mean) * (v - mean);
  if (!(total > 0)) return 0;
  const auto bins = std::clamp<std::size_t>(static_cast<std::size_t>(std::lround(std::sqrt(double(n)))), 2, n / 2);
  double between = 0, within = 0;
  for (std::size_t b = 0; b < bins; ++b) {
    const std::size_t from = b * n / bins, to = (b + 1) * n / bins;
    double sum = 0;
    for (std::size_t i = from; i < to; ++i) sum += y[order[i]];
    const double bin_mean = sum / static_cast<double>(to - from);
    between += static_cast<double>(to - from) * (bin_mean - mean) * (bin_mean - mean);
    for (std::size_t i = from; i < to; ++i) within += (y[order[i]] - bin_mean) * (y[order[i]] - bin_mean);
  }
  const double mean_square_within = within / static_cast<double>(n - bins);
  return (between - static_cast<double>(bins - 1) * mean_square_within) / (total + mean_square_within);
}

// Ranks from 1, ties given their average rank.
std::vector<double> ranks_of(std::span<const double> x) {
  const std::size_t n = x.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && x[order[j + 1]] == x[order[i]]) ++j;
    const double average = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = average;
    i = j + 1;
  }
  return rank;
}

}  // namespace

Estimate first_order_share(const std::vector<double>& x, const std::vector<double>& y) {
  const std::span<const double> xs(x), ys(y);
  const double value = omega_squared(xs, ys);
  const SectionedInterval interval = sectioned_interval(
      value, x.size(),
      [&](std::size_t from, std::size_t to) { return omega_squared(xs.subspan(from, to - from), ys.subspan(from, to - from)); },
      16);  // 4 bins of 4 trials at the least
  return {value, interval.lo, interval.hi};
}

Estimate rank_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 4) return {0, -1, 1};
  const std::vector<double> rx = ranks_of(x), ry = ranks_of(y);
  const double mean = (static_cast<double>(n) + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (!(sxx > 0 && syy > 0)) return {0, 0, 0};  // a constant: no association to rank
  const double rho = std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
  // Fisher's z with Fieller, Hartley and Pearson's variance for Spearman's rho.
  const double z = std::atanh(std::clamp(rho, -0.999999999, 0.999999999));
  const double half = kZ95 * std::sqrt(1.06 / (static_cast<double>(n) - 3));
  return {rho, std::tanh(z - half), std::tanh(z + half)};
}

}  // namespace tokencast::detail
