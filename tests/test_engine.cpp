#include <catch2/catch.hpp>

#include <cmath>
#include <atomic>
#include <memory>
#include <thread>

#include <tbb/task_arena.h>

#include "scenario_builders.hpp"
#include "tokencast/engine.hpp"

using namespace tokencast;
using namespace tokencast::test;

namespace {

bool same(const Summary& a, const Summary& b) {
  return a.mean == b.mean && a.sd == b.sd && a.p5 == b.p5 && a.p50 == b.p50 && a.p95 == b.p95 && a.p99 == b.p99 &&
         a.min == b.min && a.max == b.max;
}

}  // namespace

TEST_CASE("article example: $12,000 serverless and $6,000 batch a month", "[engine]") {
  const RunResult r = run_scenario(article(4000));
  REQUIRE(r.models.size() == 1);
  const Summary& serverless = find_cost(r.models[0].costs, Mode::serverless)->total_usd;
  const Summary& batch = find_cost(r.models[0].costs, Mode::batch)->total_usd;
  // Requests ~ Poisson(2e6): cost = 0.006 N, sd = 0.006 sqrt(2e6) = $8.49.
  CHECK(std::abs(serverless.mean - 12000.0) < 5.0 * serverless.mean_se);
  CHECK(serverless.sd == Approx(0.006 * std::sqrt(2e6)).epsilon(0.05));
  CHECK(batch.mean == Approx(serverless.mean * 0.5).epsilon(1e-12));
  CHECK(r.models[0].cheapest == Mode::batch);
  CHECK(r.total_cost(Mode::cheapest_plan)->total_usd.mean == Approx(batch.mean).epsilon(1e-12));
  const Summary& requests = r.workloads[0].requests;
  CHECK(std::abs(requests.mean - 2e6) < 5.0 * requests.mean_se);
  CHECK(r.workloads[0].input_tokens.mean == Approx(3000.0 * requests.mean).epsilon(1e-12));
}

TEST_CASE("uncertain volume and token lengths: mean cost is the product of means", "[engine]") {
  Scenario s = article(6000);
  s.workloads[0].requests_per_month = pert(1.5e6, 2e6, 3e6);
  s.workloads[0].input_tokens = lognormal_mean_cv(3000, 0.6);
  s.workloads[0].output_tokens = lognormal_mean_cv(1000, 0.8);
  const RunResult r = run_scenario(s);
  const double volume = (1.5e6 + 4 * 2e6 + 3e6) / 6.0;
  const double per_request = (3000 * 0.90 + 1000 * 3.30) / 1e6;
  const Summary& cost = r.workloads[0].costs[0].total_usd;
  CHECK(std::abs(cost.mean - volume * per_request) < 5.0 * cost.mean_se);
  // pert sd = sqrt((mean - min)(max - mean) / 7) for shape 4 drives almost all the spread.
  const double pert_sd = std::sqrt((volume - 1.5e6) * (3e6 - volume) / 7.0);
  CHECK(cost.sd == Approx(pert_sd * per_request).epsilon(0.05));
}

TEST_CASE("same seed gives bit-identical results at 1 and 2 threads", "[engine][determinism]") {
  Scenario s = article(3000);
  s.months = 2;
  s.workloads[0].requests_per_month = pert(1.5e6, 2e6, 3e6);
  s.workloads[0].input_tokens = distribution(DistKind::lognormal, ParamSet::median_sigma, {pert(2000, 3000, 5000), 0.6});
  s.workloads[0].traffic.burstiness = 0.3;
  s.workloads[0].traffic.daily_peak_to_mean = 2.0;
  s.capacity = {dedicated(20000, 2500, std::nullopt)};
  RunOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const RunResult a = run_scenario(s, one);
  const RunResult b = run_scenario(s, two);
  CHECK(same(a.workloads[0].costs[0].total_usd, b.workloads[0].costs[0].total_usd));
  for (std::size_t i = 0; i < a.models[0].costs.size(); ++i) {
    CHECK(same(a.models[0].costs[i].total_usd, b.models[0].costs[i].total_usd));
  }
  CHECK(same(a.models[0].dedicated->utilization, b.models[0].dedicated->utilization));
  CHECK(a.models[0].dedicated->plan.replicas == b.models[0].dedicated->plan.replicas);
  CHECK(same(a.total.back().total_usd, b.total.back().total_usd));
}

