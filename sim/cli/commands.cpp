#include "commands.hpp"

#include "../cluster/mpi_ranks.hpp"
#include "execution.hpp"
#include "progress.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <iostream>
#include <map>
#include <span>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tokencast/breakeven.hpp"
#include "tokencast/capacity_check.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/gpu_comparison.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"
#include "tokencast/random.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/trace.hpp"
#include "tokencast/work_units.hpp"

namespace tokencast::cli {

Destinations destinations(const RunArgs& args, const std::vector<std::string>& more_inputs) {
  // MPI ranks other than 0 write nothing: their node may not even have the output's directory.
  if (ranks().rank != 0) {
    Destinations none{OutputTarget{"--output", "-", ""}, std::nullopt};
    if (args.report) none.report = OutputTarget{"--report", *args.report, ""};
    return none;
  }
  std::vector<std::string> inputs;
  if (args.scenario) inputs.push_back(*args.scenario);
  inputs.insert(inputs.end(), more_inputs.begin(), more_inputs.end());
  if (execution().merged) {
    for (const PartialResult& part : *execution().merged) inputs.push_back(part.file);
  }
  Destinations d{check_output_target("--output", args.output.value_or("-"), inputs), std::nullopt};
  if (args.report) {
    d.report = check_output_target("--report", *args.report, inputs, std::span(&d.output, 1));
    if (d.report->to_stdout()) throw UsageError("--report: the HTML report goes to a file, not standard output");
  }
  return d;
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
  // A split command is the user's choice of scale: the CPU-time refusal, made for one process, is
  // lifted; the memory limits stay.
  if (split_execution()) options.max_cpu_s = std::numeric_limits<double>::infinity();
  return options;
}

namespace {

// Seconds since `start`.
double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The scenario, its load time kept for the run's phases.
Scenario load_timed(const RunArgs& args, double& load_s) {
  const auto start = std::chrono::steady_clock::now();
  Scenario scenario = load_scenario(args.scenario, args.set);
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
    if (!execution().merged) result.phases.output_s = since(start);
    outputs.front().second = format_json(result);
  }
  write_all(args, outputs, result.phases, start, cancel);
}

}  // namespace

int run_command(const RunArgs& args, const std::atomic<bool>& cancel) {
  check_split(args);
  const Destinations to = destinations(args);
  double load_s = 0;
  const Scenario scenario = load_timed(args, load_s);
  RunOptions options = run_options(args, cancel);
  // The report lists the top drivers: each input's draws kept (the draws themselves unchanged).
  // A split run keeps them always: the merge may be asked for the report.
  if (to.report || split_execution()) options.recorded_inputs = uncertain_inputs(scenario);
  RunResult result;
  if (split_execution()) {
    RunUnits units(scenario, options);
    if (!execute_units(units, identity_of("run", args, scenario, units.count()), to, args.format, cancel, "blocks of trials")) {
      return 0;
    }
    result = units.result();
  } else {
    std::atomic<std::int64_t> drawn{0};
    options.trials_done = &drawn;
    const ProgressMeter meter("trials", args.precision > 0 ? 0 : options.trials.value_or(scenario.trials), drawn);
    result = run_scenario(scenario, options);
  }
  result.phases.load_s = load_s;
  use_merged_timings(result);
  write_results(args, to, scenario, result, format_table, cancel);
  return 0;
}

int breakeven_command(const BreakevenArgs& args, const std::atomic<bool>& cancel) {
  check_split(args.run);
  const Destinations to = destinations(args.run);
  double load_s = 0;
  const Scenario scenario = load_timed(args.run, load_s);
  if (scenario.capacity.empty()) {
    throw InputError({scenario.file, 0, 0}, "",
                     "the scenario has no [[dedicated]] or [[gpu_cluster]] option to compare with serverless");
  }
  VolumeGridOptions grid;
  grid.points = args.grid_points;
  grid.method = args.grid_draws == "replay"       ? VolumeMethod::replay
                : args.grid_draws == "resimulate" ? VolumeMethod::resimulate
                                                  : VolumeMethod::automatic;
  const RunOptions options = run_options(args.run, cancel);
  RunResult result;
  if (split_execution()) {
    BreakevenUnits units(scenario, options, grid);
    if (!execute_units(units, identity_of("breakeven", args.run, scenario, units.count()), to, args.run.format, cancel,
                       "units")) {
      return 0;
    }
    result = units.result();
  } else {
    result = run_breakeven(scenario, options, grid);
  }
  result.phases.load_s = load_s;
  use_merged_timings(result);
  write_results(args.run, to, scenario, result, format_breakeven_table, cancel);
  return 0;
}

