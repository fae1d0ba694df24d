// `--set key.path=VALUE`: the value replaces the scenario's before it is read, on every command
// that reads a scenario; a run with an override is the run of the file edited the same way; a bad
// override is an error that names it (exit 2).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;
using namespace tokencast::test;
namespace fs = std::filesystem;

namespace {

const std::string kBase = R"([scenario]
name = "overrides"
trials = 300
seed = 5

[[workload]]
name = "chat"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = 1e6
input_tokens = { dist = "lognormal", mean = 1200, cv = 0.9 }
output_tokens = 250

[[workload]]
name = "batch"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = 2e5
input_tokens = 3000
output_tokens = 400
[workload.traffic]
hourly_weights = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]

[[dedicated]]
name = "endpoint"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
gpu = "H100-80GB"
gpus_per_replica = 4
replicas = 2
prefill_tokens_per_s = 20000
decode_tokens_per_s = 3000
)";

Scenario with(const std::vector<std::string>& set) {
  std::vector<ScenarioOverride> overrides;
  for (const std::string& s : set) overrides.push_back(parse_override(s));
  return load_scenario_text(kBase, "base.toml", builtin_catalog(), overrides);
}

std::string error_of(const std::vector<std::string>& set) {
  try {
    (void)with(set);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

// The JSON result without the fields that name the file or time the run.
std::string comparable(const std::string& json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text);
  j["scenario"].erase("file");
  j["run"].erase("elapsed_s");
  j["run"].erase("phases_s");
  return j.dump();
}

}  // namespace

TEST_CASE("an override replaces the value at a key path the errors use: numbers, tables, array elements, new tables",
          "[overrides]") {
  const Scenario s = with({"workload[0].requests_per_month=2.5e6", "scenario.trials=1234",
                           R"(workload[0].input_tokens={ dist = "gamma", mean = 800, cv = 0.5 })",
                           "workload[1].traffic.hourly_weights[3]=5", "workload[0].traffic.burstiness=0.25",
                           "workload[1].batchable=true", R"(workload[0].tags={ team = "search" })"});
  CHECK(s.workloads[0].requests_per_month.constant() == 2.5e6);
  CHECK(s.trials == 1234);
  CHECK(s.workloads[0].input_tokens.describe() == "gamma(mean=800, cv=0.5)");
  CHECK((*s.workloads[1].traffic.hourly_weights)[3] > (*s.workloads[1].traffic.hourly_weights)[2]);
  CHECK(s.workloads[0].traffic.burstiness.constant() == 0.25);  // the [workload.traffic] table made
  CHECK(s.workloads[1].batchable);
  CHECK(s.workloads[0].tags.at("team") == "search");
  // Later overrides win.
  CHECK(with({"scenario.seed=3", "scenario.seed=4"}).seed == 4);
}

TEST_CASE("a bad override names itself, the key path and what is wrong", "[overrides][bad-input]") {
  CHECK_THAT(error_of({"workload[0].requests_per_month=-5"}),
             Catch::StartsWith("--set workload[0].requests_per_month=-5: error: workload[0].requests_per_month: must be > 0"));
  CHECK_THAT(error_of({"workload[0].requests_per_mnth=5"}),
             Catch::StartsWith("--set workload[0].requests_per_mnth=5: error:") &&
                 Catch::Contains("unknown key 'requests_per_mnth' (did you mean 'requests_per_month'?)"));
  CHECK_THAT(error_of({"workload[7].output_tokens=5"}),
             Catch::Contains("workload[7]: index 7 is past the end (the scenario has 2 entries)"));
  CHECK_THAT(error_of({"gpu_cluster[0].replicas=2"}), Catch::Contains("the scenario has no 'gpu_cluster' to index"));
  CHECK(with({"dedicated[0].replicas=7"}).capacity[0].replicas == 7);
  CHECK_THAT(error_of({"workload[0].input_tokens={ dist = \"lognormal\""}), Catch::Contains("the value is not TOML"));
  CHECK_THAT(error_of({"workload[0].output_tokens"}), Catch::Contains("expected KEY.PATH=VALUE"));
  CHECK_THAT(error_of({"workload[0]..output_tokens=1"}), Catch::Contains("is not a key path"));
  CHECK_THAT(error_of({"scenario.name.first=1"}), Catch::Contains("scenario.name: is not a table"));
  CHECK_THAT(error_of({R"(workload[0].input_tokens={ dist = "lognormal", mean = 900 })"}),
             Catch::StartsWith("--set workload[0].input_tokens=") &&
                 Catch::Contains("lognormal takes exactly one of mu+sigma, median+sigma, mean+cv, median+p95"));
  // An edit inside a table the file wrote, wrong only with the file's other keys: the file's
  // position, and the override named.
  CHECK_THAT(error_of({"workload[0].input_tokens.median=900"}),
             Catch::StartsWith("base.toml:") && Catch::Contains("workload[0].input_tokens") &&
                 Catch::Contains("(after --set workload[0].input_tokens.median=900)"));
  // A table the override made, wrong as a whole: the override is its position.
  CHECK_THAT(error_of({"workload[0].traffic.arrivals.model=\"onoff\""}),
             Catch::StartsWith("--set workload[0].traffic.arrivals.model=\"onoff\": error: workload[0].traffic.arrivals"));
}

TEST_CASE("run --set gives the run of the file edited the same way; every scenario command takes it; bad exits 2",
          "[overrides][cli]") {
  TempDir dir;
  const fs::path base = dir.write("base.toml", kBase);
  std::string edited = kBase;
  edited = std::regex_replace(edited, std::regex("requests_per_month = 1e6"), "requests_per_month = 3e6");
  const fs::path edited_path = dir.write("edited.toml", edited);
  const CliResult a = run_cli("run " + shell_quote(base.string()) + " --format json --set 'workload[0].requests_per_month=3e6'");
  const CliResult b = run_cli("run " + shell_quote(edited_path.string()) + " --format json");
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(comparable(a.out) == comparable(b.out));
  for (const std::string command : {"breakeven", "capacity", "validate"}) {
    INFO(command);
    const CliResult r = run_cli(command + " " + shell_quote(base.string()) + " --set 'scenario.trials=200'");
    CHECK(r.exit_code == 0);
    const CliResult bad = run_cli(command + " " + shell_quote(base.string()) + " --set 'workload[0].output_tokens=-1'");
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--set workload[0].output_tokens=-1: error: workload[0].output_tokens"));
  }
  // On the embedded default scenario too.
  CHECK(run_cli("run --trials 200 --set 'scenario.months=2'").exit_code == 0);
}
