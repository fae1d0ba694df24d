#include "tokencast/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <boost/math/tools/roots.hpp>

namespace tokencast {
namespace {

// exp(k cos(2 pi (h - peak) / 24)) for the 24 hours, not normalised.
DailyShape von_mises_hours(double k, int peak_hour) {
  DailyShape shape{};
  for (int h = 0; h < 24; ++h) {
    const double angle = 2.0 * std::numbers::pi * (h - peak_hour) / 24.0;
    shape[h] = std::exp(k * (std::cos(angle) - 1.0));  // -1 keeps the values in (0, 1]
  }
  return shape;
}

double peak_to_mean_of(const DailyShape& shape) {
  double sum = 0, peak = 0;
  for (double v : shape) {
    sum += v;
    peak = std::max(peak, v);
  }
  return peak / (sum / 24.0);
}

DailyShape normalised(DailyShape shape) {
  double sum = 0;
  for (double v : shape) sum += v;
  for (double& v : shape) v *= 24.0 / sum;
  return shape;
}

}  // namespace

DailyShape daily_shape(double peak_to_mean, int peak_hour) {
  if (!(peak_to_mean >= 1.0 && peak_to_mean < 24.0)) {
    throw std::invalid_argument("daily_shape: peak_to_mean must lie in [1, 24)");
  }
  peak_hour = ((peak_hour % 24) + 24) % 24;
  if (peak_to_mean == 1.0) return normalised(von_mises_hours(0.0, peak_hour));

  // max/mean grows monotonically from 1 (k = 0) towards 24 (k -> inf); bracket and solve.
  auto excess = [&](double k) { return peak_to_mean_of(von_mises_hours(k, peak_hour)) - peak_to_mean; };
  double hi = 1.0;
  while (excess(hi) < 0 && hi < 1e6) hi *= 2;
  boost::math::tools::eps_tolerance<double> tolerance(50);
  std::uintmax_t iterations = 200;
  const auto [a, b] = boost::math::tools::toms748_solve(excess, 0.0, hi, tolerance, iterations);
  return normalised(von_mises_hours(0.5 * (a + b), peak_hour));
}

DailyShape daily_shape_from_weights(const std::array<double, 24>& weights) {
  double largest = 0, sum = 0;
  for (double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) throw std::invalid_argument("hourly weights must be finite and >= 0");
    largest = std::max(largest, w);
    sum += w;
  }
  if (!(largest > 0)) throw std::invalid_argument("hourly weights must not all be 0");
  if (std::isfinite(sum) && std::isfinite(24.0 / sum)) return normalised(weights);
  // The sum of weights near the largest double overflows, and 24 over the sum of weights near the
  // smallest one does: scaled to at most 1 first, they normalise in range.
  DailyShape scaled = weights;
  for (double& w : scaled) w /= largest;
  return normalised(scaled);
}

MonthCalendar month_calendar(int month, int hours_per_month) {
  MonthCalendar calendar;
  const long first = static_cast<long>(month) * hours_per_month;
  for (long t = first; t < first + hours_per_month; ++t) {
    auto& counts = is_weekend(t) ? calendar.weekend_hours : calendar.weekday_hours;
    ++counts[hour_of_day(t)];
  }
  return calendar;
}

MonthProfile month_profile(const DailyShape& shape, double weekend_factor, const MonthCalendar& calendar) {
  double norm = 0, squares = 0;
  auto sum_weights = [&] {
    norm = squares = 0;
    for (int h = 0; h < 24; ++h) {
      const double weekend = shape[h] * weekend_factor;
      norm += shape[h] * calendar.weekday_hours[h] + weekend * calendar.weekend_hours[h];
      squares += shape[h] * shape[h] * calendar.weekday_hours[h] + weekend * weekend * calendar.weekend_hours[h];
    }
  };
  sum_weights();
  if (!(norm > 0)) {
    // A month of weekend hours only, at weekend_factor 0: spread its volume as on weekdays instead.
    weekend_factor = 1.0;
    sum_weights();
  }
  if (!(norm > 0) || !std::isfinite(norm) || !std::isfinite(squares)) {
    throw std::invalid_argument("month_profile: the daily shape gives the month no finite, positive weight");
  }
  MonthProfile profile;
  for (int h = 0; h < 24; ++h) {
    profile.weekday_weight[h] = shape[h] / norm;
    profile.weekend_weight[h] = shape[h] * weekend_factor / norm;
  }
  profile.sum_squared_weights = squares / (norm * norm);
  // A whole weekday carries sum(shape) = 24 before normalisation, a weekend day 24 x factor.
  profile.max_day_share = 24.0 * std::max(1.0, weekend_factor) / norm;
  return profile;
}

}  // namespace tokencast
