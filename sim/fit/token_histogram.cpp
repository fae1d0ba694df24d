#include "token_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tokencast::fit {
namespace {

constexpr std::size_t kExact = 4096;
constexpr double kRatio = 1.002;
constexpr double kMaxTokens = 1e9;
const double kLogRatio = std::log(kRatio);
// Wide bins from kExact - 1/2 up past 1e9.
const auto kWide = static_cast<std::size_t>(std::ceil(std::log((kMaxTokens + 1) / (kExact - 0.5)) / kLogRatio)) + 1;

}  // namespace

TokenHistogram::TokenHistogram() : counts_(kExact + kWide, 0) {}

void TokenHistogram::add(double tokens) {
  if (!(tokens >= 0 && tokens <= kMaxTokens)) throw std::invalid_argument("TokenHistogram: tokens outside [0, 1e9]");
  std::size_t bin = 0;
  if (tokens < kExact) {
    bin = static_cast<std::size_t>(tokens);
  } else {
    bin = kExact + std::min(kWide - 1, static_cast<std::size_t>(std::log(tokens / (kExact - 0.5)) / kLogRatio));
  }
  ++counts_[bin];
  ++total_;
}

double TokenHistogram::lower(std::size_t bin) const {
  if (bin < kExact) return std::max(0.0, static_cast<double>(bin) - 0.5);
  return (kExact - 0.5) * std::pow(kRatio, static_cast<double>(bin - kExact));
}

double TokenHistogram::upper(std::size_t bin) const {
  if (bin < kExact) return static_cast<double>(bin) + 0.5;
  return (kExact - 0.5) * std::pow(kRatio, static_cast<double>(bin - kExact + 1));
}

std::size_t TokenHistogram::first_bin() const {
  std::size_t i = 0;
  while (i + 1 < counts_.size() && counts_[i] == 0) ++i;
  return i;
}

std::size_t TokenHistogram::last_bin() const {
  std::size_t i = counts_.size() - 1;
  while (i > 0 && counts_[i] == 0) --i;
  return i;
}

double TokenHistogram::continuized_quantile(double p) const {
  if (total_ == 0) throw std::invalid_argument("TokenHistogram: no data");
  const double target = std::clamp(p, 0.0, 1.0) * static_cast<double>(total_);
  const std::size_t first = first_bin(), last = last_bin();
  if (target <= 0) return lower(first);
  double below = 0;
  for (std::size_t i = first; i <= last; ++i) {
    const auto c = static_cast<double>(counts_[i]);
    if (c > 0 && below + c >= target) return lower(i) + (upper(i) - lower(i)) * (target - below) / c;
    below += c;
  }
  return upper(last);
}

double TokenHistogram::continuized_mean_above(double x) const {
  double mass = 0, moment = 0;
  for (std::size_t i = first_bin(), last = last_bin(); i <= last; ++i) {
    const double lo = lower(i), hi = upper(i);
    if (hi <= x || counts_[i] == 0) continue;
    const double from = std::max(lo, x);
    const double part = static_cast<double>(counts_[i]) * (hi - from) / (hi - lo);
    mass += part;
    moment += part * 0.5 * (from + hi);
  }
  return mass > 0 ? moment / mass : x;
}

double TokenHistogram::quantile(double p) const {
  if (total_ == 0) throw std::invalid_argument("TokenHistogram: no data");
  const double target = std::clamp(p, 0.0, 1.0) * static_cast<double>(total_);
  double below = 0;
  const std::size_t last = last_bin();
  for (std::size_t i = first_bin(); i <= last; ++i) {
    below += static_cast<double>(counts_[i]);
    if (counts_[i] > 0 && below >= target) return i < kExact ? static_cast<double>(i) : std::sqrt(lower(i) * upper(i));
  }
  return last < kExact ? static_cast<double>(last) : std::sqrt(lower(last) * upper(last));
}

}  // namespace tokencast::fit