TEST_CASE("the thread count belongs to the call: concurrent runs at 1 and 2 threads match serial runs",
          "[engine][determinism]") {
  Scenario s = article(4000);
  s.months = 3;
  s.workloads[0].requests_per_month = pert(1.5e6, 2e6, 3e6);
  s.workloads[0].traffic.burstiness = 0.3;
  s.capacity = {dedicated(20000, 2500, std::nullopt)};
  RunOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const RunResult serial_one = run_scenario(s, one);
  const RunResult serial_two = run_scenario(s, two);
  RunResult concurrent_one, concurrent_two;
  {
    std::thread a([&] { concurrent_one = run_scenario(s, one); });
    std::thread b([&] { concurrent_two = run_scenario(s, two); });
    a.join();
    b.join();
  }
  for (const RunResult* r : std::initializer_list<const RunResult*>{&serial_two, &concurrent_one, &concurrent_two}) {
    CHECK(same(r->total.back().total_usd, serial_one.total.back().total_usd));
    CHECK(same(r->models[0].dedicated->utilization, serial_one.models[0].dedicated->utilization));
    for (std::size_t m = 0; m < r->total.back().monthly_usd.size(); ++m) {
      CHECK(same(r->total.back().monthly_usd[m], serial_one.total.back().monthly_usd[m]));
    }
  }
  // Inside a call, parallel work sees the call's thread count, not the process's.
  CHECK(tbb::this_task_arena::max_concurrency() >= 1);
  std::atomic<int> seen{0};
  tbb::task_arena(1).execute([&] { seen = tbb::this_task_arena::max_concurrency(); });
  CHECK(seen.load() == 1);
}

TEST_CASE("the run reports its phases, which add up to no more than its wall time", "[engine]") {
  Scenario s = article(2000);
  s.months = 2;
  s.capacity = {dedicated(20000, 2500, std::nullopt)};
  const RunResult r = run_scenario(s);
  CHECK(r.phases.load_s == 0);    // the caller loads
  CHECK(r.phases.output_s == 0);  // and renders
  CHECK(r.phases.simulate_s > 0);
  CHECK(r.phases.statistics_s > 0);
  CHECK(r.phases.plan_s >= 0);
  CHECK(r.phases.size_s >= 0);
  CHECK(r.phases.total_s() <= r.elapsed_s * 1.0001 + 1e-6);
  CHECK(r.phases.total_s() >= 0.5 * r.elapsed_s);
}

TEST_CASE("monthly growth compounds: month m has volume x (1+g)^(m-1)", "[engine]") {
  Scenario s = article(3000);
  s.months = 3;
  s.workloads[0].traffic.monthly_growth = 0.10;
  const RunResult r = run_scenario(s);
  const auto& monthly = r.workloads[0].costs[0].monthly_usd;
  REQUIRE(monthly.size() == 3);
  for (int m = 0; m < 3; ++m) {
    const double expected = 12000.0 * std::pow(1.1, m);
    CHECK(std::abs(monthly[m].mean - expected) < 5.0 * monthly[m].mean_se);
  }
  const double total = 12000.0 * (1 + 1.1 + 1.21);
  CHECK(std::abs(r.workloads[0].costs[0].total_usd.mean - total) < 5.0 * r.workloads[0].costs[0].total_usd.mean_se);
}

TEST_CASE("burstiness: monthly request variance is V + V^2 cv^2 sum w_h^2", "[engine]") {
  // Flat traffic: w_h = 1/730, so var = V + V^2 cv^2 / 730.
  Scenario s = article(20000);
  const double volume = 2e6, cv = 0.5;
  s.workloads[0].traffic.burstiness = cv;
  const RunResult r = run_scenario(s);
  const double variance = volume + volume * volume * cv * cv / 730.0;
  const Summary& requests = r.workloads[0].requests;
  CHECK(std::abs(requests.mean - volume) < 5.0 * requests.mean_se);
  // SE of a sample sd is about sd / sqrt(2n) for a near-normal variable.
  CHECK(std::abs(requests.sd - std::sqrt(variance)) < 5.0 * std::sqrt(variance) / std::sqrt(2.0 * 20000));
}

TEST_CASE("hourly and monthly paths agree on serverless cost", "[engine]") {
  Scenario monthly = article(4000);
  monthly.workloads[0].traffic.burstiness = 0.4;
  monthly.workloads[0].traffic.daily_peak_to_mean = 3.0;
  monthly.workloads[0].output_tokens = lognormal_mean_cv(1000, 0.8);
  Scenario hourly = monthly;
  hourly.capacity = {dedicated(20000, 2500, 50)};  // forces the hourly path
  const Summary a = run_scenario(monthly).workloads[0].costs[0].total_usd;
  const Summary b = run_scenario(hourly).workloads[0].costs[0].total_usd;
  const double se = std::sqrt(a.mean_se * a.mean_se + b.mean_se * b.mean_se);
  CHECK(std::abs(a.mean - b.mean) < 5.0 * se);
  CHECK(a.sd == Approx(b.sd).epsilon(0.1));
}

