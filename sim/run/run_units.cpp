// `run` and `breakeven` as work units (include/tokencast/work_units.hpp): blocks of trials drawn
// anywhere, assembled in trial order, then sized and summarised as one process does.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "../common/byte_stream.hpp"
#include "../engine/simulation.hpp"
#include "summarize_run.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/work_units.hpp"

namespace tokencast {

using detail::ByteReader;
using detail::ByteWriter;

UnitRange shard_range(const WorkUnits& units, int index, int shards) {
  if (shards < 1 || index < 1 || index > shards) throw std::invalid_argument("shard_range: index outside 1..shards");
  const std::int64_t n = units.count();
  std::vector<double> cumulative(static_cast<std::size_t>(n) + 1, 0.0);
  for (std::int64_t u = 0; u < n; ++u) {
    cumulative[static_cast<std::size_t>(u) + 1] = cumulative[static_cast<std::size_t>(u)] + units.cost(u);
  }
  const double total = cumulative.back();
  // Unit u belongs to the shard whose share of the total holds the unit's midpoint.
  const auto boundary = [&](int k) -> std::int64_t {
    if (k >= shards) return n;
    const double at = total * static_cast<double>(k) / static_cast<double>(shards);
    std::int64_t u = 0;
    while (u < n && (cumulative[static_cast<std::size_t>(u)] + cumulative[static_cast<std::size_t>(u) + 1]) / 2 < at) ++u;
    return u;
  };
  return {boundary(index - 1), boundary(index)};
}

void WorkUnits::add(std::int64_t unit, std::string_view bytes) {
  if (unit != added_ || unit >= count()) throw std::invalid_argument(fmt::format("unit {} added out of order", unit));
  try {
    add_unit(unit, bytes);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(fmt::format("unit {}: {}", unit, e.what()));
  }
  ++added_;
}

void WorkUnits::check_complete() const {
  if (added_ != count()) throw std::logic_error("a work unit's result asked for before every unit was added");
}

void compute_all(WorkUnits& units, std::atomic<std::int64_t>* done) {
  for (std::int64_t u = 0; u < units.count(); ++u) {
    units.add(u, units.compute(u));
    if (done) done->fetch_add(1, std::memory_order_relaxed);
  }
}

namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void put_histogram(ByteWriter& w, const Histogram& h) {
  w.put(h.lo);
  w.put(h.hi);
  w.put_vector(h.counts);
}
Histogram get_histogram(ByteReader& r) {
  Histogram h;
  h.lo = r.get<double>();
  h.hi = r.get<double>();
  h.counts = r.get_vector<double>();
  return h;
}
void put_mode_cost(ByteWriter& w, const ModeCost& m) {
  w.put(m.mode);
  w.put(m.total_usd);
  w.put_vector(m.monthly_usd);
  put_histogram(w, m.histogram);
}
ModeCost get_mode_cost(ByteReader& r) {
  ModeCost m;
  m.mode = r.get<Mode>();
  if (static_cast<int>(m.mode) < 0 || m.mode > Mode::cheapest_plan) throw std::runtime_error("a mode out of range");
  m.total_usd = r.get<Summary>();
  m.monthly_usd = r.get_vector<Summary>();
  m.histogram = get_histogram(r);
  return m;
}

void put_curves(ByteWriter& w, const std::vector<VolumeCurve>& curves) {
  w.put<std::uint64_t>(curves.size());
  for (const VolumeCurve& c : curves) {
    w.put_string(c.model);
    w.put<std::uint64_t>(c.points.size());
    for (const VolumePoint& p : c.points) {
      w.put(p.multiplier);
      w.put(p.requests_per_month);
      w.put<std::uint64_t>(p.costs.size());
      for (const ModeCost& m : p.costs) put_mode_cost(w, m);
      w.put<std::uint64_t>(p.probability_cheaper.size());
      for (const auto& [name, value] : p.probability_cheaper) {
        w.put_string(name);
        w.put(value);
      }
      w.put<std::uint64_t>(p.replicas.size());
      for (const auto& [name, value] : p.replicas) {
        w.put_string(name);
        w.put(value);
      }
    }
    w.put<std::uint64_t>(c.breakeven.size());
    for (const VolumeBreakeven& b : c.breakeven) {
      w.put_string(b.option);
      w.put(b.kind);
      for (const auto* v : {&b.requests_per_month_50, &b.requests_per_month_10, &b.requests_per_month_90,
                            &b.multiplier_50, &b.multiplier_10, &b.multiplier_90}) {
        w.put_optional(*v);
      }
    }
  }
}

std::vector<VolumeCurve> read_curves(ByteReader& r) {
  const auto count = r.get<std::uint64_t>();
  std::vector<VolumeCurve> curves;
  for (std::uint64_t i = 0; i < count; ++i) {
    VolumeCurve& c = curves.emplace_back();
    c.model = r.get_string();
    const auto points = r.get<std::uint64_t>();
    for (std::uint64_t k = 0; k < points; ++k) {
      VolumePoint& p = c.points.emplace_back();
      p.multiplier = r.get<double>();
      p.requests_per_month = r.get<double>();
      const auto costs = r.get<std::uint64_t>();
      for (std::uint64_t m = 0; m < costs; ++m) p.costs.push_back(get_mode_cost(r));
      const auto probabilities = r.get<std::uint64_t>();
      for (std::uint64_t m = 0; m < probabilities; ++m) {
        std::string name = r.get_string();
        p.probability_cheaper[name] = r.get<double>();
      }
      const auto replicas = r.get<std::uint64_t>();
      for (std::uint64_t m = 0; m < replicas; ++m) {
        std::string name = r.get_string();
        p.replicas[name] = r.get<int>();
      }
    }
    const auto crossings = r.get<std::uint64_t>();
    for (std::uint64_t k = 0; k < crossings; ++k) {
      VolumeBreakeven& b = c.breakeven.emplace_back();
      b.option = r.get_string();
      b.kind = r.get<CapacityKind>();
      if (b.kind != CapacityKind::dedicated && b.kind != CapacityKind::gpu_cluster) throw std::runtime_error("a kind out of range");
      for (auto* v : {&b.requests_per_month_50, &b.requests_per_month_10, &b.requests_per_month_90, &b.multiplier_50,
                      &b.multiplier_10, &b.multiplier_90}) {
        *v = r.get_optional();
      }
    }
  }
  return curves;
}

}  // namespace

