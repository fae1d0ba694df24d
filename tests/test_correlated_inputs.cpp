// [[correlation]]: uncertain inputs joined by a Gaussian copula of the rank correlations written;
// the achieved rank correlations within their standard errors, each input's own law kept, the
// same bits at any thread count, and bad tables refused where they are wrong.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

using namespace tokencast;
using namespace tokencast::test;

namespace {

const std::string kScenario = R"([scenario]
name = "correlated"
trials = 20000
seed = 3

[[workload]]
name = "a"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = { dist = "lognormal", median = 1e8, sigma = 0.5 }
input_tokens = 1000
output_tokens = 200

[[workload]]
name = "b"
model = "deepseek-ai/DeepSeek-V3.1"
requests_per_month = { dist = "pert", min = 1e7, mode = 3e7, max = 9e7 }
input_tokens = 2000
output_tokens = 300

[[workload]]
name = "c"
model = "deepseek-ai/DeepSeek-V3.1"
requests_per_month = { dist = "uniform", min = 5e7, max = 6e7 }
input_tokens = 500
output_tokens = 100
)";

double spearman(std::span<const double> x, std::span<const double> y) {
  auto ranks = [](std::span<const double> v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size(); ++i) r[order[i]] = static_cast<double>(i);
    return r;
  };
  const auto rx = ranks(x), ry = ranks(y);
  const double n = static_cast<double>(x.size()), mean = (n - 1) / 2;
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
  }
  return sxy / sxx;
}

std::string error_of(const std::string& correlation) {
  try {
    (void)load_scenario_text(kScenario + correlation, "c.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("correlated volumes: achieved rank correlations within standard errors, marginals as written",
          "[correlation-inputs]") {
  const Scenario s = load_scenario_text(kScenario + R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month", "workload[2].requests_per_month"]
matrix = [[1, 0.7, -0.4], [0.7, 1, -0.2], [-0.4, -0.2, 1]]
)",
                                        "c.toml");
  REQUIRE(s.correlations.size() == 1);
  TrialStore store(s);
  store.grow(20000);
  const auto a = store.column("workload[a].requests"), b = store.column("workload[b].requests"),
             c = store.column("workload[c].requests");
  // Counts are Poisson around volumes of 1e7 and more: their ranks are the volumes' but for ties
  // of near-equal volumes. Standard error of Spearman's rho about (1 - rho^2) / sqrt(n) at most.
  const double n = 20000;
  for (const auto& [x, y, rho] : {std::tuple{a, b, 0.7}, std::tuple{a, c, -0.4}, std::tuple{b, c, -0.2}}) {
    INFO("target " << rho);
    CHECK(std::abs(spearman(x, y) - rho) < 4 * (1 - rho * rho) / std::sqrt(n) + 0.002);
  }
  // Each volume keeps its own law: a's lognormal median 1e8 and p95 1e8 exp(0.5 x 1.645), within 4
  // standard errors of a quantile (and Poisson's 1e-4).
  std::vector<double> sorted(a.begin(), a.end());
  std::sort(sorted.begin(), sorted.end());
  const double p50 = quantile_sorted(sorted, 0.5), p95 = quantile_sorted(sorted, 0.95);
  const double se50 = std::sqrt(0.25 / n) / (std::exp(-0.5 * 0) / std::sqrt(2 * M_PI)) * 0.5;  // relative, sigma 0.5
  const double se95 = std::sqrt(0.95 * 0.05 / n) / (std::exp(-0.5 * 1.645 * 1.645) / std::sqrt(2 * M_PI)) * 0.5;
  CHECK(std::abs(p50 / 1e8 - 1) < 4 * se50 + 1e-3);
  CHECK(std::abs(p95 / (1e8 * std::exp(0.5 * 1.6448536)) - 1) < 4 * se95 + 1e-3);
  // c's uniform: its share below the middle is one half.
  const double below = static_cast<double>(std::count_if(c.begin(), c.end(), [](double v) { return v < 5.5e7; })) / n;
  CHECK(std::abs(below - 0.5) < 4 * std::sqrt(0.25 / n) + 1e-3);
}

TEST_CASE("correlated inputs give the same bits at 1 and 3 threads, and survive the scenario's TOML",
          "[correlation-inputs]") {
  const Scenario s = load_scenario_text(kScenario + R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month"]
rank_correlation = -0.6
)",
                                        "c.toml");
  RunOptions one, three;
  one.threads = 1;
  three.threads = 3;
  TrialStore x(s, one), y(s, three);
  x.grow(3000);
  y.grow(3000);
  const auto ax = x.column("total.serverless_usd"), ay = y.column("total.serverless_usd");
  CHECK(std::equal(ax.begin(), ax.end(), ay.begin()));
  const Scenario again = load_scenario_text(scenario_toml(s), "again.toml");
  REQUIRE(again.correlations.size() == 1);
  CHECK(again.correlations[0].spearman == s.correlations[0].spearman);
  CHECK(again.correlations[0].inputs[1].path == "workload[1].requests_per_month");
}

