// Throughput from model x GPU through the real binary: the estimate in a run's JSON, table and
// report; `capacity --compare-gpus`; and `validate`'s warning for a target no pool can meet.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "result_json.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/throughput.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kWhichGpu = "scenarios/which-gpu.toml";

}  // namespace

TEST_CASE("a roofline throughput reaches the JSON, the table and the report as the library estimates it",
          "[cli][throughput]") {
  const std::string scenario = shell_quote(source_path(kWhichGpu).string());
  const json j = run_json("run " + scenario + " --trials 300 --format json");
  const json& option = j["models"][0]["dedicated"];
  const json& estimate = option["throughput_estimate"];
  CHECK(estimate["method"] == "roofline");
  CHECK(estimate["gpu"] == "H100-80GB");
  CHECK(estimate["tensor_parallel"] == 2);
  CHECK(estimate["precision"] == "fp8");
  CHECK(option["gpus"].get<int>() == 2 * option["replicas"].get<int>());

  // The same figures from the library, at the workload's mean tokens (fixed means: 1155 and 211).
  const tokencast::Catalog& catalog = tokencast::builtin_catalog();
  tokencast::RooflineInput in;
  in.model = catalog.find_architecture("meta-llama/Llama-3.3-70B-Instruct-Turbo");
  in.gpu = catalog.find_accelerator("H100-80GB");
  in.tensor_parallel = 2;
  in.precision = tokencast::Precision::fp8;
  REQUIRE(in.model != nullptr);
  const tokencast::ThroughputEstimateSpec expected = tokencast::estimate_throughput(in, 1155, 211, 0);
  CHECK(estimate["mean_input_tokens"].get<double>() == Approx(1155));
  CHECK(estimate["prefill_tokens_per_s"].get<double>() == Approx(expected.prefill_tokens_per_s));
  CHECK(estimate["decode_tokens_per_s"].get<double>() == Approx(expected.decode_tokens_per_s));
  CHECK(estimate["max_concurrency"].get<int>() == expected.max_concurrency);
  CHECK(estimate["sequences_in_memory"].get<std::int64_t>() == expected.sequences_in_memory);
  CHECK(estimate["max_concurrency_from_memory"] == true);
  CHECK(estimate["decode_fixed_share"].get<double>() == Approx(expected.decode_fixed_share));
  CHECK(option["slo"]["decode_fixed_share"].get<double>() == Approx(expected.decode_fixed_share));

  const CliResult table = run_cli("run " + scenario + " --trials 300");
  CHECK(table.out.find("dedicated-70b: throughput estimated (roofline, 2 x H100-80GB, fp8)") != std::string::npos);

  const fs::path report = fs::temp_directory_path() / "tokencast-throughput-report.html";
  const CliResult r = run_cli("run " + scenario + " --trials 300 --report " + shell_quote(report.string()));
  REQUIRE(r.exit_code == 0);
  CHECK(slurp(report).find("roofline estimate: 2 × H100-80GB, fp8") != std::string::npos);
  fs::remove(report);
}