struct RunUnits::State {
  Scenario scenario;
  RunOptions options;
  std::int64_t trials = 0, per_unit = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  // The assembly, from the first unit added.
  std::optional<detail::RunPlan> plan;
  detail::DeferredHours deferred;
};

RunUnits::RunUnits(Scenario scenario, RunOptions options) : state_(std::make_unique<State>()) {
  if (options.precision > 0) throw UsageError("--precision decides the trial count from every trial drawn; it cannot be split into units");
  state_->trials = options.trials.value_or(scenario.trials);
  state_->scenario = std::move(scenario);
  state_->options = std::move(options);
  // About 256 units whatever the run's size, of at least 256 trials each.
  state_->per_unit = std::max<std::int64_t>(256, (state_->trials + 255) / 256);
  detail::check_limits(state_->scenario, state_->options);
}
RunUnits::RunUnits(RunUnits&&) noexcept = default;
RunUnits::~RunUnits() = default;

std::int64_t RunUnits::count() const { return (state_->trials + state_->per_unit - 1) / state_->per_unit; }
double RunUnits::cost(std::int64_t unit) const {
  return static_cast<double>(std::min(state_->trials, (unit + 1) * state_->per_unit) - unit * state_->per_unit);
}

std::string RunUnits::compute(std::int64_t unit) {
  const std::int64_t first = unit * state_->per_unit, end = std::min(state_->trials, first + state_->per_unit);
  return detail::in_arena(state_->options, [&] {
    const detail::TrialBlock block = detail::draw_trial_block(state_->scenario, state_->options, first, end);
    ByteWriter w;
    w.put(block.first);
    w.put(block.end);
    w.put_vector(block.values);
    w.put_vector(block.slots);
    return std::move(w.bytes());
  });
}

