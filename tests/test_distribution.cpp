// Distributions and Quantities: closed forms against textbook values, sampling against closed forms
// (tolerances derived from standard errors), parameter-set conversions, nesting and descriptions.
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tokencast/distribution.hpp"
#include "tokencast/random.hpp"

using namespace tokencast;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::size_t kDraws = 200000;
constexpr std::uint64_t kSeed = 12345;

// ---- Quantity builders -------------------------------------------------------------------------

Quantity node(DistKind kind, ParamSet set, std::array<Quantity, 4> params) {
  auto n = std::make_shared<DistNode>();
  n->kind = kind;
  n->param_set = set;
  n->params = params;
  return Quantity(std::shared_ptr<const DistNode>(std::move(n)));
}
Quantity fixed_q(Quantity v) { return node(DistKind::fixed, ParamSet::standard, {v, 0.0, 0.0, 0.0}); }
Quantity uniform_q(Quantity lo, Quantity hi) {
  return node(DistKind::uniform, ParamSet::standard, {lo, hi, 0.0, 0.0});
}
Quantity triangular_q(Quantity lo, Quantity mode, Quantity hi) {
  return node(DistKind::triangular, ParamSet::standard, {lo, mode, hi, 0.0});
}
Quantity pert_q(Quantity lo, Quantity mode, Quantity hi, Quantity shape = 4.0) {
  return node(DistKind::pert, ParamSet::standard, {lo, mode, hi, shape});
}
Quantity normal_q(Quantity mean, Quantity sd, Quantity lo = -kInf, Quantity hi = kInf) {
  return node(DistKind::normal, ParamSet::standard, {mean, sd, lo, hi});
}
Quantity lognormal_q(ParamSet set, Quantity p0, Quantity p1) {
  return node(DistKind::lognormal, set, {p0, p1, 0.0, 0.0});
}
Quantity gamma_q(ParamSet set, Quantity p0, Quantity p1) {
  return node(DistKind::gamma, set, {p0, p1, 0.0, 0.0});
}
Quantity empirical_q(std::vector<double> values, std::vector<double> cumulative) {
  auto n = std::make_shared<DistNode>();
  n->kind = DistKind::empirical;
  n->values = std::move(values);
  n->cumulative_weights = std::move(cumulative);
  n->params[0] = 1.0;  // scale
  return Quantity(std::shared_ptr<const DistNode>(std::move(n)));
}

// ---- Independent textbook formulas -------------------------------------------------------------

double std_pdf(double z) {
  return std::isinf(z) ? 0.0 : std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
}
// Upper tail via erfc, exact far out where 1 - cdf would cancel.
double std_sf(double z) { return 0.5 * std::erfc(z / std::numbers::sqrt2); }

struct Moments {
  double mean, variance;
};

// Truncated normal moments (Johnson, Kotz & Balakrishnan, vol. 1, ch. 13).
Moments truncated_normal(double mu, double sd, double lo, double hi) {
  const double a = (lo - mu) / sd, b = (hi - mu) / sd;
  const double z = std_sf(a) - std_sf(b);
  const double pa = std_pdf(a), pb = std_pdf(b);
  const double apa = std::isinf(a) ? 0.0 : a * pa, bpb = std::isinf(b) ? 0.0 : b * pb;
  const double shift = (pa - pb) / z;
  return {mu + sd * shift, sd * sd * (1.0 + (apa - bpb) / z - shift * shift)};
}

Moments lognormal_moments(double mu, double sigma) {
  const double s2 = sigma * sigma;
  return {std::exp(mu + s2 / 2.0), (std::exp(s2) - 1.0) * std::exp(2.0 * mu + s2)};
}

// ---- Sampling checks ---------------------------------------------------------------------------

