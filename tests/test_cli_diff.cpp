// `tokencast diff`: common random numbers keyed by name, so a scenario against itself (or against
// itself reordered) changes nothing, bit for bit, and a change to one workload moves only that
// workload, its model and the totals; the table, JSON and Markdown; bad requests exit 2.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

using namespace tokencast::test;
using nlohmann::json;

namespace {

std::string workload(const std::string& name, const std::string& model, const std::string& volume) {
  return "\n[[workload]]\nname = \"" + name + "\"\nmodel = \"" + model + "\"\nrequests_per_month = " + volume +
         "\ninput_tokens = { dist = \"lognormal\", mean = 1500, cv = 0.9 }\noutput_tokens = { dist = \"gamma\", "
         "mean = 300, cv = 0.6 }\n[workload.traffic]\nburstiness = 0.1\n";
}

const std::string kHead = "[scenario]\nname = \"diff\"\ntrials = 400\nseed = 9\nmonths = 2\n";
const std::string kA = "meta-llama/Llama-3.3-70B-Instruct-Turbo", kB = "deepseek-ai/DeepSeek-V3.1";
const std::string kDedicated = R"(
[[dedicated]]
name = "llama-endpoint"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
gpu = "H100-80GB"
gpus_per_replica = 4
prefill_tokens_per_s = 20000
decode_tokens_per_s = 3000
)";

