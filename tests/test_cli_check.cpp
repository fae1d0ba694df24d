// `tokencast check`: the percentile `run` reports, against the budget; exit 3 over it, 0 within it;
// each month's with --per-month; bad requests exit 2.
#include <catch2/catch.hpp>

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokencast/budget_check.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;
using namespace tokencast::test;
using nlohmann::json;

namespace {

const std::string kScenario = std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/chat-assistant-dedicated.toml";

}  // namespace

TEST_CASE("check reads the p95 run reports, and exits 3 just over the budget and 0 just under it", "[check][cli]") {
  const json run = json::parse(run_cli("run " + shell_quote(kScenario) + " --trials 400 --format json").out);
  for (const std::string mode : {"cheapest_plan", "serverless"}) {
    INFO(mode);
    const double p95 = run["total"]["cost_usd"][mode]["p95"].get<double>();
    const CliResult under = run_cli("check " + shell_quote(kScenario) + fmt::format(" --trials 400 --mode {} --budget {:.6f} --format json", mode, p95 * 1.001));
    const CliResult over = run_cli("check " + shell_quote(kScenario) + fmt::format(" --trials 400 --mode {} --budget {:.6f} --format json", mode, p95 * 0.999));
    INFO(under.err << over.err);
    REQUIRE(under.exit_code == 0);
    REQUIRE(over.exit_code == 3);
    const json u = json::parse(under.out), o = json::parse(over.out);
    CHECK(u["value_usd"].get<double>() == p95);
    CHECK(u["over"] == false);
    CHECK(o["over"] == true);
    CHECK(u["margin_usd"].get<double>() == Approx(p95 * 0.001));
    CHECK(o["margin_usd"].get<double>() == Approx(-p95 * 0.001));
  }
  // The p50 too, and the table says OVER or within.
  const double p50 = run["total"]["cost_usd"]["cheapest_plan"]["p50"].get<double>();
  const CliResult table = run_cli("check " + shell_quote(kScenario) + fmt::format(" --trials 400 --percentile 50 --budget {}", p50 / 2));
  CHECK(table.exit_code == 3);
  CHECK_THAT(table.out, Catch::Contains("OVER by"));
}

TEST_CASE("check --per-month: each month's percentile as the run's monthly summaries give it", "[check]") {
  Scenario s = load_default_scenario();
  s.months = 3;
  RunOptions options;
  options.trials = 300;
  const RunResult run = run_scenario(s, options);
  BudgetCheckOptions check;
  check.per_month = true;
  check.budget_usd = 1e9;
  check.run.trials = 300;
  const BudgetCheck c = check_budget(s, check);
  REQUIRE(c.months.size() == 3);
  const ModeCost* cheapest = nullptr;
  for (const ModeCost& m : run.total) {
    if (m.mode == Mode::cheapest_plan) cheapest = &m;
  }
  REQUIRE(cheapest != nullptr);
  for (std::size_t m = 0; m < 3; ++m) CHECK(c.months[m].value_usd == Approx(cheapest->monthly_usd[m].p95).epsilon(1e-12));
  CHECK_FALSE(c.over());
}

TEST_CASE("check's bad requests exit 2", "[check][cli][bad-input]") {
  for (const std::string bad : {" --budget -1", " --budget 10 --percentile 100", " --budget 10 --mode batch",
                                " --budget 10 --per-month", " --budget 10 --format csv", " --budget x",
                                " --budget 10 --set 'workload[0].requests_per_month=-3'"}) {
    INFO(bad);
    const CliResult r = run_cli("check " + shell_quote(kScenario) + bad);
    CHECK(r.exit_code == 2);
    CHECK_FALSE(r.err.empty());
  }
}

TEST_CASE("check --report and diff --report write their HTML pages beside the table", "[check][diff][cli]") {
  TempDir dir;
  const std::string multi = shell_quote(std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/multi-tenant-12-month.toml");
  const auto check_page = dir.path() / "check.html", diff_page = dir.path() / "diff.html";
  const CliResult over = run_cli("check " + multi + " --budget 20000 --per-month --trials 200 --report " +
                                 shell_quote(check_page.string()));
  CHECK(over.exit_code == 3);
  const std::string page = slurp(check_page);
  CHECK_THAT(page, Catch::Contains("OVER"));
  CHECK_THAT(page, Catch::Contains("check-months"));
  const CliResult diff = run_cli("diff " + shell_quote(kScenario) + " --set 'workload[0].requests_per_month=3e7' --trials 200 "
                                 "--report " + shell_quote(diff_page.string()));
  INFO(diff.err);
  REQUIRE(diff.exit_code == 0);
  CHECK_THAT(slurp(diff_page), Catch::Contains("diff-changes"));
  CHECK_THAT(slurp(diff_page), Catch::Contains("workload[0].requests_per_month"));
  // The report may not overwrite the scenario it reads.
  const CliResult clash = run_cli("diff " + shell_quote(kScenario) + " --set 'workload[0].requests_per_month=3e7' --trials 20 "
                                  "--report " + shell_quote(kScenario));
  CHECK(clash.exit_code == 2);
}
