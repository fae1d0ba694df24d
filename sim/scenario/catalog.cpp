// The price catalog: parsing scenarios/catalog/*.toml (format in their header comments), merging
// the embedded files, and looking entries up by id.
#include "tokencast/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "embedded_files.hpp"
#include "tokencast/errors.hpp"

namespace tokencast {
namespace {

constexpr std::int64_t default_context_tokens = 131072;

const std::set<std::string, std::less<>> top_level_keys = {"catalog", "model", "gpu", "accelerator",
                                                           "architecture"};
const std::set<std::string, std::less<>> catalog_keys = {"provider"};
const std::set<std::string, std::less<>> model_keys = {
    "id",           "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok",
    "batch_discount", "context_tokens",   "source",              "as_of",
    "note", "tokens_per_image"};
const std::set<std::string, std::less<>> gpu_keys = {"id", "usd_per_gpu_hour", "source", "as_of"};
const std::set<std::string, std::less<>> accelerator_keys = {
    "id", "memory_gb", "bf16_tflops", "fp8_tflops", "memory_tb_per_s", "interconnect_gb_per_s", "nvlink",
    "source", "as_of"};
const std::set<std::string, std::less<>> architecture_keys = {
    "id",         "config",      "params_total",      "params_active", "layers",
    "hidden_size", "attention_heads", "kv_heads",     "head_dim",      "context_tokens",
    "experts",    "experts_per_token", "mla_kv_dim",  "full_attention_layers", "native_precision",
    "source"};

// Reads one file's entries, reporting errors with the file's positions and key paths.
class FileReader {
 public:
  explicit FileReader(std::string_view file_name) : file_(file_name) {}

  SourcePosition position(const toml::node& node) const {
    const auto& begin = node.source().begin;
    return {file_, static_cast<int>(begin.line), static_cast<int>(begin.column)};
  }

  [[noreturn]] void fail(const toml::node& node, const std::string& key_path, std::string message) const {
    throw InputError(position(node), key_path, std::move(message));
  }

  void reject_unknown_keys(const toml::table& table, const std::set<std::string, std::less<>>& allowed,
                           const std::string& prefix) const {
    for (const auto& [key, value] : table) {
      if (!allowed.contains(key.str())) {
        fail(value, join(prefix, key.str()), "unknown key");
      }
    }
  }

  const toml::node& require(const toml::table& table, std::string_view key, const std::string& prefix) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) fail(table, join(prefix, key), "missing (required)");
    return *node;
  }

  std::string string_value(const toml::node& node, const std::string& key_path) const {
    const auto* value = node.as_string();
    if (value == nullptr) fail(node, key_path, "expected a string");
    if (value->get().empty()) fail(node, key_path, "must not be empty");
    return value->get();
  }

  // Catalog prices are plain numbers: a distribution belongs in a scenario's override.
  double number_value(const toml::node& node, const std::string& key_path) const {
    double value = 0;
    if (const auto* f = node.as_floating_point()) {
      value = f->get();
    } else if (const auto* i = node.as_integer()) {
      value = static_cast<double>(i->get());
    } else {
      fail(node, key_path, "expected a number (catalog figures are plain numbers)");
    }
    if (!std::isfinite(value)) fail(node, key_path, "must be finite");
    return value;
  }

  double non_negative(const toml::node& node, const std::string& key_path) const {
    const double value = number_value(node, key_path);
    if (value < 0) fail(node, key_path, fmt::format("must be >= 0, got {}", value));
    return value;
  }

