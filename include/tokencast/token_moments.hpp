#pragma once
// Tokens of one request and sums of many. A request's input and output are drawn from their
// distributions, rounded to the nearest integer, at least 1, and cut so input + output never exceeds
// the model's context (the input is cut first; the output keeps at most context - 1).
// Sums of n requests are drawn exactly for n <= exact_sum_threshold, else from a Gamma with the
// exact mean and variance of the sum (see docs/cost-model.md, "Token sums").
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

#include <boost/random/normal_distribution.hpp>

#include "tokencast/distribution.hpp"
#include "tokencast/random.hpp"

namespace tokencast {

inline constexpr double exact_sum_threshold = 32;

struct RequestTokens {
  double input = 0;
  double output = 0;
};

// Mean and variance of one request's rounded, floored and cut tokens.
struct TokenMoments {
  double input_mean = 0, input_variance = 0;
  double output_mean = 0, output_variance = 0;
  // The Gamma of a sum of n requests has shape n x sum_shape and scale sum_scale (mean^2/variance
  // and variance/mean of one request); shape 0 when the variance is 0 (the sum is n x mean).
  double input_sum_shape = 0, input_sum_scale = 0;
  double output_sum_shape = 0, output_sum_scale = 0;
  // Input and output joined by a Gaussian copula (docs/cost-model.md, "Correlated tokens"): the
  // normals' correlation, and the covariance of one request's tokens it gives (0: independent).
  double normal_correlation = 0;
  double covariance = 0;
};

// The normals' correlation of a Gaussian copula with this Spearman rank correlation:
// 2 sin(pi rho_s / 6).
double normal_correlation_of_spearman(double spearman);

// The Pearson correlation of Q_X(Phi(Z1)) and Q_Y(Phi(Z2)) for standard normals of correlation
// `normal_correlation`: closed form for two lognormals, otherwise the Hermite expansion
// sum_k a_k b_k r^k of each law's quantile in normal scores (a 513-point grid on [-8, 8]). It
// depends on the laws' shapes only (Dist::shape), not on their scales.
double copula_pearson(const Dist& input, const Dist& output, double normal_correlation);

// Images a request carries, each prefilled and billed as `tokens_per_image` input tokens: the count
// is `count` drawn and rounded, at least 0, independent of the text.
struct ImageTokens {
  Dist count;
  double tokens_per_image = 0;
};

// `normal_correlation` joins input and output by a Gaussian copula (0: drawn independently);
// `images`, when set, adds each request's image tokens to its input (after the context cut).
RequestTokens sample_request_tokens(const Dist& input, const Dist& output, std::int64_t context_tokens,
                                    Rng& rng, double normal_correlation = 0, const ImageTokens* images = nullptr);

// Mean and variance of max(0, round(X)): exact sums for fixed and empirical laws, otherwise over
// the counts k of P = F(k + 1/2) - F(k - 1/2) until the mass left is below 1e-12.
void image_count_moments(const Dist& count, double& mean, double& variance);

// Moments of one request: closed forms when the cut and the floor are negligible (below 1e-12 in
// probability), Gauss-Hermite quadrature in normal scores otherwise; rounding adds the Sheppard
// variance 1/12 for continuous distributions.
// `pearson` is copula_pearson's value for the laws (their covariance is pearson x the two standard
// deviations); 0 for independent tokens.
// `images`, when set, adds the image tokens' mean and variance to the input's.
TokenMoments token_moments(const Dist& input, const Dist& output, std::int64_t context_tokens,
                           double normal_correlation = 0, double pearson = 0, const ImageTokens* images = nullptr);


// Gamma(shape, scale) variates (Marsaglia-Tsang, with Boost.Random's normal and uniform), the
// method's constants computed once: a trial's burst factors draw thousands of hours from one shape.
class GammaVariate {
 public:
  GammaVariate() = default;
  GammaVariate(double shape, double scale) : scale_(scale) {
    if (shape < 1.0) {
      // Boost by one and scale back: Gamma(a) = Gamma(a + 1) * U^(1/a).
      inverse_shape_ = 1.0 / shape;
      shape += 1.0;
    }
    d_ = shape - 1.0 / 3.0;
    c_ = 1.0 / std::sqrt(9.0 * d_);
  }
  // Inline: the hour loops draw three per workload-hour.
  double operator()(Rng& rng) const {
    // Marsaglia & Tsang (2000): one normal and one uniform per try, acceptance above 95%.
    boost::random::normal_distribution<double> normal;
    double value = 0;
    for (;;) {
      double x, v;
      do {
        x = normal(rng);
        v = 1.0 + c_ * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = open_unit_uniform(rng);
      const double x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + d_ * (1.0 - v + std::log(v))) {
        value = d_ * v * scale_;
        break;
      }
    }
    if (inverse_shape_ > 0) value *= std::pow(open_unit_uniform(rng), inverse_shape_);
    return value;
  }

