#pragma once
// How this process runs a command's work units (include/tokencast/work_units.hpp): all of them
// here, one shard's range written to a partial result file (--shard I/N), spread over MPI ranks
// (mpirun), or read back from merged parts (`tokencast merge`). docs/cluster.md.
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/partial_results.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/work_units.hpp"

namespace tokencast::cli {

struct ShardSpec {
  int index = 1, count = 1;  // I of N
};
// "I/N" with 1 <= I <= N <= 100000; UsageError otherwise.
ShardSpec parse_shard(const std::string& text);

struct Execution {
  std::vector<std::string> arguments;  // the command's words after its name, as a part records them
  std::optional<ShardSpec> shard;      // --shard
  // merge: the checked parts in unit order (their units' bytes let go as they are added).
  std::optional<std::vector<PartialResult>> merged;
  // A scenario file's text by name: read once in a split command (every combination of a sweep
  // and the part's identity see the same text), or the parts' recorded text in a merge.
  std::map<std::string, std::string> scenario_texts;
};
Execution& execution();

// The words after a command's name, less the options that do not change its numbers (--shard,
// --output/-o, --report, --threads, --format, --timings) and their values.
std::vector<std::string> recorded_arguments(const std::vector<std::string>& words);

// Whether the command's work is split: a shard, several MPI ranks, or a merge.
bool split_execution();
// Refuses what a split command cannot do (UsageError): a shard's part goes to a file (-o), its
// report is the merge's, and MPI and --shard are not combined.
void check_split(const RunArgs& args);

// The identity a part of this command records: the scenario file's text (the merge's recorded
// text, the file, or the embedded default), its --set values, the resolved seed and trials.
PartIdentity identity_of(const std::string& command, const RunArgs& args, const Scenario& scenario, std::int64_t units);

// Runs the units as this process is told. True when every unit was added here and the command
// goes on to write its outputs; false when this process has nothing more to write (a shard, once
// its part (of --format `format`) is written to to.output; an MPI rank other than 0). `what` names the units for the
// progress line ("trials", "combinations").
bool execute_units(WorkUnits& units, const PartIdentity& identity, const Destinations& to, const std::string& format,
                   const std::atomic<bool>& cancel, const std::string& what);

// In a merge, the seconds the shards spent computing, summed (the parts record them): a merged
// result's timings, so that merging in any order writes the same bytes. None otherwise.
std::optional<double> merged_compute_s();
// A merged run's timings: elapsed and simulation the shards' summed seconds, the rest 0.
void use_merged_timings(RunResult& result);

}  // namespace tokencast::cli
