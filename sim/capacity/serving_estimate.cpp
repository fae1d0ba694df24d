// The serving model's analytic estimate (docs/capacity.md, "The serving model"): the pool's R
// prefill resources and R x m slots as two Allen-Cunneen stages whose waits add, the TTFT tail
// from that wait and the prefill time, and the search for the fewest replicas meeting a target.
#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <boost/math/special_functions/erf.hpp>

#include "tokencast/queueing.hpp"

namespace tokencast {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kPrefillPoints = 32;
using PrefillPoints = std::array<double, kPrefillPoints>;

void require(bool condition, const char* message) {
  if (!condition) throw std::invalid_argument(message);
}

// Standard normal quantiles at (i + 1/2) / K: K equally likely points of N(0, 1).
const PrefillPoints& normal_points() {
  static const PrefillPoints z = [] {
    PrefillPoints p{};
    for (int i = 0; i < kPrefillPoints; ++i) {
      const double u = (i + 0.5) / kPrefillPoints;
      p[static_cast<std::size_t>(i)] = std::sqrt(2.0) * boost::math::erf_inv(2.0 * u - 1.0);
    }
    return p;
  }();
  return z;
}

// The prefill time as a lognormal with its mean and p95 (the p95 kept where no lognormal has
// both: a tail heavier than sigma = z_0.95 allows), and K equally likely points of it.
struct PrefillLaw {
  double mu = 0, sigma = 0;
  PrefillPoints points{};
  double max() const { return points.back(); }
  double survival(double t) const {  // P(prefill > t)
    if (!(t > 0)) return 1.0;
    if (sigma == 0) return t < points[0] ? 1.0 : 0.0;
    return 0.5 * std::erfc((std::log(t) - mu) / (sigma * std::sqrt(2.0)));
  }
};
PrefillLaw prefill_law(const SloQueue& q) {
  constexpr double z95 = 1.6448536269514722;
  PrefillLaw law;
  if (!(q.prefill_mean_s > 0)) {
    law.points.fill(q.prefill_p95_s);
    law.mu = q.prefill_p95_s > 0 ? std::log(q.prefill_p95_s) : -kInf;
    return law;
  }
  const double r = std::log(std::max(q.prefill_p95_s, 1e-300) / q.prefill_mean_s);
  law.mu = std::log(q.prefill_mean_s);
  if (r >= 0.5 * z95 * z95) {
    law.sigma = z95;
    law.mu = std::log(q.prefill_p95_s) - law.sigma * z95;
  } else if (r > 0) {
    law.sigma = z95 - std::sqrt(z95 * z95 - 2.0 * r);
    law.mu -= 0.5 * law.sigma * law.sigma;
  }
  const PrefillPoints& z = normal_points();
  for (std::size_t i = 0; i < law.points.size(); ++i) law.points[i] = std::exp(law.mu + law.sigma * z[i]);
  return law;
}

// One stage's wait: 0 with probability 1 - c, else exponential at `rate` (Allen-Cunneen's tail).
struct StageTail {
  double c = 0, rate = kInf;
};
StageTail tail_of(const QueueEstimate& q) {
  if (!(q.mean_wait_s > 0) || !std::isfinite(q.mean_wait_s)) return {};
  return {q.wait_probability, q.wait_probability / q.mean_wait_s};
}

// P(E + Z > w) for E exponential at rate a and Z independent: 0 with probability 1 - z.c, else
// exponential at z.rate (their sum is hypoexponential; Erlang-2 where the rates meet).
double exp_plus_tail(double a, const StageTail& z, double w) {
  if (std::isinf(a)) return z.c > 0 ? z.c * std::exp(-z.rate * w) : 0.0;  // E is 0: Z alone
  const double ea = std::exp(-a * w);
  if (!(z.c > 0)) return ea;
  const double eb = std::exp(-z.rate * w);
  const double d = z.rate - a;
  const double both = std::abs(d) <= 1e-9 * std::max(a, z.rate) ? (1.0 + a * w) * ea : (z.rate * ea - a * eb) / d;
  return (1.0 - z.c) * ea + z.c * both;
}

// The pool at one replica count. An arrival that finds a free slot has its pick of the replicas,
// so its prefill wait is that of R pooled prefill servers; one that waits for a slot takes the
// replica whose slot frees first, and waits for that replica's prefill alone (one server at
// rate / R) after its slot wait.
struct Stages {
  bool stable = false;
  QueueEstimate prefill, slots;
  StageTail pooled, single, slot;