TEST_CASE("capacity --compare-gpus sizes every GPU that holds the model and marks one cheapest", "[cli][throughput]") {
  const std::string scenario = shell_quote(source_path(kWhichGpu).string());
  const std::string args = "capacity " + scenario + " --trials 300 --compare-gpus --format json";
  const json j = run_json(args);
  const json& choices = j["gpu_comparison"]["choices"];
  REQUIRE(choices.size() >= 12);
  int cheapest = 0;
  double cheapest_mean = 0;
  for (const json& c : choices) {
    INFO(c["gpu"] << " x" << c["tensor_parallel"]);
    // Weights and one sequence fit wherever a choice is listed.
    CHECK(c["throughput_estimate"]["sequences_in_memory"].get<std::int64_t>() >= 1);
    CHECK(c["throughput_estimate"]["weights_gb"].get<double>() > 0);
    if (c["cheapest"].get<bool>()) {
      ++cheapest;
      cheapest_mean = c["cost_usd"]["mean"].get<double>();
      CHECK(c["objective_met"] == true);
    }
    // Only the catalog's dedicated prices are known: A100, L40S and MI300X are sized, not costed.
    const std::string gpu = c["gpu"];
    const bool priced = gpu == "H100-80GB" || gpu == "H200-141GB" || gpu == "B200-180GB";
    CHECK(c["cost_usd"].is_null() == !priced);
  }
  CHECK(cheapest == 1);
  for (const json& c : choices) {
    if (c["objective_met"].get<bool>() && !c["cost_usd"].is_null()) CHECK(c["cost_usd"]["mean"].get<double>() >= cheapest_mean);
  }
  // The scenario's own configuration, sized alone, is the run's own sizing.
  bool found = false;
  for (const json& c : choices) {
    if (c["gpu"] == "H100-80GB" && c["tensor_parallel"] == 2) {
      found = true;
      CHECK(c["replicas"] == j["models"][0]["dedicated"]["replicas"]);
    }
  }
  CHECK(found);
  // The same numbers at any thread count.
  CHECK(without_timing(run_json(args + " --threads 1")) == without_timing(run_json(args + " --threads 2")));

  // A price for a GPU the catalog does not price costs it too.
  const json priced = run_json(args + " --gpu-price MI300X-192GB=4.5");
  for (const json& c : priced["gpu_comparison"]["choices"]) {
    if (c["gpu"] == "MI300X-192GB") CHECK(c["usd_per_gpu_hour"] == 4.5);
  }
  for (const std::string bad : {"MI300X-192GB", "H100=2", "MI300X-192GB=-1", "MI300X-192GB=abc"}) {
    INFO(bad);
    const CliResult r = run_cli("capacity " + scenario + " --trials 50 --compare-gpus --gpu-price " + shell_quote(bad));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--gpu-price") != std::string::npos);
  }

  const CliResult text = run_cli("capacity " + scenario + " --trials 300 --compare-gpus");
  CHECK(text.out.find("Which GPU?") != std::string::npos);
  CHECK(text.out.find("← cheapest") != std::string::npos);
  const fs::path report = fs::temp_directory_path() / "tokencast-compare-gpus.html";
  REQUIRE(run_cli("capacity " + scenario + " --trials 300 --compare-gpus --report " + shell_quote(report.string()))
              .exit_code == 0);
  const std::string html = slurp(report);
  CHECK(html.find("<section id=\"gpus\"><h2>Which GPU?</h2>") != std::string::npos);
  CHECK(html.find("(cheapest)") != std::string::npos);
  fs::remove(report);
}

TEST_CASE("validate warns, with the key path, of a ttft target below the prefill p95", "[cli][throughput]") {
  std::string text = slurp(source_path(kWhichGpu));
  const std::string target = "slo = { ttft_p95_s = 2.0 }";
  REQUIRE(text.find(target) != std::string::npos);
  text.replace(text.find(target), target.size(), "slo = { ttft_p95_s = 0.01 }");
  const fs::path file = fs::temp_directory_path() / "tokencast-unreachable-target.toml";
  std::ofstream(file) << text;
  const CliResult r = run_cli("validate " + shell_quote(file.string()));
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("warning: " + file.string() + ": dedicated[0].slo.ttft_p95_s: the target of 0.01 s is below the "
                   "prefill p95") != std::string::npos);
  // The scenario as shipped draws no warning.
  CHECK(run_cli("validate " + shell_quote(source_path(kWhichGpu).string())).err.empty());
  // And the run says infeasible rather than printing a count it did not size.
  const json j = run_json("run " + shell_quote(file.string()) + " --trials 200 --format json");
  CHECK(j["models"][0]["dedicated"]["feasible"] == false);
  CHECK(j["models"][0]["dedicated"]["slo"]["replicas"].is_null());
  fs::remove(file);
}

namespace {

// A dedicated option whose rates come from a measured curve at `curve` (relative to the scenario).
std::string measured_scenario(const std::string& curve, const std::string& concurrency) {
  return R"([scenario]
name = "measured curve"
trials = 200
seed = 3

[[workload]]
name = "chat"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = 2e7
input_tokens = 1000
output_tokens = 200

[[dedicated]]
name = "bench"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
gpu = "H100-80GB"
gpus_per_replica = 2
)" + concurrency + "throughput = { file = \"" + curve + "\" }\nreplicas = \"auto\"\nslo = { ttft_p95_s = 2.0 }\n";
}

// Built from the slot model itself: prefill 10,000 tokens/s (1,000 tokens in 0.1 s at one
// request), and at 16 requests a slot held 0.1 + 200 x 16 / 2,000 = 1.7 s, so 16 x 200 / 1.7 output
// tokens/s: the rates read back must be 10,000 and 2,000.
constexpr double kAt16 = 16.0 * 200.0 / 1.7;

}  // namespace

