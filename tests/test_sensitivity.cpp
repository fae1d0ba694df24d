// `tokencast sensitivity`: variance shares and tornado swings against closed forms, held inputs on
// common random numbers (and a correlated partner drawn from its law given the held input), the
// run report's top drivers, and bad requests refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include <boost/math/distributions/normal.hpp>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/sensitivity.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

using namespace tokencast;
using namespace tokencast::test;
using nlohmann::json;

namespace {

// Y = R x U on serverless: R ~ uniform(1e6, 3e6) requests, U = (1000 P + 500 x 4) / 1e6 dollars a
// request with P ~ uniform(1, 3) dollars per 1M input tokens; tokens fixed. peak_hour moves the
// daily shape only, which a serverless month does not price: its share is 0.
//   E[R] = 2e6, Var R = (2e6)^2 / 12;  E[U] = 4e-3, Var U = 1e-6 x 4 / 12
//   Var Y = E[R^2] E[U^2] - E[R]^2 E[U]^2;  S_R = E[U]^2 Var R / Var Y;  S_P = E[R]^2 Var U / Var Y
const std::string kClosedForm = R"([scenario]
name = "closed form"
trials = 4000
seed = 5

[[model]]
id = "closed-form-model"
input_usd_per_mtok = { dist = "uniform", min = 1, max = 3 }
output_usd_per_mtok = 4

[[workload]]
name = "w"
model = "closed-form-model"
requests_per_month = { dist = "uniform", min = 1e6, max = 3e6 }
input_tokens = { dist = "fixed", value = 1000 }
output_tokens = { dist = "fixed", value = 500 }
[workload.traffic]
peak_hour = { dist = "uniform", min = 0, max = 23 }
)";

struct ClosedForm {
  double mean_r = 2e6, var_r = 4e12 / 12, mean_u = 4e-3, var_u = 1e-6 * 4 / 12;
  double var_y() const {
    return (var_r + mean_r * mean_r) * (var_u + mean_u * mean_u) - mean_r * mean_r * mean_u * mean_u;
  }
  double share_r() const { return mean_u * mean_u * var_r / var_y(); }
  double share_p() const { return mean_r * mean_r * var_u / var_y(); }
};

