// tokencast: Monte Carlo cost percentiles and capacity for LLM inference spending.
// Exit codes: 0 success, 1 an output could not be written or an unexpected failure, 2 bad input or
// usage, 128 + N interrupted by signal N (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>
#include <functional>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "arguments.hpp"
#include "../cluster/mpi_ranks.hpp"
#include "commands.hpp"
#include "execution.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"

namespace {

std::atomic<bool> interrupted{false};
std::atomic<int> interrupting_signal{SIGINT};

// The first signal asks every loop to stop (they poll `interrupted`); a second one ends the
// process at once, removing the temporary files being written.
extern "C" void on_signal(int signal_number) {
  if (interrupted.exchange(true)) {
    tokencast::remove_temporary_files_now();
    ::_exit(128 + signal_number);
  }
  interrupting_signal.store(signal_number);
}

// Without SA_RESTART: a blocking open() or read() (a FIFO with no writer) returns EINTR rather
// than waiting on.
void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal_number, &action, nullptr);
}

constexpr int exit_failure = 1;
constexpr int exit_bad_input = 2;

// Only rank 0 of an MPI job speaks at once: the other ranks mostly meet the same errors, and keep
// theirs for main, which says it only if rank 0 has not ended the job by then.
std::string rank_error;
void print_error(const std::string& text) {
  if (tokencast::ranks().rank == 0) {
    std::cerr << tokencast::terminal_safe(text) << "\n";
  } else {
    rank_error = text;
  }
}

// Numbers are read as text and parsed strictly (arguments.hpp) once CLI11 has split the line.
struct NumberArguments {
  std::optional<std::string> trials, seed, threads, precision, max_trials, grid, replications, arrival_scv, scale, rate;
};

