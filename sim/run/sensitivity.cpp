// Sensitivity: a base run that records every uncertain input, then runs with each input held at
// its spider levels on common random numbers (include/tokencast/sensitivity.hpp).
#include "tokencast/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include <boost/math/distributions/normal.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "../common/byte_stream.hpp"
#include "../engine/simulation.hpp"
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

struct SensitivityUnits::State {
  Scenario scenario;
  RunOptions options;
  std::vector<CorrelatedInput> inputs;
  std::vector<std::string> columns;  // the followed output's columns in the base run (its cheapest plans)
  Sensitivity out;
  // The base run's output and each input per trial: drawn here (unit 0, or for an input of drawn
  // parameters), or added from unit 0's bytes.
  struct Base {
    std::vector<double> y;
    std::vector<std::vector<double>> drawn;  // by input
  };
  std::optional<Base> base;
  std::optional<Base> added_base;

  const Base& base_run() {
    if (base) return *base;
    RunOptions recording = options;
    recording.recorded_inputs = inputs;
    TrialStore store(scenario, recording);
    store.grow(*options.trials);
    const RunResult result = store.summarize();
    const auto outputs = detail::output_columns(scenario, store, result);
    columns = outputs.at(out.output);
    Base b;
    b.y = detail::column_sum(store, columns);
    for (const CorrelatedInput& in : inputs) {
      const std::span<const double> drawn = store.column("input." + in.path);
      b.drawn.emplace_back(drawn.begin(), drawn.end());
    }
    return base.emplace(std::move(b));
  }
};

SensitivityUnits::SensitivityUnits(Scenario scenario, const std::string& output, RunOptions options)
    : state_(std::make_unique<State>()) {
  State& st = *state_;
  options.precision = 0;
  options.trials = options.trials.value_or(scenario.trials);
  options.seed = options.seed.value_or(scenario.seed);
  options.held_inputs.clear();
  options.recorded_inputs.clear();
  st.out.output = output_key(sensitivity_outputs(scenario), output);  // refused before anything long
  st.inputs = uncertain_inputs(scenario);
  st.out.scenario = scenario.file;
  st.out.trials = *options.trials;
  st.out.seed = *options.seed;
  st.out.runs = 1 + static_cast<std::int64_t>(spider_levels.size() * st.inputs.size());
  st.scenario = std::move(scenario);
  st.options = std::move(options);
}
SensitivityUnits::SensitivityUnits(SensitivityUnits&&) noexcept = default;
SensitivityUnits::~SensitivityUnits() = default;

std::int64_t SensitivityUnits::count() const { return 1 + static_cast<std::int64_t>(state_->inputs.size()); }
double SensitivityUnits::cost(std::int64_t unit) const {
  return unit == 0 ? 1.0 : static_cast<double>(spider_levels.size());
}

std::string SensitivityUnits::compute(std::int64_t unit) {
  State& st = *state_;
  return detail::in_arena(st.options, [&] {
    detail::ByteWriter w;
    if (unit == 0) {
      const State::Base& b = st.base_run();
      w.put_vector(b.y);
      for (const auto& drawn : b.drawn) w.put_vector(drawn);
      return std::move(w.bytes());
    }
    const CorrelatedInput& in = st.inputs[static_cast<std::size_t>(unit - 1)];
    const Quantity& q = *input_quantity(st.scenario, in);
    // The base run's columns of the output (its cheapest plans) and, for an input of drawn
    // parameters, its draws.
    const std::vector<double>& drawn = st.base_run().drawn[static_cast<std::size_t>(unit - 1)];
    const boost::math::normal_distribution<double> normal;
    std::vector<SpiderPoint> spider;
    std::vector<double> at_p10, at_p90;
    for (const double level : spider_levels) {
      RunOptions held = st.options;
      const double value = input_at(q, level, drawn);
      held.held_inputs = {HeldInput{in, value, boost::math::quantile(normal, level)}};
      TrialStore run(st.scenario, held);
      run.grow(*st.options.trials);
      std::vector<double> values = detail::column_sum(run, st.columns);
      const Summary summary = summarize(values);
      spider.push_back({level, value, summary.mean, summary.p95});
      if (level == spider_levels[1]) at_p10 = std::move(values);
      if (level == spider_levels[5]) at_p90 = std::move(values);
    }
    std::vector<double> paired(at_p10.size());
    for (std::size_t t = 0; t < paired.size(); ++t) paired[t] = at_p90[t] - at_p10[t];
    const Summary change = summarize(paired);
    const detail::SectionedInterval mean_interval = detail::normal_interval(change.mean, change.mean_se, paired.size());
    const std::span<const double> low(at_p10), high(at_p90);
    const double p95_swing = spider[5].output_p95 - spider[1].output_p95;
    const detail::SectionedInterval p95_interval =
        detail::sectioned_interval(p95_swing, paired.size(), [&](std::size_t from, std::size_t to) {
          return detail::quantile_of(high.subspan(from, to - from), 0.95) -
                 detail::quantile_of(low.subspan(from, to - from), 0.95);
        });
    w.put_vector(spider);
    w.put(Estimate{change.mean, mean_interval.lo, mean_interval.hi});
    w.put(Estimate{p95_swing, p95_interval.lo, p95_interval.hi});
    return std::move(w.bytes());
  });
}

void SensitivityUnits::add_unit(std::int64_t unit, std::string_view bytes) {
  State& st = *state_;
  detail::read_record(bytes, [&](detail::ByteReader& r) {
    if (unit == 0) {
      State::Base b;
      b.y = r.get_vector<double>();
      for (std::size_t k = 0; k < st.inputs.size(); ++k) b.drawn.push_back(r.get_vector<double>());
      const auto trials = static_cast<std::size_t>(*st.options.trials);
      if (b.y.size() != trials || std::any_of(b.drawn.begin(), b.drawn.end(), [&](const auto& d) { return d.size() != trials; })) {
        throw std::runtime_error("a base run of another trial count");
      }
      const Summary base_summary = summarize(b.y);
      st.out.output_mean = base_summary.mean;
      st.out.output_p95 = base_summary.p95;
      st.added_base = std::move(b);
      return;
    }
    const auto k = static_cast<std::size_t>(unit - 1);
    const CorrelatedInput& in = st.inputs[k];
    InputSensitivity s;
    s.key_path = in.path;
    s.law = input_quantity(st.scenario, in)->describe();
    s.correlated = in_correlation(st.scenario, in);
    s.spider = r.get_vector<SpiderPoint>();
    if (s.spider.size() != spider_levels.size()) throw std::runtime_error("a spider of another length");
    s.mean_swing = r.get<Estimate>();
    s.p95_swing = r.get<Estimate>();
    s.first_order = detail::first_order_share(st.added_base->drawn[k], st.added_base->y);
    s.rank_correlation = detail::rank_correlation(st.added_base->drawn[k], st.added_base->y);
    st.out.first_order_sum += s.first_order.value;
    st.out.inputs.push_back(std::move(s));
  });
}

Sensitivity SensitivityUnits::result() {
  check_complete();
  Sensitivity out = state_->out;
  std::stable_sort(out.inputs.begin(), out.inputs.end(), [](const InputSensitivity& a, const InputSensitivity& b) {
    return a.first_order.value > b.first_order.value;
  });
  return out;
}

Sensitivity sensitivity_analysis(const Scenario& scenario, const std::string& output, RunOptions options) {
  SensitivityUnits units(scenario, output, std::move(options));
  compute_all(units);
  return units.result();
}

}  // namespace tokencast
