#pragma once
// `tokencast sensitivity`: which uncertain inputs drive an output's risk (docs/decisions.md,
// "Sensitivity"). For each input a trial draws that is not certain:
//   - a tornado: the output's mean and p95 with the input held at its p10 and at its p90, every
//     other input still drawn, on common random numbers (each run draws the same numbers for
//     everything else, so the swings are differences of paired trials);
//   - spider data: the same at the input's p5, p10, p25, p50, p75, p90 and p95;
//   - its variance share: the first-order Sobol index Var(E[Y|X]) / Var(Y), estimated from the
//     base run's own trials (given data: equal-count bins of X, bias-corrected), and its Spearman
//     rank correlation with the output, each with a 95% interval.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/work_units.hpp"

namespace tokencast {

// The quantile levels of the spider data; the tornado's are the second and the sixth.
inline constexpr std::array<double, 7> spider_levels{0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

struct SpiderPoint {
  double level = 0;        // of the input's law
  double input = 0;        // the input's value there
  double output_mean = 0;  // the output with the input held there
  double output_p95 = 0;
};

struct InputSensitivity {
  std::string key_path;  // as the scenario file names it: "workload[0].requests_per_month"
  std::string law;       // as written: "lognormal(median=2000000, sigma=0.3)"
  bool correlated = false;  // in a [[correlation]]: its partners drawn from their law given it
  std::vector<SpiderPoint> spider;  // at spider_levels
  // Tornado: the changes from the input's p10 to its p90, with their intervals (the mean's from
  // the paired differences' standard error, the p95's by sectioning).
  Estimate mean_swing, p95_swing;
  Estimate first_order;       // variance share
  Estimate rank_correlation;  // Spearman, with Fisher's interval
  const SpiderPoint& at_p10() const { return spider[1]; }
  const SpiderPoint& at_p90() const { return spider[5]; }
};

struct Sensitivity {
  std::string scenario;  // its file
  std::string output;    // "total.cheapest_plan_usd"
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  double output_mean = 0, output_p95 = 0;  // of the base run
  std::vector<InputSensitivity> inputs;    // by variance share, largest first
  double first_order_sum = 0;  // 1 less this is interaction (or, with correlated inputs, overlap)
  std::int64_t runs = 0;       // runs of `trials` trials it took: 1 + 7 per input
};

// The outputs sensitivity can follow: total.cheapest_plan_usd, total.serverless_usd, ...,
// model[ID].cheapest_usd, capacity[NAME].cost_usd, workload[NAME].serverless_usd (mode_columns.hpp).
std::vector<std::string> sensitivity_outputs(const Scenario& scenario);

// `output` is one of sensitivity_outputs, its "_usd" optional. Throws UsageError naming the
// output when the scenario has none of that name. A cheapest plan is the base run's: held runs
// price the same plans.
Sensitivity sensitivity_analysis(const Scenario& scenario, const std::string& output, RunOptions options = {});

// The analysis as work units (work_units.hpp): unit 0 the base run (the output and every input per
// trial), then one per input, its spider runs. A held run follows the base run's columns (its
// cheapest plans), and an input of drawn parameters is held at quantiles of the base run's draws:
// a process that computes an input's unit draws the base run too, once.
class SensitivityUnits : public WorkUnits {
 public:
  // Throws UsageError naming the output when the scenario has none of that name.
  SensitivityUnits(Scenario scenario, const std::string& output, RunOptions options);
  SensitivityUnits(SensitivityUnits&&) noexcept;
  ~SensitivityUnits() override;
  std::int64_t count() const override;
  double cost(std::int64_t unit) const override;
  std::string compute(std::int64_t unit) override;
  Sensitivity result();

 protected:
  void add_unit(std::int64_t unit, std::string_view bytes) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tokencast
