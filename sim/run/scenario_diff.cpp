// Two runs on common random numbers, paired trial by trial.
#include "tokencast/scenario_diff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "../statistics/sectioning.hpp"
#include "mode_columns.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

// The change of a percentile, its interval by sectioning (each run of trials' percentiles differenced).
void percentile_change(std::span<const double> base, std::span<const double> next, double p, double& change,
                       double& lo, double& hi) {
  change = detail::quantile_of(next, p) - detail::quantile_of(base, p);
  const detail::SectionedInterval interval =
      detail::sectioned_interval(change, base.size(), [&](std::size_t from, std::size_t to) {
        return detail::quantile_of(next.subspan(from, to - from), p) - detail::quantile_of(base.subspan(from, to - from), p);
      });
  lo = interval.lo;
  hi = interval.hi;
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
  f.mean_lo = sd.mean - detail::kZ95 * sd.mean_se;
  f.mean_hi = sd.mean + detail::kZ95 * sd.mean_se;
  percentile_change(b, x, 0.50, f.p50_change, f.p50_lo, f.p50_hi);
  percentile_change(b, x, 0.95, f.p95_change, f.p95_lo, f.p95_hi);
  return f;
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
  const auto base_figures = detail::output_figures(base, base_store),
             next_figures = detail::output_figures(next, next_store);
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
