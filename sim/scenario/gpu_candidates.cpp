// gpu_candidates: each capacity option re-estimated on every catalog GPU and tensor-parallel degree
// that can hold its model.
#include <algorithm>

#include <fmt/format.h>

#include "sections.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/throughput.hpp"

namespace tokencast {
namespace {

constexpr int kTensorParallelDegrees[] = {1, 2, 4, 8};

// The price of `gpu` for `option`, or nothing when none is known (see gpu_candidates).
std::optional<Quantity> price_of(const CapacitySpec& option, const AcceleratorSpec& gpu, const Catalog& catalog,
                                 const std::map<std::string, double, std::less<>>& prices) {
  if (const auto it = prices.find(gpu.id); it != prices.end()) return Quantity(it->second);
  const std::string own_gpu =
      option.throughput_estimate && !option.throughput_estimate->gpu.empty() ? option.throughput_estimate->gpu : option.gpu;
  if (own_gpu == gpu.id) return option.usd_per_gpu_hour;
  // Catalog prices are for dedicated endpoints: a self-managed cluster rents at its own price.
  if (option.kind == CapacityKind::dedicated) {
    if (const GpuSpec* listed = catalog.find_gpu(gpu.id)) return Quantity(listed->usd_per_gpu_hour);
  }
  return std::nullopt;
}

}  // namespace

GpuCandidates gpu_candidates(const Scenario& scenario, const Catalog& catalog,
                             const std::map<std::string, double, std::less<>>& prices) {
  GpuCandidates out;
  for (std::size_t index = 0; index < scenario.capacity.size(); ++index) {
    const CapacitySpec& option = scenario.capacity[index];
    const ArchitectureSpec* model = catalog.find_architecture(option.model);
    if (model == nullptr) {
      out.skipped.push_back(fmt::format("option '{}': the catalog has no architecture for model '{}'", option.name,
                                        option.model));
      continue;
    }
    double tokens_per_image = 0;
    for (const ModelSpec& m : scenario.models) {
      if (m.id == option.model) tokens_per_image = m.tokens_per_image.value_or(0.0);
    }
    const loader::TokenMix mix = loader::mix_of(option.model, scenario.workloads, tokens_per_image);
    RooflineInput in;
    in.model = model;
    if (const auto& estimate = option.throughput_estimate; estimate && estimate->method == "roofline") {
      in.precision = estimate->precision == "fp8" ? Precision::fp8 : Precision::bf16;
      in.efficiency.prefill_mfu = estimate->prefill_mfu;
      in.efficiency.decode_mfu = estimate->decode_mfu;
      in.efficiency.decode_mbu = estimate->decode_mbu;
      in.efficiency.memory_fraction = estimate->memory_fraction;
    } else {
      in.precision = loader::default_precision(*model);
    }
    // A concurrency the scenario wrote is kept where it fits, and cut to what fits elsewhere.
    const bool written = option.max_concurrency > 0 &&
                         !(option.throughput_estimate && option.throughput_estimate->concurrency_from_memory);
    std::size_t added = 0;
    for (const AcceleratorSpec& gpu : catalog.accelerators) {
      in.gpu = &gpu;
      for (const int tp : kTensorParallelDegrees) {
        in.tensor_parallel = tp;
        if (model->attention_heads % tp != 0 || tp > option.gpus_per_node) continue;
        const std::int64_t fit = sequences_in_memory(in, mix.input + mix.output);
        if (fit < 1) continue;
        const int concurrency = written ? static_cast<int>(std::min<std::int64_t>(option.max_concurrency, fit)) : 0;
        GpuCandidate candidate;
        candidate.option = index;
        candidate.spec = option;
        candidate.spec.gpu = gpu.id;
        const std::optional<Quantity> price = price_of(option, gpu, catalog, prices);
        candidate.priced = price.has_value();
        candidate.spec.usd_per_gpu_hour = price.value_or(Quantity(1.0));  // unpriced: costs are not reported
        candidate.spec.gpus_per_replica = tp;
        // The question is how many replicas each GPU needs: a fixed count is sized instead.
        candidate.spec.replicas.reset();
        ThroughputEstimateSpec estimate = estimate_throughput(in, mix.input, mix.output, concurrency);
        candidate.spec.max_concurrency = option.max_concurrency > 0 || option.has_slo() ? estimate.max_concurrency : 0;
        candidate.spec.prefill_tokens_per_s = Quantity(estimate.prefill_tokens_per_s);
        candidate.spec.decode_tokens_per_s = Quantity(estimate.decode_tokens_per_s);
        candidate.spec.decode_fixed_share = estimate.decode_fixed_share;
        candidate.spec.throughput_estimate = std::move(estimate);
        out.candidates.push_back(std::move(candidate));
        ++added;
      }
    }
    if (added == 0) {
      out.skipped.push_back(fmt::format("option '{}': no catalog GPU up to 8-way tensor parallel holds '{}' at {}",
                                        option.name, option.model, to_string(in.precision)));
    }
  }
  return out;
}

}  // namespace tokencast
