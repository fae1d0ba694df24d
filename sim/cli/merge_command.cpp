// `tokencast merge PART...`: the parts of a --shard I/N job checked, then the job's own command
// run once more with its units read from the parts (execution.hpp): the output one process gives.
#include "commands.hpp"
#include "execution.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/partial_results.hpp"

namespace tokencast::cli {

int merge_command(const MergeArgs& args, std::vector<std::string>& again) {
  // Nothing may be written over a part.
  if (args.output) static_cast<void>(check_output_target("--output", *args.output, args.parts));
  if (args.report) static_cast<void>(check_output_target("--report", *args.report, args.parts));
  std::vector<PartialResult> parts;
  for (const std::string& file : args.parts) parts.push_back(read_partial_result(file));
  // Kept for the command run again: it adds the units from here.
  static std::vector<PartialResult> merged;
  merged = check_parts(std::move(parts), args.parts);
  const PartialResult& first = merged.front();
  Execution& e = execution();
  e.merged = &merged;
  if (first.identity.scenario_file != "<embedded:quickstart.toml>") {
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
