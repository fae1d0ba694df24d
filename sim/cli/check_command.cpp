// `tokencast check`: the library's check_budget; exit 3 over the budget, 0 within it, and the
// margin in the table and the JSON either way.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "commands.hpp"
#include "tokencast/budget_check.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"

namespace tokencast::cli {
namespace {

std::string usd(double value) { return fmt::format("${:.2f}", value); }

std::string check_table(const BudgetCheck& c, const Scenario& s) {
  const double share = c.budget_usd > 0 ? c.margin_usd() / c.budget_usd : 0.0;
  std::string what = c.worst_month > 0 ? fmt::format("month {} (the worst of {})", c.worst_month, c.months_in_horizon)
                                       : fmt::format("the {}-month horizon", c.months_in_horizon);
  std::string out = fmt::format("check: \"{}\": {} at p{:g} over {}: {} against a budget of {}\n", s.name,
                                to_string(c.mode), c.percentile, what, usd(c.value_usd), usd(c.budget_usd));
  out += c.over() ? fmt::format("  OVER by {} ({:.1f}% of the budget)\n", usd(-c.margin_usd()), -100 * share)
                  : fmt::format("  within, margin {} ({:.1f}% of the budget)\n", usd(c.margin_usd()), 100 * share);
  for (const BudgetCheckMonth& m : c.months) {
    out += fmt::format("  month {:>3}: {:>16}{}\n", m.month, usd(m.value_usd), m.value_usd > c.budget_usd ? "  over" : "");
  }
  out += fmt::format("  ({} trials, seed {})\n", c.trials, c.seed);
  return std::string(terminal_safe(out));
}

std::string check_json(const BudgetCheck& c, const Scenario& s) {
  using Json = nlohmann::ordered_json;
  Json months = Json::array();
  for (const BudgetCheckMonth& m : c.months) {
    months.push_back(Json{{"month", m.month}, {"value_usd", m.value_usd}, {"over", m.value_usd > c.budget_usd}});
  }
  Json out{{"scenario", s.name},
           {"file", s.file},
           {"mode", std::string(to_string(c.mode))},
           {"percentile", c.percentile},
           {"per_month", c.worst_month > 0},
           {"budget_usd", c.budget_usd},
           {"value_usd", c.value_usd},
           {"margin_usd", c.margin_usd()},
           {"margin_share", c.budget_usd > 0 ? Json(c.margin_usd() / c.budget_usd) : Json(nullptr)},
           {"over", c.over()},
           {"worst_month", c.worst_month > 0 ? Json(c.worst_month) : Json(nullptr)},
           {"months", std::move(months)},
           {"trials", c.trials},
           {"seed", c.seed}};
  return out.dump(2) + "\n";
}

}  // namespace

int check_command(const CheckArgs& args, const std::atomic<bool>& cancel) {
  if (args.run.format != "table" && args.run.format != "json") {
    throw UsageError(fmt::format("--format: check writes table or json (got {})", args.run.format));
  }
  if (!args.budget) throw UsageError("--budget: required (USD over the horizon, or a month with --per-month)");
  BudgetCheckOptions options;
  options.budget_usd = parse_real("--budget", *args.budget, 0, 1e15);
  if (args.percentile) options.percentile = parse_real("--percentile", *args.percentile, 1e-9, 100 - 1e-9);
  options.mode = args.mode == "serverless" ? Mode::serverless : args.mode == "batch" ? Mode::batch : Mode::cheapest_plan;
  options.per_month = args.per_month;
  options.run.trials = args.run.trials;
  options.run.seed = args.run.seed;
  options.run.threads = args.run.threads;
  options.run.cancel = &cancel;
  const Destinations to = destinations(args.run);
  const Scenario scenario = load_scenario(args.run.scenario, args.run.set);
  const BudgetCheck check = check_budget(scenario, options);
  std::vector<std::pair<OutputTarget, std::string>> outputs{
      {to.output, args.run.format == "json" ? check_json(check, scenario) : check_table(check, scenario)}};
  if (to.report) outputs.emplace_back(*to.report, render_check_report(check, scenario));
  if (cancel.load()) throw Interrupted();
  write_outputs(outputs, &cancel);
  return check.over() ? 3 : 0;
}

}  // namespace tokencast::cli
