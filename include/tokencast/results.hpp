#pragma once
// What a run reports: statistics per workload, per model and mode, and in total.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/scenario.hpp"
#include "tokencast/cost_models.hpp"
#include "tokencast/summary.hpp"

namespace tokencast {

// Cost of one mode over the horizon, and per month when the horizon has more than one.
// How a model's work is bought; the cheapest plan takes, per model, the mode of lowest mean cost.
enum class Mode { serverless, batch, dedicated, gpu_cluster, cheapest_plan };

// The mode's key in JSON and CSV: "serverless", "batch", "dedicated", "gpu_cluster", "cheapest_plan".
constexpr std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::serverless: return "serverless";
    case Mode::batch: return "batch";
    case Mode::dedicated: return "dedicated";
    case Mode::gpu_cluster: return "gpu_cluster";
    case Mode::cheapest_plan: return "cheapest_plan";
  }
  return "";
}
// The mode that buys a capacity option of `kind`.
constexpr Mode mode_of(CapacityKind kind) { return kind == CapacityKind::dedicated ? Mode::dedicated : Mode::gpu_cluster; }

struct ModeCost {
  Mode mode = Mode::serverless;
  Summary total_usd;
  std::vector<Summary> monthly_usd;  // empty when months == 1
  Histogram histogram;               // of total_usd over trials
};

struct WorkloadResult {
  std::string name;
  std::string model;
  std::map<std::string, std::string> tags;
  Summary requests;       // over the horizon
  Summary input_tokens;   // over the horizon
  Summary output_tokens;  // over the horizon
  std::vector<ModeCost> costs;  // serverless, then batch when the workload can use it
};

// Replicas sized to a latency objective by the M/G/c approximation (docs/capacity.md).
// The objective sized by simulating the pool at the sizing peak.
struct SimulatedSloResult {
  int analytic_replicas = 0;  // what the closed form gives, where the search started
  int evaluations = 0;        // pools simulated
  double measured_s = 0;      // each one's simulated span
  std::int64_t requests = 0;  // arrivals measured in each
  double wait_p95_s = 0, ttft_p95_s = 0, wait_probability = 0, utilization = 0;  // at `replicas`
};

struct SloSizing {
  double peak_arrival_rate_per_s = 0;  // capacity_quantile of the trials' peak-hour rate
  double mean_service_s = 0;           // a slot held: prefill plus decode at max_concurrency
  double service_scv = 0;              // squared coefficient of variation of the service time
  int replicas = 0;                    // fewest replicas meeting the objective at that rate (when feasible)
  double wait_probability = 0;         // Erlang C at those replicas
  double wait_p95_s = 0;               // predicted
  double ttft_p95_s = 0;               // predicted
  // False when no replica count up to limits::max_replicas meets the objective at that rate;
  // `reachable` false when no count at all would (a ttft target below the prefill p95).
  bool feasible = true;
  bool reachable = true;
  double prefill_p95_s = 0;            // the prefill time no wait can take away
  double prefill_mean_s = 0;           // on the replica's one prefill resource
  double prefill_scv = 0;
  // Of a full batch's decode step, the share fewer sequences still take (1: one decode speed).
  double decode_fixed_share = 1;
  // At the replicas reserved: the requests' work (prefill plus their share of full-batch decode)
  // over the replicas' time at the sizing peak.
  double utilization = 0;
  // False when the reserved replicas cannot keep up with the sizing peak: their waits grow
  // without bound (wait_p95_s and ttft_p95_s are then infinite: null in JSON, "unstable" in tables).
  bool stable = true;
  // How requests arrive within the hour, and how the objective was sized under them: by the closed
  // form ("analytic"), or by simulating the pool where the closed form is not accurate
  // ("simulation", docs/capacity.md "Bursts below the hour").
  std::string arrivals = "poisson";
  double interarrival_scv = 1;
  double dispersion_index_60s = 1;     // variance over mean of the arrivals in 60 s windows
  std::string method = "analytic";
  std::optional<SimulatedSloResult> simulated;
};

// A capacity option whose replicas follow the load step by step.
struct AutoscaleResult {
  int min_replicas = 0, max_replicas = 0, step_hours = 1;
  Summary replica_hours;
  Summary saved_usd;               // fixed reservation's cost minus the autoscaled cost, per trial
  Summary hours_at_max_overflowing;  // hours at max_replicas whose work still overflowed
};