// Draws kDraws values from a fresh Rng(kSeed) and checks them against the expected moments:
//  * mean within 5 standard errors, SE = sqrt(variance / n);
//  * variance within 5 standard errors of the sample variance, SE = sqrt((mu4 - s^4) / n), with the
//    fourth central moment mu4 estimated from the same sample;
//  * for p in {0.05, 0.5, 0.95}, the share of draws at or below quantile(p) within 5 binomial
//    standard errors sqrt(p (1 - p) / n) of p (skipped for discrete laws, whose atoms break it).
template <class Draw>
void check_sampling(Draw draw, Moments expected, const Dist* quantiles = nullptr) {
  Rng rng(kSeed);
  std::vector<double> xs(kDraws);
  double sum = 0.0;
  for (auto& x : xs) {
    x = draw(rng);
    sum += x;
  }
  const double n = static_cast<double>(kDraws);
  const double mean = sum / n;
  double m2 = 0.0, m4 = 0.0;
  for (double x : xs) {
    const double d2 = (x - mean) * (x - mean);
    m2 += d2;
    m4 += d2 * d2;
  }
  const double var = m2 / (n - 1.0);
  m4 /= n;

  const double mean_se = std::sqrt(expected.variance / n);
  INFO("sample mean " << mean << " expected " << expected.mean << " SE " << mean_se);
  CHECK(std::abs(mean - expected.mean) <= 5.0 * mean_se);

  const double var_se = std::sqrt(std::max(m4 - var * var, 0.0) / n);
  INFO("sample variance " << var << " expected " << expected.variance << " SE " << var_se);
  CHECK(std::abs(var - expected.variance) <= 5.0 * var_se + 1e-12 * expected.variance);

  if (quantiles == nullptr || !quantiles->is_continuous()) return;
  for (double p : {0.05, 0.5, 0.95}) {
    const double q = quantiles->quantile(p);
    double below = 0.0;
    for (double x : xs) below += x <= q ? 1.0 : 0.0;
    const double share = below / n;
    INFO("p " << p << " quantile " << q << " share below " << share);
    CHECK(std::abs(share - p) <= 5.0 * std::sqrt(p * (1.0 - p) / n));
  }
}

// Checks a Dist's closed-form moments against textbook values, then its sampler against both.
void check_dist(const Dist& d, Moments textbook) {
  CHECK(d.mean() == Approx(textbook.mean).epsilon(1e-12).margin(1e-12));
  CHECK(d.variance() == Approx(textbook.variance).epsilon(1e-10).margin(1e-12));
  check_sampling([&d](Rng& rng) { return d.sample(rng); }, textbook, &d);
}

// cdf(quantile(p)) = p for a continuous law, at points spread over the body and both tails.
void check_round_trip(const Dist& d) {
  for (double p : {0.001, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999}) {
    const double x = d.quantile(p);
    INFO(to_string(d.kind()) << " p " << p << " x " << x);
    CHECK(d.cdf(x) == Approx(p).margin(1e-9));
    const Interval s = d.support();
    CHECK(x >= s.lo);
    CHECK(x <= s.hi);
  }
}

}  // namespace

TEST_CASE("to_string names every kind", "[distribution]") {
  CHECK(to_string(DistKind::fixed) == "fixed");
  CHECK(to_string(DistKind::uniform) == "uniform");
  CHECK(to_string(DistKind::triangular) == "triangular");
  CHECK(to_string(DistKind::pert) == "pert");
  CHECK(to_string(DistKind::normal) == "normal");
  CHECK(to_string(DistKind::lognormal) == "lognormal");
  CHECK(to_string(DistKind::gamma) == "gamma");
  CHECK(to_string(DistKind::empirical) == "empirical");
}

TEST_CASE("fixed, uniform and triangular match textbook moments and sample them", "[distribution]") {
  SECTION("fixed(3)") {
    const Dist d = Dist::fixed(3.0);
    CHECK(d.kind() == DistKind::fixed);
    CHECK_FALSE(d.is_continuous());
    CHECK(d.quantile(0.3) == 3.0);
    CHECK(d.cdf(2.999) == 0.0);
    CHECK(d.cdf(3.0) == 1.0);
    check_dist(d, {3.0, 0.0});
  }
  SECTION("uniform(2, 8): mean 5, variance 36/12") { check_dist(Dist::uniform(2, 8), {5.0, 3.0}); }
  SECTION("triangular(0, 1, 4): mean 5/3, variance (0+1+16-0-0-4)/18") {
    check_dist(Dist::triangular(0, 1, 4), {5.0 / 3.0, 13.0 / 18.0});
  }
  SECTION("triangular with the mode at a bound: (0, 0, 3) mean 1, variance 9/18") {
    check_dist(Dist::triangular(0, 0, 3), {1.0, 0.5});
  }
}

