// Arrivals within the hour: the on/off generator against its closed-form interarrival scv and
// index of dispersion, and the closed form's sizing under on/off arrivals against the simulation
// that sizes it (docs/capacity.md, "Bursts below the hour").
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tokencast/arrivals.hpp"
#include "tokencast/simulated_sizing.hpp"
#include "serving_fixtures.hpp"
#include "tokencast/token_moments.hpp"

using namespace tokencast;
using tokencast::test::lognormal_by_mean;
using tokencast::test::service_profile;

namespace {

ArrivalProcess onoff(double peak_ratio, double on_share, double mean_on_s) {
  ArrivalProcess a;
  a.model = ArrivalModel::onoff;
  a.peak_ratio = peak_ratio;
  a.on_share = on_share;
  a.mean_on_s = mean_on_s;
  return a;
}

}  // namespace

TEST_CASE("the on/off generator matches its closed-form scv, dispersion and rate", "[arrivals]") {
  struct Case {
    ArrivalProcess a;
    double rate;
  };
  for (const Case& c : {Case{onoff(4, 0.2, 60), 5.0}, Case{onoff(10, 0.1, 30), 2.0}, Case{onoff(2, 0.3, 5), 50.0}}) {
    // 20 independent runs of 2000 cycles: the spread across runs gives the standard errors.
    constexpr int kRuns = 20;
    const double cycle_s = c.a.mean_on_s + c.a.mean_off_s();
    const double span_s = 2000 * cycle_s, window_s = 60;
    std::vector<double> rates, scvs, idcs;
    for (int run = 0; run < kRuns; ++run) {
      Rng rng(100 + static_cast<std::uint64_t>(run));
      ArrivalGenerator gen(c.a, c.rate, rng);
      std::vector<double> counts(static_cast<std::size_t>(span_s / window_s), 0.0);
      double t = 0, sum = 0, sum2 = 0, n = 0;
      for (;;) {
        const double g = gen.next_gap(rng);
        t += g;
        if (t >= span_s) break;
        sum += g;
        sum2 += g * g;
        n += 1;
        const auto w = static_cast<std::size_t>(t / window_s);
        if (w < counts.size()) counts[w] += 1;
      }
      const double mean = sum / n;
      rates.push_back(n / span_s);
      scvs.push_back((sum2 / n - mean * mean) / (mean * mean));
      double m1 = 0, m2 = 0;
      for (double k : counts) m1 += k;
      const auto windows = static_cast<double>(counts.size());
      m1 /= windows;
      for (double k : counts) m2 += (k - m1) * (k - m1);
      idcs.push_back(m2 / (windows - 1) / m1);
    }
    auto mean_se = [](const std::vector<double>& v) {
      double m = 0, s = 0;
      for (double x : v) m += x;
      const auto k = static_cast<double>(v.size());
      m /= k;
      for (double x : v) s += (x - m) * (x - m);
      return std::pair{m, std::sqrt(s / (k - 1) / k)};
    };
    const auto [rate, rate_se] = mean_se(rates);
    const auto [scv, scv_se] = mean_se(scvs);
    const auto [idc, idc_se] = mean_se(idcs);
    const double expected_scv = interarrival_scv(c.a, c.rate), expected_idc = dispersion_index(c.a, c.rate, window_s);
    INFO(c.a.describe() << " at " << c.rate << "/s: rate " << rate << " +- " << rate_se << ", scv " << scv << " +- "
                        << scv_se << " (closed form " << expected_scv << "), idc(60 s) " << idc << " +- " << idc_se
                        << " (closed form " << expected_idc << ")");
    CHECK(std::abs(rate - c.rate) <= 4 * rate_se);
    CHECK(std::abs(scv - expected_scv) <= 4 * scv_se);
    // The counts' variance estimator is biased low by the windows' correlation (about 1/(windows
    // per correlation time) relative); 4 SE plus 2% covers it.
    CHECK(std::abs(idc - expected_idc) <= 4 * idc_se + 0.02 * expected_idc);
  }
}

TEST_CASE("the closed form's interarrival scv: Poisson, renewal and the IPP's textbook formula", "[arrivals]") {
  CHECK(interarrival_scv(ArrivalProcess{}, 3.0) == 1.0);
  CHECK(interarrival_scv(ArrivalProcess::renewal_with_scv(7.0), 3.0) == 7.0);
  // An interrupted Poisson process (nothing while off): c^2 = 1 + 2 lambda w1 / (w1 + w2)^2.
  const ArrivalProcess ipp = onoff(10, 0.1, 60);
  const double lambda = 10 * 2.0, w1 = 1 / 60.0, w2 = 1 / 540.0;
  CHECK(interarrival_scv(ipp, 2.0) == Approx(1 + 2 * lambda * w1 / ((w1 + w2) * (w1 + w2))).epsilon(1e-12));
  // Dispersion: 1 at zero width, the asymptote 1 + 2 Var(rate) / (mean (w1 + w2)) at long windows.
  CHECK(dispersion_index(ipp, 2.0, 1e-9) == Approx(1.0).epsilon(1e-6));
  const double var = 0.1 * 0.9 * 20.0 * 20.0;
  CHECK(dispersion_index(ipp, 2.0, 1e9) == Approx(1 + 2 * var / (2.0 * (w1 + w2))).epsilon(1e-6));
}

