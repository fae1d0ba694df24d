#pragma once
// The latency rule of options whose arrivals the closed form misses, sized once per run by
// simulating the pool at the sizing peak (docs/capacity.md, "Bursts below the hour").
#include "run_plan.hpp"

namespace tokencast::detail {

// The sizing peak: the option's capacity_quantile of the trials' peak-hour arrival rates.
double sizing_peak_rate(const RunPlan& plan, const CapacityOptionPlan& option);
// The trials' mean service profile of an option with max_concurrency.
SloQueue mean_slo_queue(const RunPlan& plan, const CapacityOptionPlan& option);
// Sizes the objective of `option` (slo_by_simulation) by simulation, from the trials drawn so far.
SimulatedSlo simulate_slo_sizing(const RunPlan& plan, const CapacityOptionPlan& option);

}  // namespace tokencast::detail
