// The library's trial store: named per-trial columns, grown by drawing only new trials, equal bit
// for bit to a run drawn at its final size, and summarised as run_scenario summarises.
#include <catch2/catch.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "result_json.hpp"
#include "scenario_builders.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/trial_store.hpp"

using namespace tokencast;
using tokencast::test::without_timing;

namespace {

Scenario shipped(const char* file) { return load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/" + file); }

bool same_bits(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

nlohmann::json json_of(const RunResult& r) { return without_timing(nlohmann::json::parse(format_json(r))); }

}  // namespace

TEST_CASE("a trial store names every output column", "[trial_store]") {
  TrialStore store(shipped("scenarios/chat-assistant-dedicated.toml"));
  const RunLayout& layout = store.layout();
  CHECK(store.trials() == 0);
  REQUIRE(layout.find("total.serverless_usd"));
  CHECK(layout.id("total.serverless_usd") == *layout.find("total.serverless_usd"));
  for (const auto& w : store.scenario().workloads) {
    CHECK(layout.find("workload[" + w.name + "].serverless_usd"));
    CHECK(layout.find("workload[" + w.name + "].requests"));
  }
  for (const auto& c : store.scenario().capacity) {
    CHECK(layout.find("capacity[" + c.name + "].cost_usd"));
    CHECK(layout.find("capacity[" + c.name + "].utilization"));
  }
  CHECK_FALSE(layout.find("total.nothing"));
  CHECK_THROWS_AS(layout.id("total.nothing"), std::out_of_range);
  CHECK_THROWS_AS(store.column(layout.size()), std::out_of_range);
  CHECK(store.column("total.serverless_usd").empty());  // nothing drawn yet
  CHECK_THROWS_AS(store.summarize(), std::logic_error);
}

TEST_CASE("a store grown in steps holds what one drawn at its final size holds, bit for bit", "[trial_store]") {
  // Auto-sized capacity (sized again over every trial held), autoscaling, latency objectives, and
  // a 12-month horizon whose months are summarised a block at a time before the store grows again.
  for (const char* file : {"scenarios/chat-assistant-dedicated.toml", "scenarios/coding-copilot-bursty.toml",
                           "scenarios/multi-tenant-12-month.toml", "scenarios/nightly-batch-summaries.toml"}) {
    INFO(file);
    const Scenario scenario = shipped(file);
    RunOptions options;
    options.monthly_storage_bytes = 1;  // one month stored at a time
    options.threads = 3;
    TrialStore grown(scenario, options);
    grown.grow(200);
    const RunResult early = grown.summarize();  // moves the stored months on; growing must undo that
    CHECK(early.trials == 200);
    grown.grow(700);
    options.threads = 1;
    TrialStore once(scenario, options);
    once.grow(700);
    REQUIRE(grown.trials() == 700);
    for (int id = 0; id < grown.layout().size(); ++id) {
      const std::string& name = grown.layout().names()[static_cast<std::size_t>(id)];
      INFO(name);
      // One month held at a time: the first; a later one is refused, not read from another's place.
      if (name.find(".month[") != std::string::npos && name.find(".month[1]") == std::string::npos) {
        CHECK_THROWS_AS(grown.column(id), std::out_of_range);
        continue;
      }
      CHECK(same_bits(grown.column(id), once.column(id)));
    }
    // Summarised as a run of that many trials.
    RunOptions run;
    run.trials = 700;
    run.monthly_storage_bytes = 1;
    CHECK(json_of(grown.summarize()) == json_of(run_scenario(scenario, run)));
  }
}

TEST_CASE("the monthly columns of the total add up to it, trial by trial", "[trial_store]") {
  TrialStore store(shipped("scenarios/multi-tenant-12-month.toml"));
  store.grow(300);
  const auto total = store.column("total.serverless_usd");
  std::vector<double> sum(total.size(), 0.0);
  for (int m = 1; m <= store.scenario().months; ++m) {
    const auto month = store.column("total.serverless_usd.month[" + std::to_string(m) + "]");
    for (std::size_t t = 0; t < sum.size(); ++t) sum[t] += month[t];
  }
  for (std::size_t t = 0; t < sum.size(); ++t) CHECK(sum[t] == Approx(total[t]).epsilon(1e-12));
}

TEST_CASE("a scenario built in code runs, and its columns keep the article's arithmetic", "[trial_store]") {
  // The seed article's example: 3,000 input and 1,000 output tokens a request at $0.90 and $3.30
  // per 1M tokens, so each request costs 3000/1e6 x 0.90 + 1000/1e6 x 3.30 = $0.006 serverless.
  Scenario s = test::article(1000);
  s.workloads[0].input_tokens = 3000.0;
  s.workloads[0].output_tokens = 1000.0;
  TrialStore store(s);
  store.grow(1000);
  const auto requests = store.column("workload[" + s.workloads[0].name + "].requests");
  const auto usd = store.column("total.serverless_usd");
  REQUIRE(requests.size() == 1000);
  for (std::size_t t = 0; t < requests.size(); ++t) {
    CHECK(usd[t] == Approx(requests[t] * 0.006).epsilon(1e-12));
  }
  const auto batch = store.column("total.batch_usd");
  for (std::size_t t = 0; t < requests.size(); ++t) CHECK(batch[t] == Approx(usd[t] * 0.5).epsilon(1e-12));
}

TEST_CASE("a store refuses to grow past the run's limits, and keeps its trials", "[trial_store]") {
  RunOptions options;
  options.max_cpu_s = 1e-3;
  TrialStore store(test::article(10), options);
  store.grow(10);
  CHECK_THROWS_AS(store.grow(100'000'000), ResourceLimitError);
  CHECK(store.trials() == 10);
  CHECK(store.column("total.serverless_usd").size() == 10);
}