json diff_json(const std::string& args) {
  const CliResult r = run_cli("diff " + args + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("diff of a scenario against itself, or against itself reordered: every change exactly zero", "[diff][cli]") {
  TempDir dir;
  const auto a = dir.write("a.toml", kHead + workload("chat", kA, "2e6") + workload("summaries", kA, "5e5") +
                                         workload("agents", kB, "1e6") + kDedicated);
  const auto reordered = dir.write("r.toml", kHead + workload("agents", kB, "1e6") + workload("chat", kA, "2e6") +
                                                 workload("summaries", kA, "5e5") + kDedicated);
  for (const auto& other : {a, reordered}) {
    const json j = diff_json(shell_quote(a.string()) + " " + shell_quote(other.string()));
    CHECK(j["inputs_changed"].empty());
    REQUIRE(j["figures"].size() > 10);
    for (const json& f : j["figures"]) {
      INFO(f.dump());
      // Reordered, the engine adds the workloads into the totals in another order: the last bits.
      if (other == reordered && f["key"].get<std::string>().starts_with("total.")) {
        CHECK(std::abs(f["change"]["mean"]["value"].get<double>()) <= 1e-9 * f["base"]["mean"].get<double>());
        continue;
      }
      CHECK(f["changed"] == false);
      for (const char* what : {"mean", "p50", "p95"}) {
        CHECK(f["change"][what]["value"] == 0.0);
        CHECK(f["change"][what]["lo"] == 0.0);
        CHECK(f["change"][what]["hi"] == 0.0);
      }
    }
  }
}

TEST_CASE("diff after one workload grows 10%: only it, its model and the totals change", "[diff][cli]") {
  TempDir dir;
  const auto a = dir.write("a.toml", kHead + workload("chat", kA, "2e6") + workload("summaries", kA, "5e5") +
                                         workload("agents", kB, "1e6") + kDedicated);
  const json j = diff_json(shell_quote(a.string()) + " --set 'workload[0].requests_per_month=2.2e6'");
  std::set<std::string> changed;
  for (const json& f : j["figures"]) {
    if (f["changed"].get<bool>()) changed.insert(f["key"].get<std::string>());
  }
  INFO(j.dump(1));
  for (const std::string& key : changed) {
    const bool expected = key.starts_with("total.") || key.starts_with("workload[chat].") ||
                          key.starts_with("model[" + kA + "].") || key.starts_with("capacity[llama-endpoint]");
    CHECK(expected);
  }
  CHECK(changed.contains("workload[chat].requests"));
  CHECK(changed.contains("total.serverless_usd"));
  CHECK_FALSE(changed.contains("workload[summaries].serverless_usd"));
  CHECK_FALSE(changed.contains("model[" + kB + "].serverless_usd"));
  // The mean change is 10% of chat's serverless cost, within its interval, and significant.
  for (const json& f : j["figures"]) {
    if (f["key"] != "workload[chat].serverless_usd") continue;
    const double base = f["base"]["mean"].get<double>();
    CHECK(f["change"]["mean"]["value"].get<double>() == Approx(0.1 * base).epsilon(0.05));
    CHECK(f["change"]["mean"]["lo"].get<double>() > 0);
    CHECK(f["significant"] == true);
  }
  REQUIRE(j["inputs_changed"].size() == 1);
  CHECK(j["inputs_changed"][0]["path"] == "workload[chat].requests_per_month");
  CHECK(j["inputs_changed"][0]["base"] == "2000000");
  CHECK(j["inputs_changed"][0]["new"] == "2200000");

  // Markdown for a pull-request comment, and the table.
  const CliResult md = run_cli("diff " + shell_quote(a.string()) + " --set 'workload[0].requests_per_month=2.2e6' --format markdown");
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(md.out, Catch::Contains("### tokencast diff") && Catch::Contains("| figure | base p95 | new p95 |") &&
                         Catch::Contains("workload[chat].requests_per_month"));
  const CliResult table = run_cli("diff " + shell_quote(a.string()) + " --set 'workload[0].requests_per_month=2.2e6'");
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("Inputs changed:") && Catch::Contains("unchanged (every trial equal)"));
}

TEST_CASE("diff's bad requests exit 2", "[diff][cli][bad-input]") {
  TempDir dir;
  const auto a = dir.write("a.toml", kHead + workload("chat", kA, "2e6"));
  for (const std::string& bad : {shell_quote(a.string()), shell_quote(a.string()) + " --set 'workload[3].x=1'",
                                shell_quote(a.string()) + " " + shell_quote((dir.path() / "missing.toml").string()),
                                shell_quote(a.string()) + " --set scenario.trials=10 --format csv"}) {
    INFO(bad);
    const CliResult r = run_cli("diff " + bad);
    CHECK(r.exit_code == 2);
    CHECK_FALSE(r.err.empty());
  }
}

TEST_CASE("diff pairs correlated inputs by name: correlations written in another order change nothing",
          "[diff][cli][correlation-inputs]") {
  TempDir dir;
  const std::string body = kHead + workload("chat", kA, "{ dist = \"uniform\", min = 1e6, max = 3e6 }") +
                           workload("summaries", kA, "{ dist = \"lognormal\", median = 5e5, sigma = 0.4 }") +
                           workload("agents", kB, "{ dist = \"pert\", min = 5e5, mode = 1e6, max = 3e6 }") +
                           workload("search", kB, "{ dist = \"uniform\", min = 1e5, max = 2e5 }");
  const std::string first = "\n[[correlation]]\ninputs = [\"workload[0].requests_per_month\", "
                            "\"workload[1].requests_per_month\"]\nrank_correlation = 0.6\n";
  const std::string second = "\n[[correlation]]\ninputs = [\"workload[2].requests_per_month\", "
                             "\"workload[3].requests_per_month\"]\nrank_correlation = -0.3\n";
  const auto a = dir.write("a.toml", body + first + second);
  const auto b = dir.write("b.toml", body + second + first);
  const json j = diff_json(shell_quote(a.string()) + " " + shell_quote(b.string()));
  CHECK(j["inputs_changed"].empty());
  for (const json& f : j["figures"]) {
    INFO(f.dump());
    CHECK(f["changed"] == false);
  }
}

TEST_CASE("diff under 40 trials: percentile intervals unknown (null), never significant; seed and trials are "
          "not input changes",
          "[diff][cli]") {
  TempDir dir;
  const auto a = dir.write("a.toml", kHead + workload("chat", kA, "{ dist = \"uniform\", min = 1e6, max = 3e6 }"));
  const json j = diff_json(shell_quote(a.string()) + " --trials 30 --set 'workload[0].input_tokens=1501' --set "
                                                     "scenario.seed=4 --set scenario.trials=77");
  REQUIRE(j["inputs_changed"].size() == 1);
  CHECK(j["inputs_changed"][0]["path"] == "workload[chat].input_tokens");
  for (const json& f : j["figures"]) {
    INFO(f.dump());
    CHECK(f["change"]["p95"]["lo"].is_null());
    CHECK(f["change"]["p95"]["hi"].is_null());
  }
}
