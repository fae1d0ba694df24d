#include "tokencast/token_moments.hpp"

#include <algorithm>
#include <array>
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

// Of a lognormal of this mean and log-variance s2: closed forms.
Limited lognormal_limited(double mean, double s2, double b) {
  const double s = std::sqrt(s2), mu = std::log(mean) - 0.5 * s2, lb = std::log(b);
  const double tail = 1.0 - normal_cdf((lb - mu) / s);
  return {mean * normal_cdf((lb - mu - s2) / s) + b * tail,
          std::exp(2 * mu + 2 * s2) * normal_cdf((lb - mu - 2 * s2) / s) + b * b * tail};
}

Limited limited_moments(const Dist& d, double b) {
  const double mean = d.mean(), variance = d.variance();
  switch (d.kind()) {
    case DistKind::lognormal: {
      const double s2 = std::log1p(variance / (mean * mean));
      return lognormal_limited(mean, s2, b);
    }
    case DistKind::lognormal_mixture: {
      Limited r;
      const auto pairs = d.values();
      const auto cumulative = d.cumulative_weights();
      for (std::size_t i = 0; i < cumulative.size(); ++i) {
        const double w = cumulative[i] - (i == 0 ? 0.0 : cumulative[i - 1]);
        const double sigma = pairs[2 * i + 1];
        const Limited c = lognormal_limited(d.scale() * std::exp(pairs[2 * i] + 0.5 * sigma * sigma), sigma * sigma, b);
        r.m1 += w * c.m1;
        r.m2 += w * c.m2;
      }
      return r;
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

TokenMoments independent_token_moments(const Dist& input, const Dist& output, std::int64_t context_tokens);

}  // namespace

RequestTokens sample_request_tokens(const Dist& input, const Dist& output, std::int64_t context_tokens,
                                    Rng& rng, double normal_correlation, const ImageTokens* images) {
  const double context = static_cast<double>(context_tokens);
  RequestTokens t;
  if (normal_correlation != 0) {
    boost::random::normal_distribution<double> normal;
    const double z1 = normal(rng), e = normal(rng);
    const double z2 = normal_correlation * z1 + std::sqrt(1.0 - normal_correlation * normal_correlation) * e;
    t.output = round_tokens(output.from_normal_score(z2), context - 1.0);
    t.input = round_tokens(input.from_normal_score(z1), context - t.output);
  } else {
    const double raw_input = input.sample(rng);
    t.output = round_tokens(output.sample(rng), context - 1.0);
    t.input = round_tokens(raw_input, context - t.output);
  }
  if (images != nullptr) t.input += images->tokens_per_image * std::max(0.0, std::nearbyint(images->count.sample(rng)));
  return t;
}

void image_count_moments(const Dist& count, double& mean, double& variance) {
  double m1 = 0, m2 = 0;
  if (count.kind() == DistKind::fixed || count.kind() == DistKind::empirical) {
    const auto values = count.values();
    if (values.empty()) {
      m1 = std::max(0.0, std::nearbyint(count.mean()));
      m2 = m1 * m1;
    } else {
      double previous = 0;
      for (std::size_t i = 0; i < values.size(); ++i) {
        const double w = count.cumulative_weights()[i] - previous;
        previous = count.cumulative_weights()[i];
        const double v = std::max(0.0, std::nearbyint(count.scale() * values[i]));
        m1 += w * v;
        m2 += w * v * v;
      }
    }
  } else {
    double below = count.cdf(0.5);  // P(N = 0): values under 1/2 round (and are lifted) to 0
    const double last = std::min(1e6, std::ceil(count.support().hi) + 1);
    for (double k = 1; k <= last && below < 1.0 - 1e-12; ++k) {
      const double upto = count.cdf(k + 0.5);
      m1 += k * (upto - below);
      m2 += k * k * (upto - below);
      below = upto;
    }
  }
  mean = m1;
  variance = std::max(0.0, m2 - m1 * m1);
}

double normal_correlation_of_spearman(double spearman) {
  return 2.0 * std::sin(std::numbers::pi * spearman / 6.0);
}

double copula_pearson(const Dist& input, const Dist& output, double r) {
  if (r == 0 || !(input.variance() > 0) || !(output.variance() > 0)) return 0.0;
  const Dist x = input.shape(), y = output.shape();
  if (x.kind() == DistKind::lognormal && y.kind() == DistKind::lognormal) {
    // E[XY] = E[X] E[Y] exp(r s1 s2): (exp(r s1 s2) - 1) / sqrt((exp(s1^2) - 1)(exp(s2^2) - 1)).
    const double s1 = std::sqrt(std::log1p(x.variance() / (x.mean() * x.mean())));
    const double s2 = std::sqrt(std::log1p(y.variance() / (y.mean() * y.mean())));
    return std::expm1(r * s1 * s2) / std::sqrt(std::expm1(s1 * s1) * std::expm1(s2 * s2));
  }
  // Each law's quantile in normal scores on a grid; the trapezoid rule in z against the normal
  // density (renormalised to sum to 1) is exact to double precision for smooth laws.
  constexpr int points = 513, terms = 96;
  constexpr double z_max = 8.0, step = 2 * z_max / (points - 1);
  std::array<double, points> z{}, w{}, g{}, h{};
  double total = 0;
  for (int i = 0; i < points; ++i) {
    z[i] = -z_max + step * i;
    w[i] = std::exp(-0.5 * z[i] * z[i]);
    total += w[i];
  }
  double mean_g = 0, mean_h = 0;
  for (int i = 0; i < points; ++i) {
    w[i] /= total;
    g[i] = x.from_normal_score(z[i]);
    h[i] = y.from_normal_score(z[i]);
    mean_g += w[i] * g[i];
    mean_h += w[i] * h[i];
  }
  double var_g = 0, var_h = 0, same = 0, opposite = 0;
  for (int i = 0; i < points; ++i) {
    g[i] -= mean_g;
    h[i] -= mean_h;
    var_g += w[i] * g[i] * g[i];
    var_h += w[i] * h[i] * h[i];
    same += w[i] * g[i] * h[i];
    opposite += w[i] * g[i] * h[points - 1 - i];
  }
  if (!(var_g > 0) || !(var_h > 0)) return 0.0;
  const double norm = std::sqrt(var_g * var_h);
  if (r >= 1.0) return same / norm;
  if (r <= -1.0) return opposite / norm;
  // Mehler: Cov = sum_k a_k b_k r^k, a_k = E[g(Z) He_k(Z)] / sqrt(k!), by the normalised Hermite
  // recurrence He_{k+1} = z He_k - k He_{k-1}.
  std::array<double, points> previous{}, current{};
  current.fill(1.0);
  double covariance = 0, power = 1;
  for (int k = 1; k <= terms; ++k) {
    double a = 0, b = 0;
    for (int i = 0; i < points; ++i) {
      const double next = k == 1 ? z[i] : (z[i] * current[i] - std::sqrt(k - 1.0) * previous[i]) / std::sqrt(double(k));
      previous[i] = current[i];
      current[i] = next;
      a += w[i] * g[i] * next;
      b += w[i] * h[i] * next;
    }
    power *= r;
    covariance += a * b * power;
  }
  return std::clamp(covariance / norm, -1.0, 1.0);
}

RequestTokens sample_correlated_token_sums(double requests, const TokenMoments& m, Rng& rng) {
  // A sum of shape a (n x the request's mean^2 / variance) as mean + sd x (c(Z) - E c) / sd(c), with
  // c(z) = (A + B z)^3, A = 1 - 1/(9a), B = 1/(3 sqrt(a)) (Wilson-Hilferty). In Hermite terms
  // c = c0 + c1 He1 + c2 He2 + c3 He3, so Cov(c(Z1), c'(Z2)) = c1 c1' r + 2 c2 c2' r^2 + 6 c3 c3' r^3.
  struct Cube {
    double mean = 0, sd = 0, A = 1, B = 0, c1 = 0, c2 = 0, c3 = 0, expected = 0, spread = 1;
    double at(double z) const {
      if (!(sd > 0)) return mean;
      const double u = A + B * z;
      return std::max(0.0, mean + sd * (u * u * u - expected) / spread);
    }
  };
  auto cube = [&](double mean, double variance) {
    Cube c;
    c.mean = requests * mean;
    c.sd = std::sqrt(requests * variance);
    if (!(c.sd > 0)) return c;
    const double a = requests * mean * mean / variance;
    c.A = 1.0 - 1.0 / (9.0 * a);
    c.B = 1.0 / (3.0 * std::sqrt(a));
    c.c1 = 3 * c.A * c.A * c.B + 3 * c.B * c.B * c.B;
    c.c2 = 3 * c.A * c.B * c.B;
    c.c3 = c.B * c.B * c.B;
    c.expected = c.A * c.A * c.A + 3 * c.A * c.B * c.B;
    c.spread = std::sqrt(c.c1 * c.c1 + 2 * c.c2 * c.c2 + 6 * c.c3 * c.c3);
    return c;
  };
  const Cube in = cube(m.input_mean, m.input_variance), out = cube(m.output_mean, m.output_variance);
  double r = 0;
  if (in.sd > 0 && out.sd > 0) {
    // The sums' correlation is the request's; solve the cubic for r by Newton from it (it rises
    // on [-1, 1]: c2 and c3 are small beside c1).
    const double target = m.covariance / std::sqrt(m.input_variance * m.output_variance);
    const double k1 = in.c1 * out.c1, k2 = 2 * in.c2 * out.c2, k3 = 6 * in.c3 * out.c3;
    const double norm = in.spread * out.spread;
    r = std::clamp(target, -1.0, 1.0);
    for (int i = 0; i < 8; ++i) {
      const double f = (k1 * r + k2 * r * r + k3 * r * r * r) / norm - target;
      const double slope = (k1 + 2 * k2 * r + 3 * k3 * r * r) / norm;
      if (!(slope > 0)) break;
      const double next = std::clamp(r - f / slope, -1.0, 1.0);
      const bool converged = std::abs(next - r) < 1e-13;
      r = next;
      if (converged) break;
    }
  }
  boost::random::normal_distribution<double> normal;
  const double z1 = normal(rng), e = normal(rng);
  const double z2 = r * z1 + std::sqrt(std::max(0.0, 1.0 - r * r)) * e;
  return {in.at(z1), out.at(z2)};
}

TokenMoments token_moments(const Dist& input, const Dist& output, std::int64_t context_tokens,
                           double normal_correlation, double pearson, const ImageTokens* images) {
  TokenMoments m = independent_token_moments(input, output, context_tokens);
  m.normal_correlation = normal_correlation;
  m.covariance = pearson * std::sqrt(m.input_variance * m.output_variance);
  if (images != nullptr) {
    // Independent of the text: the means and the variances add; the covariance stays the text's.
    double count_mean = 0, count_variance = 0;
    image_count_moments(images->count, count_mean, count_variance);
    m.input_mean += images->tokens_per_image * count_mean;
    m.input_variance += images->tokens_per_image * images->tokens_per_image * count_variance;
    m = with_sum_gammas(m);
  }
  return m;
}

namespace {

TokenMoments independent_token_moments(const Dist& input, const Dist& output, std::int64_t context_tokens) {
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

}  // namespace

double sample_gamma(double shape, double scale, Rng& rng) { return GammaVariate(shape, scale)(rng); }

double sample_poisson_ptrs(double mean, Rng& rng) {
  if (!(mean > 0)) return 0.0;
  boost::random::poisson_distribution<std::int64_t, double> poisson(mean);
  return static_cast<double>(poisson(rng));
}

// Flattened: the normal of each lognormal draw inline too (--exact draws two a request).
[[gnu::flatten]] RequestTokens sample_token_sums_exactly(double requests, const Dist& input, const Dist& output,
                                                         std::int64_t context_tokens, Rng& rng,
                                                         const std::atomic<bool>* cancel, double normal_correlation,
                                                         const ImageTokens* images) {
  constexpr std::int64_t chunk = 1 << 16;
  RequestTokens sum;
  Rng local = rng;  // in registers: its address is never passed out
  const auto n = static_cast<std::int64_t>(requests);
  for (std::int64_t first = 0; first < n; first += chunk) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) break;
    const std::int64_t last = std::min(n, first + chunk);
    for (std::int64_t r = first; r < last; ++r) {
      const RequestTokens t = sample_request_tokens(input, output, context_tokens, local, normal_correlation, images);
      sum.input += t.input;
      sum.output += t.output;
    }
  }
  rng = local;
  return sum;
}

}  // namespace tokencast
