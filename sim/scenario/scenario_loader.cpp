#include "tokencast/scenario_loader.hpp"
#include "scenario_overrides.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "nesting_scan.hpp"
#include "sections.hpp"
#include "embedded_files.hpp"
#include "toml_reader.hpp"

namespace tokencast {
namespace {

constexpr std::string_view kRootKeys[] = {"scenario", "model", "workload", "dedicated",
                                          "gpu_cluster", "correlation"};
constexpr std::string_view kScenarioKeys[] = {"name", "months", "trials", "seed",
                                              "hours_per_month"};
constexpr std::string_view kDefaultScenarioName = "quickstart.toml";

std::string size_limit_message(std::size_t bytes) {
  return fmt::format("file is {} bytes, larger than the {}-byte limit", bytes, max_scenario_bytes);
}

toml::table parse_toml(std::string_view text, std::string_view file_name) {
  loader::check_toml_nesting(text, file_name);
  try {
    return toml::parse(text, file_name);
  } catch (const toml::parse_error& error) {
    const toml::source_position begin = error.source().begin;
    throw InputError(SourcePosition{std::string(file_name), static_cast<int>(begin.line),
                                    static_cast<int>(begin.column)},
                     "", std::string(error.description()));
  }
}

void read_settings(const loader::TableReader& root, Scenario& scenario) {
  const toml::node* node = root.find("scenario");
  if (node == nullptr) {
    throw InputError(SourcePosition{std::string(root.file()), 1, 1}, "scenario",
                     "missing table [scenario] (it needs at least name = \"...\")");
  }
  const auto* table = node->as_table();
  if (table == nullptr) {
    loader::fail_at(
        root.file(), *node, "scenario",
        fmt::format("got {}, expected a table (write [scenario])", loader::type_name(*node)));
  }
  const loader::TableReader settings(root.file(), *table, "scenario");
  settings.reject_unknown_keys(kScenarioKeys);
  scenario.name = settings.required_string("name");
  scenario.months = static_cast<int>(settings.integer("months", {1, 120}).value_or(1));
  scenario.trials = settings.integer("trials", {1, 10'000'000}).value_or(10000);
  scenario.seed = static_cast<std::uint64_t>(
      settings.integer("seed", {0, std::numeric_limits<std::int64_t>::max()}).value_or(1));
  scenario.hours_per_month =
      static_cast<int>(settings.integer("hours_per_month", {1, 744}).value_or(730));
}

// The models in order of first use by workloads, then by capacity options.
std::vector<ModelSpec> used_models(const Scenario& scenario,
                                   const loader::ModelRegistry& registry) {
  std::vector<ModelSpec> models;
  auto add = [&](const std::string& id) {
    for (const ModelSpec& model : models) {
      if (model.id == id) return;
    }
    models.push_back(registry.spec(id));
  };
  for (const WorkloadSpec& workload : scenario.workloads) add(workload.model);
  for (const CapacitySpec& option : scenario.capacity) add(option.model);
  return models;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::string read_file(const std::string& path) {
  const SourcePosition where{path, 0, 0};
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InputError(where, "", "cannot read file: it is a directory");
  }
  errno = 0;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    throw InputError(where, "", fmt::format("cannot read file: {}", std::strerror(errno)));
  }
  // Regular files are refused by size before reading; pipes are read up to one byte past the limit.
  const auto size = std::filesystem::file_size(path, error);
  if (!error && size > max_scenario_bytes) {
    throw InputError(where, "", size_limit_message(static_cast<std::size_t>(size)));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, got);
    if (text.size() > max_scenario_bytes) {
      throw InputError(where, "",
                       fmt::format("file is larger than the {}-byte limit", max_scenario_bytes));
    }
    if (got < sizeof buffer) break;
  }
  if (std::ferror(file.get())) {
    throw InputError(where, "", fmt::format("cannot read file: {}", std::strerror(errno)));
  }
  return text;
}

Scenario read_scenario(const toml::table& document, std::string_view file_name, const Catalog& catalog) {
  const loader::TableReader root(file_name, document, "");
  root.reject_unknown_keys(kRootKeys);

  Scenario scenario;
  scenario.file = std::string(file_name);
  scenario.catalog_as_of = catalog.as_of;
  read_settings(root, scenario);
  loader::ModelRegistry registry(catalog);
  registry.read(root);
  scenario.workloads =
      loader::read_workloads(root, registry, scenario.months, scenario.hours_per_month);
  scenario.capacity = loader::read_capacity(root, registry, catalog, scenario.workloads);
  scenario.models = used_models(scenario, registry);
  scenario.correlations = loader::read_correlations(root, scenario);
  return scenario;
}

// One key path at or inside the other ("a.b" and "a.b.c", "a" and "a[0]"; not "a.b" and "a.bc").
bool key_paths_overlap(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  if (a.size() > b.size()) std::swap(a, b);
  return b.starts_with(a) && (b.size() == a.size() || b[a.size()] == '.' || b[a.size()] == '[');
}

}  // namespace

Scenario load_scenario_text(std::string_view toml_text, std::string_view file_name, const Catalog& catalog,
                            std::span<const ScenarioOverride> overrides) {
  if (toml_text.size() > max_scenario_bytes) {
    throw InputError(SourcePosition{std::string(file_name), 0, 0}, "",
                     size_limit_message(toml_text.size()));
  }
  toml::table document = parse_toml(toml_text, file_name);
  apply_overrides(document, overrides);
  try {
    return read_scenario(document, file_name, catalog);
  } catch (const InputError& error) {
    // An error the file's position reports, at or above a key an override set (a pert whose mode
    // moved past its max, say), names the override too.
    std::string also;
    for (const ScenarioOverride& o : overrides) {
      if (error.where().file != o.source && key_paths_overlap(o.path, error.key_path())) {
        also += fmt::format("{}{}", also.empty() ? " (after " : ", ", o.source);
      }
    }
    if (also.empty()) throw;
    throw InputError(error.where(), error.key_path(), error.message() + also + ")");
  }
}

std::string read_scenario_file(const std::string& path) { return read_file(path); }

Scenario load_scenario_file(const std::string& path, const Catalog& catalog, std::span<const ScenarioOverride> overrides) {
  return load_scenario_text(read_file(path), path, catalog, overrides);
}

std::string_view default_scenario_text() {
  for (const EmbeddedFile& file : embedded_files()) {
    if (file.name == kDefaultScenarioName) return file.contents;
  }
  throw std::logic_error("the default scenario quickstart.toml is not embedded in this build");
}

Scenario load_default_scenario(const Catalog& catalog, std::span<const ScenarioOverride> overrides) {
  return load_scenario_text(default_scenario_text(), default_scenario_file, catalog, overrides);
}

}  // namespace tokencast
