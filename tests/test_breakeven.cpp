#include <catch2/catch.hpp>

#include <cmath>

#include "scenario_builders.hpp"
#include "tokencast/breakeven.hpp"
#include "tokencast/output.hpp"
#include "tokencast/queueing.hpp"

using namespace tokencast;
using namespace tokencast::test;

namespace {

// The article's workload with two fixed dedicated replicas: 2 x $5.49 x 730 h = $8,015.40 a month.
Scenario article_with_two_replicas(std::int64_t trials) {
  Scenario s = article(trials);
  s.capacity = {dedicated(20000, 2500, 2)};
  return s;
}

const double reservation_usd = 2 * 5.49 * 730;

}  // namespace

TEST_CASE("utilization break-even: u* = reservation / (serverless $/1M x tokens at full capacity)", "[breakeven]") {
  const RunResult r = run_scenario(article_with_two_replicas(1000));
  REQUIRE(r.breakeven);
  REQUIRE(r.breakeven->utilization.size() == 1);
  const UtilizationCurve& c = r.breakeven->utilization[0];
  // A request is 3000/20000 + 1000/2500 = 0.55 replica-seconds for 4000 tokens; two replicas
  // working all 730 hours serve 2 x 3600 x 730 / 0.55 x 4000 tokens = 38,225 M tokens.
  const double full_mtok = 2 * 3600.0 * 730 / 0.55 * 4000 / 1e6;
  const double unit_cost = reservation_usd / full_mtok;  // $/1M at 100%
  const double serverless_rate = (3000 * 0.90 + 1000 * 3.30) / 4000.0;  // $1.50 per 1M blended
  CHECK(c.serverless_usd_per_mtok.p50 == Approx(serverless_rate).epsilon(1e-12));
  CHECK(c.breakeven_utilization.p50 == Approx(unit_cost / serverless_rate).epsilon(1e-9));
  CHECK(c.probability_breakeven_reachable == 1.0);
  REQUIRE(c.option_usd_per_mtok.size() == 20);
  CHECK(c.option_usd_per_mtok.front().x == Approx(0.05));
  CHECK(c.option_usd_per_mtok.back().x == Approx(1.0));
  CHECK(c.option_usd_per_mtok[9].p50 == Approx(unit_cost / 0.5).epsilon(1e-9));
}

TEST_CASE("volume break-even of a fixed reservation: serverless x k = reservation", "[breakeven]") {
  VolumeGridOptions grid;
  grid.points = 12;
  const auto curves = volume_curves(article_with_two_replicas(400), RunOptions{}, grid);
  REQUIRE(curves.size() == 1);
  const VolumeCurve& v = curves[0];
  REQUIRE(v.points.size() == 12);
  CHECK(v.points.front().probability_cheaper.at("maestro-h100") == 0.0);
  CHECK(v.points.back().probability_cheaper.at("maestro-h100") == 1.0);
  REQUIRE(v.breakeven.size() == 1);
  const VolumeBreakeven& b = v.breakeven[0];
  REQUIRE(b.multiplier_50);
  // Serverless costs $12,000 x k (Poisson noise: sd 0.07%), the reservation $8,015.40, with no
  // overflow until k ~ 3.6: the 50% crossing is at k = 0.668 within the root tolerance and noise.
  CHECK(*b.multiplier_50 == Approx(reservation_usd / 12000.0).epsilon(0.005));
  CHECK(*b.requests_per_month_50 == Approx(2e6 * reservation_usd / 12000.0).epsilon(0.005));
  // The noise is tiny, so the 10%-90% range is narrow around it.
  REQUIRE(b.multiplier_10);
  REQUIRE(b.multiplier_90);
  // Ordered, up to the root finder's tolerance (2e-3 of the multiplier).
  CHECK(*b.multiplier_10 <= *b.multiplier_50 * 1.002);
  CHECK(*b.multiplier_90 >= *b.multiplier_50 * 0.998);
  CHECK(*b.multiplier_90 / *b.multiplier_10 < 1.01);
  // Monthly costs on the grid: serverless scales with volume, the reservation does not.
  const VolumePoint& first = v.points.front();
  REQUIRE(first.costs.size() == 3);  // serverless, batch, dedicated
  CHECK(first.costs[2].total_usd.p50 == Approx(reservation_usd).epsilon(1e-9));
  CHECK(first.costs[0].total_usd.mean == Approx(12000.0 / 20).epsilon(0.002));
}

TEST_CASE("breakdown by tag sums the workloads inside each trial", "[breakeven][groups]") {
  Scenario s = article(2000);
  s.workloads[0].tags = {{"tenant", "acme"}};
  WorkloadSpec second = s.workloads[0];
  second.name = "second";
  second.requests_per_month = pert(0.5e6, 1e6, 2e6);
  second.batchable = false;
  second.tags = {{"tenant", "globex"}};
  WorkloadSpec third = second;
  third.name = "third";
  third.tags = {};
  s.workloads.push_back(second);
  s.workloads.push_back(third);
  RunOptions options;
  options.group_by = {"tenant"};
  const RunResult r = run_scenario(s, options);
  REQUIRE(r.groups.size() == 1);
  const GroupBreakdown& g = r.groups[0];
  REQUIRE(g.entries.size() == 3);
  CHECK(g.entries[0].value == "acme");
  CHECK(g.entries[1].value == "globex");
  CHECK(g.entries[2].value == "(untagged)");
  double sum_of_means = 0;
  for (const auto& e : g.entries) sum_of_means += find_cost(e.costs, Mode::serverless)->total_usd.mean;
  CHECK(sum_of_means == Approx(r.total_cost(Mode::serverless)->total_usd.mean).epsilon(1e-12));
  CHECK(find_cost(g.entries[0].costs, Mode::batch) != nullptr);
  CHECK(find_cost(g.entries[1].costs, Mode::batch) == nullptr);
  // Each group's serverless cost is its workload's.
  CHECK(find_cost(g.entries[1].costs, Mode::serverless)->total_usd.p50 ==
        Approx(find_cost(r.workloads[1].costs, Mode::serverless)->total_usd.p50).epsilon(1e-12));
}

