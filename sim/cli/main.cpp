// tokencast: Monte Carlo cost percentiles and capacity for LLM inference spending.
// Exit codes: 0 success, 1 unexpected failure, 2 bad input or usage, 130 interrupted.
#include <atomic>
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "tokencast/errors.hpp"

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_sigint(int) { interrupted.store(true); }

constexpr int exit_bad_input = 2;

// The scenario argument and the options every simulating subcommand shares.
void add_simulation_options(CLI::App* command, tokencast::cli::RunArgs& args) {
  command->add_option("scenario", args.scenario, "Scenario TOML file (default: the embedded quickstart scenario)");
  command->add_option("--trials", args.trials, "Number of Monte Carlo trials (overrides the scenario)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
  command->add_option("--seed", args.seed, "Random seed (overrides the scenario)");
  command->add_option("--threads", args.threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 1024));
}
constexpr int exit_interrupted = 130;

}  // namespace

int main(int argc, char** argv) {
  using namespace tokencast::cli;
  CLI::App app{"tokencast: Monte Carlo cost percentiles, capacity sizing and break-even for LLM inference spending"};
  app.set_version_flag("--version", std::string("tokencast ") + TOKENCAST_VERSION);
  app.require_subcommand(1);

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Simulate a scenario and report cost percentiles per workload, model and mode");
  add_simulation_options(run_cmd, run);
  run_cmd->add_option("--format", run.format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  run_cmd->add_option("--output,-o", run.output, "Write to FILE (atomically) instead of standard output");
  run_cmd->add_option("--report", run.report, "Also write a self-contained HTML report to FILE");
  run_cmd->add_option("--group-by", run.group_by, "Break costs down by this workload tag (repeatable)");
  run_cmd->add_flag("--exact", run.exact,
                    "Draw every request individually (reference for the hourly-sum approximation; small volumes)");
  run_cmd->add_option("--precision", run.precision,
                      "Add trials until every reported p50 and p95 has a relative standard error below REL (e.g. 0.005)")
      ->check(CLI::Range(1e-6, 0.5));
  run_cmd->add_option("--max-trials", run.max_trials, "Upper bound on trials for --precision (default 1000000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));

  BreakevenArgs breakeven;
  auto* breakeven_cmd = app.add_subcommand(
      "breakeven", "Utilization and volume break-even of each dedicated / GPU-cluster option against serverless");
  add_simulation_options(breakeven_cmd, breakeven.run);
  breakeven_cmd->add_option("--grid", breakeven.grid_points, "Volume grid points, log-spaced from 1/20x to 20x")
      ->check(CLI::Range(8, 400));
  breakeven_cmd
      ->add_option("--grid-draws", breakeven.grid_draws,
                   "How the grid's trials are drawn: replay (once, scaled to each volume), resimulate (again at each "
                   "volume), or auto (replay when the scenario allows it)")
      ->check(CLI::IsMember({"auto", "replay", "resimulate"}));
  breakeven_cmd->add_option("--format", breakeven.run.format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  breakeven_cmd->add_option("--output,-o", breakeven.run.output, "Write to FILE (atomically) instead of standard output");
  breakeven_cmd->add_option("--report", breakeven.run.report, "Also write a self-contained HTML report to FILE");

  CapacityArgs capacity;
  auto* capacity_cmd = app.add_subcommand(
      "capacity", "Replicas each capacity option needs, by utilization and by latency objective (queueing model)");
  add_simulation_options(capacity_cmd, capacity.run);
  capacity_cmd->add_flag("--simulate", capacity.simulate,
                         "Check the queueing approximation with a discrete-event simulation of the peak hour");
  capacity_cmd->add_option("--replications", capacity.replications, "Simulated peak hours (default 10)")
      ->check(CLI::Range(1, 1000));
  capacity_cmd->add_option("--arrival-scv", capacity.arrival_scv,
                           "Squared coefficient of variation of interarrival times (1: Poisson; >1: bursty)")
      ->check(CLI::Range(0.0, 100.0));
  capacity_cmd->add_option("--format", capacity.run.format, "Output format")->check(CLI::IsMember({"table", "json"}));
  capacity_cmd->add_option("--output,-o", capacity.run.output, "Write to FILE (atomically) instead of standard output");

  std::string validate_path;
  auto* validate_cmd = app.add_subcommand("validate", "Check a scenario file and report what it defines");
  validate_cmd->add_option("scenario", validate_path, "Scenario TOML file")->required();

  CatalogArgs catalog;
  auto* catalog_cmd = app.add_subcommand("catalog", "List the built-in price catalog");
  catalog_cmd->add_option("--filter", catalog.filter, "Show only ids containing TEXT (case-insensitive)");
  catalog_cmd->add_option("--format", catalog.format, "Output format")->check(CLI::IsMember({"table", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_bad_input;
  }

  std::signal(SIGINT, on_sigint);
  try {
    if (*run_cmd) return run_command(run, interrupted);
    if (*breakeven_cmd) return breakeven_command(breakeven, interrupted);
    if (*capacity_cmd) return capacity_command(capacity, interrupted);
    if (*validate_cmd) return validate_command(validate_path);
    if (*catalog_cmd) return catalog_command(catalog);
  } catch (const tokencast::InputError& e) {
    std::cerr << e.what() << "\n";
    return exit_bad_input;
  } catch (const tokencast::ResourceLimitError& e) {
    std::cerr << "tokencast: error: " << e.what() << "\n";
    return exit_bad_input;
  } catch (const tokencast::Interrupted&) {
    std::cerr << "tokencast: interrupted; nothing was written\n";
    return exit_interrupted;
  } catch (const std::exception& e) {
    std::cerr << "tokencast: error: " << e.what() << "\n";
    return 1;
  }
  return 1;
}
