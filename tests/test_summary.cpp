#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include <numbers>

#include <boost/random/normal_distribution.hpp>

#include "tokencast/random.hpp"
#include "tokencast/summary.hpp"

using namespace tokencast;

TEST_CASE("summary of 1..100 matches numpy's type-7 percentiles", "[summary]") {
  std::vector<double> v(100);
  std::iota(v.begin(), v.end(), 1.0);
  std::reverse(v.begin(), v.end());  // order must not matter
  const Summary s = summarize(v);
  CHECK(s.n == 100);
  CHECK(s.mean == Approx(50.5).epsilon(1e-15));
  // sd of 1..n = sqrt(n(n+1)/12) with the n-1 denominator.
  CHECK(s.sd == Approx(std::sqrt(100.0 * 101.0 / 12.0)).epsilon(1e-14));
  CHECK(s.mean_se == Approx(s.sd / 10.0).epsilon(1e-14));
  // numpy.percentile(range(1, 101), [5, 50, 95, 99]) = 5.95, 50.5, 95.05, 99.01
  CHECK(s.p5 == Approx(5.95).epsilon(1e-14));
  CHECK(s.p50 == Approx(50.5).epsilon(1e-14));
  CHECK(s.p95 == Approx(95.05).epsilon(1e-14));
  CHECK(s.p99 == Approx(99.01).epsilon(1e-14));
  CHECK(s.min == 1.0);
  CHECK(s.max == 100.0);
}

TEST_CASE("summary of a single value and of nothing", "[summary]") {
  const std::vector<double> one{3.5};
  const Summary s = summarize(one);
  CHECK(s.mean == 3.5);
  CHECK(s.sd == 0.0);
  CHECK(s.p5 == 3.5);
  CHECK(s.p99 == 3.5);
  CHECK(summarize(std::vector<double>{}).n == 0);
}

namespace {

// The reference: a full sort, then type-7 quantiles.
std::vector<double> sorted_quantiles(std::vector<double> v, const std::vector<double>& ps) {
  std::sort(v.begin(), v.end());
  std::vector<double> out;
  for (double p : ps) out.push_back(quantile_sorted(v, p));
  return out;
}

}  // namespace

TEST_CASE("quantiles by bucketing equal those of a full sort, bit for bit", "[summary]") {
  // Sizes either side of where bucketing starts; shapes that defeat equal-width buckets: far
  // outliers (the range stretched a trillion-fold), heavy ties, negative values and zeros.
  const std::vector<double> ps{0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0};
  std::uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (std::size_t n : {1u, 2u, 7u, 4095u, 4096u, 4097u, 20000u, 200001u}) {
    for (int shape = 0; shape < 6; ++shape) {
      std::vector<double> v(n);
      for (double& x : v) {
        const double u = uniform();
        switch (shape) {
          case 0: x = u; break;
          case 1: x = std::exp(8.0 * (u - 0.5)); break;                  // lognormal-like spread
          case 2: x = u < 0.999 ? u : 1e12 * u; break;                   // far outliers
          case 3: x = std::floor(u * 5.0); break;                        // heavy ties
          case 4: x = u < 0.5 ? -0.0 : (u < 0.9 ? 0.0 : u - 0.95); break;  // zeros of both signs
          default: x = u < 1e-4 ? -1e300 : (u > 1 - 1e-4 ? 1e300 : u); break;  // a range that overflows
        }
      }
      const std::vector<double> expected = sorted_quantiles(v, ps);
      std::vector<double> got(ps.size()), scratch;
      quantiles_of(v, ps, got, scratch);
      for (std::size_t i = 0; i < ps.size(); ++i) {
        INFO("n " << n << ", shape " << shape << ", p " << ps[i]);
        CHECK(std::memcmp(&got[i], &expected[i], sizeof(double)) == 0);
      }
      const Summary s = summarize(v);
      const Summary reference = [&] {
        std::vector<double> copy = v;
        Summary r = s;
        std::vector<double> q(ps.size());
        quantiles_by_selection(copy, ps, q);
        r.p5 = q[2];
        r.p50 = q[4];
        r.p95 = q[6];
        r.p99 = q[7];
        return r;
      }();
      CHECK(s.p5 == reference.p5);
      CHECK(s.p50 == reference.p50);
      CHECK(s.p95 == reference.p95);
      CHECK(s.p99 == reference.p99);
      CHECK(s.min == expected.front());
      CHECK(s.max == expected.back());
    }
  }
}

TEST_CASE("percentile standard errors by sectioning: several at once equal each alone, and match the normal's",
          "[summary]") {
  // The median of n normal values has standard error sqrt(pi / 2) sigma / sqrt(n) (asymptotically).
  // The sectioning estimate from 20 sections has a relative error of about 1 / sqrt(2 x 19) = 16%:
  // the check allows 4 of those.
  Rng rng = make_stream(2026, 0, StreamPurpose::tokens);
  boost::random::normal_distribution<double> normal(10.0, 2.0);
  std::vector<double> values(200'000);
  for (double& v : values) v = normal(rng);
  static constexpr double ps[] = {0.50, 0.95};
  double together[2];
  percentile_ses(values, ps, together);
  const double alone50 = percentile_se(values, 0.50), alone95 = percentile_se(values, 0.95);
  CHECK(std::memcmp(&together[0], &alone50, sizeof(double)) == 0);
  CHECK(std::memcmp(&together[1], &alone95, sizeof(double)) == 0);
  const double expected = std::sqrt(std::numbers::pi / 2.0) * 2.0 / std::sqrt(200'000.0);
  CHECK(together[0] == Approx(expected).epsilon(0.64));
  // Too few values for 20 sections of at least 2: no estimate.
  CHECK(std::isinf(percentile_se(std::vector<double>(30, 1.0), 0.5)));
}
