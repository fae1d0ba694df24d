// `tokencast forecast`: the month-to-date spend a log shows, plus the rest of the month simulated
// from a fit of the log, in 24-hour steps from its last request (docs/fitting.md, "Forecasts").
#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>

#include <fmt/format.h>

#include "period_scenario.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/log_forecast.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

constexpr double kDayS = 86400.0;

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
struct Civil {
  std::int64_t y;
  unsigned m, d;
};
Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}
std::string date_of(double at_s) {
  const Civil c = civil_from_days(static_cast<std::int64_t>(std::floor(at_s / kDayS)));
  return fmt::format("{:04}-{:02}-{:02}", c.y, c.m, c.d);
}

}  // namespace

ForecastResult forecast_logs(const std::vector<std::string>& paths, const ForecastOptions& options,
                             const Catalog& catalog) {
  if (paths.empty()) throw std::invalid_argument("forecast_logs: no log");
  if (!(options.budget_usd > 0) || !std::isfinite(options.budget_usd)) {
    throw UsageError(fmt::format("--budget: expected a positive amount in USD (got {:g})", options.budget_usd));
  }
  if (options.trials < 100) throw UsageError(fmt::format("--trials: expected at least 100 (got {})", options.trials));
  const fit::LogSpan span = fit::log_span(paths, options.fit);
  if (span.requests < 2 || !(span.last_s > span.first_s)) {
    throw InputError({paths.front(), 0, 0}, "", "a forecast needs a log of at least two requests spanning some time");
  }
  if (!span.has_clock) {
    throw InputError({paths.front(), 0, 0}, "",
                     "a forecast needs a log on the calendar clock (dates or epoch seconds), not relative times");
  }
  ForecastResult result;
  result.files = paths;
  result.budget_usd = options.budget_usd;
  result.as_of_s = span.last_s;
  // The period: YYYY-MM, by default the month of the log's last request.
  std::int64_t year = 0;
  unsigned month = 0;
  if (options.period) {
    int y = 0, m = 0;
    char tail = 0;
    const std::string& p = *options.period;
    const bool digits = p.size() == 7 && p[4] == '-' &&
                        std::all_of(p.begin(), p.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
                        std::isdigit(static_cast<unsigned char>(p[5])) && std::isdigit(static_cast<unsigned char>(p[6]));
    if (!digits || std::sscanf(p.c_str(), "%4d-%2d%c", &y, &m, &tail) != 2 || m < 1 || m > 12) {
      throw UsageError(fmt::format("--period: expected a month as YYYY-MM (got '{}')", *options.period));
    }
    year = y;
    month = static_cast<unsigned>(m);
  } else {
    const Civil c = civil_from_days(static_cast<std::int64_t>(std::floor(span.last_s / kDayS)));
    year = c.y;
    month = c.m;
  }
  result.period = fmt::format("{:04}-{:02}", year, month);
  result.month_start_s = static_cast<double>(days_from_civil(year, month, 1)) * kDayS;
  result.month_end_s =
      static_cast<double>(days_from_civil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1)) * kDayS;
  if (span.last_s >= result.month_end_s) {
    throw UsageError(fmt::format("--period: the log runs past {} (its last request is on {}): nothing is left to "
                                 "forecast; give a later month",
                                 result.period, date_of(span.last_s)));
  }

  // Month to date, by calendar day.
  const auto month_days = static_cast<std::size_t>(std::lround((result.month_end_s - result.month_start_s) / kDayS));
  std::vector<double> day_usd(month_days, 0.0);
  const fit::WindowTotals to_date = fit::window_totals(
      paths, options.fit, catalog, result.month_start_s, result.month_end_s, [&](double at, double usd) {
        day_usd[static_cast<std::size_t>(std::floor((at - result.month_start_s) / kDayS))] += usd;
      });
  result.month_to_date_requests = to_date.requests;
  result.month_to_date_usd = to_date.serverless_usd;

  // The remainder in 24-hour steps from the last request (or the month's start); the last step,
  // cut by the month's end, counts for its share of a day.
  const double start = std::max(span.last_s, result.month_start_s);
  const double remaining_s = result.month_end_s - start;
  result.remaining_hours = remaining_s / 3600;
  const int steps = std::max(1, static_cast<int>(std::ceil(remaining_s / kDayS - 1e-9)));
  const FitResult fit = fit_logs(paths, options.fit, catalog);
  // The last step's share of its day: the part of the daily shape before the month's end (one
  // workload's shape; flat for several).
  const std::optional<std::array<double, 24>> shape =
      fit.workloads.size() == 1 ? fit.workloads[0].hourly_weights : std::nullopt;
  const double last_start = start + (steps - 1) * kDayS;
  const double last_share = fit::shaped_seconds(last_start, result.month_end_s, shape) /
                            fit::shaped_seconds(last_start, last_start + kDayS, shape);
  Scenario scenario = fit::period_scenario(fit, catalog, start, kDayS, steps, true);
  scenario.trials = options.trials;
  scenario.seed = options.seed;
  result.scenario_toml = fit.scenario_toml;
  RunOptions run;
  run.threads = options.threads;
  // Every day's column is read: all of them held at once (the run's memory limit still applies).
  run.monthly_storage_bytes = max_run_bytes;
  TrialStore store(scenario, run);
  store.grow(options.trials);
  result.trials = options.trials;

  // Actual days: every calendar day of the month up to the last request's.
  const auto n = static_cast<std::size_t>(options.trials);
  double actual_cumulative = 0;
  std::optional<std::string> actual_crossing;
  const double as_of_day = std::floor((start - result.month_start_s) / kDayS);
  for (std::size_t d = 0; d < month_days && static_cast<double>(d) <= as_of_day && span.last_s >= result.month_start_s;
       ++d) {
    actual_cumulative += day_usd[d];
    ForecastDay day;
    day.date = date_of(result.month_start_s + static_cast<double>(d) * kDayS);
    day.actual = true;
    day.partial = static_cast<double>(d) == as_of_day;  // up to the last request only
    day.p5 = day.p25 = day.p50 = day.p75 = day.p95 = actual_cumulative;
    if (!actual_crossing && actual_cumulative >= options.budget_usd) actual_crossing = day.date;
    result.days.push_back(day);
  }
  // Simulated steps, each labelled with the day it ends on.
  std::vector<double> cumulative(n, result.month_to_date_usd), sorted(n);
  for (int k = 0; k < steps; ++k) {
    const auto column =
        store.column(steps == 1 ? std::string("total.serverless_usd") : fmt::format("total.serverless_usd.month[{}]", k + 1));
    const double share = k + 1 == steps ? last_share : 1.0;
    for (std::size_t t = 0; t < n; ++t) cumulative[t] += share * column[t];
    sorted = cumulative;
    std::sort(sorted.begin(), sorted.end());
    ForecastDay day;
    day.date = date_of(std::min(start + (k + 1) * kDayS, result.month_end_s) - 1.0);
    day.p5 = quantile_sorted(sorted, 0.05);
    day.p25 = quantile_sorted(sorted, 0.25);
    day.p50 = quantile_sorted(sorted, 0.50);
    day.p75 = quantile_sorted(sorted, 0.75);
    day.p95 = quantile_sorted(sorted, 0.95);
    if (!result.p50_crosses && day.p50 >= options.budget_usd) result.p50_crosses = day.date;
    if (!result.p95_crosses && day.p95 >= options.budget_usd) result.p95_crosses = day.date;
    // A last step of a few seconds ends on the day the one before did: one entry for that day.
    if (!result.days.empty() && !result.days.back().actual && result.days.back().date == day.date) {
      result.days.back() = day;
    } else {
      result.days.push_back(day);
    }
  }
  if (actual_crossing) result.p50_crosses = result.p95_crosses = actual_crossing;
  result.month_end_usd = summarize(cumulative);
  result.p_over_budget =
      static_cast<double>(std::count_if(cumulative.begin(), cumulative.end(),
                                        [&](double usd) { return usd > options.budget_usd; })) /
      static_cast<double>(n);
  return result;
}

}  // namespace tokencast
