// `tokencast sweep`: each combination run on the same seed and trials, its expressions evaluated on
// the per-trial values, the best feasible combination and its runners-up with paired margins.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "../breakeven/grid_sampler.hpp"
#include "../common/byte_stream.hpp"
#include "../engine/simulation.hpp"
#include "../engine/work_estimate.hpp"
#include "../statistics/sectioning.hpp"
#include "mode_columns.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/sweep.hpp"
#include "tokencast/trial_store.hpp"

namespace tokencast {
namespace {

double quantile_level(SweepStatistic s) {
  switch (s) {
    case SweepStatistic::p5: return 0.05;
    case SweepStatistic::p10: return 0.10;
    case SweepStatistic::p25: return 0.25;
    case SweepStatistic::p50: return 0.50;
    case SweepStatistic::p75: return 0.75;
    case SweepStatistic::p90: return 0.90;
    case SweepStatistic::p95: return 0.95;
    case SweepStatistic::p99: return 0.99;
    default: return -1;
  }
}

bool holds(double value, Comparison c, double bound) {
  switch (c) {
    case Comparison::less: return value < bound;
    case Comparison::less_equal: return value <= bound;
    case Comparison::greater: return value > bound;
    case Comparison::greater_equal: return value >= bound;
  }
  return false;
}

// A figure as written, its aliases resolved: "total" is total.cheapest_plan, "models[" is
// "model[", ".cost" is ".cost_usd", and model[ID].dedicated (or .gpu_cluster, with or without
// .cost) is that model's first option of the kind. The "_usd" may still be missing.
std::string aliased_figure(const Scenario& scenario, const std::string& written) {
  std::string name = written;
  if (name == "total") name = "total.cheapest_plan";
  if (name.starts_with("models[")) name.erase(5, 1);
  if (name.ends_with(".cost")) name += "_usd";
  for (const auto& [kind, word] : {std::pair{CapacityKind::dedicated, std::string(".dedicated")},
                                   std::pair{CapacityKind::gpu_cluster, std::string(".gpu_cluster")}}) {
    for (const std::string& suffix : {word, word + ".cost_usd"}) {
      if (!name.starts_with("model[") || !name.ends_with(suffix) || name.size() < suffix.size() + 7) continue;
      const std::string id = name.substr(6, name.size() - suffix.size() - 7);
      for (const CapacitySpec& c : scenario.capacity) {
        if (c.model == id && c.kind == kind) return "capacity[" + c.name + "].cost_usd";
      }
    }
  }
  return name;
}

// One combination's run: its outputs and store, and the rules to name a figure.
class PointRun {
 public:
  PointRun(const Scenario& scenario, const RunOptions& options) : scenario_(scenario), store_(scenario, options) {
    store_.grow(*options.trials);
    result_ = store_.summarize();
    outputs_ = detail::output_columns(scenario_, store_, result_);
  }
  const RunResult& result() const { return result_; }

  // The per-trial values a term reads: the figure, or for P(...) the indicator of each trial.
  // Throws UsageError naming the term's figure when there is none of that name.
  std::vector<double> values(const SweepTerm& term) const {
    if (term.figure == "slo" || term.figure.starts_with("slo[")) return slo_met(term);
    std::vector<double> v = figure(term.figure, term.text);
    if (term.statistic == SweepStatistic::probability) {
      for (double& x : v) x = holds(x, term.comparison, term.threshold) ? 1.0 : 0.0;
    }
    return v;
  }

 private:
  std::vector<double> figure(const std::string& written, const std::string& text) const {
    const std::string name = aliased_figure(scenario_, written);
    for (const std::string& key : {name, name + "_usd"}) {
      if (const auto found = outputs_.find(key); found != outputs_.end()) return detail::column_sum(store_, found->second);
      if (store_.layout().find(key)) return detail::column_sum(store_, {key});
    }
    std::vector<std::string> names;
    for (const auto& [key, columns] : outputs_) names.push_back(key);
    throw UsageError(fmt::format("'{}': the scenario has no output '{}' (expected one of {}, or a trial-store column "
                                 "such as capacity[NAME].utilization)",
                                 text, written, fmt::join(names, ", ")));
  }

