#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "name_matching.hpp"
#include "quantity_parser.hpp"
#include "sections.hpp"
#include "tokencast/limits.hpp"

namespace tokencast::loader {
namespace {

constexpr std::string_view kModelKeys[] = {
    "id", "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok",
    "batch_discount", "context_tokens", "tokens_per_image"};

constexpr std::int64_t kDefaultContextTokens = 131072;
const ValueRange kPrice = ValueRange::at_most_limit(0.0, false, limits::max_usd_per_mtok);

}  // namespace

void ModelRegistry::read(const TableReader& root) {
  const std::vector<TableReader> tables = root.array_of_tables("model");
  for (std::size_t index = 0; index < tables.size(); ++index) {
    const TableReader& table = tables[index];
    table.reject_unknown_keys(kModelKeys);
    const std::string id = table.required_string("id");
    for (std::size_t earlier = 0; earlier < declared_.size(); ++earlier) {
      if (declared_[earlier].id == id) {
        table.fail_key(
            "id", fmt::format("duplicate model id '{}' (also declared by model[{}])", id, earlier));
      }
    }
    const ModelSpec* listed = catalog_.find_model(id);
    ModelSpec spec;
    if (listed != nullptr) {
      spec = *listed;
    } else {
      spec.id = id;
      spec.context_tokens = kDefaultContextTokens;
      spec.source = std::string(table.file());
    }
    const char* why_prices =
        "the model is not in the catalog, so the scenario must give its prices";
    bool overridden = false;
    if (auto price = optional_quantity(table, "input_usd_per_mtok", kPrice)) {
      spec.input_usd_per_mtok = *price;
      overridden = true;
    } else if (listed == nullptr) {
      table.fail_missing("input_usd_per_mtok", why_prices);
    }
    if (auto price = optional_quantity(table, "output_usd_per_mtok", kPrice)) {
      spec.output_usd_per_mtok = *price;
      overridden = true;
    } else if (listed == nullptr) {
      table.fail_missing("output_usd_per_mtok", why_prices);
    }
    if (auto price =
            optional_quantity(table, "cached_input_usd_per_mtok", kPrice)) {
      spec.cached_input_usd_per_mtok = *price;
      overridden = true;
    }
    if (auto discount =
            optional_quantity(table, "batch_discount", ValueRange{0.0, 1.0, false, true})) {
      spec.batch_discount = *discount;
      overridden = true;
    }
    if (auto context = table.integer("context_tokens",
                                     IntRange{2, limits::max_context_tokens})) {
      spec.context_tokens = *context;
    }
    if (auto tokens = table.plain_number("tokens_per_image", ValueRange{0.0, 1e6, true, false})) {
      spec.tokens_per_image = *tokens;
    }
    spec.from_catalog = listed != nullptr;
    spec.model_table = static_cast<int>(index);
    if (listed != nullptr && overridden) {
      spec.note = fmt::format("catalog prices overridden by {}", table.file());
    }
    declared_.push_back(std::move(spec));
  }
}

void ModelRegistry::require_known(std::string_view file, const toml::node& node,
                                  const std::string& path, const std::string& id) const {
  const bool declared = std::any_of(declared_.begin(), declared_.end(),
                                    [&](const ModelSpec& spec) { return spec.id == id; });
  if (declared || catalog_.find_model(id) != nullptr) return;
  std::vector<std::string> candidates;
  for (const ModelSpec& spec : declared_) candidates.push_back(spec.id);
  for (const ModelSpec& spec : catalog_.models) candidates.push_back(spec.id);
  const std::vector<std::string> similar = similar_ids(id, candidates);
  std::string message =
      fmt::format("unknown model '{}' (not a [[model]] id nor a catalog id; ", id);
  if (similar.empty()) {
    message += "declare it in a [[model]] table or see `tokencast catalog`)";
  } else {
    message += fmt::format("similar ids: {})", fmt::join(similar, ", "));
  }
  fail_at(file, node, path, std::move(message));
}

ModelSpec ModelRegistry::spec(const std::string& id) const {
  for (const ModelSpec& spec : declared_) {
    if (spec.id == id) return spec;
  }
  if (const ModelSpec* listed = catalog_.find_model(id)) {
    ModelSpec spec = *listed;
    spec.from_catalog = true;
    return spec;
  }
  throw std::logic_error("ModelRegistry::spec: unknown model " + id);
}

}  // namespace tokencast::loader
