#include "cost_sections.hpp"

#include <stdexcept>

#include "capacity_sizing.hpp"
#include "tokencast/errors.hpp"

namespace tokencast::detail {

ModeCost& add_cost(SummaryBatch& batch, std::vector<ModeCost>& costs, Mode mode, std::span<const double> totals,
                   bool with_se) {
  if (costs.size() == costs.capacity()) throw std::logic_error("add_cost: the costs were not reserved");
  ModeCost& cost = costs.emplace_back();
  cost.mode = mode;
  batch.cost(totals, cost, with_se);
  return cost;
}

void workload_costs(SummaryBatch& batch, const RunPlan& plan, bool with_se, std::vector<WorkloadResult>& out) {
  const TrialColumns& cols = plan.columns;
  out.reserve(plan.workloads.size());
  for (const auto& wp : plan.workloads) {
    WorkloadResult& w = out.emplace_back();
    w.name = wp.spec->name;
    w.model = wp.spec->model;
    w.tags = wp.spec->tags;
    batch.summary(cols.column(wp.requests_col), w.requests);
    batch.summary(cols.column(wp.input_col), w.input_tokens);
    batch.summary(cols.column(wp.output_col), w.output_tokens);
    w.costs.reserve(2);
    add_cost(batch, w.costs, Mode::serverless, cols.column(wp.serverless.total), with_se);
    if (wp.batch) add_cost(batch, w.costs, Mode::batch, cols.column(wp.batch_cost.total), with_se);
  }
}

ModelModes model_costs(SummaryBatch& batch, const RunPlan& plan, bool with_se, std::vector<ModelResult>& out) {
  const TrialColumns& cols = plan.columns;
  ModelModes modes;
  out.reserve(plan.models.size());
  for (const auto& mp : plan.models) {
    poll_cancel(plan.cancel);
    ModelResult& m = out.emplace_back();
    m.model = mp.spec->id;
    for (int w : mp.workloads) m.workloads.push_back(plan.workloads[w].spec->name);
    std::vector<const CostColumns*> mode_columns{&mp.serverless};
    if (mp.batch) mode_columns.push_back(&mp.batch_cost);
    std::vector<int>& option_order = modes.options.emplace_back();
    for (CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
      for (int c : mp.capacity) {
        if (plan.capacity[c].spec->kind != kind) continue;
        option_order.push_back(c);
        mode_columns.push_back(&plan.capacity[c].cost);
      }
    }
    m.costs.reserve(mode_columns.size());
    add_cost(batch, m.costs, Mode::serverless, cols.column(mp.serverless.total), with_se);
    if (mp.batch) add_cost(batch, m.costs, Mode::batch, cols.column(mp.batch_cost.total), with_se);
    for (int c : option_order) {
      const auto& option = plan.capacity[c];
      const bool dedicated = option.spec->kind == CapacityKind::dedicated;
      add_cost(batch, m.costs, mode_of(option.spec->kind), cols.column(option.cost.total), with_se);
      capacity_result(batch, plan, option, (dedicated ? m.dedicated : m.gpu_cluster).emplace());
    }
    // The mean as the summary computes it (mean_of), so the choice matches the reported means.
    std::size_t best = 0;
    double best_mean = mean_of(cols.column(mode_columns[0]->total));
    for (std::size_t i = 1; i < mode_columns.size(); ++i) {
      const double mean = mean_of(cols.column(mode_columns[i]->total));
      if (mean < best_mean) {
        best = i;
        best_mean = mean;
      }
    }
    m.cheapest = m.costs[best].mode;
    modes.cheapest.push_back(mode_columns[best]);
    modes.mode_columns.push_back(std::move(mode_columns));
  }
  return modes;
}

std::vector<double> cheapest_plan_total(const RunPlan& plan, const ModelModes& modes) {
  std::vector<double> total(static_cast<std::size_t>(plan.trials), 0.0);
  for (const CostColumns* chosen : modes.cheapest) {
    const auto chosen_total = plan.columns.column(chosen->total);
    for (std::size_t t = 0; t < total.size(); ++t) total[t] += chosen_total[t];
  }
  return total;
}

void total_costs(SummaryBatch& batch, const RunPlan& plan, const ModelModes& modes, bool with_se,
                 std::vector<ModeCost>& out) {
  const TrialColumns& cols = plan.columns;
  std::vector<double> cheapest_total = cheapest_plan_total(plan, modes);
  out.reserve(3);
  add_cost(batch, out, Mode::serverless, cols.column(plan.total_serverless.total), with_se);
  if (plan.any_batch) add_cost(batch, out, Mode::batch, cols.column(plan.total_batch.total), with_se);
  add_cost(batch, out, Mode::cheapest_plan, batch.keep(std::move(cheapest_total)), with_se);
}

}  // namespace tokencast::detail