  // 1 where every option with a latency objective (or the one named) has its trial's busiest-hour
  // need within the replicas it reserves.
  std::vector<double> slo_met(const SweepTerm& term) const {
    const std::string only = term.figure == "slo" ? std::string() : term.figure.substr(4, term.figure.size() - 5);
    std::vector<double> met(static_cast<std::size_t>(store_.trials()), 1.0);
    bool any = false;
    for (const CapacitySpec& spec : scenario_.capacity) {
      if (!only.empty() ? spec.name != only : !spec.has_slo()) continue;
      any = true;
      const CapacityResult* option = capacity_result(spec.name);
      if (option != nullptr && option->slo && option->slo->method == "simulation") {
        throw UsageError(fmt::format(
            "'{}': {}'s latency objective is sized by simulating its bursty arrivals, once, at the sizing peak; "
            "P(slo) reads each trial's busiest-hour need by the closed form, which does not hold there (use "
            "capacity --simulate)",
            term.text, spec.name));
      }
      // An objective no pool meets (below the prefill's own p95) is met in no trial.
      if (option != nullptr && option->slo && !option->slo->reachable) {
        std::fill(met.begin(), met.end(), 0.0);
        continue;
      }
      const double reserved = spec.autoscale ? spec.autoscale->max_replicas
                              : option != nullptr ? option->plan.replicas
                                                  : 0.0;
      const auto need = store_.column("capacity[" + spec.name + "].peak_replicas_needed");
      for (std::size_t t = 0; t < met.size(); ++t) {
        if (!(need[t] <= reserved)) met[t] = 0;
      }
    }
    if (!any) {
      throw UsageError(fmt::format("'{}': {}", term.text,
                                   only.empty() ? "no capacity option of the scenario has an slo"
                                                : fmt::format("the scenario has no capacity option '{}'", only)));
    }
    return met;
  }

  const CapacityResult* capacity_result(const std::string& name) const {
    for (const ModelResult& m : result_.models) {
      for (const auto* c : {m.dedicated ? &*m.dedicated : nullptr, m.gpu_cluster ? &*m.gpu_cluster : nullptr}) {
        if (c != nullptr && c->name == name) return c;
      }
    }
    return nullptr;
  }

  const Scenario& scenario_;
  TrialStore store_;
  RunResult result_;
  std::map<std::string, std::vector<std::string>> outputs_;
};

// A term replay cannot re-cost (a column that depends on the reservation other than its cost).
struct NotReplayable {
  std::string figure;
};

// One combination re-costed from a replay: the figures replay gives, by canonical name.
class ReplayPoint {
 public:
  ReplayPoint(const Scenario& scenario, const detail::RunPlan& plan, const detail::GridTotals& g) : scenario_(scenario), plan_(plan) {
    std::vector<double> serverless_total(static_cast<std::size_t>(plan.trials), 0.0), cheapest_total = serverless_total;
    for (std::size_t m = 0; m < plan.models.size(); ++m) {
      const std::string id = plan.models[m].spec->id;
      std::vector<const std::vector<double>*> modes{&g.serverless_usd[m]};
      figures_["model[" + id + "].serverless_usd"] = g.serverless_usd[m];
      if (!g.batch_usd[m].empty()) {
        figures_["model[" + id + "].batch_usd"] = g.batch_usd[m];
        modes.push_back(&g.batch_usd[m]);
      }
      // Its options in the order a run lists them: dedicated, then gpu_cluster.
      for (const CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
        for (std::size_t c = 0; c < plan.capacity.size(); ++c) {
          if (plan.capacity[c].model != static_cast<int>(m) || plan.capacity[c].spec->kind != kind) continue;
          figures_["capacity[" + plan.capacity[c].spec->name + "].cost_usd"] = g.option_usd[c];
          modes.push_back(&g.option_usd[c]);
        }
      }
      // The cheapest: least mean, the first of equals (as a run picks it).
      const std::vector<double>* cheapest = modes.front();
      double best = mean_of(*cheapest);
      for (const auto* mode : modes) {
        const double mean = mean_of(*mode);
        if (mean < best) {
          best = mean;
          cheapest = mode;
        }
      }
      figures_["model[" + id + "].cheapest_usd"] = *cheapest;
      for (std::size_t t = 0; t < serverless_total.size(); ++t) {
        serverless_total[t] += g.serverless_usd[m][t];
        cheapest_total[t] += (*cheapest)[t];
      }
    }
    figures_["total.serverless_usd"] = std::move(serverless_total);
    figures_["total.cheapest_plan_usd"] = std::move(cheapest_total);
    for (const auto& w : plan.workloads) {
      const std::string prefix = "workload[" + w.spec->name + "].";
      figures_[prefix + "requests"] = column(w.requests_col);
      figures_[prefix + "serverless_usd"] = column(w.serverless.total);
      if (w.batch) figures_[prefix + "batch_usd"] = column(w.batch_cost.total);
    }
    for (std::size_t c = 0; c < plan.capacity.size(); ++c) {
      figures_["capacity[" + plan.capacity[c].spec->name + "].peak_replicas_needed"] = column(plan.capacity[c].peak_needed_col);
    }
  }

