#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <boost/math/tools/roots.hpp>

#include "../engine/simulation.hpp"
#include "../engine/work_estimate.hpp"
#include "grid_sampler.hpp"
#include "tokencast/breakeven.hpp"
#include "tokencast/errors.hpp"

namespace tokencast {
namespace {

using detail::GridSampler;
using detail::GridTotals;
using detail::RunPlan;

// The share of trials in which each capacity option costs less than its model's serverless.
std::vector<double> probability_cheaper(const RunPlan& plan, const GridTotals& g) {
  std::vector<double> p;
  for (std::size_t c = 0; c < plan.capacity.size(); ++c) {
    const auto& option = g.option_usd[c];
    const auto& serverless = g.serverless_usd[static_cast<std::size_t>(plan.capacity[c].model)];
    std::int64_t cheaper = 0;
    for (std::size_t t = 0; t < option.size(); ++t) cheaper += option[t] < serverless[t] ? 1 : 0;
    p.push_back(static_cast<double>(cheaper) / static_cast<double>(option.size()));
  }
  return p;
}

ModeCost monthly_cost(const std::vector<double>& horizon_usd, int months, Mode mode) {
  std::vector<double> per_month(horizon_usd);
  for (double& v : per_month) v /= months;
  ModeCost cost;
  cost.mode = mode;
  cost.total_usd = summarize(per_month);
  return cost;
}

// The probabilities at each multiplier visited, cached: root finding revisits points.
class VolumeGrid {
 public:
  VolumeGrid(const RunPlan& layout, GridSampler& sampler) : layout_(layout), sampler_(sampler) {}

  const std::vector<double>& probability(double k) {
    auto it = cache_.find(k);
    if (it != cache_.end()) return it->second;
    return cache_[k] = probability_cheaper(layout_, sampler_.at(k));
  }
  // Every figure of a grid point (and its probabilities into the cache).
  GridTotals totals(double k) {
    GridTotals g = sampler_.at(k);
    cache_[k] = probability_cheaper(layout_, g);
    return g;
  }

 private:
  const RunPlan& layout_;
  GridSampler& sampler_;
  std::map<double, std::vector<double>> cache_;
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
    auto f = [&](double log_k) { return grid.probability(std::exp(log_k))[option] - level; };
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

// Simulates the scenario at each multiplier, with the same trial streams (common random numbers).
class Resimulation final : public GridSampler {
 public:
  Resimulation(const Scenario& scenario, const RunOptions& options) : scenario_(scenario), options_(options) {}

  GridTotals at(double k) override {
    RunOptions options = options_;
    options.volume_multiplier = k;
    const RunPlan plan = detail::simulate(scenario_, options);
    auto column = [&](int c) {
      const auto values = plan.columns.column(c);
      return std::vector<double>(values.begin(), values.end());
    };
    GridTotals g;
    for (const auto& mp : plan.models) {
      g.serverless_usd.push_back(column(mp.serverless.total));
      g.batch_usd.push_back(mp.batch ? column(mp.batch_cost.total) : std::vector<double>{});
      g.requests.push_back(detail::mean_requests(plan, mp));
    }
    for (const auto& option : plan.capacity) {
      g.option_usd.push_back(column(option.cost.total));
      g.replicas.push_back(option.plan.replicas);
      g.option_error_bound_usd.push_back(0.0);
    }
    return g;
  }

