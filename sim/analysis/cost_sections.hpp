#pragma once
// The cost sections of a result: per workload, per model and mode (with each model's cheapest
// mode), and in total. Each is queued on a SummaryBatch and computed when it runs.
#include <span>
#include <vector>

#include "../engine/run_plan.hpp"
#include "../statistics/summary_batch.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// Which columns each model's modes read, and the mode of lowest mean cost: what the monthly
// series, the groups and the warnings read after the model section.
struct ModelModes {
  std::vector<const CostColumns*> cheapest;                 // by model: its cheapest mode's columns
  std::vector<std::vector<const CostColumns*>> mode_columns;  // by model, in ModelResult::costs order
  std::vector<std::vector<int>> options;  // by model: its capacity options, in ModelResult::costs order
};

// Appends a cost of `mode` to `costs` and queues its horizon figures. The batch holds a pointer
// into `costs`: reserve it first.
ModeCost& add_cost(SummaryBatch& batch, std::vector<ModeCost>& costs, Mode mode, std::span<const double> totals,
                   bool with_se);

// One WorkloadResult per workload: volumes, then serverless and (when batchable) batch costs.
void workload_costs(SummaryBatch& batch, const RunPlan& plan, bool with_se, std::vector<WorkloadResult>& out);

// One ModelResult per model: serverless, batch, then its capacity options (dedicated first) with
// their sizing; the cheapest mode is the one of lowest mean cost.
ModelModes model_costs(SummaryBatch& batch, const RunPlan& plan, bool with_se, std::vector<ModelResult>& out);

// Per trial, the sum over models of each one's cheapest mode (the cheapest plan's total).
std::vector<double> cheapest_plan_total(const RunPlan& plan, const ModelModes& modes);
// The totals: serverless, batch (when any model has it) and the cheapest plan, each model on its
// cheapest mode, trial by trial.
void total_costs(SummaryBatch& batch, const RunPlan& plan, const ModelModes& modes, bool with_se,
                 std::vector<ModeCost>& out);

}  // namespace tokencast::detail