TEST_CASE("under on/off arrivals the closed form against the simulation that sizes the objective", "[arrivals][serving]") {
  // The quasi-static closed form serves each period in its steady state; the simulation is the
  // model itself. Measured: the closed form is never short (the safe side) and agrees where the
  // on periods are long against the time a slot is held; short periods are where it over-sizes.
  struct Row {
    double peak_ratio, on_share, mean_on_s;
  };
  constexpr double kP = 10000, kD = 3000;
  const Dist input = lognormal_by_mean(1000, 1.0), output = lognormal_by_mean(250, 0.8);
  std::string table = "| m | mean rate/s | peak_ratio | on_share | mean_on_s | closed form R | simulated R |\n";
  int cases = 0, equal = 0, within_one = 0, short_cases = 0;
  for (const int m : {16, 64}) {
    for (const double rate : {5.0, 40.0}) {
      for (const Row& b : {Row{4, 0.2, 600}, Row{4, 0.2, 60}, Row{10, 0.1, 60}, Row{10, 0.1, 10}}) {
        const ArrivalProcess a = onoff(b.peak_ratio, b.on_share, b.mean_on_s);
        const ServiceProfile p = service_profile(input, output, kP, kD, m);
        const SloTarget target{std::nullopt, 1.0};
        const SloSizingEstimate closed = replicas_for_slo(rate, p.queue(), target, 1, 100000, a);
        REQUIRE(closed.feasible);
        SimulatedSizingInput in;
        in.pool.max_concurrency = m;
        in.pool.arrival_rate_per_s = rate;
        in.pool.arrivals = a;
        in.pool.prefill_tokens_per_s = kP;
        in.pool.decode_tokens_per_s = kD;
        in.sample_request = [&](Rng& rng) { return sample_request_tokens(input, output, 131072, rng); };
        in.slo = target;
        in.rng = Rng(500 + static_cast<std::uint64_t>(cases));
        const SimulatedSizing sim = replicas_for_slo_by_simulation(in, closed.replicas, 100000);
        REQUIRE(sim.met);
        ++cases;
        equal += sim.replicas == closed.replicas;
        within_one += std::abs(sim.replicas - closed.replicas) <= 1;
        short_cases += sim.replicas > closed.replicas;
        char row[200];
        std::snprintf(row, sizeof row, "| %d | %g | %g | %g | %g | %d | %d |\n", m, rate, b.peak_ratio, b.on_share,
                      b.mean_on_s, closed.replicas, sim.replicas);
        table += row;
        // Never short by more than one: at worst the simulation's own noise at a boundary.
        CHECK(sim.replicas - closed.replicas <= 1);
      }
    }
  }
  WARN(table << cases << " cases: " << equal << " equal, " << within_one << " within one, closed form short in "
             << short_cases);
}

TEST_CASE("fitting the on/off process to generated arrivals recovers its parameters", "[arrivals][fit]") {
  struct Known {
    ArrivalProcess a;
    double rate;
  };
  std::string report;
  for (const Known& k : {Known{onoff(4, 0.2, 60), 5.0}, Known{onoff(10, 0.1, 60), 2.0}, Known{onoff(3, 0.25, 300), 1.0},
                         Known{onoff(6, 0.15, 20), 20.0}}) {
    // 1,000 cycles of the process.
    const double span_s = 1000 * (k.a.mean_on_s + k.a.mean_off_s());
    Rng rng(42);
    ArrivalGenerator gen(k.a, k.rate, rng);
    std::vector<double> times;
    for (double t = gen.next_gap(rng); t < span_s; t += gen.next_gap(rng)) times.push_back(t);
    const ArrivalMeasurement m = measure_arrivals(times);
    REQUIRE(m.onoff.has_value());
    const ArrivalProcess& fit = *m.onoff;
    INFO(k.a.describe() << " at " << k.rate << "/s -> fitted " << fit.describe() << "; scv " << m.interarrival_scv
                        << " (closed form " << interarrival_scv(k.a, k.rate) << ")");
    report += k.a.describe() + " -> " + fit.describe() + "\n";
    CHECK(m.mean_rate_per_s == Approx(k.rate).epsilon(0.05));
    CHECK(fit.peak_ratio == Approx(k.a.peak_ratio).epsilon(0.2));
    CHECK(fit.on_share == Approx(k.a.on_share).epsilon(0.2));
    CHECK(fit.mean_on_s == Approx(k.a.mean_on_s).epsilon(0.25));
  }
  WARN(report);
  // Poisson arrivals: nothing to fit.
  Rng rng(7);
  ArrivalGenerator poisson(ArrivalProcess{}, 5.0, rng);
  std::vector<double> times;
  for (double t = poisson.next_gap(rng); t < 20000; t += poisson.next_gap(rng)) times.push_back(t);
  const ArrivalMeasurement m = measure_arrivals(times);
  CHECK_FALSE(m.onoff.has_value());
  CHECK(m.interarrival_scv == Approx(1.0).epsilon(0.02));
  CHECK(*m.dispersion_index[2] == Approx(1.0).epsilon(0.15));
}