TEST_CASE("pert is a scaled beta with the PERT mean", "[distribution]") {
  SECTION("pert(1, 2, 6): alpha 1.8, beta 4.2, mean (1+8+6)/6, variance 25*1.8*4.2/(36*7)") {
    const Dist d = Dist::pert(1, 2, 6);
    check_dist(d, {2.5, 0.75});
  }
  SECTION("pert(0, 1, 10, shape 6): alpha 1.6, beta 6.4, mean (0+6+10)/8, variance 1024/576") {
    check_dist(Dist::pert(0, 1, 10, 6), {2.0, 16.0 / 9.0});
  }
  SECTION("pert with min == max is fixed") {
    const Dist d = Dist::pert(2, 2, 2);
    CHECK(d.kind() == DistKind::fixed);
    CHECK(d.mean() == 2.0);
  }
}

TEST_CASE("normal, plain and truncated, has exact moments and samples", "[distribution]") {
  SECTION("normal(5, 2)") { check_dist(Dist::normal(5, 2), {5.0, 4.0}); }
  SECTION("half normal: normal(0, 1, min 0) has mean sqrt(2/pi), variance 1 - 2/pi") {
    const Dist d = Dist::normal(0, 1, 0);
    CHECK(d.mean() == Approx(std::sqrt(2.0 / std::numbers::pi)).epsilon(1e-14));
    check_dist(d, {std::sqrt(2.0 / std::numbers::pi), 1.0 - 2.0 / std::numbers::pi});
  }
  SECTION("two-sided, mass 0.9 (rejection): normal(10, 3, 0, 20)") {
    check_dist(Dist::normal(10, 3, 0, 20), truncated_normal(10, 3, 0, 20));
  }
  SECTION("upper window of mass 0.06 (inversion): normal(0, 1, 1.5, 2.5)") {
    check_dist(Dist::normal(0, 1, 1.5, 2.5), truncated_normal(0, 1, 1.5, 2.5));
  }
  SECTION("lower tail of mass 0.023 (inversion): normal(0, 1, max -2)") {
    check_dist(Dist::normal(0, 1, -kInf, -2), truncated_normal(0, 1, -kInf, -2));
  }
  SECTION("far tail of mass 6e-16 (inversion on the upper tail): normal(0, 1, min 8)") {
    const Moments m = truncated_normal(0, 1, 8, kInf);
    CHECK(m.mean > 8.0);
    check_dist(Dist::normal(0, 1, 8), m);
  }
  SECTION("sd 0 is a point mass") {
    const Dist d = Dist::normal(4, 0);
    CHECK(d.kind() == DistKind::fixed);
    CHECK(d.mean() == 4.0);
  }
}

TEST_CASE("lognormal and gamma match their closed forms", "[distribution]") {
  SECTION("lognormal(mu 1, sigma 0.5)") { check_dist(Dist::lognormal(1, 0.5), lognormal_moments(1, 0.5)); }
  SECTION("gamma(shape 2.5, scale 4): mean 10, variance 40") { check_dist(Dist::gamma(2.5, 4), {10.0, 40.0}); }
  SECTION("gamma(shape 0.5, scale 2): mean 1, variance 2") { check_dist(Dist::gamma(0.5, 2), {1.0, 2.0}); }
}