TEST_CASE("autoscaling bills the replica-hours it uses", "[capacity][autoscale]") {
  Scenario s = article(500);
  CapacitySpec c = dedicated(20000, 2500, 3);
  c.replicas.reset();
  c.min_replicas = 3;  // the fixed reservation it is compared with: 3 replicas
  c.autoscale = CapacitySpec::Autoscale{1, 4, 1};
  s.capacity = {c};
  SECTION("flat traffic needs one replica every hour") {
    // 1506.8 replica-seconds an hour against 2700 per replica at 75%.
    const RunResult r = run_scenario(s);
    const CapacityResult& d = *r.models[0].dedicated;
    REQUIRE(d.autoscale);
    CHECK(d.autoscale->replica_hours.p50 == 730.0);
    CHECK(find_cost(r.models[0].costs, Mode::dedicated)->total_usd.p50 == Approx(730 * 5.49).epsilon(1e-12));
    CHECK(d.autoscale->saved_usd.p50 == Approx((3 - 1) * 730 * 5.49).epsilon(1e-12));
    CHECK(d.autoscale->hours_at_max_overflowing.max == 0.0);
    CHECK(d.overflow_share.max == 0.0);
  }
  SECTION("a daily peak of 3x the mean needs two replicas in the busy hours") {
    s.workloads[0].traffic.daily_peak_to_mean = 3.0;
    const RunResult r = run_scenario(s);
    const CapacityResult& d = *r.models[0].dedicated;
    CHECK(d.autoscale->replica_hours.p50 > 730.0);
    CHECK(d.autoscale->replica_hours.p50 < 2 * 730.0);
    CHECK(d.overflow_share.max == 0.0);
  }
  SECTION("capped at one replica, the busy hours overflow at the cap") {
    s.workloads[0].traffic.daily_peak_to_mean = 3.0;
    s.capacity[0].autoscale = CapacitySpec::Autoscale{1, 1, 2};
    const RunResult r = run_scenario(s);
    const CapacityResult& d = *r.models[0].dedicated;
    CHECK(d.autoscale->replica_hours.p50 == 730.0);
    CHECK(d.autoscale->hours_at_max_overflowing.p50 > 0.0);
    CHECK(d.overflow_share.p50 > 0.0);
  }
}

TEST_CASE("a monthly minimum is billed when the replica-hours cost less", "[capacity][commitment]") {
  Scenario s = article(300);
  s.capacity = {dedicated(20000, 2500, 2)};
  s.capacity[0].monthly_minimum_usd = 20000.0;
  s.capacity[0].commitment_months = 12;
  const RunResult r = run_scenario(s);
  CHECK(find_cost(r.models[0].costs, Mode::dedicated)->total_usd.p50 == Approx(20000.0).epsilon(1e-12));
  CHECK(r.models[0].cheapest == Mode::batch);
  bool warned = false;
  for (const auto& w : r.warnings) {
    warned = warned || (w.code == WarningCode::commitment_past_horizon && w.commitment_months == 12 &&
                        warning_text(w).find("commits to 12 months") != std::string::npos);
  }
  CHECK(warned);
}

TEST_CASE("latency objective: replicas sized by the serving model at the peak hour", "[capacity][slo]") {
  Scenario s = article(400);
  CapacitySpec c = dedicated(20000, 250, std::nullopt);
  c.max_utilization = 1.0;
  c.max_concurrency = 1;
  c.slo_wait_p95_s = 1.0;
  s.capacity = {c};
  const RunResult r = run_scenario(s);
  const CapacityResult& d = *r.models[0].dedicated;
  REQUIRE(d.slo);
  // One request: 3000/20000 + 1000 x 1/250 = 4.15 s of a slot, no variance (fixed tokens): about
  // 3.2 erlangs at the peak, so at least 4 single-sequence replicas.
  CHECK(d.slo->mean_service_s == Approx(4.15).epsilon(1e-12));
  CHECK(d.slo->service_scv == Approx(0.0).margin(1e-12));
  // The sizing rate: about 2e6 / 730 / 3600 = 0.761 requests/s plus the busiest hour's noise.
  CHECK(d.slo->peak_arrival_rate_per_s > 0.761);
  CHECK(d.slo->peak_arrival_rate_per_s < 0.761 * 1.1);
  // The serving model at those figures: 0.15 s of prefill on each replica's prefill resource.
  CHECK(d.slo->prefill_mean_s == Approx(0.15).epsilon(1e-12));
  const SloQueue queue{.mean_service_s = 4.15, .prefill_mean_s = 0.15, .prefill_p95_s = 0.15, .max_concurrency = 1};
  const auto meets = [&](int replicas) {
    const ServingEstimate q = estimate_serving(replicas, d.slo->peak_arrival_rate_per_s, queue);
    return q.stable && q.wait_p95_s <= 1.0;
  };
  REQUIRE(d.slo->replicas >= 4);
  CHECK(meets(d.slo->replicas));
  CHECK_FALSE(meets(d.slo->replicas - 1));
  CHECK(d.plan.replicas >= d.slo->replicas);
  CHECK(d.slo->wait_p95_s <= 1.0);
}
