#include "tokencast/queueing.hpp"

#include <algorithm>
#include <array>
#include <functional>
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

// A binary min-heap over the items 0..n-1 by a key each, any of which may change: the replicas by
// their next event, or by when their prefill frees. The order of events is a function of the
// inputs alone.
class IndexedMinHeap {
 public:
  IndexedMinHeap(std::size_t n, double key) : key_(n, key), heap_(n), pos_(n) {
    for (std::size_t i = 0; i < n; ++i) heap_[i] = pos_[i] = i;
  }
  std::size_t top() const { return heap_[0]; }
  double top_key() const { return key_[heap_[0]]; }
  void set(std::size_t item, double key) {
    const double old = key_[item];
    key_[item] = key;
    if (key < old) {
      up(pos_[item]);
    } else if (key > old) {
      down(pos_[item]);
    }
  }

 private:
  void place(std::size_t at, std::size_t item) {
    heap_[at] = item;
    pos_[item] = at;
  }
  void up(std::size_t at) {
    const std::size_t item = heap_[at];
    while (at > 0) {
      const std::size_t parent = (at - 1) / 2;
      if (!(key_[item] < key_[heap_[parent]])) break;
      place(at, heap_[parent]);
      at = parent;
    }
    place(at, item);
  }
  void down(std::size_t at) {
    const std::size_t item = heap_[at];
    const std::size_t n = heap_.size();
    for (;;) {
      const std::size_t left = 2 * at + 1;
      if (left >= n) break;
      const std::size_t right = left + 1;
      const std::size_t child = (right < n && key_[heap_[right]] < key_[heap_[left]]) ? right : left;
      if (!(key_[heap_[child]] < key_[item])) break;
      place(at, heap_[child]);
      at = child;
    }
    place(at, item);
  }
  std::vector<double> key_;
  std::vector<std::size_t> heap_, pos_;
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
  // A finish reading (8 bytes) and a prefilled entry (16) a slot; a replica's state and its places
  // in two heaps; a wait and a TTFT an arrival.
  cost.bytes = 24.0 * slots + 144.0 * config.replicas + 16.0 * config.arrival_rate_per_s * config.duration_s;
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
  require(config.decode_fixed_share > 0 && config.decode_fixed_share <= 1,
          "simulate_pool: decode_fixed_share must lie in (0, 1]");
}

// The FCFS pool over [start_s, end_s): `next(t, tokens)` gives the arrivals in time order and
// returns false once there are no more before end_s. Arrivals before start_s warm the pool up;
// after the last, the pool runs on until every queued request has been admitted.
// The prefill busy fraction a decode shares is averaged over the last minute: the scale at which
// bursts below the hour are measured (an index of dispersion over 60 s windows).
constexpr double kShareWindowS = 60.0;
constexpr double kNever = std::numeric_limits<double>::infinity();

// A request whose prefill is scheduled: when its first token comes, and the tokens it decodes.
struct Prefilled {
  double first_token_s;
  double output;
};
// A request waiting in the pool's queue for a slot.
struct Queued {
  double arrival_s;
  RequestTokens tokens;
};

// One replica between its events. Its decoding sequences all advance at one speed, so each is kept
// as the reading of a shared token clock at which it finishes (virtual time, as in processor
// sharing): the least reading is the next to finish, and a change of speed moves no reading.
struct ReplicaState {
  double token_clock = 0;  // tokens each decoding sequence has made since the clock last restarted
  double clock_at_s = 0;   // when token_clock was last brought up to date
  double speed = 0;        // tokens/s of each decoding sequence since then
  double prefill_free_s = 0;
  double share = 0, share_at_s = 0;  // the prefill's busy fraction (exponential average), and when
  int held = 0;                      // slots held: admitted and not finished
  int decoding = 0;                  // of which decoding: their finish readings in a min-heap
  std::size_t prefilled_head = 0, prefilled_count = 0;  // ring of the prefilled, in first-token order
  bool next_is_finish = false;
};

