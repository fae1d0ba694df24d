// Engine throughput: trials per second on the embedded quickstart scenario and on each shipped
// scenario, at 1 thread and at all threads. Performance claims live here, not in timed tests.
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "tokencast/engine.hpp"
#include "tokencast/scenario_loader.hpp"

namespace {

void run_trials(benchmark::State& state, const tokencast::Scenario& scenario) {
  tokencast::RunOptions options;
  options.trials = state.range(0);
  options.threads = static_cast<int>(state.range(1));
  for (auto _ : state) {
    auto result = tokencast::run_scenario(scenario, options);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["trials_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                      benchmark::Counter::kIsRate);
}

void BM_quickstart(benchmark::State& state) {
  static const tokencast::Scenario scenario = tokencast::load_default_scenario();
  run_trials(state, scenario);
}
BENCHMARK(BM_quickstart)->Args({2000, 1})->Args({2000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_scenario(benchmark::State& state, const char* file) {
  static std::map<std::string, tokencast::Scenario> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    it = cache.emplace(file, tokencast::load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/" + file)).first;
  }
  run_trials(state, it->second);
}
BENCHMARK_CAPTURE(BM_scenario, article_example, "article-example.toml")
    ->Args({20000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_scenario, multi_tenant_12_month, "multi-tenant-12-month.toml")
    ->Args({500, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_scenario, chat_assistant_dedicated, "chat-assistant-dedicated.toml")
    ->Args({500, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
