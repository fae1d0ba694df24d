#pragma once
// Serving model for sizing a replica pool to a latency objective (docs/capacity.md).
//
// A replica runs up to `max_concurrency` (m) sequences at once and has one prefill resource,
// shared by all of them, at `prefill_tokens_per_s` (P). A request waits in the pool's FCFS queue
// for a replica with a free slot, then for that replica's prefill, is prefilled (in / P), and
// decodes; its slot is held from admission to its last token. A decode step of n sequences takes
// a full batch's step times f + (1 - f) n / m, f being the share of the step that does not grow
// with the batch (the weights read): at n = m each sequence decodes at decode_tokens_per_s / m,
// and faster when fewer run. Its time to first token is the wait plus its prefill. The analytic
// estimate treats the pool as two stages, R prefill servers and R x m slots (Allen-Cunneen each),
// and adds their waits; the discrete-event simulation runs the replicas themselves.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "tokencast/arrivals.hpp"
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
// The same for servers that run faster while fewer are busy: `mean_service_s` is the mean time a
// server is held at this load, so that rate x it is the mean number busy (Little), which Erlang C
// takes as the offered load; `busy_service_s` is the time when every server is busy, which sets
// how fast a queue drains and whether the queue is stable.
QueueEstimate allen_cunneen_load_dependent(int servers, double arrival_rate_per_s, double mean_service_s,
                                           double busy_service_s, double arrival_scv, double service_scv,
                                           double wait_quantile = 0.95);

// What the latency search needs of one request mix on one replica.
struct SloQueue {
  double mean_service_s = 0;  // a slot held: prefill plus decode at the full-batch speed, no waits
  double service_scv = 0;     // of that time
  double prefill_mean_s = 0;  // the prefill alone, on the replica's prefill resource
  double prefill_scv = 0;
  double prefill_p95_s = 0;
  int max_concurrency = 1;
  // f: the share of a full batch's decode step that does not grow with the batch. 1 (the default
  // for typed rates): every sequence decodes at the full-batch speed whatever the occupancy.
  double decode_fixed_share = 1.0;
  // Seconds of a replica at full speed one request takes: its prefill, and its share m^-1 of a
  // full batch's decode. Utilization is this work over the replicas' time.
  double work_s() const { return prefill_mean_s + (mean_service_s - prefill_mean_s) / max_concurrency; }
};

// What one request costs a replica, from the token moments of the traffic.
struct ServiceProfile {
  double input_mean_tokens = 0, input_variance = 0, input_p95_tokens = 0;
  double output_mean_tokens = 0, output_variance = 0;
  double input_output_covariance = 0;  // of one request's prefilled input and its output
  double prefill_tokens_per_s = 0, decode_tokens_per_s = 0;
  int max_concurrency = 1;
  double decode_fixed_share = 1.0;  // as SloQueue's
  double mean_service_s() const;   // E[S]
  double service_scv() const;      // Var[S]/E[S]^2, the input and output's covariance included
  double prefill_mean_s() const;   // E[in] / P
  double prefill_scv() const;      // Var[in] / E[in]^2
  double prefill_p95_s() const;    // input_p95_tokens / prefill_tokens_per_s
  SloQueue queue() const {
    return {mean_service_s(), service_scv(), prefill_mean_s(), prefill_scv(), prefill_p95_s(), max_concurrency,
            decode_fixed_share};
  }
};

// What every utilization tokencast reports is a share of (the run's, the estimate's and the
// simulation's alike), as the outputs say it.
inline constexpr const char* utilization_definition =
    "work (each request's prefill plus its share of a full batch's decode) over the replicas' time";