  // P(wait > w): with probability 1 - C_slot the pooled prefill wait alone, else an exponential slot
  // wait plus the single replica's prefill wait.
  double wait_exceedance(double w) const {
    if (w < 0) return 1.0;
    const double free_slot = pooled.c > 0 ? pooled.c * std::exp(-pooled.rate * w) : 0.0;
    const double waited = slot.c > 0 ? exp_plus_tail(slot.rate, single, w) : 0.0;
    return (1.0 - slot.c) * free_slot + slot.c * waited;
  }
  // P(wait + prefill > t): nobody waits with probability 1 - P(wait > 0), and then the prefill's
  // own law decides; the waits that happen are spread over the prefill's points.
  double ttft_exceedance(double t, const PrefillLaw& x) const {
    const double any_wait = wait_exceedance(0);
    double waited = 0;
    for (const double prefill_s : x.points) waited += t > prefill_s ? wait_exceedance(t - prefill_s) : any_wait;
    return (1.0 - any_wait) * x.survival(t) + waited / kPrefillPoints;
  }
};

Stages stages_at(int replicas, double rate, const SloQueue& q, double arrival_scv) {
  Stages s;
  QueueEstimate single;
  if (q.prefill_mean_s > 0) {
    s.prefill = allen_cunneen(replicas, rate, q.prefill_mean_s, arrival_scv, q.prefill_scv);
    single = allen_cunneen(1, rate / replicas, q.prefill_mean_s, arrival_scv, q.prefill_scv);
  } else {
    s.prefill.stable = single.stable = true;
  }
  if (!s.prefill.stable) return s;
  // Decode gets the GPU time prefill leaves; a slot is held through its request's prefill wait
  // too, which depends on whether it waited for the slot: a few rounds to a fixed point.
  const double slowdown = 1.0 / (1.0 - prefill_busy_share(replicas, rate, q));
  const double decode_s = q.mean_service_s - q.prefill_mean_s;
  const double prefill_variance = q.prefill_scv * q.prefill_mean_s * q.prefill_mean_s;
  const double decode_variance =
      std::max(0.0, q.service_scv * q.mean_service_s * q.mean_service_s - prefill_variance);
  // A decode step of n sequences takes a full batch's times f + (1 - f) n / m. At the mean number
  // decoding on a replica, n = c (f + (1 - f) n / m) with c the decodes a replica would hold at
  // full-batch speed (Little); a queue forms only with every slot busy, at the full-batch speed.
  const double f = q.decode_fixed_share;
  const double m = q.max_concurrency;
  double step_share = 1.0;
  if (f < 1.0) {
    const double c = rate / replicas * decode_s * slowdown;
    const double room = 1.0 - c * (1.0 - f) / m;
    const double decoding = room > 0 ? std::min(m, c * f / room) : m;
    step_share = f + (1.0 - f) * decoding / m;
  }
  double slot_wait_probability = 0;
  for (int round = 0; round < 6; ++round) {
    const double prefill_wait_s =
        (1.0 - slot_wait_probability) * s.prefill.mean_wait_s + slot_wait_probability * single.mean_wait_s;
    const double busy_s = q.prefill_mean_s + decode_s * slowdown + prefill_wait_s;
    const double held_s = q.prefill_mean_s + decode_s * slowdown * step_share + prefill_wait_s;
    const double decode_scale = slowdown * step_share;
    const double scv = (prefill_variance + decode_variance * decode_scale * decode_scale) / (held_s * held_s);
    s.slots = allen_cunneen_load_dependent(replicas * q.max_concurrency, rate, held_s, busy_s, arrival_scv, scv);
    if (!s.slots.stable || std::abs(s.slots.wait_probability - slot_wait_probability) < 1e-6) break;
    slot_wait_probability = s.slots.wait_probability;
  }
  s.stable = s.slots.stable;
  s.pooled = tail_of(s.prefill);
  s.single = tail_of(single);
  s.slot = tail_of(s.slots);
  // A slot wait too short to show a tail still passes its waiters to one replica's prefill.
  if (s.slot.c == 0 && s.slots.wait_probability > 0) s.slot = {s.slots.wait_probability, kInf};
  return s;
}

// The pool under its arrival process: one regime for Poisson and renewal arrivals; for on/off
// arrivals, the on and the off regime each in its steady state, weighted by the arrivals each
// brings (quasi-static: exact as the periods grow long against the time a slot is held).
struct Regimes {
  std::array<Stages, 2> stages;
  std::array<double, 2> weight{1.0, 0.0};
  int count = 1;
  bool stable() const {
    for (int i = 0; i < count; ++i) {
      if (weight[i] > 0 && !stages[i].stable) return false;
    }
    return true;
  }
  template <typename F>
  double mix(F f) const {
    double sum = 0;
    for (int i = 0; i < count; ++i) {
      if (weight[i] > 0) sum += weight[i] * f(stages[i]);
    }
    return sum;
  }
  double wait_exceedance(double w) const {
    return mix([w](const Stages& s) { return s.wait_exceedance(w); });
  }
  double ttft_exceedance(double t, const PrefillLaw& x) const {
    return mix([t, &x](const Stages& s) { return s.ttft_exceedance(t, x); });
  }
  double slowest_tail_rate() const {
    double rate = kInf;
    for (int i = 0; i < count; ++i) rate = std::min({rate, stages[i].pooled.rate, stages[i].single.rate, stages[i].slot.rate});
    return rate;
  }
};

Regimes regimes_at(int replicas, double rate, const SloQueue& q, const ArrivalProcess& arrivals) {
  Regimes r;
  if (arrivals.model != ArrivalModel::onoff || !(arrivals.switching_rate_per_s() > 0)) {
    const double scv = arrivals.model == ArrivalModel::renewal ? arrivals.scv : 1.0;
    r.stages[0] = stages_at(replicas, rate, q, scv);
    return r;
  }
  r.count = 2;
  const double on = arrivals.on_rate(rate), off = arrivals.off_rate(rate);
  r.weight = {std::min(1.0, arrivals.on_share * arrivals.peak_ratio), 0.0};
  r.weight[1] = 1.0 - r.weight[0];
  r.stages[0] = stages_at(replicas, on, q, 1.0);
  if (off > 0) r.stages[1] = stages_at(replicas, off, q, 1.0);
  return r;
}

// Smallest t in [lo, hi] with f(t) <= target, f falling; hi must satisfy it.
template <typename F>
double bisect_down(double lo, double hi, double target, F f) {
  for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) <= target ? hi : lo) = mid;
  }
  return hi;
}