template <typename NextArrival>
PoolSimulationResult run_pool(const PoolSimulationConfig& config, double start_s, double end_s, double expected,
                              double spread, NextArrival next) {
  const auto replicas = static_cast<std::size_t>(config.replicas);
  const auto m = static_cast<std::size_t>(config.max_concurrency);
  const double duration_s = end_s - start_s;
  // Decode gets the GPU time prefill leaves. A given share holds throughout; otherwise each
  // replica's share is its prefill's busy fraction over the last minute (an exponential average),
  // so a burst of prompts slows the decodes that follow it. At a share near 1 the pool cannot keep
  // up anyway, so decode is held at 1% of its speed.
  const bool fixed_share = config.prefill_busy_share.has_value();
  const double per_full_token_s = config.max_concurrency / config.decode_tokens_per_s;
  const double fixed_step = config.decode_fixed_share;
  double first_arrival_s = std::numeric_limits<double>::quiet_NaN();

  std::vector<ReplicaState> replica(replicas);
  std::vector<double> finish_at(replicas * m);     // replica r's heap: [r m, r m + decoding)
  std::vector<Prefilled> prefilled(replicas * m);  // replica r's ring: [r m, (r + 1) m)
  IndexedMinHeap events(replicas, kNever);         // replicas by their next event
  IndexedMinHeap free_slot(replicas, 0.0);         // by when their prefill frees; kNever: no slot free
  std::vector<Queued> queue;
  std::size_t queue_head = 0;

  std::vector<double> waits, ttfts;
  const auto reserve = static_cast<std::size_t>(expected + 6.0 * std::sqrt(expected * spread) + 64.0);
  waits.reserve(reserve);
  ttfts.reserve(reserve);
  constexpr auto kBatches = static_cast<std::size_t>(pool_simulation_batches);
  std::array<double, kBatches> batch_wait{}, batch_waited{}, batch_count{};
  double work_s = 0, wait_sum = 0, waited = 0;

  auto share_at = [&](const ReplicaState& s, double at) {
    if (fixed_share) return *config.prefill_busy_share;
    // Divided by the weight the average has had time to gather since the first arrival.
    const double recent = s.share * std::exp(std::min(0.0, (s.share_at_s - at) / kShareWindowS));
    const double gathered = -std::expm1((first_arrival_s - at) / kShareWindowS);
    return gathered > 1e-9 ? std::min(1.0, recent / gathered) : 0.0;
  };
  auto advance = [&](ReplicaState& s, double at) {
    if (s.decoding > 0) s.token_clock += (at - s.clock_at_s) * s.speed;
    s.clock_at_s = at;
  };
  // The speed from `at` on, and the replica's next event: a decode finishing or one starting.
  auto reschedule = [&](std::size_t r, double at) {
    ReplicaState& s = replica[r];
    double finish = kNever;
    if (s.decoding > 0) {
      const double step = fixed_step + (1.0 - fixed_step) * s.decoding / static_cast<double>(m);
      s.speed = std::max(0.01, 1.0 - share_at(s, at)) / (per_full_token_s * step);
      finish = at + std::max(0.0, finish_at[r * m] - s.token_clock) / s.speed;
    }
    const double starts = s.prefilled_count > 0 ? prefilled[r * m + s.prefilled_head].first_token_s : kNever;
    s.next_is_finish = finish <= starts;
    events.set(r, std::min(finish, starts));
  };
  auto record = [&](double arrival_s, double wait, double prefill_s, double output) {
    if (arrival_s < start_s) return;
    work_s += prefill_s + output / config.decode_tokens_per_s;
    waits.push_back(wait);
    ttfts.push_back(wait + prefill_s);
    wait_sum += wait;
    waited += wait > 0 ? 1.0 : 0.0;
    const auto batch = std::min(kBatches - 1, static_cast<std::size_t>((arrival_s - start_s) / duration_s * kBatches));
    batch_wait[batch] += wait;
    batch_waited[batch] += wait > 0 ? 1.0 : 0.0;
    batch_count[batch] += 1.0;
  };
  // Replica r takes the request at `at` (a slot is free): it holds the slot from now to its last
  // token, and its prefill follows those already scheduled.
  auto admit = [&](std::size_t r, double arrival_s, double at, const RequestTokens& tokens) {
    ReplicaState& s = replica[r];
    advance(s, at);
    const double prefill_start = std::max(at, s.prefill_free_s);
    const double prefill_s = tokens.input / config.prefill_tokens_per_s;
    const double first_token = prefill_start + prefill_s;
    if (!fixed_share) {
      const double before = s.share * std::exp((s.share_at_s - prefill_start) / kShareWindowS);
      s.share = before * std::exp(-prefill_s / kShareWindowS) - std::expm1(-prefill_s / kShareWindowS);
      s.share_at_s = first_token;
    }
    s.prefill_free_s = first_token;
    ++s.held;
    prefilled[r * m + (s.prefilled_head + s.prefilled_count) % m] = {first_token, tokens.output};
    ++s.prefilled_count;
    free_slot.set(r, static_cast<std::size_t>(s.held) < m ? first_token : kNever);
    reschedule(r, at);
    record(arrival_s, prefill_start - arrival_s, prefill_s, tokens.output);
  };
  auto handle_next_event = [&] {
    const std::size_t r = events.top();
    const double at = events.top_key();
    ReplicaState& s = replica[r];
    double* heap = finish_at.data() + r * m;
    advance(s, at);
    if (s.next_is_finish) {
      std::pop_heap(heap, heap + s.decoding, std::greater<>());
      --s.decoding;
      --s.held;
      if (s.decoding == 0) s.token_clock = 0;
      if (queue_head < queue.size()) {
        const Queued q = queue[queue_head++];
        if (queue_head == queue.size()) {
          queue.clear();
          queue_head = 0;
        }
        admit(r, q.arrival_s, at, q.tokens);
        return;
      }
      free_slot.set(r, s.prefill_free_s);
    } else {
      const Prefilled p = prefilled[r * m + s.prefilled_head];
      s.prefilled_head = (s.prefilled_head + 1) % m;
      --s.prefilled_count;
      heap[s.decoding++] = s.token_clock + p.output;
      std::push_heap(heap, heap + s.decoding, std::greater<>());
    }
    reschedule(r, at);
  };

  std::uint32_t until_poll = 0;
  auto poll = [&] {
    if (config.cancel != nullptr && ++until_poll == (1u << 16)) {
      until_poll = 0;
      if (config.cancel->load(std::memory_order_relaxed)) throw Interrupted();
    }
  };
  double t = 0;
  RequestTokens tokens;
  while (next(t, tokens)) {
    poll();
    if (std::isnan(first_arrival_s)) first_arrival_s = t;
    while (events.top_key() <= t) handle_next_event();
    // FCFS: to the replica with a free slot whose prefill frees first, else the pool's queue.
    if (free_slot.top_key() < kNever) {
      admit(free_slot.top(), t, t, tokens);
    } else {
      queue.push_back({t, tokens});
    }
  }
  // With every slot held, some replica has an event to come.
  while (queue_head < queue.size()) {
    poll();
    handle_next_event();
  }

  PoolSimulationResult r;
  r.requests = static_cast<std::int64_t>(waits.size());
  r.utilization = work_s / (static_cast<double>(replicas) * duration_s);
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
