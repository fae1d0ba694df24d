#pragma once
// `tokencast sweep`: a scenario run at every combination of values of some inputs, each on the same
// seed (every combination draws the same numbers for what it does not change: common random
// numbers), the combinations filtered by constraints and ranked by an objective over the outputs
// (docs/decisions.md, "Sweeps and the best plan").
//
// Expressions:
//   STAT(FIGURE)            STAT one of mean, sd, p5, p10, p25, p50, p75, p90, p95, p99; FIGURE an
//                           output (total.cheapest_plan, model[ID].cheapest, capacity[NAME].cost,
//                           workload[NAME].serverless, ... "_usd" optional) or a trial-store column
//                           (capacity[NAME].utilization, capacity[NAME].overflow_share, ...)
//   P(FIGURE <= X)          the share of trials where it holds (<, <=, >, >=)
//   P(slo), P(slo[NAME])    the share of trials whose busiest hour every option with a latency
//                           objective (or option NAME) serves within it at the replicas reserved
// An objective is an expression, minimised, or "max EXPR"; a constraint is "EXPR <= NUMBER" (or <,
// >, >=).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/work_units.hpp"

namespace tokencast {

enum class SweepStatistic { mean, sd, p5, p10, p25, p50, p75, p90, p95, p99, probability };
enum class Comparison { less, less_equal, greater, greater_equal };

struct SweepTerm {
  std::string text;  // as written
  SweepStatistic statistic = SweepStatistic::mean;
  std::string figure;  // an output, a store column, or "slo" / "slo[NAME]"
  Comparison comparison = Comparison::less_equal;  // P(FIGURE op threshold)
  double threshold = 0;
};

struct SweepObjective {
  SweepTerm term;
  bool maximize = false;
  std::string text;
};

struct SweepConstraint {
  SweepTerm term;
  Comparison comparison = Comparison::less_equal;
  double bound = 0;
  std::string text;
};

// Throw UsageError naming the expression when it cannot be read.
SweepObjective parse_objective(std::string_view text);
SweepConstraint parse_constraint(std::string_view text);

// How the combinations are drawn. A sweep that varies only capacity options' replica counts can
// draw its trials once and re-cost each reservation from their kept hours (replay, as the
// break-even volume grid does: docs/breakeven.md#replay-or-resimulation); otherwise every
// combination is simulated. automatic: replay where it can.
enum class SweepDraws { automatic, replay, resimulate };

struct SweepPoint {
  std::vector<std::string> values;  // one per varied path, as TOML
  double objective = 0;
  std::vector<double> constraint_values;
  bool feasible = true;
  double total_mean_usd = 0, total_p95_usd = 0;  // of the cheapest plan, for every point
};

struct SweepResult {
  std::vector<std::string> paths;
  SweepObjective objective;
  std::vector<SweepConstraint> constraints;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  std::vector<SweepPoint> points;
  std::optional<std::size_t> best;     // the feasible point of best objective; none when none is feasible
  std::vector<std::size_t> runners_up;  // the next up to three feasible points, in order
  // Each runner-up's objective less the best's (positive: the best is better when minimising), with
  // a 95% interval of that difference over the paired trials.
  std::vector<Estimate> margins;
  SweepDraws draws = SweepDraws::resimulate;  // replay or resimulate: what was done
  // Replay: the most any trial's cost of an option can differ from billing its every hour (its
  // hours outside the busiest 24 are binned; replay_hours.hpp). 0 when simulated.
  double replay_error_bound_usd = 0;
  double elapsed_s = 0;        // the whole sweep
  // One draw of the trials: replay's one draw, or the first combination's run. The sweep's cost
  // is elapsed_s over this.
  double one_draw_s = 0;
};

struct SweepSpec {
  std::vector<std::string> paths;                 // the varied key paths
  std::vector<std::vector<std::string>> values;   // per combination, one value per path
  std::function<Scenario(std::size_t)> scenario_at;  // combination i's scenario
  SweepObjective objective;
  std::vector<SweepConstraint> constraints;
  SweepDraws draws = SweepDraws::automatic;
};

// Throws UsageError naming the expression whose figure `scenario` does not have.
void check_sweep_terms(const Scenario& scenario, const SweepSpec& spec);
// The sweep as work units (work_units.hpp): a combination each, or (replay) one unit for the
// whole sweep, its one draw re-costed at every combination. The constructor reads every
// combination (UsageError/InputError for one that cannot be run) and decides replay without
// drawing.
class SweepUnits : public WorkUnits {
 public:
  SweepUnits(SweepSpec spec, RunOptions options);
  SweepUnits(SweepUnits&&) noexcept;
  ~SweepUnits() override;
  std::int64_t count() const override;
  double cost(std::int64_t unit) const override;
  std::string compute(std::int64_t unit) override;
  SweepResult result();

 protected:
  void add_unit(std::int64_t unit, std::string_view bytes) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Every combination with the options' trials and seed (the first scenario's when unset). Throws
// UsageError when replay is asked for and the sweep varies more than replica counts (or names a
// figure replay does not re-cost).
SweepResult run_sweep(const SweepSpec& spec, RunOptions options = {});

}  // namespace tokencast
