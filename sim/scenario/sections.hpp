#pragma once
// Readers of the [[model]], [[workload]], [[dedicated]] and [[gpu_cluster]] sections of a scenario.
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/catalog.hpp"
#include "tokencast/scenario.hpp"
#include "toml_reader.hpp"

namespace tokencast::loader {

// The models a scenario may name: its [[model]] tables merged over the catalog.
class ModelRegistry {
 public:
  explicit ModelRegistry(const Catalog& catalog) : catalog_(catalog) {}

  // Reads the [[model]] tables of `root`.
  void read(const TableReader& root);

  // Throws at `node` (the value naming `id`, at `path`) unless `id` is a [[model]] or catalog id,
  // listing similar ids.
  void require_known(std::string_view file, const toml::node& node, const std::string& path,
                     const std::string& id) const;

  // The merged spec of a known id.
  ModelSpec spec(const std::string& id) const;

 private:
  const Catalog& catalog_;
  std::vector<ModelSpec> declared_;
};

// The calendar of `months` months of `hours_per_month` hours decides whether a weekend_factor of 0
// could leave a month without any traffic.
std::vector<WorkloadSpec> read_workloads(const TableReader& root, const ModelRegistry& models,
                                         int months, int hours_per_month);

// [[correlation]] tables, against the scenario read so far (its models, workloads and options).
std::vector<CorrelationSpec> read_correlations(const TableReader& root, const Scenario& scenario);

// [[dedicated]] then [[gpu_cluster]] options; each must serve a model some workload uses.
std::vector<CapacitySpec> read_capacity(const TableReader& root, const ModelRegistry& models,
                                        const Catalog& catalog,
                                        const std::vector<WorkloadSpec>& workloads);

// A figure of a distribution whose parameters may themselves be uncertain, where loading needs
// one number: `of` (a mean, a quantile) of the distribution, averaged over its parameters on a
// fixed stream (`entity` keeps figures' streams apart).
double load_time_figure(const Quantity& quantity, std::uint64_t entity, double (*of)(const Dist&));
inline double load_time_mean(const Quantity& quantity, std::uint64_t entity) {
  return load_time_figure(quantity, entity, [](const Dist& d) { return d.mean(); });
}

// Mean tokens per request over the workloads of `model`, weighted by their mean volumes.
struct TokenMix {
  double input = 0, output = 0;
};
// The workloads' mean tokens per request on `model`, weighted by volume; images at the model's
// `tokens_per_image` count as input.
TokenMix mix_of(const std::string& model, const std::vector<WorkloadSpec>& workloads, double tokens_per_image = 0);

// The precision a model is served at unless one is written: FP8 for weights published in 8 bits
// or fewer, BF16 otherwise.
Precision default_precision(const ArchitectureSpec& model);

// One point of a measured throughput curve: at `concurrency` requests kept running, the output
// tokens per second, the mean time to first token and the mean tokens per request.
struct MeasuredPoint {
  double concurrency = 0, output_tokens_per_s = 0, ttft_s = 0, input_tokens = 0, output_tokens = 0;
};
// A vLLM benchmark_serving result (one JSON object, an array of them, or one per line) or a CSV
// with the columns concurrency,output_tokens_per_s,ttft_s,input_tokens,output_tokens; sorted by
// concurrency. Errors at FILE:LINE (FILE alone for a whole-document problem).
std::vector<MeasuredPoint> read_measured_curve(const std::string& file);

// A capacity option's `throughput` estimate (it must be present): fills prefill_tokens_per_s,
// decode_tokens_per_s, gpus_per_replica and, unless written, max_concurrency, from the catalog's
// accelerator and the architecture of the option's model, at the mean tokens of its workloads.
void read_throughput_estimate(const TableReader& option, const Catalog& catalog,
                              const std::vector<WorkloadSpec>& workloads, double tokens_per_image, CapacitySpec& spec);

}  // namespace tokencast::loader