// "--gpu-price ID=USD" values: a catalog accelerator id and a price in (0, 1e4].
std::map<std::string, double, std::less<>> gpu_prices(const std::vector<std::string>& values) {
  std::map<std::string, double, std::less<>> prices;
  for (const std::string& value : values) {
    const auto equals = value.find('=');
    const std::string id = value.substr(0, equals);
    if (equals == std::string::npos || builtin_catalog().find_accelerator(id) == nullptr) {
      std::vector<std::string> ids;
      for (const AcceleratorSpec& gpu : builtin_catalog().accelerators) ids.push_back(gpu.id);
      throw UsageError(fmt::format("--gpu-price: expected ID=USD with ID one of {} (got '{}')", fmt::join(ids, ", "),
                                   value));
    }
    char* end = nullptr;
    const std::string number = value.substr(equals + 1);
    const double usd = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !(usd > 0 && usd <= 1e4)) {
      throw UsageError(fmt::format("--gpu-price: {}: expected a price per GPU-hour in (0, 10000] (got '{}')", id, number));
    }
    prices[id] = usd;
  }
  return prices;
}

TraceFormat trace_format_of(const std::string& name) {
  return name == "azure"      ? TraceFormat::azure_csv
         : name == "mooncake" ? TraceFormat::mooncake_jsonl
         : name == "openai"   ? TraceFormat::openai_jsonl
         : name == "csv"      ? TraceFormat::named_csv
         : name == "litellm"  ? TraceFormat::litellm_jsonl
                              : TraceFormat::automatic;
}

TraceColumns trace_columns(const std::string& text) {
  const auto usage = [&] {
    return UsageError(fmt::format(
        "--columns: expected time=NAME,input=NAME,output=NAME[,model=NAME][,cached=NAME] (got '{}')", text));
  };
  std::map<std::string, std::string, std::less<>> named;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, comma - start);
    const std::size_t equals = part.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == part.size()) throw usage();
    const std::string role = part.substr(0, equals);
    if (role != "time" && role != "input" && role != "output" && role != "model" && role != "cached") throw usage();
    if (!named.emplace(role, part.substr(equals + 1)).second) throw usage();
    start = comma + 1;
  }
  for (const char* role : {"time", "input", "output"}) {
    if (!named.contains(role)) throw usage();
  }
  return {named["time"], named["input"], named["output"], named["model"], named["cached"]};
}

// Reads the trace, scales it as asked, and replays it through each option's pool.
TraceReplay replay(const Scenario& scenario, const RunResult& result, const CapacityArgs& args,
                   const std::atomic<bool>& cancel) {
  if (args.scale && args.rate) throw UsageError("--scale and --rate: give one or the other");
  const TraceFormat format = trace_format_of(args.trace_format);
  std::optional<TraceColumns> columns;
  if (args.columns) columns = trace_columns(*args.columns);
  const Trace trace = read_trace(*args.replay, format, columns);
  TraceReplay out;
  out.file = trace.file;
  out.format = std::string(to_string(trace.format));
  out.trace_requests = trace.requests.size();
  out.span_s = trace.span_s;
  out.trace_rate_per_s = trace.mean_rate_per_s();
  {
    std::vector<double> times;
    times.reserve(trace.requests.size());
    for (const TimedRequest& r : trace.requests) times.push_back(r.arrival_s);
    out.arrivals = measure_arrivals(times);
  }
  out.copies = args.scale ? *args.scale : args.rate ? *args.rate / out.trace_rate_per_s : 1.0;
  if (!(out.copies * static_cast<double>(trace.requests.size()) <= max_simulated_requests)) {
    throw UsageError(fmt::format("--scale/--rate: {:.4g} copies of {} requests exceed the {:.0e} requests a replay "
                                 "simulates",
                                 out.copies, trace.requests.size(), max_simulated_requests));
  }
  std::vector<TimedRequest> scaled;
  if (out.copies != 1.0) {
    Rng rng = make_stream(result.seed, 0, StreamPurpose::capacity_check, 0, 2);
    scaled = superpose_copies(trace.requests, out.copies, rng);
  }
  const std::span<const TimedRequest> requests = out.copies != 1.0 ? std::span<const TimedRequest>(scaled)
                                                                   : std::span<const TimedRequest>(trace.requests);
  if (requests.empty()) throw UsageError("--scale: the scaled trace keeps no request");
  out.replayed_requests = requests.size();
  out.checks = replay_capacity(scenario, result, requests, args.replications, result.seed, &cancel);
  if (out.checks.empty()) {
    throw InputError({scenario.file, 0, 0}, "",
                     "--replay needs a capacity option with max_concurrency (sequences per replica)");
  }
  return out;
}

