#pragma once
// The trial-store columns behind a result's cost modes: a model's serverless, batch and capacity
// costs in the order ModelResult::costs lists them, its cheapest (least mean, as `run` picks it),
// and the columns whose sum per trial is a total. One rule for `check` and `diff`.
#include <map>
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

// The outputs a run can be asked about, each the columns whose per-trial sum it is, by key:
//   total.serverless_usd, total.batch_usd, total.cheapest_plan_usd,
//   model[ID].cheapest_usd, model[ID].serverless_usd, .batch_usd, capacity[NAME].cost_usd,
//   workload[NAME].requests, .serverless_usd, .batch_usd
// A cheapest plan is the one of least mean cost in `result`.
std::map<std::string, std::vector<std::string>> output_columns(const Scenario& scenario, const TrialStore& store,
                                                               const RunResult& result);
// Each output's per-trial values (its cheapest plans those of the store's own trials).
std::map<std::string, std::vector<double>> output_figures(const Scenario& scenario, TrialStore& store);

}  // namespace tokencast::detail