double wait_quantile(const Regimes& s, double exceed) {
  if (s.wait_exceedance(0) <= exceed) return 0.0;
  double hi = 1.0 / s.slowest_tail_rate();
  while (s.wait_exceedance(hi) > exceed) hi *= 2;
  return bisect_down(0.0, hi, exceed, [&](double w) { return s.wait_exceedance(w); });
}

ServingEstimate estimate_from(const Regimes& s, int replicas, double rate, const SloQueue& q, const PrefillLaw& x,
                              double exceed) {
  ServingEstimate e;
  // The regime that binds: the on periods where there are two.
  e.prefill = s.stages[0].prefill;
  e.slots = s.stages[0].slots;
  e.stable = s.stable();
  e.utilization = rate * q.work_s() / replicas;
  if (!e.stable) {
    e.wait_probability = 1.0;
    e.mean_wait_s = e.wait_p95_s = e.ttft_p95_s = kInf;
    return e;
  }
  e.wait_probability = s.wait_exceedance(0);
  e.mean_wait_s = s.mix([](const Stages& g) {
    return (1.0 - g.slot.c) * g.prefill.mean_wait_s + g.slots.mean_wait_s +
           g.slot.c * (g.single.c > 0 ? g.single.c / g.single.rate : 0.0);
  });
  e.wait_p95_s = wait_quantile(s, exceed);
  // About the prefill's p99.99 plus the wait's p95: at or above the TTFT p95.
  double hi = std::max(x.max(), std::exp(x.mu + 3.72 * x.sigma)) + e.wait_p95_s + 1e-9;
  while (s.ttft_exceedance(hi, x) > exceed) hi *= 2;
  e.ttft_p95_s = bisect_down(0.0, hi, exceed, [&](double t) { return s.ttft_exceedance(t, x); });
  return e;
}

