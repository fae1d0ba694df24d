// The volume grid's replay (sim/breakeven/volume_replay.cpp): one draw of each trial, scaled to
// every multiplier. Independent values: billing every hour one by one, the run itself at the
// scenario's own volume, and simulating the scenario again at each multiplier.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "breakeven/grid_sampler.hpp"
#include "breakeven/replay_hours.hpp"
#include "engine/simulation.hpp"
#include "tokencast/breakeven.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;
using namespace tokencast::detail;

namespace {

// Overflow dollars billed hour by hour, as CapacityLedger::add_hour bills them.
double overflow_hour_by_hour(const std::vector<WorkHour>& hours, double capacity) {
  double usd = 0;
  for (const WorkHour& h : hours) {
    if (h.work > capacity) usd += h.serverless_usd * (h.work - capacity) / h.work;
  }
  return usd;
}

// A year of hours with a daily cycle, a weekly dip, bursts, idle hours and prices that vary.
std::vector<WorkHour> year_of_hours(std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> burst(0.0, 0.3);
  std::uniform_real_distribution<double> price(0.8, 1.2);
  std::vector<WorkHour> hours;
  for (int h = 0; h < 8760; ++h) {
    const double daily = 1.0 + 0.8 * std::sin(2 * M_PI * (h % 24) / 24.0);
    const double weekly = (h / 24) % 7 >= 5 ? 0.3 : 1.0;
    const double work = h % 97 == 0 ? 0.0 : 5000.0 * daily * weekly * burst(rng);
    hours.push_back({work, work * 0.002 * price(rng)});
  }
  return hours;
}

std::string scenario_path(const std::string& name) { return std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/" + name; }

}  // namespace

TEST_CASE("replay hours: overflow equals billing every hour, within the stated bound", "[breakeven][replay]") {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<WorkHour> hours = year_of_hours(seed);
    std::vector<WorkHour> scratch = hours;
    ReplayHours replay;
    replay.build(scratch);
    std::vector<double> sorted;
    double total_usd = 0;
    for (const WorkHour& h : hours) {
      if (h.work > 0) sorted.push_back(h.work);
      total_usd += h.serverless_usd;
    }
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    CHECK(replay.peak_work() == sorted.front());
    const double low = sorted.back(), high = sorted[ReplayHours::busiest_kept];  // binned hours' range
    // The bin width is ln(high / low) / bins: the bound is at most (e^width - 1) of the dollars.
    const double width = std::log(high / low) / ReplayHours::bins;
    double worst_ratio = 0;
    for (int i = 0; i <= 400; ++i) {
      const double capacity = low * 0.5 * std::pow(2.5 * sorted.front() / (low * 0.5), i / 400.0);
      const double exact = overflow_hour_by_hour(hours, capacity);
      const double replayed = replay.overflow_usd(capacity);
      const double bound = replay.error_bound_usd(capacity);
      INFO("seed " << seed << ", capacity " << capacity);
      CHECK(std::abs(replayed - exact) <= bound + 1e-12 * total_usd);
      CHECK(bound <= std::expm1(width) * total_usd);
      if (capacity >= high || capacity <= low) CHECK(std::abs(replayed - exact) <= 1e-12 * total_usd);
      if (bound > 0) worst_ratio = std::max(worst_ratio, std::abs(replayed - exact) / bound);
    }
    CHECK(worst_ratio > 0);  // the binned case was reached
  }
}

TEST_CASE("replay at the scenario's own volume bills what the run bills", "[breakeven][replay]") {
  // Latency-sized dedicated at the median (many trials overflow beyond their busiest hours) and a
  // fixed cluster: the run costs both hour by hour as it draws.
  const Scenario s = load_scenario_file(scenario_path("chat-assistant-dedicated.toml"));
  RunOptions options;
  options.trials = 300;
  const RunPlan run = simulate(s, options);
  const GridTotals replay = make_replay(s, options)->at(1.0);
  for (std::size_t c = 0; c < run.capacity.size(); ++c) {
    INFO("option " << run.capacity[c].spec->name);
    CHECK(replay.replicas[c] == run.capacity[c].plan.replicas);
    const auto billed = run.columns.column(run.capacity[c].cost.total);
    double worst = 0;
    for (std::size_t t = 0; t < billed.size(); ++t) {
      worst = std::max(worst, std::abs(replay.option_usd[c][t] - billed[t]) - 1e-9 * billed[t]);
    }
    CHECK(worst <= replay.option_error_bound_usd[c]);
    const auto serverless = run.columns.column(run.models[static_cast<std::size_t>(run.capacity[c].model)].serverless.total);
    for (std::size_t t = 0; t < serverless.size(); ++t) {
      CHECK(replay.serverless_usd[static_cast<std::size_t>(run.capacity[c].model)][t] == serverless[t]);
    }
  }
}

