// `tokencast fit` reading speed (docs/performance.md, "Issue 13"): a generated log of
// TOKENCAST_FIT_BENCH_MB megabytes (default 100; the issue's bar is measured at 1024), as a named
// CSV and as OpenAI response JSONL, fitted end to end; lines a second on one core.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "tokencast/catalog.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/random.hpp"

namespace {

namespace fs = std::filesystem;

double megabytes() {
  const char* text = std::getenv("TOKENCAST_FIT_BENCH_MB");
  return text != nullptr ? std::max(1.0, std::atof(text)) : 100.0;
}

// Writes (once per process) a log of about megabytes() MB: Poisson arrivals at 20/s, lognormal tokens.
struct GeneratedLog {
  fs::path path;
  std::size_t lines = 0;
  GeneratedLog(bool json) {
    path = fs::temp_directory_path() / (json ? "tokencast-fit-bench.jsonl" : "tokencast-fit-bench.csv");
    std::ofstream out(path, std::ios::binary);
    if (!json) out << "time,input,output,model\n";
    tokencast::Rng rng(7);
    const tokencast::Dist input = tokencast::Dist::lognormal(6.5, 0.8), output = tokencast::Dist::lognormal(5, 0.6);
    const double limit = megabytes() * 1e6;
    double t = 1767225600.0, bytes = 0;
    std::string line;
    while (bytes < limit) {
      t += -std::log1p(-rng.uniform01()) / 20.0;
      const long in = std::lround(input.sample(rng)) + 1, outp = std::lround(output.sample(rng)) + 1;
      line = json ? fmt::format(R"({{"id":"chatcmpl-{}","object":"chat.completion","created":{},"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo","usage":{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":0}}}}}})"
                                "\n",
                                lines, static_cast<long long>(t), in, outp, in + outp)
                  : fmt::format("{:.3f},{},{},meta-llama/Llama-3.3-70B-Instruct-Turbo\n", t, in, outp);
      out << line;
      bytes += static_cast<double>(line.size());
      ++lines;
    }
  }
  ~GeneratedLog() { fs::remove(path); }
};

void run_fit(benchmark::State& state, bool json) {
  static GeneratedLog csv(false), jsonl(true);
  const GeneratedLog& log = json ? jsonl : csv;
  tokencast::FitOptions options;
  if (!json) {
    options.log.format = tokencast::TraceFormat::named_csv;
    options.log.columns = tokencast::TraceColumns{"time", "input", "output", "model", ""};
  }
  for (auto _ : state) {
    const tokencast::FitResult fit = tokencast::fit_logs({log.path.string()}, options, tokencast::builtin_catalog());
    benchmark::DoNotOptimize(fit.scenario_toml.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(log.lines));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(log.path)));
}

void BM_fit_csv(benchmark::State& state) { run_fit(state, false); }
void BM_fit_jsonl(benchmark::State& state) { run_fit(state, true); }
BENCHMARK(BM_fit_csv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fit_jsonl)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
