// Auto-sized capacity is costed after one pass over the trials, from each trial's busiest hours
// (sim/engine/deferred_capacity.hpp). The independent value: the same scenario with the reservation
// fixed at what sizing chose, which the engine costs hour by hour as it draws.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "tokencast/engine.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;

namespace {

// Largest relative difference between two summaries' figures.
double difference(const Summary& a, const Summary& b) {
  double worst = 0;
  for (auto [x, y] : {std::pair{a.mean, b.mean}, {a.sd, b.sd}, {a.p5, b.p5}, {a.p50, b.p50}, {a.p95, b.p95},
                      {a.p99, b.p99}, {a.min, b.min}, {a.max, b.max}}) {
    const double scale = std::max({std::abs(x), std::abs(y), 1e-300});
    worst = std::max(worst, std::abs(x - y) / scale);
  }
  return worst;
}

// Every capacity figure of the two runs (costs per mode and month, utilization, overflow, $/1M).
double worst_difference(const RunResult& a, const RunResult& b) {
  double worst = 0;
  REQUIRE(a.models.size() == b.models.size());
  for (std::size_t m = 0; m < a.models.size(); ++m) {
    const ModelResult &x = a.models[m], &y = b.models[m];
    REQUIRE(x.costs.size() == y.costs.size());
    for (std::size_t c = 0; c < x.costs.size(); ++c) {
      worst = std::max(worst, difference(x.costs[c].total_usd, y.costs[c].total_usd));
      for (std::size_t month = 0; month < x.costs[c].monthly_usd.size(); ++month) {
        worst = std::max(worst, difference(x.costs[c].monthly_usd[month], y.costs[c].monthly_usd[month]));
      }
    }
    for (const auto* pair : {&x.dedicated, &x.gpu_cluster}) {
      const auto& other = pair == &x.dedicated ? y.dedicated : y.gpu_cluster;
      REQUIRE(pair->has_value() == other.has_value());
      if (!*pair) continue;
      worst = std::max({worst, difference((*pair)->utilization, other->utilization),
                        difference((*pair)->overflow_share, other->overflow_share),
                        difference((*pair)->usd_per_mtok, other->usd_per_mtok),
                        difference((*pair)->peak_replicas_needed, other->peak_replicas_needed)});
    }
  }
  return worst;
}

void check_against_fixed(Scenario scenario, std::int64_t trials, bool expect_redrawn) {
  RunOptions options;
  options.trials = trials;
  const RunResult deferred = run_scenario(scenario, options);
  for (std::size_t c = 0; c < scenario.capacity.size(); ++c) {
    if (scenario.capacity[c].replicas) continue;
    const ModelResult* model = nullptr;
    for (const auto& m : deferred.models) {
      if (m.model == scenario.capacity[c].model) model = &m;
    }
    REQUIRE(model != nullptr);
    const auto& option = scenario.capacity[c].kind == CapacityKind::dedicated ? model->dedicated : model->gpu_cluster;
    REQUIRE(option);
    scenario.capacity[c].replicas = option->plan.replicas;
  }
  const RunResult direct = run_scenario(scenario, options);
  INFO("redrawn trials: " << deferred.redrawn_trials << " of " << trials);
  CHECK(direct.redrawn_trials == 0);
  CHECK((deferred.redrawn_trials > 0) == expect_redrawn);
  // The same hours summed in another order: rounding only.
  CHECK(worst_difference(deferred, direct) < 1e-12);
}

}  // namespace

TEST_CASE("auto-sized capacity costed after the pass equals the reservation fixed in advance",
          "[engine][capacity]") {
  const std::string dir = std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/";
  SECTION("chat assistant: capacity_quantile 0.5, so many trials overflow beyond their kept hours and are redrawn") {
    check_against_fixed(load_scenario_file(dir + "chat-assistant-dedicated.toml"), 600, true);
  }
  SECTION("chat assistant sized for the busiest trials: no trial redrawn") {
    Scenario s = load_scenario_file(dir + "chat-assistant-dedicated.toml");
    for (auto& c : s.capacity) c.capacity_quantile = 0.999;
    check_against_fixed(s, 400, false);
  }
  SECTION("twelve months with growth, auto-sized cluster") {
    Scenario s = load_scenario_file(dir + "chat-assistant-dedicated.toml");
    s.months = 12;
    for (auto& c : s.capacity) {
      c.replicas.reset();
      c.capacity_quantile = 0.5;
    }
    check_against_fixed(s, 200, true);
  }
}