  // "YYYY-MM-DD", quoted or as a TOML local date; kept as text so that dates compare as strings.
  std::string date_value(const toml::node& node, const std::string& key_path) const {
    if (const auto* d = node.as_date()) {
      const toml::date& date = d->get();
      return fmt::format("{:04}-{:02}-{:02}", int{date.year}, int{date.month}, int{date.day});
    }
    const std::string text = string_value(node, key_path);
    const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                        std::all_of(text.begin(), text.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
    if (shaped) {
      const int month = std::stoi(text.substr(5, 2));
      const int day = std::stoi(text.substr(8, 2));
      if (month >= 1 && month <= 12 && day >= 1 && day <= 31) return text;
    }
    fail(node, key_path, fmt::format("expected a date YYYY-MM-DD, got \"{}\"", text));
  }

  double positive(const toml::node& node, const std::string& key_path) const {
    const double value = number_value(node, key_path);
    if (!(value > 0)) fail(node, key_path, fmt::format("must be > 0, got {}", value));
    return value;
  }

  std::int64_t integer_value(const toml::node& node, const std::string& key_path, std::int64_t lo,
                             std::int64_t hi) const {
    const auto* value = node.as_integer();
    if (value == nullptr) fail(node, key_path, "expected an integer");
    if (value->get() < lo || value->get() > hi) {
      fail(node, key_path, fmt::format("out of range (got {}, expected an integer in {}..{})", value->get(), lo, hi));
    }
    return value->get();
  }

  bool bool_value(const toml::node& node, const std::string& key_path) const {
    const auto* value = node.as_boolean();
    if (value == nullptr) fail(node, key_path, "expected true or false");
    return value->get();
  }

  static std::string join(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
  }

 private:
  std::string file_;
};

// Accumulates the entries of one or more files; ids must be unique across all of them.
class CatalogBuilder {
 public:
  void add_file(std::string_view toml_text, std::string_view file_name) {
    const FileReader reader(file_name);
    toml::table root;
    try {
      root = toml::parse(toml_text, file_name);
    } catch (const toml::parse_error& error) {
      const auto& begin = error.source().begin;
      throw InputError({std::string(file_name), static_cast<int>(begin.line), static_cast<int>(begin.column)},
                       "", std::string(error.description()));
    }
    reader.reject_unknown_keys(root, top_level_keys, "");
    // Prices need a seller; a file of specifications alone (hardware, architectures) has none.
    if (root.get("model") != nullptr || root.get("gpu") != nullptr || root.get("catalog") != nullptr) {
      read_header(reader, root);
    }
    for_each_entry(reader, root, "model", [&](const toml::table& entry, const std::string& path) {
      add_model(reader, entry, path);
    });
    for_each_entry(reader, root, "gpu", [&](const toml::table& entry, const std::string& path) {
      add_gpu(reader, entry, path);
    });
    for_each_entry(reader, root, "accelerator", [&](const toml::table& entry, const std::string& path) {
      add_accelerator(reader, entry, path);
    });
    for_each_entry(reader, root, "architecture", [&](const toml::table& entry, const std::string& path) {
      add_architecture(reader, entry, path);
    });
  }

  Catalog finish() && {
    auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
    std::sort(catalog_.models.begin(), catalog_.models.end(), by_id);
    std::sort(catalog_.gpus.begin(), catalog_.gpus.end(), by_id);
    std::sort(catalog_.accelerators.begin(), catalog_.accelerators.end(), by_id);
    std::sort(catalog_.architectures.begin(), catalog_.architectures.end(), by_id);
    for (const auto& model : catalog_.models) catalog_.as_of = std::max(catalog_.as_of, model.as_of);
    for (const auto& gpu : catalog_.gpus) catalog_.as_of = std::max(catalog_.as_of, gpu.as_of);
    return std::move(catalog_);
  }

 private:
  void read_header(const FileReader& reader, const toml::table& root) {
    const toml::node& node = reader.require(root, "catalog", "");
    const toml::table* header = node.as_table();
    if (header == nullptr) reader.fail(node, "catalog", "expected a table [catalog]");
    reader.reject_unknown_keys(*header, catalog_keys, "catalog");
    const std::string provider =
        reader.string_value(reader.require(*header, "provider", "catalog"), "catalog.provider");
    // Several files of one provider merge into that provider; different ones are listed.
    if (catalog_.provider.empty()) {
      catalog_.provider = provider;
    } else if (!providers_.contains(provider)) {
      catalog_.provider += ", " + provider;
    }
    providers_.insert(provider);
  }

