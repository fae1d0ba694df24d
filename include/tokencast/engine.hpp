#pragma once
// The Monte Carlo engine: runs a scenario's trials in parallel (oneTBB) and summarises them.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// An uncertain input held at one value in every trial (`tokencast sensitivity`). Its own numbers
// are still drawn and set aside, so every other figure draws what the run without the hold draws
// (common random numbers); the other inputs of its [[correlation]] are drawn from their law given
// its normal score.
struct HeldInput {
  CorrelatedInput input;
  double value = 0;
  double normal_score = 0;  // Phi^-1 of the value's quantile level in the input's law
};

struct RunOptions {
  std::optional<std::int64_t> trials;  // overrides the scenario's
  std::optional<std::uint64_t> seed;   // overrides the scenario's
  int threads = 0;                     // 0: all hardware threads
  // Scales every workload's volume (break-even volume curves); the same trials are drawn at every
  // multiplier (common random numbers).
  double volume_multiplier = 1.0;
  // Draw every request's tokens individually and every workload hour by hour: the reference for
  // the hourly-sum and monthly approximations (small volumes only).
  bool exact = false;
  // When > 0: add trials until the relative standard error of every reported p50 and p95 is
  // below this, up to max_trials (starting from `trials`).
  double precision = 0;
  std::int64_t max_trials = 1'000'000;
  // Key each model's, workload's and capacity option's random streams by its name instead of its
  // place in the scenario, so that two scenarios draw the same numbers for what they share
  // (`tokencast diff`); off, a run draws what it always has.
  bool streams_by_name = false;
  // Inputs held at a value, at most one per [[correlation]].
  std::vector<HeldInput> held_inputs;
  // Inputs whose drawn value each trial keeps, as TrialStore columns "input.KEY.PATH".
  std::vector<CorrelatedInput> recorded_inputs;
  // Tag keys to break costs down by (RunResult::groups).
  std::vector<std::string> group_by;
  // Polled between blocks of trials; when it becomes true the run throws Interrupted.
  const std::atomic<bool>* cancel = nullptr;
  // When set, counts the trials drawn in a run's first pass, for a progress meter.
  std::atomic<std::int64_t>* trials_done = nullptr;
  // Per-trial monthly costs are held for at most this many bytes at a time; a longer horizon is
  // summarised a block of months at a time, the trials drawn again for each later block (the
  // same figures, in more time: docs/performance.md).
  double monthly_storage_bytes = 256.0 * (1 << 20);
  // Estimated CPU seconds past which a run is refused up front (ResourceLimitError), with the
  // number of trials that would fit (sim/engine/work_estimate.hpp).
  double max_cpu_s = 2 * 3600.0;
};

// Memory a run may take for its per-trial results; larger runs are refused (ResourceLimitError).
inline constexpr double max_run_bytes = 8.0 * (1 << 30);

RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace tokencast
