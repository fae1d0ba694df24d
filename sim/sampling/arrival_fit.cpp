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

ArrivalMeasurement measure_arrivals(std::span<const double> times) {
  if (times.size() < 2) throw std::invalid_argument("measure_arrivals: need at least 2 arrivals");
  ArrivalMeasurement m;
  const double start = times.front(), span = times.back() - times.front();
  if (!(span > 0)) throw std::invalid_argument("measure_arrivals: the arrivals span no time");
  const double n = static_cast<double>(times.size());
  m.mean_rate_per_s = (n - 1) / span;
  double sum = 0, sum2 = 0;
  for (std::size_t i = 1; i < times.size(); ++i) {
    const double gap = times[i] - times[i - 1];
    sum += gap;
    sum2 += gap * gap;
  }
  const double mean_gap = sum / (n - 1);
  m.interarrival_scv = std::max(0.0, sum2 / (n - 1) / (mean_gap * mean_gap) - 1.0);

  std::vector<double> counts;
  for (std::size_t k = 0; k < m.windows_s.size(); ++k) {
    const double w = m.windows_s[k];
    const auto windows = static_cast<std::size_t>(span / w);
    if (windows < 10) continue;
    counts.assign(windows, 0.0);
    for (const double t : times) {
      const auto i = static_cast<std::size_t>((t - start) / w);
      if (i < windows) counts[i] += 1.0;
    }
    double mean = 0, var = 0;
    for (const double c : counts) mean += c;
    mean /= static_cast<double>(windows);
    for (const double c : counts) var += (c - mean) * (c - mean);
    var /= static_cast<double>(windows - 1);
    if (mean > 0) m.dispersion_index[k] = var / mean;
  }

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
  if (!bursty || !(a_fit > 0) || m.interarrival_scv <= 1.0) return m;

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
  return m;
}

}  // namespace tokencast
