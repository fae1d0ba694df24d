#pragma once
// One trial's hours of one reservation, in the form the volume grid's replay bills them at any
// multiple k of their volume: the busiest hours one by one, the others in log-spaced bins of work.
//
// An hour of work W (replica-seconds) and serverless value U (USD) overflows a capacity C by
// W - C, billed at U (W - C) / W. At multiplier k the hour is (kW, kU), so the horizon's overflow
// is k x overflow_usd(C / k). It is exact while C / k is above every binned hour or below all of
// them; otherwise only the bin that C / k falls in is approximated, within
// (e^bin_width - 1) x that bin's dollars (error_bound_usd).
#include <algorithm>
#include <array>
#include <cmath>
#include <span>

namespace tokencast::detail {

struct WorkHour {
  double work;  // replica-seconds
  double serverless_usd;
};

class ReplayHours {
 public:
  static constexpr int busiest_kept = 24;
  static constexpr int bins = 128;

  // From every hour of the trial (reordered in place).
  void build(std::span<WorkHour> hours);

  // Overflow dollars of the hours at capacity `capacity` replica-seconds an hour.
  double overflow_usd(double capacity) const;
  // The most overflow_usd(capacity) can differ from billing every hour.
  double error_bound_usd(double capacity) const;
  // The busiest hour's work.
  double peak_work() const { return kept_ > 0 ? top_[0].work : 0.0; }

 private:
  // The bin holding `capacity`, for low_ < capacity < high_; clamped in floating point before
  // the cast, so no ratio (nor NaN) can index outside the bins.
  int bin_of(double capacity) const {
    const double bin = std::log(high_ / capacity) / width_;
    return bin >= 0.0 ? static_cast<int>(std::min(bin, bins - 1.0)) : 0;
  }

  int kept_;
  std::array<WorkHour, busiest_kept> top_;  // by work, descending
  double low_, high_, width_;               // binned hours' work range, log bin width
  // Running sums over bins 0..j (bin 0 the busiest): dollars, and dollars per replica-second.
  std::array<double, bins> usd_, usd_per_work_;
};

}  // namespace tokencast::detail
