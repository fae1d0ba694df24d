#pragma once
// Confidence intervals by sectioning: a statistic computed on each of 20 consecutive runs of
// trials, the spread of those values over sqrt(20) with Student's t (19 degrees of freedom).
// For statistics with no simple standard error (a percentile's change, a variance share); the
// trials are independent, so the sections are too. Under 40 trials the interval is unknown
// (infinite), never significant.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "tokencast/summary.hpp"

namespace tokencast::detail {

inline constexpr int kSections = 20;
inline constexpr double kZ95 = 1.959963984540054;   // two-sided 95% of the normal
inline constexpr double kT19 = 2.093024054408263;   // and of Student's t with 19 degrees of freedom

// The p-quantile of values in any order (as summarize computes it), on a sorted copy.
inline double quantile_of(std::span<const double> values, double p) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return quantile_sorted(sorted, p);
}

struct SectionedInterval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

// `estimate` (over all n trials) +- t * sd / sqrt(20) of section(from, to) over the 20 sections.
template <class SectionStatistic>
SectionedInterval sectioned_interval(double estimate, std::size_t n, SectionStatistic section) {
  const std::size_t per = n / kSections;
  if (per < 2) return {};
  double sum = 0, square = 0;
  for (int s = 0; s < kSections; ++s) {
    const std::size_t from = static_cast<std::size_t>(s) * per;
    const double v = section(from, from + per);
    sum += v;
    square += v * v;
  }
  const double mean = sum / kSections;
  const double sd = std::sqrt(std::max(0.0, (square - kSections * mean * mean) / (kSections - 1)));
  const double half = kT19 * sd / std::sqrt(static_cast<double>(kSections));
  return {estimate - half, estimate + half};
}

}  // namespace tokencast::detail
