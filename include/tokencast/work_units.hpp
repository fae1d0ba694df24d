#pragma once
// A command's work cut into units that can be computed in any process, in any order, and added
// back in unit order into exactly the result one process gives, bit for bit: what `--shard I/N`
// and `tokencast merge`, and MPI ranks, divide (docs/cluster.md).
//
//   tokencast::RunUnits run(scenario, options);
//   for (std::int64_t u = 0; u < run.count(); ++u) run.add(u, run.compute(u));  // compute_all
//   tokencast::RunResult result = run.result();   // == run_scenario(scenario, options)
//
// compute() may run in another process: its bytes are all that travels. Each unit's numbers
// depend only on the seed and the unit's trials or combination, never on which process computed it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tokencast/breakeven.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

class WorkUnits {
 public:
  virtual ~WorkUnits() = default;
  virtual std::int64_t count() const = 0;
  // The unit's CPU cost relative to the others: shards take ranges of about equal cost, and MPI
  // ranks are handed the costliest units first.
  virtual double cost(std::int64_t unit) const = 0;
  // The unit's result, as bytes (a record of the unit's numbers: sim/common/byte_stream.hpp).
  virtual std::string compute(std::int64_t unit) = 0;
  // Adds a unit's result: every unit once, in unit order. Throws std::invalid_argument when a unit
  // comes out of order or the bytes are not the result of that unit of this job.
  void add(std::int64_t unit, std::string_view bytes);
  std::int64_t added() const { return added_; }

 protected:
  // Reads unit `unit`'s bytes into the result; std::invalid_argument, or std::runtime_error for a
  // record that does not parse.
  virtual void add_unit(std::int64_t unit, std::string_view bytes) = 0;
  // Throws std::logic_error unless every unit was added (before a result is asked for).
  void check_complete() const;

 private:
  std::int64_t added_ = 0;
};

struct UnitRange {
  std::int64_t first = 0, end = 0;  // units [first, end)
};
// Shard `index` (1..shards) of `shards`: a contiguous range of units, the ranges of about equal
// cost (by cumulative cost), together covering every unit once. A shard may get no unit.
UnitRange shard_range(const WorkUnits& units, int index, int shards);

// Every unit computed here and added in order; `done` (when given) counts the units added.
void compute_all(WorkUnits& units, std::atomic<std::int64_t>* done = nullptr);

// `run`: blocks of trials. A block holds each trial's first-pass columns (and an auto-sized
// option's kept hours); result() sizes reservations over every trial and summarises, as
// run_scenario does. options.precision must be 0 (the trial count is fixed up front).
class RunUnits : public WorkUnits {
 public:
  RunUnits(Scenario scenario, RunOptions options);
  RunUnits(RunUnits&&) noexcept;
  ~RunUnits() override;
  std::int64_t count() const override;
  double cost(std::int64_t unit) const override;
  std::string compute(std::int64_t unit) override;
  // Once every unit was added: what run_scenario(scenario, options) returns (timings aside).
  RunResult result();

 protected:
  void add_unit(std::int64_t unit, std::string_view bytes) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// `breakeven`: unit 0 is the volume grid (its curves), then the run's blocks of trials.
class BreakevenUnits : public WorkUnits {
 public:
  BreakevenUnits(Scenario scenario, RunOptions options, VolumeGridOptions grid);
  BreakevenUnits(BreakevenUnits&&) noexcept;
  ~BreakevenUnits() override;
  std::int64_t count() const override;
  double cost(std::int64_t unit) const override;
  std::string compute(std::int64_t unit) override;
  // What run_breakeven(scenario, options, grid) returns (timings aside).
  RunResult result();

 protected:
  void add_unit(std::int64_t unit, std::string_view bytes) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tokencast
