#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <boost/math/tools/roots.hpp>

#include "../engine/simulation.hpp"
#include "tokencast/breakeven.hpp"

namespace tokencast {
namespace {

using detail::RunPlan;

// What one grid point needs from a simulation: per capacity option, the share of trials in which
// it is cheaper than serverless, and (for the curve) the cost summaries.
struct Evaluation {
  std::vector<double> probability_cheaper;  // by capacity option index
};

double probability_cheaper(const RunPlan& plan, const detail::CapacityOptionPlan& option) {
  const auto option_cost = plan.columns.column(option.cost.total);
  const auto serverless = plan.columns.column(plan.models[option.model].serverless.total);
  std::int64_t cheaper = 0;
  for (std::size_t t = 0; t < option_cost.size(); ++t) cheaper += option_cost[t] < serverless[t] ? 1 : 0;
  return static_cast<double>(cheaper) / static_cast<double>(option_cost.size());
}

ModeCost monthly_cost(const RunPlan& plan, int column, std::string mode) {
  const auto total = plan.columns.column(column);
  std::vector<double> per_month(total.begin(), total.end());
  for (double& v : per_month) v /= plan.months;
  ModeCost cost;
  cost.mode = std::move(mode);
  cost.total_usd = summarize(per_month);
  return cost;
}

class VolumeGrid {
 public:
  VolumeGrid(const Scenario& scenario, const RunOptions& options) : scenario_(scenario), options_(options) {}

  // Simulates the scenario at volume multiplier k (cached: root finding revisits points).
  const Evaluation& evaluate(double k, RunPlan* keep = nullptr) {
    auto it = cache_.find(k);
    if (it != cache_.end() && keep == nullptr) return it->second;
    RunOptions options = options_;
    options.volume_multiplier = k;
    RunPlan plan = detail::simulate(scenario_, options);
    Evaluation e;
    for (const auto& option : plan.capacity) e.probability_cheaper.push_back(probability_cheaper(plan, option));
    if (keep != nullptr) *keep = std::move(plan);
    return cache_[k] = std::move(e);
  }

 private:
  const Scenario& scenario_;
  RunOptions options_;
  std::map<double, Evaluation> cache_;
};

// First crossing of `level` along the grid, refined by TOMS 748 on the simulated probability.
std::optional<double> crossing(VolumeGrid& grid, const std::vector<double>& multipliers,
                               const std::vector<double>& probability, std::size_t option, double level,
                               double tolerance) {
  for (std::size_t i = 0; i + 1 < multipliers.size(); ++i) {
    const double a = probability[i] - level, b = probability[i + 1] - level;
    if (a == 0.0) return multipliers[i];
    if ((a < 0) == (b < 0)) continue;
    // Root-find in log(k), where the grid is even.
    auto f = [&](double log_k) { return grid.evaluate(std::exp(log_k)).probability_cheaper[option] - level; };
    // Absolute in log(k): a relative tolerance on the multiplier itself.
    const auto stop = [tolerance](double lo, double hi) { return std::abs(hi - lo) <= tolerance; };
    std::uintmax_t iterations = 30;
    try {
      const auto [lo, hi] = boost::math::tools::toms748_solve(f, std::log(multipliers[i]), std::log(multipliers[i + 1]),
                                                               a, b, stop, iterations);
      return std::exp(0.5 * (lo + hi));
    } catch (const boost::math::evaluation_error&) {
      return std::sqrt(multipliers[i] * multipliers[i + 1]);
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<VolumeCurve> volume_curves(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid_options) {
  const int n = std::max(2, grid_options.points);
  std::vector<double> multipliers(static_cast<std::size_t>(n));
  const double log_lo = std::log(grid_options.min_multiplier), log_hi = std::log(grid_options.max_multiplier);
  for (int i = 0; i < n; ++i) multipliers[i] = std::exp(log_lo + (log_hi - log_lo) * i / (n - 1));

  VolumeGrid grid(scenario, options);
  std::vector<VolumeCurve> curves;
  std::map<int, std::size_t> curve_of_model;
  // probability[option][grid point]
  std::vector<std::vector<double>> probability;
  // Requests a month per model at multiplier 1, averaged over the grid (volume scales linearly).
  std::vector<double> base_requests;

  for (int i = 0; i < n; ++i) {
    RunPlan plan;
    const Evaluation& e = grid.evaluate(multipliers[i], &plan);
    if (i == 0) {
      probability.assign(plan.capacity.size(), {});
      base_requests.assign(plan.models.size(), 0.0);
      for (std::size_t c = 0; c < plan.capacity.size(); ++c) {
        const int model = plan.capacity[c].model;
        if (!curve_of_model.count(model)) {
          curve_of_model[model] = curves.size();
          curves.push_back(VolumeCurve{plan.models[model].spec->id, {}, {}});
        }
      }
    }
    for (const auto& [model_index, curve_index] : curve_of_model) {
      const detail::ModelPlan& mp = plan.models[model_index];
      VolumePoint point;
      point.multiplier = multipliers[i];
      double requests = 0;
      for (int w : mp.workloads) requests += summarize(plan.columns.column(plan.workloads[w].requests_col)).mean;
      point.requests_per_month = requests / plan.months;
      base_requests[model_index] += point.requests_per_month / multipliers[i] / n;
      point.costs.push_back(monthly_cost(plan, mp.serverless.total, "serverless"));
      if (mp.batch) point.costs.push_back(monthly_cost(plan, mp.batch_cost.total, "batch"));
      for (int c : mp.capacity) {
        const auto& option = plan.capacity[c];
        point.costs.push_back(monthly_cost(plan, option.cost.total, std::string(to_string(option.spec->kind))));
        point.probability_cheaper[option.spec->name] = e.probability_cheaper[c];
        point.replicas[option.spec->name] = option.plan.replicas;
      }
      curves[curve_index].points.push_back(std::move(point));
    }
    for (std::size_t c = 0; c < e.probability_cheaper.size(); ++c) probability[c].push_back(e.probability_cheaper[c]);
  }

  for (std::size_t c = 0; c < scenario.capacity.size(); ++c) {
    const CapacitySpec& spec = scenario.capacity[c];
    int model = 0;
    for (std::size_t m = 0; m < scenario.models.size(); ++m) {
      if (scenario.models[m].id == spec.model) model = static_cast<int>(m);
    }
    VolumeBreakeven b;
    b.option = spec.name;
    b.kind = spec.kind;
    const double tol = grid_options.root_tolerance;
    b.multiplier_50 = crossing(grid, multipliers, probability[c], c, 0.5, tol);
    b.multiplier_10 = crossing(grid, multipliers, probability[c], c, 0.1, tol);
    b.multiplier_90 = crossing(grid, multipliers, probability[c], c, 0.9, tol);
    auto volume = [&](const std::optional<double>& k) -> std::optional<double> {
      if (!k) return std::nullopt;
      return *k * base_requests[model];
    };
    b.requests_per_month_50 = volume(b.multiplier_50);
    b.requests_per_month_10 = volume(b.multiplier_10);
    b.requests_per_month_90 = volume(b.multiplier_90);
    curves[curve_of_model.at(model)].breakeven.push_back(std::move(b));
  }
  return curves;
}

RunResult run_breakeven(const Scenario& scenario, const RunOptions& options, const VolumeGridOptions& grid) {
  const auto start = std::chrono::steady_clock::now();
  RunResult result = run_scenario(scenario, options);
  if (!result.breakeven) result.breakeven.emplace();
  result.breakeven->volume = volume_curves(scenario, options, grid);
  result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace tokencast