 private:
  const Scenario& scenario_;
  RunOptions options_;
};

}  // namespace

namespace detail {

double mean_requests(const RunPlan& plan, const ModelPlan& model) {
  double requests = 0;
  for (int w : model.workloads) requests += summarize(plan.columns.column(plan.workloads[w].requests_col)).mean;
  return requests;
}

std::unique_ptr<GridSampler> make_resimulation(const Scenario& scenario, const RunOptions& options) {
  return std::make_unique<Resimulation>(scenario, options);
}

}  // namespace detail

std::string_view to_string(VolumeMethod method) {
  switch (method) {
    case VolumeMethod::automatic: return "auto";
    case VolumeMethod::replay: return "replay";
    case VolumeMethod::resimulate: return "resimulate";
  }
  return "auto";
}

VolumeMethod volume_method_for(const Scenario& scenario, VolumeMethod asked) {
  if (asked == VolumeMethod::automatic) return detail::replayable(scenario) ? VolumeMethod::replay : VolumeMethod::resimulate;
  if (asked == VolumeMethod::replay && !detail::replayable(scenario)) {
    throw InputError({scenario.file, 0, 0}, "--grid-draws",
                     "replay cannot autoscale at another volume, and this scenario has an autoscaling option (got "
                     "replay, expected auto or resimulate)");
  }
  return asked;
}

std::vector<VolumeCurve> volume_curves(const Scenario& scenario, const RunOptions& options,
                                       const VolumeGridOptions& grid_options, VolumeGridStats* stats) {
  const int n = std::max(2, grid_options.points);
  std::vector<double> multipliers(static_cast<std::size_t>(n));
  const double log_lo = std::log(grid_options.min_multiplier), log_hi = std::log(grid_options.max_multiplier);
  for (int i = 0; i < n; ++i) multipliers[i] = std::exp(log_lo + (log_hi - log_lo) * i / (n - 1));

  const VolumeMethod method = volume_method_for(scenario, grid_options.method);
  const std::unique_ptr<GridSampler> sampler = method == VolumeMethod::replay
                                                   ? detail::make_replay(scenario, options)
                                                   : detail::make_resimulation(scenario, options);
  // The plan's layout (models, options, their indices) without drawing anything.
  const RunPlan layout = detail::make_run_plan(scenario, 1, 0);
  VolumeGrid grid(layout, *sampler);
  std::vector<VolumeCurve> curves;
  std::map<int, std::size_t> curve_of_model;
  for (std::size_t c = 0; c < layout.capacity.size(); ++c) {
    const int model = layout.capacity[c].model;
    if (!curve_of_model.count(model)) {
      curve_of_model[model] = curves.size();
      curves.push_back(VolumeCurve{layout.models[model].spec->id, {}, {}});
    }
  }
  // probability[option][grid point]
  std::vector<std::vector<double>> probability(layout.capacity.size());
  // Requests a month per model at multiplier 1, averaged over the grid (volume scales linearly).
  std::vector<double> base_requests(layout.models.size(), 0.0);
  const int months = layout.months;

  for (int i = 0; i < n; ++i) {
    poll_cancel(options.cancel);
    const GridTotals g = grid.totals(multipliers[i]);
    const std::vector<double>& p = grid.probability(multipliers[i]);
    for (const auto& [model_index, curve_index] : curve_of_model) {
      const detail::ModelPlan& mp = layout.models[model_index];
      const auto m = static_cast<std::size_t>(model_index);
      VolumePoint point;
      point.multiplier = multipliers[i];
      point.requests_per_month = g.requests[m] / months;
      base_requests[m] += point.requests_per_month / multipliers[i] / n;
      point.costs.push_back(monthly_cost(g.serverless_usd[m], months, Mode::serverless));
      if (mp.batch) point.costs.push_back(monthly_cost(g.batch_usd[m], months, Mode::batch));
      for (int c : mp.capacity) {
        const auto& option = layout.capacity[c];
        const auto ci = static_cast<std::size_t>(c);
        point.costs.push_back(monthly_cost(g.option_usd[ci], months, mode_of(option.spec->kind)));
        point.probability_cheaper[option.spec->name] = p[ci];
        point.replicas[option.spec->name] = g.replicas[ci];
      }
      curves[curve_index].points.push_back(std::move(point));
    }
    for (std::size_t c = 0; c < p.size(); ++c) probability[c].push_back(p[c]);
  }

  for (std::size_t c = 0; c < layout.capacity.size(); ++c) {
    const CapacitySpec& spec = *layout.capacity[c].spec;
    const int model = layout.capacity[c].model;
    VolumeBreakeven b;
    b.option = spec.name;
    b.kind = spec.kind;
    const double tol = grid_options.root_tolerance;
    b.multiplier_50 = crossing(grid, multipliers, probability[c], c, 0.5, tol);
    b.multiplier_10 = crossing(grid, multipliers, probability[c], c, 0.1, tol);
    b.multiplier_90 = crossing(grid, multipliers, probability[c], c, 0.9, tol);
    auto volume = [&](const std::optional<double>& k) -> std::optional<double> {
      if (!k) return std::nullopt;
      return *k * base_requests[static_cast<std::size_t>(model)];
    };
    b.requests_per_month_50 = volume(b.multiplier_50);
    b.requests_per_month_10 = volume(b.multiplier_10);
    b.requests_per_month_90 = volume(b.multiplier_90);
    curves[curve_of_model.at(model)].breakeven.push_back(std::move(b));
  }
  if (stats != nullptr) stats->method = method;
  return curves;
}

}  // namespace tokencast
