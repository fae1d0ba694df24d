#pragma once
// The per-trial values of a run, for analyses the summaries do not cover (fitting, sensitivity,
// diffs): every output column of a scenario, one value per trial, grown by drawing only new trials.
//
//   tokencast::TrialStore store(scenario, {.threads = 4});
//   store.grow(10'000);                                   // trials 0..9,999
//   auto cost = store.column("total.serverless_usd");     // 10,000 values
//   store.grow(40'000);                                   // draws trials 10,000..39,999 only
//   tokencast::RunResult summary = store.summarize();     // as run_scenario reports it
//
// A store grown to N trials holds what a run of N trials draws, bit for bit, whatever the steps
// and thread counts (each trial's streams depend only on the seed and its index).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// The output columns of a scenario, fixed when it is compiled. Names:
//   total.serverless_usd, total.batch_usd
//   and over several months each cost's months, NAME.month[K] (K from 1: total.serverless_usd.month[3],
//     capacity[x].cost_usd.month[1]), held while the horizon's monthly columns fit
//     RunOptions::monthly_storage_bytes (column() refuses one that is not)
//   workload[NAME].requests, .input_tokens, .output_tokens, .serverless_usd, .batch_usd
//   model[ID].serverless_usd, .batch_usd, .tokens
//   capacity[NAME].cost_usd, .utilization, .overflow_share, .usd_per_mtok, .peak_replicas_needed,
//     and with autoscale .replica_hours, .autoscale_saved_usd
//   input.KEY.PATH for each of RunOptions::recorded_inputs: the value each trial drew
//     (input.workload[0].requests_per_month)
// Costs are over the horizon (all months); batch columns exist only where batch applies.
class RunLayout {
 public:
  int size() const { return static_cast<int>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }
  std::optional<int> find(std::string_view name) const;
  // Throws std::out_of_range naming the column when there is none of that name.
  int id(std::string_view name) const;

 private:
  friend class TrialStore;
  std::vector<std::string> names_;  // by id
  std::vector<int> columns_;        // by id: where the engine keeps it
};

class TrialStore {
 public:
  // Compiles the scenario's layout; draws nothing. The store keeps its own copy of the scenario.
  // options.trials is ignored (grow says how many); the seed, threads, volume multiplier, exact
  // mode, cancel flag and limits apply to every draw.
  explicit TrialStore(Scenario scenario, RunOptions options = {});
  TrialStore(TrialStore&&) noexcept;
  TrialStore& operator=(TrialStore&&) noexcept;
  ~TrialStore();

  const Scenario& scenario() const;
  const RunLayout& layout() const;
  std::int64_t trials() const;

  // Draws trials [trials(), `trials`), and only those; capacity sized "auto" is sized again over
  // every trial held. Throws ResourceLimitError past the memory or CPU limit (nothing changes) and
  // Interrupted when the cancel flag is set (the store is then empty).
  void grow(std::int64_t trials);

  // One value per trial held, in trial order; valid until the next grow.
  std::span<const double> column(int id) const;
  std::span<const double> column(std::string_view name) const;

  // The summaries, sizing, groups, monthly series and curves of the trials held (what run_scenario
  // reports for that many trials).
  RunResult summarize();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tokencast
