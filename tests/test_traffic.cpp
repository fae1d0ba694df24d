#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "tokencast/traffic.hpp"

using namespace tokencast;

TEST_CASE("daily shape has mean 1, the asked peak-to-mean, and peaks at peak_hour", "[traffic]") {
  for (double ratio : {1.0, 1.3, 2.0, 3.5, 8.0, 20.0}) {
    for (int peak : {0, 9, 14, 23}) {
      const DailyShape s = daily_shape(ratio, peak);
      const double sum = std::accumulate(s.begin(), s.end(), 0.0);
      CHECK(sum / 24.0 == Approx(1.0).epsilon(1e-12));
      const auto max_it = std::max_element(s.begin(), s.end());
      CHECK(*max_it == Approx(ratio).epsilon(1e-9));
      if (ratio > 1.0) CHECK(max_it - s.begin() == peak);
      CHECK(*std::min_element(s.begin(), s.end()) > 0.0);
    }
  }
  CHECK_THROWS(daily_shape(0.5, 3));
  CHECK_THROWS(daily_shape(24.0, 3));
}

TEST_CASE("hourly weights are normalised to mean 1", "[traffic]") {
  std::array<double, 24> w{};
  w[2] = 3;
  w[3] = 1;
  const DailyShape s = daily_shape_from_weights(w);
  CHECK(s[2] == Approx(18.0));
  CHECK(s[3] == Approx(6.0));
  CHECK(s[0] == 0.0);
  CHECK_THROWS(daily_shape_from_weights(std::array<double, 24>{}));
}

TEST_CASE("month calendar counts every hour once, weekends on days 6 and 7", "[traffic]") {
  const MonthCalendar c = month_calendar(0, 730);
  int weekday = 0, weekend = 0;
  for (int h = 0; h < 24; ++h) {
    weekday += c.weekday_hours[h];
    weekend += c.weekend_hours[h];
  }
  CHECK(weekday + weekend == 730);
  // 730 hours = 30 days + 10 hours from day 0: days 5, 6, 12, 13, 19, 20, 26, 27 are weekend.
  CHECK(weekend == 8 * 24);
  CHECK(c.weekday_hours[0] == 31 - 8);  // days 0..30 contain hour 0 of 31 days (30 full + day 30 partial)
}

TEST_CASE("month profile weights sum to 1 and match a direct computation", "[traffic]") {
  const int hours = 730;
  for (int month : {0, 1, 5}) {
    const DailyShape shape = daily_shape(2.5, 14);
    const MonthProfile p = month_profile(shape, 0.6, month_calendar(month, hours));
    double sum = 0, squares = 0;
    std::vector<double> per_day(40, 0.0);
    const long first = static_cast<long>(month) * hours;
    for (long t = first; t < first + hours; ++t) {
      const double w = p.weight(t);
      sum += w;
      squares += w * w;
      per_day[static_cast<std::size_t>(t / 24 - first / 24)] += w;
    }
    CHECK(sum == Approx(1.0).epsilon(1e-12));
    CHECK(p.sum_squared_weights == Approx(squares).epsilon(1e-12));
    // Whole days only: the first and last day of the month may be partial.
    double max_whole = 0;
    for (long d = (first + 23) / 24; (d + 1) * 24 <= first + hours; ++d) {
      max_whole = std::max(max_whole, per_day[static_cast<std::size_t>(d - first / 24)]);
    }
    CHECK(p.max_day_share == Approx(max_whole).epsilon(1e-12));
    // Weekend hours carry 0.6 of the weekday weight at the same hour of day.
    CHECK(p.weekend_weight[14] == Approx(0.6 * p.weekday_weight[14]));
  }
}
