#pragma once
// What the volume curve reads at one multiplier of the scenario's volume: every trial's horizon
// totals. Two ways to get them: simulate the scenario at that multiplier (resimulation), or scale
// one simulation's draws (replay, volume_replay.cpp; docs/breakeven.md#replay-or-resimulation).
#include <memory>
#include <optional>
#include <vector>

#include "../engine/run_plan.hpp"
#include "tokencast/breakeven.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast::detail {

struct GridTotals {
  std::vector<std::vector<double>> serverless_usd;  // by model: per trial
  std::vector<std::vector<double>> batch_usd;       // by model (empty without a batch plan): per trial
  std::vector<std::vector<double>> option_usd;      // by capacity option: per trial, overflow included
  std::vector<double> requests;                     // by model: mean over trials of the horizon's requests
  std::vector<int> replicas;                        // by capacity option
  // By capacity option: the most any trial's option_usd can differ from billing its every hour
  // (replay's binned hours, replay_hours.hpp; 0 when simulated).
  std::vector<double> option_error_bound_usd;
};

class GridSampler {
 public:
  virtual ~GridSampler() = default;
  virtual GridTotals at(double multiplier) = 0;
};

// Replay's draws at the scenario's own volume, the options re-costed at other replica counts (a
// sweep over replicas): each trial drawn once, each reservation a pass over the trials' kept hours.
class ReplicaReplay {
 public:
  virtual ~ReplicaReplay() = default;
  // Option c reserving replicas[c] replicas where given, its own reservation otherwise.
  virtual GridTotals with_replicas(const std::vector<std::optional<int>>& replicas) = 0;
  // The draw's plan: its columns hold every trial's workload figures and peak needs.
  virtual const RunPlan& plan() const = 0;
};

// The mean over trials of a model's requests over the horizon (its workloads' request columns).
double mean_requests(const RunPlan& plan, const ModelPlan& model);

// Whether replay can stand in for resimulation: it cannot autoscale at another volume (each step's
// replicas depend on every hour's work).
bool replayable(const Scenario& scenario);

// Whether a replay of the scenario's trials fits the memory and CPU limits (make_replay throws
// ResourceLimitError otherwise), decided without drawing.
bool replay_fits(const Scenario& scenario, const RunOptions& options);

std::unique_ptr<GridSampler> make_resimulation(const Scenario& scenario, const RunOptions& options);
std::unique_ptr<GridSampler> make_replay(const Scenario& scenario, const RunOptions& options);
std::unique_ptr<ReplicaReplay> make_replica_replay(const Scenario& scenario, const RunOptions& options);

}  // namespace tokencast::detail