const InputSensitivity& input_named(const Sensitivity& s, const std::string& path) {
  for (const InputSensitivity& in : s.inputs) {
    if (in.key_path == path) return in;
  }
  FAIL("no input " << path);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("sensitivity on Y = R x U: variance shares within their intervals of the closed form, the ranking right",
          "[sensitivity]") {
  const Scenario scenario = load_scenario_text(kClosedForm, "closed.toml");
  const Sensitivity s = sensitivity_analysis(scenario, "total.serverless", {});
  const ClosedForm exact;
  CHECK(s.output == "total.serverless_usd");
  REQUIRE(s.inputs.size() == 3);
  CHECK(s.runs == 1 + 7 * 3);
  CHECK(s.inputs[0].key_path == "workload[0].requests_per_month");
  CHECK(s.inputs[1].key_path == "model[0].input_usd_per_mtok");
  CHECK(s.inputs[2].key_path == "workload[0].traffic.peak_hour");
  const std::pair<std::string, double> shares[] = {{"workload[0].requests_per_month", exact.share_r()},
                                                   {"model[0].input_usd_per_mtok", exact.share_p()},
                                                   {"workload[0].traffic.peak_hour", 0.0}};
  for (const auto& [path, share] : shares) {
    const InputSensitivity& in = input_named(s, path);
    INFO(path << ": share " << in.first_order.value << " [" << in.first_order.lo << ", " << in.first_order.hi
              << "], closed form " << share);
    CHECK(in.first_order.lo <= share);
    CHECK(share <= in.first_order.hi);
    CHECK(in.first_order.hi - in.first_order.lo < 0.1);  // informative, not vacuous
  }
  // Spearman: R and P both raise Y; the null input does not.
  CHECK(input_named(s, "workload[0].requests_per_month").rank_correlation.lo > 0.8);
  CHECK(input_named(s, "model[0].input_usd_per_mtok").rank_correlation.lo > 0.3);
  const Estimate null = input_named(s, "workload[0].traffic.peak_hour").rank_correlation;
  CHECK(null.lo < 0);
  CHECK(null.hi > 0);
}

TEST_CASE("tornado swings of Y = R x U equal the closed forms within their standard errors", "[sensitivity]") {
  const Scenario scenario = load_scenario_text(kClosedForm, "closed.toml");
  const Sensitivity s = sensitivity_analysis(scenario, "total.serverless_usd", {});
  const ClosedForm exact;
  // R held at its p10 (1.2e6) and p90 (2.8e6): E[Y | R = r] = r E[U]; p95(Y | R = r) = r U_95, with
  // U_95 = (1000 x 2.9 + 2000) / 1e6. P held at 1.2 and 2.8: E[Y | P] = E[R] (1000 P + 2000) / 1e6.
  const InputSensitivity& r = input_named(s, "workload[0].requests_per_month");
  CHECK(r.at_p10().input == Approx(1.2e6));
  CHECK(r.at_p90().input == Approx(2.8e6));
  const double r_mean_swing = 1.6e6 * exact.mean_u, r_p95_swing = 1.6e6 * 4.9e-3;
  INFO("R: mean swing " << r.mean_swing.value << " [" << r.mean_swing.lo << ", " << r.mean_swing.hi << "], exact "
                        << r_mean_swing);
  CHECK(r.mean_swing.lo <= r_mean_swing);
  CHECK(r_mean_swing <= r.mean_swing.hi);
  INFO("R: p95 swing " << r.p95_swing.value << " [" << r.p95_swing.lo << ", " << r.p95_swing.hi << "], exact "
                       << r_p95_swing);
  CHECK(r.p95_swing.lo <= r_p95_swing);
  CHECK(r_p95_swing <= r.p95_swing.hi);
  const InputSensitivity& p = input_named(s, "model[0].input_usd_per_mtok");
  const double p_mean_swing = exact.mean_r * 1.6e-3;
  INFO("P: mean swing " << p.mean_swing.value << " [" << p.mean_swing.lo << ", " << p.mean_swing.hi << "], exact "
                        << p_mean_swing);
  CHECK(p.mean_swing.lo <= p_mean_swing);
  CHECK(p_mean_swing <= p.mean_swing.hi);
  // The spider's mean at each level of R is that level times E[U] (same trials: only R moves).
  for (const SpiderPoint& point : r.spider) {
    INFO("level " << point.level);
    CHECK(point.input == Approx(1e6 + point.level * 2e6));
    CHECK(point.output_mean == Approx(point.input * exact.mean_u).epsilon(0.01));
  }
  // The null input: its swings are the trials' noise only (the same numbers drawn, bar its own).
  const InputSensitivity& null = input_named(s, "workload[0].traffic.peak_hour");
  CHECK(null.mean_swing.value == Approx(0).margin(1e-6 * s.output_mean));
}

TEST_CASE("a held input keeps every other figure's draws; its correlated partner is drawn given it", "[sensitivity]") {
  const std::string text = R"([scenario]
name = "held"
trials = 20000
seed = 11

[[workload]]
name = "a"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = { dist = "lognormal", median = 1e6, sigma = 0.5 }
input_tokens = 1000
output_tokens = 200

[[workload]]
name = "b"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = { dist = "lognormal", median = 2e6, sigma = 0.4 }
input_tokens = 1000
output_tokens = 200

[[workload]]
name = "c"
model = "deepseek-ai/DeepSeek-V3.1"
requests_per_month = { dist = "lognormal", median = 5e5, sigma = 0.3 }
input_tokens = 800
output_tokens = 100

[[correlation]]
inputs = ["workload[0].requests_per_month", "workload[1].requests_per_month"]
rank_correlation = 0.7
)";
  const Scenario scenario = load_scenario_text(text, "held.toml");
  const std::vector<CorrelatedInput> inputs = uncertain_inputs(scenario);
  REQUIRE(inputs.size() == 3);
  RunOptions base_options;
  base_options.recorded_inputs = inputs;
  TrialStore base(scenario, base_options);
  base.grow(20000);
  const double level = 0.9, score = boost::math::quantile(boost::math::normal(), level);
  const double held_value = 1e6 * std::exp(0.5 * score);
  RunOptions held_options = base_options;
  held_options.held_inputs = {HeldInput{inputs[0], held_value, score}};
  TrialStore held(scenario, held_options);
  held.grow(20000);
  // Workload c is in no correlation: its every trial is the same, bit for bit.
  const auto c_base = base.column("workload[c].serverless_usd"), c_held = held.column("workload[c].serverless_usd");
  CHECK(std::equal(c_base.begin(), c_base.end(), c_held.begin(), c_held.end()));
  const auto a_held = held.column("input.workload[0].requests_per_month");
  CHECK(std::all_of(a_held.begin(), a_held.end(), [&](double v) { return v == held_value; }));
  // b given a's score c: its normal score is N(r c, 1 - r^2), r = 2 sin(pi 0.7 / 6), so
  // E[b] = 2e6 exp(0.4 r c + 0.4^2 (1 - r^2) / 2).
  const double r = 2 * std::sin(M_PI * 0.7 / 6);
  const double expected = 2e6 * std::exp(0.4 * r * score + 0.16 * (1 - r * r) / 2);
  const auto b_held = held.column("input.workload[1].requests_per_month");
  const Summary b = summarize(std::vector<double>(b_held.begin(), b_held.end()));
  INFO("E[b | a at p90] = " << b.mean << " +- " << b.mean_se << ", closed form " << expected);
  CHECK(std::abs(b.mean - expected) < 4 * b.mean_se);
}

