#include "summarize_run.hpp"

#include <algorithm>

#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include "../analysis/capacity_warnings.hpp"
#include "../analysis/cost_sections.hpp"
#include "../analysis/groups.hpp"
#include "../analysis/monthly_series.hpp"
#include "../breakeven/utilization_curve.hpp"
#include "../engine/stopwatch.hpp"
#include "../statistics/summary_batch.hpp"
#include "tokencast/errors.hpp"
#include "../statistics/variance_shares.hpp"

namespace tokencast::detail {

RunResult summarize_run(RunPlan& plan, const RunOptions& options, std::optional<RunResult::Precision> precision,
                        std::vector<RunWarning> warnings) {
  Stopwatch clock;
  const double simulated_before = plan.phases.simulate_s;
  const bool with_se = precision.has_value();
  RunResult result;
  result.scenario_name = plan.scenario->name;
  result.scenario_file = plan.scenario->file;
  result.catalog_as_of = plan.scenario->catalog_as_of;
  result.trials = plan.trials;
  result.seed = plan.seed;
  result.threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  result.months = plan.months;
  result.hours_per_month = plan.hours_per_month;
  result.precision = precision;
  result.exact = options.exact;
  result.redrawn_trials = plan.redrawn_trials;
  result.warnings = std::move(warnings);

  // Every horizon statistic is queued first, then computed in parallel (summary_batch.hpp). The
  // batch holds pointers into the result: each section reserves its vectors before filling them.
  SummaryBatch batch(options.cancel);
  workload_costs(batch, plan, with_se, result.workloads);
  const ModelModes modes = model_costs(batch, plan, with_se, result.models);
  poll_cancel(options.cancel);
  total_costs(batch, plan, modes, with_se, result.total);
  result.groups.reserve(options.group_by.size());
  for (const std::string& key : options.group_by) {
    group_breakdown(batch, plan, key, modes.cheapest, result.groups.emplace_back());
  }
  batch.run();
  // Before monthly_series, which may leave a later block of months in the columns.
  if (!plan.recorded_inputs.empty()) {
    const std::vector<double> cheapest = cheapest_plan_total(plan, modes);
    for (const auto& [input, column] : plan.recorded_inputs) {
      const auto drawn = plan.columns.column(column);
      const std::vector<double> x(drawn.begin(), drawn.end());
      result.drivers.push_back({key_path(*plan.scenario, input), detail::first_order_share(x, cheapest),
                                detail::rank_correlation(x, cheapest)});
    }
    std::stable_sort(result.drivers.begin(), result.drivers.end(), [](const InputShare& a, const InputShare& b) {
      return a.first_order.value > b.first_order.value;
    });
  }
  capacity_warnings(plan, modes, result);
  monthly_series(plan, options, modes, result);
  poll_cancel(options.cancel);

  if (!plan.capacity.empty()) {
    // One curve per option, in parallel; each reads its own columns.
    auto& curves = result.breakeven.emplace().utilization;
    curves.resize(plan.capacity.size());
    tbb::parallel_for(std::size_t{0}, curves.size(), [&](std::size_t c) {
      curves[c] = utilization_curve(plan, static_cast<int>(c));
    });
  }

  // The later blocks of months were drawn during the statistics: that time is simulation.
  plan.phases.statistics_s += clock.lap() - (plan.phases.simulate_s - simulated_before);
  result.phases = plan.phases;
  return result;
}

}  // namespace tokencast::detail
