// `tokencast diff`: the library's diff_scenarios and input_changes, as a table, JSON, or Markdown
// to post as a pull-request comment.
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"
#include "tokencast/scenario_diff.hpp"
#include "tokencast/scenario_loader.hpp"

namespace tokencast::cli {
namespace {

bool is_usd(const DiffFigure& f) { return f.key.ends_with("_usd"); }

std::string amount(const DiffFigure& f, double v) {
  return is_usd(f) ? fmt::format("${:.2f}", v) : fmt::format("{:.0f}", v);
}
std::string change(const DiffFigure& f, double v) {
  return is_usd(f) ? fmt::format("{}${:.2f}", v < 0 ? "-" : "+", std::abs(v)) : fmt::format("{:+.0f}", v);
}
std::string percent(double change, double base) {
  return base != 0 ? fmt::format("{:+.1f}%", 100 * change / base) : std::string("n/a");
}
std::string mark(const DiffFigure& f) {
  if (!f.in_base) return "added";
  if (!f.in_new) return "removed";
  if (!f.changed()) return "";
  return f.significant() ? "significant" : "within noise";
}

std::string diff_table(const ScenarioDiff& d, const std::vector<InputChange>& inputs, const std::string& base_name,
                       const std::string& new_name) {
  std::string out = fmt::format("diff: {} -> {} ({} trials, seed {}, common random numbers)\n\n", base_name, new_name,
                                d.trials, d.seed);
  out += fmt::format("{:<60} {:>14} {:>14} {:>16} {:>9} {:>16} {:>33}  {}\n", "figure", "base p95", "new p95",
                     "change p95", "", "change mean", "95% interval of the mean change", "");
  std::size_t unchanged = 0;
  for (const DiffFigure& f : d.figures) {
    if (!f.changed() && f.in_base && f.in_new) {
      ++unchanged;
      continue;
    }
    out += fmt::format("{:<60} {:>14} {:>14} {:>16} {:>9} {:>16} {:>33}  {}\n", f.key, amount(f, f.base_p95),
                       amount(f, f.new_p95), change(f, f.p95_change), percent(f.p95_change, f.base_p95),
                       change(f, f.mean_change), fmt::format("[{}, {}]", change(f, f.mean_lo), change(f, f.mean_hi)),
                       mark(f));
  }
  out += fmt::format("{} figure{} unchanged (every trial equal).\n", unchanged, unchanged == 1 ? "" : "s");
  out += inputs.empty() ? "\nNo input changed.\n" : "\nInputs changed:\n";
  for (const InputChange& c : inputs) {
    out += fmt::format("  {}: {} -> {}\n", c.path, c.base.empty() ? "(unset)" : c.base, c.next.empty() ? "(unset)" : c.next);
  }
  return std::string(terminal_safe(out));
}

std::string diff_markdown(const ScenarioDiff& d, const std::vector<InputChange>& inputs, const std::string& base_name,
                          const std::string& new_name) {
  std::string out = fmt::format("### tokencast diff: `{}` → `{}`\n\n", base_name, new_name);
  const DiffFigure* total = nullptr;
  for (const DiffFigure& f : d.figures) {
    if (f.key == "total.cheapest_plan_usd") total = &f;
  }
  if (total != nullptr) {
    out += fmt::format("**Cheapest plan, p95 over the horizon: {} → {} ({}, {})**{}\n\n", amount(*total, total->base_p95),
                       amount(*total, total->new_p95), change(*total, total->p95_change),
                       percent(total->p95_change, total->base_p95),
                       total->significant() ? "" : " — within the simulation's noise");
  }
  out += "| figure | base p95 | new p95 | Δ p95 | Δ mean (95% interval) | |\n|---|---:|---:|---:|---:|---|\n";
  std::size_t unchanged = 0;
  for (const DiffFigure& f : d.figures) {
    if (!f.changed() && f.in_base && f.in_new) {
      ++unchanged;
      continue;
    }
    out += fmt::format("| `{}` | {} | {} | {} ({}) | {} [{}, {}] | {} |\n", f.key, amount(f, f.base_p95),
                       amount(f, f.new_p95), change(f, f.p95_change), percent(f.p95_change, f.base_p95),
                       change(f, f.mean_change), change(f, f.mean_lo), change(f, f.mean_hi),
                       f.significant() ? "⚠️ significant" : mark(f));
  }
  out += fmt::format("\n{} figure{} unchanged. {} trials, seed {}, common random numbers.\n", unchanged,
                     unchanged == 1 ? "" : "s", d.trials, d.seed);
  if (!inputs.empty()) {
    out += "\n<details><summary>Inputs changed</summary>\n\n| input | base | new |\n|---|---|---|\n";
    for (const InputChange& c : inputs) {
      out += fmt::format("| `{}` | `{}` | `{}` |\n", c.path, c.base.empty() ? "(unset)" : c.base,
                         c.next.empty() ? "(unset)" : c.next);
    }
    out += "\n</details>\n";
  }
  return out;
}

std::string diff_json(const ScenarioDiff& d, const std::vector<InputChange>& inputs, const std::string& base_name,
                      const std::string& new_name) {
  using Json = nlohmann::ordered_json;
  Json figures = Json::array();
  for (const DiffFigure& f : d.figures) {
    figures.push_back(Json{{"key", f.key},
                           {"in_base", f.in_base},
                           {"in_new", f.in_new},
                           {"base", Json{{"mean", f.base_mean}, {"p50", f.base_p50}, {"p95", f.base_p95}}},
                           {"new", Json{{"mean", f.new_mean}, {"p50", f.new_p50}, {"p95", f.new_p95}}},
                           {"change", Json{{"mean", Json{{"value", f.mean_change}, {"lo", f.mean_lo}, {"hi", f.mean_hi}}},
                                           {"p50", Json{{"value", f.p50_change}, {"lo", f.p50_lo}, {"hi", f.p50_hi}}},
                                           {"p95", Json{{"value", f.p95_change}, {"lo", f.p95_lo}, {"hi", f.p95_hi}}}}},
                           {"changed", f.changed()},
                           {"significant", f.significant()}});
  }
  Json changes = Json::array();
  for (const InputChange& c : inputs) {
    changes.push_back(Json{{"path", c.path},
                           {"base", c.base.empty() ? Json(nullptr) : Json(c.base)},
                           {"new", c.next.empty() ? Json(nullptr) : Json(c.next)}});
  }
  Json out{{"base", base_name}, {"new", new_name}, {"trials", d.trials}, {"seed", d.seed},
           {"figures", std::move(figures)}, {"inputs_changed", std::move(changes)}};
  return out.dump(2) + "\n";
}

}  // namespace

int diff_command(const DiffArgs& args, const std::atomic<bool>& cancel) {
  const std::string& format = args.run.format;
  if (format != "table" && format != "json" && format != "markdown") {
    throw UsageError(fmt::format("--format: diff writes table, json or markdown (got {})", format));
  }
  if (!args.run.scenario) throw UsageError("diff: give BASE.toml, and NEW.toml or --set overrides");
  if (!args.next && args.run.set.empty()) {
    throw UsageError("diff: give NEW.toml, or --set overrides of BASE (a scenario against itself is all zeros)");
  }
  const Destinations to = destinations(args.run, args.next ? std::vector{*args.next} : std::vector<std::string>{});
  const Scenario base = load_scenario(args.run.scenario, {});
  const Scenario next = load_scenario(args.next ? args.next : args.run.scenario, args.run.set);
  RunOptions options;
  options.trials = args.run.trials;
  options.seed = args.run.seed;
  options.threads = args.run.threads;
  options.cancel = &cancel;
  const ScenarioDiff diff = diff_scenarios(base, next, options);
  const std::vector<InputChange> changes = input_changes(base, next);
  std::string new_name = args.next ? *args.next : *args.run.scenario;
  for (const std::string& s : args.run.set) new_name += " --set " + s;
  const std::string& base_name = *args.run.scenario;
  const std::string text = format == "json"       ? diff_json(diff, changes, base_name, new_name)
                           : format == "markdown" ? diff_markdown(diff, changes, base_name, new_name)
                                                  : diff_table(diff, changes, base_name, new_name);
  std::vector<std::pair<OutputTarget, std::string>> outputs{{to.output, text}};
  if (to.report) outputs.emplace_back(*to.report, render_diff_report(diff, changes, base_name, new_name));
  if (cancel.load()) throw Interrupted();
  write_outputs(outputs, &cancel);
  return 0;
}

}  // namespace tokencast::cli
