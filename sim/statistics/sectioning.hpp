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

// `estimate` (over all n trials) +- t * sd / sqrt(20) of section(from, to) over the 20 sections;
// unknown when a section would hold fewer than `min_per_section` trials (a statistic needs that
// many to be estimated on a section at all).
template <class SectionStatistic>
SectionedInterval sectioned_interval(double estimate, std::size_t n, SectionStatistic section,
                                     std::size_t min_per_section = 2) {
  const std::size_t per = n / kSections;
  if (per < std::max<std::size_t>(min_per_section, 2)) return {};
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

// estimate +- z * standard_error, the normal interval of a mean over n trials; unknown under 40
// trials, where the standard error is itself too rough to trust (as sectioning is).
inline SectionedInterval normal_interval(double estimate, double standard_error, std::size_t n) {
  if (n < 2 * static_cast<std::size_t>(kSections)) return {};
  return {estimate - kZ95 * standard_error, estimate + kZ95 * standard_error};
}

}  // namespace tokencast::detail