int capacity_command(const CapacityArgs& args, const std::atomic<bool>& cancel) {
  const Destinations to = destinations(args.run);
  double load_s = 0;
  const Scenario scenario = load_timed(args.run, load_s);
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
  CapacitySections sections;
  sections.checks = std::move(checks);
  if (args.compare_gpus) {
    const auto start = std::chrono::steady_clock::now();
    GpuCandidates candidates = gpu_candidates(scenario, builtin_catalog(), gpu_prices(args.gpu_prices));
    sections.gpus = GpuComparison{compare_gpus(scenario, candidates.candidates, run_options(args.run, cancel)),
                                  std::move(candidates.skipped)};
    result.phases.simulate_s += since(start);
  }
  if (args.replay) {
    const auto start = std::chrono::steady_clock::now();
    sections.replay = replay(scenario, result, args, cancel);
    result.phases.simulate_s += since(start);
  }
  const auto start = std::chrono::steady_clock::now();
  std::string text;
  if (args.run.format == "json") {
    result.phases.output_s = 0;
    text = format_capacity_json(result, sections);
  } else {
    text = format_capacity_table(result, sections);
  }
  std::vector<std::pair<OutputTarget, std::string>> outputs{{to.output, std::move(text)}};
  if (to.report) outputs.emplace_back(*to.report, render_html_report(scenario, result, &sections));
  write_all(args.run, std::move(outputs), result.phases, start, cancel);
  return 0;
}

Scenario load_scenario(const std::optional<std::string>& path, const std::vector<std::string>& set) {
  std::vector<ScenarioOverride> overrides;
  for (const std::string& text : set) overrides.push_back(parse_override(text));
  // A split command reads the file once: the text its part records is the text it ran. A merge
  // reads the scenario as the parts recorded it: the file may be gone, or changed.
  if (path && (split_execution() || execution().scenario_texts.contains(*path))) {
    auto& texts = execution().scenario_texts;
    auto found = texts.find(*path);
    if (found == texts.end()) found = texts.emplace(*path, read_scenario_file(*path)).first;
    return load_scenario_text(found->second, *path, builtin_catalog(), overrides);
  }
  return path ? load_scenario_file(*path, builtin_catalog(), overrides)
              : load_default_scenario(builtin_catalog(), overrides);
}

int validate_command(const std::string& scenario_path, const std::vector<std::string>& set) {
  const Scenario s = load_scenario(scenario_path, set);
  std::size_t dedicated = 0, clusters = 0;
  for (const auto& c : s.capacity) (c.kind == CapacityKind::dedicated ? dedicated : clusters)++;
  write_stdout(terminal_safe(fmt::format(
      "{}: ok: \"{}\": {} workload(s), {} model(s), {} dedicated and {} gpu_cluster option(s), {} month(s), {} "
      "trials, seed {}\n",
      scenario_path, s.name, s.workloads.size(), s.models.size(), dedicated, clusters, s.months, s.trials, s.seed)));
  for (const ScenarioWarning& w : scenario_warnings(s)) {
    std::cerr << terminal_safe(fmt::format("warning: {}: {}: {}\n", scenario_path, w.key_path, w.message));
  }
  return 0;
}

int catalog_command(const CatalogArgs& args) {
  const Catalog& catalog = builtin_catalog();
  write_stdout(args.format == "json" ? format_catalog_json(catalog, args.filter) : format_catalog_table(catalog, args.filter));
  return 0;
}

}  // namespace tokencast::cli