  std::vector<double> values(const SweepTerm& term) const {
    // Whether a trial's objective is reachable at all comes from the sizing a run does.
    if (term.figure == "slo" || term.figure.starts_with("slo[")) throw NotReplayable{"P(" + term.figure + ")"};
    const std::string name = aliased_figure(scenario_, term.figure);
    for (const std::string& key : {name, name + "_usd"}) {
      if (const auto found = figures_.find(key); found != figures_.end()) {
        std::vector<double> v = found->second;
        if (term.statistic == SweepStatistic::probability) {
          for (double& x : v) x = holds(x, term.comparison, term.threshold) ? 1.0 : 0.0;
        }
        return v;
      }
    }
    throw NotReplayable{term.figure};
  }
  const std::vector<double>& total() const { return figures_.at("total.cheapest_plan_usd"); }

 private:
  std::vector<double> column(int c) const {
    const auto values = plan_.columns.column(c);
    return {values.begin(), values.end()};
  }
  const Scenario& scenario_;
  const detail::RunPlan& plan_;
  std::map<std::string, std::vector<double>> figures_;
};

// The capacity option each path's replica count belongs to: every path must be
// dedicated[I].replicas or gpu_cluster[I].replicas; none otherwise.
std::optional<std::vector<std::size_t>> replica_options(const Scenario& scenario, const std::vector<std::string>& paths) {
  std::vector<std::size_t> out;
  for (const std::string& path : paths) {
    std::optional<std::size_t> found;
    for (const CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
      int within = 0;
      for (std::size_t c = 0; c < scenario.capacity.size(); ++c) {
        if (scenario.capacity[c].kind != kind) continue;
        if (path == fmt::format("{}[{}].replicas", to_string(kind), within++)) found = c;
      }
    }
    if (!found) return std::nullopt;
    out.push_back(*found);
  }
  return out;
}

double statistic_of(const SweepTerm& term, std::span<const double> values) {
  if (term.statistic == SweepStatistic::probability || term.statistic == SweepStatistic::mean) return mean_of(values);
  if (term.statistic == SweepStatistic::sd) return summarize(values).sd;
  return detail::quantile_of(values, quantile_level(term.statistic));
}

// The runner-up's objective less the best's, signed so that positive favours the best, with a
// 95% interval over the paired trials: the mean's (and a share's) by its standard error, the
// others by sectioning.
Estimate margin_of(const SweepObjective& o, const std::vector<double>& best, const std::vector<double>& other) {
  const double sign = o.maximize ? -1.0 : 1.0;
  const double value = sign * (statistic_of(o.term, other) - statistic_of(o.term, best));
  if (o.term.statistic == SweepStatistic::mean || o.term.statistic == SweepStatistic::probability) {
    std::vector<double> d(best.size());
    for (std::size_t t = 0; t < d.size(); ++t) d[t] = sign * (other[t] - best[t]);
    const Summary s = summarize(d);
    const detail::SectionedInterval i = detail::normal_interval(value, s.mean_se, d.size());
    return {value, i.lo, i.hi};
  }
  const std::span<const double> b(best), x(other);
  const detail::SectionedInterval i = detail::sectioned_interval(value, best.size(), [&](std::size_t from, std::size_t to) {
    return sign * (statistic_of(o.term, x.subspan(from, to - from)) - statistic_of(o.term, b.subspan(from, to - from)));
  });
  return {value, i.lo, i.hi};
}

}  // namespace

void check_sweep_terms(const Scenario& scenario, const SweepSpec& spec) {
  RunOptions one_trial;
  one_trial.trials = 1;
  const PointRun run(scenario, one_trial);
  try {
    static_cast<void>(run.values(spec.objective.term));
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("--objective {}", e.what()));
  }
  for (const SweepConstraint& c : spec.constraints) {
    try {
      static_cast<void>(run.values(c.term));
    } catch (const UsageError& e) {
      throw UsageError(fmt::format("--constraint {}", e.what()));
    }
  }
}

