// Long horizons keep one block of months of per-trial monthly costs at a time and draw the trials
// again for each later block (sim/engine/trial_columns.hpp). The independent value: the same run
// with every month stored at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "tokencast/engine.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;

namespace {

// Within `tolerance` of the summary's scale (its largest magnitude): the sd of a nearly constant
// monthly reservation cost is itself mostly rounding.
bool same(const Summary& a, const Summary& b, double tolerance) {
  const double scale = std::max({std::abs(a.min), std::abs(a.max), std::abs(b.min), std::abs(b.max)});
  auto close = [&](double x, double y) { return std::abs(x - y) <= tolerance * scale; };
  return close(a.mean, b.mean) && close(a.sd, b.sd) && close(a.p5, b.p5) && close(a.p50, b.p50) &&
         close(a.p95, b.p95) && close(a.p99, b.p99) && close(a.min, b.min) && close(a.max, b.max);
}

// Every monthly series of the two results, and how many were compared.
int compare_months(const std::vector<ModeCost>& a, const std::vector<ModeCost>& b, double tolerance) {
  REQUIRE(a.size() == b.size());
  int compared = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].monthly_usd.size() == b[i].monthly_usd.size());
    for (std::size_t m = 0; m < a[i].monthly_usd.size(); ++m) {
      INFO(to_string(a[i].mode) << " month " << m + 1);
      INFO("p95 " << a[i].monthly_usd[m].p95 << " vs " << b[i].monthly_usd[m].p95 << ", max " << a[i].monthly_usd[m].max << " vs " << b[i].monthly_usd[m].max << ", mean " << a[i].monthly_usd[m].mean << " vs " << b[i].monthly_usd[m].mean);
      CHECK(same(a[i].monthly_usd[m], b[i].monthly_usd[m], tolerance));
      ++compared;
    }
  }
  return compared;
}

void check_blocks(const std::string& file, int months, std::int64_t trials, double tolerance) {
  Scenario scenario = load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/" + file);
  scenario.months = months;
  RunOptions all_at_once;
  all_at_once.trials = trials;
  all_at_once.group_by = {"feature"};
  RunOptions blocks = all_at_once;
  blocks.monthly_storage_bytes = 1;  // one month at a time
  const RunResult a = run_scenario(scenario, all_at_once), b = run_scenario(scenario, blocks);
  int compared = 0;
  for (std::size_t w = 0; w < a.workloads.size(); ++w) compared += compare_months(a.workloads[w].costs, b.workloads[w].costs, tolerance);
  for (std::size_t m = 0; m < a.models.size(); ++m) {
    compared += compare_months(a.models[m].costs, b.models[m].costs, tolerance);
    CHECK(a.models[m].batch_limit_months == b.models[m].batch_limit_months);
    CHECK(same(a.models[m].batch_peak_day_tokens, b.models[m].batch_peak_day_tokens, 0.0));
  }
  compared += compare_months(a.total, b.total, tolerance);
  REQUIRE(a.groups.size() == b.groups.size());
  for (std::size_t g = 0; g < a.groups.size(); ++g) {
    for (std::size_t e = 0; e < a.groups[g].entries.size(); ++e) {
      compared += compare_months(a.groups[g].entries[e].costs, b.groups[g].entries[e].costs, tolerance);
    }
  }
  CHECK(compared > months * 4);
  // The horizon's figures come from the first pass either way.
  for (std::size_t i = 0; i < a.total.size(); ++i) CHECK(same(a.total[i].total_usd, b.total[i].total_usd, 0.0));
}

}  // namespace

TEST_CASE("monthly costs drawn a block of months at a time equal those stored at once", "[engine][memory]") {
  SECTION("serverless and batch only: bit for bit") {
    check_blocks("bench/scenarios/serverless-12-month.toml", 12, 300, 0.0);
  }
  SECTION("with auto-sized capacity, costed hour by hour in later blocks: rounding only") {
    check_blocks("scenarios/multi-tenant-12-month.toml", 12, 200, 1e-12);
    check_blocks("scenarios/chat-assistant-dedicated.toml", 5, 300, 1e-12);
  }
  SECTION("autoscaling capacity: its hour-by-hour plan is the same in every block") {
    check_blocks("scenarios/coding-copilot-bursty.toml", 4, 300, 1e-12);
  }
}
