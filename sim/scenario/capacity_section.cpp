#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "quantity_parser.hpp"
#include "sections.hpp"
#include "tokencast/limits.hpp"

namespace tokencast::loader {
namespace {

constexpr std::string_view kDedicatedKeys[] = {
    "name",     "model",      "usd_per_gpu_hour",  "gpu",
    "gpus_per_replica",       "prefill_tokens_per_s", "decode_tokens_per_s",
    "max_utilization",        "replicas",          "capacity_quantile",
    "min_replicas",           "overflow",          "max_concurrency",
    "slo",                    "autoscale",         "monthly_minimum_usd",
    "commitment_months",      "throughput",        "decode_fixed_share"};

constexpr std::string_view kClusterKeys[] = {
    "name",     "model",      "usd_per_gpu_hour",  "gpu",
    "gpus_per_replica",       "prefill_tokens_per_s", "decode_tokens_per_s",
    "max_utilization",        "replicas",          "capacity_quantile",
    "min_replicas",           "overflow",          "max_concurrency",
    "slo",                    "autoscale",         "monthly_minimum_usd",
    "commitment_months",      "gpus_per_node",     "fixed_usd_per_month",
    "throughput",             "decode_fixed_share"};

constexpr std::string_view kSloKeys[] = {"wait_p95_s", "ttft_p95_s"};
constexpr std::string_view kAutoscaleKeys[] = {"min_replicas", "max_replicas", "step_minutes"};

constexpr IntRange kReplicaRange{1, limits::max_replicas};
constexpr IntRange kConcurrencyRange{1, limits::max_concurrency};
const ValueRange kGpuHourPrice = ValueRange::at_most_limit(0.0, true, limits::max_usd_per_gpu_hour);
const ValueRange kMonthlyUsd = ValueRange::at_most_limit(0.0, false, limits::max_usd_per_month);
const ValueRange kThroughput =
    ValueRange::positive_within_limits(limits::min_tokens_per_s, limits::max_tokens_per_s);
const ValueRange kMaxUtilization{limits::min_max_utilization, 1.0, false, false};
const ValueRange kSloSeconds{0.0, limits::max_slo_s, true, false};
constexpr IntRange kCommitmentRange{0, 120};
// Traffic is simulated hour by hour, so an autoscaling step is a whole number of hours, at most
// a day.
constexpr int kMinutesPerHour = 60;
constexpr int kMaxStepMinutes = 24 * kMinutesPerHour;

std::string_view section_name(CapacityKind kind) {
  return kind == CapacityKind::dedicated ? "dedicated" : "gpu_cluster";
}

std::string known_gpus(const Catalog& catalog) {
  if (catalog.gpus.empty()) return "the catalog lists no GPUs";
  std::vector<std::string_view> ids;
  for (const GpuSpec& gpu : catalog.gpus) ids.push_back(gpu.id);
  return fmt::format("known GPUs: {}", fmt::join(ids, ", "));
}

void read_price(const TableReader& table, const Catalog& catalog, CapacitySpec& spec) {
  const auto gpu = table.string("gpu");
  const GpuSpec* listed = nullptr;
  if (gpu) {
    listed = catalog.find_gpu(*gpu);
    if (listed == nullptr) {
      table.fail_key("gpu", fmt::format("unknown GPU '{}' ({})", *gpu, known_gpus(catalog)));
    }
    spec.gpu = *gpu;
  }
  // An explicit price wins over the catalog's.
  if (auto price = optional_quantity(table, "usd_per_gpu_hour", kGpuHourPrice)) {
    spec.usd_per_gpu_hour = *price;
  } else if (listed != nullptr) {
    spec.usd_per_gpu_hour = Quantity(listed->usd_per_gpu_hour);
  } else {
    table.fail_missing("usd_per_gpu_hour", "or give gpu = a catalog GPU id to use its price");
  }
}

void read_replicas(const TableReader& table, CapacitySpec& spec) {
  if (const toml::node* node = table.find("replicas")) {
    if (const auto* text = node->as_string()) {
      if (text->get() != "auto") {
        fail_at(table.file(), *node, table.path_of("replicas"),
                fmt::format("got '{}', expected \"auto\" or {}", text->get(),
                            kReplicaRange.describe()));
      }
    } else {
      spec.replicas = static_cast<int>(*table.integer("replicas", kReplicaRange));
    }
  }
  spec.min_replicas = static_cast<int>(table.integer("min_replicas", kReplicaRange).value_or(1));
  if (spec.replicas && table.find("min_replicas") != nullptr &&
      spec.min_replicas > *spec.replicas) {
    table.fail_key("min_replicas", fmt::format("is {}, more than replicas = {}", spec.min_replicas,
                                               *spec.replicas));
  }
}

void read_overflow(const TableReader& table, CapacitySpec& spec) {
  const auto overflow = table.string("overflow");
  if (!overflow || *overflow == "serverless") {
    spec.overflow = OverflowPolicy::serverless;
  } else if (*overflow == "drop") {
    spec.overflow = OverflowPolicy::drop;
  } else {
    table.fail_key("overflow",
                   fmt::format("got '{}', expected \"serverless\" or \"drop\"", *overflow));
  }
}

// The table at `key`, or nothing when absent; `example` shows the expected form in type errors.
std::optional<TableReader> inline_table(const TableReader& table, std::string_view key,
                                        std::string_view example) {
  const toml::node* node = table.find(key);
  if (node == nullptr) return std::nullopt;
  const auto* sub = node->as_table();
  if (sub == nullptr) {
    fail_at(table.file(), *node, table.path_of(key),
            fmt::format("got {}, expected a table such as {}", type_name(*node), example));
  }
  return TableReader(table.file(), *sub, table.path_of(key));
}

// Latency targets are met by queueing requests on max_concurrency slots per replica, so an slo
// without it (written, or estimated from memory) could not be sized.
void read_latency_objective(const TableReader& table, CapacitySpec& spec, bool estimated) {
  if (const auto concurrency = table.integer("max_concurrency", kConcurrencyRange)) {
    spec.max_concurrency = static_cast<int>(*concurrency);
  }
  const auto slo = inline_table(table, "slo", "{ wait_p95_s = 2.0, ttft_p95_s = 3.0 }");
  if (!slo) return;
  slo->reject_unknown_keys(kSloKeys, "an slo takes wait_p95_s and ttft_p95_s, in seconds");
  if (slo->table().empty()) {
    table.fail_key("slo", "got an empty table, expected at least one of wait_p95_s, ttft_p95_s");
  }
  spec.slo_wait_p95_s = slo->plain_number("wait_p95_s", kSloSeconds);
  spec.slo_ttft_p95_s = slo->plain_number("ttft_p95_s", kSloSeconds);
  if (spec.max_concurrency == 0 && !estimated) {
    table.fail_key("slo",
                   "needs max_concurrency (sequences per replica) to model queueing; add "
                   "max_concurrency = N to this option");
  }
}

int read_step_hours(const TableReader& autoscale) {
  const toml::node* node = autoscale.find("step_minutes");
  if (node == nullptr) return 1;
  const std::int64_t minutes = *autoscale.integer("step_minutes", IntRange{});
  const std::string path = autoscale.path_of("step_minutes");
  if (minutes <= 0 || minutes > kMaxStepMinutes) {
    fail_at(autoscale.file(), *node, path,
            fmt::format("out of range (got {}, expected a multiple of 60 in {}..{})", minutes,
                        kMinutesPerHour, kMaxStepMinutes));
  }
  if (minutes % kMinutesPerHour != 0) {
    fail_at(autoscale.file(), *node, path,
            fmt::format("step_minutes must be a multiple of 60 (traffic is simulated hour by "
                        "hour) (got {}, expected 60, 120, ..., {})",
                        minutes, kMaxStepMinutes));
  }
  return static_cast<int>(minutes / kMinutesPerHour);
}

void read_autoscale(const TableReader& table, CapacitySpec& spec) {
  const auto autoscale =
      inline_table(table, "autoscale", "{ min_replicas = 1, max_replicas = 8, step_minutes = 60 }");
  if (!autoscale) return;
  if (spec.replicas) {
    table.fail_key("autoscale",
                   fmt::format("autoscale sizes replicas itself; remove replicas = {} or autoscale",
                               *spec.replicas));
  }
  autoscale->reject_unknown_keys(kAutoscaleKeys);
  CapacitySpec::Autoscale scale;
  scale.min_replicas =
      static_cast<int>(autoscale->integer("min_replicas", kReplicaRange).value_or(1));
  const auto max_replicas = autoscale->integer("max_replicas", kReplicaRange);
  if (!max_replicas) autoscale->fail_missing("max_replicas", "the most replicas to scale up to");
  if (*max_replicas < scale.min_replicas) {
    autoscale->fail_key(
        "max_replicas",
        fmt::format("less than min_replicas (got {}, expected {})", *max_replicas,
                    IntRange{scale.min_replicas, kReplicaRange.hi}.describe()));
  }
  scale.max_replicas = static_cast<int>(*max_replicas);
  scale.step_hours = read_step_hours(*autoscale);
  spec.autoscale = scale;
}

// commitment_months only matters with a monthly_minimum_usd, but a term alone is not an error:
// it may be written before the minimum is known.
void read_commitment(const TableReader& table, CapacitySpec& spec) {
  if (auto minimum = optional_quantity(table, "monthly_minimum_usd", kMonthlyUsd)) {
    spec.monthly_minimum_usd = *minimum;
  }
  spec.commitment_months =
      static_cast<int>(table.integer("commitment_months", kCommitmentRange).value_or(0));
}

CapacitySpec read_option(const TableReader& table, CapacityKind kind, const ModelRegistry& models,
                         const Catalog& catalog, const std::vector<WorkloadSpec>& workloads) {
  if (kind == CapacityKind::dedicated) {
    for (const std::string_view cluster_only : {"gpus_per_node", "fixed_usd_per_month"}) {
      if (table.find(cluster_only) != nullptr) {
        table.fail_key_name(
            cluster_only,
            fmt::format("unknown key '{}' (only [[gpu_cluster]] options have it)", cluster_only));
      }
    }
    table.reject_unknown_keys(kDedicatedKeys);
  } else {
    table.reject_unknown_keys(kClusterKeys);
  }
  CapacitySpec spec;
  spec.kind = kind;
  spec.name = table.required_string("name");
  spec.model = table.required_string("model");
  models.require_known(table.file(), *table.find("model"), table.path_of("model"), spec.model);
  read_price(table, catalog, spec);
  spec.gpus_per_replica =
      static_cast<int>(table.integer("gpus_per_replica", IntRange{1, limits::max_gpus_per_replica}).value_or(1));
  const bool estimated = table.find("throughput") != nullptr;
  if (!estimated) {
    spec.prefill_tokens_per_s = required_quantity(table, "prefill_tokens_per_s", kThroughput);
    spec.decode_tokens_per_s = required_quantity(table, "decode_tokens_per_s", kThroughput);
    spec.decode_fixed_share = table.plain_number("decode_fixed_share", ValueRange{0.0, 1.0, true, false}).value_or(1.0);
  }
  if (auto utilization =
          optional_quantity(table, "max_utilization", kMaxUtilization)) {
    spec.max_utilization = *utilization;
  }
  read_replicas(table, spec);
  spec.capacity_quantile =
      table.plain_number("capacity_quantile", ValueRange{0.0, 1.0, true, true}).value_or(0.95);
  read_overflow(table, spec);
  read_latency_objective(table, spec, estimated);
  if (estimated) {
    read_throughput_estimate(table, catalog, workloads, models.spec(spec.model).tokens_per_image.value_or(0.0), spec);
  }
  read_autoscale(table, spec);
  read_commitment(table, spec);
  if (kind == CapacityKind::gpu_cluster) {
    spec.gpus_per_node =
        static_cast<int>(table.integer("gpus_per_node", IntRange{1, 64}).value_or(8));
    if (auto fixed = optional_quantity(table, "fixed_usd_per_month", kMonthlyUsd)) {
      spec.fixed_usd_per_month = *fixed;
    }
  }
  return spec;
}

}  // namespace

std::vector<CapacitySpec> read_capacity(const TableReader& root, const ModelRegistry& models,
                                        const Catalog& catalog,
                                        const std::vector<WorkloadSpec>& workloads) {
  std::vector<CapacitySpec> options;
  std::vector<std::string> paths;  // of each option, for duplicate messages
  for (const CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
    const std::vector<TableReader> tables = root.array_of_tables(section_name(kind));
    for (const TableReader& table : tables) {
      CapacitySpec spec = read_option(table, kind, models, catalog, workloads);
      for (std::size_t earlier = 0; earlier < options.size(); ++earlier) {
        if (options[earlier].name == spec.name) {
          table.fail_key("name",
                         fmt::format("duplicate capacity option name '{}' (also used by {})",
                                     spec.name, paths[earlier]));
        }
        if (options[earlier].kind == kind && options[earlier].model == spec.model) {
          table.fail_key("model",
                         fmt::format("model '{}' already has a [[{}]] option ({}); at most "
                                     "one per model",
                                     spec.model, section_name(kind), paths[earlier]));
        }
      }
      const bool used = std::any_of(workloads.begin(), workloads.end(),
                                    [&](const WorkloadSpec& w) { return w.model == spec.model; });
      if (!used) {
        table.fail_key("model",
                       fmt::format("no workload uses model '{}', so this option would serve "
                                   "nothing",
                                   spec.model));
      }
      options.push_back(std::move(spec));
      paths.push_back(table.path());
    }
  }
  return options;
}

}  // namespace tokencast::loader