namespace {

// A point's figures as a unit carries them: its objective's per-trial values only where it is
// feasible (the best and the runners-up are picked among those).
struct PointRecord {
  SweepPoint point;
  std::vector<double> objective_values;
  double seconds = 0;
};

void put_point(detail::ByteWriter& w, const PointRecord& p) {
  w.put(p.point.objective);
  w.put_vector(p.point.constraint_values);
  w.put<std::uint8_t>(p.point.feasible ? 1 : 0);
  w.put(p.point.total_mean_usd);
  w.put(p.point.total_p95_usd);
  w.put_vector(p.objective_values);
  w.put(p.seconds);
}

PointRecord get_point(detail::ByteReader& r) {
  PointRecord p;
  p.point.objective = r.get<double>();
  p.point.constraint_values = r.get_vector<double>();
  p.point.feasible = r.get<std::uint8_t>() != 0;
  p.point.total_mean_usd = r.get<double>();
  p.point.total_p95_usd = r.get<double>();
  p.objective_values = r.get_vector<double>();
  p.seconds = r.get<double>();
  return p;
}

// The kept per-trial objective values: the best few feasible points' (for their margins).
struct Leader {
  std::size_t point;
  double objective;
  std::vector<double> values;
};

}  // namespace

struct SweepUnits::State {
  SweepSpec spec;
  RunOptions options;
  std::optional<Scenario> first;
  std::optional<std::vector<std::size_t>> varied;  // replay: the option of each varied path
  bool replay = false;
  SweepResult out;
  std::vector<Leader> leaders;
  std::vector<double> costs;  // by combination: estimated CPU seconds of a trial
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  bool better(double a, double b) const { return spec.objective.maximize ? a > b : a < b; }

  PointRecord evaluate(const std::function<std::vector<double>(const SweepTerm&)>& values, double total_mean,
                       double total_p95) const {
    PointRecord r;
    r.point.total_mean_usd = total_mean;
    r.point.total_p95_usd = total_p95;
    std::vector<double> objective = values(spec.objective.term);
    r.point.objective = statistic_of(spec.objective.term, objective);
    for (const SweepConstraint& c : spec.constraints) {
      const double v = statistic_of(c.term, values(c.term));
      r.point.constraint_values.push_back(v);
      r.point.feasible = r.point.feasible && holds(v, c.comparison, c.bound);
    }
    if (r.point.feasible) r.objective_values = std::move(objective);
    return r;
  }