TEST_CASE("bad correlations: not PSD, not uncertain, unknown or repeated inputs, at their key path",
          "[correlation-inputs][bad-input]") {
  CHECK_THAT(error_of(R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month", "workload[2].requests_per_month"]
matrix = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
)"),
             Catch::Contains("c.toml:29:10: error: correlation[0].matrix: not positive semi-definite"));
  CHECK_THAT(error_of(R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[0].cached_input_share"]
rank_correlation = 0.5
)"),
             Catch::Contains("correlation[0].inputs[1]: workload[0].cached_input_share is not uncertain (the constant 0)"));
  CHECK_THAT(error_of(R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[0].requests_per_mnth"]
rank_correlation = 0.5
)"),
             Catch::Contains("correlation[0].inputs[1]: workload[0].requests_per_mnth: 'requests_per_mnth' is not an "
                             "uncertain input a workload can correlate"));
  CHECK_THAT(error_of(R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month"]
rank_correlation = 0.5
[[correlation]]
inputs = ["workload[1].requests_per_month", "workload[2].requests_per_month"]
rank_correlation = 0.5
)"),
             Catch::Contains("correlation[1].inputs[0]: workload[1].requests_per_month is already in a correlation"));
  CHECK_THAT(error_of(R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month", "workload[2].requests_per_month"]
matrix = [[1, 0.5, 0.2], [0.4, 1, 0.1], [0.2, 0.1, 1]]
)"),
             Catch::Contains("correlation[0].matrix[1][0]: the matrix must be symmetric"));
  CHECK_THAT(error_of(R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month", "workload[2].requests_per_month"]
rank_correlation = 0.5
)"),
             Catch::Contains("correlation[0].rank_correlation: one number joins two inputs"));
  // Through the CLI: exit 2 naming the override that broke it.
  TempDir dir;
  const auto path = dir.write("c.toml", kScenario + R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month"]
rank_correlation = 0.5
)");
  const CliResult r = run_cli("run " + shell_quote(path.string()) + " --set 'correlation[0].rank_correlation=2'");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--set correlation[0].rank_correlation=2: error: correlation[0].rank_correlation"));
}

TEST_CASE("a scenario cut to one model keeps the correlations of what it keeps, renumbered",
          "[correlation-inputs]") {
  const Scenario s = load_scenario_text(kScenario + R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month", "workload[2].requests_per_month"]
matrix = [[1, 0.3, 0.2], [0.3, 1, -0.4], [0.2, -0.4, 1]]
)",
                                        "c.toml");
  // Workloads b and c (DeepSeek) without a: the b-c pair, at their new indices 0 and 1.
  std::vector<std::size_t> models;
  for (std::size_t m = 0; m < s.models.size(); ++m) {
    if (s.models[m].id == "deepseek-ai/DeepSeek-V3.1") models.push_back(m);
  }
  const Scenario cut = scenario_subset(s, models, {1, 2}, {});
  REQUIRE(cut.correlations.size() == 1);
  const CorrelationSpec& c = cut.correlations[0];
  REQUIRE(c.inputs.size() == 2);
  CHECK(c.inputs[0].index == 0);
  CHECK(c.inputs[1].index == 1);
  CHECK(c.spearman == std::vector<double>{1, -0.4, -0.4, 1});
  CHECK(c.cholesky == copula_factor(c.spearman, 2).cholesky);
  // Cut to a alone: one input left, no correlation.
  CHECK(scenario_subset(s, {0}, {0}, {}).correlations.empty());
  TrialStore store(cut, RunOptions{});
  store.grow(2000);
  CHECK(std::abs(spearman(store.column("workload[b].requests"), store.column("workload[c].requests")) + 0.4) < 0.1);
}

