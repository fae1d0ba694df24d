#include <catch2/catch.hpp>

#include "tokencast/cost_models.hpp"

using namespace tokencast;

TEST_CASE("the article's worked example", "[cost]") {
  // arcee-ai/maestro-reasoning: $0.90 in, $3.30 out per 1M tokens.
  const ServerlessPrices maestro{0.90, 0.90, 3.30};
  // 4K-token context: $0.0036 of input; 1K tokens out: $0.0033.
  CHECK(serverless_cost_usd(maestro, 4000, 0, 0) == Approx(0.0036).epsilon(1e-12));
  CHECK(serverless_cost_usd(maestro, 0, 1000, 0) == Approx(0.0033).epsilon(1e-12));
  CHECK(serverless_cost_usd(maestro, 4000, 1000, 0) == Approx(0.0069).epsilon(1e-12));
  // 3,000 in / 1,000 out: $0.0027 + $0.0033 = $0.0060 a request; 2M requests: $12,000 a month.
  CHECK(serverless_cost_usd(maestro, 3000, 1000, 0) == Approx(0.0060).epsilon(1e-12));
  CHECK(serverless_cost_usd(maestro, 2e6 * 3000, 2e6 * 1000, 0) == Approx(12000.0).epsilon(1e-12));
  // Batch at 50% off: $6,000.
  CHECK(batch_cost_usd(12000.0, 0.5) == Approx(6000.0).epsilon(1e-15));
}

TEST_CASE("cached input tokens are billed at the cached rate", "[cost]") {
  const ServerlessPrices p{0.90, 0.45, 3.30};
  // 3000 input, 40% cached: 1800 x 0.90 + 1200 x 0.45 + 1000 x 3.30 = 1620 + 540 + 3300 per 1M
  CHECK(serverless_cost_usd(p, 3000, 1000, 0.4) == Approx((1620.0 + 540.0 + 3300.0) / 1e6).epsilon(1e-12));
}

TEST_CASE("per-token serverless prices charge what serverless_cost_usd charges", "[cost]") {
  const ServerlessPrices p{0.90, 0.45, 3.30};
  const ServerlessTokenPrices per_token = serverless_token_prices(p, 0.4);
  // The same hand computation as above: (1620 + 540 + 3300) / 1e6 for 3000 in, 1000 out.
  CHECK(3000 * per_token.input_usd + 1000 * per_token.output_usd == Approx((1620.0 + 540.0 + 3300.0) / 1e6).epsilon(1e-12));
  CHECK(2e9 * per_token.input_usd + 7e8 * per_token.output_usd ==
        Approx(serverless_cost_usd(p, 2e9, 7e8, 0.4)).epsilon(1e-14));
}

TEST_CASE("capacity plans: dedicated replicas and whole cluster nodes", "[cost]") {
  CapacitySpec dedicated;
  dedicated.gpus_per_replica = 2;
  dedicated.min_replicas = 1;
  CHECK(plan_capacity(dedicated, 3).replicas == 3);
  CHECK(plan_capacity(dedicated, 3).gpus == 6);
  CHECK(plan_capacity(dedicated, 0).replicas == 1);  // min_replicas

  CapacitySpec cluster = dedicated;
  cluster.kind = CapacityKind::gpu_cluster;
  cluster.gpus_per_node = 8;
  const CapacityPlan p = plan_capacity(cluster, 3);  // 6 GPUs -> one 8-GPU node -> 4 replicas fit
  CHECK(p.nodes == 1);
  CHECK(p.gpus == 8);
  CHECK(p.replicas == 4);
  CHECK(plan_capacity(cluster, 5).nodes == 2);

  CHECK(replicas_needed(3600.0 * 0.75 * 2.5, 0.75) == Approx(2.5));
}

TEST_CASE("capacity ledger: overflow above replicas x 3600 s x max_utilization", "[cost]") {
  CapacityParams params{5.49, 20000, 2500, 0.75, 0};
  CapacityPlan plan{2, 2, 0};  // 2 replicas: 5400 replica-seconds an hour at 75%
  CapacityLedger ledger(plan, params, OverflowPolicy::serverless);
  CHECK(ledger.hourly_capacity() == Approx(5400.0));
  // 20000 in / 2500 out tokens per second of work: 3000 s of work.
  const double work = work_replica_seconds(params, 20000.0 * 1000, 2500.0 * 2000);
  CHECK(work == Approx(3000.0));
  ledger.add_hour(work, 100.0, 25e6);   // below capacity
  ledger.add_hour(10800.0, 200.0, 4e6);  // 5400 over: half the hour's work overflows
  CHECK(ledger.overflow_work() == Approx(5400.0));
  CHECK(ledger.overflow_usd() == Approx(100.0));
  CHECK(ledger.served_work() == Approx(3000.0 + 5400.0));
  // Two hours of 2 GPUs x $5.49; a month of 730 such hours bills 2 x 5.49 x 730.
  CHECK(ledger.close_month(0.0) == Approx(2 * 2 * 5.49));
  for (int h = 0; h < 730; ++h) ledger.add_hour(0.0, 0.0, 0.0);
  CHECK(ledger.close_month(0.0) == Approx(2 * 5.49 * 730));
  CHECK(ledger.capacity_usd() == Approx(2 * 5.49 * 732));
  // A monthly minimum above the GPU-hours is billed instead.
  ledger.add_hour(0.0, 0.0, 0.0);
  CHECK(ledger.close_month(5000.0) == Approx(5000.0));

  CapacityLedger dropping(plan, params, OverflowPolicy::drop);
  dropping.add_hour(10800.0, 200.0, 4e6);
  CHECK(dropping.overflow_usd() == 0.0);
  CHECK(dropping.dropped_tokens() == Approx(2e6));

  // A cluster's fixed cost is added per month.
  CapacityParams cluster_params = params;
  cluster_params.fixed_usd_per_month = 2500;
  CapacityLedger cluster({4, 8, 1}, cluster_params, OverflowPolicy::serverless);
  double total = 0;
  for (int month = 0; month < 3; ++month) {
    for (int h = 0; h < 730; ++h) cluster.add_hour(0.0, 0.0, 0.0);
    total += cluster.close_month(0.0);
  }
  CHECK(total == Approx(8 * 5.49 * 730 * 3 + 2500 * 3));
  CHECK(cluster.full_capacity_seconds() == Approx(4 * 3600.0 * 730 * 3));

  // Autoscaling: each hour bills the GPUs of its own plan.
  CapacityLedger scaled({4, 4, 0}, params, OverflowPolicy::serverless);
  scaled.add_hour(100.0, 1.0, 1e5, CapacityPlan{1, 1, 0});
  scaled.add_hour(5000.0, 10.0, 1e6, CapacityPlan{1, 1, 0});  // 2700 s capacity: 2300 s overflow
  CHECK(scaled.close_month(0.0) == Approx(2 * 5.49));
  CHECK(scaled.overflow_work() == Approx(2300.0));
  CHECK(scaled.overflow_usd() == Approx(10.0 * 2300.0 / 5000.0));
}
