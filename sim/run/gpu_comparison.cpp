// compare_gpus: one reduced run per GPU candidate, and the cheapest choice meeting the objective per
// option.
#include "tokencast/gpu_comparison.hpp"

#include <limits>
#include <stdexcept>


namespace tokencast {
namespace {

// The scenario serving only the candidate's model, with the candidate as its one option.
Scenario reduced_to(const Scenario& scenario, const GpuCandidate& candidate) {
  std::vector<std::size_t> workloads, models;
  for (std::size_t w = 0; w < scenario.workloads.size(); ++w) {
    if (scenario.workloads[w].model == candidate.spec.model) workloads.push_back(w);
  }
  for (std::size_t m = 0; m < scenario.models.size(); ++m) {
    if (scenario.models[m].id == candidate.spec.model) models.push_back(m);
  }
  Scenario reduced = scenario_subset(scenario, models, workloads, {candidate.option});
  reduced.capacity = {candidate.spec};
  return reduced;
}

}  // namespace

std::vector<GpuChoice> compare_gpus(const Scenario& scenario, const std::vector<GpuCandidate>& candidates,
                                    const RunOptions& options) {
  std::vector<GpuChoice> choices;
  choices.reserve(candidates.size());
  for (const GpuCandidate& candidate : candidates) {
    if (candidate.option >= scenario.capacity.size() || !candidate.spec.throughput_estimate) {
      throw std::invalid_argument("compare_gpus: a candidate needs a scenario option and a throughput estimate");
    }
    const RunResult result = run_scenario(reduced_to(scenario, candidate), options);
    const ModelResult& model = result.models.at(0);
    const Mode mode = mode_of(candidate.spec.kind);
    const CapacityResult& capacity = mode == Mode::dedicated ? *model.dedicated : *model.gpu_cluster;
    GpuChoice choice;
    choice.option = scenario.capacity[candidate.option].name;
    choice.model = candidate.spec.model;
    choice.kind = candidate.spec.kind;
    choice.throughput = *candidate.spec.throughput_estimate;
    if (candidate.priced) choice.usd_per_gpu_hour = candidate.spec.usd_per_gpu_hour;
    choice.gpus_per_replica = candidate.spec.gpus_per_replica;
    choice.replicas = capacity.plan.replicas;
    choice.feasible = capacity.feasible;
    choice.infeasible_reason = capacity.infeasible_reason;
    choice.slo = capacity.slo;
    choice.objective_met = capacity.feasible;
    if (capacity.slo) {
      const SloSizing& slo = *capacity.slo;
      const CapacitySpec& spec = candidate.spec;
      choice.objective_met = choice.objective_met && slo.stable &&
                             (!spec.slo_wait_p95_s || slo.wait_p95_s <= *spec.slo_wait_p95_s) &&
                             (!spec.slo_ttft_p95_s || slo.ttft_p95_s <= *spec.slo_ttft_p95_s);
    }
    if (candidate.priced) {
      choice.cost_usd = find_cost(model.costs, mode)->total_usd;
      choice.usd_per_mtok = capacity.usd_per_mtok;
    }
    choice.utilization = capacity.utilization;
    choices.push_back(std::move(choice));
  }
  // The cheapest by mean cost, as a run's cheapest plan is chosen.
  for (std::size_t option = 0; option < scenario.capacity.size(); ++option) {
    GpuChoice* best = nullptr;
    for (GpuChoice& choice : choices) {
      if (choice.option != scenario.capacity[option].name || !choice.objective_met || !choice.cost_usd) continue;
      if (best == nullptr || choice.cost_usd->mean < best->cost_usd->mean) best = &choice;
    }
    if (best != nullptr) best->cheapest = true;
  }
  return choices;
}

}  // namespace tokencast
