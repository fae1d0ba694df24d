#pragma once
// What a run will take, estimated before any trial is drawn, so that a run that would not fit in
// memory or would take hours is refused up front with a way out, rather than killed half-way.
// The per-unit costs are measured on this project's reference machine (docs/performance.md) and
// rounded up; they are estimates for refusing, not for reporting.
#include <cstdint>

#include "run_plan.hpp"
#include "tokencast/engine.hpp"

namespace tokencast::detail {

// One workload-hour on the hourly path (about 40 ns measured), one workload-month on the monthly
// path, one request drawn by --exact (about 16 ns measured).
inline constexpr double cpu_s_per_workload_hour = 50e-9;
inline constexpr double cpu_s_per_workload_month = 200e-9;
inline constexpr double cpu_s_per_exact_request = 20e-9;

// The mean requests one trial draws over the horizon (from 64 draws of each workload's volume,
// growth left out: the exact-mode limit's estimate).
double mean_requests_per_trial(const Scenario& scenario, double volume_multiplier);

// CPU seconds one trial of `plan` takes, months re-drawn for later blocks of monthly columns
// included (trial_columns.hpp).
double trial_cpu_s(const RunPlan& plan, int block_months);

// Throws ResourceLimitError when `cpu_s` (of `trials` trials, `what` naming the work) passes
// options.max_cpu_s, saying how many trials would fit.
void check_cpu_time(const Scenario& scenario, const RunOptions& options, std::int64_t trials, double cpu_s,
                    const char* what);

}  // namespace tokencast::detail
