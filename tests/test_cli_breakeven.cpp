// Break-even, capacity and report through the real binary, on the shipped scenarios.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json breakeven_json(const std::string& scenario) {
  const CliResult r = run_cli("breakeven " + shell_quote(source_path(scenario).string()) +
                              " --trials 300 --grid 8 --format json");
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

const json& utilization_curve(const json& j, const std::string& option) {
  for (const json& u : j["breakeven"]["utilization"]) {
    if (u["option"] == option) return u;
  }
  FAIL("no utilization curve for " << option);
  throw;
}

}  // namespace

TEST_CASE("rule of thumb: steady high utilization favours capacity, spiky low traffic serverless", "[cli][breakeven]") {
  SECTION("chat assistant: steady diurnal traffic at tens of millions of requests") {
    const json j = breakeven_json("scenarios/chat-assistant-dedicated.toml");
    const json& model = j["models"][0];
    // Both capacity options run above their break-even utilization, and one of them is cheapest.
    for (const char* mode : {"dedicated", "gpu_cluster"}) {
      const json& option = model[mode];
      const json& curve = utilization_curve(j, option["name"]);
      INFO(mode);
      CHECK(option["utilization"]["p50"].get<double>() > curve["breakeven_utilization"]["p50"].get<double>());
    }
    CHECK(model["cheapest"] != "serverless");
    // The volume curve: at 1/20 of the volume serverless always wins; at 20x the cluster always does.
    const json& points = j["breakeven"]["volume"][0]["points"];
    REQUIRE(points.size() == 8);
    CHECK(points.front()["probability_cheaper_than_serverless"]["self-managed-h100-nodes"] == 0.0);
    CHECK(points.back()["probability_cheaper_than_serverless"]["self-managed-h100-nodes"] == 1.0);
    // Its 50% crossing lies inside the grid, between the 10% and 90% crossings.
    const json& cluster = j["breakeven"]["volume"][0]["breakeven"][1];
    REQUIRE(cluster["option"] == "self-managed-h100-nodes");
    CHECK(cluster["requests_per_month_10"].get<double>() <= cluster["requests_per_month_50"].get<double>());
    CHECK(cluster["requests_per_month_50"].get<double>() <= cluster["requests_per_month_90"].get<double>());
  }
  SECTION("coding copilot: bursty working-hours traffic at a few hundred thousand requests") {
    const json j = breakeven_json("scenarios/coding-copilot-bursty.toml");
    const json& model = j["models"][0];
    CHECK(model["cheapest"] == "serverless");
    const json& option = model["dedicated"];
    const json& curve = utilization_curve(j, option["name"]);
    // Far below break-even: the replicas it needs for the bursts sit idle most of the month.
    CHECK(option["utilization"]["p50"].get<double>() < curve["breakeven_utilization"]["p5"].get<double>());
    for (const json& p : j["breakeven"]["volume"][0]["points"]) {
      if (p["multiplier"].get<double>() <= 1.0) {
        CHECK(p["probability_cheaper_than_serverless"]["completions-dedicated-2xH100"] == 0.0);
      }
    }
  }
}

TEST_CASE("breakeven refuses a scenario without capacity options", "[cli][breakeven]") {
  const CliResult r = run_cli("breakeven " + shell_quote(source_path("scenarios/article-example.toml").string()));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no [[dedicated]] or [[gpu_cluster]]") != std::string::npos);
}

TEST_CASE("breakeven --grid-draws: replay by default, resimulation on request, replay refused for autoscaling",
          "[cli][breakeven][replay]") {
  const std::string chat = shell_quote(source_path("scenarios/chat-assistant-dedicated.toml").string());
  const json replayed = breakeven_json("scenarios/chat-assistant-dedicated.toml");
  CHECK(replayed["breakeven"]["volume_method"] == "replay");
  const CliResult resimulated = run_cli("breakeven " + chat + " --trials 100 --grid 8 --grid-draws resimulate --format json");
  REQUIRE(resimulated.exit_code == 0);
  CHECK(json::parse(resimulated.out)["breakeven"]["volume_method"] == "resimulate");
  const CliResult table = run_cli("breakeven " + chat + " --trials 100 --grid 8");
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("trials replayed") != std::string::npos);

  const std::string copilot = shell_quote(source_path("scenarios/coding-copilot-bursty.toml").string());
  const CliResult refused = run_cli("breakeven " + copilot + " --trials 50 --grid 8 --grid-draws replay");
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("error: --grid-draws: replay cannot autoscale") != std::string::npos);
  CHECK(refused.out.empty());
  const CliResult automatic = run_cli("breakeven " + copilot + " --trials 50 --grid 8 --format json");
  REQUIRE(automatic.exit_code == 0);
  CHECK(json::parse(automatic.out)["breakeven"]["volume_method"] == "resimulate");
}

TEST_CASE("capacity --simulate: the analytic TTFT p95 agrees with the simulated peak hour", "[cli][capacity]") {
  const CliResult r = run_cli("capacity " + shell_quote(source_path("scenarios/chat-assistant-dedicated.toml").string()) +
                              " --trials 200 --simulate --replications 4 --format json");
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["capacity_checks"].size() == 1);
  const json& check = j["capacity_checks"][0];
  CHECK(check["option"] == "dedicated-2xH100");
  CHECK(check["simulated"]["requests"].get<double>() > 0);
  // At this load about one request in ten waits, mostly for a replica's prefill; the TTFT p95 is
  // little more than the prefill's (measured: P(wait) 9.0% against 10.0% simulated, TTFT p95
  // 0.275 s against 0.260 s).
  const double analytic = check["analytic"]["ttft_p95_s"], simulated = check["simulated"]["ttft_p95_s"];
  CHECK(simulated == Approx(analytic).epsilon(0.15));
  CHECK(check["simulated"]["wait_probability"].get<double>() ==
        Approx(check["analytic"]["wait_probability"].get<double>()).margin(0.03));
  CHECK(check["simulated"]["utilization"].get<double>() ==
        Approx(check["analytic"]["utilization"].get<double>()).epsilon(0.08));

  const CliResult table = run_cli("capacity " + shell_quote(source_path("scenarios/chat-assistant-dedicated.toml").string()) +
                                  " --trials 200 --simulate --replications 2");
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("simulated peak hour") != std::string::npos);
}

TEST_CASE("group-by breaks costs down by tag in the table and the JSON", "[cli][groups]") {
  const std::string scenario = shell_quote(source_path("scenarios/multi-tenant-12-month.toml").string());
  const CliResult r = run_cli("run " + scenario + " --trials 100 --group-by tenant --format json");
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["groups"].size() == 1);
  CHECK(j["groups"][0]["key"] == "tenant");
  CHECK(j["groups"][0]["entries"].size() >= 3);
  const CliResult table = run_cli("run " + scenario + " --trials 100 --group-by tenant");
  CHECK(table.out.find("By tenant") != std::string::npos);
}

TEST_CASE("the report option writes a self-contained HTML file for run and breakeven", "[cli][report]") {
  const fs::path dir = fs::temp_directory_path() / "tokencast-cli-report";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "report.html";
  const CliResult r = run_cli("breakeven " + shell_quote(source_path("scenarios/coding-copilot-bursty.toml").string()) +
                              " --trials 200 --grid 8 --report " + shell_quote(out.string()));
  REQUIRE(r.exit_code == 0);
  const std::string html = slurp(out);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);
  fs::remove_all(dir);
}
