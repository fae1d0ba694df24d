#include "summary_batch.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "tokencast/errors.hpp"

namespace tokencast::detail {

void SummaryBatch::summary(std::span<const double> values, Summary& out) {
  add([values, &out, cancel = cancel_](std::vector<double>& scratch) { out = summarize(values, scratch, cancel); });
}

void summarize_cost(std::span<const double> values, ModeCost& out, bool with_se, std::vector<double>& scratch,
                    const std::atomic<bool>* cancel) {
  out.total_usd = summarize(values, scratch, cancel);
  if (with_se) {
    static constexpr double ps[] = {0.50, 0.95};
    double se[2];
    percentile_ses(values, ps, se);
    out.total_usd.p50_se = se[0];
    out.total_usd.p95_se = se[1];
  }
  out.histogram = make_histogram(values);
}

void SummaryBatch::cost(std::span<const double> values, ModeCost& out, bool with_se) {
  add([values, &out, with_se, cancel = cancel_](std::vector<double>& scratch) {
    summarize_cost(values, out, with_se, scratch, cancel);
  });
}

std::span<const double> SummaryBatch::keep(std::vector<double> values) {
  kept_.push_back(std::move(values));
  return kept_.back();
}

void SummaryBatch::run() {
  tbb::enumerable_thread_specific<std::vector<double>> scratches;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tasks_.size(), 1), [&](const tbb::blocked_range<std::size_t>& range) {
    std::vector<double>& scratch = scratches.local();
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      poll_cancel(cancel_);
      tasks_[i](scratch);
    }
  });
  tasks_.clear();
  kept_.clear();
}

}  // namespace tokencast::detail
