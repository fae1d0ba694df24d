#pragma once
// Which GPU? Each capacity option sized and costed on each GPU and tensor-parallel degree that can
// hold its model (`tokencast capacity --compare-gpus`, docs/throughput.md).
#include <optional>
#include <string>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// One option of the scenario, as it would be on another GPU: its throughput re-estimated there.
struct GpuCandidate {
  std::size_t option = 0;  // index into Scenario::capacity
  CapacitySpec spec;       // the option on this GPU (throughput_estimate set)
  bool priced = true;      // false: no price for this GPU; costs are not reported
};

struct GpuChoice {
  std::string option;
  std::string model;
  CapacityKind kind = CapacityKind::dedicated;
  ThroughputEstimateSpec throughput;
  std::optional<Quantity> usd_per_gpu_hour;  // absent: no price known for this GPU
  int gpus_per_replica = 1;
  int replicas = 0;
  bool feasible = true;          // the sizing found a pool meeting throughput and the objective
  std::string infeasible_reason;
  std::optional<SloSizing> slo;  // when the option has a latency objective
  bool objective_met = true;     // feasible, and the latency objective (if any) holds at `replicas`
  // Over the horizon, when priced: the option's cost (overflow included) and its $ per 1M tokens.
  std::optional<Summary> cost_usd;
  std::optional<Summary> usd_per_mtok;
  Summary utilization;
  bool cheapest = false;  // lowest mean cost among this option's priced choices meeting the objective
};

// What `--compare-gpus` reports: the choices, and the options that could not be compared and why.
struct GpuComparison {
  std::vector<GpuChoice> choices;
  std::vector<std::string> skipped;
};

// Runs each candidate: the scenario reduced to the candidate's option and the workloads of its
// model, with the same seed and trials, so that choices differ only by the GPU (common random
// numbers). Choices come back in candidate order.
std::vector<GpuChoice> compare_gpus(const Scenario& scenario, const std::vector<GpuCandidate>& candidates,
                                    const RunOptions& options);

}  // namespace tokencast