TEST_CASE("every Quantity parameter set converts and samples to its closed form", "[distribution]") {
  SECTION("lognormal mu_sigma(1, 0.5)") {
    const Quantity q = lognormal_q(ParamSet::mu_sigma, 1.0, 0.5);
    Rng rng(1);
    check_dist(q.resolve(rng), lognormal_moments(1, 0.5));
  }
  SECTION("lognormal median_sigma(100, 0.3): median 100") {
    const Quantity q = lognormal_q(ParamSet::median_sigma, 100.0, 0.3);
    Rng rng(1);
    const Dist d = q.resolve(rng);
    CHECK(d.quantile(0.5) == Approx(100.0).epsilon(1e-12));
    check_dist(d, lognormal_moments(std::log(100.0), 0.3));
  }
  SECTION("lognormal mean_cv(1000, 0.8): mean exactly 1000, sd 800") {
    const Quantity q = lognormal_q(ParamSet::mean_cv, 1000.0, 0.8);
    Rng rng(1);
    check_dist(q.resolve(rng), {1000.0, 800.0 * 800.0});
  }
  SECTION("lognormal median_p95(1000, 3000): 95% of draws below 3000") {
    const Quantity q = lognormal_q(ParamSet::median_p95, 1000.0, 3000.0);
    Rng rng(1);
    const Dist d = q.resolve(rng);
    CHECK(d.quantile(0.5) == Approx(1000.0).epsilon(1e-12));
    CHECK(d.quantile(0.95) == Approx(3000.0).epsilon(1e-9));
    const double sigma = std::log(3.0) / 1.6448536269514722;
    check_dist(d, lognormal_moments(std::log(1000.0), sigma));

    Rng draws(kSeed);
    double below = 0.0;
    for (std::size_t i = 0; i < kDraws; ++i) below += d.sample(draws) < 3000.0 ? 1.0 : 0.0;
    const double n = static_cast<double>(kDraws);
    // Binomial standard error of the share below p95.
    CHECK(std::abs(below / n - 0.95) <= 5.0 * std::sqrt(0.95 * 0.05 / n));
  }
  SECTION("gamma shape_scale(2.5, 4)") {
    const Quantity q = gamma_q(ParamSet::shape_scale, 2.5, 4.0);
    Rng rng(1);
    check_dist(q.resolve(rng), {10.0, 40.0});
  }
  SECTION("gamma mean_cv(10, 0.5): mean 10, variance 25") {
    const Quantity q = gamma_q(ParamSet::mean_cv, 10.0, 0.5);
    Rng rng(1);
    const Dist d = q.resolve(rng);
    CHECK(d.kind() == DistKind::gamma);
    check_dist(d, {10.0, 25.0});
  }
  SECTION("standard sets of the bounded kinds and normal") {
    Rng rng(1);
    check_dist(uniform_q(2.0, 8.0).resolve(rng), {5.0, 3.0});
    check_dist(triangular_q(0.0, 1.0, 4.0).resolve(rng), {5.0 / 3.0, 13.0 / 18.0});
    check_dist(pert_q(1.0, 2.0, 6.0).resolve(rng), {2.5, 0.75});
    check_dist(normal_q(0.0, 1.0, 0.0).resolve(rng),
               {std::sqrt(2.0 / std::numbers::pi), 1.0 - 2.0 / std::numbers::pi});
    check_dist(fixed_q(7.0).resolve(rng), {7.0, 0.0});
  }
}

TEST_CASE("quantile and cdf are inverse for every continuous kind", "[distribution]") {
  check_round_trip(Dist::uniform(2, 8));
  check_round_trip(Dist::triangular(0, 1, 4));
  check_round_trip(Dist::pert(1, 2, 6));
  check_round_trip(Dist::normal(5, 2));
  check_round_trip(Dist::normal(0, 1, 0));
  check_round_trip(Dist::normal(0, 1, 1.5, 2.5));
  check_round_trip(Dist::normal(0, 1, -kInf, -2));
  check_round_trip(Dist::normal(0, 1, 8));
  check_round_trip(Dist::lognormal(1, 0.5));
  check_round_trip(Dist::gamma(2.5, 4));
  check_round_trip(Dist::gamma(0.5, 2));

  const Dist n = Dist::normal(5, 2, 1, 9);
  CHECK(n.quantile(0.0) == 1.0);
  CHECK(n.quantile(1.0) == 9.0);
  CHECK(n.cdf(0.5) == 0.0);
  CHECK(n.cdf(9.5) == 1.0);
  CHECK(Dist::normal(0, 1).quantile(0.0) == -kInf);
  CHECK(Dist::lognormal(0, 1).quantile(0.0) == 0.0);
  CHECK(Dist::gamma(2, 1).quantile(1.0) == kInf);
  CHECK(Dist::uniform(2, 8).quantile(0.25) == Approx(3.5));
}

