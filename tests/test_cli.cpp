#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "result_json.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::vector<std::string> shipped_scenarios = {
    "scenarios/quickstart.toml",          "scenarios/article-example.toml",
    "scenarios/chat-assistant-dedicated.toml", "scenarios/nightly-batch-summaries.toml",
    "scenarios/coding-copilot-bursty.toml", "scenarios/multi-tenant-12-month.toml",
    "scenarios/which-gpu.toml",
};

const std::set<std::string> stat_keys = {"mean", "sd", "p5", "p50", "p95", "p99", "min", "max", "mean_se"};

void check_stat(const json& st) {
  REQUIRE(st.is_object());
  std::set<std::string> keys;
  for (auto it = st.begin(); it != st.end(); ++it) keys.insert(it.key());
  CHECK(keys == stat_keys);
  CHECK(st["p5"].get<double>() <= st["p50"].get<double>());
  CHECK(st["p50"].get<double>() <= st["p95"].get<double>());
  CHECK(st["p95"].get<double>() <= st["p99"].get<double>());
}

}  // namespace

TEST_CASE("tokencast run with no scenario runs the embedded default", "[cli]") {
  const CliResult r = run_cli("run --trials 400");
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("Total") != std::string::npos);
  CHECK(r.out.find("serverless") != std::string::npos);
}

TEST_CASE("run with timings prints each phase to stderr and run.phases_s holds them", "[cli]") {
  const CliResult r = run_cli("run --trials 400 --timings --format json");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("timings: load ") != std::string::npos);
  CHECK(r.err.find("serial share") != std::string::npos);
  const json j = json::parse(r.out);
  double sum = 0;
  for (const char* phase : {"load", "plan", "simulate", "size", "statistics", "output"}) {
    INFO(phase);
    REQUIRE(j["run"]["phases_s"].contains(phase));
    CHECK(j["run"]["phases_s"][phase].get<double>() >= 0);
    sum += j["run"]["phases_s"][phase].get<double>();
  }
  CHECK(j["run"]["phases_s"]["load"].get<double>() > 0);
  CHECK(sum > 0);
  // Without --timings nothing is printed.
  CHECK(run_cli("run --trials 400 --format json").err.empty());
}

TEST_CASE("every shipped scenario runs and its JSON follows tokencast.result/1", "[cli]") {
  for (const auto& scenario : shipped_scenarios) {
    INFO(scenario);
    const CliResult r = run_cli("run " + shell_quote(source_path(scenario).string()) + " --trials 300 --format json");
    REQUIRE(r.exit_code == 0);
    const json j = json::parse(r.out);
    CHECK(j["schema"] == "tokencast.result/1");
    CHECK(j["run"]["trials"] == 300);
    const int months = j["run"]["months"];
    for (const auto& w : j["workloads"]) {
      check_stat(w["requests"]);
      check_stat(w["input_tokens"]);
      check_stat(w["output_tokens"]);
      check_stat(w["cost_usd"]["serverless"]);
    }
    for (const auto& m : j["models"]) {
      check_stat(m["cost_usd"]["serverless"]);
      CHECK(m["cost_usd"].contains(m["cheapest"].get<std::string>()));
      for (const char* mode : {"dedicated", "gpu_cluster"}) {
        if (!m["cost_usd"].contains(mode)) {
          CHECK_FALSE(m.contains(mode));
          continue;
        }
        check_stat(m[mode]["utilization"]);
        check_stat(m[mode]["overflow_share"]);
        check_stat(m[mode]["usd_per_mtok"]);
        CHECK(m[mode]["replicas"].get<int>() >= 1);
      }
      if (months > 1) CHECK(m["monthly_cost_usd"]["serverless"].size() == static_cast<std::size_t>(months));
      else CHECK_FALSE(m.contains("monthly_cost_usd"));
    }
    check_stat(j["total"]["cost_usd"]["serverless"]);
    check_stat(j["total"]["cost_usd"]["cheapest_plan"]);
  }
}

