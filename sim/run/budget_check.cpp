// `tokencast check`: the chosen total's percentile against a budget, from the trial store's
// columns (any percentile, each month's too), the cheapest plan rebuilt as `run` picks it.
#include "tokencast/budget_check.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

// The columns (by name, without a month) whose sum per trial is the chosen mode's total.
std::vector<std::string> columns_of(Mode mode, const Scenario& scenario, const RunResult& summary) {
  if (mode == Mode::serverless) return {"total.serverless_usd"};
  if (mode == Mode::batch) return {"total.batch_usd"};
  // The cheapest plan: each model's mode of least mean cost, in the order run lists them
  // (serverless, batch, then its dedicated and its gpu_cluster options in the scenario's order).
  std::vector<std::string> columns;
  for (const ModelResult& m : summary.models) {
    std::vector<std::string> names{fmt::format("model[{}].serverless_usd", m.model)};
    if (m.costs.size() > 1 && m.costs[1].mode == Mode::batch) names.push_back(fmt::format("model[{}].batch_usd", m.model));
    for (const CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
      for (const CapacitySpec& c : scenario.capacity) {
        if (c.model == m.model && c.kind == kind) names.push_back(fmt::format("capacity[{}].cost_usd", c.name));
      }
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < m.costs.size() && i < names.size(); ++i) {
      if (m.costs[i].total_usd.mean < m.costs[best].total_usd.mean) best = i;
    }
    columns.push_back(names[best]);
  }
  return columns;
}

double percentile_of(const TrialStore& store, const std::vector<std::string>& columns, const std::string& suffix,
                     double p) {
  std::vector<double> total(static_cast<std::size_t>(store.trials()), 0.0);
  for (const std::string& name : columns) {
    const auto values = store.column(name + suffix);
    for (std::size_t t = 0; t < total.size(); ++t) total[t] += values[t];
  }
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
  run.monthly_storage_bytes = max_run_bytes;
  TrialStore store(scenario, run);
  if (options.mode == Mode::batch && !store.layout().find("total.batch_usd")) {
    throw UsageError("--mode batch: no workload of the scenario can use a batch mode (batchable on a model with a "
                     "batch_discount)");
  }
  store.grow(run.trials.value_or(scenario.trials));
  const RunResult summary = store.summarize();
  const std::vector<std::string> columns = columns_of(options.mode, scenario, summary);

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
