#pragma once
// Every analysis of a drawn run, in the order the result lists them: the one place that knows
// which sections a RunResult has.
#include <optional>
#include <vector>

#include "../engine/run_plan.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// The result of `plan` (drawn), its phases included. Later blocks of months are drawn again
// (monthly_series), so the plan's stored months change; its horizon columns do not.
RunResult summarize_run(RunPlan& plan, const RunOptions& options, std::optional<RunResult::Precision> precision,
                        std::vector<RunWarning> warnings);

}  // namespace tokencast::detail
