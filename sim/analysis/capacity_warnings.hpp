#pragma once
// Warnings that read a model section's statistics: infeasible sizing, commitments past the
// horizon, dropped work. Appended as codes, in model order (output words them).
#include "../engine/run_plan.hpp"
#include "cost_sections.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// After the batch that filled result.models has run.
void capacity_warnings(const RunPlan& plan, const ModelModes& modes, RunResult& result);

}  // namespace tokencast::detail
