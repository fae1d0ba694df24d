#pragma once
// Reads a scenario from TOML, validates it against the catalog and returns it; every problem is
// an InputError carrying the file position and key path.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/catalog.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// Limits on input size and nesting, refused with an InputError past them.
inline constexpr std::size_t max_scenario_bytes = 4 * 1024 * 1024;
inline constexpr int max_distribution_depth = 8;

// `--set key.path=VALUE`: a value that replaces (or adds) the one at a key path as error messages
// write it ("workload[0].traffic.burstiness", "dedicated[1].replicas", "scenario.trials").
struct ScenarioOverride {
  std::string path;    // workload[0].requests_per_month
  std::string value;   // TOML: 2e6, "text", { dist = "uniform", min = 1, max = 2 }
  std::string source;  // "--set PATH=VALUE", what errors in it are reported at
};
// Reads "PATH=VALUE"; an InputError naming it when it is not one.
ScenarioOverride parse_override(std::string_view text);

// The overrides are applied to the TOML in order before it is read; an error in an overridden value
// names the override ("--set workload[0].requests_per_month=-5: error: workload[0]...: ...").
Scenario load_scenario_file(const std::string& path, const Catalog& catalog = builtin_catalog(),
                            std::span<const ScenarioOverride> overrides = {});
// A scenario file's text, as load_scenario_file reads it (InputError naming the file when it cannot).
std::string read_scenario_file(const std::string& path);
// `file_name` is used in error messages and as Scenario::file.
Scenario load_scenario_text(std::string_view toml_text, std::string_view file_name,
                            const Catalog& catalog = builtin_catalog(), std::span<const ScenarioOverride> overrides = {});
// The default scenario compiled into the binary (scenarios/quickstart.toml).
Scenario load_default_scenario(const Catalog& catalog = builtin_catalog(), std::span<const ScenarioOverride> overrides = {});
std::string_view default_scenario_text();
// The default scenario's file name, as results and messages give it.
inline constexpr std::string_view default_scenario_file = "<embedded:quickstart.toml>";

// The scenario as TOML that the loader reads back into it: models as [[model]] tables with their
// prices, capacity priced per GPU-hour (a catalog GPU's id is left out). Saves a scenario built in
// code.
std::string scenario_toml(const Scenario& scenario);

// One input two scenarios set differently, at a key path with arrays of tables named by their
// entries ("workload[chat].requests_per_month"); a side that does not set it is empty.
struct InputChange {
  std::string path;
  std::string base, next;  // the values as TOML writes them
};
// Every difference, in key-path order; the scenarios as scenario_toml writes them (the scenario's
// name included; not its trials and seed, which a diff takes from the base).
std::vector<InputChange> input_changes(const Scenario& base, const Scenario& next);

// Checks a scenario built in code with the loader's own rules (it loads scenario_toml(scenario),
// against no catalog: the scenario must hold every model it uses). Throws the InputError a TOML
// file of the same content gets, with the same key path ("workload[0].traffic.burstiness") and
// message, and no position.
void validate_scenario(const Scenario& scenario);

// What a valid scenario asks that the model cannot give, found before any run: each a key path
// and a sentence ("dedicated[0].slo.ttft_p95_s", "the target ... is below the prefill p95 ...").
struct ScenarioWarning {
  std::string key_path;
  std::string message;
};
std::vector<ScenarioWarning> scenario_warnings(const Scenario& scenario);

}  // namespace tokencast
