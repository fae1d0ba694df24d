#pragma once
// The subcommands of the tokencast command line. Each returns the process exit code and throws
// the library's typed errors, which main maps to exit codes.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/request_log.hpp"

namespace tokencast::cli {

struct RunArgs {
  std::optional<std::string> scenario;  // absent: the embedded default; given, never empty
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  std::string format = "table";
  std::optional<std::string> output;  // absent or "-": standard output
  std::optional<std::string> report;  // HTML report file, when asked
  std::vector<std::string> group_by;
  bool exact = false;
  double precision = 0;
  std::int64_t max_trials = 1'000'000;
  bool timings = false;  // print the run's phase timings to standard error
  std::vector<std::string> set;  // --set key.path=VALUE, in order
};

struct BreakevenArgs {
  RunArgs run;
  int grid_points = 32;
  std::string grid_draws = "auto";  // auto | replay | resimulate
};

struct CapacityArgs {
  RunArgs run;
  bool compare_gpus = false;
  std::vector<std::string> gpu_prices;  // "ID=USD", USD per GPU-hour for --compare-gpus
  std::optional<std::string> replay;    // trace file for --replay
  std::optional<double> scale;          // superposed copies of the trace
  std::optional<double> rate;           // or the request rate to scale it to
  std::string trace_format = "auto";    // auto | azure | mooncake | openai | csv
  std::optional<std::string> columns;   // "time=NAME,input=NAME,output=NAME" for a named CSV
  bool simulate = false;
  int replications = 10;
  std::optional<double> arrival_scv;  // replaces the scenario's arrivals in --simulate
};

struct FitArgs {
  std::vector<std::string> logs;
  std::optional<std::string> output;   // the scenario; absent or "-": standard output
  std::string format = "toml";         // toml: the scenario; json: the fit's figures
  std::string by = "none";             // none | model | TAG
  std::optional<std::string> model;    // the catalog model of a log that names none
  std::string trace_format = "auto";   // auto | azure | mooncake | openai | csv
  std::optional<std::string> columns;  // "time=NAME,input=NAME,output=NAME[,model=NAME][,cached=NAME]"
  std::string on_error = "fail";       // fail | skip
  std::uint64_t seed = 1;
};

// `backtest LOG...`: the fit's reading options, and where the origins fall. Numbers arrive as text
// and are read strictly (arguments.hpp).
struct BacktestArgs {
  FitArgs fit;
  std::optional<std::string> train_fraction, train_until, train_window, rolling, horizon, trials, threads;
  std::string format = "table";  // table | json
  std::optional<std::string> report;
};

struct ForecastArgs {
  FitArgs fit;
  std::optional<std::string> budget, period, fail_above, trials, threads;
  std::string format = "table";
  std::optional<std::string> report;
};

// `check [SCENARIO] --budget USD`: RunArgs for the scenario, trials, seed, threads, format and --set.
struct CheckArgs {
  RunArgs run;
  std::optional<std::string> budget, percentile;
  std::string mode = "cheapest_plan";  // serverless | batch | cheapest_plan
  bool per_month = false;
};

// `diff BASE [NEW]`: NEW is BASE with the --set overrides when left out (they apply to NEW).
struct DiffArgs {
  RunArgs run;  // run.scenario: BASE; trials, seed, threads, format, output, set
  std::optional<std::string> next;
};

// `sensitivity [SCENARIO]`: RunArgs for the scenario, trials, seed, threads, format, output,
// report and --set; the output followed.
struct SensitivityArgs {
  RunArgs run;
  std::string output_of = "total.cheapest_plan";
};

// `sweep [SCENARIO] --vary PATH=VALUES ...`: RunArgs for the scenario, trials, seed, threads,
// format, output, report and --set.
struct SweepArgs {
  RunArgs run;
  std::vector<std::string> vary;
  std::string objective = "mean(total.cheapest_plan)";
  std::vector<std::string> constraints;
  std::string draws = "auto";  // auto | replay | resimulate
};

// `merge PART...`: the parts of a job split by --shard I/N, and where its output goes.
struct MergeArgs {
  std::vector<std::string> parts;
  std::optional<std::string> output, format, report;
  std::optional<int> threads;
};

struct CatalogArgs {
  std::string filter;
  std::string format = "table";
};

// --trace-format's names, and the formats they stand for.
inline const std::vector<std::string> trace_format_names = {"auto", "azure", "mooncake", "openai", "csv", "litellm"};
TraceFormat trace_format_of(const std::string& name);
// "time=A,input=B,output=C[,model=D][,cached=E]" for --columns; a UsageError otherwise.
TraceColumns trace_columns(const std::string& text);

// Where a command's outputs go (--output, --report), checked before anything is simulated. The
// scenario, `more_inputs` and, in a merge, the parts are inputs: never written over.
struct Destinations {
  OutputTarget output;
  std::optional<OutputTarget> report;
};
// `more_inputs`: files the command reads besides args.scenario (diff's NEW), never overwritten.
Destinations destinations(const RunArgs& args, const std::vector<std::string>& more_inputs = {});
// The run options the simulation flags give (trials, seed, threads, --group-by, --exact,
// --precision), polling `cancel`.
RunOptions run_options(const RunArgs& args, const std::atomic<bool>& cancel);

int run_command(const RunArgs& args, const std::atomic<bool>& cancel);
int breakeven_command(const BreakevenArgs& args, const std::atomic<bool>& cancel);
int capacity_command(const CapacityArgs& args, const std::atomic<bool>& cancel);
int validate_command(const std::string& scenario_path, const std::vector<std::string>& set);
// The scenario a command names (or the embedded default) with its --set overrides applied.
Scenario load_scenario(const std::optional<std::string>& path, const std::vector<std::string>& set);
int catalog_command(const CatalogArgs& args);
// Reads and checks the parts (InputError naming the part at fault), and gives in `again` the
// command line that adds them back together: the parts' own, run with execution().merged set.
int merge_command(const MergeArgs& args, std::vector<std::string>& again);
int fit_command(const FitArgs& args);
int backtest_command(const BacktestArgs& args);
// Exits 3 when the percentile is over the budget.
int check_command(const CheckArgs& args, const std::atomic<bool>& cancel);
int diff_command(const DiffArgs& args, const std::atomic<bool>& cancel);
int sensitivity_command(const SensitivityArgs& args, const std::atomic<bool>& cancel);
int sweep_command(const SweepArgs& args, const std::atomic<bool>& cancel);
// Exits 3 when --fail-above P is given and P(over budget) > P.
int forecast_command(const ForecastArgs& args);
// What fit, backtest and forecast read the logs with.
FitOptions fit_options(const FitArgs& args);

}  // namespace tokencast::cli
