#pragma once
// The engine's inner API: draw a scenario's trials into the per-trial columns (the trial store),
// add trials to them, and draw later blocks of months again; the analyses (sim/analysis/) and the
// break-even curves (sim/breakeven/) read the columns.
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <tbb/task_arena.h>

#include "deferred_capacity.hpp"
#include "run_plan.hpp"
#include "tokencast/engine.hpp"

namespace tokencast::detail {

// Runs f() in a task arena of options.threads threads (0: TBB's default): the thread count belongs
// to the call, not to the process, so two runs in one program can use different counts.
template <class F>
decltype(auto) in_arena(const RunOptions& options, F&& f) {
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  return arena.execute(std::forward<F>(f));
}

// The kept hours of auto-sized options, trials x options (deferred_capacity.hpp): kept while trials
// are added, so that the reservation can be sized again over all of them.
struct DeferredHours {
  std::unique_ptr<DeferredCapacity[]> slots;
  std::int64_t trials = 0;
  // Trial t's slots, one per capacity option.
  std::span<DeferredCapacity> of(std::int64_t t, std::size_t options) const {
    return {slots.get() + static_cast<std::size_t>(t) * options, options};
  }
};

// A block of a run's trials as its first pass draws them (before "auto" reservations are sized
// over every trial): a shard's share (include/tokencast/work_units.hpp). Blocks covering every
// trial, added to prepare_assembly's plan and finished, give the plan simulate draws, bit for bit.
struct TrialBlock {
  std::int64_t first = 0, end = 0;
  std::vector<double> values;            // each stored column's values of the block, column after column
  std::vector<DeferredCapacity> slots;   // trial-major, trials x options, when an option is sized "auto"
};
TrialBlock draw_trial_block(const Scenario& scenario, const RunOptions& options, std::int64_t first, std::int64_t end);
RunPlan prepare_assembly(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred);
// Throws std::invalid_argument when the block does not fit the plan's layout.
void add_block(RunPlan& plan, DeferredHours& deferred, const TrialBlock& block);
// Once the first pass holds every trial (drawn, or assembled from blocks): auto-sized options sized
// over all of them and costed from their kept hours, trials that would overflow drawn again.
void finish_first_pass(RunPlan& plan, const RunOptions& options, DeferredHours& deferred);

// Sizes capacity (two passes when replicas are "auto") and fills plan.columns for every trial.
RunPlan simulate(const Scenario& scenario, const RunOptions& options);
// The same, keeping the hours that add_trials needs.
RunPlan simulate(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred);

// Grows a drawn plan to `trials` trials, drawing only the new ones; auto-sized options are sized
// again over every trial, so the plan equals one drawn at its final size, bit for bit.
void add_trials(RunPlan& plan, const RunOptions& options, DeferredHours& deferred, std::int64_t trials);

// Throws ResourceLimitError when a run of options.trials trials would pass the memory or CPU limit
// (what simulate checks before drawing).
void check_limits(const Scenario& scenario, const RunOptions& options);

// The most trials, up to `wanted`, whose run stays within the memory and CPU limits.
std::int64_t trials_within_limits(const Scenario& scenario, const RunOptions& options, std::int64_t wanted);

// Draws months [first_month, first_month + plan.columns.stored_months()) of every trial again,
// into the monthly columns (the columns that are not per month are left as they are), on the
// caller's task arena (in_arena).
void simulate_months(RunPlan& plan, const RunOptions& options, int first_month);

// A plan for the volume grid's replay (sim/breakeven/volume_replay.cpp), checked and allocated:
// horizon totals only (no monthly columns), and every reservation deferred when run_trial is given
// slots.
RunPlan prepare_replay(const Scenario& scenario, const RunOptions& options);

}  // namespace tokencast::detail
