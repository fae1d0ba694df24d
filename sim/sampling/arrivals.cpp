// Arrivals within an hour: the two-state MMPP's moments in closed form, and the generator the
// pool simulation draws from (docs/capacity.md, "Bursts below the hour").
#include "tokencast/arrivals.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tokencast/token_moments.hpp"

namespace tokencast {
namespace {

double exponential(double rate, Rng& rng) {
  return rate > 0 ? -std::log1p(-rng.uniform01()) / rate : std::numeric_limits<double>::infinity();
}

}  // namespace

ArrivalProcess ArrivalProcess::renewal_with_scv(double scv) {
  ArrivalProcess a;
  a.model = scv == 1.0 ? ArrivalModel::poisson : ArrivalModel::renewal;
  a.scv = scv;
  return a;
}

double ArrivalProcess::off_rate(double mean_rate) const {
  if (on_share >= 1.0) return mean_rate;
  return std::max(0.0, mean_rate * (1.0 - on_share * peak_ratio) / (1.0 - on_share));
}

double ArrivalProcess::switching_rate_per_s() const {
  if (model != ArrivalModel::onoff || on_share >= 1.0 || !(mean_on_s > 0)) return 0.0;
  return 1.0 / mean_on_s + 1.0 / mean_off_s();
}

bool ArrivalProcess::sized_by_simulation() const {
  return model == ArrivalModel::onoff || (model == ArrivalModel::renewal && scv > 4.0);
}

std::string ArrivalProcess::describe() const {
  switch (model) {
    case ArrivalModel::poisson:
      return "poisson";
    case ArrivalModel::renewal:
      return fmt::format("renewal, interarrival scv {:g}", scv);
    case ArrivalModel::onoff:
      return fmt::format("on/off: {:.3g}x the mean rate for {:.3g}% of the time, on periods of {:.3g} s", peak_ratio,
                         100.0 * on_share, mean_on_s);
  }
  return {};
}

double interarrival_scv(const ArrivalProcess& a, double mean_rate) {
  if (a.model == ArrivalModel::poisson) return 1.0;
  if (a.model == ArrivalModel::renewal) return a.scv;
  if (a.on_share >= 1.0 || a.peak_ratio == 1.0) return 1.0;
  // The interarrival time is phase-type: from the state an arrival leaves behind (p = pi Lambda /
  // lambda), absorbed at the next arrival; E[X^k] = k! p M^-k 1 with M = Lambda - Q.
  const double l1 = a.on_rate(mean_rate), l2 = a.off_rate(mean_rate);
  const double w1 = 1.0 / a.mean_on_s, w2 = 1.0 / a.mean_off_s();
  const double p1 = a.on_share * l1 / mean_rate, p2 = 1.0 - p1;
  // M = [[l1 + w1, -w1], [-w2, l2 + w2]]; its inverse by the 2x2 rule.
  const double det = (l1 + w1) * (l2 + w2) - w1 * w2;
  const double i11 = (l2 + w2) / det, i12 = w1 / det, i21 = w2 / det, i22 = (l1 + w1) / det;
  const double v1 = i11 + i12, v2 = i21 + i22;        // M^-1 1
  const double u1 = i11 * v1 + i12 * v2, u2 = i21 * v1 + i22 * v2;  // M^-2 1
  const double m1 = p1 * v1 + p2 * v2, m2 = 2.0 * (p1 * u1 + p2 * u2);
  return m2 / (m1 * m1) - 1.0;
}

double dispersion_index(const ArrivalProcess& a, double mean_rate, double window_s) {
  if (a.model == ArrivalModel::poisson) return 1.0;
  if (a.model == ArrivalModel::renewal) {
    // The asymptote of a renewal process (scv); windows of a few interarrival times sit between.
    return a.scv;
  }
  const double r = a.switching_rate_per_s();
  if (!(r > 0)) return 1.0;
  const double l1 = a.on_rate(mean_rate), l2 = a.off_rate(mean_rate);
  const double variance_of_rate = a.on_share * (1.0 - a.on_share) * (l1 - l2) * (l1 - l2);
  const double x = r * window_s;
  const double shape = x > 1e-6 ? 1.0 - (1.0 - std::exp(-x)) / x : 0.5 * x;
  return 1.0 + 2.0 * variance_of_rate / (mean_rate * r) * shape;
}

ArrivalGenerator::ArrivalGenerator(const ArrivalProcess& a, double mean_rate, Rng& rng)
    : model_(a.model), rate_(mean_rate), scv_(a.scv) {
  if (model_ == ArrivalModel::renewal && scv_ == 1.0) model_ = ArrivalModel::poisson;
  if (model_ == ArrivalModel::onoff && !(a.switching_rate_per_s() > 0)) model_ = ArrivalModel::poisson;
  if (model_ == ArrivalModel::renewal && scv_ > 1.0) {
    // Two-phase hyperexponential with balanced means (p1 / rate1 = p2 / rate2), the usual
    // two-moment fit for bursty traffic (Whitt 1982).
    p1_ = 0.5 * (1.0 + std::sqrt((scv_ - 1.0) / (scv_ + 1.0)));
    rate1_ = 2.0 * p1_ * mean_rate;
    rate2_ = 2.0 * (1.0 - p1_) * mean_rate;
  }
  if (model_ == ArrivalModel::onoff) {
    on_rate_ = a.on_rate(mean_rate);
    off_rate_ = a.off_rate(mean_rate);
    leave_on_ = 1.0 / a.mean_on_s;
    leave_off_ = 1.0 / a.mean_off_s();
    on_ = rng.uniform01() < a.on_share;  // the stationary state
    state_left_s_ = exponential(on_ ? leave_on_ : leave_off_, rng);
  }
}

double ArrivalGenerator::next_gap(Rng& rng) {
  switch (model_) {
    case ArrivalModel::poisson:
      return exponential(rate_, rng);
    case ArrivalModel::renewal:
      if (scv_ > 1.0) return rng.uniform01() < p1_ ? exponential(rate1_, rng) : exponential(rate2_, rng);
      if (scv_ == 0.0) return 1.0 / rate_;
      return sample_gamma(1.0 / scv_, scv_ / rate_, rng);  // mean 1/rate, variance scv/rate^2
    case ArrivalModel::onoff: {
      // Both clocks are memoryless: a gap that outlasts the state restarts in the other state.
      double gap = 0;
      for (;;) {
        const double g = exponential(on_ ? on_rate_ : off_rate_, rng);
        if (g < state_left_s_) {
          state_left_s_ -= g;
          return gap + g;
        }
        gap += state_left_s_;
        on_ = !on_;
        state_left_s_ = exponential(on_ ? leave_on_ : leave_off_, rng);
      }
    }
  }
  return exponential(rate_, rng);
}

}  // namespace tokencast
