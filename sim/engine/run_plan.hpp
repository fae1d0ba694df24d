#pragma once
// A scenario prepared for the engine: who uses what, which figures are certain (computed once),
// and where each output lives in the trial columns.
#include <array>
#include <atomic>
#include <optional>
#include <utility>
#include <vector>

#include "tokencast/cost_models.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/simulated_sizing.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/token_moments.hpp"
#include "tokencast/traffic.hpp"
#include "trial_columns.hpp"

namespace tokencast::detail {

// Column indices of a cost: the horizon total, then one per month when months > 1 (else -1).
struct CostColumns {
  int total = -1;
  int first_month = -1;
  int month(int m) const { return first_month < 0 ? -1 : first_month + m; }
};

struct WorkloadPlan {
  const WorkloadSpec* spec = nullptr;
  int model = 0;
  bool hourly = false;  // its model has a capacity option, which needs hourly peaks
  bool batch = false;   // batchable on a model with a batch discount
  // Certain token distributions: resolved and their moments computed once.
  bool tokens_certain = false;
  Dist input, output;
  TokenMoments moments;
  double normal_correlation = 0;  // of the copula joining input and output (0: independent)
  double tokens_per_image = 0;    // the model's, when the workload has images_per_request
  std::optional<ImageTokens> images;  // when certain (with tokens_certain)
  // Certain traffic shape: one profile per month, computed once.
  bool shape_certain = false;
  std::vector<MonthProfile> profiles;

  int requests_col = -1, input_col = -1, output_col = -1;
  CostColumns serverless, batch_cost;
};

// The latency rule of an option sized by simulation: at which peak rate, the analytic count the
// search started from, and what the search found.
struct SimulatedSlo {
  double peak_arrival_rate_per_s = 0;
  int analytic_replicas = 0;
  SimulatedSizing sizing;
};

struct CapacityOptionPlan {
  const CapacitySpec* spec = nullptr;
  int model = 0;
  CapacityPlan plan;  // set after sizing
  double sizing_replicas_needed = 0;
  bool sizing_feasible = true;  // the need fits within limits::max_replicas
  int utilization_col = -1, overflow_share_col = -1, usd_per_mtok_col = -1, peak_needed_col = -1;
  int reservation_usd_col = -1;      // reserved capacity's cost over the horizon (no overflow)
  int full_capacity_mtok_col = -1;   // tokens the reservation serves at 100% utilization, millions
  int slo_rate_col = -1, slo_service_col = -1, slo_scv_col = -1, slo_prefill_p95_col = -1;
  int slo_prefill_mean_col = -1, slo_prefill_scv_col = -1;  // with an slo
  int autoscale_replica_hours_col = -1, autoscale_saved_col = -1, autoscale_hours_at_max_col = -1;
  // How its model's requests arrive within the hour, and whether that makes the latency rule one
  // for the pool simulation (ArrivalProcess::sized_by_simulation): then each trial's peak need is
  // the utilization rule's alone and the objective is sized once, at the sizing peak, by
  // simulating the pool (slo_simulation.hpp).
  ArrivalProcess arrivals;
  bool slo_by_simulation = false;
  std::optional<SimulatedSlo> simulated_slo;
  CapacityPlan fixed_plan;  // the reservation an autoscaling option is compared with
  CostColumns cost;