TEST_CASE("empirical reproduces its weights", "[distribution]") {
  const std::vector<double> values{1, 2, 5, 10, 20};
  const std::vector<double> weights{0.1, 0.2, 0.3, 0.25, 0.15};
  const std::vector<double> cumulative{0.1, 0.3, 0.6, 0.85, 1.0};
  const Dist d = Dist::empirical(values, cumulative);

  // mean = sum v w = 7.5; E[X^2] = 93.4, variance 93.4 - 56.25.
  CHECK(d.mean() == Approx(7.5).epsilon(1e-14));
  CHECK(d.variance() == Approx(37.15).epsilon(1e-12));
  CHECK_FALSE(d.is_continuous());
  CHECK(d.support().lo == 1.0);
  CHECK(d.support().hi == 20.0);
  CHECK(d.quantile(0.0) == 1.0);
  CHECK(d.quantile(0.1) == 1.0);
  CHECK(d.quantile(0.3) == 2.0);
  CHECK(d.quantile(0.31) == 5.0);
  CHECK(d.quantile(1.0) == 20.0);
  CHECK(d.cdf(0.5) == 0.0);
  CHECK(d.cdf(4.9) == Approx(0.3));
  CHECK(d.cdf(20.0) == 1.0);
  check_sampling([&d](Rng& rng) { return d.sample(rng); }, {7.5, 37.15});

  Rng rng(kSeed);
  std::array<double, 5> counts{};
  for (std::size_t i = 0; i < kDraws; ++i) {
    const double x = d.sample(rng);
    for (std::size_t k = 0; k < values.size(); ++k) counts[k] += x == values[k] ? 1.0 : 0.0;
  }
  const double n = static_cast<double>(kDraws);
  for (std::size_t k = 0; k < values.size(); ++k) {
    INFO("value " << values[k]);
    // Binomial standard error of each value's frequency.
    CHECK(std::abs(counts[k] / n - weights[k]) <= 5.0 * std::sqrt(weights[k] * (1 - weights[k]) / n));
  }

  const Quantity q = empirical_q(values, cumulative);
  CHECK(q.describe() == "empirical(5 values)");
  CHECK(q.depth() == 1);
  CHECK(q.support().lo == 1.0);
  CHECK(q.support().hi == 20.0);
  Rng r2(3);
  CHECK(q.resolve(r2).mean() == Approx(7.5));
}

TEST_CASE("certain quantities consume no randomness", "[distribution]") {
  Rng used(99);
  Rng untouched(99);
  CHECK(Dist::fixed(3.0).sample(used) == 3.0);
  CHECK(Quantity(2.5).draw(used) == 2.5);
  CHECK(Quantity(2.5).resolve(used).mean() == 2.5);
  CHECK(fixed_q(4.0).draw(used) == 4.0);
  CHECK(fixed_q(4.0).resolve(used).sample(used) == 4.0);
  CHECK(pert_q(1.0, 1.0, 1.0).draw(used) == 1.0);  // degenerate pert resolves to fixed
  CHECK(used() == untouched());

  // The comparison above can tell: an uncertain draw does advance the stream.
  Rng a(99), b(99);
  uniform_q(0.0, 1.0).draw(a);
  CHECK(a() != b());
}

