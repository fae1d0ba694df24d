// Sensitivity: a base run that records every uncertain input, then runs with each input held at
// its spider levels on common random numbers (include/tokencast/sensitivity.hpp).
#include "tokencast/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/math/distributions/normal.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "../statistics/sectioning.hpp"
#include "../statistics/variance_shares.hpp"
#include "mode_columns.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

bool in_correlation(const Scenario& s, const CorrelatedInput& in) {
  for (const CorrelationSpec& c : s.correlations) {
    for (const CorrelatedInput& other : c.inputs) {
      if (other.entity == in.entity && other.index == in.index && other.field == in.field) return true;
    }
  }
  return false;
}

// The input's value at quantile level p: its law's own quantile when the law's parameters are
// certain, else (a law of drawn parameters: a mixture) the quantile of the base run's draws.
double input_at(const Quantity& q, double p, const std::vector<double>& drawn) {
  if (!q.has_uncertain_parameters()) {
    Rng unused = make_stream(0, 0, StreamPurpose::scenario_parameters);  // certain parameters draw nothing
    return q.resolve(unused).quantile(p);
  }
  return detail::quantile_of(drawn, p);
}

std::string output_key(const std::vector<std::string>& outputs, const std::string& wanted) {
  for (const std::string& name : {wanted, wanted + "_usd"}) {
    if (std::find(outputs.begin(), outputs.end(), name) != outputs.end()) return name;
  }
  throw UsageError(fmt::format("the scenario has no output '{}' (expected one of {})", wanted, fmt::join(outputs, ", ")));
}

}  // namespace

std::vector<std::string> sensitivity_outputs(const Scenario& scenario) {
  RunOptions one_trial;
  one_trial.trials = 1;
  TrialStore store(scenario, one_trial);
  store.grow(1);
  std::vector<std::string> names;
  for (const auto& [key, columns] : detail::output_columns(scenario, store, store.summarize())) names.push_back(key);
  return names;
}

Sensitivity sensitivity_analysis(const Scenario& scenario, const std::string& output, RunOptions options) {
  options.precision = 0;
  options.trials = options.trials.value_or(scenario.trials);
  options.seed = options.seed.value_or(scenario.seed);
  options.held_inputs.clear();
  Sensitivity out;
  out.output = output_key(sensitivity_outputs(scenario), output);  // refused before anything long
  const std::vector<CorrelatedInput> inputs = uncertain_inputs(scenario);
  RunOptions recording = options;
  recording.recorded_inputs = inputs;
  TrialStore base(scenario, recording);
  base.grow(*options.trials);
  const RunResult base_result = base.summarize();
  const auto outputs = detail::output_columns(scenario, base, base_result);
  out.scenario = scenario.file;
  out.trials = *options.trials;
  out.seed = *options.seed;
  const std::vector<std::string>& columns = outputs.at(out.output);
  const std::vector<double> y = detail::column_sum(base, columns);
  const Summary base_summary = summarize(y);
  out.output_mean = base_summary.mean;
  out.output_p95 = base_summary.p95;
  out.runs = 1;
  const boost::math::normal_distribution<double> normal;
  for (const CorrelatedInput& in : inputs) {
    const std::span<const double> drawn_span = base.column("input." + in.path);
    const std::vector<double> drawn(drawn_span.begin(), drawn_span.end());
    const Quantity& q = *input_quantity(scenario, in);
    InputSensitivity s;
    s.key_path = in.path;
    s.law = q.describe();
    s.correlated = in_correlation(scenario, in);
    std::vector<double> at_p10, at_p90;
    for (const double level : spider_levels) {
      RunOptions held = options;
      const double value = input_at(q, level, drawn);
      held.held_inputs = {HeldInput{in, value, boost::math::quantile(normal, level)}};
      TrialStore run(scenario, held);
      run.grow(*options.trials);
      ++out.runs;
      std::vector<double> values = detail::column_sum(run, columns);
      const Summary summary = summarize(values);
      s.spider.push_back({level, value, summary.mean, summary.p95});
      if (level == spider_levels[1]) at_p10 = std::move(values);
      if (level == spider_levels[5]) at_p90 = std::move(values);
    }
    std::vector<double> paired(at_p10.size());
    for (std::size_t t = 0; t < paired.size(); ++t) paired[t] = at_p90[t] - at_p10[t];
    const Summary change = summarize(paired);
    const detail::SectionedInterval mean_interval = detail::normal_interval(change.mean, change.mean_se, paired.size());
    s.mean_swing = {change.mean, mean_interval.lo, mean_interval.hi};
    const std::span<const double> low(at_p10), high(at_p90);
    const double p95_swing = s.at_p90().output_p95 - s.at_p10().output_p95;
    const detail::SectionedInterval p95_interval =
        detail::sectioned_interval(p95_swing, paired.size(), [&](std::size_t from, std::size_t to) {
          return detail::quantile_of(high.subspan(from, to - from), 0.95) -
                 detail::quantile_of(low.subspan(from, to - from), 0.95);
        });
    s.p95_swing = {p95_swing, p95_interval.lo, p95_interval.hi};
    s.first_order = detail::first_order_share(drawn, y);
    s.rank_correlation = detail::rank_correlation(drawn, y);
    out.first_order_sum += s.first_order.value;
    out.inputs.push_back(std::move(s));
  }
  std::stable_sort(out.inputs.begin(), out.inputs.end(), [](const InputSensitivity& a, const InputSensitivity& b) {
    return a.first_order.value > b.first_order.value;
  });
  return out;
}

}  // namespace tokencast
