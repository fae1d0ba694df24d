// Measuring a record of arrivals and fitting the on/off process to it (docs/capacity.md,
// "Estimating the parameters from a trace").
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "tokencast/arrivals.hpp"

namespace tokencast {
namespace {

// IDC(w) - 1 = A g(w / tau) for the on/off process (tau = 1 / (w1 + w2)).
double shape(double x) { return x > 1e-6 ? 1.0 - (1.0 - std::exp(-x)) / x : 0.5 * x; }

}  // namespace

void ArrivalRecorder::add(double time_s) {
  if (count_ == 0) {
    first_ = time_s;
  } else {
    if (time_s < last_) throw std::invalid_argument("ArrivalRecorder: arrivals must come in time order");
    const double gap = time_s - last_;
    gap_sum_ += gap;
    gap_squares_ += gap * gap;
  }
  last_ = time_s;
  ++count_;
  for (std::size_t k = 0; k < windows_.size(); ++k) {
    Windows& w = windows_[k];
    const auto index = static_cast<std::int64_t>((time_s - first_) / ArrivalMeasurement::windows_s[k]);
    if (index != w.current) {
      // The window before is complete, and so is every empty one up to this.
      w.sum += w.in_current;
      w.squares += w.in_current * w.in_current;
      w.complete += static_cast<double>(index - w.current);
      w.current = index;
      w.in_current = 0;
    }
    w.in_current += 1;
  }
}

ArrivalMeasurement ArrivalRecorder::finish() const {
  if (count_ < 2) throw std::invalid_argument("measure_arrivals: need at least 2 arrivals");
  if (!(last_ > first_)) throw std::invalid_argument("measure_arrivals: the arrivals span no time");
  ArrivalMeasurement m;
  const double n = static_cast<double>(count_);
  m.mean_rate_per_s = (n - 1) / (last_ - first_);
  const double mean_gap = gap_sum_ / (n - 1);
  m.interarrival_scv = std::max(0.0, gap_squares_ / (n - 1) / (mean_gap * mean_gap) - 1.0);
  // The windows wholly inside the record: the one holding the last arrival is cut short.
  for (std::size_t k = 0; k < windows_.size(); ++k) {
    const Windows& w = windows_[k];
    if (w.complete < 10) continue;
    const double mean = w.sum / w.complete;
    const double variance = std::max(0.0, (w.squares - w.complete * mean * mean) / (w.complete - 1));
    if (mean > 0) m.dispersion_index[k] = variance / mean;
  }
  fit_onoff(m);
  return m;
}

ArrivalMeasurement measure_arrivals(std::span<const double> times) {
  ArrivalRecorder recorder;
  for (const double t : times) recorder.add(t);
  return recorder.finish();
}

void fit_onoff(ArrivalMeasurement& m) {
  // Fit A and tau to the measured curve (least squares in A for each tau on a log grid), then the
  // on share whose interarrival scv matches the record's, with T_on = tau / (1 - p) and
  // (r - 1)^2 = A / (2 p lambda T_on).
  double best_error = std::numeric_limits<double>::infinity(), a_fit = 0, tau_fit = 0;
  for (double tau = 0.1; tau <= 1e5; tau *= 1.05) {
    double gg = 0, gy = 0;
    for (std::size_t k = 0; k < m.windows_s.size(); ++k) {
      if (!m.dispersion_index[k]) continue;
      const double g = shape(m.windows_s[k] / tau);
      gg += g * g;
      gy += g * (*m.dispersion_index[k] - 1.0);
    }
    if (!(gg > 0)) continue;
    const double a = std::max(0.0, gy / gg);
    double error = 0;
    for (std::size_t k = 0; k < m.windows_s.size(); ++k) {
      if (!m.dispersion_index[k]) continue;
      // Relative error: the curve spans orders of magnitude.
      const double model = 1.0 + a * shape(m.windows_s[k] / tau);
      error += std::pow(std::log(model / std::max(*m.dispersion_index[k], 1e-9)), 2);
    }
    if (error < best_error) {
      best_error = error;
      a_fit = a;
      tau_fit = tau;
    }
  }
  // No bursts to fit: every measured window is within Poisson's spread of 1.
  bool bursty = false;
  for (const auto& idc : m.dispersion_index) bursty = bursty || (idc && *idc > 1.5);
  if (!bursty || !(a_fit > 0) || m.interarrival_scv <= 1.0) return;

  const double lambda = m.mean_rate_per_s;
  double best = std::numeric_limits<double>::infinity();
  for (double p = 0.005; p < 0.995; p += 0.005) {
    ArrivalProcess a;
    a.model = ArrivalModel::onoff;
    a.on_share = p;
    a.mean_on_s = tau_fit / (1.0 - p);
    a.peak_ratio = 1.0 + std::sqrt(a_fit / (2.0 * p * lambda * a.mean_on_s));
    if (a.peak_ratio * p > 1.0) continue;
    const double miss = std::abs(std::log(interarrival_scv(a, lambda) / m.interarrival_scv));
    if (miss < best) {
      best = miss;
      m.onoff = a;
    }
  }
}

}  // namespace tokencast
