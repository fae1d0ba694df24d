// `tokencast sensitivity`: the library's sensitivity_analysis as a ranked table, JSON, and an HTML
// report with the tornado and spider charts.
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../output/json_parts.hpp"
#include "commands.hpp"
#include "execution.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/sensitivity.hpp"

namespace tokencast::cli {
namespace {

using Json = nlohmann::ordered_json;

bool is_usd(const Sensitivity& s) { return s.output.ends_with("_usd"); }

std::string amount(const Sensitivity& s, double v) {
  return is_usd(s) ? fmt::format("${:.2f}", v) : fmt::format("{:.0f}", v);
}
std::string change(const Sensitivity& s, double v) {
  return is_usd(s) ? fmt::format("{}${:.2f}", v < 0 ? "-" : "+", std::abs(v)) : fmt::format("{:+.0f}", v);
}
std::string share(const Estimate& e) {
  const auto bound = [](double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : std::string("?"); };
  return fmt::format("{:.3f} [{}, {}]", e.value, bound(e.lo), bound(e.hi));
}
// Input values: plain, and in full where they are small (shares, prices).
std::string value(double v) { return std::abs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v); }

std::string sensitivity_table(const Sensitivity& s) {
  std::string out = fmt::format(
      "sensitivity of {} ({}; {} trials, seed {}, {} runs on common random numbers)\nbase: mean {}, p95 {}\n\n",
      s.output, s.scenario, s.trials, s.seed, s.runs, amount(s, s.output_mean), amount(s, s.output_p95));
  if (s.inputs.empty()) return out + "No uncertain input: every input of the scenario is certain.\n";
  out += fmt::format("{:>4}  {:<46} {:>23} {:>15} {:>15} {:>24} {:>20}\n", "rank", "input", "p10 -> p90", "mean swing",
                     "p95 swing", "variance share [95%]", "rank correlation");
  int rank = 0;
  for (const InputSensitivity& in : s.inputs) {
    out += fmt::format("{:>4}  {:<46} {:>23} {:>15} {:>15} {:>24} {:>20}\n", ++rank,
                       in.key_path + (in.correlated ? " *" : ""),
                       fmt::format("{} -> {}", value(in.at_p10().input), value(in.at_p90().input)),
                       change(s, in.mean_swing.value), change(s, in.p95_swing.value), share(in.first_order),
                       fmt::format("{:+.3f}", in.rank_correlation.value));
  }
  out += fmt::format(
      "\nSwing: the output with the input held at its p90 less held at its p10, every other input drawn.\n"
      "Variance share: first-order Sobol index from the base run's trials (sum {:.3f}; 1 less the sum is\n"
      "interaction{}). Method: docs/decisions.md, \"Sensitivity\".\n",
      s.first_order_sum, [&] {
        for (const InputSensitivity& in : s.inputs) {
          if (in.correlated) return ", or overlap of correlated inputs; * in a [[correlation]], its partners drawn given it";
        }
        return "";
      }());
  return std::string(terminal_safe(out));
}

std::string sensitivity_json(const Sensitivity& s) {
  Json inputs = Json::array();
  int rank = 0;
  for (const InputSensitivity& in : s.inputs) {
    Json spider = Json::array();
    for (const SpiderPoint& p : in.spider) {
      spider.push_back(Json{{"level", p.level}, {"input", p.input}, {"output_mean", p.output_mean},
                            {"output_p95", p.output_p95}});
    }
    inputs.push_back(Json{{"rank", ++rank},
                          {"key_path", in.key_path},
                          {"law", in.law},
                          {"correlated", in.correlated},
                          {"tornado", Json{{"p10_input", in.at_p10().input},
                                           {"p90_input", in.at_p90().input},
                                           {"mean_at_p10", in.at_p10().output_mean},
                                           {"mean_at_p90", in.at_p90().output_mean},
                                           {"p95_at_p10", in.at_p10().output_p95},
                                           {"p95_at_p90", in.at_p90().output_p95},
                                           {"mean_swing", json_parts::estimate_json(in.mean_swing)},
                                           {"p95_swing", json_parts::estimate_json(in.p95_swing)}}},
                          {"variance_share", json_parts::estimate_json(in.first_order)},
                          {"rank_correlation", json_parts::estimate_json(in.rank_correlation)},
                          {"spider", std::move(spider)}});
  }
  Json out{{"scenario", s.scenario},
           {"output", s.output},
           {"trials", s.trials},
           {"seed", s.seed},
           {"runs", s.runs},
           {"method", Json{{"tornado", "output with the input held at its p10 and p90, the rest drawn, common random numbers"},
                           {"variance_share", "first-order Sobol index, given data (sqrt(n) equal-count bins, "
                                              "bias-corrected), 95% interval by 20 sections"},
                           {"rank_correlation", "Spearman, Fisher z interval"}}},
           {"base", Json{{"mean", s.output_mean}, {"p95", s.output_p95}}},
           {"first_order_sum", s.first_order_sum},
           {"inputs", std::move(inputs)}};
  return out.dump(2) + "\n";
}

}  // namespace

int sensitivity_command(const SensitivityArgs& args, const std::atomic<bool>& cancel) {
  const std::string& format = args.run.format;
  if (format != "table" && format != "json") {
    throw UsageError(fmt::format("--format: sensitivity writes table or json (got {})", format));
  }
  check_split(args.run);
  const Destinations to = destinations(args.run);
  const Scenario scenario = load_scenario(args.run.scenario, args.run.set);
  std::optional<SensitivityUnits> units;
  try {
    units.emplace(scenario, args.output_of, run_options(args.run, cancel));
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("--output-of: {}", e.what()));
  }
  if (!execute_units(*units, identity_of("sensitivity", args.run, scenario, units->count()), to, format, cancel,
                     "units")) {
    return 0;
  }
  const Sensitivity result = units->result();
  std::vector<std::pair<OutputTarget, std::string>> outputs{
      {to.output, format == "json" ? sensitivity_json(result) : sensitivity_table(result)}};
  if (to.report) outputs.emplace_back(*to.report, render_sensitivity_report(result));
  if (cancel.load()) throw Interrupted();
  write_outputs(outputs, &cancel);
  return 0;
}

}  // namespace tokencast::cli
