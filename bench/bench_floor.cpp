// The floor: the cheapest generation of the random variates one workload-hour of the hourly path
// needs (docs/cost-model.md, "Traffic" and "Token sums"): a Gamma burst factor, a Poisson count of
// large mean, and two Gamma token sums of large shape. No scenario, no bookkeeping: the engine's
// cost per workload-hour (BM_capacity_workload_hour in bench_engine.cpp) divided by the floor is
// what the engine spends beyond drawing its random numbers.
//
// Every variant draws from tokencast's own Rng (xoshiro256++). Normals come from Boost.Random's
// ziggurat, Gammas from Marsaglia and Tsang on that normal. The Poisson of the floor is the normal
// approximation with continuity correction, floor(mean + sqrt(mean) z + 0.5): one normal per hour,
// and honest at these means (its skewness error 1/sqrt(mean) is 0.03 at 1e3 and falls from there).
//
// BM_floor_two_pass is the floor bench/compare uses: a month of counts from one stream, then the
// month's token sums from another, so no token sum waits on its hour's count (the engine's order;
// the same variates, drawn faster). BM_floor draws each hour whole from one stream, for
// comparison. BM_floor_ptrs swaps in Boost's PTRS Poisson; BM_engine_primitives and
// BM_engine_primitives_two_pass call tokencast's own Gamma and Poisson samplers, separating the
// samplers' price from the engine's bookkeeping. items_per_second = workload-hours per second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>

#include "tokencast/random.hpp"
#include "tokencast/token_moments.hpp"

