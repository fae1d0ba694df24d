#pragma once
// The engine's inner API: run every trial of a scenario and keep the per-trial columns, for the
// summaries (engine.cpp) and the break-even curves (sim/breakeven/) to read.
#include <optional>

#include <tbb/global_control.h>

#include "run_plan.hpp"
#include "tokencast/engine.hpp"

namespace tokencast::detail {

// Holds the run's thread count (options.threads; 0 leaves TBB's default) while `limit` lives.
void limit_threads(std::optional<tbb::global_control>& limit, const RunOptions& options);

// Sizes capacity (two passes when replicas are "auto") and fills plan.columns for every trial.
RunPlan simulate(const Scenario& scenario, const RunOptions& options);

// Draws months [first_month, first_month + plan.columns.stored_months()) of every trial again,
// into the monthly columns (the columns that are not per month are left as they are). Threads:
// as many as the caller's tbb::global_control allows (run_scenario holds options.threads).
void simulate_months(RunPlan& plan, const RunOptions& options, int first_month);

// A plan for the volume grid's replay (sim/breakeven/volume_replay.cpp), checked and allocated:
// horizon totals only (no monthly columns), and every reservation deferred when run_trial is given
// slots.
RunPlan prepare_replay(const Scenario& scenario, const RunOptions& options);

}  // namespace tokencast::detail
