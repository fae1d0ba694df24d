#include "precision_run.hpp"

#include <algorithm>
#include <cmath>

#include "../analysis/precision_error.hpp"
#include "../engine/stopwatch.hpp"

namespace tokencast::detail {

RunPlan draw_to_precision(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred,
                          std::optional<RunResult::Precision>& precision, std::vector<RunWarning>& warnings) {
  if (!(options.precision > 0)) return simulate(scenario, options, deferred);
  RunOptions o = options;
  std::int64_t trials = std::min(options.trials.value_or(scenario.trials), options.max_trials);
  // Rounds grow the run up to --max-trials, or to what fits in memory and time if that is less.
  const std::int64_t ceiling = std::max(trials, trials_within_limits(scenario, options, options.max_trials));
  o.trials = trials;
  RunPlan plan = simulate(scenario, o, deferred);
  for (;;) {
    Stopwatch clock;
    const double worst = worst_relative_se(plan);
    plan.phases.statistics_s += clock.lap();
    precision = RunResult::Precision{options.precision, worst, ceiling, worst <= options.precision};
    if (precision->reached || trials >= ceiling) {
      if (!precision->reached && ceiling < options.max_trials) {
        RunWarning& w = warnings.emplace_back();
        w.code = WarningCode::precision_capped;
        w.trials = ceiling;
      }
      return plan;
    }
    // The standard error falls as 1/sqrt(trials): aim 10% past the target.
    const double factor = 1.1 * (worst / options.precision) * (worst / options.precision);
    trials = std::min(ceiling, std::max(trials * 2, static_cast<std::int64_t>(std::ceil(static_cast<double>(trials) * factor))));
    add_trials(plan, o, deferred, trials);
  }
}

}  // namespace tokencast::detail
