#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/random/normal_distribution.hpp>

#include "tokencast/token_moments.hpp"

using namespace tokencast;

namespace {

struct Moments {
  double mean = 0, variance = 0;
};

// Sample mean and variance of f() over n draws.
template <class F>
Moments sample_moments(int n, F f) {
  double sum = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    const double x = f();
    sum += x;
    squares += x * x;
  }
  const double mean = sum / n;
  return {mean, (squares - n * mean * mean) / (n - 1)};
}

// |sample mean - mean| within 5 standard errors.
void check_mean(const Moments& s, double mean, double variance, int n) {
  CHECK(std::abs(s.mean - mean) < 5.0 * std::sqrt(variance / n));
}

}  // namespace

TEST_CASE("one request's moments without the cut: closed form plus Sheppard's 1/12", "[tokens]") {
  const Dist in = Dist::lognormal(std::log(3000.0), 0.6);
  const Dist out = Dist::gamma(1.0 / 0.64, 1000.0 * 0.64);  // mean 1000, cv 0.8
  const TokenMoments m = token_moments(in, out, 131072);
  // The floor (P(gamma < 0.5) ~ 1e-5 lifted to 1 token) and the context cut (P(lognormal > 131071)
  // ~ 1e-10) move the moments by less than 1e-7 of their closed forms.
  CHECK(m.input_mean == Approx(3000.0 * std::exp(0.18)).epsilon(1e-7));
  CHECK(m.input_variance == Approx(3000.0 * 3000.0 * std::exp(0.36) * std::expm1(0.36) + 1.0 / 12.0).epsilon(1e-6));
  CHECK(m.output_mean == Approx(1000.0).epsilon(1e-7));
  CHECK(m.output_variance == Approx(640000.0 + 1.0 / 12.0).epsilon(1e-7));

  // Against the sampled, rounded requests: 400k draws, mean within 5 SE, variance within 5 SE of
  // the sample variance (SE ~ sd^2 sqrt((kurtosis - 1) / n), kurtosis of gamma(1.5625) = 3 + 6/1.5625).
  const int n = 400000;
  Rng rng(5);
  const auto outputs = sample_moments(n, [&] { return sample_request_tokens(in, out, 131072, rng).output; });
  check_mean(outputs, m.output_mean, m.output_variance, n);
  const double kurtosis = 3.0 + 6.0 / 1.5625;
  CHECK(std::abs(outputs.variance - m.output_variance) < 5.0 * m.output_variance * std::sqrt((kurtosis - 1.0) / n));
}

TEST_CASE("fixed and empirical token counts have exact moments", "[tokens]") {
  const std::vector<double> values{100, 250.4, 1000};
  const std::vector<double> cumulative{0.5, 0.75, 1.0};
  const TokenMoments m = token_moments(Dist::fixed(3000.4), Dist::empirical(values, cumulative), 131072);
  CHECK(m.input_mean == 3000.0);
  CHECK(m.input_variance == 0.0);
  // rounded values 100, 250, 1000 with weights 1/2, 1/4, 1/4
  const double mean = 0.5 * 100 + 0.25 * 250 + 0.25 * 1000;
  const double second = 0.5 * 1e4 + 0.25 * 62500 + 0.25 * 1e6;
  CHECK(m.output_mean == Approx(mean).epsilon(1e-14));
  CHECK(m.output_variance == Approx(second - mean * mean).epsilon(1e-12));
}

TEST_CASE("a request's token counts are its draws rounded as std::nearbyint does, then cut", "[tokens]") {
  // Ties go to even, as nearbyint's default rounding mode; below 1 token the count is 1.
  Rng rng(3);
  CHECK(sample_request_tokens(Dist::fixed(2.5), Dist::fixed(3.5), 131072, rng).input == 2.0);
  CHECK(sample_request_tokens(Dist::fixed(2.5), Dist::fixed(3.5), 131072, rng).output == 4.0);
  CHECK(sample_request_tokens(Dist::fixed(0.2), Dist::fixed(1e300), 131072, rng).input == 1.0);
  // A draw past 2^52 (outside the fast rounding's range) is cut at the context like any other.
  CHECK(sample_request_tokens(Dist::fixed(0.2), Dist::fixed(1e300), 131072, rng).output == 131071.0);
  CHECK(sample_request_tokens(Dist::fixed(1e300), Dist::fixed(7.49), 131072, rng).input == 131072.0 - 7.0);

  // Lognormal draws replayed from the same stream (input first, then output: the order
  // sample_request_tokens draws in), rounded by std::nearbyint, match request by request.
  const Dist in = Dist::lognormal(std::log(40.0), 1.5), out = Dist::lognormal(std::log(20.0), 1.2);
  const std::int64_t context = 4096;
  Rng a(17), b(17);
  for (int i = 0; i < 100000; ++i) {
    const RequestTokens t = sample_request_tokens(in, out, context, a);
    const double raw_in = in.sample(b), raw_out = out.sample(b);
    const double expected_out = std::clamp(std::nearbyint(raw_out), 1.0, context - 1.0);
    const double expected_in = std::clamp(std::nearbyint(raw_in), 1.0, context - expected_out);
    REQUIRE(t.output == expected_out);
    REQUIRE(t.input == expected_in);
  }
}