struct CapacityResult {
  CapacityKind kind = CapacityKind::dedicated;
  std::string name;
  std::string gpu;
  bool auto_sized = false;
  CapacityPlan plan;                  // replicas, GPUs, nodes reserved
  double sizing_replicas_needed = 0;  // capacity_quantile of per-trial peak-hour replicas needed
  // False when the sizing asked for more than the model can give (more than limits::max_replicas
  // replicas, or a latency objective no replica count meets); `infeasible_reason` says which, and
  // the plan is the best the scenario allows (the limit, the rest overflowing).
  bool feasible = true;
  std::string infeasible_reason;
  OverflowPolicy overflow = OverflowPolicy::serverless;
  Summary utilization;     // work served / (replicas x 3600 s x hours)
  Summary overflow_share;  // work above capacity / all work
  Summary usd_per_mtok;    // mode cost / tokens served (including overflow served on serverless)
  Summary peak_replicas_needed;  // per trial: peak-hour work / (3600 s x max_utilization)
  std::optional<SloSizing> slo;              // when the option has an slo
  std::optional<AutoscaleResult> autoscale;  // when the option autoscales
  std::optional<ThroughputEstimateSpec> throughput;  // when its throughput was estimated, not typed
};

struct ModelResult {
  std::string model;
  std::vector<std::string> workloads;
  std::vector<ModeCost> costs;  // in order serverless, batch, dedicated, gpu_cluster; those that apply
  std::optional<CapacityResult> dedicated;
  std::optional<CapacityResult> gpu_cluster;
  Mode cheapest = Mode::serverless;  // the mode with the lowest mean cost
  Summary batch_peak_day_tokens;          // batchable tokens of the busiest day (when batch applies)
  std::vector<int> batch_limit_months;    // 1-based months whose p95 exceeds the enqueued limit
};

// A percentile band at one point of a curve.
struct BandPoint {
  double x = 0;
  double p5 = 0, p50 = 0, p95 = 0;
};

// A capacity option's effective $ per 1M tokens as its utilization varies, against serverless.
struct UtilizationCurve {
  std::string model;
  std::string option;  // capacity option name
  CapacityKind kind = CapacityKind::dedicated;
  int replicas = 0;
  std::vector<BandPoint> option_usd_per_mtok;  // x = utilization (share of full capacity)
  Summary serverless_usd_per_mtok;             // the model's blended serverless rate
  Summary breakeven_utilization;               // u* per trial: option $/1M = serverless $/1M
  double probability_breakeven_reachable = 0;  // share of trials with u* <= 1
};

// Monthly cost of each mode across a grid of volumes (multiples of the scenario's volume).
struct VolumePoint {
  double multiplier = 1;
  double requests_per_month = 0;  // mean over trials of the model's volume at this point
  std::vector<ModeCost> costs;    // per month (horizon total / months), per mode
  std::map<std::string, double> probability_cheaper;  // capacity option name -> P(option < serverless)
  std::map<std::string, int> replicas;                // capacity option name -> replicas at this point
};

struct VolumeBreakeven {
  std::string option;
  CapacityKind kind = CapacityKind::dedicated;
  // Monthly requests where P(option cheaper than serverless) crosses 50%, 10% and 90%;
  // absent when the probability does not cross that level inside the grid.
  std::optional<double> requests_per_month_50, requests_per_month_10, requests_per_month_90;
  std::optional<double> multiplier_50, multiplier_10, multiplier_90;
};

struct VolumeCurve {
  std::string model;
  std::vector<VolumePoint> points;
  std::vector<VolumeBreakeven> breakeven;
};

struct BreakevenResult {
  std::vector<UtilizationCurve> utilization;
  std::vector<VolumeCurve> volume;
  std::string volume_method;  // "replay" or "resimulate" (with volume curves)
};

// Cost percentiles per value of one tag (sums taken inside each trial).
struct GroupBreakdown {
  struct Entry {
    std::string value;  // "(untagged)" for workloads without the key
    std::vector<std::string> workloads;
    std::vector<ModeCost> costs;  // serverless, batch (when any workload can), cheapest_plan
  };
  std::string key;
  std::vector<Entry> entries;
};