TEST_CASE("certainty, constants and uncertain parameters", "[distribution]") {
  const Quantity c(0.9);
  CHECK(c.is_constant());
  CHECK(c.is_certain());
  CHECK_FALSE(c.has_uncertain_parameters());
  CHECK(c.constant() == 0.9);

  const Quantity f = fixed_q(3.0);
  CHECK_FALSE(f.is_constant());
  CHECK(f.is_certain());
  CHECK(f.constant() == 3.0);
  CHECK_FALSE(f.has_uncertain_parameters());

  const Quantity p = pert_q(1.0, 2.0, 6.0);
  CHECK_FALSE(p.is_certain());
  CHECK_FALSE(p.has_uncertain_parameters());
  CHECK_THROWS_AS(p.constant(), std::logic_error);

  const Quantity nested = lognormal_q(ParamSet::median_sigma, pert_q(2000.0, 3000.0, 5000.0), 0.6);
  CHECK(nested.has_uncertain_parameters());
  CHECK_FALSE(nested.is_certain());

  const Quantity fixed_uncertain = fixed_q(uniform_q(1.0, 2.0));
  CHECK_FALSE(fixed_uncertain.is_certain());
  CHECK(fixed_uncertain.has_uncertain_parameters());
  CHECK_THROWS_AS(fixed_uncertain.constant(), std::logic_error);
}

TEST_CASE("nested quantities resolve to a new Dist per draw", "[distribution]") {
  const Quantity q = lognormal_q(ParamSet::median_sigma, pert_q(2000.0, 3000.0, 5000.0), 0.6);
  Rng rng(kSeed);
  const Dist first = q.resolve(rng);
  const Dist second = q.resolve(rng);
  CHECK(first.kind() == DistKind::lognormal);
  CHECK(first.mean() != second.mean());
  for (const Dist& d : {first, second}) {
    const double median = d.quantile(0.5);
    CHECK(median >= 2000.0);
    CHECK(median <= 5000.0);
    // sigma is the constant 0.6 whatever the median: mean / median = exp(sigma^2 / 2).
    CHECK(d.mean() / median == Approx(std::exp(0.18)).epsilon(1e-12));
  }
}

TEST_CASE("draw obeys the law of total expectation", "[distribution]") {
  // X = M exp(0.5 Z), M ~ uniform(900, 1100): E[X] = E[M] e^{sigma^2/2},
  // Var[X] = E[M^2] e^{2 sigma^2} - E[X]^2 with E[M^2] = 1000^2 + 200^2/12.
  const double sigma = 0.5;
  const Quantity q = lognormal_q(ParamSet::median_sigma, uniform_q(900.0, 1100.0), sigma);
  const double mean = 1000.0 * std::exp(sigma * sigma / 2.0);
  const double second = (1000.0 * 1000.0 + 200.0 * 200.0 / 12.0) * std::exp(2.0 * sigma * sigma);
  check_sampling([&q](Rng& rng) { return q.draw(rng); }, {mean, second - mean * mean});
}

TEST_CASE("support is a conservative interval", "[distribution]") {
  auto check = [](const Quantity& q, double lo, double hi) {
    INFO(q.describe());
    CHECK(q.support().lo == lo);
    CHECK(q.support().hi == hi);
  };
  check(Quantity(2.0), 2.0, 2.0);
  check(fixed_q(uniform_q(3.0, 4.0)), 3.0, 4.0);
  check(uniform_q(uniform_q(1.0, 2.0), uniform_q(5.0, 6.0)), 1.0, 6.0);
  check(triangular_q(0.0, 1.0, 4.0), 0.0, 4.0);
  check(pert_q(pert_q(1.0, 2.0, 3.0), 4.0, 8.0), 1.0, 8.0);
  check(normal_q(5.0, 2.0), -kInf, kInf);
  check(normal_q(5.0, 2.0, 0.0, uniform_q(10.0, 20.0)), 0.0, 20.0);
  check(lognormal_q(ParamSet::median_sigma, 100.0, 0.3), 0.0, kInf);
  check(gamma_q(ParamSet::mean_cv, 10.0, 0.5), 0.0, kInf);

  CHECK(Dist::triangular(0, 1, 4).support().hi == 4.0);
  CHECK(Dist::normal(0, 1, 0).support().lo == 0.0);
}