  void add_point(PointRecord record) {
    const std::size_t i = out.points.size();
    if (i >= spec.values.size() || record.point.constraint_values.size() != spec.constraints.size() ||
        (record.point.feasible ? record.objective_values.size() != static_cast<std::size_t>(out.trials)
                               : !record.objective_values.empty())) {
      throw std::runtime_error("a point of another sweep");
    }
    record.point.values = spec.values[i];
    if (record.point.feasible) {
      leaders.push_back({i, record.point.objective, std::move(record.objective_values)});
      // Ties keep the earlier combination first.
      std::stable_sort(leaders.begin(), leaders.end(),
                       [&](const Leader& a, const Leader& b) { return better(a.objective, b.objective); });
      constexpr std::size_t kept = 4;
      if (leaders.size() > kept) leaders.pop_back();
    }
    out.points.push_back(std::move(record.point));
  }
};

SweepUnits::SweepUnits(SweepSpec spec, RunOptions options) : state_(std::make_unique<State>()) {
  State& st = *state_;
  st.spec = std::move(spec);
  options.precision = 0;
  st.out.paths = st.spec.paths;
  st.out.objective = st.spec.objective;
  st.out.constraints = st.spec.constraints;
  if (st.spec.values.empty()) throw UsageError("a sweep needs at least one combination");
  // Every combination read up front: a value the scenario cannot take is refused before any run.
  // Each one's cost is estimated from its layout (shards take ranges of about equal cost).
  const auto trial_cost = [&](const Scenario& s) {
    const detail::RunPlan layout = detail::make_run_plan(s, 1, 0, options.exact);
    return detail::trial_cpu_s(layout, layout.months);
  };
  st.first = st.spec.scenario_at(0);
  st.costs.push_back(trial_cost(*st.first));
  for (std::size_t i = 1; i < st.spec.values.size(); ++i) {
    poll_cancel(options.cancel);
    st.costs.push_back(trial_cost(st.spec.scenario_at(i)));
  }
  options.trials = options.trials.value_or(st.first->trials);
  options.seed = options.seed.value_or(st.first->seed);
  st.options = options;
  st.out.trials = *options.trials;
  st.out.seed = *options.seed;

  // Replay: one draw, each combination's replica counts re-costed from the kept hours. Decided
  // here without the draw (a one-trial replay names the figures it re-costs).
  if (st.spec.draws != SweepDraws::resimulate) {
    st.varied = replica_options(*st.first, st.spec.paths);
    // Every value a fixed count ("auto" is sized from the trials, as a run sizes it).
    const auto counts = [&] {
      for (const auto& values : st.spec.values) {
        for (const std::string& v : values) {
          if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return false;
        }
      }
      return true;
    };
    std::string why;
    if (!st.varied) why = "it varies more than the replicas of dedicated or gpu_cluster options";
    else if (!counts()) why = "a value is not a whole number of replicas";
    else if (!detail::replayable(*st.first)) why = "an option autoscales (each step's replicas depend on every hour's work)";
    // The kept hours would not fit: each combination is simulated instead (a run's own limits apply).
    else if (!detail::replay_fits(*st.first, options)) why = "the trials' kept hours would not fit in memory";
    if (why.empty()) {
      RunOptions one_trial = options;
      one_trial.trials = 1;
      const auto probe_replay = detail::in_arena(options, [&] { return detail::make_replica_replay(*st.first, one_trial); });
      // Every term must be a figure replay re-costs.
      const ReplayPoint probe(*st.first, probe_replay->plan(), probe_replay->with_replicas({}));
      try {
        static_cast<void>(probe.values(st.spec.objective.term));
        for (const SweepConstraint& c : st.spec.constraints) static_cast<void>(probe.values(c.term));
      } catch (const NotReplayable& e) {
        why = fmt::format("replay re-costs totals, models, capacity costs and workloads, not '{}'", e.figure);
      }
    }
    if (!why.empty() && st.spec.draws == SweepDraws::replay) throw UsageError(fmt::format("--draws replay: {}", why));
    st.replay = why.empty();
  }
  st.out.draws = st.replay ? SweepDraws::replay : SweepDraws::resimulate;
}
SweepUnits::SweepUnits(SweepUnits&&) noexcept = default;
SweepUnits::~SweepUnits() = default;