TEST_CASE("dedicated: cost, utilization and overflow on steady traffic", "[engine]") {
  // Flat traffic of 2e6 requests over 730 h: 2739.7 requests an hour, each 3000/20000 + 1000/2500
  // = 0.55 replica-seconds: 1506.8 replica-seconds an hour.
  Scenario s = article(2000);
  const double work_per_hour = 2e6 / 730.0 * (3000.0 / 20000.0 + 1000.0 / 2500.0);
  SECTION("enough replicas: no overflow") {
    s.capacity = {dedicated(20000, 2500, 2)};
    const RunResult r = run_scenario(s);
    const CapacityResult& d = *r.models[0].dedicated;
    CHECK(d.plan.replicas == 2);
    CHECK(d.overflow_share.max == 0.0);
    CHECK(d.utilization.mean == Approx(work_per_hour / (2 * 3600.0)).epsilon(1e-3));
    const Summary& cost = find_cost(r.models[0].costs, Mode::dedicated)->total_usd;
    CHECK(cost.mean == Approx(2 * 5.49 * 730).epsilon(1e-12));
    CHECK(cost.sd == Approx(0.0).margin(1e-9));
    // Effective $ per 1M tokens = cost / tokens.
    CHECK(d.usd_per_mtok.mean == Approx(2 * 5.49 * 730 / (2e6 * 4000 / 1e6)).epsilon(1e-3));
  }
  SECTION("too few replicas: the excess overflows to serverless") {
    // Capacity 0.75 x 3600 = 2700 replica-seconds an hour with 1 replica... use a slower replica.
    s.capacity = {dedicated(10000, 1250, 1)};  // work doubles: 3013.7 s an hour, capacity 2700 s
    const RunResult r = run_scenario(s);
    const CapacityResult& d = *r.models[0].dedicated;
    const double work = 2 * work_per_hour;
    CHECK(d.overflow_share.mean == Approx((work - 2700.0) / work).epsilon(0.01));
    CHECK(d.utilization.mean == Approx(0.75).epsilon(1e-3));
    const double overflow_usd = 12000.0 * (work - 2700.0) / work;
    CHECK(find_cost(r.models[0].costs, Mode::dedicated)->total_usd.mean == Approx(5.49 * 730 + overflow_usd).epsilon(0.01));
  }
  SECTION("auto sizing covers the peak hour at capacity_quantile") {
    s.capacity = {dedicated(20000, 2500, std::nullopt)};
    const RunResult r = run_scenario(s);
    const CapacityResult& d = *r.models[0].dedicated;
    // Flat traffic: the peak hour is the mean plus Poisson noise, needing 1506.8/2700 = 0.56 replicas.
    CHECK(d.auto_sized);
    CHECK(d.plan.replicas == 1);
    // The busiest of 730 Poisson hours (mean 2740 requests, sd 52) lies about 3 to 4 sd above the
    // mean: between 1 and 1 + 4.5/52.3 times the mean need.
    const double mean_need = work_per_hour / 2700.0;
    CHECK(d.sizing_replicas_needed > mean_need * (1.0 + 2.5 / std::sqrt(2739.7)));
    CHECK(d.sizing_replicas_needed < mean_need * (1.0 + 4.5 / std::sqrt(2739.7)));
    CHECK(d.overflow_share.max == 0.0);
  }
}

TEST_CASE("gpu cluster rents whole nodes and adds the fixed cost", "[engine]") {
  Scenario s = article(1000);
  CapacitySpec c = dedicated(20000, 2500, 3);
  c.kind = CapacityKind::gpu_cluster;
  c.name = "own-cluster";
  c.gpus_per_replica = 2;
  c.gpus_per_node = 8;
  c.usd_per_gpu_hour = 3.0;
  c.fixed_usd_per_month = 2500.0;
  s.capacity = {c};
  const RunResult r = run_scenario(s);
  const CapacityResult& g = *r.models[0].gpu_cluster;
  CHECK(g.plan.nodes == 1);
  CHECK(g.plan.replicas == 4);
  CHECK(find_cost(r.models[0].costs, Mode::gpu_cluster)->total_usd.mean == Approx(8 * 3.0 * 730 + 2500).epsilon(1e-12));
}