TEST_CASE("a measured curve (CSV or vLLM benchmark_serving JSON) gives an option its rates", "[cli][throughput]") {
  TempDir dir;
  dir.write("curve.csv", fmt::format("concurrency,output_tokens_per_s,ttft_s,input_tokens,output_tokens\n"
                                     "1,180,0.1,1000,200\n16,{},0.4,1000,200\n32,2500,0.9,1000,200\n",
                                     kAt16));
  std::string results = "[";
  const double points[][3] = {{1, 180, 100}, {16, kAt16, 400}, {32, 2500, 900}};
  for (const auto& p : points) {
    results += fmt::format(R"({}{{"max_concurrency": {}, "output_throughput": {}, "mean_ttft_ms": {}, "completed": 100,
      "total_input_tokens": 100000, "total_output_tokens": 20000, "duration": 60.0}})",
                           results.size() > 1 ? "," : "", p[0], p[1], p[2]);
  }
  dir.write("bench.json", results + "]");
  for (const std::string curve : {"curve.csv", "bench.json"}) {
    INFO(curve);
    const fs::path scenario = dir.write("s.toml", measured_scenario(curve, "max_concurrency = 16\n"));
    const json j = run_json("run " + shell_quote(scenario.string()) + " --format json");
    const json& option = j["models"][0]["dedicated"];
    const json& estimate = option["throughput_estimate"];
    CHECK(estimate["method"] == "measured");
    CHECK(estimate["file"].get<std::string>().find(curve) != std::string::npos);
    CHECK(estimate["max_concurrency"] == 16);
    CHECK(estimate["prefill_tokens_per_s"].get<double>() == Approx(10000));
    CHECK(estimate["decode_tokens_per_s"].get<double>() == Approx(2000));
    // A sequence decodes at 200 / (200 / 180 - 0.1) tokens/s alone and 2000 / 16 at 16: a step
    // takes the inverse, and the line through the two at 0 over the step at 16 is f.
    const double step_1 = (200.0 / 180.0 - 0.1) / 200.0, step_16 = 16.0 / 2000.0;
    const double per_sequence = (step_16 - step_1) / 15.0;
    CHECK(estimate["decode_fixed_share"].get<double>() == Approx((step_16 - 16 * per_sequence) / step_16));
    CHECK(option["gpus"].get<int>() == 2 * option["replicas"].get<int>());

    const CliResult table = run_cli("run " + shell_quote(scenario.string()));
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.find("throughput from a measured curve") != std::string::npos);
  }
  // Without max_concurrency the curve's top concurrency is the option's; between points, linear.
  const fs::path top = dir.write("top.toml", measured_scenario("curve.csv", ""));
  CHECK(run_json("run " + shell_quote(top.string()) + " --format json")["models"][0]["dedicated"]
                ["throughput_estimate"]["max_concurrency"] == 32);
}

TEST_CASE("a bad measured curve is an error at its line or at the key", "[cli][throughput][errors]") {
  TempDir dir;
  dir.write("bad.csv", "concurrency,output_tokens_per_s,ttft_s,input_tokens,output_tokens\n1,180,0.1,1000,200\n"
                       "16,fast,0.4,1000,200\n");
  const fs::path bad = dir.write("bad.toml", measured_scenario("bad.csv", ""));
  CliResult r = run_cli("run " + shell_quote(bad.string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("bad.csv:3: error: output_tokens_per_s: expected a number (got 'fast')") != std::string::npos);

  dir.write("ok.csv", "concurrency,output_tokens_per_s,ttft_s,input_tokens,output_tokens\n1,180,0.1,1000,200\n"
                      "16,1882,0.4,1000,200\n");
  const fs::path outside = dir.write("outside.toml", measured_scenario("ok.csv", "max_concurrency = 64\n"));
  r = run_cli("run " + shell_quote(outside.string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("outside.toml:") != std::string::npos);
  CHECK(r.err.find("dedicated[0].max_concurrency: outside the curve's measured concurrencies (got 64, expected 1..16)") !=
        std::string::npos);

  const fs::path missing = dir.write("missing.toml", measured_scenario("none.json", ""));
  r = run_cli("validate " + shell_quote(missing.string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("none.json: error: cannot open the measured throughput curve") != std::string::npos);

  const fs::path mixed = dir.write("mixed.toml", [&] {
    std::string s = measured_scenario("ok.csv", "");
    s.replace(s.find("{ file"), 6, "{ gpu = \"H100-80GB\", file");
    return s;
  }());
  r = run_cli("validate " + shell_quote(mixed.string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("dedicated[0].throughput.gpu: a measured curve gives the rates itself") != std::string::npos);
}
