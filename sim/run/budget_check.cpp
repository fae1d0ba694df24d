// `tokencast check`: the chosen total's percentile against a budget, from the trial store's
// columns (any percentile, each month's too), the cheapest plan rebuilt as `run` picks it.
#include "tokencast/budget_check.hpp"

#include "mode_columns.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

double percentile_of(const TrialStore& store, const std::vector<std::string>& columns, const std::string& suffix,
                     double p) {
  std::vector<double> total = detail::column_sum(store, columns, suffix);
  std::sort(total.begin(), total.end());
  return quantile_sorted(total, p);
}

}  // namespace

BudgetCheck check_budget(const Scenario& scenario, const BudgetCheckOptions& options) {
  if (!(options.percentile > 0 && options.percentile < 100)) {
    throw UsageError(fmt::format("--percentile: expected a number in (0, 100) (got {:g})", options.percentile));
  }
  if (!(options.budget_usd >= 0) || !std::isfinite(options.budget_usd)) {
    throw UsageError(fmt::format("--budget: expected an amount in USD >= 0 (got {:g})", options.budget_usd));
  }
  if (options.mode != Mode::serverless && options.mode != Mode::batch && options.mode != Mode::cheapest_plan) {
    throw UsageError("--mode: expected serverless, batch or cheapest_plan");
  }
  if (options.per_month && scenario.months < 2) {
    throw UsageError("--per-month: the scenario's horizon is one month: leave it out");
  }
  RunOptions run = options.run;
  run.precision = 0;
  // Every month's column is read with --per-month: all held at once (the run's memory limit stays).
  if (options.per_month) run.monthly_storage_bytes = max_run_bytes;
  TrialStore store(scenario, run);
  if (options.mode == Mode::batch && !store.layout().find("total.batch_usd")) {
    throw UsageError("--mode batch: no workload of the scenario can use a batch mode (batchable on a model with a "
                     "batch_discount)");
  }
  store.grow(run.trials.value_or(scenario.trials));
  const RunResult summary = store.summarize();
  const std::vector<std::string> columns = detail::total_columns(options.mode, scenario, summary);

  BudgetCheck check;
  check.mode = options.mode;
  check.percentile = options.percentile;
  check.budget_usd = options.budget_usd;
  check.trials = summary.trials;
  check.seed = summary.seed;
  check.months_in_horizon = scenario.months;
  const double p = options.percentile / 100;
  if (!options.per_month) {
    check.value_usd = percentile_of(store, columns, "", p);
    return check;
  }
  for (int m = 1; m <= scenario.months; ++m) {
    const double value = percentile_of(store, columns, fmt::format(".month[{}]", m), p);
    check.months.push_back({m, value});
    if (m == 1 || value > check.value_usd) {
      check.value_usd = value;
      check.worst_month = m;
    }
  }
  return check;
}

}  // namespace tokencast
