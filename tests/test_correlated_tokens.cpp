// Input and output tokens joined by a Gaussian copula (docs/cost-model.md, "Correlated tokens"):
// the copula's Pearson correlation against its closed form, per-request draws and the correlated
// sums against the exact covariance, the service time's variance, and a run whose monthly cost
// variance is the compound-Poisson one, lambda E[c^2], with the covariance in it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "cli_runner.hpp"
#include "scenario_builders.hpp"
#include "tokencast/distribution.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/queueing.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/token_moments.hpp"

using namespace tokencast;
using namespace tokencast::test;

namespace {

Dist lognormal_by(double mean, double cv) {
  const double s2 = std::log1p(cv * cv);
  return Dist::lognormal(std::log(mean) - 0.5 * s2, std::sqrt(s2));
}

// Ranks (1..n) of xs; ties do not occur for continuous draws of this size often enough to matter.
std::vector<double> ranks(const std::vector<double>& xs) {
  std::vector<std::size_t> order(xs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return xs[a] < xs[b]; });
  std::vector<double> r(xs.size());
  for (std::size_t i = 0; i < order.size(); ++i) r[order[i]] = static_cast<double>(i + 1);
  return r;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

// Sample covariance and the standard error of the sample mean of the centred products.
struct CovarianceEstimate {
  double value = 0, se = 0;
};
CovarianceEstimate covariance_of(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sum = 0, square = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double p = (x[i] - mx) * (y[i] - my);
    sum += p;
    square += p * p;
  }
  const double mean = sum / n;
  return {mean, std::sqrt((square / n - mean * mean) / n)};
}

}  // namespace

TEST_CASE("the copula's Pearson correlation: the grid against the lognormal closed form, and against draws",
          "[correlation]") {
  const Dist in = lognormal_by(1000, 1.2), out = lognormal_by(300, 0.6);
  // A one-component mixture is the same lognormal, but goes through the Hermite grid.
  const std::vector<double> in_pair{std::log(1000 / std::sqrt(1 + 1.44)), std::sqrt(std::log1p(1.44))};
  const std::vector<double> out_pair{std::log(300 / std::sqrt(1 + 0.36)), std::sqrt(std::log1p(0.36))};
  const std::vector<double> one{1.0};
  const Dist in_grid = Dist::lognormal_mixture(in_pair, one), out_grid = Dist::lognormal_mixture(out_pair, one);
  for (const double spearman : {-0.9, -0.52, -0.1, 0.3, 0.7, 0.95}) {
    INFO("spearman " << spearman);
    const double r = normal_correlation_of_spearman(spearman);
    const double closed = copula_pearson(in, out, r);
    CHECK(copula_pearson(in_grid, out_grid, r) == Approx(closed).margin(1e-6));
    // Scale-free: the same for the laws scaled.
    CHECK(copula_pearson(Dist::lognormal_mixture(in_pair, one, 7.5), out_grid, r) ==
          Approx(copula_pearson(in_grid, out_grid, r)).epsilon(1e-12));
  }
  CHECK(copula_pearson(in, out, 0) == 0);
  CHECK(normal_correlation_of_spearman(1.0) == Approx(1.0));
  CHECK(normal_correlation_of_spearman(0.5) == Approx(2 * std::sin(M_PI / 12)));

  // A gamma and a histogram (no closed form): the grid against 400,000 draws, 4 standard errors.
  const Dist gamma = Dist::gamma(0.8, 500);
  const std::vector<double> edges{1, 50, 200, 1000}, cumulative{0.3, 0.8, 1.0};
  const Dist histogram = Dist::histogram(edges, cumulative);
  const double r = normal_correlation_of_spearman(-0.5);
  const double expected = copula_pearson(gamma, histogram, r);
  Rng rng(5);
  std::vector<double> xs, ys;
  for (int i = 0; i < 400000; ++i) {
    const RequestTokens t = sample_request_tokens(gamma, histogram, std::int64_t{1} << 40, rng, r);
    xs.push_back(t.input);
    ys.push_back(t.output);
  }
  const CovarianceEstimate c = covariance_of(xs, ys);
  const TokenMoments m = token_moments(gamma, histogram, std::int64_t{1} << 40, r, expected);
  CHECK(std::abs(c.value - m.covariance) < 4 * c.se);
  // The draws' rank correlation is the Spearman asked for (se about 1 / sqrt(n)).
  CHECK(std::abs(pearson(ranks(xs), ranks(ys)) - -0.5) < 4 / std::sqrt(400000.0));
}

TEST_CASE("correlated sums keep the exact mean, variance and n x the covariance; exact draws agree",
          "[correlation]") {
  const Dist in = lognormal_by(1200, 1.5), out = Dist::gamma(1.0 / 0.36, 250 * 0.36);
  const double r = normal_correlation_of_spearman(0.6);
  const TokenMoments m = token_moments(in, out, std::int64_t{1} << 40, r, copula_pearson(in, out, r));
  REQUIRE(m.covariance > 0);
  for (const double n : {40.0, 400.0, 40000.0}) {
    INFO("n = " << n);
    Rng rng(17);
    std::vector<double> xs, ys;
    const int draws = 200000;
    for (int i = 0; i < draws; ++i) {
      const RequestTokens s = sample_token_sums(n, m, in, out, std::int64_t{1} << 40, rng);
      xs.push_back(s.input);
      ys.push_back(s.output);
    }
    const double mean_x = std::accumulate(xs.begin(), xs.end(), 0.0) / draws;
    const double mean_y = std::accumulate(ys.begin(), ys.end(), 0.0) / draws;
    CHECK(std::abs(mean_x - n * m.input_mean) < 4 * std::sqrt(n * m.input_variance / draws));
    CHECK(std::abs(mean_y - n * m.output_mean) < 4 * std::sqrt(n * m.output_variance / draws));
    const CovarianceEstimate c = covariance_of(xs, ys);
    CHECK(std::abs(c.value - n * m.covariance) < 4 * c.se);
    const CovarianceEstimate vx = covariance_of(xs, xs);
    CHECK(std::abs(vx.value - n * m.input_variance) < 4 * vx.se);
  }
  // Drawn request by request (the exact mode's path): the same covariance.
  Rng rng(23);
  std::vector<double> xs, ys;
  for (int i = 0; i < 100000; ++i) {
    const RequestTokens s = sample_token_sums_exactly(10, in, out, std::int64_t{1} << 40, rng, nullptr, r);
    xs.push_back(s.input);
    ys.push_back(s.output);
  }
  const CovarianceEstimate c = covariance_of(xs, ys);
  CHECK(std::abs(c.value - 10 * m.covariance) < 4 * c.se);
}

