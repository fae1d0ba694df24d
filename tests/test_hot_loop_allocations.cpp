// The engine's hot loop allocates nothing: a counting global operator new around the trials of
// the shipped scenarios, after one warm-up trial has sized every scratch buffer.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/run_plan.hpp"
#include "engine/trial_simulator.hpp"
#include "tokencast/scenario_loader.hpp"

namespace {
std::atomic<long> allocations{0};
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace tokencast;

TEST_CASE("a trial allocates nothing once its simulator exists", "[engine][allocations]") {
  for (const char* name : {"quickstart.toml", "chat-assistant-dedicated.toml", "coding-copilot-bursty.toml",
                           "multi-tenant-12-month.toml", "nightly-batch-summaries.toml"}) {
    INFO(name);
    const Scenario scenario = load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/" + name);
    const std::int64_t trials = 6;
    detail::RunPlan plan = detail::make_run_plan(scenario, trials, 3);
    for (auto& option : plan.capacity) option.plan = plan_capacity(*option.spec, 2);
    plan.columns.allocate(trials, plan.months);
    detail::TrialSimulator simulator(plan);
    // Both ways a trial runs: with its auto-sized options' hours kept, and costed directly.
    std::vector<detail::DeferredCapacity> kept(plan.capacity.size());
    simulator.run_trial(0, plan.columns, kept);
    simulator.run_trial(0, plan.columns);

    const long before = allocations.load();
    for (std::int64_t t = 1; t < trials; ++t) {
      simulator.run_trial(t, plan.columns, kept);
      for (std::size_t c = 0; c < kept.size(); ++c) {
        if (plan.capacity[c].costed_after_sizing()) {
          detail::cost_deferred(kept[c], plan.capacity[c], plan.months, plan.hours_per_month, t, plan.columns);
        }
      }
      simulator.run_trial(t, plan.columns);
    }
    CHECK(allocations.load() - before == 0);
  }
}
