#pragma once
// A scenario as loaded and validated: models with prices, workloads, capacity options. Every
// uncertain figure is a Quantity; structural integers (months, replicas, GPUs) are plain numbers.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/arrivals.hpp"
#include "tokencast/distribution.hpp"

namespace tokencast {

// Serverless prices of one model, and what the batch mode and context allow.
struct ModelSpec {
  std::string id;
  Quantity input_usd_per_mtok;
  Quantity output_usd_per_mtok;
  std::optional<Quantity> cached_input_usd_per_mtok;  // absent: cached input billed as input
  std::optional<Quantity> batch_discount;             // absent: the model has no batch mode
  std::int64_t context_tokens = 131072;
  // Input tokens one image is billed and prefilled as (a provider's published figure, or the
  // scenario's); absent: the model takes no images_per_request.
  std::optional<double> tokens_per_image;
  std::string source;  // where the prices come from (catalog entries)
  std::string as_of;   // date of the prices
  std::string note;    // caveat shown by `tokencast catalog`
  bool from_catalog = false;
  int model_table = -1;  // the [[model]] table that declares it, by order in the file; -1: none
};

// A GPU type with its dedicated-endpoint price per GPU-hour (catalog only).
struct GpuSpec {
  std::string id;  // "H100-80GB"
  double usd_per_gpu_hour = 0;
  std::string source;
  std::string as_of;
};

// The hourly shape of a workload's traffic (see docs/scenario-format.md, "traffic").
struct TrafficSpec {
  Quantity daily_peak_to_mean{1.0};  // max/mean of the daily shape, in [1, 24)
  Quantity peak_hour{14.0};          // hour of day of the peak, rounded, in [0, 24)
  std::optional<std::array<double, 24>> hourly_weights;  // replaces the two above
  Quantity weekend_factor{1.0};      // rate multiplier on days 6 and 7 of each week
  Quantity burstiness{0.0};          // coefficient of variation of the hourly Gamma factor
  Quantity monthly_growth{0.0};      // volume of month m = requests_per_month x (1+g)^(m-1)
  ArrivalProcess arrivals;           // within each hour, around its mean rate (poisson by default)
};

struct WorkloadSpec {
  std::string name;
  std::string model;
  Quantity requests_per_month;
  Quantity input_tokens;   // per-request distribution
  Quantity output_tokens;  // per-request distribution
  Quantity cached_input_share{0.0};
  // Spearman rank correlation of a request's input and output tokens, joined by a Gaussian copula
  // (docs/cost-model.md, "Correlated tokens"); 0: independent.
  double input_output_correlation = 0.0;
  // Images per request (rounded, at least 0), each billed and prefilled as the model's
  // tokens_per_image input tokens; absent: text only.
  std::optional<Quantity> images_per_request;
  bool batchable = false;
  TrafficSpec traffic;
  std::map<std::string, std::string> tags;
};

enum class CapacityKind { dedicated, gpu_cluster };
enum class OverflowPolicy { serverless, drop };

inline std::string_view to_string(CapacityKind kind) {
  return kind == CapacityKind::dedicated ? "dedicated" : "gpu_cluster";
}
inline std::string_view to_string(OverflowPolicy policy) {
  return policy == OverflowPolicy::serverless ? "serverless" : "drop";
}

// How an option's throughput was estimated from its model and GPU rather than typed
// (docs/throughput.md), kept for the outputs.
struct ThroughputEstimateSpec {
  std::string method;  // "roofline", or "measured" (a benchmark's concurrency curve)
  std::string file;    // the measured curve
  std::string gpu;     // accelerator id
  int tensor_parallel = 1;
  std::string precision;  // "bf16", "fp8"
  double prefill_mfu = 0, decode_mfu = 0, decode_mbu = 0, memory_fraction = 0;
  // The workloads' mean tokens per request the estimate is made at (weighted by volume).
  double input_tokens = 0, output_tokens = 0;
  double weights_gb = 0;              // at `precision`, over the replica's GPUs
  double kv_budget_gb = 0;            // memory left for the KV cache
  double kv_mb_per_sequence = 0;      // one sequence of input + output tokens
  std::int64_t sequences_in_memory = 0;
  int max_concurrency = 0;               // the option's, which the decode rate is taken at
  bool concurrency_from_memory = false;  // max_concurrency was derived, not written
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;               // whole replica, at max_concurrency sequences
  double decode_tokens_per_s_per_sequence = 0;  // at max_concurrency; higher when fewer run
  double decode_fixed_share = 1.0;  // of a full batch's decode step, what fewer sequences still take
};

// A [[dedicated]] endpoint or a [[gpu_cluster]] serving every workload of one model.
struct CapacitySpec {
  CapacityKind kind = CapacityKind::dedicated;
  std::string name;
  std::string model;
  std::string gpu;  // catalog GPU id, when the price came from the catalog
  Quantity usd_per_gpu_hour;
  int gpus_per_replica = 1;
  Quantity prefill_tokens_per_s;  // per replica
  Quantity decode_tokens_per_s;   // per replica, summed over the batch
  std::optional<ThroughputEstimateSpec> throughput_estimate;  // set when the two above were estimated
  // The share of a full batch's decode step that does not grow with the batch (docs/capacity.md):
  // a decode step of n sequences takes the full batch's times f + (1 - f) n / max_concurrency.
  // Typed, or from the throughput estimate; 1 (the default) decodes at the full-batch speed always.
  double decode_fixed_share = 1.0;
  Quantity max_utilization{0.75};
  std::optional<int> replicas;    // absent: "auto"
  double capacity_quantile = 0.95;
  int min_replicas = 1;
  OverflowPolicy overflow = OverflowPolicy::serverless;
  // gpu_cluster only
  int gpus_per_node = 8;
  Quantity fixed_usd_per_month{0.0};