namespace {

using tokencast::Rng;

// One workload-month per benchmark iteration, so the loop's overhead is amortised.
constexpr int hours_per_iteration = 730;
constexpr double burstiness = 0.2;

// Per-request token moments of support-chat in bench/scenarios/capacity-12-month.toml: input
// lognormal mean 1155, cv 0.96; output lognormal median 180, sigma 0.7.
struct Moments {
  double input_mean, input_variance, output_mean, output_variance;
};
Moments chat_moments() {
  const double in_mean = 1155, in_sd = 0.96 * in_mean;
  const double s2 = 0.7 * 0.7, out_mean = 180 * std::exp(0.5 * s2);
  return {in_mean, in_sd * in_sd, out_mean, std::expm1(s2) * out_mean * out_mean};
}

// The Gamma of a sum of n requests: shape n x shape, scale as given (n mu^2 / sigma^2, sigma^2 / mu).
struct SumGamma {
  double in_shape, in_scale, out_shape, out_scale;
};
SumGamma chat_sum_gamma() {
  const Moments m = chat_moments();
  return {m.input_mean * m.input_mean / m.input_variance, m.input_variance / m.input_mean,
          m.output_mean * m.output_mean / m.output_variance, m.output_variance / m.output_mean};
}

// Seconds per workload-hour (CPU time), shown with an SI prefix: "61n" is 61 ns.
void count_workload_hours(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * hours_per_iteration);
  state.counters["s_per_workload_hour"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * hours_per_iteration, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

double open_uniform(Rng& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

// Written out here rather than calling tokencast::GammaVariate: the floor is a reference that
// must not inherit what the engine's sampler adds (shape < 1 handling, its calling convention).
// Marsaglia & Tsang (2000) for shape >= 1 (every shape here is): one normal and one uniform per try,
// accepted by the squeeze almost always at large shapes. The constants d and c are computed once
// for the burst factor, whose shape is fixed for a trial, and per draw for the token sums.
struct GammaMt {
  double d, c;
  explicit GammaMt(double shape) : d(shape - 1.0 / 3.0), c(1.0 / std::sqrt(9.0 * d)) {}
  double operator()(Rng& rng, boost::random::normal_distribution<double>& normal) const {
    for (;;) {
      double x, v;
      do {
        x = normal(rng);
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = open_uniform(rng);
      const double x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
      if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
    }
  }
};

double gamma_mt(double shape, Rng& rng, boost::random::normal_distribution<double>& normal) {
  return GammaMt(shape)(rng, normal);
}

// The hour loop shared by every variant: `burst(rng)` the burst factor's unit-scale Gamma of shape
// burst_shape, `gamma(shape, rng)` a unit-scale Gamma, `poisson(mean, rng)` a count. range(0) is the
// hour's mean request count.
template <class Burst, class Gamma, class Poisson>
void workload_hours(benchmark::State& state, Burst burst, Gamma gamma, Poisson poisson) {
  Rng rng(0x5eed);
  const double mean_requests = static_cast<double>(state.range(0));
  const double burst_shape = 1.0 / (burstiness * burstiness);
  const auto [in_shape, in_scale, out_shape, out_scale] = chat_sum_gamma();
  double tokens = 0;
  for (auto _ : state) {
    for (int h = 0; h < hours_per_iteration; ++h) {
      const double rate = mean_requests * burst(rng) / burst_shape;
      const double n = poisson(rate, rng);
      if (n > 0) tokens += gamma(n * in_shape, rng) * in_scale + gamma(n * out_shape, rng) * out_scale;
    }
    benchmark::DoNotOptimize(tokens);
  }
  count_workload_hours(state);
}

void BM_floor(benchmark::State& state) {
  boost::random::normal_distribution<double> normal;
  const GammaMt burst(1.0 / (burstiness * burstiness));
  workload_hours(
      state, [&](Rng& rng) { return burst(rng, normal); },
      [&](double shape, Rng& rng) { return gamma_mt(shape, rng, normal); },
      [&](double mean, Rng& rng) { return std::max(0.0, std::floor(mean + std::sqrt(mean) * normal(rng) + 0.5)); });
}
BENCHMARK(BM_floor)->Arg(1000)->Arg(10000)->Arg(100000);

// The same variates with counts and token sums from two streams, a month of counts first: no
// token sum waits on its hour's count (the engine's order, TrialSimulator::simulate_month).
// Its loops are written out rather than through a template of lambdas like workload_hours: that
// form measured 37 to 41 ns against 31.7 to 32.4 ns, and a slower floor would flatter the engine.
void BM_floor_two_pass(benchmark::State& state) {
  boost::random::normal_distribution<double> normal;
  const GammaMt burst(1.0 / (burstiness * burstiness));
  Rng traffic(0x5eed), tokens_rng(0x70c5);
  const double mean_requests = static_cast<double>(state.range(0));
  const double burst_shape = 1.0 / (burstiness * burstiness);
  const auto [in_shape, in_scale, out_shape, out_scale] = chat_sum_gamma();
  std::vector<double> counts(hours_per_iteration);
  double tokens = 0;
  for (auto _ : state) {
    for (int h = 0; h < hours_per_iteration; ++h) {
      const double rate = mean_requests * burst(traffic, normal) / burst_shape;
      counts[static_cast<std::size_t>(h)] = std::max(0.0, std::floor(rate + std::sqrt(rate) * normal(traffic) + 0.5));
    }
    for (int h = 0; h < hours_per_iteration; ++h) {
      const double n = counts[static_cast<std::size_t>(h)];
      if (n > 0) tokens += gamma_mt(n * in_shape, tokens_rng, normal) * in_scale + gamma_mt(n * out_shape, tokens_rng, normal) * out_scale;
    }
    benchmark::DoNotOptimize(tokens);
  }
  count_workload_hours(state);
}
BENCHMARK(BM_floor_two_pass)->Arg(1000)->Arg(10000)->Arg(100000);

// BM_floor_two_pass with tokencast's own Poisson (Cornish-Fisher) and Gamma samplers, written
// out the same way.
void BM_engine_primitives_two_pass(benchmark::State& state) {
  const tokencast::GammaVariate burst(1.0 / (burstiness * burstiness), burstiness * burstiness);
  Rng traffic(0x5eed), tokens_rng(0x70c5);
  const double mean_requests = static_cast<double>(state.range(0));
  const auto [in_shape, in_scale, out_shape, out_scale] = chat_sum_gamma();
  std::vector<double> counts(hours_per_iteration);
  double tokens = 0;
  for (auto _ : state) {
    for (int h = 0; h < hours_per_iteration; ++h) {
      counts[static_cast<std::size_t>(h)] = tokencast::sample_poisson(mean_requests * burst(traffic), traffic);
    }
    for (int h = 0; h < hours_per_iteration; ++h) {
      const double n = counts[static_cast<std::size_t>(h)];
      if (n > 0) {
        tokens += tokencast::GammaVariate(n * in_shape, in_scale)(tokens_rng) +
                  tokencast::GammaVariate(n * out_shape, out_scale)(tokens_rng);
      }
    }
    benchmark::DoNotOptimize(tokens);
  }
  count_workload_hours(state);
}
BENCHMARK(BM_engine_primitives_two_pass)->Arg(10000);

void BM_floor_ptrs(benchmark::State& state) {
  boost::random::normal_distribution<double> normal;
  const GammaMt burst(1.0 / (burstiness * burstiness));
  workload_hours(
      state, [&](Rng& rng) { return burst(rng, normal); },
      [&](double shape, Rng& rng) { return gamma_mt(shape, rng, normal); },
      [](double mean, Rng& rng) {
        boost::random::poisson_distribution<std::int64_t, double> poisson(mean);
        return static_cast<double>(poisson(rng));
      });
}
BENCHMARK(BM_floor_ptrs)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_engine_primitives(benchmark::State& state) {
  const double shape = 1.0 / (burstiness * burstiness);
  const tokencast::GammaVariate burst(shape, 1.0);
  workload_hours(
      state, [&](Rng& rng) { return burst(rng); },
      [](double shape, Rng& rng) { return tokencast::sample_gamma(shape, 1.0, rng); },
      [](double mean, Rng& rng) { return tokencast::sample_poisson(mean, rng); });
}
BENCHMARK(BM_engine_primitives)->Arg(1000)->Arg(10000)->Arg(100000);

// The building blocks, for scale: raw 64-bit outputs and ziggurat normals (items = variates).
void BM_xoshiro256pp(benchmark::State& state) {
  Rng rng(1);
  std::uint64_t x = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) x ^= rng();
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_xoshiro256pp);

void BM_normal_ziggurat(benchmark::State& state) {
  Rng rng(1);
  boost::random::normal_distribution<double> normal;
  double x = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) x += normal(rng);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_normal_ziggurat);

}  // namespace

BENCHMARK_MAIN();
