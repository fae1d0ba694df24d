// Two runs on common random numbers, paired trial by trial.
#include "tokencast/scenario_diff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "mode_columns.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

constexpr int kSections = 20;
constexpr double kZ = 1.959963984540054;   // two-sided 95% of the normal
constexpr double kT19 = 2.093024054408263;  // and of Student's t with 19 degrees of freedom

double quantile_of(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return quantile_sorted(values, p);
}

// The change of a percentile and its interval by sectioning: each run of trials' percentiles
// differenced, their spread over sqrt(sections).
void percentile_change(std::span<const double> base, std::span<const double> next, double p, double& change,
                       double& lo, double& hi) {
  change = quantile_of({next.begin(), next.end()}, p) - quantile_of({base.begin(), base.end()}, p);
  const std::size_t n = base.size(), per = n / kSections;
  if (per < 2) {  // too few trials to section: the interval is unknown, never significant
    lo = -std::numeric_limits<double>::infinity();
    hi = std::numeric_limits<double>::infinity();
    return;
  }
  double sum = 0, square = 0;
  for (int s = 0; s < kSections; ++s) {
    const auto from = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(s) * per);
    const auto to = from + static_cast<std::ptrdiff_t>(per);
    const double d = quantile_of({next.begin() + from, next.begin() + to}, p) -
                     quantile_of({base.begin() + from, base.begin() + to}, p);
    sum += d;
    square += d * d;
  }
  const double mean = sum / kSections;
  const double sd = std::sqrt(std::max(0.0, (square - kSections * mean * mean) / (kSections - 1)));
  lo = change - kT19 * sd / std::sqrt(double(kSections));
  hi = change + kT19 * sd / std::sqrt(double(kSections));
}

DiffFigure compare(std::string key, const std::optional<std::vector<double>>& base,
                   const std::optional<std::vector<double>>& next, std::size_t trials) {
  DiffFigure f;
  f.key = std::move(key);
  f.in_base = base.has_value();
  f.in_new = next.has_value();
  const std::vector<double> zeros(trials, 0.0);
  const std::vector<double>& b = base ? *base : zeros;
  const std::vector<double>& x = next ? *next : zeros;
  const Summary sb = summarize(b), sx = summarize(x);
  f.base_mean = sb.mean;
  f.base_p50 = sb.p50;
  f.base_p95 = sb.p95;
  f.new_mean = sx.mean;
  f.new_p50 = sx.p50;
  f.new_p95 = sx.p95;
  std::vector<double> d(trials);
  for (std::size_t t = 0; t < trials; ++t) d[t] = x[t] - b[t];
  const Summary sd = summarize(d);
  f.mean_change = sd.mean;
  f.mean_lo = sd.mean - kZ * sd.mean_se;
  f.mean_hi = sd.mean + kZ * sd.mean_se;
  percentile_change(b, x, 0.50, f.p50_change, f.p50_lo, f.p50_hi);
  percentile_change(b, x, 0.95, f.p95_change, f.p95_lo, f.p95_hi);
  return f;
}

// The per-trial values of every figure a side has, by key.
std::map<std::string, std::vector<double>> figures_of(const Scenario& scenario, TrialStore& store) {
  const RunResult result = store.summarize();
  std::map<std::string, std::vector<double>> out;
  for (const Mode mode : {Mode::serverless, Mode::batch, Mode::cheapest_plan}) {
    if (mode == Mode::batch && !store.layout().find("total.batch_usd")) continue;
    out[fmt::format("total.{}_usd", to_string(mode))] =
        detail::column_sum(store, detail::total_columns(mode, scenario, result));
  }
  for (const ModelResult& m : result.models) {
    out[fmt::format("model[{}].cheapest_usd", m.model)] = detail::column_sum(store, {detail::cheapest_column(scenario, m)});
    for (const std::string& column : detail::model_cost_columns(scenario, m)) out[column] = detail::column_sum(store, {column});
  }
  for (const WorkloadSpec& w : scenario.workloads) {
    for (const char* what : {"requests", "serverless_usd", "batch_usd"}) {
      const std::string name = fmt::format("workload[{}].{}", w.name, what);
      if (store.layout().find(name)) out[name] = detail::column_sum(store, {name});
    }
  }
  return out;
}

// Totals first, then models, capacity options and workloads.
int rank_of(const std::string& key) {
  if (key.starts_with("total.")) return 0;
  if (key.starts_with("model[")) return 1;
  if (key.starts_with("capacity[")) return 2;
  return 3;
}

}  // namespace

ScenarioDiff diff_scenarios(const Scenario& base, const Scenario& next, RunOptions options) {
  options.streams_by_name = true;
  options.precision = 0;
  if (!options.trials) options.trials = base.trials;
  if (!options.seed) options.seed = base.seed;
  TrialStore base_store(base, options), next_store(next, options);
  base_store.grow(*options.trials);
  next_store.grow(*options.trials);
  const auto base_figures = figures_of(base, base_store), next_figures = figures_of(next, next_store);
  std::vector<std::string> keys;
  for (const auto& [key, values] : base_figures) keys.push_back(key);
  for (const auto& [key, values] : next_figures) {
    if (!base_figures.contains(key)) keys.push_back(key);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    return rank_of(a) != rank_of(b) ? rank_of(a) < rank_of(b) : a < b;
  });
  ScenarioDiff diff;
  diff.trials = *options.trials;
  diff.seed = *options.seed;
  const auto trials = static_cast<std::size_t>(*options.trials);
  for (const std::string& key : keys) {
    const auto b = base_figures.find(key), x = next_figures.find(key);
    diff.figures.push_back(compare(key,
                                   b == base_figures.end() ? std::nullopt : std::optional(b->second),
                                   x == next_figures.end() ? std::nullopt : std::optional(x->second), trials));
  }
  return diff;
}

}  // namespace tokencast
