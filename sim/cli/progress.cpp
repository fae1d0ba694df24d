#include "progress.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "../cluster/mpi_ranks.hpp"

namespace tokencast::cli {
namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressMeter::ProgressMeter(std::string what, std::int64_t total, const std::atomic<std::int64_t>& done)
    : what_(std::move(what)), total_(total), done_(done) {
  if (total_ <= 0) return;
  if (::isatty(STDERR_FILENO) != 0) {
    fd_ = STDERR_FILENO;
  } else if (ranks().size > 1 && ranks().rank == 0) {
    // Under mpirun a rank's standard error is a pipe to mpirun: rank 0 draws on the terminal
    // mpirun was started from, when there is one.
    fd_ = ::open("/dev/tty", O_WRONLY | O_CLOEXEC);
    owned_ = fd_ >= 0;
  }
  if (fd_ < 0) return;
  thread_ = std::thread([this] { show(); });
}

ProgressMeter::~ProgressMeter() {
  if (thread_.joinable()) {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
  }
  if (owned_) ::close(fd_);
}

void ProgressMeter::put(const std::string& text) const {
  // A terminal that goes away takes the line with it: nothing to do about a failed write.
  [[maybe_unused]] const auto written = ::write(fd_, text.data(), text.size());
}

void ProgressMeter::show() {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::unique_lock lock(mutex_);
  // Quick commands show nothing: the first line after a second.
  if (stop_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
  do {
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    const std::int64_t done = std::min(done_.load(std::memory_order_relaxed), total_);
    const std::string eta = done > 0 ? clock_text(elapsed * static_cast<double>(total_ - done) / static_cast<double>(done)) + " left"
                                     : std::string("estimating");
    put(fmt::format("\r\033[K{} of {} {} ({:.0f}%), {} elapsed, {}", done, total_, what_,
                    100.0 * static_cast<double>(done) / static_cast<double>(total_), clock_text(elapsed), eta));
    shown_ = true;
  } while (!stop_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; }));
  if (shown_) put("\r\033[K");
}

}  // namespace tokencast::cli
