#pragma once
// Break-even curves: when a capacity option (dedicated endpoint, GPU cluster) beats serverless,
// as a function of its utilization and of the traffic volume, with the probability that it does.
#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"

namespace tokencast {

struct VolumeGridOptions {
  int points = 32;                   // log-spaced multipliers of the scenario's volume
  double min_multiplier = 1.0 / 20;
  double max_multiplier = 20.0;
  double root_tolerance = 2e-3;      // relative, on the multiplier
};

// Monthly cost of every mode across the grid, re-sizing "auto" replicas at each point, with the
// same trial streams at every point (common random numbers); break-even volumes found by root
// finding (Boost.Math TOMS 748) on the probability that an option is cheaper than serverless.
std::vector<VolumeCurve> volume_curves(const Scenario& scenario, const RunOptions& options,
                                       const VolumeGridOptions& grid = {});

// run_scenario plus the volume curves in result.breakeven (utilization curves are always there
// when the scenario has capacity options).
RunResult run_breakeven(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid = {});

}  // namespace tokencast
