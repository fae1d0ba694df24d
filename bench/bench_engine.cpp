// Engine throughput: trials per second on the embedded quickstart scenario and on each shipped
// scenario, at 1 thread and at all threads; the cost per workload-hour of the hourly path (to set
// beside bench_floor.cpp's floor); and how time per trial and peak memory grow with trials, months
// and workloads. Performance claims live here and in docs/performance.md, not in timed tests.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <boost/random/lognormal_distribution.hpp>
#include <fmt/format.h>

#include "tokencast/engine.hpp"
#include "tokencast/queueing.hpp"
#include "tokencast/random.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/summary.hpp"

namespace {

// CPU seconds of the whole process, every thread included (the benchmark's own CPU column counts
// only the main thread). On a shared machine wall time includes waiting for a core; this does not.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

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

const tokencast::Scenario& scenario_file(const std::string& path) {
  static std::map<std::string, tokencast::Scenario> cache;
  auto it = cache.find(path);
  if (it == cache.end()) {
    it = cache.emplace(path, tokencast::load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/" + path)).first;
  }
  return it->second;
}

void BM_quickstart(benchmark::State& state) {
  static const tokencast::Scenario scenario = tokencast::load_default_scenario();
  run_trials(state, scenario);
}
BENCHMARK(BM_quickstart)->Args({2000, 1})->Args({2000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_scenario(benchmark::State& state, const char* file) {
  run_trials(state, scenario_file(std::string("scenarios/") + file));
}
BENCHMARK_CAPTURE(BM_scenario, article_example, "article-example.toml")
    ->Args({20000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_scenario, multi_tenant_12_month, "multi-tenant-12-month.toml")
    ->Args({500, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_scenario, chat_assistant_dedicated, "chat-assistant-dedicated.toml")
    ->Args({500, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- cost per workload-hour -------------------------------------------------------------------

// Workload-hours a run simulates hour by hour: trials x months x hours_per_month x the workloads
// whose model has a capacity option (the others take the monthly path).
double hourly_workload_hours(const tokencast::Scenario& s, std::int64_t trials) {
  int hourly = 0;
  for (const auto& w : s.workloads) {
    for (const auto& c : s.capacity) {
      if (c.model == w.model) {
        ++hourly;
        break;
      }
    }
  }
  return static_cast<double>(trials) * s.months * s.hours_per_month * hourly;
}

// The whole run (sizing pass, costing pass, the monthly-path workloads, summaries) divided by the
// workload-hours above: wall time per workload-hour, comparable with bench_floor's per-hour cost
// at 1 thread and showing the speed-up at 2. range(0) = trials, range(1) = threads.
void BM_capacity_workload_hour(benchmark::State& state) {
  const tokencast::Scenario& scenario = scenario_file("bench/scenarios/capacity-12-month.toml");
  const double cpu_before = process_cpu_seconds();
  run_trials(state, scenario);
  const double cpu = process_cpu_seconds() - cpu_before;
  const double hours = hourly_workload_hours(scenario, state.range(0)) * static_cast<double>(state.iterations());
  state.counters["workload_hours"] = hourly_workload_hours(scenario, state.range(0));
  // Rates use real time (UseRealTime): wall seconds per workload-hour, shown with an SI prefix
  // ("95n" is 95 ns); cpu_s_per_workload_hour is the process's CPU time (all threads) per hour.
  state.counters["s_per_workload_hour"] =
      benchmark::Counter(hours, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["cpu_s_per_workload_hour"] = cpu / hours;
}
BENCHMARK(BM_capacity_workload_hour)->Args({200, 1})->Args({200, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- exact mode: cost per request ----------------------------------------------------------------

// `--exact` draws every request's tokens (docs/cost-model.md, "Token sums"):
// bench/scenarios/exact-month.toml, a month of about 3,000 requests an hour (the size
// tests/test_exact_precision.cpp compares with the hourly sums), lognormal input and output
// tokens. range(0) = trials, range(1) = threads; s_per_request is wall time over the requests
// drawn, cpu_s_per_request the process's CPU time.
void BM_exact_request(benchmark::State& state) {
  const tokencast::Scenario& scenario = scenario_file("bench/scenarios/exact-month.toml");
  tokencast::RunOptions options;
  options.trials = state.range(0);
  options.threads = static_cast<int>(state.range(1));
  options.exact = true;
  double requests = 0;
  const double cpu_before = process_cpu_seconds();
  for (auto _ : state) {
    auto result = tokencast::run_scenario(scenario, options);
    requests += result.workloads[0].requests.mean * static_cast<double>(result.trials);
    benchmark::DoNotOptimize(result);
  }
  state.counters["s_per_request"] = benchmark::Counter(requests, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["cpu_s_per_request"] = (process_cpu_seconds() - cpu_before) / requests;
}
BENCHMARK(BM_exact_request)->Args({20, 1})->Args({20, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- scaling: time per trial and peak memory --------------------------------------------------

// A generated scenario: `workloads` workloads alternating between a plain model and one with
// batch; with `hourly`, the plain model gets a dedicated option, so its workloads run hour by hour.
std::string scaling_scenario(int months, int workloads, bool hourly) {
  std::string toml = fmt::format(
      "[scenario]\nname = \"scaling\"\nmonths = {}\nseed = 1\n\n"
      "[[model]]\nid = \"bench/plain\"\ninput_usd_per_mtok = 0.88\noutput_usd_per_mtok = 0.88\n\n"
      "[[model]]\nid = \"bench/batch\"\ninput_usd_per_mtok = 0.18\noutput_usd_per_mtok = 0.18\n"
      "batch_discount = 0.5\n",
      months);
  for (int w = 0; w < workloads; ++w) {
    toml += fmt::format(
        "\n[[workload]]\nname = \"w{}\"\nmodel = \"{}\"\n"
        "requests_per_month = {{ dist = \"pert\", min = 1.0e6, mode = 2.0e6, max = 4.0e6 }}\n"
        "input_tokens = {{ dist = \"lognormal\", mean = 1200, cv = 0.9 }}\n"
        "output_tokens = {{ dist = \"gamma\", mean = 300, cv = 0.6 }}\nbatchable = {}\n"
        "traffic = {{ daily_peak_to_mean = 2.0, peak_hour = 14, weekend_factor = 0.6, burstiness = 0.2, "
        "monthly_growth = {{ dist = \"uniform\", min = 0.0, max = 0.05 }} }}\n",
        w, w % 2 == 0 ? "bench/plain" : "bench/batch", w % 2 == 1 ? "true" : "false");
  }
  if (hourly) {
    toml +=
        "\n[[dedicated]]\nname = \"plain-dedicated\"\nmodel = \"bench/plain\"\nusd_per_gpu_hour = 5.49\n"
        "gpus_per_replica = 2\nprefill_tokens_per_s = 14000\ndecode_tokens_per_s = 4500\n";
  }
  return toml;
}

// A /proc/self/status field in MiB (kB there), or -1 when unreadable.
double status_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return -1;
}

// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so each benchmark's
// peak is its own and not the largest of the runs before it.
void reset_peak_rss() {
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

// range: trials, months, workloads, threads, hourly (0/1). Counters: seconds per trial (real time)
// and CPU seconds per trial (all threads), the process's peak resident memory during the run and
// its resident memory before it.
void BM_scaling(benchmark::State& state) {
  const int months = static_cast<int>(state.range(1)), workloads = static_cast<int>(state.range(2));
  const bool hourly = state.range(4) != 0;
  const tokencast::Scenario scenario =
      tokencast::load_scenario_text(scaling_scenario(months, workloads, hourly), "<scaling>");
  tokencast::RunOptions options;
  options.trials = state.range(0);
  options.threads = static_cast<int>(state.range(3));
  const double before_mib = status_mib("VmRSS");
  reset_peak_rss();
  const double cpu_before = process_cpu_seconds();
  for (auto _ : state) {
    auto result = tokencast::run_scenario(scenario, options);
    benchmark::DoNotOptimize(result);
  }
  const double trials = static_cast<double>(state.iterations() * state.range(0));
  state.counters["s_per_trial"] = benchmark::Counter(trials, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["cpu_s_per_trial"] = (process_cpu_seconds() - cpu_before) / trials;
  state.counters["peak_rss_MiB"] = status_mib("VmHWM");
  state.counters["rss_before_MiB"] = before_mib;
}
// Monthly path: trials x months x workloads.
BENCHMARK(BM_scaling)
    ->ArgNames({"trials", "months", "workloads", "threads", "hourly"})
    ->ArgsProduct({{2000, 20000}, {12, 120}, {2, 8}, {1, 2}, {0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Hourly path (half the workloads on a model with a dedicated option).
BENCHMARK(BM_scaling)
    ->ArgNames({"trials", "months", "workloads", "threads", "hourly"})
    ->ArgsProduct({{50, 200}, {12, 120}, {2, 8}, {1, 2}, {1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

namespace {

// One column's summary (mean, sd, p5..p99, min, max: two bucketing passes and a selection among
// the values near each rank) against the sort it replaced (a copy sorted, the same percentiles
// read off it), on lognormal costs of `n` trials. The ratio is the statistics' speed-up.
std::vector<double> lognormal_costs(std::int64_t n) {
  tokencast::Rng rng = tokencast::make_stream(11, 0, tokencast::StreamPurpose::tokens);
  boost::random::lognormal_distribution<double> cost(9.0, 0.4);
  std::vector<double> values(static_cast<std::size_t>(n));
  for (double& v : values) v = cost(rng);
  return values;
}

void BM_summary(benchmark::State& state) {
  const std::vector<double> values = lognormal_costs(state.range(0));
  std::vector<double> scratch;
  for (auto _ : state) {
    tokencast::Summary s = tokencast::summarize(values, scratch);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_summary)->Arg(200'000)->Arg(2'000'000)->Unit(benchmark::kMillisecond);

void BM_summary_by_sort(benchmark::State& state) {
  const std::vector<double> values = lognormal_costs(state.range(0));
  std::vector<double> sorted;
  for (auto _ : state) {
    sorted.assign(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    const double n = static_cast<double>(sorted.size() - 1);
    double q[6];
    int i = 0;
    for (const double p : {0.05, 0.25, 0.50, 0.75, 0.95, 0.99}) {
      const double h = p * n;
      const auto below = static_cast<std::size_t>(h);
      const std::size_t above = std::min(below + 1, sorted.size() - 1);
      q[i++] = sorted[below] + (h - static_cast<double>(below)) * (sorted[above] - sorted[below]);
    }
    benchmark::DoNotOptimize(q);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_summary_by_sort)->Arg(200'000)->Arg(2'000'000)->Unit(benchmark::kMillisecond);

}  // namespace


namespace {

// The serving model's discrete-event simulation, one core: requests per second through R replicas
// of m slots with a prefill resource each, at about 70% utilization. The trace is drawn once
// outside the timing, so this is the pool loop alone (replay_pool); simulate_pool adds the
// drawing of arrivals and lognormal token counts.
tokencast::Dist token_lognormal(double mean, double cv) {
  const double sigma2 = std::log1p(cv * cv);
  return tokencast::Dist::lognormal(std::log(mean) - 0.5 * sigma2, std::sqrt(sigma2));
}

std::vector<tokencast::TimedRequest> pool_trace(double rate, double seconds) {
  tokencast::Rng rng(17);
  std::vector<tokencast::TimedRequest> trace;
  const tokencast::Dist in = token_lognormal(1000, 0.8), out = token_lognormal(250, 0.8);
  for (double t = 0; t < seconds; t += -std::log1p(-rng.uniform01()) / rate) {
    trace.push_back({t, {std::round(in.sample(rng)), std::max(1.0, std::round(out.sample(rng)))}});
  }
  return trace;
}

// R replicas of m slots at a rate keeping them 70% busy: (0.1 s prefill + 250 / 3000 s decode) a
// request; the third argument is the decode fixed share in percent (100: one decode speed).
tokencast::PoolSimulationConfig pool_config(const benchmark::State& state) {
  tokencast::PoolSimulationConfig config;
  config.replicas = static_cast<int>(state.range(0));
  config.max_concurrency = static_cast<int>(state.range(1));
  config.prefill_tokens_per_s = 10000;
  config.decode_tokens_per_s = 3000;
  config.decode_fixed_share = static_cast<double>(state.range(2)) / 100.0;
  config.arrival_rate_per_s = 0.7 * config.replicas / (0.1 + 250.0 / 3000.0);
  return config;
}

void BM_pool_replay(benchmark::State& state) {
  const tokencast::PoolSimulationConfig config = pool_config(state);
  const double rate = config.arrival_rate_per_s;
  const std::vector<tokencast::TimedRequest> trace = pool_trace(rate, 2e6 / rate);
  for (auto _ : state) {
    const tokencast::PoolSimulationResult r = tokencast::replay_pool(config, trace);
    benchmark::DoNotOptimize(r.wait_p95_s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(trace.size()));
}
BENCHMARK(BM_pool_replay)
    ->Args({4, 64, 100})
    ->Args({64, 64, 100})
    ->Args({64, 256, 100})
    ->Args({64, 64, 50})
    ->Unit(benchmark::kMillisecond);

void BM_pool_simulate(benchmark::State& state) {
  tokencast::PoolSimulationConfig config = pool_config(state);
  config.warmup_s = 0;
  config.duration_s = 2e6 / config.arrival_rate_per_s;
  const tokencast::Dist input = token_lognormal(1000, 0.8), output = token_lognormal(250, 0.8);
  std::int64_t requests = 0;
  for (auto _ : state) {
    tokencast::Rng rng(5);
    const tokencast::PoolSimulationResult r = tokencast::simulate_pool(config, input, output, rng);
    requests += r.requests;
    benchmark::DoNotOptimize(r.wait_p95_s);
  }
  state.SetItemsProcessed(requests);
}
BENCHMARK(BM_pool_simulate)->Args({64, 64, 100})->Args({64, 64, 50})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