TEST_CASE("replay and resimulation agree on P(cheaper) within Monte Carlo error", "[breakeven][replay]") {
  // The quickstart's fixed replica, plus an auto-sized copy: the two ways the grid sizes.
  Scenario s = load_scenario_file(scenario_path("quickstart.toml"));
  REQUIRE(s.capacity.size() == 1);
  CapacitySpec sized = s.capacity[0];
  sized.name = "auto-sized";
  sized.replicas.reset();
  sized.capacity_quantile = 0.9;
  s.capacity.push_back(sized);
  RunOptions options;
  options.trials = 1000;
  VolumeGridOptions grid;
  grid.points = 16;
  grid.method = VolumeMethod::replay;
  VolumeGridStats replay_stats, resim_stats;
  const auto replayed = volume_curves(s, options, grid, &replay_stats);
  grid.method = VolumeMethod::resimulate;
  const auto resimulated = volume_curves(s, options, grid, &resim_stats);
  CHECK(replay_stats.method == VolumeMethod::replay);
  CHECK(resim_stats.method == VolumeMethod::resimulate);
  REQUIRE(replayed.size() == 1);
  REQUIRE(resimulated.size() == 1);
  const double n = static_cast<double>(*options.trials);
  int compared = 0;
  for (std::size_t i = 0; i < replayed[0].points.size(); ++i) {
    const VolumePoint &a = replayed[0].points[i], &b = resimulated[0].points[i];
    CHECK(a.requests_per_month == Approx(b.requests_per_month).epsilon(1e-3));
    for (const auto& [name, p] : a.probability_cheaper) {
      const double q = b.probability_cheaper.at(name);
      // As if the two were independent (they share every draw but the hourly noise, so they are
      // far closer): 4 standard errors of a difference of two proportions, plus one trial each.
      const double mean = 0.5 * (p + q);
      INFO(name << " at x" << a.multiplier << ": replay " << p << ", resimulation " << q);
      CHECK(std::abs(p - q) <= 4 * std::sqrt(2 * mean * (1 - mean) / n) + 2 / n);
      if (mean > 0 && mean < 1) ++compared;
    }
    for (const auto& [name, replicas] : a.replicas) CHECK(std::abs(replicas - b.replicas.at(name)) <= std::max(1, replicas / 50));
  }
  CHECK(compared >= 3);  // points where P is neither 0 nor 1 (the curves are steep)
  // The crossings: both refine onto the same trials' break-even multipliers.
  for (std::size_t o = 0; o < replayed[0].breakeven.size(); ++o) {
    const VolumeBreakeven &a = replayed[0].breakeven[o], &b = resimulated[0].breakeven[o];
    for (auto level : {&VolumeBreakeven::multiplier_10, &VolumeBreakeven::multiplier_50, &VolumeBreakeven::multiplier_90}) {
      REQUIRE((a.*level).has_value() == (b.*level).has_value());
      if ((a.*level).has_value()) CHECK(*(a.*level) == Approx(*(b.*level)).epsilon(0.01));
    }
  }
}

TEST_CASE("replay refuses up front a grid whose kept hours would not fit", "[breakeven][replay]") {
  const Scenario s = load_scenario_file(scenario_path("chat-assistant-dedicated.toml"));
  RunOptions options;
  options.trials = 2'000'000;  // 2 options x ~2.6 KB each: over 8 GiB; the run's own columns fit
  try {
    make_replay(s, options);
    FAIL("no error");
  } catch (const ResourceLimitError& e) {
    CHECK_THAT(e.what(), Catch::Contains("GiB limit; use at most") && Catch::Contains("--grid-draws resimulate"));
  }
}

TEST_CASE("replay is refused for autoscaling, which resimulation covers", "[breakeven][replay]") {
  const Scenario s = load_scenario_file(scenario_path("coding-copilot-bursty.toml"));
  CHECK_FALSE(replayable(s));
  CHECK(volume_method_for(s, VolumeMethod::automatic) == VolumeMethod::resimulate);
  CHECK_THROWS_AS(volume_method_for(s, VolumeMethod::replay), InputError);
  CHECK(volume_method_for(load_scenario_file(scenario_path("chat-assistant-dedicated.toml")), VolumeMethod::automatic) ==
        VolumeMethod::replay);
}

TEST_CASE("replay gives the same curves at 1 and 2 threads", "[breakeven][replay]") {
  const Scenario s = load_scenario_file(scenario_path("chat-assistant-dedicated.toml"));
  RunOptions options;
  options.trials = 200;
  VolumeGridOptions grid;
  grid.points = 8;
  options.threads = 1;
  const auto one = volume_curves(s, options, grid);
  options.threads = 2;
  const auto two = volume_curves(s, options, grid);
  REQUIRE(one.size() == two.size());
  for (std::size_t c = 0; c < one.size(); ++c) {
    REQUIRE(one[c].points.size() == two[c].points.size());
    for (std::size_t i = 0; i < one[c].points.size(); ++i) {
      const VolumePoint &a = one[c].points[i], &b = two[c].points[i];
      CHECK(a.requests_per_month == b.requests_per_month);
      CHECK(a.probability_cheaper == b.probability_cheaper);
      CHECK(a.replicas == b.replicas);
      for (std::size_t m = 0; m < a.costs.size(); ++m) {
        CHECK(a.costs[m].total_usd.mean == b.costs[m].total_usd.mean);
        CHECK(a.costs[m].total_usd.p95 == b.costs[m].total_usd.p95);
      }
    }
    for (std::size_t o = 0; o < one[c].breakeven.size(); ++o) {
      CHECK(one[c].breakeven[o].multiplier_50 == two[c].breakeven[o].multiplier_50);
      CHECK(one[c].breakeven[o].multiplier_10 == two[c].breakeven[o].multiplier_10);
    }
  }
}
