#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "scenario_builders.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/scenario_loader.hpp"
#include "result_json.hpp"

using namespace tokencast;
using namespace tokencast::test;

namespace {

// A day of traffic at 3,000 requests an hour, lognormal token counts: small enough to draw every
// request (72,000 a trial), large enough for the hourly sums to use the Gamma approximation.
Scenario day_of_traffic(std::int64_t trials) {
  Scenario s = article(trials);
  s.hours_per_month = 24;
  s.workloads[0].requests_per_month = 3000.0 * 24;
  s.workloads[0].input_tokens = lognormal_mean_cv(3000, 0.6);
  s.workloads[0].output_tokens = lognormal_mean_cv(1000, 0.8);
  s.workloads[0].traffic.burstiness = 0.2;
  return s;
}

}  // namespace

TEST_CASE("exact mode and the hourly-sum approximation agree within their standard errors", "[engine][exact]") {
  const std::int64_t trials = 2000;
  RunOptions exact;
  exact.exact = true;
  exact.precision = 0;
  const RunResult a = run_scenario(day_of_traffic(trials));
  const RunResult b = run_scenario(day_of_traffic(trials), exact);
  CHECK(b.exact);
  const Summary& approx = a.workloads[0].costs[0].total_usd;
  const Summary& reference = b.workloads[0].costs[0].total_usd;
  // Means: independent runs (different sampling paths), 5 combined standard errors.
  const double se = std::sqrt(approx.mean_se * approx.mean_se + reference.mean_se * reference.mean_se);
  CHECK(std::abs(approx.mean - reference.mean) < 5 * se);
  // Spread: the sd of a sample sd is about sd / sqrt(2n) for a near-normal variable.
  CHECK(std::abs(approx.sd - reference.sd) < 5 * reference.sd * std::sqrt(2.0 / (2.0 * trials)));
  // Percentiles: 5 combined sectioning standard errors.
  for (const double q : {0.05, 0.50, 0.95}) {
    INFO("q = " << q);
    const double pa = q == 0.05 ? approx.p5 : q == 0.5 ? approx.p50 : approx.p95;
    const double pb = q == 0.05 ? reference.p5 : q == 0.5 ? reference.p50 : reference.p95;
    // sd of a quantile ~ sd x sqrt(q(1-q)/n) / phi(z_q) for a near-normal total.
    const double z = q == 0.5 ? 0.0 : 1.6448536269514722;
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    const double quantile_se = reference.sd * std::sqrt(q * (1 - q) / trials) / phi;
    CHECK(std::abs(pa - pb) < 5 * std::sqrt(2.0) * quantile_se);
  }
  // The requests themselves follow the same law in both.
  CHECK(std::abs(a.workloads[0].requests.mean - b.workloads[0].requests.mean) <
        5 * std::hypot(a.workloads[0].requests.mean_se, b.workloads[0].requests.mean_se));
}

TEST_CASE("exact mode refuses runs that would draw too many requests", "[engine][exact]") {
  RunOptions exact;
  exact.exact = true;
  CHECK_THROWS_AS(run_scenario(article(1'000'000), exact), ResourceLimitError);
}

TEST_CASE("precision mode adds trials until every p50 and p95 is within the target", "[engine][precision]") {
  Scenario s = article(500);
  s.workloads[0].requests_per_month = pert(1.5e6, 2e6, 3e6);
  RunOptions options;
  options.precision = 0.004;
  options.max_trials = 200000;
  const RunResult r = run_scenario(s, options);
  REQUIRE(r.precision);
  CHECK(r.precision->reached);
  CHECK(r.precision->achieved <= 0.004);
  CHECK(r.trials > 500);
  const Summary& cost = r.workloads[0].costs[0].total_usd;
  REQUIRE(cost.p50_se);
  REQUIRE(cost.p95_se);
  CHECK(*cost.p50_se / cost.p50 <= 0.004);
  CHECK(*cost.p95_se / cost.p95 <= 0.004);
  SECTION("a cap on trials is reported as not reached") {
    options.precision = 1e-5;
    options.max_trials = 2000;
    const RunResult capped = run_scenario(s, options);
    CHECK_FALSE(capped.precision->reached);
    CHECK(capped.trials == 2000);
  }
}

TEST_CASE("precision mode stops where more trials would pass the CPU limit, and says so", "[engine][precision]") {
  Scenario s = article(1000);
  s.workloads[0].requests_per_month = pert(1e6, 2e6, 4e6);
  RunOptions options;
  options.precision = 1e-6;  // out of reach
  options.max_trials = 1'000'000;
  options.max_cpu_s = 0.004;  // at about 200 ns a trial of one monthly-path workload: 20,000 trials
  const RunResult r = run_scenario(s, options);
  REQUIRE(r.precision);
  CHECK_FALSE(r.precision->reached);
  CHECK(r.trials > 1000);
  CHECK(r.trials <= 20'000);
  CHECK(r.precision->max_trials == r.trials);
  REQUIRE_FALSE(r.warnings.empty());
  CHECK(r.warnings.back().code == WarningCode::precision_capped);
  CHECK(r.warnings.back().trials == r.trials);
  CHECK(warning_text(r.warnings.back()).find("--precision stopped at") != std::string::npos);
}

namespace {

// A result's JSON without what only a --precision run has (its standard errors of p50 and p95, the
// precision section) and without timings.
nlohmann::json comparable(const RunResult& r) {
  std::function<void(nlohmann::json&)> strip = [&](nlohmann::json& j) {
    if (j.is_object()) {
      j.erase("p50_se");
      j.erase("p95_se");
      for (auto& [key, value] : j.items()) strip(value);
    } else if (j.is_array()) {
      for (auto& value : j) strip(value);
    }
  };
  nlohmann::json j = without_timing(nlohmann::json::parse(format_json(r)));
  j["run"].erase("precision");
  strip(j);
  return j;
}

}  // namespace

TEST_CASE("a precision run draws only the trials it adds, and equals a run drawn at its final size",
          "[engine][precision]") {
  // Auto-sized capacity (sized again over every trial as the run grows, some trials drawn twice),
  // autoscaling and latency objectives, and a long horizon kept a block of months at a time.
  for (const char* file : {"scenarios/chat-assistant-dedicated.toml", "scenarios/coding-copilot-bursty.toml",
                           "scenarios/multi-tenant-12-month.toml", "scenarios/nightly-batch-summaries.toml"}) {
    for (const bool blocks : {false, true}) {
      INFO(file << (blocks ? ", months in blocks" : ""));
      const Scenario scenario = load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/" + file);
      RunOptions grown;
      grown.trials = 300;
      grown.precision = 0.01;
      grown.max_trials = 3000;
      if (blocks) grown.monthly_storage_bytes = 1;
      const RunResult a = run_scenario(scenario, grown);
      REQUIRE(a.precision);
      CHECK(a.trials > 300);  // it grew
      RunOptions fixed;
      fixed.trials = a.trials;
      fixed.monthly_storage_bytes = grown.monthly_storage_bytes;
      const RunResult b = run_scenario(scenario, fixed);
      CHECK(comparable(a) == comparable(b));
      CHECK(a.redrawn_trials == b.redrawn_trials);
    }
  }
}
