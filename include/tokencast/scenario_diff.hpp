#pragma once
// `tokencast diff`: two scenarios run on common random numbers (each workload's, model's and
// capacity option's streams keyed by its name, so what did not change draws the same numbers),
// compared figure by figure with confidence intervals of the paired differences (docs/decisions.md).
#include <cstdint>
#include <string>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// One output compared: a total, a workload's, a model's or a capacity option's cost over the horizon.
struct DiffFigure {
  std::string key;    // "total.cheapest_plan_usd", "workload[chat].serverless_usd", "model[ID].cheapest_usd", ...
  bool in_base = true, in_new = true;  // absent on one side: that side counts as 0
  double base_mean = 0, base_p50 = 0, base_p95 = 0;
  double new_mean = 0, new_p50 = 0, new_p95 = 0;
  // Changes (new - base) and their 95% intervals: the mean's from the paired differences'
  // standard error, the percentiles' by sectioning (20 runs of trials, t with 19 degrees of freedom;
  // infinite, so unknown and never significant, under 40 trials; null in the JSON).
  double mean_change = 0, mean_lo = 0, mean_hi = 0;
  double p50_change = 0, p50_lo = 0, p50_hi = 0;
  double p95_change = 0, p95_lo = 0, p95_hi = 0;
  bool changed() const { return mean_change != 0 || p50_change != 0 || p95_change != 0; }
  // Some interval leaves out 0.
  bool significant() const { return mean_lo > 0 || mean_hi < 0 || p50_lo > 0 || p50_hi < 0 || p95_lo > 0 || p95_hi < 0; }
};

struct ScenarioDiff {
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  std::vector<DiffFigure> figures;  // totals, then models, workloads and capacity options by name
};

// Both scenarios with the base's trials and seed unless `options` sets them.
ScenarioDiff diff_scenarios(const Scenario& base, const Scenario& next, RunOptions options = {});

}  // namespace tokencast