 private:
  static double open_unit_uniform(Rng& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

  double d_ = 1, c_ = 0, scale_ = 1;
  double inverse_shape_ = 0;  // shape < 1 draws Gamma(shape + 1) x U^(1/shape); 0 otherwise
};

// A Gamma(shape, scale) variate.
double sample_gamma(double shape, double scale, Rng& rng);

// A Poisson(mean) variate by Boost.Random's PTRS (inversion below mean 10), exact at every mean;
// 0 for a mean that is not positive.
double sample_poisson_ptrs(double mean, Rng& rng);

// From this mean up, Poisson variates come from the Cornish-Fisher expansion (below).
inline constexpr double cornish_fisher_poisson_from = 300;

// A Poisson(mean) variate as a double: Boost.Random's PTRS (exact) below
// cornish_fisher_poisson_from; from it, round(mean + s z + (z^2 - 1)/6 + z (11 - 5 z^2)/(72 s)),
// s = sqrt(mean), z standard normal: one normal instead of PTRS's uniforms, logarithms and
// log-factorials. Exact mean; variance mean + 1/36; the CDF within 1.2e-4 of the exact one at mean
// 300, the error falling as 1/mean (tests/test_token_moments.cpp, docs/cost-model.md).
inline double sample_poisson(double mean, Rng& rng) {
  if (!(mean >= cornish_fisher_poisson_from)) {
    return draw_through_copy(rng, [mean](Rng& copy) { return sample_poisson_ptrs(mean, copy); });
  }
  // Cornish-Fisher with the Poisson's cumulants (all equal to the mean) to order mean^-1/2 past the
  // normal's, rounded: the continuity correction. Terms of zero mean, so the mean stays exact.
  boost::random::normal_distribution<double> normal;
  const double z = normal(rng), s = std::sqrt(mean), z2 = z * z;
  const double x = mean + s * z + (z2 - 1.0) * (1.0 / 6.0) + z * (11.0 - 5.0 * z2) / (72.0 * s);
  return std::max(0.0, std::floor(x + 0.5));
}

// Token sums of `requests` requests, each request's tokens drawn (the reference the Gamma sums are
// checked against). `cancel`, when set, is polled every 65,536 requests: once it is true the sums
// stop short (the caller discards them).
RequestTokens sample_token_sums_exactly(double requests, const Dist& input, const Dist& output,
                                        std::int64_t context_tokens, Rng& rng,
                                        const std::atomic<bool>* cancel = nullptr, double normal_correlation = 0,
                                        const ImageTokens* images = nullptr);

// Correlated sums of n requests: each a Wilson-Hilferty cube of a normal, shifted and scaled to the
// sum's exact mean and variance, the two normals correlated so that the sums' covariance is n x the
// request's exactly (docs/cost-model.md, "Correlated tokens").
RequestTokens sample_correlated_token_sums(double requests, const TokenMoments& moments, Rng& rng);

// Token sums of `requests` requests (a whole number >= 0), drawn request by request up to
// `exact_below` requests (exact mode: infinity), else each from a Gamma with the sum's exact mean
// n mu and variance n sigma^2: positive and right-skewed like the sum itself. Inline: the hour
// loops call it for every workload-hour.
inline RequestTokens sample_token_sums(double requests, const TokenMoments& moments, const Dist& input,
                                       const Dist& output, std::int64_t context_tokens, Rng& rng,
                                       double exact_below = exact_sum_threshold,
                                       const std::atomic<bool>* cancel = nullptr,
                                       const ImageTokens* images = nullptr) {
  if (requests <= exact_below) {
    return draw_through_copy(rng, [&](Rng& copy) {
      return sample_token_sums_exactly(requests, input, output, context_tokens, copy, cancel,
                                       moments.normal_correlation, images);
    });
  }
  if (moments.covariance != 0) return sample_correlated_token_sums(requests, moments, rng);
  auto gamma_sum = [&](double mean, double shape, double scale) {
    if (!(shape > 0)) return requests * mean;
    return GammaVariate(requests * shape, scale)(rng);
  };
  RequestTokens sum;
  sum.input = gamma_sum(moments.input_mean, moments.input_sum_shape, moments.input_sum_scale);
  sum.output = gamma_sum(moments.output_mean, moments.output_sum_shape, moments.output_sum_scale);
  return sum;
}

}  // namespace tokencast
