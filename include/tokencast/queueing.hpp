#pragma once
// Queueing model for sizing a replica pool to a latency objective (docs/capacity.md).
//
// A replica runs up to `max_concurrency` sequences at once; a request holds one of those slots for
//   S = in / prefill_tokens_per_s + out * max_concurrency / decode_tokens_per_s
// (each sequence decodes at decode_tokens_per_s / max_concurrency), and its time to first token is
// its wait plus in / prefill_tokens_per_s. A pool of R replicas is then a FCFS queue with
// c = R x max_concurrency servers: M/G/c for Poisson arrivals, approximated by Allen-Cunneen, and
// checked against a discrete-event simulation of the same pool.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "tokencast/distribution.hpp"
#include "tokencast/random.hpp"
#include "tokencast/token_moments.hpp"

namespace tokencast {

// P(an arrival waits) in M/M/c with `offered_erlangs` = lambda * E[S] and c servers; 1 when
// offered >= c. Numerically stable at any c: Erlang B by the recursion B(0)=1,
// B(k) = a B(k-1) / (k + a B(k-1)) up to erlang_b_recursion_servers servers, beyond as the Poisson
// ratio P(N = c) / P(N <= c), N ~ Poisson(a) (regularised incomplete gamma: constant time); then
// C = c B / (c - a (1 - B)). No factorials.
double erlang_c(int servers, double offered_erlangs);
inline constexpr int erlang_b_recursion_servers = 10'000;

struct QueueEstimate {
  bool stable = false;          // offered < servers
  double utilization = 0;       // offered / servers
  double wait_probability = 0;  // Erlang C
  double mean_wait_s = 0;       // Allen-Cunneen: C/(c mu - lambda) * (ca2 + cs2)/2
  // From the exponential tail P(W > t) = C exp(-t (c mu - lambda) 2/(ca2+cs2)); 0 if C <= 0.05.
  double wait_p95_s = 0;
};
// M/G/c (G/G/c) approximation of Allen and Cunneen. An unstable queue has infinite waits.
// `wait_quantile` picks the quantile reported in wait_p95_s (0.95 by default).
QueueEstimate allen_cunneen(int servers, double arrival_rate_per_s, double mean_service_s,
                            double arrival_scv, double service_scv, double wait_quantile = 0.95);

// The queue one replica's slots form for one request mix: what the latency search needs of it.
struct SloQueue {
  double mean_service_s = 0;
  double service_scv = 0;
  double prefill_p95_s = 0;
  int max_concurrency = 1;
};

// What one request costs a replica, from the token moments of the traffic.
struct ServiceProfile {
  double input_mean_tokens = 0, input_variance = 0, input_p95_tokens = 0;
  double output_mean_tokens = 0, output_variance = 0;
  double prefill_tokens_per_s = 0, decode_tokens_per_s = 0;
  int max_concurrency = 1;
  double mean_service_s() const;   // E[S]
  double service_scv() const;      // Var[S]/E[S]^2 (input and output independent)
  double prefill_p95_s() const;    // input_p95_tokens / prefill_tokens_per_s
  SloQueue queue() const { return {mean_service_s(), service_scv(), prefill_p95_s(), max_concurrency}; }
};
struct SloTarget {
  std::optional<double> wait_p95_s;
  // Approximated as wait_p95 + prefill_p95: usually conservative while P(wait) is well above 5%;
  // at or below 5% the wait p95 is 0 and the few waits that remain lift the ttft tail
  // (docs/capacity.md, "The TTFT approximation").
  std::optional<double> ttft_p95_s;
};
// Whether a pool size meets a latency objective, and when none does, why.
enum class SloOutcome {
  met,          // `replicas` is the fewest that meet it
  unreachable,  // no pool of any size meets it: a ttft target below the prefill p95 itself
  over_limit,   // it needs more than max_replicas
};
struct SloSizingEstimate {
  int replicas = 0;
  QueueEstimate queue;
  double ttft_p95_s = 0;
  bool feasible = false;  // outcome == met
  SloOutcome outcome = SloOutcome::over_limit;
  // With over_limit: the smallest stable pool, a lower bound on what the objective needs (it may
  // exceed max_replicas; a double, since it may exceed any int).
  double stable_from_replicas = 0;
};
// Fewest replicas in [min_replicas, max_replicas] meeting every given target at this arrival rate
// (stable and each p95 within target); feasible=false (replicas = max_replicas) when none does,
// with the outcome saying why. Galloping then bisection: O(log R) evaluations.
SloSizingEstimate replicas_for_slo(double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
                                   int min_replicas, int max_replicas = 100000, double arrival_scv = 1.0);
SloSizingEstimate replicas_for_slo(double arrival_rate_per_s, const ServiceProfile& service, const SloTarget& slo,
                                   int min_replicas, int max_replicas = 100000, double arrival_scv = 1.0);

// Discrete-event check of the approximation: the peak hour of a replica pool.
struct PoolSimulationConfig {
  int replicas = 1;
  int max_concurrency = 1;
  double arrival_rate_per_s = 1;
  double duration_s = 3600;
  double warmup_s = 600;          // simulated first and discarded (starts empty)
  double arrival_scv = 1.0;       // 1: Poisson; > 1: hyperexponential (balanced means) interarrivals,
                                  // for bursty traffic; < 1: gamma interarrivals (0: deterministic)
  double prefill_tokens_per_s = 0, decode_tokens_per_s = 0;
  std::int64_t context_tokens = 131072;
  // Polled every 65,536 arrivals: once true, the simulation throws Interrupted.
  const std::atomic<bool>* cancel = nullptr;
};
// What simulating one such hour takes: the arrivals it draws, and the bytes it holds (a slot's
// free time each, a wait and a TTFT each arrival), for refusing a simulation too large up front.
struct PoolSimulationCost {
  double requests = 0;
  double bytes = 0;
};
PoolSimulationCost pool_simulation_cost(const PoolSimulationConfig& config);
struct PoolSimulationResult {
  std::int64_t requests = 0;               // arrivals after warm-up
  double wait_probability = 0;
  double mean_wait_s = 0;
  double wait_p50_s = 0, wait_p95_s = 0, wait_p99_s = 0;
  double ttft_p50_s = 0, ttft_p95_s = 0, ttft_p99_s = 0;
  double utilization = 0;                  // busy slot-seconds / (slots x duration)
  // Batch-means standard errors: the measured period cut into pool_simulation_batches batches of
  // equal time by arrival, SE = sd(batch means) / sqrt(batches). Waits of successive requests are
  // correlated, so the naive sd/sqrt(n) would understate the error.
  double mean_wait_se_s = 0;
  double wait_probability_se = 0;
};
inline constexpr int pool_simulation_batches = 20;
// Beyond this many slots the heap alone would take gigabytes; no real pool is that large.
inline constexpr double max_pool_slots = 1e8;
// FCFS G/G/c with c = replicas x max_concurrency slots: keep the c slot-free times in a min-heap;
// each arrival takes the earliest-free slot: wait = max(0, free - arrival). Token counts per
// request come from tokencast::sample_request_tokens(input, output, context, rng) (token_moments.hpp).
PoolSimulationResult simulate_pool(const PoolSimulationConfig& config, const Dist& input, const Dist& output, Rng& rng);
// The same with each request's tokens drawn by `sample_request` (a mix of workloads, say).
using RequestSampler = std::function<RequestTokens(Rng&)>;
PoolSimulationResult simulate_pool(const PoolSimulationConfig& config, const RequestSampler& sample_request, Rng& rng);

// A request of a trace: when it arrived and its tokens.
struct TimedRequest {
  double arrival_s = 0;
  RequestTokens tokens;
};
// The same pool fed a recorded trace instead of drawn arrivals (`capacity --replay`): requests in
// time order, the pool empty at the first; every request is measured (no warm-up). Uses
// `replicas`, `max_concurrency`, the throughputs and `cancel` of `config`.
PoolSimulationResult replay_pool(const PoolSimulationConfig& config, std::span<const TimedRequest> requests);
// `copies` copies of a trace superposed, each shifted by an equal share of its period (span plus
// one mean gap) and wrapped round it, so the rate is `copies` times the trace's and its bursts keep
// their shape; a fractional copy keeps each request with the fractional probability. In time order.
std::vector<TimedRequest> superpose_copies(std::span<const TimedRequest> trace, double copies, Rng& rng);

}  // namespace tokencast
