#include "tokencast/token_moments.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>

namespace tokencast {
namespace {

// The coupling of the input's cut to the output enters the moments only when it could move them
// by more than this share (one part in a million: far below any Monte Carlo error).
constexpr double negligible_share = 1e-6;

// Double precision throughout: the default policy promotes to long double, several times slower.
using Fast = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

// std::nearbyint, without its library call where it matters (--exact rounds two counts a
// request): adding and taking away 2^52 rounds 0 <= x < 2^52 to the nearest integer, ties to
// even, as nearbyint does in the default rounding mode.
double round_tokens(double x, double hi) {
  constexpr double two_52 = 0x1p52;
  const double rounded = x >= 0 && x < two_52 ? (x + two_52) - two_52 : std::nearbyint(x);
  return std::clamp(rounded, 1.0, hi);
}

double normal_cdf(double z) { return 0.5 * boost::math::erfc(-z / std::numbers::sqrt2, Fast()); }

// First two moments of min(X, b), the "limited expected values" E[min(X,b)] and E[min(X,b)^2],
// for a distribution on [0, inf): closed forms for the lognormal and the gamma, otherwise
// lo + int_lo^b S(x) dx and lo^2 + int_lo^b 2x S(x) dx with S the survival function
// (fixed and empirical distributions: exact sums).
struct Limited {
  double m1 = 0, m2 = 0;
};

Limited limited_moments(const Dist& d, double b) {
  const double mean = d.mean(), variance = d.variance();
  switch (d.kind()) {
    case DistKind::lognormal: {
      const double s2 = std::log1p(variance / (mean * mean));
      const double s = std::sqrt(s2), mu = std::log(mean) - 0.5 * s2, lb = std::log(b);
      const double tail = 1.0 - normal_cdf((lb - mu) / s);
      return {mean * normal_cdf((lb - mu - s2) / s) + b * tail,
              std::exp(2 * mu + 2 * s2) * normal_cdf((lb - mu - 2 * s2) / s) + b * b * tail};
    }
    case DistKind::gamma: {
      const double k = mean * mean / variance, theta = variance / mean, x = b / theta;
      const double tail = boost::math::gamma_q(k, x, Fast());
      return {k * theta * boost::math::gamma_p(k + 1, x, Fast()) + b * tail,
              k * (k + 1) * theta * theta * boost::math::gamma_p(k + 2, x, Fast()) + b * b * tail};
    }
    case DistKind::fixed:
    case DistKind::empirical: {
      if (d.values().empty()) {
        const double v = std::min(mean, b);
        return {v, v * v};
      }
      Limited r;
      double previous = 0;
      for (std::size_t i = 0; i < d.values().size(); ++i) {
        const double w = d.cumulative_weights()[i] - previous;
        previous = d.cumulative_weights()[i];
        const double v = std::min(d.scale() * d.values()[i], b);
        r.m1 += w * v;
        r.m2 += w * v * v;
      }
      return r;
    }
    default: {
      const Interval support = d.support();
      const double lo = std::max(0.0, support.lo);
      const double hi = std::min(b, support.hi);
      Limited r{lo, lo * lo};
      if (hi > lo) {
        using boost::math::quadrature::gauss_kronrod;
        r.m1 += gauss_kronrod<double, 61>::integrate([&](double x) { return 1.0 - d.cdf(x); }, lo, hi, 12, 1e-12);
        r.m2 += gauss_kronrod<double, 61>::integrate([&](double x) { return 2.0 * x * (1.0 - d.cdf(x)); }, lo, hi,
                                                      12, 1e-12);
      }
      return r;
    }
  }
}

// Moments of the token count min(max(round(X), 1), b): the limited moments, plus the floor (values
// below 0.5 round to 0 and are lifted to 1) and, for continuous X, Sheppard's 1/12 for rounding.
void token_count_moments(const Dist& d, double b, double& mean, double& variance) {
  if (d.kind() == DistKind::fixed || d.kind() == DistKind::empirical) {
    // Round the values themselves: exact.
    const auto values = d.values();
    if (values.empty()) {
      mean = round_tokens(d.mean(), b);
      variance = 0;
      return;
    }
    double m1 = 0, m2 = 0, previous = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double w = d.cumulative_weights()[i] - previous;
      previous = d.cumulative_weights()[i];
      const double v = round_tokens(d.scale() * values[i], b);
      m1 += w * v;
      m2 += w * v * v;
    }
    mean = m1;
    variance = std::max(0.0, m2 - m1 * m1);
    return;
  }
  Limited r = limited_moments(d, b);
  const double floor_mass = d.cdf(0.5);
  r.m1 += floor_mass;  // round(X) = 0 becomes 1: adds 1 to the count and to its square
  r.m2 += floor_mass;
  mean = r.m1;
  variance = std::max(0.0, r.m2 - r.m1 * r.m1) + 1.0 / 12.0;
}

// Cutting the input at context - output instead of at context - 1 moves its moments by at most
// D(o) = L(c - 1) - L(c - o) for an output o (L: limited moments), D growing with o. Bounded in
// three bands of the output: up to its 99.9th percentile, up to its (1 - 1e-9) quantile (weight
// 1e-3), and beyond (weight 1e-9, at most the whole moment). Below negligible_share: ignored.
bool cut_matters(const Dist& input, const Dist& output, double context) {
  if (input.support().hi + output.support().hi <= context) return false;
  const Limited at_max = limited_moments(input, context - 1.0);
  auto shift_at = [&](double p) {
    const double o = std::min(output.quantile(p), context - 1.0);
    const Limited cut = limited_moments(input, std::max(1.0, context - o));
    return Limited{at_max.m1 - cut.m1, at_max.m2 - cut.m2};
  };
  const Limited body = shift_at(1.0 - 1e-3), far = shift_at(1.0 - 1e-9);
  const double m1 = input.mean(), m2 = input.variance() + m1 * m1;
  return body.m1 + 1e-3 * far.m1 + 1e-9 * m1 > negligible_share * m1 ||
         body.m2 + 1e-3 * far.m2 + 1e-9 * m2 > negligible_share * m2;
}

// The token sums' Gamma parameters, from the moments.
TokenMoments with_sum_gammas(TokenMoments m) {
  if (m.input_variance > 0 && m.input_mean > 0) {
    m.input_sum_shape = m.input_mean * m.input_mean / m.input_variance;
    m.input_sum_scale = m.input_variance / m.input_mean;
  }
  if (m.output_variance > 0 && m.output_mean > 0) {
    m.output_sum_shape = m.output_mean * m.output_mean / m.output_variance;
    m.output_sum_scale = m.output_variance / m.output_mean;
  }
  return m;
}

}  // namespace

