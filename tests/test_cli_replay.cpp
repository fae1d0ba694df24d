// `tokencast capacity --replay` through the real binary: the shared Azure trace, a generated
// bursty trace, scaling, and bad traces (exit 2 at FILE:LINE).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokencast/random.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kScenario = "scenarios/which-gpu.toml";

fs::path azure_trace() {
  return fs::path(TOKENCAST_SHARED_DIR) / "data" / "traces" / "AzureLLMInferenceTrace_conv_2023.csv";
}

// On/off traffic as Mooncake JSONL: bursts of `burst` requests 5 ms apart, `gap_s` apart.
fs::path bursty_trace(int bursts, int burst, double gap_s) {
  const fs::path path = fs::temp_directory_path() / "tokencast-bursty-trace.jsonl";
  std::ofstream out(path);
  tokencast::Rng rng = tokencast::make_stream(5, 0, tokencast::StreamPurpose::traffic);
  double t_ms = 0;
  for (int b = 0; b < bursts; ++b) {
    t_ms += gap_s * 1000;
    for (int i = 0; i < burst; ++i) {
      t_ms += 5;
      out << "{\"timestamp\": " << t_ms << ", \"input_length\": " << 500 + static_cast<int>(1500 * rng.uniform01())
          << ", \"output_length\": " << 50 + static_cast<int>(300 * rng.uniform01()) << "}\n";
    }
  }
  return path;
}

}  // namespace

TEST_CASE("capacity --replay feeds the shared Azure trace through each pool at R-1, R and R+1", "[cli][replay]") {
  if (!fs::exists(azure_trace())) {
    WARN("../shared/data/traces is absent: the Azure trace replay is not checked");
    return;
  }
  const std::string base = "capacity " + shell_quote(source_path(kScenario).string()) + " --trials 300 --replay " +
                           shell_quote(azure_trace().string());
  const CliResult r = run_cli(base + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  const json& replay = j["replay"];
  CHECK(replay["trace"]["format"] == "azure_csv");
  CHECK(replay["trace"]["requests"] == 19366);  // as shared/data/README.md describes the trace
  CHECK(replay["trace"]["span_s"].get<double>() == Approx(3501.7).margin(0.1));
  const json& option = replay["options"][0];
  const int chosen = option["chosen_replicas"];
  CHECK(chosen == j["models"][0]["dedicated"]["replicas"].get<int>());
  REQUIRE(option["points"].size() == 3);
  CHECK(option["points"][0]["replicas"] == chosen - 1);
  CHECK(option["points"][1]["chosen"] == true);
  for (const json& p : option["points"]) {
    CHECK(p["requests"] == 19366);
    CHECK(p["wait_p50_s"].get<double>() <= p["wait_p95_s"].get<double>());
    CHECK(p["ttft_p95_s"].get<double>() <= p["ttft_p99_s"].get<double>());
    CHECK(p["objective_met"].is_boolean());
  }
  // --scale 4 and --rate at four times the trace's rate superpose the same copies.
  const json scaled = json::parse(run_cli(base + " --format json --scale 4").out);
  CHECK(scaled["replay"]["trace"]["replayed_requests"] == 4 * 19366);
  const double rate = replay["trace"]["rate_per_s"].get<double>();
  const json by_rate = json::parse(run_cli(base + " --format json --rate " + std::to_string(4 * rate)).out);
  CHECK(by_rate["replay"]["trace"]["copies"].get<double>() == Approx(4).epsilon(1e-6));
  CHECK(run_cli(base).out.find("Trace replay:") != std::string::npos);
}

TEST_CASE("a generated on/off Mooncake trace replays, and its TTFT tail does not rise with replicas", "[cli][replay]") {
  // 300 bursts of 60 requests: 0.02 requests/s on average over 60 s gaps, 200 a second inside bursts.
  const fs::path trace = bursty_trace(300, 60, 60.0);
  const CliResult r = run_cli("capacity " + shell_quote(source_path(kScenario).string()) +
                              " --trials 200 --format json --replay " + shell_quote(trace.string()));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(j["replay"]["trace"]["format"] == "mooncake_jsonl");
  const json& points = j["replay"]["options"][0]["points"];
  // TTFT p99 does not rise with more replicas.
  for (std::size_t i = 1; i < points.size(); ++i) {
    CHECK(points[i]["ttft_p99_s"].get<double>() <= points[i - 1]["ttft_p99_s"].get<double>() + 1e-12);
  }
  fs::remove(trace);
}

TEST_CASE("bad replays exit 2: a bad line at FILE:LINE, an empty trace, conflicting options", "[cli][replay][bad-input]") {
  const std::string scenario = shell_quote(source_path(kScenario).string());
  const fs::path bad = fs::temp_directory_path() / "tokencast-bad-trace.csv";
  std::ofstream(bad) << "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n"
                        "2023-11-16 18:15:47.00,abc,44\n";
  CliResult r = run_cli("capacity " + scenario + " --trials 50 --replay " + shell_quote(bad.string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(bad.string() + ":3: error: input tokens") != std::string::npos);

  const fs::path empty = fs::temp_directory_path() / "tokencast-empty-trace.jsonl";
  std::ofstream(empty) << "\n";
  r = run_cli("capacity " + scenario + " --trials 50 --replay " + shell_quote(empty.string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(empty.string() + ": error: the log holds no request") != std::string::npos);

  std::ofstream(bad) << "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n"
                        "2023-11-16 18:15:47.00,300,44\n";
  r = run_cli("capacity " + scenario + " --trials 50 --replay " + shell_quote(bad.string()) + " --scale 2 --rate 3");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--scale and --rate") != std::string::npos);
  r = run_cli("capacity " + scenario + " --trials 50 --replay " + shell_quote(bad.string()) + " --columns time=a");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--columns") != std::string::npos);
  fs::remove(bad);
  fs::remove(empty);
}
