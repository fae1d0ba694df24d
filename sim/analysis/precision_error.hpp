#pragma once
// How precise a run's reported costs are: what --precision reads between rounds.
#include "../engine/run_plan.hpp"

namespace tokencast::detail {

// The largest relative standard error (sectioning, percentile_se) of a reported cost p50 or p95:
// totals, workloads, models and capacity options.
double worst_relative_se(const RunPlan& plan);

}  // namespace tokencast::detail
