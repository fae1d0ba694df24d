// `tokencast sweep`: every combination on common random numbers (a resimulated point is the run of
// that scenario, bit for bit), replay of a replica sweep within its error bound of resimulation,
// the objective, constraints and margins, the table, CSV, JSON and report, and bad requests (exit 2
// naming the --vary, --objective or --constraint).
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

using namespace tokencast::test;
using nlohmann::json;

namespace {

const std::string kScenario = "scenarios/chat-assistant-dedicated.toml";
const std::string kModel = "meta-llama/Llama-3.3-70B-Instruct-Turbo";

std::string scenario() { return shell_quote(std::string(TOKENCAST_SOURCE_DIR) + "/" + kScenario); }

json sweep_json(const std::string& args) {
  const CliResult r = run_cli("sweep " + scenario() + " " + args + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("a resimulated sweep point is the run of its scenario, bit for bit", "[sweep][cli]") {
  const json j = sweep_json("--trials 300 --vary 'dedicated[0].replicas=3,5' --vary 'gpu_cluster[0].replicas=2..4:2' "
                            "--objective 'p95(total.cheapest_plan)' --draws resimulate");
  CHECK(j["draws"] == "resimulate");
  REQUIRE(j["points"].size() == 4);  // the first --vary the slowest
  CHECK(j["points"][1]["values"]["dedicated[0].replicas"] == "3");
  CHECK(j["points"][1]["values"]["gpu_cluster[0].replicas"] == "4");
  for (const json& p : j["points"]) {
    const std::string set = " --set 'dedicated[0].replicas=" + p["values"]["dedicated[0].replicas"].get<std::string>() +
                            "' --set 'gpu_cluster[0].replicas=" + p["values"]["gpu_cluster[0].replicas"].get<std::string>() + "'";
    const CliResult run = run_cli("run " + scenario() + " --trials 300 --format json" + set);
    REQUIRE(run.exit_code == 0);
    const json r = json::parse(run.out);
    for (const json& total : r["total"]) {
      if (total["mode"] != "cheapest_plan") continue;
      CHECK(p["objective"].get<double>() == total["total_usd"]["p95"].get<double>());
      CHECK(p["total_cheapest_plan_usd"]["mean"].get<double>() == total["total_usd"]["mean"].get<double>());
    }
  }
}

TEST_CASE("a replica sweep replays within its error bound of resimulating; the best and margins", "[sweep][cli]") {
  const std::string args = "--trials 400 --vary 'dedicated[0].replicas=3..9' --objective 'mean(model[" + kModel +
                           "].dedicated.cost)' --constraint 'P(capacity[dedicated-2xH100].cost <= 50000) >= 0.5'";
  const json replay = sweep_json(args + " --draws replay");
  const json resim = sweep_json(args + " --draws resimulate");
  CHECK(replay["draws"] == "replay");
  REQUIRE(replay["points"].size() == 7);
  const double bound = replay["replay_error_bound_usd"].get<double>();
  CHECK(bound >= 0);
  for (std::size_t i = 0; i < 7; ++i) {
    INFO("point " << i);
    const json& a = replay["points"][i];
    const json& b = resim["points"][i];
    CHECK(std::abs(a["objective"].get<double>() - b["objective"].get<double>()) <= bound + 1e-6);
    CHECK(a["feasible"] == b["feasible"]);
  }
  // The best: the feasible point of least cost, the same either way.
  REQUIRE(replay["best"].is_number());
  const auto best = replay["best"].get<std::size_t>();
  CHECK(replay["best"] == resim["best"]);
  for (std::size_t i = 0; i < 7; ++i) {
    if (!replay["points"][i]["feasible"].get<bool>()) continue;
    CHECK(replay["points"][best]["objective"].get<double>() <= replay["points"][i]["objective"].get<double>());
  }
  REQUIRE(!replay["runners_up"].empty());
  const json& margin = replay["runners_up"][0]["margin"];
  CHECK(margin["value"].get<double>() >= 0);
  CHECK(margin["lo"].get<double>() <= margin["value"].get<double>());
  CHECK(margin["hi"].get<double>() >= margin["value"].get<double>());
}

TEST_CASE("sweep values: lists, ranges, float steps and log ranges; same bits at any thread count", "[sweep][cli]") {
  const json floats = sweep_json("--trials 60 --vary 'dedicated[0].max_utilization=0.5..0.8:0.1'");
  REQUIRE(floats["points"].size() == 4);
  CHECK(floats["points"][3]["values"]["dedicated[0].max_utilization"] == "0.8");
  CHECK(floats["draws"] == "resimulate");  // not a replica count
  const json logs = sweep_json("--trials 60 --vary 'workload[0].requests_per_month=log:1e6..1e8:3'");
  REQUIRE(logs["points"].size() == 3);
  CHECK(logs["points"][1]["values"]["workload[0].requests_per_month"] == "10000000");
  const json tables = sweep_json("--trials 60 --vary 'workload[1].requests_per_month=1e7, { dist = \"uniform\", min = 1e7, "
                                 "max = 2e7 }'");
  REQUIRE(tables["points"].size() == 2);
  json one = sweep_json("--trials 200 --threads 1 --vary 'dedicated[0].replicas=4,6' --draws replay");
  json three = sweep_json("--trials 200 --threads 3 --vary 'dedicated[0].replicas=4,6' --draws replay");
  one.erase("cost");
  three.erase("cost");
  CHECK(one == three);
}

TEST_CASE("sweep table, CSV and report: a line chart for one input, a heat map for two", "[sweep][cli]") {
  TempDir dir;
  const auto line = dir.path() / "line.html", heat = dir.path() / "heat.html";
  const CliResult table = run_cli("sweep " + scenario() + " --trials 200 --vary 'dedicated[0].replicas=4..6' --report " +
                                  shell_quote(line.string()));
  INFO(table.err);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("<- best"));
  CHECK_THAT(table.out, Catch::Contains("x one draw of the trials"));
  CHECK_THAT(slurp(line), Catch::Contains("sweep-line"));
  CHECK_THAT(slurp(line), Catch::Contains("Chosen"));
  const CliResult csv = run_cli("sweep " + scenario() + " --trials 100 --format csv --vary 'dedicated[0].replicas=4,5' "
                                "--vary 'gpu_cluster[0].replicas=2,4' --report " + shell_quote(heat.string()));
  REQUIRE(csv.exit_code == 0);
  std::istringstream rows(csv.out);
  std::string header, row;
  std::getline(rows, header);
  CHECK(header.starts_with("dedicated[0].replicas,gpu_cluster[0].replicas,objective: mean(total.cheapest_plan)"));
  int count = 0;
  while (std::getline(rows, row)) ++count;
  CHECK(count == 4);
  CHECK_THAT(slurp(heat), Catch::Contains("sweep-heat"));
  // No combination meets the constraint: said, never a best.
  const json none = sweep_json("--trials 100 --vary 'dedicated[0].replicas=2,3' --constraint 'P(slo) >= 0.99'");
  CHECK(none["best"].is_null());
  const CliResult text = run_cli("sweep " + scenario() + " --trials 100 --vary 'dedicated[0].replicas=2,3' --constraint "
                                 "'P(slo) >= 0.99'");
  CHECK_THAT(text.out, Catch::Contains("infeasible"));
}

TEST_CASE("bad sweeps exit 2 naming the --vary, --objective or --constraint", "[sweep][cli]") {
  const auto bad = [](const std::string& args, const std::string& named) {
    const CliResult r = run_cli("sweep " + scenario() + " --trials 20 " + args);
    INFO(args << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(named));
  };
  bad("--vary 'dedicated[0].replicaz=2,3'", "--vary dedicated[0].replicaz=2,3");
  bad("--vary 'dedicated[0].replicas=x'", "--vary dedicated[0].replicas=x");
  bad("--vary 'dedicated[0].replicas=5..2'", "--vary 'dedicated[0].replicas=5..2'");
  bad("--vary 'dedicated[0].replicas'", "--vary 'dedicated[0].replicas'");
  bad("--vary 'dedicated[0].replicas=1..20000'", "--vary");
  bad("--vary 'dedicated[0].replicas=4' --objective 'p95(total.nothing)'", "--objective 'p95(total.nothing)'");
  bad("--vary 'dedicated[0].replicas=4' --objective 'p97(total)'", "--objective 'p97(total)'");
  bad("--vary 'dedicated[0].replicas=4' --constraint 'P(slo)'", "--constraint 'P(slo)'");
  bad("--vary 'dedicated[0].replicas=4' --constraint 'p95(capacity[nowhere].cost) <= 5'", "capacity[nowhere].cost");
  bad("--vary 'dedicated[0].max_utilization=0.5,0.6' --draws replay", "--draws replay");
  bad("--vary 'dedicated[0].replicas=1'", "in the sweep's combination dedicated[0].replicas=1");
  bad("--vary 'dedicated[0].replicas=4' --vary 'dedicated[0].replicas=5'", "already varied");
  bad("--vary 'dedicated[0].replicas=4,4'", "appears twice");
  bad("--vary 'dedicated[0].replicas=4,-3'", "--vary dedicated[0].replicas=4,-3 (value -3)");
}

TEST_CASE("P(slo) in a sweep: simulated, never replayed; an objective no pool meets is met in no trial", "[sweep][cli]") {
  const json slo = sweep_json("--trials 300 --vary 'dedicated[0].replicas=6,9' --constraint 'P(slo) >= 0.9'");
  CHECK(slo["draws"] == "resimulate");
  // More replicas meet the objective in more trials.
  CHECK(slo["points"][0]["constraints"][0]["value"].get<double>() < slo["points"][1]["constraints"][0]["value"].get<double>());
  const CliResult replay = run_cli("sweep " + scenario() + " --trials 50 --vary 'dedicated[0].replicas=6,9' --constraint "
                                   "'P(slo) >= 0.9' --draws replay");
  CHECK(replay.exit_code == 2);
  CHECK_THAT(replay.err, Catch::Contains("--draws replay"));
  // A 50 ms time to first token is below the prefill's own p95: no trial meets it at any replica count.
  const json unreachable = sweep_json("--trials 200 --set 'dedicated[0].slo={ ttft_p95_s = 0.05 }' --vary "
                                      "'dedicated[0].replicas=4,16' --constraint 'P(slo[dedicated-2xH100]) >= 0.9'");
  for (const json& p : unreachable["points"]) CHECK(p["constraints"][0]["value"].get<double>() == 0);
  CHECK(unreachable["best"].is_null());
  // "auto" among the values: sized from the trials as a run sizes it, so simulated.
  const json with_auto = sweep_json("--trials 200 --vary 'dedicated[0].replicas=4,\"auto\"' --objective "
                                    "'mean(capacity[dedicated-2xH100].cost)'");
  CHECK(with_auto["draws"] == "resimulate");
  CHECK(with_auto["points"][0]["objective"] != with_auto["points"][1]["objective"]);
}

