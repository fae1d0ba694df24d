#include "tokencast/queueing.hpp"

#include <algorithm>
#include <climits>

#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tokencast {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void require(bool condition, const char* message) {
  if (!condition) throw std::invalid_argument(message);
}

bool meets(const SloSizingEstimate& e, const SloTarget& slo) {
  if (!e.queue.stable) return false;
  if (slo.wait_p95_s && !(e.queue.wait_p95_s <= *slo.wait_p95_s)) return false;
  if (slo.ttft_p95_s && !(e.ttft_p95_s <= *slo.ttft_p95_s)) return false;
  return true;
}

}  // namespace

double erlang_c(int servers, double offered_erlangs) {
  require(servers >= 1, "erlang_c: servers must be >= 1");
  require(offered_erlangs >= 0 && !std::isnan(offered_erlangs), "erlang_c: offered load must be >= 0");
  const double a = offered_erlangs;
  const double c = servers;
  if (a >= c) return 1.0;
  if (a == 0) return 0.0;
  double b = 1.0;
  if (servers <= erlang_b_recursion_servers) {
    // Every term of the recursion lies in (0, 1], so nothing overflows at any c.
    for (int k = 1; k <= servers; ++k) {
      b = a * b / (k + a * b);
      // Once B underflows it stays 0 (and so does C): stop early, which keeps c >> a cheap.
      if (b == 0.0) return 0.0;
    }
  } else {
    // The recursion's cost grows with c; the Poisson ratio does not. gamma_p_derivative(c + 1, a)
    // is the Poisson pmf at c, gamma_q(c + 1, a) its cdf.
    const double pmf = boost::math::gamma_p_derivative(c + 1.0, a);
    const double cdf = boost::math::gamma_q(c + 1.0, a);
    if (!(pmf > 0.0)) return 0.0;
    b = std::min(1.0, pmf / cdf);
  }
  return std::clamp(c * b / (c - a * (1.0 - b)), 0.0, 1.0);
}

QueueEstimate allen_cunneen(int servers, double arrival_rate_per_s, double mean_service_s, double arrival_scv,
                            double service_scv, double wait_quantile) {
  require(servers >= 1, "allen_cunneen: servers must be >= 1");
  require(arrival_rate_per_s >= 0 && std::isfinite(arrival_rate_per_s),
          "allen_cunneen: arrival rate must be finite and >= 0");
  require(mean_service_s > 0 && std::isfinite(mean_service_s), "allen_cunneen: mean service time must be > 0");
  require(arrival_scv >= 0 && service_scv >= 0 && std::isfinite(arrival_scv) && std::isfinite(service_scv),
          "allen_cunneen: squared coefficients of variation must be finite and >= 0");
  require(wait_quantile > 0 && wait_quantile < 1, "allen_cunneen: wait quantile must lie in (0, 1)");

  QueueEstimate q;
  const double c = servers;
  const double offered = arrival_rate_per_s * mean_service_s;
  q.utilization = offered / c;
  q.stable = offered < c;
  if (!q.stable) {
    // Waits grow without bound over the hour: report them as infinite rather than a number.
    q.wait_probability = 1.0;
    q.mean_wait_s = kInf;
    q.wait_p95_s = kInf;
    return q;
  }
  q.wait_probability = erlang_c(servers, offered);
  const double variability = 0.5 * (arrival_scv + service_scv);
  if (q.wait_probability == 0.0 || variability == 0.0) return q;  // nobody waits (or D/D/c)
  const double drain_rate = c / mean_service_s - arrival_rate_per_s;  // c mu - lambda
  q.mean_wait_s = q.wait_probability / drain_rate * variability;
  // The wait of those who wait is taken as exponential with the Allen-Cunneen mean, so the tail is
  // P(W > t) = C exp(-t / (mean wait | wait)).
  const double tail_rate = drain_rate / variability;
  const double exceed = 1.0 - wait_quantile;
  if (q.wait_probability > exceed) q.wait_p95_s = std::log(q.wait_probability / exceed) / tail_rate;
  return q;
}