void add_simulation_options(CLI::App* command, tokencast::cli::RunArgs& args, NumberArguments& numbers) {
  command->add_option("scenario", args.scenario, "Scenario TOML file (default: the embedded quickstart scenario)");
  command->add_option("--trials", numbers.trials, "Number of Monte Carlo trials, 1..10000000 (overrides the scenario)");
  command->add_option("--seed", numbers.seed, "Random seed, 0..2^64-1 (overrides the scenario)");
  command->add_option("--threads", numbers.threads, "Worker threads, 1..1024 (default: all cores)");
  command->add_option("--format", args.format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  command->add_option("--output,-o", args.output, "Write to FILE (atomically) instead of standard output; - is standard output");
  command->add_option("--set", args.set,
                      "KEY.PATH=VALUE: replace (or add) a scenario value before it is read, VALUE in TOML: "
                      "workload[0].requests_per_month=2e6, 'dedicated[0].replicas=4', "
                      "'workload[0].input_tokens={ dist = \"lognormal\", mean = 900, cv = 1 }' (repeatable)");
  command->add_flag("--timings", args.timings,
                    "Print the wall time of each phase (load, plan, simulate, size, statistics, output) to standard "
                    "error");
}

void read_numbers(const NumberArguments& n, tokencast::cli::RunArgs& run, tokencast::cli::BreakevenArgs& breakeven,
                  tokencast::cli::CapacityArgs& capacity) {
  using namespace tokencast::cli;
  if (n.trials) run.trials = parse_integer("--trials", *n.trials, 1, 10'000'000);
  if (n.seed) run.seed = parse_seed("--seed", *n.seed);
  if (n.threads) run.threads = static_cast<int>(parse_integer("--threads", *n.threads, 1, 1024));
  if (n.precision) run.precision = parse_real("--precision", *n.precision, 1e-6, 0.5);
  if (n.max_trials) run.max_trials = parse_integer("--max-trials", *n.max_trials, 1, 10'000'000);
  if (n.grid) breakeven.grid_points = static_cast<int>(parse_integer("--grid", *n.grid, 8, 400));
  if (n.replications) capacity.replications = static_cast<int>(parse_integer("--replications", *n.replications, 1, 1000));
  if (n.scale) capacity.scale = parse_real("--scale", *n.scale, 1e-6, 1e4);
  if (n.rate) capacity.rate = parse_real("--rate", *n.rate, 1e-9, 1e9);
  if (n.arrival_scv) capacity.arrival_scv = parse_real("--arrival-scv", *n.arrival_scv, 0.0, 1e9);
  if (run.scenario && run.scenario->empty()) {
    throw tokencast::UsageError("scenario: the path is empty (leave it out for the embedded default scenario)");
  }
}

// Parses the words after the program's name and runs the command they name: main's, and merge's
// with the parts' recorded command line.
int dispatch(const std::vector<std::string>& words) {
  using namespace tokencast::cli;
  CLI::App app{"tokencast: Monte Carlo cost percentiles, capacity sizing and break-even for LLM inference spending"};
  app.set_version_flag("--version", std::string("tokencast ") + TOKENCAST_VERSION);
  app.require_subcommand(1);

  RunArgs run;
  BreakevenArgs breakeven;
  CapacityArgs capacity;
  NumberArguments numbers;

  auto* run_cmd = app.add_subcommand("run", "Simulate a scenario and report cost percentiles per workload, model and mode");
  add_simulation_options(run_cmd, run, numbers);
  run_cmd->add_option("--report", run.report, "Also write a self-contained HTML report to FILE");
  run_cmd->add_option("--group-by", run.group_by, "Break costs down by this workload tag (repeatable)");
  run_cmd->add_flag("--exact", run.exact,
                    "Draw every request individually (reference for the hourly-sum approximation; small volumes)");
  run_cmd->add_option("--precision", numbers.precision,
                      "Add trials until every reported p50 and p95 has a relative standard error below REL "
                      "(1e-6..0.5, e.g. 0.005)");
  run_cmd->add_option("--max-trials", numbers.max_trials, "Upper bound on trials for --precision (default 1000000)");
  std::optional<std::string> shard;
  const auto add_shard_option = [&](CLI::App* command) {
    command->add_option("--shard", shard,
                        "I/N: compute only shard I of N of the work (a range of trials or combinations) and write it "
                        "to -o FILE, a partial result for tokencast merge (docs/cluster.md)");
  };
  add_shard_option(run_cmd);

  auto* breakeven_cmd = app.add_subcommand(
      "breakeven", "Utilization and volume break-even of each dedicated / GPU-cluster option against serverless");
  add_simulation_options(breakeven_cmd, breakeven.run, numbers);
  breakeven_cmd->add_option("--grid", numbers.grid, "Volume grid points, 8..400, log-spaced from 1/20x to 20x");
  breakeven_cmd
      ->add_option("--grid-draws", breakeven.grid_draws,
                   "How the grid's trials are drawn: replay (once, scaled to each volume), resimulate (again at each "
                   "volume), or auto (replay when the scenario allows it)")
      ->check(CLI::IsMember({"auto", "replay", "resimulate"}));
  breakeven_cmd->add_option("--report", breakeven.run.report, "Also write a self-contained HTML report to FILE");
  add_shard_option(breakeven_cmd);

  auto* capacity_cmd = app.add_subcommand(
      "capacity", "Replicas each capacity option needs, by utilization and by latency objective (queueing model)");
  add_simulation_options(capacity_cmd, capacity.run, numbers);
  capacity_cmd->add_flag("--simulate", capacity.simulate,
                         "Check the queueing approximation with a discrete-event simulation of the peak hour");
  capacity_cmd->add_option("--replications", numbers.replications, "Simulated peak hours, 1..1000 (default 10)");
  capacity_cmd->add_flag("--compare-gpus", capacity.compare_gpus,
                         "Size and cost each option on every catalog GPU and tensor-parallel degree that holds its "
                         "model (throughput estimated: docs/throughput.md)");
  capacity_cmd->add_option("--gpu-price", capacity.gpu_prices,
                           "ID=USD: a price per GPU-hour for --compare-gpus, for a GPU the catalog has no price for "
                           "(repeatable)");
  capacity_cmd->add_option("--report", capacity.run.report, "Also write a self-contained HTML report to FILE");
  capacity_cmd->add_option("--replay", capacity.replay,
                           "Feed a request trace's arrivals and tokens through each option's pool at the replicas "
                           "chosen, one fewer and one more (Azure CSV, Mooncake JSONL, OpenAI response JSONL, or a "
                           "CSV named by --columns)");
  capacity_cmd->add_option("--scale", numbers.scale,
                           "With --replay: superpose K time-shifted copies of the trace (K times its rate), 0..10000");
  capacity_cmd->add_option("--rate", numbers.rate, "With --replay: scale the trace to R requests per second");
  capacity_cmd->add_option("--trace-format", capacity.trace_format, "With --replay: the trace's format")
      ->check(CLI::IsMember(trace_format_names));
  capacity_cmd->add_option("--columns", capacity.columns,
                           "With --replay of a CSV: time=NAME,input=NAME,output=NAME (time in seconds or a date-time)");
  capacity_cmd->add_option("--arrival-scv", numbers.arrival_scv,
                           "With --simulate: simulate renewal arrivals of this interarrival scv (0..1e9; 1: Poisson) in place of the scenario's traffic.arrivals");

  std::string validate_path;
  std::vector<std::string> validate_set;
  auto* validate_cmd = app.add_subcommand("validate", "Check a scenario file and report what it defines");
  validate_cmd->add_option("scenario", validate_path, "Scenario TOML file")->required();
  validate_cmd->add_option("--set", validate_set, "KEY.PATH=VALUE: a scenario value replaced before it is read (repeatable)");

  FitArgs fit;
  std::string fit_seed;
  auto* fit_cmd = app.add_subcommand("fit", "Fit a scenario's workloads from usage logs (docs/fitting.md)");
  fit_cmd->add_option("logs", fit.logs,
                      "Logs in time order: OpenAI response JSONL, Azure trace CSV, Mooncake JSONL, or a CSV named by "
                      "--columns; plain or gzip")
      ->required();
  fit_cmd->add_option("-o,--output", fit.output, "Write the scenario to FILE (atomically) instead of standard output");
  fit_cmd->add_option("--format", fit.format, "toml: the scenario; json: the fit's figures (the scenario then to -o)")
      ->check(CLI::IsMember({"toml", "json"}));
  fit_cmd->add_option("--by", fit.by,
                      "One workload for the log (none), per model it names (model), or per value of a tag TAG (a "
                      "CSV column, a LiteLLM request_tags entry TAG:value, or metadata.TAG)");
  fit_cmd->add_option("--model", fit.model, "The catalog model of a log that names none (or of every request)");
  fit_cmd->add_option("--trace-format", fit.trace_format, "The logs' format (litellm: LiteLLM spend-log JSONL)")
      ->check(CLI::IsMember(trace_format_names));
  fit_cmd->add_option("--columns", fit.columns,
                      "For a CSV: time=NAME,input=NAME,output=NAME[,model=NAME][,cached=NAME]");
  fit_cmd->add_option("--on-error", fit.on_error, "A bad line fails the fit (fail) or is counted and skipped (skip)")
      ->check(CLI::IsMember({"fail", "skip"}));
  fit_cmd->add_option("--seed", fit_seed, "Seed of the block bootstrap, 0..2^64-1 (default 1)");

  // The log options fit, backtest and forecast share.
  auto add_log_options = [](CLI::App* command, FitArgs& args, std::string& seed) {
    command->add_option("logs", args.logs, "Logs in time order (the formats fit reads; plain or gzip)")->required();
    command->add_option("--by", args.by, "One workload for the log (none), per model (model), or per value of a tag TAG");
    command->add_option("--model", args.model, "The catalog model of a log that names none (or of every request)");
    command->add_option("--trace-format", args.trace_format, "The logs' format")->check(CLI::IsMember(trace_format_names));
    command->add_option("--columns", args.columns, "For a CSV: time=NAME,input=NAME,output=NAME[,model=NAME][,cached=NAME]");
    command->add_option("--on-error", args.on_error, "A bad line fails (fail) or is counted and skipped (skip)")
        ->check(CLI::IsMember({"fail", "skip"}));
    command->add_option("--seed", seed, "Seed of the bootstrap and the simulation, 0..2^64-1 (default 1)");
  };
  CheckArgs check;
  auto* check_cmd = app.add_subcommand(
      "check", "Exit 3 when a scenario's cost at a percentile is over a budget, 0 within it (docs/ci.md)");
  add_simulation_options(check_cmd, check.run, numbers);
  check_cmd->add_option("--budget", check.budget, "USD over the horizon (a month's with --per-month)")->required();
  check_cmd->add_option("--percentile", check.percentile, "The percentile checked, in (0, 100) (default 95)");
  check_cmd->add_option("--mode", check.mode, "The total checked (default cheapest_plan)")
      ->check(CLI::IsMember({"cheapest_plan", "serverless", "batch"}));
  check_cmd->add_flag("--per-month", check.per_month, "Check every month of the horizon against the budget");
  check_cmd->add_option("--report", check.run.report, "Also write an HTML report of the check");

  DiffArgs diff;
  auto* diff_cmd = app.add_subcommand(
      "diff", "Compare two scenarios (or one and its --set overrides) on common random numbers (docs/ci.md)");
  diff_cmd->add_option("scenario", diff.run.scenario, "BASE scenario TOML file")->required();
  diff_cmd->add_option("new", diff.next, "NEW scenario TOML file (default: BASE with the --set overrides)");
  diff_cmd->add_option("--set", diff.run.set, "KEY.PATH=VALUE: an override of NEW (repeatable)");
  diff_cmd->add_option("--trials", numbers.trials, "Trials of each side, 1..10000000 (default: BASE's)");
  diff_cmd->add_option("--seed", numbers.seed, "Random seed of both sides, 0..2^64-1 (default: BASE's)");
  diff_cmd->add_option("--threads", numbers.threads, "Worker threads, 1..1024 (default: all cores)");
  diff_cmd->add_option("--format", diff.run.format, "table, json, or markdown for a pull-request comment")
      ->check(CLI::IsMember({"table", "json", "markdown"}));
  diff_cmd->add_option("--output,-o", diff.run.output, "Write to FILE (atomically) instead of standard output");
  diff_cmd->add_option("--report", diff.run.report, "Also write an HTML report of the changes");

  SensitivityArgs sensitivity;
  auto* sensitivity_cmd = app.add_subcommand(
      "sensitivity", "Which uncertain inputs drive an output: tornado, spider data and variance shares");
  add_simulation_options(sensitivity_cmd, sensitivity.run, numbers);
  sensitivity_cmd->add_option("--output-of", sensitivity.output_of,
                              "The output followed (default total.cheapest_plan; also total.serverless, "
                              "model[ID].cheapest, capacity[NAME].cost, workload[NAME].serverless, ...)");
  sensitivity_cmd->add_option("--report", sensitivity.run.report, "Also write an HTML report with the tornado chart");
  add_shard_option(sensitivity_cmd);

  SweepArgs sweep;
  auto* sweep_cmd = app.add_subcommand(
      "sweep", "Run a scenario at every combination of some inputs' values; pick the best by an objective");
  add_simulation_options(sweep_cmd, sweep.run, numbers);
  sweep_cmd->add_option("--vary", sweep.vary,
                        "PATH=VALUES: a list (dedicated[0].replicas=1,2,4), a range (1..8, 0.5..0.9:0.1) or a log "
                        "range (log:1e5..1e7:5); repeatable, every combination run")
      ->required();
  sweep_cmd->add_option("--objective", sweep.objective,
                        "What the best combination minimises (or 'max EXPR'): p95(total.cheapest_plan), "
                        "mean(capacity[NAME].cost), P(slo) ... (default mean(total.cheapest_plan))");
  sweep_cmd->add_option("--constraint", sweep.constraints,
                        "A combination must meet it: 'P(slo) >= 0.99', 'p95(total) <= 50000' (repeatable)");
  sweep_cmd->add_option("--draws", sweep.draws,
                        "replay: draw once and re-cost each replica count (a sweep of replicas only); resimulate: "
                        "simulate every combination; auto: replay where it can (default)")
      ->check(CLI::IsMember({"auto", "replay", "resimulate"}));
  sweep_cmd->add_option("--report", sweep.run.report, "Also write an HTML report (a line chart or a heat map)");
  add_shard_option(sweep_cmd);

  MergeArgs merge;
  auto* merge_cmd = app.add_subcommand(
      "merge", "Put the partial results of --shard I/N runs back together: the output one process gives");
  merge_cmd->add_option("parts", merge.parts, "The parts, one per shard, in any order")->required();
  merge_cmd->add_option("--output,-o", merge.output, "Write to FILE (atomically) instead of standard output");
  merge_cmd->add_option("--format", merge.format, "Output format (default: the one the shards were given)")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  merge_cmd->add_option("--report", merge.report, "Also write the command's HTML report to FILE");
  merge_cmd->add_option("--threads", numbers.threads, "Worker threads, 1..1024 (default: all cores)");

  BacktestArgs backtest;
  std::string backtest_seed;
  auto* backtest_cmd = app.add_subcommand(
      "backtest", "Fit the head of a log, simulate the tail's period and place the actuals in it (docs/fitting.md)");
  add_log_options(backtest_cmd, backtest.fit, backtest_seed);
  backtest_cmd->add_option("--train-fraction", backtest.train_fraction,
                           "The first origin at this share of the log's span (default 0.5)");
  backtest_cmd->add_option("--train-until", backtest.train_until,
                           "The first origin at this time: seconds on the log's clock or a UTC YYYY-MM-DD HH:MM[:SS]");
  backtest_cmd->add_option("--train-window", backtest.train_window,
                           "Fit only this much log before each origin: 600, 30m, 7d (default: all of it)");
  backtest_cmd->add_option("--rolling", backtest.rolling, "Origins, each a horizon after the one before, 1..1000 (default 1)");
  backtest_cmd->add_option("--horizon", backtest.horizon,
                           "Each test period: 300, 5m, 2h, 1d (default: the rest of the log over --rolling)");
  backtest_cmd->add_option("--trials", backtest.trials, "Trials per origin, 100..10000000 (default 2000)");
  backtest_cmd->add_option("--threads", backtest.threads, "Worker threads, 1..1024 (default: all cores)");
  backtest_cmd->add_option("--format", backtest.format, "Output format")->check(CLI::IsMember({"table", "json"}));
  backtest_cmd->add_option("--report", backtest.report, "Also write an HTML page with the bands against the actuals");

  ForecastArgs forecast;
  std::string forecast_seed;
  auto* forecast_cmd = app.add_subcommand(
      "forecast", "Month-to-date spend from a log plus a simulated rest of the month, against a budget (docs/fitting.md)");
  add_log_options(forecast_cmd, forecast.fit, forecast_seed);
  forecast_cmd->add_option("--budget", forecast.budget, "The month's budget in USD")->required();
  forecast_cmd->add_option("--period", forecast.period, "The month, YYYY-MM (default: the month of the log's last request)");
  forecast_cmd->add_option("--fail-above", forecast.fail_above, "Exit 3 when P(over budget) is above P (0..1)");
  forecast_cmd->add_option("--trials", forecast.trials, "Trials, 100..10000000 (default 2000)");
  forecast_cmd->add_option("--threads", forecast.threads, "Worker threads, 1..1024 (default: all cores)");
  forecast_cmd->add_option("--format", forecast.format, "Output format")->check(CLI::IsMember({"table", "json"}));
  forecast_cmd->add_option("--report", forecast.report, "Also write an HTML page with the cumulative-spend fan chart");

  CatalogArgs catalog;
  auto* catalog_cmd = app.add_subcommand("catalog", "List the built-in price catalog");
  catalog_cmd->add_option("--filter", catalog.filter, "Show only ids containing TEXT (case-insensitive)");
  catalog_cmd->add_option("--format", catalog.format, "Output format")->check(CLI::IsMember({"table", "json"}));

  try {
    std::vector<std::string> reversed(words.rbegin(), words.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_bad_input;
  }
  // What a part records of the command line: the words after the command's name.
  for (const CLI::App* sub : app.get_subcommands()) {
    const auto at = std::find(words.begin(), words.end(), sub->get_name());
    if (at != words.end()) execution().arguments = recorded_arguments(std::vector<std::string>(at + 1, words.end()));
  }
  // `capacity` has no CSV: its table and JSON only.
  if (*capacity_cmd && capacity.run.format == "csv") {
    print_error("tokencast: error: --format: capacity writes table or json (got csv)");
    return exit_bad_input;
  }

  install_signal_handlers();
  const std::function<int()> command = [&]() -> int {
    if (shard) execution().shard = parse_shard(*shard);
    const bool splits = *run_cmd || *breakeven_cmd || *sensitivity_cmd || *sweep_cmd;
    if (tokencast::ranks().size > 1 && !splits) {
      throw tokencast::UsageError(
          "under mpirun, tokencast runs run, breakeven, sensitivity or sweep across the ranks; other commands run as "
          "one process");
    }
    if (*merge_cmd) {
      if (numbers.threads) merge.threads = static_cast<int>(parse_integer("--threads", *numbers.threads, 1, 1024));
      std::vector<std::string> again;
      const int code = merge_command(merge, again);
      return code != 0 ? code : dispatch(again);
    }
    if (*run_cmd) {
      read_numbers(numbers, run, breakeven, capacity);
      return run_command(run, interrupted);
    }
    if (*breakeven_cmd) {
      read_numbers(numbers, breakeven.run, breakeven, capacity);
      return breakeven_command(breakeven, interrupted);
    }
    if (*capacity_cmd) {
      read_numbers(numbers, capacity.run, breakeven, capacity);
      return capacity_command(capacity, interrupted);
    }
    if (*validate_cmd) {
      if (validate_path.empty()) throw tokencast::UsageError("scenario: the path is empty");
      return validate_command(validate_path, validate_set);
    }
    if (*catalog_cmd) return catalog_command(catalog);
    if (*fit_cmd) {
      if (!fit_seed.empty()) fit.seed = parse_seed("--seed", fit_seed);
      return fit_command(fit);
    }
    if (*diff_cmd) {
      read_numbers(numbers, diff.run, breakeven, capacity);
      return diff_command(diff, interrupted);
    }
    if (*sensitivity_cmd) {
      read_numbers(numbers, sensitivity.run, breakeven, capacity);
      return sensitivity_command(sensitivity, interrupted);
    }
    if (*sweep_cmd) {
      read_numbers(numbers, sweep.run, breakeven, capacity);
      return sweep_command(sweep, interrupted);
    }
    if (*check_cmd) {
      read_numbers(numbers, check.run, breakeven, capacity);
      return check_command(check, interrupted);
    }
    if (*backtest_cmd) {
      if (!backtest_seed.empty()) backtest.fit.seed = parse_seed("--seed", backtest_seed);
      return backtest_command(backtest);
    }
    if (*forecast_cmd) {
      if (!forecast_seed.empty()) forecast.fit.seed = parse_seed("--seed", forecast_seed);
      return forecast_command(forecast);
    }
    return exit_failure;
  };
  // Whatever a signal interrupted (a simulation, or a blocking open of a FIFO that then failed),
  // the exit says so.
  auto interrupted_exit = [] {
    print_error("tokencast: interrupted; nothing was written");
    return 128 + interrupting_signal.load();
  };
  try {
    const int code = command();
    return interrupted.load() && code != 0 ? interrupted_exit() : code;
  } catch (const tokencast::InputError& e) {
    if (interrupted.load()) return interrupted_exit();
    print_error(e.what());
    return exit_bad_input;
  } catch (const tokencast::ResourceLimitError& e) {
    if (interrupted.load()) return interrupted_exit();
    print_error(e.what());
    return exit_bad_input;
  } catch (const tokencast::UsageError& e) {
    print_error(std::string("tokencast: error: ") + e.what());
    return exit_bad_input;
  } catch (const tokencast::Interrupted&) {
    return interrupted_exit();
  } catch (const std::exception& e) {
    if (interrupted.load()) return interrupted_exit();
    print_error(std::string("tokencast: error: ") + e.what());
    return exit_failure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const tokencast::Ranks ranks = tokencast::start_ranks(argc, argv);
  const int code = dispatch(std::vector<std::string>(argv + 1, argv + argc));
  // A rank that stops on an error ends the job: the others would wait for it for ever.
  if (code != 0 && ranks.size > 1) {
    if (ranks.rank != 0) {
      // Rank 0 usually meets the same error, says it and ends the job within this wait.
      std::this_thread::sleep_for(std::chrono::seconds(3));
      const std::string said = rank_error.starts_with("tokencast: ") ? rank_error.substr(11) : rank_error;
      std::cerr << tokencast::terminal_safe(fmt::format("tokencast: rank {}: {}", ranks.rank, said)) << "\n" << std::flush;
    }
    tokencast::abort_ranks(code);
  }
  tokencast::stop_ranks();
  return code;
}
