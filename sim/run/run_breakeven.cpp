#include <chrono>

#include "../engine/run_plan.hpp"
#include "../engine/simulation.hpp"
#include "../engine/work_estimate.hpp"
#include "tokencast/breakeven.hpp"
#include "tokencast/engine.hpp"

namespace tokencast {

using detail::RunPlan;

double volume_grid_runs(const Scenario& scenario, const VolumeGridOptions& grid) {
  return volume_method_for(scenario, grid.method) == VolumeMethod::replay
             ? 1.0
             : grid.points + 30.0 * static_cast<double>(scenario.capacity.size());
}

void check_breakeven_limits(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid) {
  // The grid on top of the run.
  const std::int64_t trials = options.trials.value_or(scenario.trials);
  const RunPlan layout = detail::make_run_plan(scenario, trials, 0, options.exact);
  const double runs = 1.0 + volume_grid_runs(scenario, grid);
  detail::check_cpu_time(scenario, options, trials, runs * detail::trial_cpu_s(layout, layout.months) * static_cast<double>(trials),
                         "the break-even volume grid's");
}

RunResult run_breakeven(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid) {
  return detail::in_arena(options, [&] {
    const auto start = std::chrono::steady_clock::now();
    check_breakeven_limits(scenario, options, grid);
    RunResult result = run_scenario(scenario, options);
    if (!result.breakeven) result.breakeven.emplace();
    VolumeGridStats stats;
    const auto grid_start = std::chrono::steady_clock::now();
    result.breakeven->volume = volume_curves(scenario, options, grid, &stats);
    // The grid draws trials again (parallel): it counts as simulation.
    result.phases.simulate_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - grid_start).count();
    result.breakeven->volume_method = std::string(to_string(stats.method));
    result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  });
}

}  // namespace tokencast