TEST_CASE("capacity --compare-gpus on a scenario whose correlations name workloads of other models",
          "[correlation-inputs][cli]") {
  TempDir dir;
  // The correlated workload of another model comes first: the comparison's cut scenario renumbers.
  const auto path = dir.write("g.toml", R"([scenario]
name = "gpus"
trials = 200
[[workload]]
name = "other"
model = "deepseek-ai/DeepSeek-V3.1"
requests_per_month = { dist = "uniform", min = 1e6, max = 2e6 }
input_tokens = 500
output_tokens = 100
[[workload]]
name = "chat"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = { dist = "pert", min = 1.5e7, mode = 2.5e7, max = 4.0e7 }
input_tokens = 1155
output_tokens = 211
[workload.traffic]
daily_peak_to_mean = { dist = "uniform", min = 1.4, max = 1.8 }
[[dedicated]]
name = "dedicated-70b"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
gpu = "H100-80GB"
throughput = { estimate = "roofline", tensor_parallel = 2, precision = "fp8" }
replicas = "auto"
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month", "workload[1].traffic.daily_peak_to_mean"]
matrix = [[1, 0.5, 0.1], [0.5, 1, 0.6], [0.1, 0.6, 1]]
)");
  const CliResult r = run_cli("capacity " + shell_quote(path.string()) + " --trials 100 --compare-gpus --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("\"gpu_comparison\"") != std::string::npos);
}

TEST_CASE("a correlated input draws its independent figure too: the stream's later figures are unmoved",
          "[correlation-inputs]") {
  // Workload a's cached share is drawn after its volume from the same stream: with or without the
  // volume correlated, each trial's cost per request (a function of the share alone here) is the same.
  const std::string shared = R"(
[[model]]
id = "m"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 2.0
cached_input_usd_per_mtok = 0.25
[[workload]]
name = "a"
model = "m"
requests_per_month = { dist = "lognormal", median = 1e6, sigma = 0.5 }
cached_input_share = { dist = "uniform", min = 0.1, max = 0.9 }
input_tokens = 1000
output_tokens = 200
[[workload]]
name = "b"
model = "m"
requests_per_month = { dist = "uniform", min = 1e6, max = 2e6 }
input_tokens = 1000
output_tokens = 200
)";
  const Scenario plain = load_scenario_text("[scenario]\nname = \"x\"\n" + shared, "p.toml");
  const Scenario joined = load_scenario_text("[scenario]\nname = \"x\"\n" + shared + R"(
[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month"]
rank_correlation = 0.8
)",
                                             "j.toml");
  TrialStore x(plain, RunOptions{}), y(joined, RunOptions{});
  x.grow(500);
  y.grow(500);
  const auto cx = x.column("workload[a].serverless_usd"), rx = x.column("workload[a].requests");
  const auto cy = y.column("workload[a].serverless_usd"), ry = y.column("workload[a].requests");
  int volumes_differ = 0;
  for (std::size_t t = 0; t < cx.size(); ++t) {
    volumes_differ += rx[t] != ry[t] ? 1 : 0;
    CHECK(cx[t] / rx[t] == Approx(cy[t] / ry[t]).epsilon(1e-12));
  }
  CHECK(volumes_differ > 400);
}

TEST_CASE("bad correlation paths: indices written plainly only, and one input named twice is refused",
          "[correlation-inputs][bad-input]") {
  for (const std::string index : {"+0", "00", " 0", "01", "1234567890123"}) {
    INFO(index);
    CHECK_THAT(error_of("\n[[correlation]]\ninputs = [\"workload[" + index +
                        "].requests_per_month\", \"workload[1].requests_per_month\"]\nrank_correlation = 0.5\n"),
               Catch::Contains("correlation[0].inputs[0]") && Catch::Contains("the index must be a whole number"));
  }
}