RequestTokens sample_request_tokens(const Dist& input, const Dist& output, std::int64_t context_tokens,
                                    Rng& rng) {
  const double context = static_cast<double>(context_tokens);
  RequestTokens t;
  const double raw_input = input.sample(rng);
  t.output = round_tokens(output.sample(rng), context - 1.0);
  t.input = round_tokens(raw_input, context - t.output);
  return t;
}

TokenMoments token_moments(const Dist& input, const Dist& output, std::int64_t context_tokens) {
  const double context = static_cast<double>(context_tokens);
  TokenMoments m;
  token_count_moments(output, context - 1.0, m.output_mean, m.output_variance);
  if (!cut_matters(input, output, context)) {
    token_count_moments(input, context - 1.0, m.input_mean, m.input_variance);
    return with_sum_gammas(m);
  }
  // The input is cut at context - output: average its limited moments over the output's
  // distribution, E[g(O)] = int_0^1 g(Q_O(u)) du. What is integrated is the (small) shift from the
  // moments cut at context - 1 only, so a modest relative tolerance on it is tiny on the moments.
  double mean0 = 0, variance0 = 0;
  token_count_moments(input, context - 1.0, mean0, variance0);
  const double second0 = variance0 + mean0 * mean0;
  // The shift grows in the output's upper tail: 5-point Gauss-Legendre on [0, 1/2], [1/2, 3/4],
  // ... up to 1 - 2^-40 (beyond, at most 1e-12 of the moments).
  static constexpr double nodes[5] = {-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831,
                                      0.9061798459386640};
  static constexpr double weights[5] = {0.2369268850561891, 0.4786286704993665, 0.5688888888888889,
                                        0.4786286704993665, 0.2369268850561891};
  double d1 = 0, d2 = 0;
  for (int k = 0; k < 40; ++k) {
    const double lo = 1.0 - std::ldexp(1.0, -k), hi = 1.0 - std::ldexp(1.0, -(k + 1));
    const double half_width = 0.5 * (hi - lo), middle = 0.5 * (hi + lo);
    for (int i = 0; i < 5; ++i) {
      const double o = round_tokens(output.quantile(middle + half_width * nodes[i]), context - 1.0);
      double mean = 0, variance = 0;
      token_count_moments(input, context - o, mean, variance);
      d1 += weights[i] * half_width * (mean0 - mean);
      d2 += weights[i] * half_width * (second0 - (variance + mean * mean));
    }
  }
  m.input_mean = mean0 - d1;
  m.input_variance = std::max(0.0, second0 - d2 - m.input_mean * m.input_mean);
  return with_sum_gammas(m);
}

double sample_gamma(double shape, double scale, Rng& rng) { return GammaVariate(shape, scale)(rng); }

double sample_poisson_ptrs(double mean, Rng& rng) {
  if (!(mean > 0)) return 0.0;
  boost::random::poisson_distribution<std::int64_t, double> poisson(mean);
  return static_cast<double>(poisson(rng));
}

// Flattened: the normal of each lognormal draw inline too (--exact draws two a request).
[[gnu::flatten]] RequestTokens sample_token_sums_exactly(double requests, const Dist& input, const Dist& output,
                                                         std::int64_t context_tokens, Rng& rng,
                                                         const std::atomic<bool>* cancel) {
  constexpr std::int64_t chunk = 1 << 16;
  RequestTokens sum;
  Rng local = rng;  // in registers: its address is never passed out
  const auto n = static_cast<std::int64_t>(requests);
  for (std::int64_t first = 0; first < n; first += chunk) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) break;
    const std::int64_t last = std::min(n, first + chunk);
    for (std::int64_t r = first; r < last; ++r) {
      const RequestTokens t = sample_request_tokens(input, output, context_tokens, local);
      sum.input += t.input;
      sum.output += t.output;
    }
  }
  rng = local;
  return sum;
}

}  // namespace tokencast
