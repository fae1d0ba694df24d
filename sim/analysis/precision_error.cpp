#include "precision_error.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <tbb/parallel_for.h>

#include "tokencast/summary.hpp"

namespace tokencast::detail {

double worst_relative_se(const RunPlan& plan) {
  std::vector<int> columns{plan.total_serverless.total};
  if (plan.any_batch) columns.push_back(plan.total_batch.total);
  for (const auto& w : plan.workloads) {
    columns.push_back(w.serverless.total);
    if (w.batch) columns.push_back(w.batch_cost.total);
  }
  for (const auto& m : plan.models) {
    columns.push_back(m.serverless.total);
    if (m.batch) columns.push_back(m.batch_cost.total);
  }
  for (const auto& c : plan.capacity) columns.push_back(c.cost.total);
  // Each column's error in parallel; the largest taken in column order.
  std::vector<double> relative(columns.size(), 0.0);
  tbb::parallel_for(std::size_t{0}, columns.size(), [&](std::size_t i) {
    const auto values = plan.columns.column(columns[i]);
    static constexpr double ps[] = {0.50, 0.95};
    double quantiles[2], se[2];
    std::vector<double> scratch;
    quantiles_of(values, ps, quantiles, scratch, plan.cancel);
    percentile_ses(values, ps, se);
    for (int k = 0; k < 2; ++k) {
      const double q = std::abs(quantiles[k]);
      if (q > 0) relative[i] = std::max(relative[i], se[k] / q);
    }
  });
  double worst = 0;
  for (double r : relative) worst = std::max(worst, r);
  return worst;
}

}  // namespace tokencast::detail
