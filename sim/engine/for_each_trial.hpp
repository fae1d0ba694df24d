#pragma once
// The engine's parallel loop over trials, for the run (engine.cpp) and the volume grid's replay.
#include <atomic>
#include <cstdint>
#include <utility>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "run_plan.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/errors.hpp"
#include "trial_simulator.hpp"

namespace tokencast::detail {

// Runs body(simulator, trial) for every trial in [first_trial, end_trial), in parallel; a trial's
// outputs depend only on its index, so the partition does not matter. `counted`, when given,
// counts the trials done (a block at a time).
template <class Body>
void for_each_trial(const RunPlan& plan, const RunOptions& options, std::int64_t first_trial, std::int64_t end_trial,
                    Body body, std::atomic<std::int64_t>* counted = nullptr) {
  tbb::enumerable_thread_specific<TrialSimulator> simulators([&] { return TrialSimulator(plan); });
  tbb::task_group_context context;
  tbb::parallel_for(
      tbb::blocked_range<std::int64_t>(first_trial, end_trial, 8),
      [&](const tbb::blocked_range<std::int64_t>& range) {
        TrialSimulator& simulator = simulators.local();
        for (std::int64_t t = range.begin(); t != range.end(); ++t) {
          // Polled every trial: the partitioner may hand a thread thousands of trials at once.
          if (options.cancel && options.cancel->load(std::memory_order_relaxed)) {
            context.cancel_group_execution();
            return;
          }
          body(simulator, t);
        }
        if (counted) counted->fetch_add(static_cast<std::int64_t>(range.size()), std::memory_order_relaxed);
      },
      context);
  if (options.cancel && options.cancel->load()) throw Interrupted();
}
template <class Body>
void for_each_trial(const RunPlan& plan, const RunOptions& options, std::int64_t first_trial, Body body) {
  for_each_trial(plan, options, first_trial, plan.trials, std::move(body));
}
template <class Body>
void for_each_trial(const RunPlan& plan, const RunOptions& options, Body body) {
  for_each_trial(plan, options, 0, plan.trials, std::move(body));
}

}  // namespace tokencast::detail
