// Per-request and per-hour token draws: independent against correlated (the Gaussian copula), by
// law, so that what `input_output_correlation` costs is a ratio measured in one run
// (docs/performance.md, "Correlated tokens").
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "tokencast/distribution.hpp"
#include "tokencast/random.hpp"
#include "tokencast/token_moments.hpp"

namespace {

using namespace tokencast;

constexpr std::int64_t kContext = 131072;

Dist lognormal_by(double mean, double cv) {
  const double s2 = std::log1p(cv * cv);
  return Dist::lognormal(std::log(mean) - 0.5 * s2, std::sqrt(s2));
}

// The laws a fitted log gives: 0 lognormal, 1 gamma, 2 two lognormals mixed.
struct Laws {
  std::vector<double> pairs{std::log(400.0), 0.5, std::log(4000.0), 0.6}, cumulative{0.7, 1.0};
  Dist input(int kind) const {
    if (kind == 1) return Dist::gamma(1 / 0.81, 1200 * 0.81);
    if (kind == 2) return Dist::lognormal_mixture(pairs, cumulative);
    return lognormal_by(1200, 0.9);
  }
};

// Requests drawn one by one (the exact mode's and the capacity simulations' path); range(0): law,
// range(1): 0 independent, 1 correlated (Spearman -0.5).
void BM_request_tokens(benchmark::State& state) {
  const Laws laws;
  const Dist input = laws.input(static_cast<int>(state.range(0))), output = lognormal_by(250, 0.8);
  const double r = state.range(1) ? normal_correlation_of_spearman(-0.5) : 0.0;
  Rng rng(7);
  double sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) sum += sample_request_tokens(input, output, kContext, rng, r).input;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_request_tokens)->ArgsProduct({{0, 1, 2}, {0, 1}});

// Hourly sums of 500 requests (the Gamma path, or the correlated Wilson-Hilferty pair).
void BM_hour_sums(benchmark::State& state) {
  const Dist input = lognormal_by(1200, 0.9), output = lognormal_by(250, 0.8);
  const double r = state.range(0) ? normal_correlation_of_spearman(-0.5) : 0.0;
  const TokenMoments m = token_moments(input, output, kContext, r, copula_pearson(input, output, r));
  Rng rng(7);
  double sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) sum += sample_token_sums(500, m, input, output, kContext, rng).input;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_hour_sums)->Arg(0)->Arg(1);

// The copula's Pearson correlation on the grid (once per shape of the laws): a gamma and a mixture.
void BM_copula_pearson(benchmark::State& state) {
  const Laws laws;
  const Dist input = laws.input(2), output = Dist::gamma(2, 100);
  for (auto _ : state) benchmark::DoNotOptimize(copula_pearson(input, output, 0.4));
}
BENCHMARK(BM_copula_pearson)->Unit(benchmark::kMillisecond);

}  // namespace
