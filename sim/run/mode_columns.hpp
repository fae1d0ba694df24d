#pragma once
// The trial-store columns behind a result's cost modes: a model's serverless, batch and capacity
// costs in the order ModelResult::costs lists them, its cheapest (least mean, as `run` picks it),
// and the columns whose sum per trial is a total. One rule for `check` and `diff`.
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast::detail {

std::vector<std::string> model_cost_columns(const Scenario& scenario, const ModelResult& model);
std::string cheapest_column(const Scenario& scenario, const ModelResult& model);
// Mode::serverless, batch or cheapest_plan.
std::vector<std::string> total_columns(Mode mode, const Scenario& scenario, const RunResult& result);
// Per trial, the sum of the columns (each name with `suffix` appended: ".month[2]").
std::vector<double> column_sum(const TrialStore& store, const std::vector<std::string>& columns,
                               std::string_view suffix = {});

}  // namespace tokencast::detail
