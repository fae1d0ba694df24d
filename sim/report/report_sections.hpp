#pragma once
// The report's table sections, each a fragment of HTML starting with its <h2>.
#include <string>

#include "tokencast/capacity_check.hpp"
#include "tokencast/gpu_comparison.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast::report {

// Section 1: run facts and the scenario's inputs (models, workloads, traffic, capacity options).
std::string scenario_section(const Scenario& scenario, const RunResult& result);
// Section 2: cost by model and mode, by workload, in total; then the warnings.
std::string costs_section(const RunResult& result);
// Section 6: what each capacity option reserves and how well it is used.
std::string capacity_section(const Scenario& scenario, const RunResult& result);
// Section 6b: each option on each GPU (`capacity --compare-gpus`).
std::string gpu_comparison_section(const GpuComparison& comparison);
// Section 6c: a recorded trace replayed through each pool (`capacity --replay`).
std::string replay_section(const TraceReplay& replay);
// Section 7: cost per tag value (empty string when no --group-by key was asked for).
std::string groups_section(const RunResult& result);

// The top drivers of the cheapest plan's total (empty when the run recorded no inputs).
std::string drivers_section(const RunResult& result);

// "cost over 12 months" or "cost" (the horizon a total covers).
std::string horizon_label(int months);

}  // namespace tokencast::report
