#pragma once
// Arrivals within an hour (`traffic.arrivals`, docs/capacity.md "Bursts below the hour"): how
// requests arrive around the hour's mean rate. The hourly model sets the rate; this sets the
// bursts that a pool of replicas sees inside it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "tokencast/random.hpp"

namespace tokencast {

enum class ArrivalModel {
  poisson,  // independent arrivals
  renewal,  // independent interarrival times with a given scv (hyperexponential above 1)
  onoff,    // a two-state Markov-modulated Poisson process: bursts at peak_ratio x the mean rate
};

struct ArrivalProcess {
  ArrivalModel model = ArrivalModel::poisson;
  double scv = 1.0;         // renewal: squared coefficient of variation of the interarrival times
  double peak_ratio = 1.0;  // onoff: rate while on over the mean rate (>= 1)
  double on_share = 1.0;    // onoff: share of the time on, at most 1 / peak_ratio
  double mean_on_s = 0.0;   // onoff: mean length of an on period (exponential)

  static ArrivalProcess renewal_with_scv(double scv);
  // Rates of the two states at mean rate `mean_rate`: on, and off (what the on periods leave).
  double on_rate(double mean_rate) const { return peak_ratio * mean_rate; }
  double off_rate(double mean_rate) const;
  double mean_off_s() const { return on_share >= 1.0 ? 0.0 : mean_on_s * (1.0 - on_share) / on_share; }
  // The rate at which the process forgets its state: 1 / mean on + 1 / mean off.
  double switching_rate_per_s() const;
  // True where the two-moment closed form is not accurate (docs/capacity.md): the latency rule is
  // then sized by simulating the pool.
  bool sized_by_simulation() const;
  std::string describe() const;
};

// Squared coefficient of variation of the time between arrivals (exact for each model).
double interarrival_scv(const ArrivalProcess& arrivals, double mean_rate);
// Variance over mean of the arrivals counted in windows of `window_s` (1 for Poisson).
double dispersion_index(const ArrivalProcess& arrivals, double mean_rate, double window_s);

// What a record of arrival times says about its bursts, and the on/off process that matches it
// (docs/capacity.md, "Estimating the parameters from a trace").
struct ArrivalMeasurement {
  double mean_rate_per_s = 0;
  double interarrival_scv = 1;
  static constexpr std::array<double, 4> windows_s{1, 10, 60, 600};
  std::array<std::optional<double>, 4> dispersion_index;  // at each window (absent: under 10 windows)
  // The on/off process with the same rate, interarrival scv and dispersion curve; absent when the
  // record is too short or no burstier than Poisson at every window.
  std::optional<ArrivalProcess> onoff;
};
// `times` in time order; at least 2.
ArrivalMeasurement measure_arrivals(std::span<const double> times);
// The on/off process matching a measurement's rate, interarrival scv and dispersion curve, into
// m.onoff (left empty when the record is no burstier than Poisson).
void fit_onoff(ArrivalMeasurement& m);

// measure_arrivals one arrival at a time, in memory that does not grow with the record (a log too
// large to hold): the gaps' moments and, per window length, the counts of the complete windows.
class ArrivalRecorder {
 public:
  void add(double time_s);  // in time order
  ArrivalMeasurement finish() const;
  std::size_t count() const { return count_; }
  double span_s() const { return count_ == 0 ? 0.0 : last_ - first_; }

 private:
  struct Windows {
    std::int64_t current = 0;  // index of the window being counted
    double in_current = 0, complete = 0, sum = 0, squares = 0;
  };
  std::size_t count_ = 0;
  double first_ = 0, last_ = 0, gap_sum_ = 0, gap_squares_ = 0;
  std::array<Windows, ArrivalMeasurement::windows_s.size()> windows_{};
};

// Draws successive arrival times at `mean_rate`, starting from the process's stationary state.
class ArrivalGenerator {
 public:
  ArrivalGenerator(const ArrivalProcess& arrivals, double mean_rate, Rng& rng);
  // The time from the previous arrival (or from 0) to the next.
  double next_gap(Rng& rng);

 private:
  ArrivalModel model_;
  double rate_, scv_;
  double p1_ = 1, rate1_ = 0, rate2_ = 0;              // renewal above scv 1: hyperexponential
  double on_rate_ = 0, off_rate_ = 0, leave_on_ = 0, leave_off_ = 0;  // onoff
  bool on_ = true;
  double state_left_s_ = 0;
};

}  // namespace tokencast
