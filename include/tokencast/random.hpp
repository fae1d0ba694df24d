#pragma once
// Random streams named by purpose. Each trial's streams are derived from (seed, trial index,
// purpose, entity index), never from the thread that runs the trial, so results are bit-identical
// for any thread count or partition (as OpenMC seeds each particle from its index).
//
// The engine is xoshiro256++ (Blackman & Vigna): Boost 1.74's engines are either slow to seed
// (mt19937_64 initialises 312 words) or weak (taus88); a trial seeds dozens of streams, so seeding
// must cost a few nanoseconds. It models Boost.Random's UniformRandomBitGenerator, and every
// distribution in tokencast draws from it through Boost.Random's distributions.
#include <cstdint>
#include <limits>

namespace tokencast {

class Xoshiro256pp {
 public:
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  Xoshiro256pp() : Xoshiro256pp(0) {}
  explicit Xoshiro256pp(std::uint64_t seed) { this->seed(seed); }

  // Fills the state from SplitMix64, as the xoshiro authors recommend.
  void seed(std::uint64_t value) {
    for (auto& word : s_) word = splitmix64(value);
  }

  result_type operator()() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // A double in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  // Advances `value` and returns the next SplitMix64 output.
  static std::uint64_t splitmix64(std::uint64_t& value) {
    std::uint64_t z = (value += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

using Rng = Xoshiro256pp;

// draw(copy) on a copy of `rng`, whose state then becomes rng's: for a hot loop's out-of-line
// draws. Were the loop's own stream passed by address, the compiler would keep it in memory and
// store it before every opaque call in the loop (log, exp); the copy's address escapes instead.
template <class Draw>
auto draw_through_copy(Rng& rng, Draw draw) {
  Rng copy = rng;
  const auto value = draw(copy);
  rng = copy;
  return value;
}

// What a stream is used for. Values are part of the results' identity: never renumber.
enum class StreamPurpose : std::uint64_t {
  scenario_parameters = 1,  // per-trial draws of prices, throughputs, utilisation targets
  workload_parameters = 2,  // per-trial draws of volume, growth, traffic and token parameters
  traffic = 3,              // request counts (Poisson, burst factors)
  tokens = 4,               // token sums and per-request token draws
  capacity_check = 5,       // replications of the peak-hour pool simulation
  load_time_means = 6,      // means of uncertain figures that loading needs (throughput estimates)
  capacity_sizing = 7,      // the pool simulation that sizes a latency objective under bursty arrivals
  log_fit = 8,              // `fit`: the block bootstrap and the sample of requests, per workload
  correlation = 9,          // the normal scores of a [[correlation]] group's inputs, per trial
};

// The stream for one (seed, trial, purpose, entity); `entity` is e.g. a workload index and
// `substream` e.g. a month, so draws of one entity do not shift when another changes.
inline Rng make_stream(std::uint64_t seed, std::uint64_t trial, StreamPurpose purpose,
                       std::uint64_t entity = 0, std::uint64_t substream = 0) {
  std::uint64_t key = seed;
  std::uint64_t h = Rng::splitmix64(key);
  key = h ^ trial;
  h = Rng::splitmix64(key);
  key = h ^ static_cast<std::uint64_t>(purpose);
  h = Rng::splitmix64(key);
  key = h ^ entity;
  h = Rng::splitmix64(key);
  key = h ^ substream;
  return Rng(Rng::splitmix64(key));
}

}  // namespace tokencast