TEST_CASE("describe names the parameters as written", "[distribution]") {
  CHECK(Quantity(0.9).describe() == "0.9");
  CHECK(fixed_q(3.0).describe() == "fixed(value=3)");
  CHECK(uniform_q(2.0, 8.0).describe() == "uniform(min=2, max=8)");
  CHECK(triangular_q(0.0, 1.0, 4.0).describe() == "triangular(min=0, mode=1, max=4)");
  CHECK(pert_q(1.5e6, 2e6, 3e6).describe() == "pert(min=1.5e+06, mode=2e+06, max=3e+06)");
  CHECK(pert_q(0.0, 1.0, 10.0, 6.0).describe() == "pert(min=0, mode=1, max=10, shape=6)");
  CHECK(normal_q(5.0, 2.0).describe() == "normal(mean=5, sd=2)");
  CHECK(normal_q(0.0, 1.0, 0.0).describe() == "normal(mean=0, sd=1, min=0)");
  CHECK(normal_q(0.0, 1.0, -kInf, 3.0).describe() == "normal(mean=0, sd=1, max=3)");
  CHECK(lognormal_q(ParamSet::mu_sigma, 1.0, 0.5).describe() == "lognormal(mu=1, sigma=0.5)");
  CHECK(lognormal_q(ParamSet::mean_cv, 1000.0, 0.8).describe() == "lognormal(mean=1000, cv=0.8)");
  CHECK(lognormal_q(ParamSet::median_p95, 1000.0, 3000.0).describe() ==
        "lognormal(median=1000, p95=3000)");
  CHECK(gamma_q(ParamSet::shape_scale, 2.5, 4.0).describe() == "gamma(shape=2.5, scale=4)");
  CHECK(gamma_q(ParamSet::mean_cv, 10.0, 0.5).describe() == "gamma(mean=10, cv=0.5)");
  CHECK(lognormal_q(ParamSet::median_sigma, pert_q(2000.0, 3000.0, 5000.0), 0.6).describe() ==
        "lognormal(median=pert(min=2000, mode=3000, max=5000), sigma=0.6)");
}

TEST_CASE("depth counts nesting levels", "[distribution]") {
  CHECK(Quantity(1.0).depth() == 0);
  CHECK(fixed_q(1.0).depth() == 1);
  CHECK(pert_q(1.0, 2.0, 3.0).depth() == 1);
  CHECK(lognormal_q(ParamSet::median_sigma, pert_q(2000.0, 3000.0, 5000.0), 0.6).depth() == 2);
  CHECK(uniform_q(0.0, lognormal_q(ParamSet::median_sigma, uniform_q(1.0, 2.0), 0.5)).depth() == 3);
}

TEST_CASE("factories reject direct misuse and collapse degenerate ranges", "[distribution]") {
  CHECK_THROWS_AS(Dist::uniform(2, 1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::triangular(0, 5, 4), std::invalid_argument);
  CHECK_THROWS_AS(Dist::pert(0, -1, 1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::normal(0, -1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::normal(0, 1, 2, 1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::lognormal(0, -1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::gamma(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::gamma(1, -1), std::invalid_argument);
  CHECK_THROWS_AS(Dist::empirical({}, {}), std::invalid_argument);
  const std::vector<double> two{1, 2}, one{1};
  CHECK_THROWS_AS(Dist::empirical(two, one), std::invalid_argument);

  // Boost's uniform sampler never returns for an empty range, so these become point masses.
  Rng rng(5);
  CHECK(Dist::uniform(3, 3).kind() == DistKind::fixed);
  CHECK(Dist::uniform(3, 3).sample(rng) == 3.0);
  CHECK(Dist::triangular(2, 2, 2).sample(rng) == 2.0);
  CHECK(Dist::normal(1, 2, 4, 4).sample(rng) == 4.0);
  CHECK(gamma_q(ParamSet::mean_cv, 10.0, 0.0).resolve(rng).sample(rng) == 10.0);
  CHECK(lognormal_q(ParamSet::mean_cv, 10.0, 0.0).resolve(rng).sample(rng) == Approx(10.0));
}