  // Replicas "auto": the reservation is sized from all the trials' peaks.
  bool auto_sized() const { return !spec->replicas; }
  // Auto-sized and billed by its reservation (not autoscaling): costed once the run is sized,
  // from each trial's kept hours (deferred_capacity.hpp).
  bool costed_after_sizing() const { return auto_sized() && !spec->autoscale; }
  // Its hours are kept, not billed, in a run with deferred slots: sized after the run, or any
  // reservation in a run drawn once for the volume grid's replay (sim/breakeven/volume_replay.cpp).
  bool deferred(bool replay) const { return costed_after_sizing() || (replay && !spec->autoscale); }
};

struct ModelPlan {
  const ModelSpec* spec = nullptr;
  std::vector<int> workloads;
  std::vector<int> capacity;  // indices into RunPlan::capacity
  bool batch = false;
  bool hourly = false;
  CostColumns serverless, batch_cost;
  int batch_peak_day_first_month = -1;  // one column per month
  int tokens_col = -1;                  // input + output tokens over the horizon
};

struct RunPlan {
  const Scenario* scenario = nullptr;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  double volume_multiplier = 1.0;
  double exact_below = exact_sum_threshold;  // requests drawn one by one up to this many
  int months = 1;
  int hours_per_month = 730;
  std::vector<MonthCalendar> calendars;
  std::vector<WorkloadPlan> workloads;
  std::vector<ModelPlan> models;
  std::vector<CapacityOptionPlan> capacity;
  CostColumns total_serverless, total_batch;
  bool any_batch = false;
  bool any_hourly = false;
  TrialColumns columns;
  std::int64_t redrawn_trials = 0;  // auto-sized trials drawn twice (deferred_capacity.hpp)
  double monthly_storage_bytes = 256.0 * (1 << 20);  // RunOptions::monthly_storage_bytes
  RunPhases phases;     // plan, simulate and size; added to over --precision rounds
  bool replay = false;  // drawn once for the volume grid's replay: every reservation is deferred
  // RunOptions::cancel: polled by the trials themselves too (one can take seconds).
  const std::atomic<bool>* cancel = nullptr;
  // The entity of each model's, workload's and capacity option's random streams: its index, or
  // with RunOptions::streams_by_name a hash of its name (key_streams_by_name).
  std::vector<std::uint64_t> model_streams, workload_streams, capacity_streams;
  // [[correlation]] groups: each trial draws their normal scores (L x independent normals) into one
  // vector; an input's place there by entity and field, -1 for an input drawn on its own.
  struct CorrelationGroup {
    int first = 0;  // of the group's scores in the vector
    const CorrelationSpec* spec = nullptr;
    std::uint64_t stream = 0;  // its position, or by name a hash of its inputs' entities and fields
    // The input held (RunOptions::held_inputs), by place in the group, and its normal score: the
    // others are drawn from their law given it. -1: none.
    int held = -1;
    double held_score = 0;
  };
  std::vector<CorrelationGroup> correlation_groups;
  int correlated_inputs = 0;
  // How a trial draws one uncertain input: its [[correlation]] score (-1: on its own), whether it
  // is held at a value (RunOptions::held_inputs), and the column it is recorded in (-1: none).
  struct InputSlot {
    int score = -1;
    bool held = false;
    double value = 0;
    int column = -1;
  };
  using InputSlots = std::array<InputSlot, CorrelatedInput::field_count>;
  std::vector<InputSlots> model_inputs, workload_inputs, capacity_inputs;
  std::vector<std::pair<CorrelatedInput, int>> recorded_inputs;  // RunOptions::recorded_inputs and their columns
};

// The slot of an input in a plan (by entity, index and field); logic_error for none.
RunPlan::InputSlot& input_slot(RunPlan& plan, const CorrelatedInput& input);

// RunOptions' draws of inputs: streams keyed by name, inputs held and inputs recorded (columns
// added: before the columns are allocated).
void apply_input_options(RunPlan& plan, const RunOptions& options);

// Keys the plan's streams by name (FNV-1a of the model id, workload name or option name).
void key_streams_by_name(RunPlan& plan);

// The daily shape a traffic spec gives for drawn peak_to_mean and peak_hour.
DailyShape daily_shape_of(const TrafficSpec& traffic, double peak_to_mean, double peak_hour);

// `exact`: every workload on the hourly path and every request drawn (the reference mode).
RunPlan make_run_plan(const Scenario& scenario, std::int64_t trials, std::uint64_t seed, bool exact = false);

// Months per block of stored monthly columns (trial_columns.hpp) for plan.trials trials within
// plan.monthly_storage_bytes: all of them when they fit, at least one.
int monthly_block_months(const RunPlan& plan);

// Bytes the run's trial columns will take.
double estimated_column_bytes(const RunPlan& plan);

}  // namespace tokencast::detail