constexpr double kExceed = 0.05;

// Exceedances rather than quantiles: one pass over the prefill's points.
bool meets_at(int replicas, double rate, const SloQueue& queue, const SloTarget& slo, const ArrivalProcess& arrivals,
              const PrefillLaw& x) {
  const Regimes s = regimes_at(replicas, rate, queue, arrivals);
  if (!s.stable()) return false;
  if (slo.wait_p95_s && !(s.wait_exceedance(*slo.wait_p95_s) <= kExceed)) return false;
  if (slo.ttft_p95_s && !(s.ttft_exceedance(*slo.ttft_p95_s, x) <= kExceed)) return false;
  return true;
}

void check_queue(const SloQueue& q) {
  require(q.max_concurrency >= 1, "serving model: max_concurrency must be >= 1");
  require(q.decode_fixed_share > 0 && q.decode_fixed_share <= 1,
          "serving model: decode_fixed_share must lie in (0, 1]");
  require(q.mean_service_s > 0 && std::isfinite(q.mean_service_s),
          "serving model: a request must take some finite service time");
  require(q.service_scv >= 0 && std::isfinite(q.service_scv) && q.prefill_scv >= 0 && std::isfinite(q.prefill_scv),
          "serving model: the scvs must be finite and >= 0");
  require(q.prefill_mean_s >= 0 && q.prefill_mean_s <= q.mean_service_s && q.prefill_p95_s >= 0 &&
              std::isfinite(q.prefill_p95_s),
          "serving model: the prefill must take a finite time within the service time");
}

}  // namespace

double prefill_busy_share(int replicas, double arrival_rate_per_s, const SloQueue& queue) {
  return arrival_rate_per_s * queue.prefill_mean_s / replicas;
}

ServingEstimate estimate_serving(int replicas, double arrival_rate_per_s, const SloQueue& queue,
                                 const ArrivalProcess& arrivals, double quantile) {
  check_queue(queue);
  require(replicas >= 1, "estimate_serving: replicas must be >= 1");
  require(quantile > 0 && quantile < 1, "estimate_serving: the quantile must lie in (0, 1)");
  const Regimes s = regimes_at(replicas, arrival_rate_per_s, queue, arrivals);
  return estimate_from(s, replicas, arrival_rate_per_s, queue, prefill_law(queue), 1.0 - quantile);
}

ServingEstimate estimate_serving(int replicas, double arrival_rate_per_s, const SloQueue& queue, double arrival_scv,
                                 double quantile) {
  return estimate_serving(replicas, arrival_rate_per_s, queue, ArrivalProcess::renewal_with_scv(arrival_scv), quantile);
}

bool meets_slo(int replicas, double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
               const ArrivalProcess& arrivals) {
  check_queue(queue);
  require(replicas >= 1, "meets_slo: replicas must be >= 1");
  if (slo.ttft_p95_s && !(*slo.ttft_p95_s >= queue.prefill_p95_s)) return false;
  return meets_at(replicas, arrival_rate_per_s, queue, slo, arrivals, prefill_law(queue));
}

bool meets_slo(int replicas, double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
               double arrival_scv) {
  return meets_slo(replicas, arrival_rate_per_s, queue, slo, ArrivalProcess::renewal_with_scv(arrival_scv));
}

