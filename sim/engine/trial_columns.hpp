#pragma once
// Per-trial outputs stored column by column: column c of trial t lives at values[c * trials + t].
// Each trial writes only its own slots, so no reduction depends on thread scheduling.
#include <cstdint>
#include <span>
#include <vector>

namespace tokencast::detail {

class TrialColumns {
 public:
  // Reserves a block of `count` columns; returns the index of the first.
  int add(int count = 1) {
    const int first = columns_;
    columns_ += count;
    return first;
  }
  int size() const { return columns_; }

  void allocate(std::int64_t trials) {
    trials_ = trials;
    values_.assign(static_cast<std::size_t>(columns_) * static_cast<std::size_t>(trials), 0.0);
  }
  double& at(int column, std::int64_t trial) {
    return values_[static_cast<std::size_t>(column) * static_cast<std::size_t>(trials_) + static_cast<std::size_t>(trial)];
  }
  std::span<const double> column(int c) const {
    return {values_.data() + static_cast<std::size_t>(c) * static_cast<std::size_t>(trials_),
            static_cast<std::size_t>(trials_)};
  }
  std::span<double> column(int c) {
    return {values_.data() + static_cast<std::size_t>(c) * static_cast<std::size_t>(trials_),
            static_cast<std::size_t>(trials_)};
  }

 private:
  int columns_ = 0;
  std::int64_t trials_ = 0;
  std::vector<double> values_;
};

}  // namespace tokencast::detail
