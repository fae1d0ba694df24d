#pragma once
// The built-in catalog (scenarios/catalog/*.toml, compiled into the binary): serverless prices,
// GPU prices, accelerator specifications and model architectures.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/gpu_comparison.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/throughput.hpp"

namespace tokencast {

struct Catalog {
  std::string provider;
  std::string as_of;                 // latest as_of of its entries
  std::vector<ModelSpec> models;     // sorted by id
  std::vector<GpuSpec> gpus;         // sorted by id
  std::vector<AcceleratorSpec> accelerators;    // hardware specifications, sorted by id
  std::vector<ArchitectureSpec> architectures;  // model shapes, sorted by id

  const ModelSpec* find_model(std::string_view id) const;
  const GpuSpec* find_gpu(std::string_view id) const;
  const AcceleratorSpec* find_accelerator(std::string_view id) const;
  const ArchitectureSpec* find_architecture(std::string_view id) const;
};

// Parses one catalog file's text; throws InputError on bad entries.
Catalog parse_catalog(std::string_view toml_text, std::string_view file_name);

// The catalog compiled into the binary (parsed once, on first use).
const Catalog& builtin_catalog();

// Each capacity option on every catalog accelerator and tensor-parallel degree (1, 2, 4, 8,
// dividing the model's attention heads) that holds its model and at least one sequence of its
// workloads' mean length, the throughput estimated there (docs/throughput.md). Prices: `prices`
// (USD per GPU-hour by accelerator id) first, then the option's own price on its own GPU, then, for
// [[dedicated]] options, the catalog's dedicated-endpoint price; otherwise the candidate is unpriced.
// Replicas are sized ("auto") whatever the option fixes.
struct GpuCandidates {
  std::vector<GpuCandidate> candidates;
  std::vector<std::string> skipped;  // "option 'x': why it cannot be compared"
};
GpuCandidates gpu_candidates(const Scenario& scenario, const Catalog& catalog,
                             const std::map<std::string, double, std::less<>>& prices = {});

}  // namespace tokencast
