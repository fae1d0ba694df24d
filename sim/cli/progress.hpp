#pragma once
// Progress and an ETA on standard error while a long command runs, when standard error is a
// terminal; nothing otherwise, and never anything in the outputs. Under mpirun, rank 0 draws on
// the terminal mpirun runs in (/dev/tty), its standard error being a pipe to mpirun.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace tokencast::cli {

class ProgressMeter {
 public:
  // `done` counts `what` ("trials", "combinations", "units") out of `total`.
  ProgressMeter(std::string what, std::int64_t total, const std::atomic<std::int64_t>& done);
  ~ProgressMeter();  // clears the line
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

 private:
  void show();
  void put(const std::string& text) const;
  std::string what_;
  std::int64_t total_;
  const std::atomic<std::int64_t>& done_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  bool shown_ = false;
  int fd_ = -1;
  bool owned_ = false;
  std::thread thread_;
};

}  // namespace tokencast::cli
