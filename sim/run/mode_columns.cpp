#include "mode_columns.hpp"

#include <fmt/format.h>

namespace tokencast::detail {

std::vector<std::string> model_cost_columns(const Scenario& scenario, const ModelResult& model) {
  std::vector<std::string> names{fmt::format("model[{}].serverless_usd", model.model)};
  if (model.costs.size() > 1 && model.costs[1].mode == Mode::batch) {
    names.push_back(fmt::format("model[{}].batch_usd", model.model));
  }
  for (const CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
    for (const CapacitySpec& c : scenario.capacity) {
      if (c.model == model.model && c.kind == kind) names.push_back(fmt::format("capacity[{}].cost_usd", c.name));
    }
  }
  return names;
}

std::string cheapest_column(const Scenario& scenario, const ModelResult& model) {
  const std::vector<std::string> names = model_cost_columns(scenario, model);
  std::size_t best = 0;
  for (std::size_t i = 1; i < model.costs.size() && i < names.size(); ++i) {
    if (model.costs[i].total_usd.mean < model.costs[best].total_usd.mean) best = i;
  }
  return names[best];
}

std::vector<std::string> total_columns(Mode mode, const Scenario& scenario, const RunResult& result) {
  if (mode == Mode::serverless) return {"total.serverless_usd"};
  if (mode == Mode::batch) return {"total.batch_usd"};
  std::vector<std::string> columns;
  for (const ModelResult& m : result.models) columns.push_back(cheapest_column(scenario, m));
  return columns;
}

std::vector<double> column_sum(const TrialStore& store, const std::vector<std::string>& columns,
                               std::string_view suffix) {
  std::vector<double> total(static_cast<std::size_t>(store.trials()), 0.0);
  for (const std::string& name : columns) {
    const auto values = store.column(name + std::string(suffix));
    for (std::size_t t = 0; t < total.size(); ++t) total[t] += values[t];
  }
  return total;
}

std::map<std::string, std::vector<std::string>> output_columns(const Scenario& scenario, const TrialStore& store,
                                                               const RunResult& result) {
  std::map<std::string, std::vector<std::string>> out;
  for (const Mode mode : {Mode::serverless, Mode::batch, Mode::cheapest_plan}) {
    if (mode == Mode::batch && !store.layout().find("total.batch_usd")) continue;
    out[fmt::format("total.{}_usd", to_string(mode))] = total_columns(mode, scenario, result);
  }
  for (const ModelResult& m : result.models) {
    out[fmt::format("model[{}].cheapest_usd", m.model)] = {cheapest_column(scenario, m)};
    for (const std::string& column : model_cost_columns(scenario, m)) out[column] = {column};
  }
  for (const WorkloadSpec& w : scenario.workloads) {
    for (const char* what : {"requests", "serverless_usd", "batch_usd"}) {
      const std::string name = fmt::format("workload[{}].{}", w.name, what);
      if (store.layout().find(name)) out[name] = {name};
    }
  }
  return out;
}

std::map<std::string, std::vector<double>> output_figures(const Scenario& scenario, TrialStore& store) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& [key, columns] : output_columns(scenario, store, store.summarize())) {
    out[key] = column_sum(store, columns);
  }
  return out;
}

}  // namespace tokencast::detail
