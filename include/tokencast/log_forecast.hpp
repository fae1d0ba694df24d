#pragma once
// From a log to what comes next (docs/fitting.md, "Backtests" and "Forecasts"): `backtest` fits the
// head of a log and simulates the tail's period, to see where the tail's actual figures fall in the
// simulated distribution; `forecast` adds a simulated remainder of the month, fitted on the log, to
// the month-to-date spend the log shows.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokencast/catalog.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/results.hpp"

namespace tokencast {

struct BacktestOptions {
  FitOptions fit;
  // The first origin: a share of the log's span, or a time (seconds on the log's clock).
  double train_fraction = 0.5;
  std::optional<double> train_until_s;
  int rolling = 1;                   // origins, each a horizon after the one before
  std::optional<double> horizon_s;   // default: from the first origin to the log's end, over `rolling`
  std::optional<double> train_window_s;  // the training: this long before each origin (default: all before it)
  std::int64_t trials = 2000;
  std::uint64_t seed = 1;
  int threads = 0;
};

// The figures a backtest compares, in this order.
enum class BacktestMetric { requests, input_tokens, output_tokens, serverless_usd };
inline constexpr int backtest_metric_count = 4;
std::string_view to_string(BacktestMetric metric);

struct BacktestPoint {
  double actual = 0;
  double p5 = 0, p50 = 0, p95 = 0;
  double rank = 0;  // share of trials below the actual (ties count half)
  bool covered() const { return actual >= p5 && actual <= p95; }
};

struct BacktestOrigin {
  double origin_s = 0, horizon_s = 0;  // the test period [origin, origin + horizon)
  std::uint64_t train_requests = 0;
  std::array<BacktestPoint, backtest_metric_count> points;
};

struct BacktestCoverage {
  int covered = 0;                  // origins whose actual fell in p5..p95
  double p50_mean_abs_error = 0;    // mean |p50 / actual - 1|
  double p50_mean_error = 0;        // mean (p50 / actual - 1): the bias
};

struct BacktestResult {
  std::vector<std::string> files;
  bool has_clock = false;
  double log_start_s = 0, log_end_s = 0;
  std::int64_t trials = 0;
  std::vector<BacktestOrigin> origins;
  std::array<BacktestCoverage, backtest_metric_count> coverage;
};

BacktestResult backtest_logs(const std::vector<std::string>& paths, const BacktestOptions& options,
                             const Catalog& catalog);

struct ForecastOptions {
  FitOptions fit;
  double budget_usd = 0;
  std::optional<std::string> period;  // "YYYY-MM"; default: the month of the log's last request
  std::int64_t trials = 2000;
  std::uint64_t seed = 1;
  int threads = 0;
};

// Cumulative serverless spend at the end of one day of the month, over the trials.
struct ForecastDay {
  std::string date;  // YYYY-MM-DD
  bool actual = false;   // the log's own spend
  bool partial = false;  // an actual day the log ends in: its spend up to the last request
  double p5 = 0, p25 = 0, p50 = 0, p75 = 0, p95 = 0;
};

struct ForecastResult {
  std::vector<std::string> files;
  std::string period;  // YYYY-MM
  double budget_usd = 0;
  double as_of_s = 0;   // the log's last request
  double month_start_s = 0, month_end_s = 0;
  std::uint64_t month_to_date_requests = 0;
  double month_to_date_usd = 0;
  double remaining_hours = 0;
  std::int64_t trials = 0;
  Summary month_end_usd;
  double p_over_budget = 0;
  std::vector<ForecastDay> days;
  std::optional<std::string> p50_crosses, p95_crosses;  // the day the path first reaches the budget
  std::string scenario_toml;  // what the remainder was simulated from
};

ForecastResult forecast_logs(const std::vector<std::string>& paths, const ForecastOptions& options,
                             const Catalog& catalog);

}  // namespace tokencast
