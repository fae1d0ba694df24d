// `tokencast backtest`: the head of a log fitted, the tail's period simulated, and the tail's actual
// figures placed in the simulated distribution, at one origin or at several rolling ones.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "period_scenario.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/log_forecast.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

// 744 hours: the longest period the model has (hours_per_month).
constexpr double kMaxHorizonS = 744 * 3600.0;
constexpr double kMaxWindows = 1e6;

BacktestPoint place(double actual, std::vector<double> simulated) {
  std::sort(simulated.begin(), simulated.end());
  BacktestPoint p;
  p.actual = actual;
  p.p5 = quantile_sorted(simulated, 0.05);
  p.p50 = quantile_sorted(simulated, 0.50);
  p.p95 = quantile_sorted(simulated, 0.95);
  const auto below = std::lower_bound(simulated.begin(), simulated.end(), actual) - simulated.begin();
  const auto at_or_below = std::upper_bound(simulated.begin(), simulated.end(), actual) - simulated.begin();
  p.rank = (0.5 * static_cast<double>(below + at_or_below)) / static_cast<double>(simulated.size());
  return p;
}

}  // namespace

std::string_view to_string(BacktestMetric metric) {
  switch (metric) {
    case BacktestMetric::requests: return "requests";
    case BacktestMetric::input_tokens: return "input_tokens";
    case BacktestMetric::output_tokens: return "output_tokens";
    case BacktestMetric::serverless_usd: return "serverless_usd";
  }
  return "";
}