TEST_CASE("threads 1 and 2 give identical numbers", "[cli][determinism]") {
  for (const auto& scenario : {shipped_scenarios[0], shipped_scenarios[5]}) {
    INFO(scenario);
    const std::string base = "run " + shell_quote(source_path(scenario).string()) + " --trials 500 --format json";
    const CliResult one = run_cli(base + " --threads 1");
    const CliResult two = run_cli(base + " --threads 2");
    REQUIRE(one.exit_code == 0);
    REQUIRE(two.exit_code == 0);
    CHECK(without_timing(json::parse(one.out)) == without_timing(json::parse(two.out)));
  }
}

TEST_CASE("the article example through the CLI: about $0.0060 a request, $12,000 and $6,000", "[cli]") {
  const CliResult r = run_cli("run " + shell_quote(source_path("scenarios/article-example.toml").string()) +
                              " --format json --trials 2000");
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  const json& model = j["models"][0];
  CHECK(model["model"] == "arcee-ai/maestro-reasoning");
  const double serverless = model["cost_usd"]["serverless"]["mean"];
  const double se = model["cost_usd"]["serverless"]["mean_se"];
  CHECK(std::abs(serverless - 12000.0) < 5.0 * se + 1e-9);
  const double requests = j["workloads"][0]["requests"]["mean"];
  CHECK(serverless / requests == Approx(0.0060).epsilon(1e-9));
  CHECK(model["cost_usd"]["batch"]["mean"].get<double>() == Approx(serverless * 0.5).epsilon(1e-12));
}

TEST_CASE("an output file is written atomically; csv is long form", "[cli]") {
  const fs::path dir = fs::temp_directory_path() / "tokencast-cli-output";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "result.csv";
  const CliResult r = run_cli("run --trials 200 --format csv --output " + shell_quote(out.string()));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  const std::string csv = slurp(out);
  CHECK(csv.rfind("section,name,model,mode,metric,month,statistic,value\n", 0) == 0);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);
  fs::remove_all(dir);
}

TEST_CASE("validate, catalog, --version and usage errors", "[cli]") {
  const CliResult v = run_cli("validate " + shell_quote(source_path("scenarios/quickstart.toml").string()));
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("ok") != std::string::npos);

  const CliResult c = run_cli("catalog --filter llama-3.3");
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("meta-llama/Llama-3.3-70B-Instruct-Turbo") != std::string::npos);
  CHECK(c.out.find("Qwen") == std::string::npos);

  const CliResult cj = run_cli("catalog --format json --filter maestro");
  REQUIRE(cj.exit_code == 0);
  const json catalog = json::parse(cj.out);
  REQUIRE(catalog["models"].size() == 1);
  CHECK(catalog["models"][0]["input_usd_per_mtok"] == 0.90);
  CHECK(catalog["models"][0]["output_usd_per_mtok"] == 3.30);

  const CliResult version = run_cli("--version");
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("tokencast") != std::string::npos);

  CHECK(run_cli("run --format xml").exit_code == 2);
  CHECK(run_cli("run --trials 0").exit_code == 2);
  CHECK(run_cli("frobnicate").exit_code == 2);
  CHECK(run_cli("").exit_code == 2);
  const CliResult missing = run_cli("run /nonexistent/scenario.toml");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("/nonexistent/scenario.toml") != std::string::npos);
}

TEST_CASE("a failed run leaves an existing output file untouched", "[cli]") {
  const fs::path dir = fs::temp_directory_path() / "tokencast-cli-keep";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "result.json";
  {
    std::ofstream(out) << "previous\n";
  }
  const CliResult r = run_cli("run /nonexistent.toml --output " + shell_quote(out.string()));
  CHECK(r.exit_code == 2);
  CHECK(slurp(out) == "previous\n");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);
  fs::remove_all(dir);
}
