#pragma once
// Reading a run's JSON in tests.
#include <nlohmann/json.hpp>

namespace tokencast::test {

// The JSON without what legitimately differs between runs of the same scenario and seed.
inline nlohmann::json without_timing(nlohmann::json j) {
  j["run"].erase("elapsed_s");
  j["run"].erase("threads");
  j["run"].erase("phases_s");
  return j;
}

}  // namespace tokencast::test
