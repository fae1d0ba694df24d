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
  return allen_cunneen_load_dependent(servers, arrival_rate_per_s, mean_service_s, mean_service_s, arrival_scv,
                                      service_scv, wait_quantile);
}

QueueEstimate allen_cunneen_load_dependent(int servers, double arrival_rate_per_s, double mean_service_s,
                                           double busy_service_s, double arrival_scv, double service_scv,
                                           double wait_quantile) {
  require(servers >= 1, "allen_cunneen: servers must be >= 1");
  require(arrival_rate_per_s >= 0 && std::isfinite(arrival_rate_per_s),
          "allen_cunneen: arrival rate must be finite and >= 0");
  require(mean_service_s > 0 && std::isfinite(mean_service_s), "allen_cunneen: mean service time must be > 0");
  require(busy_service_s >= mean_service_s && std::isfinite(busy_service_s),
          "allen_cunneen: the service time with every server busy must be finite and >= the mean");
  require(arrival_scv >= 0 && service_scv >= 0 && std::isfinite(arrival_scv) && std::isfinite(service_scv),
          "allen_cunneen: squared coefficients of variation must be finite and >= 0");
  require(wait_quantile > 0 && wait_quantile < 1, "allen_cunneen: wait quantile must lie in (0, 1)");

  QueueEstimate q;
  const double c = servers;
  const double offered = arrival_rate_per_s * mean_service_s;
  q.utilization = offered / c;
  q.stable = arrival_rate_per_s * busy_service_s < c;
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
  const double drain_rate = c / busy_service_s - arrival_rate_per_s;  // c mu - lambda, all busy
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
                          output_variance * per_output_token_s * per_output_token_s +
                          2.0 * input_output_covariance * per_output_token_s / prefill_tokens_per_s;
  const double mean = mean_service_s();
  return variance / (mean * mean);
}

double ServiceProfile::prefill_p95_s() const { return input_p95_tokens / prefill_tokens_per_s; }

double ServiceProfile::prefill_mean_s() const { return input_mean_tokens / prefill_tokens_per_s; }

double ServiceProfile::prefill_scv() const {
  return input_mean_tokens > 0 ? input_variance / (input_mean_tokens * input_mean_tokens) : 0.0;
}

}  // namespace tokencast
