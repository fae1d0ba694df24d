#include "utilization_curve.hpp"

#include <algorithm>

namespace tokencast::detail {
namespace {

BandPoint band(double x, std::vector<double>& values) {
  static constexpr double ps[] = {0.05, 0.50, 0.95};
  double q[3];
  quantiles_by_selection(values, ps, q);
  return {x, q[0], q[1], q[2]};
}

}  // namespace

UtilizationCurve utilization_curve(const RunPlan& plan, int option_index) {
  const CapacityOptionPlan& option = plan.capacity[option_index];
  const ModelPlan& model = plan.models[option.model];
  const auto reservation = plan.columns.column(option.reservation_usd_col);
  const auto full_mtok = plan.columns.column(option.full_capacity_mtok_col);
  const auto serverless = plan.columns.column(model.serverless.total);
  const auto tokens = plan.columns.column(model.tokens_col);
  const auto n = static_cast<std::size_t>(plan.trials);

  UtilizationCurve curve;
  curve.model = model.spec->id;
  curve.option = option.spec->name;
  curve.kind = option.spec->kind;
  curve.replicas = option.plan.replicas;

  std::vector<double> serverless_rate(n), breakeven(n), unit_cost(n);
  std::size_t reachable = 0;
  for (std::size_t t = 0; t < n; ++t) {
    serverless_rate[t] = tokens[t] > 0 ? serverless[t] / (tokens[t] / 1e6) : 0.0;
    unit_cost[t] = full_mtok[t] > 0 ? reservation[t] / full_mtok[t] : 0.0;  // $/1M at 100%
    breakeven[t] = serverless_rate[t] > 0 ? unit_cost[t] / serverless_rate[t] : std::numeric_limits<double>::infinity();
    if (breakeven[t] <= 1.0) ++reachable;
  }
  curve.serverless_usd_per_mtok = summarize(serverless_rate);
  // u* can exceed 1 (never pays off) or be infinite (no traffic): summarise it as drawn, capped
  // at a large value so the statistics stay finite.
  for (double& u : breakeven) u = std::min(u, 1e6);
  curve.breakeven_utilization = summarize(breakeven);
  curve.probability_breakeven_reachable = static_cast<double>(reachable) / static_cast<double>(n);

  std::vector<double> at_u(n);
  for (int step = 1; step <= 20; ++step) {
    poll_cancel(plan.cancel);
    const double u = 0.05 * step;
    for (std::size_t t = 0; t < n; ++t) at_u[t] = unit_cost[t] / u;
    curve.option_usd_per_mtok.push_back(band(u, at_u));
  }
  return curve;
}

}  // namespace tokencast::detail
