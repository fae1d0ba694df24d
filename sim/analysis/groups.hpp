#pragma once
// Costs broken down by the values of a tag (--group-by): each group's costs summed inside each
// trial, under serverless, batch and the cheapest plan.
#include <string>
#include <vector>

#include "../engine/run_plan.hpp"
#include "../statistics/summary_batch.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// One group's costs summed inside each trial, over the horizon (month -1) or in one month. Under
// the cheapest plan a model's capacity cost is shared among its workloads in proportion to their
// serverless cost in that trial.
struct GroupSums {
  std::vector<double> serverless, batch, cheapest;
  std::vector<std::string> workloads;
  bool any_batch = false;
};

// `cheapest` by model: the columns of its cheapest mode (ModelModes::cheapest).
GroupSums group_sums(const RunPlan& plan, const std::string& key, const std::string& value,
                     const std::vector<const CostColumns*>& cheapest_columns, int month);

// The costs of each value of tag `key` over the horizon, queued on the batch (each value's sums are
// formed inside its task); the monthly series are appended by summarize_months.
void group_breakdown(SummaryBatch& batch, const RunPlan& plan, const std::string& key,
                     const std::vector<const CostColumns*>& cheapest_columns, GroupBreakdown& out);

}  // namespace tokencast::detail