// Wall seconds of a run's phases (run.phases_s, --timings). simulate and statistics are parallel
// regions; the others run on one thread.
struct RunPhases {
  double load_s = 0;        // reading and checking the scenario (set by the caller that loads it)
  double plan_s = 0;        // the run's layout, its limits checked, its columns allocated
  double simulate_s = 0;    // drawing the trials (every pass, every block of months)
  double size_s = 0;        // sizing reservations from the drawn trials, between passes
  double statistics_s = 0;  // summaries, groups, monthly series, utilization curves
  double output_s = 0;      // rendering outputs (set by the caller that renders them)
  double total_s() const { return load_s + plan_s + simulate_s + size_s + statistics_s + output_s; }
  // The share of the time outside the parallel regions.
  double serial_share() const {
    const double total = total_s();
    return total > 0 ? (load_s + plan_s + size_s + output_s) / total : 0.0;
  }
};

// Something a reader of the result must know: a code and the figures it names; output turns it
// into text (warning_text in output.hpp).
enum class WarningCode {
  capacity_infeasible,      // an option's sizing asks for more than the model can give
  commitment_past_horizon,  // an option commits to more months than the horizon
  capacity_drops_work,      // overflow = "drop" and work is dropped
  batch_token_limit,        // the busiest day's batch tokens pass the enqueued-token limit
  precision_capped,         // --precision stopped where more trials would pass a limit
};

struct RunWarning {
  WarningCode code = WarningCode::capacity_infeasible;
  CapacityKind kind = CapacityKind::dedicated;  // the capacity option's (capacity warnings)
  std::string subject;     // the capacity option's name; the model's id for batch_token_limit
  std::string model;       // capacity_drops_work: whose work is dropped
  std::string reason;      // capacity_infeasible: CapacityResult::infeasible_reason
  double share = 0;        // capacity_drops_work: median share of the work dropped
  int commitment_months = 0;  // commitment_past_horizon
  int months = 0;             // the horizon, in months
  int months_over = 0;        // batch_token_limit: months whose p95 passes the limit
  double limit_tokens = 0;    // batch_token_limit: the enqueued-token limit
  double peak_day_tokens = 0; // batch_token_limit: p95 of the busiest day's batch tokens
  std::int64_t trials = 0;    // precision_capped: the trials it stopped at
};

// A statistic with its 95% interval (infinite bounds: unknown, under 40 trials).
struct Estimate {
  double value = 0, lo = 0, hi = 0;
};

// How much of the cheapest plan's total one uncertain input explains (sensitivity.hpp): its
// first-order variance share and its Spearman rank correlation, from the run's own trials.
struct InputShare {
  std::string key_path;  // "workload[0].requests_per_month"
  Estimate first_order;
  Estimate rank_correlation;
};

struct RunResult {
  std::string scenario_name;
  std::string scenario_file;
  std::string catalog_as_of;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  int months = 1;
  int hours_per_month = 730;
  double elapsed_s = 0;
  RunPhases phases;
  std::vector<WorkloadResult> workloads;
  std::vector<ModelResult> models;
  std::vector<ModeCost> total;  // serverless, batch (when any model has it), cheapest_plan
  std::vector<GroupBreakdown> groups;      // one per --group-by key
  std::optional<BreakevenResult> breakeven;
  // Set when the run added trials to reach a precision target (--precision).
  struct Precision {
    double target = 0;             // relative standard error asked for
    double achieved = 0;           // largest relative SE of a reported p50 or p95
    std::int64_t max_trials = 0;
    bool reached = false;
  };
  std::optional<Precision> precision;
  bool exact = false;  // every request drawn individually (--exact)
  // Trials drawn a second time because an auto-sized option overflowed in an hour not kept for
  // costing it after sizing (sim/engine/deferred_capacity.hpp): the price of one pass for the rest.
  std::int64_t redrawn_trials = 0;
  std::vector<RunWarning> warnings;
  // With RunOptions::recorded_inputs: each input's share of the cheapest plan's total, largest first.
  std::vector<InputShare> drivers;

  const ModeCost* total_cost(Mode mode) const;
};

const ModeCost* find_cost(const std::vector<ModeCost>& costs, Mode mode);

}  // namespace tokencast
