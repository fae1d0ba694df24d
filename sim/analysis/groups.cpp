#include "groups.hpp"

#include <algorithm>

namespace tokencast::detail {
namespace {

// A workload's value of tag `key`; "(untagged)" without it.
std::string tag_value(const WorkloadPlan& wp, const std::string& key) {
  const auto it = wp.spec->tags.find(key);
  return it == wp.spec->tags.end() ? "(untagged)" : it->second;
}

// The values tag `key` takes, in workload order.
std::vector<std::string> group_values(const RunPlan& plan, const std::string& key) {
  std::vector<std::string> values;
  for (const auto& wp : plan.workloads) {
    const std::string value = tag_value(wp, key);
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  return values;
}

}  // namespace

GroupSums group_sums(const RunPlan& plan, const std::string& key, const std::string& value,
                     const std::vector<const CostColumns*>& cheapest_columns, int month) {
  const auto n = static_cast<std::size_t>(plan.trials);
  GroupSums g{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), {}, false};
  for (const auto& wp : plan.workloads) {
    if (tag_value(wp, key) != value) continue;
    g.workloads.push_back(wp.spec->name);
    g.any_batch = g.any_batch || wp.batch;
    const auto& mp = plan.models[wp.model];
    const CostColumns& own_batch = wp.batch ? wp.batch_cost : wp.serverless;
    const CostColumns* chosen = cheapest_columns[wp.model];
    auto col = [&](const CostColumns& cc) { return plan.columns.column(month < 0 ? cc.total : cc.month(month)); };
    const auto s = col(wp.serverless), b = col(own_batch);
    const bool capacity = chosen != &mp.serverless && chosen != &mp.batch_cost;
    const auto model_serverless = col(mp.serverless), model_chosen = col(*chosen);
    for (std::size_t t = 0; t < n; ++t) {
      g.serverless[t] += s[t];
      g.batch[t] += b[t];
      if (chosen == &mp.serverless) {
        g.cheapest[t] += s[t];
      } else if (!capacity) {
        g.cheapest[t] += b[t];
      } else if (model_serverless[t] > 0) {
        g.cheapest[t] += model_chosen[t] * s[t] / model_serverless[t];
      }
    }
  }
  return g;
}

// The costs of each value of tag `key` over the horizon, queued on the batch (each value's sums are
// formed inside its task); months are appended by summarize_months.
void group_breakdown(SummaryBatch& batch, const RunPlan& plan, const std::string& key,
                     const std::vector<const CostColumns*>& cheapest_columns, GroupBreakdown& g) {
  g.key = key;
  const std::vector<std::string> values = group_values(plan, key);
  g.entries.reserve(values.size());
  for (const std::string& value : values) {
    GroupBreakdown::Entry& entry = g.entries.emplace_back();
    entry.value = value;
    bool any_batch = false;
    for (const auto& wp : plan.workloads) {
      if (tag_value(wp, key) != value) continue;
      entry.workloads.push_back(wp.spec->name);
      any_batch = any_batch || wp.batch;
    }
    entry.costs.resize(any_batch ? 3 : 2);
    entry.costs.front().mode = Mode::serverless;
    if (any_batch) entry.costs[1].mode = Mode::batch;
    entry.costs.back().mode = Mode::cheapest_plan;
    batch.add([&plan, &key, &cheapest_columns, &entry, cancel = plan.cancel](std::vector<double>& scratch) {
      const GroupSums sums = group_sums(plan, key, entry.value, cheapest_columns, -1);
      summarize_cost(sums.serverless, entry.costs.front(), false, scratch, cancel);
      if (sums.any_batch) summarize_cost(sums.batch, entry.costs[1], false, scratch, cancel);
      summarize_cost(sums.cheapest, entry.costs.back(), false, scratch, cancel);
    });
  }
}

}  // namespace tokencast::detail
