#include "replay_hours.hpp"

namespace tokencast::detail {

void ReplayHours::build(std::span<WorkHour> hours) {
  // Hours without work cost nothing and never overflow.
  auto end = std::partition(hours.begin(), hours.end(), [](const WorkHour& h) { return h.work > 0; });
  const auto busy = static_cast<std::size_t>(end - hours.begin());
  const std::size_t kept = std::min<std::size_t>(busiest_kept, busy);
  auto by_work = [](const WorkHour& a, const WorkHour& b) { return a.work > b.work; };
  std::partial_sort(hours.begin(), hours.begin() + static_cast<std::ptrdiff_t>(kept), end, by_work);
  kept_ = static_cast<int>(kept);
  std::copy_n(hours.begin(), kept, top_.begin());
  usd_.fill(0.0);
  usd_per_work_.fill(0.0);
  low_ = high_ = 0.0;
  width_ = 1.0;
  const auto rest = hours.subspan(kept, busy - kept);
  if (rest.empty()) return;
  low_ = high_ = rest[0].work;
  for (const WorkHour& h : rest) {
    low_ = std::min(low_, h.work);
    high_ = std::max(high_, h.work);
  }
  if (high_ > low_) width_ = std::log(high_ / low_) / bins;
  if (!(width_ > 0.0) || !std::isfinite(width_)) width_ = 1.0;
  for (const WorkHour& h : rest) {
    const int j = high_ > low_ ? bin_of(std::max(h.work, low_)) : 0;
    usd_[static_cast<std::size_t>(j)] += h.serverless_usd;
    usd_per_work_[static_cast<std::size_t>(j)] += h.serverless_usd / h.work;
  }
  for (int j = 1; j < bins; ++j) {
    usd_[static_cast<std::size_t>(j)] += usd_[static_cast<std::size_t>(j - 1)];
    usd_per_work_[static_cast<std::size_t>(j)] += usd_per_work_[static_cast<std::size_t>(j - 1)];
  }
}

double ReplayHours::overflow_usd(double capacity) const {
  double usd = 0;
  for (int i = 0; i < kept_ && top_[static_cast<std::size_t>(i)].work > capacity; ++i) {
    const WorkHour& h = top_[static_cast<std::size_t>(i)];
    usd += h.serverless_usd * (h.work - capacity) / h.work;
  }
  if (capacity >= high_) return usd;
  // Every binned hour overflows: U (W - C) / W summed is sum U - C sum U / W.
  if (capacity <= low_) return usd + usd_[bins - 1] - capacity * usd_per_work_[bins - 1];
  const int j = bin_of(capacity);
  const auto above = static_cast<std::size_t>(j);
  // Bins before j are all above the capacity: exact.
  if (j > 0) usd += usd_[above - 1] - capacity * usd_per_work_[above - 1];
  // Bin j straddles it: its hours taken as if all overflowed, floored at zero.
  const double bin_usd = usd_[above] - (j > 0 ? usd_[above - 1] : 0.0);
  const double bin_per_work = usd_per_work_[above] - (j > 0 ? usd_per_work_[above - 1] : 0.0);
  return usd + std::max(0.0, bin_usd - capacity * bin_per_work);
}

double ReplayHours::error_bound_usd(double capacity) const {
  if (capacity >= high_ || capacity <= low_) return 0.0;
  const int j = bin_of(capacity);
  const auto at = static_cast<std::size_t>(j);
  const double bin_usd = usd_[at] - (j > 0 ? usd_[at - 1] : 0.0);
  return std::expm1(width_) * bin_usd;
}

}  // namespace tokencast::detail