  template <typename AddEntry>
  void for_each_entry(const FileReader& reader, const toml::table& root, std::string_view key,
                      AddEntry add_entry) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return;
    const toml::array* entries = node->as_array();
    if (entries == nullptr) {
      reader.fail(*node, std::string(key), fmt::format("expected an array of tables [[{}]]", key));
    }
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const std::string path = fmt::format("{}[{}]", key, i);
      const toml::node& element = *entries->get(i);
      const toml::table* entry = element.as_table();
      if (entry == nullptr) reader.fail(element, path, "expected a table");
      add_entry(*entry, path);
    }
  }

  void add_model(const FileReader& reader, const toml::table& entry, const std::string& path) {
    reader.reject_unknown_keys(entry, model_keys, path);
    auto key = [&](std::string_view name) { return FileReader::join(path, name); };
    ModelSpec model;
    const toml::node& id_node = reader.require(entry, "id", path);
    model.id = reader.string_value(id_node, key("id"));
    claim_id(reader, id_node, key("id"), "model", model.id, model_sites_);
    model.input_usd_per_mtok =
        Quantity(reader.non_negative(reader.require(entry, "input_usd_per_mtok", path), key("input_usd_per_mtok")));
    model.output_usd_per_mtok = Quantity(
        reader.non_negative(reader.require(entry, "output_usd_per_mtok", path), key("output_usd_per_mtok")));
    if (const toml::node* node = entry.get("cached_input_usd_per_mtok")) {
      model.cached_input_usd_per_mtok = Quantity(reader.non_negative(*node, key("cached_input_usd_per_mtok")));
    }
    if (const toml::node* node = entry.get("batch_discount")) {
      const double discount = reader.number_value(*node, key("batch_discount"));
      if (discount < 0 || discount >= 1) {
        reader.fail(*node, key("batch_discount"), fmt::format("must lie in [0, 1), got {}", discount));
      }
      model.batch_discount = Quantity(discount);
    }
    model.context_tokens = default_context_tokens;
    if (const toml::node* node = entry.get("context_tokens")) {
      const auto* tokens = node->as_integer();
      if (tokens == nullptr) reader.fail(*node, key("context_tokens"), "expected an integer");
      if (tokens->get() <= 0) {
        reader.fail(*node, key("context_tokens"), fmt::format("must be > 0, got {}", tokens->get()));
      }
      model.context_tokens = tokens->get();
    }
    if (const toml::node* node = entry.get("tokens_per_image")) {
      const double tokens = reader.number_value(*node, key("tokens_per_image"));
      if (!(tokens > 0 && tokens <= 1e6)) {
        reader.fail(*node, key("tokens_per_image"), fmt::format("must lie in (0, 1e6], got {}", tokens));
      }
      model.tokens_per_image = tokens;
    }
    model.source = reader.string_value(reader.require(entry, "source", path), key("source"));
    model.as_of = reader.date_value(reader.require(entry, "as_of", path), key("as_of"));
    if (const toml::node* node = entry.get("note")) model.note = reader.string_value(*node, key("note"));
    model.from_catalog = true;
    catalog_.models.push_back(std::move(model));
  }

  void add_gpu(const FileReader& reader, const toml::table& entry, const std::string& path) {
    reader.reject_unknown_keys(entry, gpu_keys, path);
    auto key = [&](std::string_view name) { return FileReader::join(path, name); };
    GpuSpec gpu;
    const toml::node& id_node = reader.require(entry, "id", path);
    gpu.id = reader.string_value(id_node, key("id"));
    claim_id(reader, id_node, key("id"), "gpu", gpu.id, gpu_sites_);
    const toml::node& price = reader.require(entry, "usd_per_gpu_hour", path);
    gpu.usd_per_gpu_hour = reader.number_value(price, key("usd_per_gpu_hour"));
    if (gpu.usd_per_gpu_hour <= 0) {
      reader.fail(price, key("usd_per_gpu_hour"), fmt::format("must be > 0, got {}", gpu.usd_per_gpu_hour));
    }
    gpu.source = reader.string_value(reader.require(entry, "source", path), key("source"));
    gpu.as_of = reader.date_value(reader.require(entry, "as_of", path), key("as_of"));
    catalog_.gpus.push_back(std::move(gpu));
  }

  void add_accelerator(const FileReader& reader, const toml::table& entry, const std::string& path) {
    reader.reject_unknown_keys(entry, accelerator_keys, path);
    auto key = [&](std::string_view name) { return FileReader::join(path, name); };
    auto positive = [&](std::string_view name) { return reader.positive(reader.require(entry, name, path), key(name)); };
    AcceleratorSpec gpu;
    const toml::node& id_node = reader.require(entry, "id", path);
    gpu.id = reader.string_value(id_node, key("id"));
    claim_id(reader, id_node, key("id"), "accelerator", gpu.id, accelerator_sites_);
    gpu.memory_gb = positive("memory_gb");
    gpu.bf16_tflops = positive("bf16_tflops");
    gpu.fp8_tflops = reader.non_negative(reader.require(entry, "fp8_tflops", path), key("fp8_tflops"));
    gpu.memory_tb_per_s = positive("memory_tb_per_s");
    gpu.interconnect_gb_per_s = positive("interconnect_gb_per_s");
    gpu.nvlink = reader.bool_value(reader.require(entry, "nvlink", path), key("nvlink"));
    gpu.source = reader.string_value(reader.require(entry, "source", path), key("source"));
    gpu.as_of = reader.date_value(reader.require(entry, "as_of", path), key("as_of"));
    catalog_.accelerators.push_back(std::move(gpu));
  }

  void add_architecture(const FileReader& reader, const toml::table& entry, const std::string& path) {
    reader.reject_unknown_keys(entry, architecture_keys, path);
    auto key = [&](std::string_view name) { return FileReader::join(path, name); };
    auto count = [&](std::string_view name, std::int64_t hi) {
      return static_cast<int>(reader.integer_value(reader.require(entry, name, path), key(name), 1, hi));
    };
    auto optional_count = [&](std::string_view name, std::int64_t hi) {
      const toml::node* node = entry.get(name);
      return node == nullptr ? 0 : static_cast<int>(reader.integer_value(*node, key(name), 1, hi));
    };
    ArchitectureSpec model;
    const toml::node& id_node = reader.require(entry, "id", path);
    model.id = reader.string_value(id_node, key("id"));
    claim_id(reader, id_node, key("id"), "architecture", model.id, architecture_sites_);
    model.config = reader.string_value(reader.require(entry, "config", path), key("config"));
    model.params_total = reader.positive(reader.require(entry, "params_total", path), key("params_total"));
    const toml::node& active = reader.require(entry, "params_active", path);
    model.params_active = reader.positive(active, key("params_active"));
    if (model.params_active > model.params_total) {
      reader.fail(active, key("params_active"),
                  fmt::format("exceeds params_total (got {}, expected at most {})", model.params_active,
                              model.params_total));
    }
    model.layers = count("layers", 100'000);
    model.hidden_size = count("hidden_size", 1'000'000);
    model.attention_heads = count("attention_heads", 100'000);
    model.kv_heads = count("kv_heads", 100'000);
    model.head_dim = count("head_dim", 100'000);
    model.context_tokens = reader.integer_value(reader.require(entry, "context_tokens", path), key("context_tokens"),
                                                1, std::int64_t{1} << 40);
    model.experts = optional_count("experts", 100'000);
    model.experts_per_token = optional_count("experts_per_token", 100'000);
    if ((model.experts == 0) != (model.experts_per_token == 0) || model.experts_per_token > model.experts) {
      reader.fail(entry, path, "experts and experts_per_token go together, with experts_per_token <= experts");
    }
    model.mla_kv_dim = optional_count("mla_kv_dim", 1'000'000);
    model.full_attention_layers = optional_count("full_attention_layers", model.layers);
    if (const toml::node* node = entry.get("native_precision")) {
      model.native_precision = reader.string_value(*node, key("native_precision"));
    }
    model.source = reader.string_value(reader.require(entry, "source", path), key("source"));
    catalog_.architectures.push_back(std::move(model));
  }

  void claim_id(const FileReader& reader, const toml::node& id_node, const std::string& key_path,
                std::string_view kind, const std::string& id, std::map<std::string, SourcePosition>& sites) {
    const auto [site, inserted] = sites.emplace(id, reader.position(id_node));
    if (!inserted) {
      const SourcePosition& first = site->second;
      reader.fail(id_node, key_path,
                  fmt::format("duplicate {} id \"{}\" (first defined at {}:{}:{})", kind, id, first.file,
                              first.line, first.column));
    }
  }

  Catalog catalog_;
  std::set<std::string, std::less<>> providers_;
  std::map<std::string, SourcePosition> model_sites_;
  std::map<std::string, SourcePosition> gpu_sites_;
  std::map<std::string, SourcePosition> accelerator_sites_;
  std::map<std::string, SourcePosition> architecture_sites_;
};

template <typename Entry>
const Entry* find_by_id(const std::vector<Entry>& entries, std::string_view id) {
  const auto it = std::lower_bound(entries.begin(), entries.end(), id,
                                   [](const Entry& entry, std::string_view key) { return entry.id < key; });
  return (it != entries.end() && it->id == id) ? &*it : nullptr;
}

}  // namespace

const ModelSpec* Catalog::find_model(std::string_view id) const { return find_by_id(models, id); }

const GpuSpec* Catalog::find_gpu(std::string_view id) const { return find_by_id(gpus, id); }

const AcceleratorSpec* Catalog::find_accelerator(std::string_view id) const { return find_by_id(accelerators, id); }

const ArchitectureSpec* Catalog::find_architecture(std::string_view id) const { return find_by_id(architectures, id); }

Catalog parse_catalog(std::string_view toml_text, std::string_view file_name) {
  CatalogBuilder builder;
  builder.add_file(toml_text, file_name);
  return std::move(builder).finish();
}

const Catalog& builtin_catalog() {
  // A function-local static: built once, thread-safely, on first use.
  static const Catalog catalog = [] {
    CatalogBuilder builder;
    for (const EmbeddedFile& file : embedded_files()) {
      if (file.name.starts_with("catalog/")) {
        builder.add_file(file.contents, fmt::format("<embedded:{}>", file.name));
      }
    }
    return std::move(builder).finish();
  }();
  return catalog;
}

}  // namespace tokencast