std::int64_t SweepUnits::count() const {
  return state_->replay ? 1 : static_cast<std::int64_t>(state_->spec.values.size());
}
double SweepUnits::cost(std::int64_t unit) const {
  return state_->replay ? 1.0 : state_->costs[static_cast<std::size_t>(unit)];
}

std::string SweepUnits::compute(std::int64_t unit) {
  State& st = *state_;
  return detail::in_arena(st.options, [&] {
    detail::ByteWriter w;
    if (!st.replay) {
      const auto start = std::chrono::steady_clock::now();
      const auto i = static_cast<std::size_t>(unit);
      const Scenario scenario = i == 0 ? *st.first : st.spec.scenario_at(i);
      const PointRun run(scenario, st.options);
      double mean = 0, p95 = 0;
      if (const ModeCost* total = run.result().total_cost(Mode::cheapest_plan)) {
        mean = total->total_usd.mean;
        p95 = total->total_usd.p95;
      }
      PointRecord r = st.evaluate([&](const SweepTerm& t) { return run.values(t); }, mean, p95);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      put_point(w, r);
      return std::move(w.bytes());
    }
    // Replay: every point in one unit, from one draw.
    const auto draw_start = std::chrono::steady_clock::now();
    const auto replay = detail::make_replica_replay(*st.first, st.options);
    w.put(std::chrono::duration<double>(std::chrono::steady_clock::now() - draw_start).count());
    double bound = 0;
    std::vector<PointRecord> records;
    for (std::size_t i = 0; i < st.spec.values.size(); ++i) {
      poll_cancel(st.options.cancel);
      const Scenario scenario = i == 0 ? *st.first : st.spec.scenario_at(i);
      std::vector<std::optional<int>> replicas(scenario.capacity.size());
      for (const std::size_t c : *st.varied) replicas[c] = scenario.capacity[c].replicas;
      const detail::GridTotals totals = replay->with_replicas(replicas);
      for (const double b : totals.option_error_bound_usd) bound = std::max(bound, b);
      const ReplayPoint replayed(scenario, replay->plan(), totals);
      const Summary total = summarize(replayed.total());
      records.push_back(st.evaluate([&](const SweepTerm& t) { return replayed.values(t); }, total.mean, total.p95));
    }
    w.put(bound);
    w.put<std::uint64_t>(records.size());
    for (const PointRecord& r : records) put_point(w, r);
    return std::move(w.bytes());
  });
}

void SweepUnits::add_unit(std::int64_t unit, std::string_view bytes) {
  State& st = *state_;
  detail::read_record(bytes, [&](detail::ByteReader& r) {
    if (!st.replay) {
      PointRecord p = get_point(r);
      if (unit == 0) st.out.one_draw_s = p.seconds;
      st.add_point(std::move(p));
      return;
    }
    st.out.one_draw_s = r.get<double>();
    st.out.replay_error_bound_usd = r.get<double>();
    const auto n = r.get<std::uint64_t>();
    if (n != st.spec.values.size()) throw std::runtime_error("a replay unit of another sweep");
    for (std::uint64_t i = 0; i < n; ++i) st.add_point(get_point(r));
  });
}

SweepResult SweepUnits::result() {
  check_complete();
  State& st = *state_;
  SweepResult out = st.out;
  if (!st.leaders.empty()) {
    out.best = st.leaders.front().point;
    for (std::size_t k = 1; k < st.leaders.size(); ++k) {
      out.runners_up.push_back(st.leaders[k].point);
      out.margins.push_back(margin_of(st.spec.objective, st.leaders.front().values, st.leaders[k].values));
    }
  }
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.start).count();
  return out;
}

SweepResult run_sweep(const SweepSpec& spec, RunOptions options) {
  // Within the options' thread count, the replay's passes over the trials included.
  return detail::in_arena(options, [&] {
    SweepUnits units(spec, options);
    compute_all(units);
    return units.result();
  });
}

}  // namespace tokencast