void RunUnits::add_unit(std::int64_t unit, std::string_view bytes) {
  detail::TrialBlock block;
  detail::read_record(bytes, [&](ByteReader& r) {
    block.first = r.get<std::int64_t>();
    block.end = r.get<std::int64_t>();
    block.values = r.get_vector<double>();
    block.slots = r.get_vector<detail::DeferredCapacity>();
  });
  if (block.first != unit * state_->per_unit || block.end != std::min(state_->trials, block.first + state_->per_unit)) {
    throw std::invalid_argument(fmt::format("unit {} holds trials [{}, {}), not its own", unit, block.first, block.end));
  }
  // The kept hours index months and a fixed array: out of range, they would be read past its end.
  for (const detail::DeferredCapacity& slot : block.slots) {
    bool fits = slot.kept >= 0 && slot.kept <= detail::DeferredCapacity::busiest_kept;
    for (int h = 0; fits && h < slot.kept; ++h) {
      const int month = slot.busiest[static_cast<std::size_t>(h)].month;
      fits = month >= 0 && month < state_->scenario.months;
    }
    if (!fits) throw std::invalid_argument(fmt::format("unit {}: a trial's kept hours are out of range", unit));
  }
  detail::in_arena(state_->options, [&] {
    if (!state_->plan) state_->plan = detail::prepare_assembly(state_->scenario, state_->options, state_->deferred);
    detail::add_block(*state_->plan, state_->deferred, block);
  });
}

RunResult RunUnits::result() {
  check_complete();
  return detail::in_arena(state_->options, [&] {
    detail::finish_first_pass(*state_->plan, state_->options, state_->deferred);
    RunResult result = detail::summarize_run(*state_->plan, state_->options, std::nullopt, {});
    result.elapsed_s = since(state_->start);
    return result;
  });
}

struct BreakevenUnits::State {
  State(Scenario s, RunOptions o, VolumeGridOptions g) : run(s, o), scenario(std::move(s)), options(std::move(o)), grid(g) {}
  RunUnits run;
  Scenario scenario;
  RunOptions options;
  VolumeGridOptions grid;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::vector<VolumeCurve> curves;
  std::string method;
  double grid_s = 0;
  double grid_cost = 1;
};

BreakevenUnits::BreakevenUnits(Scenario scenario, RunOptions options, VolumeGridOptions grid)
    : state_(std::make_unique<State>(scenario, options, grid)) {
  check_breakeven_limits(state_->scenario, state_->options, grid);
  const double trials = static_cast<double>(options.trials.value_or(state_->scenario.trials));
  state_->grid_cost = volume_grid_runs(state_->scenario, grid) * trials;
}
BreakevenUnits::BreakevenUnits(BreakevenUnits&&) noexcept = default;
BreakevenUnits::~BreakevenUnits() = default;

std::int64_t BreakevenUnits::count() const { return 1 + state_->run.count(); }
double BreakevenUnits::cost(std::int64_t unit) const { return unit == 0 ? state_->grid_cost : state_->run.cost(unit - 1); }

std::string BreakevenUnits::compute(std::int64_t unit) {
  if (unit > 0) return state_->run.compute(unit - 1);
  return detail::in_arena(state_->options, [&] {
    const auto start = std::chrono::steady_clock::now();
    VolumeGridStats stats;
    const std::vector<VolumeCurve> curves = volume_curves(state_->scenario, state_->options, state_->grid, &stats);
    ByteWriter w;
    w.put_string(to_string(stats.method));
    w.put(since(start));
    put_curves(w, curves);
    return std::move(w.bytes());
  });
}

void BreakevenUnits::add_unit(std::int64_t unit, std::string_view bytes) {
  if (unit > 0) return state_->run.add(unit - 1, bytes);
  detail::read_record(bytes, [&](ByteReader& r) {
    state_->method = r.get_string();
    state_->grid_s = r.get<double>();
    state_->curves = read_curves(r);
  });
}

RunResult BreakevenUnits::result() {
  check_complete();
  RunResult result = state_->run.result();
  if (!result.breakeven) result.breakeven.emplace();
  result.breakeven->volume = std::move(state_->curves);
  result.breakeven->volume_method = state_->method;
  result.phases.simulate_s += state_->grid_s;
  result.elapsed_s = since(state_->start);
  return result;
}

}  // namespace tokencast