TEST_CASE("the context cut: the quadrature matches a simulation of the cut requests", "[tokens]") {
  // Context 4096 cuts a long-tailed input often (P(in + out > 4096) is several percent).
  const Dist in = Dist::lognormal(std::log(2000.0), 0.7);
  const Dist out = Dist::lognormal(std::log(600.0), 0.5);
  const std::int64_t context = 4096;
  const TokenMoments m = token_moments(in, out, context);
  CHECK(m.input_mean < Dist::lognormal(std::log(2000.0), 0.7).mean());

  const int n = 400000;
  Rng rng(11);
  const auto ins = sample_moments(n, [&] {
    const auto t = sample_request_tokens(in, out, context, rng);
    REQUIRE(t.input + t.output <= context);
    REQUIRE(t.input >= 1);
    return t.input;
  });
  // The quadrature's own error (256 nodes, midpoint rule) is well below 0.2% of the mean.
  CHECK(std::abs(ins.mean - m.input_mean) < 5.0 * std::sqrt(m.input_variance / n) + 0.002 * m.input_mean);
  CHECK(ins.variance == Approx(m.input_variance).epsilon(0.02));
}

TEST_CASE("token sums have the exact mean and variance on both sides of the threshold", "[tokens]") {
  const Dist in = Dist::lognormal(std::log(1000.0), 0.8);
  const Dist out = Dist::gamma(2.0, 150.0);
  const TokenMoments m = token_moments(in, out, 131072);
  for (double requests : {5.0, 32.0, 33.0, 5000.0}) {
    const int n = 40000;
    Rng rng(3);
    const auto sums = sample_moments(n, [&] { return sample_token_sums(requests, m, in, out, 131072, rng).input; });
    const double mean = requests * m.input_mean, variance = requests * m.input_variance;
    INFO("requests = " << requests);
    check_mean(sums, mean, variance, n);
    // Variance within 5 SE; the sum's kurtosis is close to 3 + excess/requests, bounded here by 3 + 60/requests.
    const double kurtosis = 3.0 + 60.0 / requests;
    CHECK(std::abs(sums.variance - variance) < 5.0 * variance * std::sqrt((kurtosis - 1.0) / n));
  }
  Rng rng(1);
  CHECK(sample_token_sums(0, m, in, out, 131072, rng).input == 0.0);
}

TEST_CASE("Gamma and Poisson variates have the right mean and variance", "[tokens]") {
  for (double shape : {0.3, 1.0, 4.5, 1e4}) {
    const int n = 200000;
    Rng rng(9);
    const double scale = 2.0;
    const auto s = sample_moments(n, [&] { return sample_gamma(shape, scale, rng); });
    const double mean = shape * scale, variance = shape * scale * scale;
    INFO("shape = " << shape);
    check_mean(s, mean, variance, n);
    const double kurtosis = 3.0 + 6.0 / shape;
    CHECK(std::abs(s.variance - variance) < 5.0 * variance * std::sqrt((kurtosis - 1.0) / n));
  }
  for (double mean : {0.5, 7.0, 1e3, 1e9}) {
    const int n = 200000;
    Rng rng(10);
    const auto s = sample_moments(n, [&] { return sample_poisson(mean, rng); });
    INFO("mean = " << mean);
    check_mean(s, mean, mean, n);
    CHECK(std::abs(s.variance - mean) < 5.0 * mean * std::sqrt((2.0 + 1.0 / mean) / n));
  }
}

namespace {

// The Cornish-Fisher transform sample_poisson applies to a standard normal z, from mean 300 on.
double cornish_fisher(double mean, double z) {
  const double s = std::sqrt(mean);
  return mean + s * z + (z * z - 1.0) / 6.0 + z * (11.0 - 5.0 * z * z) / (72.0 * s);
}

}  // namespace

TEST_CASE("large-mean Poisson variates are the rounded Cornish-Fisher transform of one normal", "[tokens]") {
  for (double mean : {cornish_fisher_poisson_from, 2e3, 5e4}) {
    INFO("mean = " << mean);
    Rng rng(21), mirror(21);
    boost::random::normal_distribution<double> normal;
    for (int i = 0; i < 1000; ++i) {
      const double expected = std::max(0.0, std::floor(cornish_fisher(mean, normal(mirror)) + 0.5));
      REQUIRE(sample_poisson(mean, rng) == expected);
    }
  }
}

TEST_CASE("the Cornish-Fisher Poisson's CDF is within 0.04/mean of the exact Poisson CDF", "[tokens]") {
  // P(round(X) <= k) = P(X < k + 1/2) = Phi(z_k) with X(z_k) = k + 1/2 (X is increasing in z over
  // these |z| < 8); against Boost.Math's exact CDF at every k within 7 standard deviations.
  // Measured sup differences: 1.13e-4 at 300, 3.4e-5 at 1000, 3.4e-6 at 10000 (1/mean).
  for (double mean : {300.0, 1000.0, 10000.0}) {
    INFO("mean = " << mean);
    const boost::math::poisson_distribution<double> exact(mean);
    const boost::math::normal_distribution<double> standard;
    const double sd = std::sqrt(mean);
    double worst = 0;
    for (double k = std::floor(mean - 7 * sd); k <= std::ceil(mean + 7 * sd); k += 1.0) {
      double lo = -8, hi = 8;
      for (int i = 0; i < 100; ++i) {
        const double mid = 0.5 * (lo + hi);
        (cornish_fisher(mean, mid) < k + 0.5 ? lo : hi) = mid;
      }
      worst = std::max(worst, std::abs(boost::math::cdf(standard, 0.5 * (lo + hi)) - boost::math::cdf(exact, k)));
    }
    CHECK(worst < 0.04 / mean);
  }
}
