#pragma once
// The engine's inner API: run every trial of a scenario and keep the per-trial columns, for the
// summaries (engine.cpp) and the break-even curves (sim/breakeven/) to read.
#include <utility>

#include <tbb/task_arena.h>

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

// Sizes capacity (two passes when replicas are "auto") and fills plan.columns for every trial.
RunPlan simulate(const Scenario& scenario, const RunOptions& options);

// Draws months [first_month, first_month + plan.columns.stored_months()) of every trial again,
// into the monthly columns (the columns that are not per month are left as they are), on the
// caller's task arena (in_arena).
void simulate_months(RunPlan& plan, const RunOptions& options, int first_month);

// A plan for the volume grid's replay (sim/breakeven/volume_replay.cpp), checked and allocated:
// horizon totals only (no monthly columns), and every reservation deferred when run_trial is given
// slots.
RunPlan prepare_replay(const Scenario& scenario, const RunOptions& options);

}  // namespace tokencast::detail
