// Golden results: every shipped scenario, run with 500 trials and seed 1, must reproduce its stored
// reference tests/golden/NAME.json exactly, at one, two and five threads (a trial's draws depend only
// on its index). Only run.elapsed_s and run.threads may differ. A change meant to alter results
// regenerates the references with scripts/refresh-golden.sh (see tests/golden/README.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "result_json.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Keep in step with scripts/refresh-golden.sh.
constexpr int kGoldenTrials = 500;
constexpr int kGoldenSeed = 1;

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

// The JSON pointer of the first place where `got` differs from `expected` (objects in key order,
// arrays in index order), or nothing when they are equal.
std::optional<std::string> first_difference(const json& expected, const json& got, const std::string& pointer) {
  if (expected.type() != got.type() && !(expected.is_number() && got.is_number())) return pointer;
  if (expected.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      const std::string child = pointer + "/" + escape_pointer_token(it.key());
      if (!got.contains(it.key())) return child;
      if (auto d = first_difference(it.value(), got.at(it.key()), child)) return d;
    }
    for (auto it = got.begin(); it != got.end(); ++it) {
      if (!expected.contains(it.key())) return pointer + "/" + escape_pointer_token(it.key());
    }
    return std::nullopt;
  }
  if (expected.is_array()) {
    const std::size_t common = std::min(expected.size(), got.size());
    for (std::size_t i = 0; i < common; ++i) {
      if (auto d = first_difference(expected[i], got[i], pointer + "/" + std::to_string(i))) return d;
    }
    if (expected.size() != got.size()) return pointer + "/" + std::to_string(common);
    return std::nullopt;
  }
  if (expected != got) return pointer.empty() ? "/" : pointer;
  return std::nullopt;
}

std::string value_at(const json& j, const std::string& pointer) {
  const json::json_pointer p(pointer == "/" ? "" : pointer);
  return j.contains(p) ? j.at(p).dump() : "(absent)";
}

std::vector<std::string> shipped_scenario_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(source_path("scenarios"))) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("first_difference names the first differing JSON pointer", "[golden]") {
  const json a = json::parse(R"({"run": {"trials": 500}, "w": [{"p95": 1.5}, {"p95": 2.0}]})");
  CHECK_FALSE(first_difference(a, a, ""));
  json b = a;
  b["w"][1]["p95"] = 2.0000000000000004;
  CHECK(first_difference(a, b, "") == std::optional<std::string>("/w/1/p95"));
  b = a;
  b["w"].push_back(json::object());
  CHECK(first_difference(a, b, "") == std::optional<std::string>("/w/2"));
  b = a;
  b["run"].erase("trials");
  CHECK(first_difference(a, b, "") == std::optional<std::string>("/run/trials"));
}

TEST_CASE("every shipped scenario reproduces its golden result at 1, 2 and 5 threads", "[golden][cli]") {
  // The references hold scenario.file as "scenarios/NAME.toml", as the refresh script runs them.
  fs::current_path(TOKENCAST_SOURCE_DIR);
  const std::vector<std::string> names = shipped_scenario_names();
  REQUIRE(names.size() >= 6);
  for (const std::string& name : names) {
    INFO("scenario " << name);
    const fs::path reference = source_path("tests/golden/" + name + ".json");
    INFO("reference " << reference.string() << " (scripts/refresh-golden.sh BUILD_DIR writes it)");
    REQUIRE(fs::exists(reference));
    const json expected = json::parse(slurp(reference));
    for (const int threads : {1, 2, 5}) {
      INFO("--threads " << threads);
      const CliResult r = run_cli("run " + shell_quote("scenarios/" + name + ".toml") + " --trials " +
                                  std::to_string(kGoldenTrials) + " --seed " + std::to_string(kGoldenSeed) +
                                  " --format json --threads " + std::to_string(threads));
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const json got = without_timing(json::parse(r.out));
      const auto difference = first_difference(expected, got, "");
      if (difference) {
        FAIL_CHECK("first difference at " << *difference << ": reference " << value_at(expected, *difference)
                                          << ", got " << value_at(got, *difference));
      }
    }
  }
}

TEST_CASE("every golden reference belongs to a shipped scenario", "[golden]") {
  const std::vector<std::string> names = shipped_scenario_names();
  for (const auto& entry : fs::directory_iterator(source_path("tests/golden"))) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().filename().string() << " has no scenarios/" << entry.path().stem().string()
                                          << ".toml: remove it or run scripts/refresh-golden.sh");
    CHECK(std::binary_search(names.begin(), names.end(), entry.path().stem().string()));
  }
}
