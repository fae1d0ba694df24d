#include "commands.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>
#include <span>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokencast/breakeven.hpp"
#include "tokencast/capacity_check.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"
#include "tokencast/scenario_loader.hpp"

namespace tokencast::cli {
namespace {

Scenario load(const std::optional<std::string>& path) {
  return path ? load_scenario_file(*path) : load_default_scenario();
}

// Where a command's outputs go, checked before anything is simulated.
struct Destinations {
  OutputTarget output;
  std::optional<OutputTarget> report;
};

Destinations destinations(const RunArgs& args) {
  std::vector<std::string> inputs;
  if (args.scenario) inputs.push_back(*args.scenario);
  Destinations d{check_output_target("--output", args.output.value_or("-"), inputs), std::nullopt};
  if (args.report) {
    d.report = check_output_target("--report", *args.report, inputs, std::span(&d.output, 1));
    if (d.report->to_stdout()) throw UsageError("--report: the HTML report goes to a file, not standard output");
  }
  return d;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}


RunOptions run_options(const RunArgs& args, const std::atomic<bool>& cancel) {
  RunOptions options;
  options.trials = args.trials;
  options.seed = args.seed;
  options.threads = args.threads;
  options.cancel = &cancel;
  options.group_by = args.group_by;
  options.exact = args.exact;
  options.precision = args.precision;
  options.max_trials = args.max_trials;
  return options;
}

// Seconds since `start`.
double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The scenario, its load time kept for the run's phases.
Scenario load_timed(const std::optional<std::string>& path, double& load_s) {
  const auto start = std::chrono::steady_clock::now();
  Scenario scenario = load(path);
  load_s = since(start);
  return scenario;
}

// Writes the outputs all or none; with --timings, prints the phases, output included, to stderr.
void write_all(const RunArgs& args, const std::vector<std::pair<OutputTarget, std::string>>& outputs,
               RunPhases phases, std::chrono::steady_clock::time_point output_start, const std::atomic<bool>& cancel) {
  // An interrupt while rendering still writes nothing.
  if (cancel.load()) throw Interrupted();
  write_outputs(outputs, &cancel);
  phases.output_s = since(output_start);
  if (args.timings) std::cerr << format_timings(phases);
}

// Renders every requested output before writing any, then writes them all or none. The JSON
// document, rendered last, holds the rendering time of the outputs before it.
void write_results(const RunArgs& args, const Destinations& to, const Scenario& scenario, RunResult& result,
                   std::string (*table)(const RunResult&), const std::atomic<bool>& cancel) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<OutputTarget, std::string>> outputs{{to.output, std::string()}};
  if (to.report) outputs.emplace_back(*to.report, render_html_report(scenario, result));
  if (args.format == "csv") {
    outputs.front().second = format_csv(result);
  } else if (args.format != "json") {
    outputs.front().second = table(result);
  } else {
    result.phases.output_s = since(start);
    outputs.front().second = format_json(result);
  }
  write_all(args, outputs, result.phases, start, cancel);
}

}  // namespace

int run_command(const RunArgs& args, const std::atomic<bool>& cancel) {
  const Destinations to = destinations(args);
  double load_s = 0;
  const Scenario scenario = load_timed(args.scenario, load_s);
  RunResult result = run_scenario(scenario, run_options(args, cancel));
  result.phases.load_s = load_s;
  write_results(args, to, scenario, result, format_table, cancel);
  return 0;
}

int breakeven_command(const BreakevenArgs& args, const std::atomic<bool>& cancel) {
  const Destinations to = destinations(args.run);
  double load_s = 0;
  const Scenario scenario = load_timed(args.run.scenario, load_s);
  if (scenario.capacity.empty()) {
    throw InputError({scenario.file, 0, 0}, "",
                     "the scenario has no [[dedicated]] or [[gpu_cluster]] option to compare with serverless");
  }
  VolumeGridOptions grid;
  grid.points = args.grid_points;
  grid.method = args.grid_draws == "replay"       ? VolumeMethod::replay
                : args.grid_draws == "resimulate" ? VolumeMethod::resimulate
                                                  : VolumeMethod::automatic;
  RunResult result = run_breakeven(scenario, run_options(args.run, cancel), grid);
  result.phases.load_s = load_s;
  write_results(args.run, to, scenario, result, format_breakeven_table, cancel);
  return 0;
}

