#pragma once
// What backtests and forecasts share: the log's span, its actual totals over a window, and a fitted
// scenario projected onto a period that starts at a given time (docs/fitting.md, "Backtests").
#include <array>
#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "tokencast/catalog.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast::fit {

struct LogSpan {
  double first_s = 0, last_s = 0;
  std::uint64_t requests = 0;
  bool has_clock = true;
};
// One pass over the logs (in time order): the first and last request times.
LogSpan log_span(const std::vector<std::string>& paths, const FitOptions& options);

// The requests of [from_s, until_s), each priced at its model's serverless rates (the catalog's,
// or --model's).
struct WindowTotals {
  std::uint64_t requests = 0;
  double input_tokens = 0, output_tokens = 0, serverless_usd = 0;
};
// `each`, when set, sees every request in the window with its cost.
WindowTotals window_totals(const std::vector<std::string>& paths, const FitOptions& options, const Catalog& catalog,
                           double from_s, double until_s,
                           const std::function<void(double at_s, double usd)>& each = {});

// The daily shape's integral over [from, to): seconds weighted by their hour of day's weight (UTC),
// plain seconds without a shape.
double shaped_seconds(double from_s, double to_s, const std::optional<std::array<double, 24>>& shape);

// How far the windows of `window_s` before `until_s` fall from what the windows before each
// predicted (their average), relative to it: for tokens per request beyond the sampling error (a
// relative sd), and for the request count the mean squared relative error itself (the period's
// count variance is taken out where it is known); 0 with under 3 windows to predict.
struct LevelSpread {
  double input = 0, output = 0;
  double count_error2 = 0;
};
// `shape`, when given, is the fitted daily shape (mean 1, by hour of day UTC): a window's expected
// count follows it.
LevelSpread level_spread(const std::vector<std::string>& paths, const FitOptions& options, double until_s,
                         double window_s, const std::optional<std::array<double, 24>>& shape);

// The fitted scenario as `months` periods of `period_s` each, the first starting at `start_s`:
// each workload's volume is its fitted rate over the period (through its daily shape, turned so
// that the period's first hour is start_s's hour of day); the weekend factor is left out. A period
// under an hour has one hour of the model, and the burst factor whose variance is the count's
// over-dispersion at that window (the index of dispersion the fit measured, or its on/off process's).
// `daily_growth` turns a fitted monthly growth into the growth of day-long periods.
// `spread`, when given, widens each workload's token-law level (mean or scale) to at least it: the
// period's own level, not the fit's average one.
Scenario period_scenario(const FitResult& fit, const Catalog& catalog, double start_s, double period_s, int months,
                         bool daily_growth, const LevelSpread* spread = nullptr);

}  // namespace tokencast::fit
