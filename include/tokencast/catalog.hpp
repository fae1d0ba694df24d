#pragma once
// The built-in catalog (scenarios/catalog/*.toml, compiled into the binary): serverless prices,
// GPU prices, accelerator specifications and model architectures.
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace tokencast
