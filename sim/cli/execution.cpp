#include "execution.hpp"

#include <chrono>

#include <fmt/format.h>

#include "../cluster/mpi_ranks.hpp"
#include "arguments.hpp"
#include "progress.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/scenario_loader.hpp"

namespace tokencast::cli {

Execution& execution() {
  static Execution e;
  return e;
}

ShardSpec parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto usage = [&] { return UsageError(fmt::format("--shard: expected I/N with 1 <= I <= N (got '{}')", text)); };
  if (slash == std::string::npos) throw usage();
  ShardSpec s;
  try {
    s.count = static_cast<int>(parse_integer("--shard", text.substr(slash + 1), 1, 100'000));
    s.index = static_cast<int>(parse_integer("--shard", text.substr(0, slash), 1, s.count));
  } catch (const UsageError&) {
    throw usage();
  }
  return s;
}

std::vector<std::string> recorded_arguments(const std::vector<std::string>& words) {
  static const std::vector<std::string> with_value{"--shard", "--output", "-o", "--report", "--threads", "--format"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--timings") continue;
    bool dropped = false;
    for (const std::string& option : with_value) {
      if (w == option) {
        ++i;  // its value
        dropped = true;
      } else if (w.starts_with(option + "=") || (option == "-o" && w.starts_with("-o"))) {
        dropped = true;
      }
      if (dropped) break;
    }
    if (!dropped) out.push_back(w);
  }
  return out;
}

bool split_execution() {
  const Execution& e = execution();
  return e.shard.has_value() || e.merged.has_value() || ranks().size > 1;
}

void check_split(const RunArgs& args) {
  const Execution& e = execution();
  if (e.shard) {
    if (ranks().size > 1) throw UsageError("--shard: a shard runs as one process, not under mpirun (mpirun alone splits the work)");
    if (!args.output || *args.output == "-") {
      throw UsageError("--shard: give the partial result file with -o FILE (tokencast merge reads the parts)");
    }
    if (args.report) throw UsageError("--shard: --report goes to tokencast merge, which has every shard's results");
  }
  if (split_execution() && args.precision > 0) {
    throw UsageError("--precision: the trial count it reaches depends on every trial drawn, so the work cannot be split; "
                     "give --trials instead");
  }
}

PartIdentity identity_of(const std::string& command, const RunArgs& args, const Scenario& scenario, std::int64_t units) {
  PartIdentity id;
  id.tool_version = TOKENCAST_VERSION;
  id.command = command;
  id.arguments = execution().arguments;
  id.sets = args.set;
  id.seed = args.seed.value_or(scenario.seed);
  id.trials = args.trials.value_or(scenario.trials);
  id.units = units;
  if (!args.scenario) {
    id.scenario_file = default_scenario_file;
    id.scenario_text = std::string(default_scenario_text());
  } else {
    // The text the command was loaded from (load_scenario keeps it in a split command; one that is
    // not split records no part).
    id.scenario_file = *args.scenario;
    const auto& texts = execution().scenario_texts;
    const auto found = texts.find(*args.scenario);
    if (found != texts.end()) id.scenario_text = found->second;
  }
  return id;
}

std::optional<double> merged_compute_s() {
  const auto& parts = execution().merged;
  if (!parts) return std::nullopt;
  double s = 0;
  for (const PartialResult& part : *parts) s += part.compute_s;
  return s;
}

void use_merged_timings(RunResult& result) {
  const auto s = merged_compute_s();
  if (!s) return;
  result.elapsed_s = *s;
  result.phases = RunPhases{};
  result.phases.simulate_s = *s;
}

namespace {

// The merge's parts against the job this build makes of their command line: the same scenario,
// arguments and units, each part's range the one this build gives its shard. Each unit's bytes
// are let go once added.
void add_merged(WorkUnits& units, const PartIdentity& identity, std::vector<PartialResult>& parts) {
  const PartIdentity& recorded = parts.front().identity;
  if (recorded.scenario_digest() != identity.scenario_digest() || recorded.units != identity.units ||
      recorded.seed != identity.seed || recorded.trials != identity.trials) {
    throw InputError({parts.front().file, 0, 0}, "",
                     fmt::format("the parts' job is not the one this tokencast makes of their command line ({} units of "
                                 "scenario digest {} recorded, {} units of {} here): merge with the build that wrote them",
                                 recorded.units, recorded.scenario_digest(), identity.units, identity.scenario_digest()));
  }
  for (PartialResult& part : parts) {
    const UnitRange expected = shard_range(units, part.shard, part.shards);
    if (expected.first != part.range.first || expected.end != part.range.end) {
      throw InputError({part.file, 0, 0}, "",
                       fmt::format("shard {}/{} holds units [{}, {}); this build gives it [{}, {}): merge with the build "
                                   "that wrote the parts",
                                   part.shard, part.shards, part.range.first, part.range.end, expected.first, expected.end));
    }
  }
  for (PartialResult& part : parts) {
    for (std::int64_t u = part.range.first; u < part.range.end; ++u) {
      std::string& bytes = part.unit_bytes[static_cast<std::size_t>(u - part.range.first)];
      try {
        units.add(u, bytes);
      } catch (const std::invalid_argument& e) {
        throw InputError({part.file, 0, 0}, "",
                         fmt::format("shard {}/{}: {} (a part of another job, or of another build)", part.shard,
                                     part.shards, e.what()));
      }
      std::string().swap(bytes);
    }
  }
}

}  // namespace

bool execute_units(WorkUnits& units, const PartIdentity& identity, const Destinations& to, const std::string& format,
                   const std::atomic<bool>& cancel, const std::string& what) {
  Execution& e = execution();
  if (e.merged) {
    add_merged(units, identity, *e.merged);
    return true;
  }
  std::atomic<std::int64_t> done{0};
  if (e.shard) {
    const auto start = std::chrono::steady_clock::now();
    PartialResult part;
    part.identity = identity;
    part.shard = e.shard->index;
    part.shards = e.shard->count;
    part.format = format;
    part.range = shard_range(units, part.shard, part.shards);
    {
      const ProgressMeter meter(what + " of this shard", part.range.end - part.range.first, done);
      for (std::int64_t u = part.range.first; u < part.range.end; ++u) {
        poll_cancel(&cancel);
        part.unit_bytes.push_back(units.compute(u));
        done.fetch_add(1);
      }
    }
    part.compute_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::pair<OutputTarget, std::string> output{to.output, encode_partial_result(part)};
    if (cancel.load()) throw Interrupted();
    write_outputs(std::span(&output, 1), &cancel);
    return false;
  }
  // One unit has no progress to show (a replayed sweep).
  const std::int64_t shown = units.count() > 1 ? units.count() : 0;
  if (ranks().size > 1) {
    std::optional<ProgressMeter> meter;
    if (ranks().rank == 0) meter.emplace(what, shown, done);
    return compute_on_ranks(units, identity.job(), &cancel, &done);
  }
  const ProgressMeter meter(what, shown, done);
  compute_all(units, &done);
  return true;
}

}  // namespace tokencast::cli