TEST_CASE("the service time's variance carries 2 Cov(input, output) / P x m / D", "[correlation][capacity]") {
  ServiceProfile s;
  s.input_mean_tokens = 2000;
  s.input_variance = 4e6;
  s.output_mean_tokens = 400;
  s.output_variance = 1e5;
  s.prefill_tokens_per_s = 8000;
  s.decode_tokens_per_s = 2000;
  s.max_concurrency = 16;
  const double independent = s.service_scv();
  s.input_output_covariance = -0.4 * std::sqrt(4e6 * 1e5);
  const double per_output_s = 16.0 / 2000;
  const double variance = 4e6 / (8000.0 * 8000.0) + 1e5 * per_output_s * per_output_s +
                          2 * s.input_output_covariance * per_output_s / 8000.0;
  CHECK(s.service_scv() == Approx(variance / (s.mean_service_s() * s.mean_service_s())));
  CHECK(s.service_scv() < independent);
}

TEST_CASE("a run's monthly cost variance is lambda E[c^2] with the covariance in E[c^2]", "[correlation][engine]") {
  // Poisson counts (no burstiness, one flat day), so the month's serverless cost is compound Poisson:
  // Var = lambda E[c^2], c = p_in in + p_out out per request.
  const std::int64_t trials = 20000;
  auto scenario = [&](double spearman) {
    Scenario s = article(trials);
    s.hours_per_month = 24;
    s.workloads[0].requests_per_month = 3000.0;
    s.workloads[0].batchable = false;
    s.workloads[0].input_tokens = lognormal_mean_cv(1000, 1.0);
    s.workloads[0].output_tokens = lognormal_mean_cv(500, 1.0);
    s.workloads[0].input_output_correlation = spearman;
    return s;
  };
  const double p_in = 0.90e-6, p_out = 3.30e-6;
  auto expected_variance = [&](double spearman) {
    const Dist in = lognormal_by(1000, 1.0), out = lognormal_by(500, 1.0);
    const double r = normal_correlation_of_spearman(spearman);
    const TokenMoments m = token_moments(in, out, 131072, r, copula_pearson(in, out, r));
    const double e_in2 = m.input_variance + m.input_mean * m.input_mean;
    const double e_out2 = m.output_variance + m.output_mean * m.output_mean;
    const double e_inout = m.covariance + m.input_mean * m.output_mean;
    return 3000.0 * (p_in * p_in * e_in2 + p_out * p_out * e_out2 + 2 * p_in * p_out * e_inout);
  };
  for (const bool exact : {false, true}) {
    RunOptions options;
    options.exact = exact;
    options.precision = 0;
    const RunResult run = run_scenario(scenario(-0.6), options);
    const Summary& cost = run.workloads[0].costs[0].total_usd;
    const double variance = cost.sd * cost.sd;
    INFO("exact " << exact << ": variance " << variance << ", expected " << expected_variance(-0.6)
                  << ", independent " << expected_variance(0));
    // The sd of a sample variance: var x sqrt((kurtosis - 1) / n); the compound Poisson of 3,000
    // requests is near normal, kurtosis below 3.5 here.
    const double se = expected_variance(-0.6) * std::sqrt(2.5 / trials);
    CHECK(std::abs(variance - expected_variance(-0.6)) < 4 * se);
    CHECK(std::abs(variance - expected_variance(0)) > 4 * se);
  }
}

TEST_CASE("input_output_correlation is read, range-checked, written back, and run through the CLI",
          "[correlation][cli]") {
  const std::string base = R"([scenario]
name = "correlated"
trials = 2000
[[workload]]
name = "w"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = 100000
input_tokens = { dist = "lognormal", mean = 2000, cv = 1.0 }
output_tokens = { dist = "gamma", mean = 300, cv = 0.8 }
)";
  const Scenario s = load_scenario_text(base + "input_output_correlation = -0.52\n", "c.toml");
  CHECK(s.workloads[0].input_output_correlation == -0.52);
  const Scenario again = load_scenario_text(scenario_toml(s), "again.toml");
  CHECK(again.workloads[0].input_output_correlation == -0.52);
  try {
    (void)load_scenario_text(base + "input_output_correlation = 1.5\n", "bad.toml");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("bad.toml:10:") && Catch::Contains("workload[0].input_output_correlation"));
  }
  TempDir dir;
  const auto path = dir.path() / "c.toml";
  std::ofstream(path) << base << "input_output_correlation = -0.52\n";
  const CliResult run = run_cli("run " + shell_quote(path.string()) + " --format json");
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("\"total\""));
}