TEST_CASE("tokencast sensitivity through the CLI: table, JSON, report; bad outputs exit 2 naming them",
          "[sensitivity][cli]") {
  TempDir dir;
  const auto scenario = dir.write("closed.toml", kClosedForm);
  const std::string file = shell_quote(scenario.string());
  const CliResult table = run_cli("sensitivity " + file + " --trials 400 --output-of total.serverless");
  INFO(table.err);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("workload[0].requests_per_month"));
  CHECK_THAT(table.out, Catch::Contains("variance share"));
  const auto report = dir.path() / "sensitivity.html";
  const CliResult j = run_cli("sensitivity " + file + " --trials 400 --output-of total.serverless --format json --report " +
                              shell_quote(report.string()));
  INFO(j.err);
  REQUIRE(j.exit_code == 0);
  const json doc = json::parse(j.out);
  CHECK(doc["output"] == "total.serverless_usd");
  CHECK(doc["runs"] == 22);
  REQUIRE(doc["inputs"].size() == 3);
  CHECK(doc["inputs"][0]["key_path"] == "workload[0].requests_per_month");
  CHECK(doc["inputs"][0]["spider"].size() == 7);
  CHECK(doc["inputs"][0]["tornado"]["mean_swing"]["lo"].is_number());
  CHECK_THAT(slurp(report), Catch::Contains("Tornado"));
  CHECK_THAT(slurp(report), Catch::Contains("<svg"));
  // The same seed gives the same numbers at any thread count.
  const CliResult one = run_cli("sensitivity " + file + " --trials 400 --format json --threads 1");
  const CliResult three = run_cli("sensitivity " + file + " --trials 400 --format json --threads 3");
  CHECK(one.out == three.out);

  const CliResult unknown = run_cli("sensitivity " + file + " --trials 100 --output-of total.dedicated");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("--output-of"));
  CHECK_THAT(unknown.err, Catch::Contains("total.dedicated"));
  CHECK_THAT(unknown.err, Catch::Contains("total.serverless_usd"));
  const CliResult csv = run_cli("sensitivity " + file + " --trials 100 --format csv");
  CHECK(csv.exit_code == 2);
  const CliResult bad_set = run_cli("sensitivity " + file + " --trials 100 --set workload[0].no_such_key=1");
  CHECK(bad_set.exit_code == 2);
  CHECK_THAT(bad_set.err, Catch::Contains("no_such_key"));
}

TEST_CASE("run --report lists the top drivers; the run's numbers are those of a run without it", "[sensitivity][cli]") {
  TempDir dir;
  const auto scenario = dir.write("closed.toml", kClosedForm);
  const auto report = dir.path() / "run.html";
  const CliResult with = run_cli("run " + shell_quote(scenario.string()) + " --trials 800 --format json --report " +
                                 shell_quote(report.string()));
  const CliResult without = run_cli("run " + shell_quote(scenario.string()) + " --trials 800 --format json");
  INFO(with.err);
  REQUIRE(with.exit_code == 0);
  json a = json::parse(with.out), b = json::parse(without.out);
  a["run"].erase("elapsed_s");
  b["run"].erase("elapsed_s");
  a.erase("phases");
  b.erase("phases");
  CHECK(a["total"] == b["total"]);
  CHECK(a["models"] == b["models"]);
  CHECK_THAT(slurp(report), Catch::Contains("Top drivers"));
  CHECK_THAT(slurp(report), Catch::Contains("workload[0].requests_per_month"));
}
