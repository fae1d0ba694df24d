#include "tokencast/queueing.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "tokencast/errors.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/token_moments.hpp"

namespace tokencast {
namespace {


void require(bool condition, const char* message) {
  if (!condition) throw std::invalid_argument(message);
}

// Replaces the smallest element of the binary min-heap heap[0, n) by `value` and restores the
// heap: one sift down instead of a pop and a push.
template <typename T, typename Less>
void replace_min(T* heap, std::size_t n, T value, Less less) {
  std::size_t i = 0;
  for (;;) {
    const std::size_t left = 2 * i + 1;
    if (left >= n) break;
    const std::size_t right = left + 1;
    const std::size_t child = (right < n && less(heap[right], heap[left])) ? right : left;
    if (!less(heap[child], value)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = value;
}

// A replica in the dispatch heap: the earliest its next request's prefill could start.
struct ReplicaKey {
  double ready_s;
  int replica;
};

// Standard error of the mean of per-batch ratios sum / count, over the batches that saw arrivals.
template <std::size_t N>
double batch_means_se(const std::array<double, N>& sums, const std::array<double, N>& counts) {
  double total = 0, squares = 0;
  int batches = 0;
  for (std::size_t b = 0; b < N; ++b) {
    if (counts[b] == 0) continue;
    const double mean = sums[b] / counts[b];
    total += mean;
    squares += mean * mean;
    ++batches;
  }
  if (batches < 2) return 0.0;
  const double mean = total / batches;
  const double variance = std::max(0.0, (squares - batches * mean * mean) / (batches - 1));
  return std::sqrt(variance / batches);
}

}  // namespace

PoolSimulationCost pool_simulation_cost(const PoolSimulationConfig& config) {
  PoolSimulationCost cost;
  cost.requests = config.arrival_rate_per_s * (config.warmup_s + config.duration_s);
  const double slots = static_cast<double>(config.replicas) * config.max_concurrency;
  cost.bytes = 8.0 * slots + 32.0 * config.replicas + 16.0 * config.arrival_rate_per_s * config.duration_s;
  return cost;
}

PoolSimulationResult simulate_pool(const PoolSimulationConfig& config, const Dist& input, const Dist& output,
                                   Rng& rng) {
  return simulate_pool(config, [&](Rng& r) { return sample_request_tokens(input, output, config.context_tokens, r); },
                       rng);
}

namespace {

void check_pool(const PoolSimulationConfig& config) {
  require(config.replicas >= 1 && config.max_concurrency >= 1,
          "simulate_pool: replicas and max_concurrency must be >= 1");
  const double slot_count = static_cast<double>(config.replicas) * config.max_concurrency;
  require(slot_count <= max_pool_slots, "simulate_pool: too many slots to simulate");
  require(config.prefill_tokens_per_s > 0 && config.decode_tokens_per_s > 0 &&
              std::isfinite(config.prefill_tokens_per_s) && std::isfinite(config.decode_tokens_per_s),
          "simulate_pool: prefill and decode throughputs must be finite and > 0");
}

// The FCFS pool over [start_s, end_s): `next(t, tokens)` gives the arrivals in time order and
// returns false once there are no more before end_s. Arrivals before start_s warm the pool up.
// The prefill busy fraction a decode shares is averaged over the last minute: the scale at which
// bursts below the hour are measured (an index of dispersion over 60 s windows).
constexpr double kShareWindowS = 60.0;

template <typename NextArrival>
PoolSimulationResult run_pool(const PoolSimulationConfig& config, double start_s, double end_s, double expected,
                              double spread, NextArrival next) {
  const int replicas = config.replicas;
  const auto m = static_cast<std::size_t>(config.max_concurrency);
  const double duration_s = end_s - start_s;
  // Decode gets the GPU time prefill leaves. A given share holds throughout; otherwise each
  // replica's share is its prefill's busy fraction over the last minute (an exponential average),
  // so a burst of prompts slows the decodes that follow it.
  // At a share near 1 the pool cannot keep up anyway, so decode is held at 1% of its speed.
  const bool fixed_share = config.prefill_busy_share.has_value();
  const double per_full_token_s = config.max_concurrency / config.decode_tokens_per_s;
  const double fixed_per_output_token_s = per_full_token_s / std::max(0.01, 1.0 - config.prefill_busy_share.value_or(0.0));
  std::vector<double> share(fixed_share ? 0 : static_cast<std::size_t>(replicas), 0.0);
  std::vector<double> share_at_s(share.size(), 0.0);
  double first_arrival_s = std::numeric_limits<double>::quiet_NaN();

  // Replica r's slots free at slot_free_s[r m, (r + 1) m), a min-heap each; its prefill resource
  // free at prefill_free_s[r]. All free at time 0: heaps of equal keys are heaps already.
  std::vector<double> slot_free_s(static_cast<std::size_t>(replicas) * m, 0.0);
  std::vector<double> prefill_free_s(static_cast<std::size_t>(replicas), 0.0);
  std::vector<ReplicaKey> dispatch(static_cast<std::size_t>(replicas));
  for (int r = 0; r < replicas; ++r) dispatch[static_cast<std::size_t>(r)] = {0.0, r};
  const auto earlier = [](const ReplicaKey& a, const ReplicaKey& b) { return a.ready_s < b.ready_s; };
  const auto less = [](double a, double b) { return a < b; };

  std::vector<double> waits, ttfts;
  const auto reserve = static_cast<std::size_t>(expected + 6.0 * std::sqrt(expected * spread) + 64.0);
  waits.reserve(reserve);
  ttfts.reserve(reserve);

  constexpr auto kBatches = static_cast<std::size_t>(pool_simulation_batches);
  std::array<double, kBatches> batch_wait{}, batch_waited{}, batch_count{};
  double work_s = 0, wait_sum = 0, waited = 0;

  std::uint32_t until_poll = 0;
  double t = 0;
  RequestTokens tokens;
  while (next(t, tokens)) {
    if (config.cancel != nullptr && ++until_poll == (1u << 16)) {
      until_poll = 0;
      if (config.cancel->load(std::memory_order_relaxed)) throw Interrupted();
    }
    // FCFS: the request goes to the replica where its prefill starts soonest, which holds a slot
    // from admission (a free slot) to its last token.
    const int r = dispatch.front().replica;
    double* slots = slot_free_s.data() + static_cast<std::size_t>(r) * m;
    const double prefill_start = std::max(t, dispatch.front().ready_s);
    const double prefill_s = tokens.input / config.prefill_tokens_per_s;
    const double first_token = prefill_start + prefill_s;
    double per_output_token_s = fixed_per_output_token_s;
    if (!fixed_share) {
      if (std::isnan(first_arrival_s)) first_arrival_s = t;
      const auto i = static_cast<std::size_t>(r);
      // The other requests' prefills up to this one's, as a busy fraction over the last
      // kShareWindowS (divided by the weight the average has had time to gather since the start).
      const double others = share[i] * std::exp((share_at_s[i] - prefill_start) / kShareWindowS);
      const double gathered = -std::expm1((first_arrival_s - prefill_start) / kShareWindowS);
      per_output_token_s = per_full_token_s / std::max(0.01, 1.0 - (gathered > 1e-9 ? others / gathered : 0.0));
      share[i] = others * std::exp(-prefill_s / kShareWindowS) - std::expm1(-prefill_s / kShareWindowS);
      share_at_s[i] = first_token;
    }
    replace_min(slots, m, first_token + tokens.output * per_output_token_s, less);
    prefill_free_s[static_cast<std::size_t>(r)] = first_token;
    replace_min(dispatch.data(), dispatch.size(), ReplicaKey{std::max(slots[0], first_token), r}, earlier);
    if (t < start_s) continue;

    work_s += prefill_s + tokens.output / config.decode_tokens_per_s;
    const double wait = prefill_start - t;  // exactly 0 when a slot and the prefill were free
    waits.push_back(wait);
    ttfts.push_back(wait + prefill_s);
    wait_sum += wait;
    waited += wait > 0 ? 1.0 : 0.0;
    const auto batch = std::min(kBatches - 1, static_cast<std::size_t>((t - start_s) / duration_s * kBatches));
    batch_wait[batch] += wait;
    batch_waited[batch] += wait > 0 ? 1.0 : 0.0;
    batch_count[batch] += 1.0;
  }

  PoolSimulationResult r;
  r.requests = static_cast<std::int64_t>(waits.size());
  r.utilization = work_s / (replicas * duration_s);
  if (waits.empty()) return r;
  const double n = static_cast<double>(waits.size());
  r.mean_wait_s = wait_sum / n;
  r.wait_probability = waited / n;
  r.mean_wait_se_s = batch_means_se(batch_wait, batch_count);
  r.wait_probability_se = batch_means_se(batch_waited, batch_count);
  static constexpr double ps[] = {0.50, 0.95, 0.99};
  double wait_q[3], ttft_q[3];
  quantiles_by_selection(waits, ps, wait_q);
  quantiles_by_selection(ttfts, ps, ttft_q);
  r.wait_p50_s = wait_q[0];
  r.wait_p95_s = wait_q[1];
  r.wait_p99_s = wait_q[2];
  r.ttft_p50_s = ttft_q[0];
  r.ttft_p95_s = ttft_q[1];
  r.ttft_p99_s = ttft_q[2];
  return r;
}

}  // namespace

PoolSimulationResult simulate_pool(const PoolSimulationConfig& config, const RequestSampler& sample_request,
                                   Rng& rng) {
  check_pool(config);
  require(config.arrival_rate_per_s > 0 && std::isfinite(config.arrival_rate_per_s),
          "simulate_pool: arrival rate must be finite and > 0");
  require(config.duration_s > 0 && std::isfinite(config.duration_s), "simulate_pool: duration must be > 0");
  require(config.warmup_s >= 0 && std::isfinite(config.warmup_s), "simulate_pool: warm-up must be >= 0");
  require(config.arrivals.scv >= 0 && std::isfinite(config.arrivals.scv), "simulate_pool: arrival scv must be >= 0");
  require(config.context_tokens >= 2, "simulate_pool: context must hold at least 2 tokens");
  require(!config.prefill_busy_share || *config.prefill_busy_share >= 0,
          "simulate_pool: the prefill's share of the replicas' time must be >= 0");

  const double end_s = config.warmup_s + config.duration_s;
  const ArrivalProcess& arrivals = config.arrivals;
  ArrivalGenerator gaps(arrivals, config.arrival_rate_per_s, rng);
  double clock = 0;
  auto next = [&](double& t, RequestTokens& tokens) {
    clock += gaps.next_gap(rng);
    if (!(clock < end_s)) return false;
    t = clock;
    tokens = sample_request(rng);
    return true;
  };
  return run_pool(config, config.warmup_s, end_s, config.arrival_rate_per_s * config.duration_s,
                  std::max(1.0, dispersion_index(arrivals, config.arrival_rate_per_s, config.duration_s)), next);
}

PoolSimulationResult replay_pool(const PoolSimulationConfig& config, std::span<const TimedRequest> requests) {
  check_pool(config);
  require(!requests.empty(), "replay_pool: the trace holds no request");
  const double start_s = requests.front().arrival_s;
  const double end_s = std::nextafter(requests.back().arrival_s, std::numeric_limits<double>::infinity());
  const PoolSimulationConfig& c = config;
  std::size_t i = 0;
  auto next = [&](double& t, RequestTokens& tokens) {
    if (i == requests.size()) return false;
    require(i == 0 || requests[i].arrival_s >= requests[i - 1].arrival_s, "replay_pool: arrivals must be in time order");
    t = requests[i].arrival_s;
    tokens = requests[i].tokens;
    ++i;
    return true;
  };
  return run_pool(c, start_s, std::max(end_s, start_s + 1e-9), static_cast<double>(requests.size()), 0.0, next);
}

std::vector<TimedRequest> superpose_copies(std::span<const TimedRequest> trace, double copies, Rng& rng) {
  require(!trace.empty(), "superpose_copies: the trace holds no request");
  require(copies > 0 && std::isfinite(copies), "superpose_copies: copies must be finite and > 0");
  const double first = trace.front().arrival_s;
  // The period the copies wrap round: the trace's span plus one mean gap, so that the last request
  // and a wrapped first one are not stacked.
  const double span = trace.back().arrival_s - first;
  const double period = span + (trace.size() > 1 ? span / static_cast<double>(trace.size() - 1) : 1.0);
  const auto whole = static_cast<long long>(std::floor(copies));
  const double part = copies - static_cast<double>(whole);
  const long long count = whole + (part > 0 ? 1 : 0);
  std::vector<TimedRequest> out;
  out.reserve(static_cast<std::size_t>(static_cast<double>(trace.size()) * std::ceil(copies)));
  for (long long c = 0; c < count; ++c) {
    // Copy c starts c/count of the way through the period; the last, partial copy keeps each
    // request with probability `part` (thinning).
    const double offset = period * static_cast<double>(c) / static_cast<double>(count);
    const bool thinned = c == whole;
    for (const TimedRequest& r : trace) {
      if (thinned && !(rng.uniform01() < part)) continue;
      double t = r.arrival_s - first + offset;
      if (t >= period) t -= period;
      out.push_back({first + t, r.tokens});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TimedRequest& a, const TimedRequest& b) { return a.arrival_s < b.arrival_s; });
  return out;
}

}  // namespace tokencast
