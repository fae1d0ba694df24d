#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <vector>

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
