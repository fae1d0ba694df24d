#pragma once
// The statistics of a run, gathered first and computed together in parallel. Each task reads its
// own columns and writes only its own destination, so the results do not depend on how the tasks
// are scheduled; a worker's scratch is reused from task to task.
#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <span>
#include <vector>

#include "tokencast/results.hpp"
#include "tokencast/summary.hpp"

namespace tokencast::detail {

// A cost's horizon figures: the summary, the histogram over its range and, `with_se`, the
// sectioning standard errors of p50 and p95.
void summarize_cost(std::span<const double> values, ModeCost& out, bool with_se, std::vector<double>& scratch,
                    const std::atomic<bool>* cancel);

class SummaryBatch {
 public:
  using Task = std::function<void(std::vector<double>& scratch)>;

  explicit SummaryBatch(const std::atomic<bool>* cancel) : cancel_(cancel) {}

  // `out` = the summary of `values` (both must outlive run()).
  void summary(std::span<const double> values, Summary& out);
  // `out` = summarize_cost of `values`.
  void cost(std::span<const double> values, ModeCost& out, bool with_se);
  // Values the batch keeps alive until run(): a column computed from others (a sum of columns).
  std::span<const double> keep(std::vector<double> values);
  void add(Task task) { tasks_.push_back(std::move(task)); }

  // Runs every task in parallel (in the caller's task arena), then forgets them; throws
  // Interrupted when the cancel flag is set.
  void run();

 private:
  const std::atomic<bool>* cancel_;
  std::vector<Task> tasks_;
  std::deque<std::vector<double>> kept_;
};

}  // namespace tokencast::detail