SloSizingEstimate replicas_for_slo(double arrival_rate_per_s, const ServiceProfile& service, const SloTarget& slo,
                                   int min_replicas, int max_replicas, double arrival_scv) {
  require(service.prefill_tokens_per_s > 0 && service.decode_tokens_per_s > 0,
          "replicas_for_slo: prefill and decode throughputs must be > 0");
  require(service.input_mean_tokens >= 0 && service.output_mean_tokens >= 0 && service.input_variance >= 0 &&
              service.output_variance >= 0 && service.input_p95_tokens >= 0,
          "replicas_for_slo: token moments must be >= 0");
  return replicas_for_slo(arrival_rate_per_s, service.queue(), slo, min_replicas, max_replicas, arrival_scv);
}

SloSizingEstimate replicas_for_slo(double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
                                   int min_replicas, int max_replicas, double arrival_scv) {
  return replicas_for_slo(arrival_rate_per_s, queue, slo, min_replicas, max_replicas,
                          ArrivalProcess::renewal_with_scv(arrival_scv));
}

SloSizingEstimate replicas_for_slo(double arrival_rate_per_s, const SloQueue& queue, const SloTarget& slo,
                                   int min_replicas, int max_replicas, const ArrivalProcess& arrivals) {
  require(arrival_rate_per_s >= 0 && std::isfinite(arrival_rate_per_s),
          "replicas_for_slo: arrival rate must be finite and >= 0");
  check_queue(queue);
  require(min_replicas >= 1 && max_replicas >= min_replicas,
          "replicas_for_slo: need 1 <= min_replicas <= max_replicas");
  require(static_cast<long long>(max_replicas) * queue.max_concurrency <= INT_MAX,
          "replicas_for_slo: max_replicas x max_concurrency exceeds the slot count modelled");

  constexpr double exceed = kExceed;
  const PrefillLaw x = prefill_law(queue);
  // Stable needs R > offered prefill load and R m > offered slot load (before any wait).
  // Under on/off arrivals, at the on rate (quasi-static: the on periods are served in steady state).
  const double busiest = arrivals.model == ArrivalModel::onoff && arrivals.switching_rate_per_s() > 0
                             ? arrivals.on_rate(arrival_rate_per_s)
                             : arrival_rate_per_s;
  const double stable_from = std::max(std::floor(busiest * queue.prefill_mean_s) + 1.0,
                                      std::floor(busiest * queue.mean_service_s / queue.max_concurrency) + 1.0);
  auto meets = [&](int replicas) { return meets_at(replicas, arrival_rate_per_s, queue, slo, arrivals, x); };
  auto result = [&](int replicas, SloOutcome outcome) {
    SloSizingEstimate e;
    e.replicas = replicas;
    e.queue = estimate_from(regimes_at(replicas, arrival_rate_per_s, queue, arrivals), replicas, arrival_rate_per_s,
                            queue, x, exceed);
    e.ttft_p95_s = e.queue.ttft_p95_s;
    e.outcome = outcome;
    e.feasible = outcome == SloOutcome::met;
    e.stable_from_replicas = stable_from;
    return e;
  };

  // No pool brings the ttft below the prefill itself, or a wait below 0.
  if (slo.ttft_p95_s && !(*slo.ttft_p95_s >= queue.prefill_p95_s)) return result(max_replicas, SloOutcome::unreachable);
  if (slo.wait_p95_s && !(*slo.wait_p95_s >= 0)) return result(max_replicas, SloOutcome::unreachable);
  if (stable_from > max_replicas) return result(max_replicas, SloOutcome::over_limit);

  int failing = std::max(min_replicas, static_cast<int>(stable_from));
  if (meets(failing)) return result(failing, SloOutcome::met);
  // Gallop up until the objective is met, then bisect between the last failure and the success.
  // Both waits fall as replicas are added at a fixed load, so "meets" is monotone in R.
  long long step = 1;
  int success = 0;
  for (;;) {
    if (failing >= max_replicas) return result(max_replicas, SloOutcome::over_limit);
    const int next = static_cast<int>(std::min<long long>(failing + step, max_replicas));
    if (meets(next)) {
      success = next;
      break;
    }
    failing = next;
    step *= 2;
  }
  while (success - failing > 1) {
    const int mid = failing + (success - failing) / 2;
    (meets(mid) ? success : failing) = mid;
  }
  return result(success, SloOutcome::met);
}

}  // namespace tokencast
