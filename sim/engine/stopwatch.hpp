#pragma once
// Wall time between the laps of a run's phases (RunPhases).
#include <chrono>

namespace tokencast::detail {

class Stopwatch {
 public:
  // Seconds since the last lap (or construction), and starts the next.
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace tokencast::detail
