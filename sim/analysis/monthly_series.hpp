#pragma once
// The monthly series of a result (months > 1): every cost's, the cheapest plan's and each group's
// summary month by month, and each batch model's busiest day. A horizon whose monthly columns do
// not fit at once is summarised a block of months at a time, the trials drawn again for each later
// block (trial_columns.hpp).
#include "../engine/run_plan.hpp"
#include "cost_sections.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// Appends the monthly summaries to the costs of `result` (its sections filled already), sets each
// batch model's busiest day and warns of the months past the batch token limit. The last block of
// months stays stored, with the columns that are not per month.
void monthly_series(RunPlan& plan, const RunOptions& options, const ModelModes& modes, RunResult& result);

}  // namespace tokencast::detail
