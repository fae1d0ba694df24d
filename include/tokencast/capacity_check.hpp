#pragma once
// Checks the analytic latency sizing of each capacity option against a discrete-event simulation
// of its replica pool over the peak hour (`tokencast capacity --simulate`).
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokencast/queueing.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

struct PoolCheck {
  std::string model;
  std::string option;
  CapacityKind kind = CapacityKind::dedicated;
  int replicas = 0;
  int max_concurrency = 0;
  double arrival_rate_per_s = 0;  // the sizing peak: capacity_quantile of the trials' busiest hour
  double arrival_scv = 1;         // of the interarrival times
  std::string arrivals = "poisson";  // the process simulated: the scenario's, or --arrival-scv's
  ServingEstimate analytic;       // the serving model's estimate at these replicas
  double analytic_ttft_p95_s = 0;
  // Simulated: means over replications (each a peak hour with freshly drawn parameters), with the
  // standard error of the mean wait across replications.
  int replications = 0;
  std::int64_t requests = 0;
  double mean_wait_s = 0, mean_wait_se_s = 0, wait_probability = 0;
  double wait_p50_s = 0, wait_p95_s = 0, wait_p99_s = 0;
  double ttft_p50_s = 0, ttft_p95_s = 0, ttft_p99_s = 0;
  double utilization = 0;
};

// Limits on what --simulate may draw, past which it is refused up front (ResourceLimitError)
// rather than run for minutes or run out of memory: arrivals over all options and replications,
// and the memory of one replication.
inline constexpr double max_simulated_requests = 5e8;
inline constexpr double max_simulation_bytes = 2.0 * (1 << 30);

// One check per option with max_concurrency (options without it have no queueing model). `cancel`
// is polled as the simulations run (Interrupted).
// `arrival_scv`, when given, replaces the scenario's arrivals by a renewal process of that scv.
std::vector<PoolCheck> check_capacity(const Scenario& scenario, const RunResult& result, int replications,
                                      std::optional<double> arrival_scv, std::uint64_t seed,
                                      const std::atomic<bool>* cancel = nullptr);

// A recorded trace replayed through an option's pool (`tokencast capacity --replay`): at the
// replicas the run chose, one fewer and one more.
struct ReplayPoint {
  int replicas = 0;
  PoolSimulationResult simulated;      // means over replications (throughputs drawn afresh)
  std::optional<bool> objective_met;   // absent when the option has no latency objective
};
struct ReplayCheck {
  std::string model;
  std::string option;
  CapacityKind kind = CapacityKind::dedicated;
  int max_concurrency = 0;
  int chosen_replicas = 0;
  std::optional<double> slo_wait_p95_s, slo_ttft_p95_s;
  int replications = 0;  // 1 when the option's throughputs are certain
  std::vector<ReplayPoint> points;  // replicas - 1 (when >= 1), replicas, replicas + 1
};
// A replay as reported: the trace, how it was scaled, and each option's points.
struct TraceReplay {
  std::string file;
  std::string format;
  std::size_t trace_requests = 0;
  double span_s = 0;
  double trace_rate_per_s = 0;
  double copies = 1;  // superposed copies (--scale, or --rate over the trace's rate)
  std::size_t replayed_requests = 0;
  ArrivalMeasurement arrivals;  // of the trace as read (before scaling), with the on/off fit
  std::vector<ReplayCheck> checks;
};

// Replays `requests` (in time order) through each option with max_concurrency. Refused up front
// (ResourceLimitError) past max_simulated_requests or max_simulation_bytes.
std::vector<ReplayCheck> replay_capacity(const Scenario& scenario, const RunResult& result,
                                         std::span<const TimedRequest> requests, int replications, std::uint64_t seed,
                                         const std::atomic<bool>* cancel = nullptr);

}  // namespace tokencast
