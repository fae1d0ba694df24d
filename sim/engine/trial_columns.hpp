#pragma once
// Per-trial outputs stored column by column: column c of trial t lives at values[c * trials + t].
// Each trial writes only its own slots, so no reduction depends on thread scheduling.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

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

  // Zeroed memory straight from the system (calloc of a large block maps zero pages): no memset
  // up front, so a large run starts drawing, and polling for SIGINT, at once; pages are touched
  // by the threads that fill them.
  void allocate(std::int64_t trials) {
    trials_ = trials;
    const std::size_t count = static_cast<std::size_t>(columns_) * static_cast<std::size_t>(trials);
    values_.reset(static_cast<double*>(std::calloc(count == 0 ? 1 : count, sizeof(double))));
    if (!values_) throw std::bad_alloc();
  }
  double& at(int column, std::int64_t trial) {
    return values_.get()[static_cast<std::size_t>(column) * static_cast<std::size_t>(trials_) + static_cast<std::size_t>(trial)];
  }
  std::span<const double> column(int c) const {
    return {values_.get() + static_cast<std::size_t>(c) * static_cast<std::size_t>(trials_),
            static_cast<std::size_t>(trials_)};
  }
  std::span<double> column(int c) {
    return {values_.get() + static_cast<std::size_t>(c) * static_cast<std::size_t>(trials_),
            static_cast<std::size_t>(trials_)};
  }

 private:
  int columns_ = 0;
  std::int64_t trials_ = 0;
  struct Free {
    void operator()(double* p) const { std::free(p); }
  };
  std::unique_ptr<double[], Free> values_;
};

}  // namespace tokencast::detail