  // Latency objective (docs/capacity.md): sequences per replica, and p95 targets in seconds.
  int max_concurrency = 0;  // 0: no queueing model
  std::optional<double> slo_wait_p95_s;
  std::optional<double> slo_ttft_p95_s;
  bool has_slo() const { return slo_wait_p95_s.has_value() || slo_ttft_p95_s.has_value(); }

  // Replicas that follow the load, re-sized every step (whole hours).
  struct Autoscale {
    int min_replicas = 1;
    int max_replicas = 1;
    int step_hours = 1;
  };
  std::optional<Autoscale> autoscale;

  // Commitment terms: each month bills at least the minimum for the reserved capacity.
  Quantity monthly_minimum_usd{0.0};
  int commitment_months = 0;
};

// One uncertain input a [[correlation]] names: which entity's which figure.
struct CorrelatedInput {
  enum class Entity { model, workload, capacity };
  enum class Field {
    // model
    input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok, batch_discount,
    // workload
    requests_per_month, cached_input_share, monthly_growth, burstiness, weekend_factor, daily_peak_to_mean, peak_hour,
    // capacity option
    usd_per_gpu_hour, prefill_tokens_per_s, decode_tokens_per_s, max_utilization, fixed_usd_per_month,
    monthly_minimum_usd,
  };
  static constexpr int field_count = 17;
  Entity entity = Entity::workload;
  int index = 0;  // into Scenario::models, workloads or capacity
  Field field = Field::requests_per_month;
  std::string path;  // as written: "workload[0].requests_per_month"
};

// A [[correlation]]: its inputs drawn through a Gaussian copula of these rank correlations, each
// input's own distribution kept as written (docs/decisions.md, "Correlated inputs").
struct CorrelationSpec {
  std::vector<CorrelatedInput> inputs;
  std::vector<double> spearman;  // n x n, row by row, as written (1 on the diagonal)
  std::vector<double> cholesky;  // n x n lower-triangular factor of the normals' correlations
};

struct Scenario {
  std::string name;
  std::string file;  // path it was loaded from, or "<embedded:quickstart.toml>"
  int months = 1;
  std::int64_t trials = 10000;
  std::uint64_t seed = 1;
  int hours_per_month = 730;
  std::vector<ModelSpec> models;  // the models workloads and capacity options use, in first-use order
  std::vector<WorkloadSpec> workloads;
  std::vector<CapacitySpec> capacity;
  std::vector<CorrelationSpec> correlations;
  std::string catalog_as_of;  // date of the catalog prices in use

  // How requests of `model` arrive within an hour: its workloads share one process (the loader
  // checks it), Poisson where none is written.
  ArrivalProcess arrivals_of(std::string_view model) const {
    for (const WorkloadSpec& w : workloads) {
      if (w.model == model) return w.traffic.arrivals;
    }
    return {};
  }
};

// "requests_per_month", "traffic.monthly_growth", "usd_per_gpu_hour": the field's key path in its table.
std::string_view field_key(CorrelatedInput::Field field);
// The field of an entity's table at that key path, if it is one an input can be.
std::optional<CorrelatedInput::Field> field_named(CorrelatedInput::Entity entity, std::string_view key);
// The key paths of an entity's inputs, comma-separated (for messages).
std::string field_keys(CorrelatedInput::Entity entity);
// The quantity an input draws from; null for an optional figure the scenario does not give.
const Quantity* input_quantity(const Scenario& scenario, const CorrelatedInput& input);
// The input's key path as scenario_toml writes the scenario: "dedicated[1].usd_per_gpu_hour".
std::string written_key_path(const Scenario& scenario, const CorrelatedInput& input);

// The input's key path in the file it was read from ("model[2].input_usd_per_mtok" names the third
// [[model]] table), the path --set and [[correlation]] take.
std::string key_path(const Scenario& scenario, const CorrelatedInput& input);
// Every input a trial draws that is not certain, by entity (models, workloads, capacity options)
// and field: what [[correlation]] can name and sensitivity varies.
std::vector<CorrelatedInput> uncertain_inputs(const Scenario& scenario);

// The copula's factor of n x n rank correlations: lower-triangular L with L L^T = 2 sin(pi rho / 6).
// `not_psd_at` is the first input left a negative variance when no joint law has them.
struct CopulaFactor {
  std::vector<double> cholesky;
  std::optional<std::size_t> not_psd_at;
  double residual_variance = 0;  // at not_psd_at
};
CopulaFactor copula_factor(const std::vector<double>& spearman, std::size_t n);

// The scenario with only these models, workloads and capacity options (indices, kept in their
// order): each [[correlation]] keeps the inputs of entities kept, and goes when fewer than two do.
Scenario scenario_subset(const Scenario& scenario, const std::vector<std::size_t>& models,
                         const std::vector<std::size_t>& workloads, const std::vector<std::size_t>& capacity);

}  // namespace tokencast
