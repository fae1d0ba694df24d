#pragma once
// The shape of traffic over a month: a daily profile, a weekend factor, and a calendar that says
// which hours of a month fall on which hour of day and day of week.
#include <array>

namespace tokencast {

using DailyShape = std::array<double, 24>;  // mean 1 over the 24 hours of a day

// exp(k cos(2 pi (h - peak_hour) / 24)) normalised to mean 1, with k chosen (Boost.Math TOMS 748)
// so that max/mean = peak_to_mean. Positive everywhere; peak_to_mean must lie in [1, 24).
DailyShape daily_shape(double peak_to_mean, int peak_hour);
// Any 24 non-negative weights (not all 0), normalised to mean 1.
DailyShape daily_shape_from_weights(const std::array<double, 24>& weights);

// Hours run continuously across the horizon: absolute hour t = month * hours_per_month + h,
// hour of day t mod 24, day t / 24, days 6 and 7 of each week (day mod 7 in {5, 6}) are weekend.
inline int hour_of_day(long absolute_hour) { return static_cast<int>(absolute_hour % 24); }
inline bool is_weekend(long absolute_hour) { return (absolute_hour / 24) % 7 >= 5; }

// How many hours of month `month` (0-based) fall on each hour of day, on weekdays and weekends.
struct MonthCalendar {
  std::array<int, 24> weekday_hours{};
  std::array<int, 24> weekend_hours{};
};
MonthCalendar month_calendar(int month, int hours_per_month);

// Weights w_h of each hour of one month, summing to 1 over the month: w_h = shape[hod] x
// (weekend ? weekend_factor : 1) / norm.
struct MonthProfile {
  std::array<double, 24> weekday_weight{};
  std::array<double, 24> weekend_weight{};
  double sum_squared_weights = 0;  // sum over the month's hours of w_h^2
  double max_day_share = 0;        // largest share of the month's requests falling in one whole day

  double weight(long absolute_hour) const {
    const int hod = hour_of_day(absolute_hour);
    return is_weekend(absolute_hour) ? weekend_weight[hod] : weekday_weight[hod];
  }
};
MonthProfile month_profile(const DailyShape& shape, double weekend_factor, const MonthCalendar& calendar);

}  // namespace tokencast
