#pragma once
// Per-trial outputs stored column by column: each stored column holds one value per trial,
// contiguous. Each trial writes only its own slots, so no reduction depends on thread scheduling.
//
// Monthly columns are stored a block of months at a time: a long horizon at many trials would
// otherwise hold trials x months x costs values (1.8 GiB at 120 months and 100,000 trials). A
// column outside what is stored is written to a sink slot and never read; the engine draws the
// trials again, month block by month block, for the months after the first block.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <vector>

#include <tbb/parallel_for.h>

namespace tokencast::detail {

class TrialColumns {
 public:
  // Reserves a block of `count` columns that are not per month; returns the index of the first.
  int add(int count = 1) { return add_columns(count, false); }
  // Reserves one column per month of a horizon of `months`; returns the index of month 0's.
  int add_monthly(int months) { return add_columns(months, true); }
  int size() const { return static_cast<int>(month_of_.size()); }
  int month_of(int column) const { return month_of_[static_cast<std::size_t>(column)]; }
  // Columns that are not per month, and series of monthly columns (one column per month each).
  int fixed_columns() const { return static_cast<int>(std::count(month_of_.begin(), month_of_.end(), -1)); }
  int monthly_series() const { return static_cast<int>(std::count(month_of_.begin(), month_of_.end(), 0)); }

  // Storage for `trials` trials, the columns that are not per month and `block_months` months of
  // the monthly ones, starting with months [0, block_months). Zeroed memory straight from the
  // system (calloc of a large block maps zero pages): no memset up front, so a large run starts
  // drawing, and polling for SIGINT, at once.
  // `first_trial`: the storage holds trials [first_trial, first_trial + trials) (a shard's block).
  void allocate(std::int64_t trials, int block_months, std::int64_t first_trial = 0) {
    trials_ = trials;
    first_trial_ = first_trial;
    block_months_ = block_months;
    fixed_slots_ = fixed_columns();
    const std::size_t slots = static_cast<std::size_t>(fixed_slots_ + monthly_series() * block_months + 1);
    const std::size_t count = slots * static_cast<std::size_t>(trials);
    values_.reset(static_cast<double*>(std::calloc(count == 0 ? 1 : count, sizeof(double))));
    if (!values_) throw std::bad_alloc();
    slot_.assign(month_of_.size(), 0);
    sink_ = static_cast<int>(slots) - 1;
    map_slots(0, true);
  }

  // Room for `trials` trials (more than now), keeping every stored value of the trials there are;
  // `block_months` (at most the current block) months of the monthly columns are kept, starting
  // with month 0, which must be the block stored now. The new trials' slots are zero.
  void grow(std::int64_t trials, int block_months) {
    if (trials < trials_ || first_month_ != 0 || block_months > block_months_) {
      throw std::logic_error("TrialColumns::grow: only more trials, from the first block, in no more months");
    }
    const std::vector<int> old_slot = slot_;
    const int old_sink = sink_;
    const std::size_t old_trials = static_cast<std::size_t>(trials_);
    std::unique_ptr<double[], Free> old_values = std::move(values_);
    allocate(trials, block_months);
    // Column by column in parallel (the first touch of the new pages too).
    tbb::parallel_for(std::size_t{0}, slot_.size(), [&](std::size_t c) {
      if (old_slot[c] == old_sink || slot_[c] == sink_) return;
      std::copy_n(old_values.get() + static_cast<std::size_t>(old_slot[c]) * old_trials, old_trials,
                  values_.get() + static_cast<std::size_t>(slot_[c]) * static_cast<std::size_t>(trials_));
    });
  }

  // Stores months [first_month, first_month + block_months) instead, zeroed, and (`keep_fixed`)
  // the columns that are not per month, or sends those to the sink.
  void store_months(int first_month, bool keep_fixed) {
    const std::size_t trials = static_cast<std::size_t>(trials_);
    std::fill(values_.get() + static_cast<std::size_t>(fixed_slots_) * trials,
              values_.get() + static_cast<std::size_t>(sink_ + 1) * trials, 0.0);
    map_slots(first_month, keep_fixed);
  }
  // Reads the columns that are not per month again (after store_months(..., false)).
  void restore_fixed() { map_slots(first_month_, true); }
  int first_stored_month() const { return first_month_; }
  // Whether column c's values are stored now (a monthly column only while its month's block is).
  bool holds(int c) const {
    const int month = month_of(c);
    return month < 0 || (month >= first_month_ && month < first_month_ + block_months_);
  }
  int stored_months() const { return block_months_; }

  double& at(int column, std::int64_t trial) {
    return values_.get()[static_cast<std::size_t>(slot_[static_cast<std::size_t>(column)]) *
                             static_cast<std::size_t>(trials_) +
                         static_cast<std::size_t>(trial - first_trial_)];
  }
  std::span<const double> column(int c) const {
    return {values_.get() + offset(c), static_cast<std::size_t>(trials_)};
  }
  std::span<double> column(int c) { return {values_.get() + offset(c), static_cast<std::size_t>(trials_)}; }

 private:
  int add_columns(int count, bool monthly) {
    const int first = size();
    for (int i = 0; i < count; ++i) month_of_.push_back(monthly ? i : -1);
    return first;
  }
  void map_slots(int first_month, bool keep_fixed) {
    first_month_ = first_month;
    int fixed = 0, monthly = fixed_slots_;
    for (std::size_t c = 0; c < month_of_.size(); ++c) {
      const int month = month_of_[c];
      if (month < 0) {
        slot_[c] = keep_fixed ? fixed : sink_;
        ++fixed;
      } else if (month >= first_month && month < first_month + block_months_) {
        slot_[c] = monthly++;
      } else {
        slot_[c] = sink_;
      }
    }
  }
  std::size_t offset(int c) const {
    const int slot = slot_[static_cast<std::size_t>(c)];
    if (slot == sink_) throw std::logic_error("TrialColumns: reading a column that is not stored");
    return static_cast<std::size_t>(slot) * static_cast<std::size_t>(trials_);
  }

  struct Free {
    void operator()(double* p) const { std::free(p); }
  };
  std::vector<int> month_of_;  // by column: its month, -1 when not per month
  std::vector<int> slot_;      // by column: where it is stored now
  int fixed_slots_ = 0, sink_ = 0, block_months_ = 0, first_month_ = 0;
  std::int64_t trials_ = 0, first_trial_ = 0;
  std::unique_ptr<double[], Free> values_;
};

}  // namespace tokencast::detail