// The serving model's analytic estimate for a pool of R replicas at one arrival rate.
struct ServingEstimate {
  bool stable = false;          // both the prefill resources and the slots keep up
  // Share of the replicas' time at full speed the requests take: rate x work_s() / R, the same
  // definition as the run's utilization and the simulation's.
  double utilization = 0;
  double wait_probability = 0;  // P(wait > 0): for a slot, for the prefill, or both
  double mean_wait_s = 0;       // slot wait plus prefill wait
  double wait_p95_s = 0;        // quantile of their sum (the quantile asked for)
  double ttft_p95_s = 0;        // quantile of wait + prefill
  QueueEstimate prefill;        // R prefill servers (service: the prefill)
  QueueEstimate slots;          // R x m slots (service: the slot time plus the prefill wait)
};
// The share of each replica's time its prefill takes at this rate: rate x E[prefill] / R. Decode
// runs in the rest, so a sequence decodes at (D / m)(1 - share): prefill and decode share the GPU.
double prefill_busy_share(int replicas, double arrival_rate_per_s, const SloQueue& queue);
ServingEstimate estimate_serving(int replicas, double arrival_rate_per_s, const SloQueue& queue,
                                 double arrival_scv = 1.0, double quantile = 0.95);
// Under any arrival process: on/off arrivals mix the on and off regimes' steady states, weighted
// by the arrivals each brings (docs/capacity.md, "Bursts below the hour").
ServingEstimate estimate_serving(int replicas, double arrival_rate_per_s, const SloQueue& queue,
                                 const ArrivalProcess& arrivals, double quantile = 0.95);
struct SloTarget {
  std::optional<double> wait_p95_s;
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
  ServingEstimate queue;
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
SloSizingEstimate replicas_for_slo(double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
                                   int min_replicas, int max_replicas, const ArrivalProcess& arrivals);

// Whether `replicas` meet every given target at this rate: what replicas_for_slo tests at each
// count, without working out the quantiles.
bool meets_slo(int replicas, double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
               double arrival_scv = 1.0);
bool meets_slo(int replicas, double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
               const ArrivalProcess& arrivals);

// Discrete-event check of the approximation: the peak hour of a replica pool.
struct PoolSimulationConfig {
  int replicas = 1;
  int max_concurrency = 1;
  double arrival_rate_per_s = 1;
  double duration_s = 3600;
  double warmup_s = 600;          // simulated first and discarded (starts empty)
  // Within the period: Poisson, renewal (ArrivalProcess::renewal_with_scv: hyperexponential gaps
  // above scv 1, gamma below, deterministic at 0) or on/off.
  ArrivalProcess arrivals;
  double prefill_tokens_per_s = 0, decode_tokens_per_s = 0;
  double decode_fixed_share = 1.0;  // as SloQueue's
  std::int64_t context_tokens = 131072;
  // Decode runs at (D / m)(1 - share) at a full batch, share being the prefill's share of the
  // replica's time. When given, this share holds throughout (the stationary model the closed form
  // uses); when absent, each replica's share is its prefill's recent busy fraction, so bursts of
  // prompts slow decode.
  std::optional<double> prefill_busy_share;
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
  // Work of the measured arrivals (prefill plus their share of full-batch decode, as work_s())
  // over the replicas' time: the definition ServingEstimate and the run use.
  double utilization = 0;
  // Batch-means standard errors: the measured period cut into pool_simulation_batches batches of
  // equal time by arrival, SE = sd(batch means) / sqrt(batches). Waits of successive requests are
  // correlated, so the naive sd/sqrt(n) would understate the error.
  double mean_wait_se_s = 0;
  double wait_probability_se = 0;
};
inline constexpr int pool_simulation_batches = 20;
// Beyond this many slots the heap alone would take gigabytes; no real pool is that large.
inline constexpr double max_pool_slots = 1e8;
// The serving model run event by event: R replicas, each with m slots and one prefill resource. In
// arrival order (FCFS), a request goes to the replica with a free slot whose prefill frees first,
// or waits in the pool's queue for the next slot to free; it holds its slot from admission to its
// last token. A replica's decoding sequences advance together, at (D / m)(1 - share) tokens/s
// over f + (1 - f) n / m with n of them decoding (a shared token clock, so a change of speed
// costs nothing a sequence). O(log m + log R) a request. Token counts come from
// tokencast::sample_request_tokens(input, output, context, rng) (token_moments.hpp).
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
