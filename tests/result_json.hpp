#pragma once
// Reading a run's JSON in tests.
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace tokencast::test {

// The JSON without what legitimately differs between runs of the same scenario and seed.
inline nlohmann::json without_timing(nlohmann::json j) {
  j["run"].erase("elapsed_s");
  j["run"].erase("threads");
  j["run"].erase("phases_s");
  return j;
}

// The JSON of `tokencast ARGS`, which must exit 0 (its stderr shown when it does not).
inline nlohmann::json run_json(const std::string& args) {
  const CliResult r = run_cli(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace tokencast::test
