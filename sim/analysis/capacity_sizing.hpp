#pragma once
// A capacity option's sizing section: the reservation, the latency sizing (one SLO search,
// replicas_for_slo), why it is infeasible when it is, and its per-trial statistics.
#include "../engine/run_plan.hpp"
#include "../engine/slo_simulation.hpp"
#include "../statistics/summary_batch.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// Fills `out`; its statistics and its latency sizing are queued on the batch (both must outlive
// batch.run()).
void capacity_result(SummaryBatch& batch, const RunPlan& plan, const CapacityOptionPlan& option, CapacityResult& out);

}  // namespace tokencast::detail
