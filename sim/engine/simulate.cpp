#include <algorithm>
#include <atomic>
#include <memory>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "for_each_trial.hpp"
#include "reservation_sizing.hpp"
#include "slo_simulation.hpp"
#include "simulation.hpp"
#include "stopwatch.hpp"
#include "tokencast/errors.hpp"
#include "trial_simulator.hpp"
#include "work_estimate.hpp"

namespace tokencast::detail {
namespace {

constexpr double max_exact_requests = 2e10;

// Fixes each capacity option's reservation: a fixed count, or the fewest replicas whose capacity
// covers the peak hour in capacity_quantile of the trials (one choice for the whole run, read from
// the trials' peak columns once they are all drawn: `auto_sized`).
void size_capacity(RunPlan& plan, bool auto_sized) {
  for (auto& option : plan.capacity) {
    if (option.auto_sized() != auto_sized) continue;
    // Under bursty arrivals the trials' needs are the utilization rule's; the objective is sized
    // once, by simulation, at the sizing peak.
    const bool simulated = auto_sized && option.slo_by_simulation;
    const auto peaks = plan.columns.column(option.peak_needed_col);
    std::vector<double> needs(auto_sized ? peaks.begin() : peaks.end(), peaks.end());
    ReservationSizing sizing = size_reservation(*option.spec, needs);
    if (simulated) {
      option.simulated_slo = simulate_slo_sizing(plan, option);
      const SimulatedSizing& slo = option.simulated_slo->sizing;
      if (slo.met && slo.replicas > sizing.plan.replicas) {
        sizing.replicas_needed = std::max(sizing.replicas_needed, static_cast<double>(slo.replicas));
        sizing.plan = plan_capacity(*option.spec, slo.replicas);
      }
    }
    option.sizing_replicas_needed = sizing.replicas_needed;
    option.sizing_feasible = sizing.feasible;
    option.plan = sizing.plan;
    option.fixed_plan = option.plan;
  }
}

// The objective of fixed options under bursty arrivals, sized by simulation for the report once
// the trials are drawn (auto-sized ones are sized with their reservation).
void size_fixed_slo_by_simulation(RunPlan& plan) {
  for (auto& option : plan.capacity) {
    if (!option.auto_sized() && option.slo_by_simulation) option.simulated_slo = simulate_slo_sizing(plan, option);
  }
}

bool any_auto_sized(const RunPlan& plan) {
  return std::any_of(plan.capacity.begin(), plan.capacity.end(), [](const CapacityOptionPlan& o) { return o.auto_sized(); });
}

// The first pass over trials [first, end): each trial drawn once, an auto-sized option's hours kept
// in its slots (the reservation is not known yet), trial t's at slots + (t - slots_first) x options.
// Only this pass counts towards options.trials_done (a progress meter's trials).
void draw_first_pass(RunPlan& plan, const RunOptions& options, std::int64_t first, std::int64_t end,
                     DeferredCapacity* slots, std::int64_t slots_first) {
  const bool keep_hours = any_auto_sized(plan);
  const std::size_t n = plan.capacity.size();
  for_each_trial(
      plan, options, first, end,
      [&](TrialSimulator& simulator, std::int64_t t) {
        const std::span<DeferredCapacity> kept =
            keep_hours ? std::span<DeferredCapacity>(slots + static_cast<std::size_t>(t - slots_first) * n, n)
                       : std::span<DeferredCapacity>();
        simulator.run_trial(t, plan.columns, kept);
      },
      options.trials_done);
}

}  // namespace

// After the first pass over every trial: auto-sized options sized over all of them, then costed
// from each trial's kept hours; a trial whose unkept hours would overflow is drawn again, whole,
// with the reservation known. The objective of fixed options under bursty arrivals is sized too.
void finish_first_pass(RunPlan& plan, const RunOptions& options, DeferredHours& deferred) {
  Stopwatch clock;
  if (!any_auto_sized(plan)) {
    size_fixed_slo_by_simulation(plan);
    plan.phases.size_s += clock.lap();
    return;
  }
  const std::size_t n = plan.capacity.size();
  size_capacity(plan, true);
  size_fixed_slo_by_simulation(plan);
  plan.phases.size_s += clock.lap();
  std::atomic<std::int64_t> redrawn{0};
  for_each_trial(plan, options, [&](TrialSimulator& simulator, std::int64_t t) {
    const auto kept = deferred.of(t, n);
    for (std::size_t c = 0; c < n; ++c) {
      const auto& option = plan.capacity[c];
      if (!option.auto_sized()) continue;
      if (!option.costed_after_sizing()) {
        plan.columns.at(option.autoscale_saved_col, t) = autoscale_saving_usd(
            option, kept[c].params(), plan.months, plan.hours_per_month, plan.columns.at(option.reservation_usd_col, t));
      } else if (!cost_deferred(kept[c], option, plan.months, plan.hours_per_month, t, plan.columns)) {
        for (int column = 0; column < plan.columns.size(); ++column) plan.columns.at(column, t) = 0.0;
        simulator.run_trial(t, plan.columns);
        redrawn.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
  });
  plan.redrawn_trials = redrawn.load();
  plan.phases.simulate_s += clock.lap();
}

namespace {

// Room for the kept hours of trials [0, plan.trials), those of the first `kept` trials kept.
void grow_deferred(const RunPlan& plan, DeferredHours& deferred, std::int64_t kept) {
  if (!any_auto_sized(plan) || deferred.trials >= plan.trials) return;
  const std::size_t n = plan.capacity.size();
  // Default-initialised (the type is trivial): untouched until each trial fills its slots.
  std::unique_ptr<DeferredCapacity[]> grown(new DeferredCapacity[static_cast<std::size_t>(plan.trials) * n]);
  if (deferred.slots) std::copy_n(deferred.slots.get(), static_cast<std::size_t>(kept) * n, grown.get());
  deferred.slots = std::move(grown);
  deferred.trials = plan.trials;
}

// Draws trials [first_trial, plan.trials) once and finishes the run over every trial. The trials
// before first_trial keep their draws: only their auto-sized costs are recomputed (the reservation
// may have moved), so a run grown in steps equals one drawn at its final size.
void run_trials(RunPlan& plan, const RunOptions& options, DeferredHours& deferred, std::int64_t first_trial) {
  Stopwatch clock;
  size_capacity(plan, false);
  plan.phases.size_s += clock.lap();
  grow_deferred(plan, deferred, first_trial);
  draw_first_pass(plan, options, first_trial, plan.trials, deferred.slots.get(), 0);
  plan.phases.simulate_s += clock.lap();
  finish_first_pass(plan, options, deferred);
}

// The plan of a run, its trial count and memory checked (nothing allocated yet).
RunPlan prepare_run(const Scenario& scenario, const RunOptions& options) {
  const std::int64_t trials = options.trials.value_or(scenario.trials);
  if (trials < 1) throw ResourceLimitError(scenario.file, "the number of trials must be at least 1");
  RunPlan plan = make_run_plan(scenario, trials, options.seed.value_or(scenario.seed), options.exact);
  apply_input_options(plan, options);
  plan.volume_multiplier = options.volume_multiplier;
  plan.monthly_storage_bytes = options.monthly_storage_bytes;
  plan.cancel = options.cancel;
  if (options.exact) {
    // Every request is drawn: refuse runs that would take hours (about 20 ns a request a core).
    const double total =
        mean_requests_per_trial(scenario, options.volume_multiplier) * static_cast<double>(trials);
    if (total > max_exact_requests) {
      throw ResourceLimitError(scenario.file, fmt::format(
          "--exact draws every request: about {:.3g} requests for {} trials, more than the {:.0e} limit; use at most "
          "{} trials, or the default mode (hourly sums, docs/cost-model.md)",
          total, trials, max_exact_requests,
          std::max<std::int64_t>(1, static_cast<std::int64_t>(max_exact_requests / std::max(1.0, total / static_cast<double>(trials))))));
    }
  }
  // Refuse up front what would not fit, rather than be killed half-way.
  const double bytes = estimated_column_bytes(plan);
  if (bytes > max_run_bytes) {
    const double per_trial = bytes / static_cast<double>(trials);
    throw ResourceLimitError(scenario.file, fmt::format(
        "{} trials of this scenario need about {:.1f} GiB of memory for the per-trial results, more than the "
        "{:.0f} GiB limit; use at most {} trials (--trials), or fewer months or workloads",
        trials, bytes / (1 << 30), max_run_bytes / (1 << 30), static_cast<std::int64_t>(max_run_bytes / per_trial)));
  }
  check_cpu_time(scenario, options, trials,
                 trial_cpu_s(plan, monthly_block_months(plan)) * static_cast<double>(trials), "the run's");

  return plan;
}

}  // namespace

void check_limits(const Scenario& scenario, const RunOptions& options) { (void)prepare_run(scenario, options); }

RunPlan simulate(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred) {
  Stopwatch clock;
  RunPlan plan = prepare_run(scenario, options);
  plan.columns.allocate(plan.trials, monthly_block_months(plan));
  plan.phases.plan_s += clock.lap();
  run_trials(plan, options, deferred, 0);
  return plan;
}

RunPlan simulate(const Scenario& scenario, const RunOptions& options) {
  DeferredHours deferred;
  return simulate(scenario, options, deferred);
}

void add_trials(RunPlan& plan, const RunOptions& options, DeferredHours& deferred, std::int64_t trials) {
  if (trials <= plan.trials) return;
  // The monthly columns hold a later block once its months were summarised: draw the first again.
  if (plan.columns.first_stored_month() != 0) {
    simulate_months(plan, options, 0);
    plan.columns.restore_fixed();
  }
  Stopwatch clock;
  const std::int64_t first = plan.trials;
  plan.trials = trials;
  plan.columns.grow(trials, std::min(plan.columns.stored_months(), monthly_block_months(plan)));
  plan.phases.plan_s += clock.lap();
  run_trials(plan, options, deferred, first);
}

// The most trials, up to `wanted`, whose run stays within the memory and CPU limits (prepare_run).
std::int64_t trials_within_limits(const Scenario& scenario, const RunOptions& options, std::int64_t wanted) {
  std::int64_t trials = wanted;
  for (int attempt = 0; attempt < 8 && trials > 1; ++attempt) {
    const RunPlan plan = make_run_plan(scenario, trials, 0, options.exact);
    const double bytes = estimated_column_bytes(plan);
    const double cpu_s =
        trial_cpu_s(plan, monthly_block_months(plan)) * static_cast<double>(trials);
    const double over = std::max(bytes / max_run_bytes, cpu_s / options.max_cpu_s);
    if (over <= 1.0) return trials;
    trials = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(trials) / over * 0.99));
  }
  return trials;
}

TrialBlock draw_trial_block(const Scenario& scenario, const RunOptions& options, std::int64_t first, std::int64_t end) {
  RunPlan plan = prepare_run(scenario, options);
  if (first < 0 || end > plan.trials || first > end) throw std::out_of_range("draw_trial_block: trials outside the run");
  plan.columns.allocate(end - first, monthly_block_months(plan), first);
  size_capacity(plan, false);
  TrialBlock block;
  block.first = first;
  block.end = end;
  if (any_auto_sized(plan)) block.slots.resize(static_cast<std::size_t>(end - first) * plan.capacity.size());
  draw_first_pass(plan, options, first, end, block.slots.data(), first);
  for (int c = 0; c < plan.columns.size(); ++c) {
    if (!plan.columns.holds(c)) continue;
    const auto values = plan.columns.column(c);
    block.values.insert(block.values.end(), values.begin(), values.end());
  }
  return block;
}

RunPlan prepare_assembly(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred) {
  Stopwatch clock;
  RunPlan plan = prepare_run(scenario, options);
  plan.columns.allocate(plan.trials, monthly_block_months(plan));
  size_capacity(plan, false);
  grow_deferred(plan, deferred, 0);
  plan.phases.plan_s += clock.lap();
  return plan;
}

void add_block(RunPlan& plan, DeferredHours& deferred, const TrialBlock& block) {
  const std::int64_t count = block.end - block.first;
  std::size_t stored = 0;
  for (int c = 0; c < plan.columns.size(); ++c) stored += plan.columns.holds(c) ? 1 : 0;
  const std::size_t n = plan.capacity.size();
  if (block.first < 0 || block.end > plan.trials || count < 0 ||
      block.values.size() != stored * static_cast<std::size_t>(count) ||
      block.slots.size() != (any_auto_sized(plan) ? static_cast<std::size_t>(count) * n : 0)) {
    throw std::invalid_argument("a block of trials does not fit the run's layout");
  }
  std::size_t at = 0;
  for (int c = 0; c < plan.columns.size(); ++c) {
    if (!plan.columns.holds(c)) continue;
    std::copy_n(block.values.begin() + static_cast<std::ptrdiff_t>(at), count,
                plan.columns.column(c).begin() + block.first);
    at += static_cast<std::size_t>(count);
  }
  if (!block.slots.empty()) {
    std::copy(block.slots.begin(), block.slots.end(), deferred.of(block.first, n).begin());
  }
}

RunPlan prepare_replay(const Scenario& scenario, const RunOptions& options) {
  RunPlan plan = prepare_run(scenario, options);
  plan.replay = true;
  // Only horizon totals are replayed: every monthly column goes to the sink.
  plan.columns.allocate(plan.trials, 1);
  plan.columns.store_months(plan.months, true);
  return plan;
}

void simulate_months(RunPlan& plan, const RunOptions& options, int first_month) {
  plan.columns.store_months(first_month, false);
  const int end = std::min(plan.months, first_month + plan.columns.stored_months());
  Stopwatch clock;
  for_each_trial(plan, options, [&](TrialSimulator& simulator, std::int64_t t) {
    simulator.run_trial(t, plan.columns, {}, first_month, end);
  });
  plan.phases.simulate_s += clock.lap();
}

}  // namespace tokencast::detail
