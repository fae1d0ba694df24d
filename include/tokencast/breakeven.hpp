#pragma once
// Break-even curves: when a capacity option (dedicated endpoint, GPU cluster) beats serverless,
// as a function of its utilization and of the traffic volume, with the probability that it does.
#include <cstdint>
#include <string_view>

#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"

namespace tokencast {

// How the grid's trials are drawn (docs/breakeven.md#replay-or-resimulation).
enum class VolumeMethod {
  automatic,   // replay when the scenario allows it, else resimulate
  replay,      // draw each trial once and scale its draws to every multiplier
  resimulate,  // simulate the scenario again at every multiplier (common random numbers)
};
std::string_view to_string(VolumeMethod method);

struct VolumeGridOptions {
  int points = 32;                   // log-spaced multipliers of the scenario's volume
  double min_multiplier = 1.0 / 20;
  double max_multiplier = 20.0;
  double root_tolerance = 2e-3;      // relative, on the multiplier
  VolumeMethod method = VolumeMethod::automatic;
};

// How a grid was drawn.
struct VolumeGridStats {
  VolumeMethod method = VolumeMethod::resimulate;
};

// The method `asked` resolves to for this scenario; InputError when replay is asked for a scenario
// it cannot replay (one with an autoscaling option).
VolumeMethod volume_method_for(const Scenario& scenario, VolumeMethod asked);

// Monthly cost of every mode across the grid, re-sizing "auto" replicas at each point, with the
// same trial draws at every point; break-even volumes found by root finding (Boost.Math TOMS 748)
// on the probability that an option is cheaper than serverless.
std::vector<VolumeCurve> volume_curves(const Scenario& scenario, const RunOptions& options,
                                       const VolumeGridOptions& grid = {}, VolumeGridStats* stats = nullptr);

// The volume grid's cost in draws of every trial: replay draws them once more; resimulation at
// every point, and again for each step of the root finding (about ten per crossing level).
double volume_grid_runs(const Scenario& scenario, const VolumeGridOptions& grid);
// Throws ResourceLimitError when the run and its volume grid would pass the CPU limit.
void check_breakeven_limits(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid);

// run_scenario plus the volume curves in result.breakeven (utilization curves are always there
// when the scenario has capacity options).
RunResult run_breakeven(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid = {});

}  // namespace tokencast
