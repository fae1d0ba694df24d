#pragma once
// The latency rule sized by simulating the pool, where the closed form is not accurate: bursty
// arrivals (docs/capacity.md, "Bursts below the hour").
#include <cstdint>

#include "tokencast/queueing.hpp"

namespace tokencast {

struct SimulatedSizingInput {
  // The pool and its arrivals at the sizing rate; `replicas` is what the search varies and
  // `duration_s` / `warmup_s` are set by the search (simulation_horizon_s).
  PoolSimulationConfig pool;
  RequestSampler sample_request;
  SloTarget slo;
  Rng rng{1};  // copied for every replica count: common random numbers
};
struct SimulatedSizing {
  bool met = false;               // some count up to max_replicas meets every target
  int replicas = 0;               // the fewest that does (max_replicas when none does)
  PoolSimulationResult at;        // the simulation at `replicas`
  int evaluations = 0;            // pools simulated
  double measured_s = 0;          // each simulation's measured span (after the warm-up)
};
// The simulated span that resolves a p95 under these arrivals: 300 on/off cycles (or 200,000
// arrivals, whichever is longer), at most 1e7 arrivals.
double simulation_horizon_s(const ArrivalProcess& arrivals, double rate_per_s);
// Fewest replicas whose simulated wait and TTFT p95 meet the targets, searched from `start`
// (the analytic count) by galloping down or up and bisecting: O(log) simulations, each of the
// same arrivals and tokens.
SimulatedSizing replicas_for_slo_by_simulation(const SimulatedSizingInput& input, int start, int max_replicas);

}  // namespace tokencast