BacktestResult backtest_logs(const std::vector<std::string>& paths, const BacktestOptions& options,
                             const Catalog& catalog) {
  if (paths.empty()) throw std::invalid_argument("backtest_logs: no log");
  if (options.rolling < 1 || options.rolling > 1000) {
    throw UsageError(fmt::format("--rolling: expected 1..1000 origins (got {})", options.rolling));
  }
  if (!(options.train_fraction > 0 && options.train_fraction < 1)) {
    throw UsageError(fmt::format("--train-fraction: expected a share in (0, 1) (got {:g})", options.train_fraction));
  }
  if (options.trials < 100) throw UsageError(fmt::format("--trials: expected at least 100 (got {})", options.trials));
  const fit::LogSpan span = fit::log_span(paths, options.fit);
  if (span.requests < 2 || !(span.last_s > span.first_s)) {
    throw InputError({paths.front(), 0, 0}, "", "a backtest needs a log of at least two requests spanning some time");
  }
  const double first_origin =
      options.train_until_s ? *options.train_until_s : span.first_s + options.train_fraction * (span.last_s - span.first_s);
  if (!(first_origin > span.first_s && first_origin < span.last_s)) {
    throw UsageError(fmt::format("--train-until: the first origin must fall inside the log, after its first request "
                                 "and before its last (got {:.3f}, the log spans {:.3f} to {:.3f})",
                                 first_origin, span.first_s, span.last_s));
  }
  const double horizon = options.horizon_s.value_or((span.last_s - first_origin) / options.rolling);
  const std::string horizon_from =
      options.horizon_s ? "--horizon" : "--rolling: the horizon (the log after the first origin over --rolling)";
  if (!(horizon > 0) || horizon > kMaxHorizonS) {
    throw UsageError(fmt::format("{}: expected more than 0 s and at most 744 h (got {:g} s)", horizon_from, horizon));
  }
  // The training is cut into windows of the horizon to measure how its level moves.
  if ((span.last_s - span.first_s) / horizon > kMaxWindows) {
    throw UsageError(fmt::format("{}: {:g} s cuts the log's {:.0f} s into more than {:.0e} windows; give a longer one",
                                 horizon_from, horizon, span.last_s - span.first_s, kMaxWindows));
  }
  // The last period may end at the last request (it is included: the window is closed there).
  const double last_end = first_origin + options.rolling * horizon;
  if (last_end > span.last_s + 1e-6 * horizon) {
    throw UsageError(fmt::format("--rolling/--horizon: {} origins of {:g} s from {:.3f} run to {:.3f}, past the log's "
                                 "last request at {:.3f}",
                                 options.rolling, horizon, first_origin, last_end, span.last_s));
  }

  BacktestResult result;
  result.files = paths;
  result.has_clock = span.has_clock;
  result.log_start_s = span.first_s;
  result.log_end_s = span.last_s;
  result.trials = options.trials;
  for (int k = 0; k < options.rolling; ++k) {
    const double origin = first_origin + k * horizon;
    const bool last = k + 1 == options.rolling;
    // The last window takes the last request in, whatever rounding did to its end.
    const double end = last && !options.horizon_s ? std::nextafter(span.last_s, INFINITY) : origin + horizon;
    FitOptions fit_options = options.fit;
    fit_options.until_s = origin;
    if (options.train_window_s) fit_options.from_s = origin - *options.train_window_s;
    const FitResult fit = fit_logs(paths, fit_options, catalog);
    // The level of the period's tokens per request: its own, as much as the training's windows of
    // its length differ, not the training's average.
    const fit::LevelSpread spread = fit::level_spread(
        paths, fit_options, origin, end - origin,
        fit.workloads.size() == 1 ? fit.workloads[0].hourly_weights : std::optional<std::array<double, 24>>());
    Scenario scenario = fit::period_scenario(fit, catalog, origin, end - origin, 1, false, &spread);
    scenario.trials = options.trials;
    scenario.seed = options.seed;
    RunOptions run;
    run.threads = options.threads;
    TrialStore store(scenario, run);
    store.grow(options.trials);
    const auto n = static_cast<std::size_t>(options.trials);
    std::array<std::vector<double>, backtest_metric_count> simulated;
    for (auto& values : simulated) values.assign(n, 0.0);
    for (const WorkloadSpec& w : store.scenario().workloads) {
      const std::string prefix = fmt::format("workload[{}].", w.name);
      const std::array<std::string, 3> columns{prefix + "requests", prefix + "input_tokens", prefix + "output_tokens"};
      for (std::size_t m = 0; m < columns.size(); ++m) {
        const auto column = store.column(columns[m]);
        for (std::size_t t = 0; t < n; ++t) simulated[m][t] += column[t];
      }
    }
    const auto cost = store.column("total.serverless_usd");
    std::copy(cost.begin(), cost.end(), simulated[3].begin());

    const fit::WindowTotals actual = fit::window_totals(paths, options.fit, catalog, origin, end);
    BacktestOrigin o;
    o.origin_s = origin;
    o.horizon_s = end - origin;
    for (const FittedWorkload& w : fit.workloads) o.train_requests += w.requests;
    const std::array<double, backtest_metric_count> actuals{static_cast<double>(actual.requests), actual.input_tokens,
                                                            actual.output_tokens, actual.serverless_usd};
    for (int m = 0; m < backtest_metric_count; ++m) o.points[m] = place(actuals[m], std::move(simulated[m]));
    result.origins.push_back(o);
  }
  for (int m = 0; m < backtest_metric_count; ++m) {
    BacktestCoverage& c = result.coverage[m];
    int compared = 0;  // origins with an actual to divide by
    for (const BacktestOrigin& o : result.origins) {
      const BacktestPoint& p = o.points[m];
      c.covered += p.covered() ? 1 : 0;
      if (p.actual > 0) {
        c.p50_mean_abs_error += std::abs(p.p50 / p.actual - 1);
        c.p50_mean_error += p.p50 / p.actual - 1;
        ++compared;
      }
    }
    c.p50_mean_abs_error = compared > 0 ? c.p50_mean_abs_error / compared : 0.0;
    c.p50_mean_error = compared > 0 ? c.p50_mean_error / compared : 0.0;
  }
  return result;
}

}  // namespace tokencast