int capacity_command(const CapacityArgs& args, const std::atomic<bool>& cancel) {
  const Destinations to = destinations(args.run);
  double load_s = 0;
  const Scenario scenario = load_timed(args.run.scenario, load_s);
  if (scenario.capacity.empty()) {
    throw InputError({scenario.file, 0, 0}, "", "the scenario has no [[dedicated]] or [[gpu_cluster]] option to size");
  }
  RunResult result = run_scenario(scenario, run_options(args.run, cancel));
  result.phases.load_s = load_s;
  std::vector<PoolCheck> checks;
  if (args.simulate) {
    bool any = false;
    for (const auto& option : scenario.capacity) any = any || option.max_concurrency > 0;
    if (!any) {
      throw InputError({scenario.file, 0, 0}, "",
                       "--simulate needs a capacity option with max_concurrency (sequences per replica)");
    }
    // The pool simulation's time counts as simulation.
    const auto start = std::chrono::steady_clock::now();
    checks = check_capacity(scenario, result, args.replications, args.arrival_scv, result.seed, &cancel);
    result.phases.simulate_s += since(start);
  }
  const auto start = std::chrono::steady_clock::now();
  std::string text;
  if (args.run.format == "json") {
    result.phases.output_s = 0;
    nlohmann::ordered_json j = to_json(result);
    j["capacity_checks"] = capacity_checks_json(checks);
    text = j.dump(2) + "\n";
  } else {
    text = format_capacity_table(result, checks);
  }
  write_all(args.run, {{to.output, std::move(text)}}, result.phases, start, cancel);
  return 0;
}

int validate_command(const std::string& scenario_path) {
  const Scenario s = load_scenario_file(scenario_path);
  std::size_t dedicated = 0, clusters = 0;
  for (const auto& c : s.capacity) (c.kind == CapacityKind::dedicated ? dedicated : clusters)++;
  write_stdout(terminal_safe(fmt::format(
      "{}: ok: \"{}\": {} workload(s), {} model(s), {} dedicated and {} gpu_cluster option(s), {} month(s), {} "
      "trials, seed {}\n",
      scenario_path, s.name, s.workloads.size(), s.models.size(), dedicated, clusters, s.months, s.trials, s.seed)));
  return 0;
}

int catalog_command(const CatalogArgs& args) {
  const Catalog& catalog = builtin_catalog();
  const std::string filter = lower(args.filter);
  auto matches = [&](const std::string& id) { return filter.empty() || lower(id).find(filter) != std::string::npos; };

  if (args.format == "json") {
    nlohmann::ordered_json j;
    j["provider"] = catalog.provider;
    j["as_of"] = catalog.as_of;
    j["models"] = nlohmann::ordered_json::array();
    for (const auto& m : catalog.models) {
      if (!matches(m.id)) continue;
      nlohmann::ordered_json e;
      e["id"] = m.id;
      e["input_usd_per_mtok"] = m.input_usd_per_mtok.constant();
      e["output_usd_per_mtok"] = m.output_usd_per_mtok.constant();
      if (m.cached_input_usd_per_mtok) e["cached_input_usd_per_mtok"] = m.cached_input_usd_per_mtok->constant();
      if (m.batch_discount) e["batch_discount"] = m.batch_discount->constant();
      e["context_tokens"] = m.context_tokens;
      e["source"] = m.source;
      e["as_of"] = m.as_of;
      if (!m.note.empty()) e["note"] = m.note;
      j["models"].push_back(e);
    }
    j["gpus"] = nlohmann::ordered_json::array();
    for (const auto& g : catalog.gpus) {
      if (!matches(g.id)) continue;
      j["gpus"].push_back({{"id", g.id}, {"usd_per_gpu_hour", g.usd_per_gpu_hour}, {"source", g.source}, {"as_of", g.as_of}});
    }
    write_stdout(j.dump(2) + "\n");
    return 0;
  }

  std::string out = fmt::format("{} serverless prices, USD per 1M tokens (as of {})\n\n", catalog.provider, catalog.as_of);
  out += fmt::format("{:<52} {:>9} {:>9} {:>9} {:>8}  {}\n", "model", "input", "output", "batch", "context",
                           "as of");
  std::size_t shown = 0;
  for (const auto& m : catalog.models) {
    if (!matches(m.id)) continue;
    ++shown;
    const std::string batch =
        m.batch_discount ? fmt::format("-{:.0f}%", 100.0 * m.batch_discount->constant()) : std::string("-");
    out += fmt::format("{:<52} {:>9.2f} {:>9.2f} {:>9} {:>8}  {}\n", m.id, m.input_usd_per_mtok.constant(),
                             m.output_usd_per_mtok.constant(), batch, m.context_tokens, m.as_of);
    if (!m.note.empty()) out += fmt::format("    note: {}\n", m.note);
  }
  out += fmt::format("\nDedicated endpoints, USD per GPU-hour\n\n{:<20} {:>10}  {:<12} {}\n", "gpu", "usd/hour",
                           "as of", "source");
  for (const auto& g : catalog.gpus) {
    if (!matches(g.id)) continue;
    ++shown;
    out += fmt::format("{:<20} {:>10.2f}  {:<12} {}\n", g.id, g.usd_per_gpu_hour, g.as_of, g.source);
  }
  if (shown == 0) out += fmt::format("\nnothing matches \"{}\"\n", args.filter);
  write_stdout(terminal_safe(out));
  return 0;
}

}  // namespace tokencast::cli
