#pragma once
// `tokencast check`: does a scenario's cost stay under a budget at a percentile? The chosen total
// (serverless, batch, or the cheapest plan: each model's cheapest mode by mean, as `run` picks it)
// over the horizon, or each month's, against the budget, with the margin (docs/ci.md).
#include <cstdint>
#include <optional>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

struct BudgetCheckOptions {
  double budget_usd = 0;
  double percentile = 95;           // in (0, 100)
  Mode mode = Mode::cheapest_plan;  // serverless, batch or cheapest_plan
  bool per_month = false;           // every month against the budget, not the horizon's total
  RunOptions run;
};

struct BudgetCheckMonth {
  int month = 1;        // 1-based
  double value_usd = 0;  // the month's cost at the percentile
};

struct BudgetCheck {
  Mode mode = Mode::cheapest_plan;
  double percentile = 95;
  double budget_usd = 0;
  double value_usd = 0;  // the total's (or the worst month's) cost at the percentile
  int worst_month = 0;   // with per_month: the month of value_usd (1-based), else 0
  std::vector<BudgetCheckMonth> months;  // with per_month
  double margin_usd() const { return budget_usd - value_usd; }
  bool over() const { return value_usd > budget_usd; }
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  int months_in_horizon = 1;
};

// Throws UsageError for a mode the scenario does not have (batch without a batch model) and for a
// percentile outside (0, 100).
BudgetCheck check_budget(const Scenario& scenario, const BudgetCheckOptions& options);

}  // namespace tokencast
