#pragma once
// A run's trials, drawn to a fixed count or, with --precision, grown until every reported p50 and
// p95 is that precise.
#include <optional>
#include <vector>

#include "../engine/simulation.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// Draws options.trials (or the scenario's) trials. With options.precision > 0, adds trials round
// by round, drawing only the new ones, until the worst relative standard error is below it or the
// run reaches --max-trials or its memory and CPU limits; `precision` and `warnings` say how it
// ended.
RunPlan draw_to_precision(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred,
                          std::optional<RunResult::Precision>& precision, std::vector<RunWarning>& warnings);

}  // namespace tokencast::detail
