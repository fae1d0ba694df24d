// A scenario built in code (no TOML), run through the trial store, read trial by trial: the chance
// that a dedicated endpoint costs less than serverless for the same traffic, and by how much.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/trial_store.hpp"

using namespace tokencast;

namespace {

Scenario chat_scenario() {
  Scenario s;
  s.name = "support chat, built in code";
  s.file = "<run_in_code>";
  s.seed = 42;

  ModelSpec model;
  model.id = "meta-llama/Llama-3.3-70B-Instruct-Turbo";
  model.input_usd_per_mtok = 0.88;
  model.output_usd_per_mtok = 0.88;
  s.models.push_back(model);

  WorkloadSpec chat;
  chat.name = "support-chat";
  chat.model = model.id;
  chat.requests_per_month = distribution(DistKind::pert, ParamSet::standard, {10e6, 14e6, 20e6, 4.0});
  chat.input_tokens = distribution(DistKind::lognormal, ParamSet::mean_cv, {1800.0, 0.6});
  chat.output_tokens = distribution(DistKind::lognormal, ParamSet::mean_cv, {350.0, 0.8});
  chat.traffic.daily_peak_to_mean = 2.0;
  s.workloads.push_back(chat);

  CapacitySpec dedicated;
  dedicated.name = "llama-70b-2xh100";
  dedicated.model = model.id;
  dedicated.usd_per_gpu_hour = 3.36;
  dedicated.gpus_per_replica = 2;
  dedicated.prefill_tokens_per_s = distribution(DistKind::triangular, ParamSet::standard, {6000.0, 8000.0, 9000.0});
  dedicated.decode_tokens_per_s = distribution(DistKind::triangular, ParamSet::standard, {1200.0, 1500.0, 1800.0});
  s.capacity.push_back(dedicated);  // replicas "auto": sized for the peak hour
  return s;
}

}  // namespace

int main() {
  const Scenario scenario = chat_scenario();
  // The loader's checks, with the key paths a TOML file would get (and no position).
  validate_scenario(scenario);
  Scenario mistaken = scenario;
  mistaken.workloads[0].traffic.burstiness = 20.0;
  try {
    validate_scenario(mistaken);
  } catch (const InputError& error) {
    std::printf("refused as TOML would be: %s\n", error.what());
  }

  RunOptions options;
  options.threads = 2;
  TrialStore store(scenario, options);
  store.grow(2000);
  store.grow(5000);  // draws trials 2,000..4,999 only

  const auto serverless = store.column("model[meta-llama/Llama-3.3-70B-Instruct-Turbo].serverless_usd");
  const auto dedicated = store.column("capacity[llama-70b-2xh100].cost_usd");
  std::vector<double> saving(serverless.size());
  std::size_t cheaper = 0;
  for (std::size_t t = 0; t < saving.size(); ++t) {
    saving[t] = serverless[t] - dedicated[t];
    cheaper += saving[t] > 0 ? 1 : 0;
  }
  std::sort(saving.begin(), saving.end());
  std::printf("%lld trials, %d output columns\n", static_cast<long long>(store.trials()), store.layout().size());
  std::printf("per-trial: dedicated is cheaper in %.1f%% of trials; saving p10 %.0f usd, p50 %.0f usd, p90 %.0f usd\n",
              100.0 * static_cast<double>(cheaper) / static_cast<double>(saving.size()), saving[saving.size() / 10],
              saving[saving.size() / 2], saving[saving.size() * 9 / 10]);

  const RunResult result = store.summarize();
  std::fputs(format_table(result).c_str(), stdout);
  return 0;
}
