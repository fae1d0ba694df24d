// `tokencast merge PART...`: the parts of a --shard I/N job checked, then the job's own command
// run once more with its units read from the parts (execution.hpp): the output one process gives.
#include "commands.hpp"
#include "execution.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/partial_results.hpp"

namespace tokencast::cli {

int merge_command(const MergeArgs& args, std::vector<std::string>& again) {
  std::vector<PartialResult> parts;
  for (const std::string& file : args.parts) parts.push_back(read_partial_result(file));
  // Kept for the command run again: it adds the units from here (and writes over no part).
  Execution& e = execution();
  const PartialResult& first = e.merged.emplace(check_parts(std::move(parts), args.parts)).front();
  if (first.identity.scenario_file != default_scenario_file) {
    e.scenario_texts[first.identity.scenario_file] = first.identity.scenario_text;
  }
  // The merge's own options first: a recorded "--" would make any after it positional.
  again = {first.identity.command, "--format", args.format.value_or(first.format)};
  if (args.output) again.insert(again.end(), {"--output", *args.output});
  if (args.report) again.insert(again.end(), {"--report", *args.report});
  if (args.threads) again.insert(again.end(), {"--threads", std::to_string(*args.threads)});
  again.insert(again.end(), first.identity.arguments.begin(), first.identity.arguments.end());
  return 0;
}

}  // namespace tokencast::cli
