#pragma once
// The engine's inner API: run every trial of a scenario and keep the per-trial columns, for the
// summaries (engine.cpp) and the break-even curves (sim/breakeven/) to read.
#include "run_plan.hpp"
#include "tokencast/engine.hpp"

namespace tokencast::detail {

// Sizes capacity (two passes when replicas are "auto") and fills plan.columns for every trial.
RunPlan simulate(const Scenario& scenario, const RunOptions& options);

}  // namespace tokencast::detail