double ServiceProfile::mean_service_s() const {
  return input_mean_tokens / prefill_tokens_per_s + output_mean_tokens * max_concurrency / decode_tokens_per_s;
}

double ServiceProfile::service_scv() const {
  const double per_output_token_s = max_concurrency / decode_tokens_per_s;
  const double variance = input_variance / (prefill_tokens_per_s * prefill_tokens_per_s) +
                          output_variance * per_output_token_s * per_output_token_s;
  const double mean = mean_service_s();
  return variance / (mean * mean);
}

double ServiceProfile::prefill_p95_s() const { return input_p95_tokens / prefill_tokens_per_s; }

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
  require(arrival_rate_per_s >= 0 && std::isfinite(arrival_rate_per_s),
          "replicas_for_slo: arrival rate must be finite and >= 0");
  require(queue.max_concurrency >= 1, "replicas_for_slo: max_concurrency must be >= 1");
  require(queue.mean_service_s > 0 && std::isfinite(queue.mean_service_s),
          "replicas_for_slo: a request must take some finite service time");
  require(queue.service_scv >= 0 && std::isfinite(queue.service_scv) && queue.prefill_p95_s >= 0 &&
              std::isfinite(queue.prefill_p95_s),
          "replicas_for_slo: the service scv and prefill p95 must be finite and >= 0");
  require(min_replicas >= 1 && max_replicas >= min_replicas,
          "replicas_for_slo: need 1 <= min_replicas <= max_replicas");
  require(static_cast<long long>(max_replicas) * queue.max_concurrency <= INT_MAX,
          "replicas_for_slo: max_replicas x max_concurrency exceeds the slot count modelled");

  const double mean_s = queue.mean_service_s;
  const double scv = queue.service_scv;
  const double prefill_p95 = queue.prefill_p95_s;
  // Start at the smallest stable pool: R x max_concurrency > offered load.
  const double offered = arrival_rate_per_s * mean_s;
  const double stable_from = std::floor(offered / queue.max_concurrency) + 1.0;
  auto evaluate = [&](int replicas) {
    SloSizingEstimate e;
    e.replicas = replicas;
    e.queue = allen_cunneen(replicas * queue.max_concurrency, arrival_rate_per_s, mean_s, arrival_scv, scv);
    e.ttft_p95_s = e.queue.wait_p95_s + prefill_p95;
    e.feasible = meets(e, slo);
    e.outcome = e.feasible ? SloOutcome::met : SloOutcome::over_limit;
    e.stable_from_replicas = stable_from;
    return e;
  };
  auto infeasible = [&](SloOutcome why) {
    SloSizingEstimate e = evaluate(max_replicas);
    e.feasible = false;
    e.outcome = why;
    return e;
  };

  // No pool size brings the ttft below the prefill itself (or a wait below 0).
  if (slo.ttft_p95_s && !(*slo.ttft_p95_s >= prefill_p95)) return infeasible(SloOutcome::unreachable);
  if (slo.wait_p95_s && !(*slo.wait_p95_s >= 0)) return infeasible(SloOutcome::unreachable);

  if (stable_from > max_replicas) return infeasible(SloOutcome::over_limit);
  SloSizingEstimate best = evaluate(std::max(min_replicas, static_cast<int>(stable_from)));
  if (best.feasible) return best;
  int failing = best.replicas;

  // Gallop up until the objective is met, then bisect between the last failure and the success.
  // Waits fall as servers are added at a fixed load, so "meets" is monotone in the replica count.
  long long step = 1;
  for (;;) {
    if (failing >= max_replicas) return infeasible(SloOutcome::over_limit);
    const int next = static_cast<int>(std::min<long long>(failing + step, max_replicas));
    SloSizingEstimate e = evaluate(next);
    if (e.feasible) {
      best = e;
      break;
    }
    failing = next;
    step *= 2;
  }
  while (best.replicas - failing > 1) {
    const int mid = failing + (best.replicas - failing) / 2;
    SloSizingEstimate e = evaluate(mid);
    if (e.feasible) {
      best = e;
    } else {
      failing = mid;
    }
  }
  return best;
}

}  // namespace tokencast
