#include <algorithm>

#include <fmt/format.h>

#include "quantity_parser.hpp"
#include "sections.hpp"

namespace tokencast::loader {
namespace {

constexpr std::string_view kDedicatedKeys[] = {
    "name",     "model",      "usd_per_gpu_hour",  "gpu",
    "gpus_per_replica",       "prefill_tokens_per_s", "decode_tokens_per_s",
    "max_utilization",        "replicas",          "capacity_quantile",
    "min_replicas",           "overflow"};

constexpr std::string_view kClusterKeys[] = {
    "name",     "model",      "usd_per_gpu_hour",  "gpu",
    "gpus_per_replica",       "prefill_tokens_per_s", "decode_tokens_per_s",
    "max_utilization",        "replicas",          "capacity_quantile",
    "min_replicas",           "overflow",          "gpus_per_node",
    "fixed_usd_per_month"};

constexpr IntRange kReplicaRange{1, 100000};

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
  if (auto price = optional_quantity(table, "usd_per_gpu_hour", ValueRange::positive())) {
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

CapacitySpec read_option(const TableReader& table, CapacityKind kind, const ModelRegistry& models,
                         const Catalog& catalog) {
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
      static_cast<int>(table.integer("gpus_per_replica", IntRange{1, 1024}).value_or(1));
  spec.prefill_tokens_per_s =
      required_quantity(table, "prefill_tokens_per_s", ValueRange::positive());
  spec.decode_tokens_per_s =
      required_quantity(table, "decode_tokens_per_s", ValueRange::positive());
  if (auto utilization =
          optional_quantity(table, "max_utilization", ValueRange{0.0, 1.0, true, false})) {
    spec.max_utilization = *utilization;
  }
  read_replicas(table, spec);
  spec.capacity_quantile =
      table.plain_number("capacity_quantile", ValueRange{0.0, 1.0, true, true}).value_or(0.95);
  read_overflow(table, spec);
  if (kind == CapacityKind::gpu_cluster) {
    spec.gpus_per_node =
        static_cast<int>(table.integer("gpus_per_node", IntRange{1, 64}).value_or(8));
    if (auto fixed = optional_quantity(table, "fixed_usd_per_month", ValueRange::non_negative())) {
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
      CapacitySpec spec = read_option(table, kind, models, catalog);
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
