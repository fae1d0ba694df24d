#include "tokencast/queueing.hpp"

#include <algorithm>
#include <array>
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

// Interarrival times with mean 1 / rate and squared coefficient of variation `scv`.
class Interarrivals {
 public:
  Interarrivals(double rate, double scv) : rate_(rate), scv_(scv) {
    if (scv > 1.0) {
      // Two-phase hyperexponential with balanced means (p1 / rate1 = p2 / rate2), the usual
      // two-moment fit for bursty traffic (Whitt 1982).
      p1_ = 0.5 * (1.0 + std::sqrt((scv - 1.0) / (scv + 1.0)));
      rate1_ = 2.0 * p1_ * rate;
      rate2_ = 2.0 * (1.0 - p1_) * rate;
    }
  }

  double operator()(Rng& rng) const {
    if (scv_ == 1.0) return exponential(rate_, rng);
    if (scv_ > 1.0) return rng.uniform01() < p1_ ? exponential(rate1_, rng) : exponential(rate2_, rng);
    if (scv_ == 0.0) return 1.0 / rate_;
    return sample_gamma(1.0 / scv_, scv_ / rate_, rng);  // mean 1/rate, variance scv/rate^2
  }

 private:
  static double exponential(double rate, Rng& rng) { return -std::log1p(-rng.uniform01()) / rate; }

  double rate_, scv_;
  double p1_ = 1, rate1_ = 0, rate2_ = 0;
};

// Replaces the smallest element of a binary min-heap by `value` and restores the heap: one sift
// down instead of a pop and a push.
void replace_min(std::vector<double>& heap, double value) {
  const std::size_t n = heap.size();
  std::size_t i = 0;
  for (;;) {
    const std::size_t left = 2 * i + 1;
    if (left >= n) break;
    const std::size_t right = left + 1;
    const std::size_t child = (right < n && heap[right] < heap[left]) ? right : left;
    if (!(heap[child] < value)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = value;
}

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
  cost.bytes = 8.0 * slots + 16.0 * config.arrival_rate_per_s * config.duration_s;
  return cost;
}

PoolSimulationResult simulate_pool(const PoolSimulationConfig& config, const Dist& input, const Dist& output,
                                   Rng& rng) {
  return simulate_pool(
      config, [&](Rng& r) { return sample_request_tokens(input, output, config.context_tokens, r); }, rng);
}

PoolSimulationResult simulate_pool(const PoolSimulationConfig& config, const RequestSampler& sample_request,
                                   Rng& rng) {
  require(config.replicas >= 1 && config.max_concurrency >= 1,
          "simulate_pool: replicas and max_concurrency must be >= 1");
  const long long slot_count = static_cast<long long>(config.replicas) * config.max_concurrency;
  require(static_cast<double>(slot_count) <= max_pool_slots, "simulate_pool: too many slots to simulate");
  require(config.arrival_rate_per_s > 0 && std::isfinite(config.arrival_rate_per_s),
          "simulate_pool: arrival rate must be finite and > 0");
  require(config.duration_s > 0 && std::isfinite(config.duration_s), "simulate_pool: duration must be > 0");
  require(config.warmup_s >= 0 && std::isfinite(config.warmup_s), "simulate_pool: warm-up must be >= 0");
  require(config.arrival_scv >= 0 && std::isfinite(config.arrival_scv), "simulate_pool: arrival scv must be >= 0");
  require(config.prefill_tokens_per_s > 0 && config.decode_tokens_per_s > 0,
          "simulate_pool: prefill and decode throughputs must be > 0");
  require(config.context_tokens >= 2, "simulate_pool: context must hold at least 2 tokens");

  const double start_s = config.warmup_s;
  const double end_s = config.warmup_s + config.duration_s;
  const double per_output_token_s = config.max_concurrency / config.decode_tokens_per_s;
  const Interarrivals next_gap(config.arrival_rate_per_s, config.arrival_scv);

  // All slots free at time 0: a heap of equal keys is already a heap.
  std::vector<double> slot_free_s(static_cast<std::size_t>(slot_count), 0.0);
  std::vector<double> waits, ttfts;
  const double expected = config.arrival_rate_per_s * config.duration_s;
  const auto reserve = static_cast<std::size_t>(
      expected + 6.0 * std::sqrt(expected * std::max(1.0, config.arrival_scv)) + 64.0);
  waits.reserve(reserve);
  ttfts.reserve(reserve);

  constexpr auto kBatches = static_cast<std::size_t>(pool_simulation_batches);
  std::array<double, kBatches> batch_wait{}, batch_waited{}, batch_count{};
  double busy_slot_s = 0, wait_sum = 0, waited = 0;

  std::uint32_t until_poll = 0;
  for (double t = next_gap(rng); t < end_s; t += next_gap(rng)) {
    if (config.cancel != nullptr && ++until_poll == (1u << 16)) {
      until_poll = 0;
      if (config.cancel->load(std::memory_order_relaxed)) throw Interrupted();
    }
    const RequestTokens tokens = sample_request(rng);
    const double prefill_s = tokens.input / config.prefill_tokens_per_s;
    const double service_s = prefill_s + tokens.output * per_output_token_s;
    const double begin = std::max(slot_free_s.front(), t);
    const double finish = begin + service_s;
    replace_min(slot_free_s, finish);
    // Busy time counts only inside the measured window, whoever's request it is.
    busy_slot_s += std::max(0.0, std::min(finish, end_s) - std::max(begin, start_s));
    if (t < start_s) continue;

    const double wait = begin - t;  // exactly 0 when a slot was free
    waits.push_back(wait);
    ttfts.push_back(wait + prefill_s);
    wait_sum += wait;
    waited += wait > 0 ? 1.0 : 0.0;
    const auto batch = std::min(kBatches - 1, static_cast<std::size_t>((t - start_s) / config.duration_s * kBatches));
    batch_wait[batch] += wait;
    batch_waited[batch] += wait > 0 ? 1.0 : 0.0;
    batch_count[batch] += 1.0;
  }

  PoolSimulationResult r;
  r.requests = static_cast<std::int64_t>(waits.size());
  r.utilization = busy_slot_s / (static_cast<double>(slot_count) * config.duration_s);
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

}  // namespace tokencast
