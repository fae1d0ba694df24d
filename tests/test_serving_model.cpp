// The serving model's analytic sizing against the discrete-event simulation of the same model
// (docs/capacity.md, "Agreement with the simulation"): across token mixes, max_concurrency, load
// and arrival burstiness, the fewest replicas meeting a TTFT p95 target by each.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <map>
#include <cstdio>
#include <string>
#include <vector>

#include "tokencast/queueing.hpp"
#include "serving_fixtures.hpp"
#include "tokencast/token_moments.hpp"

using namespace tokencast;
using tokencast::test::lognormal_by_mean;
using tokencast::test::service_profile;

namespace {

struct Mix {
  const char* name;
  double input_mean, input_cv, output_mean, output_cv;
  double ttft_target_s;
};
constexpr double kPrefillTokensPerS = 10000, kDecodeTokensPerS = 3000;

struct Case {
  Mix mix;
  int m;
  double rate;
  double arrival_scv;
  Dist input, output;
  ServiceProfile profile;  // after the laws it is computed from

  Case(const Mix& x, int concurrency, double per_s, double scv)
      : mix(x), m(concurrency), rate(per_s), arrival_scv(scv), input(lognormal_by_mean(x.input_mean, x.input_cv)),
        output(lognormal_by_mean(x.output_mean, x.output_cv)),
        profile(service_profile(input, output, kPrefillTokensPerS, kDecodeTokensPerS, concurrency)) {}
  SloTarget target() const { return {std::nullopt, mix.ttft_target_s}; }
  PoolSimulationResult simulate(int replicas, std::uint64_t seed) const {
    PoolSimulationConfig c;
    c.replicas = replicas;
    c.max_concurrency = m;
    c.arrival_rate_per_s = rate;
    c.arrivals = ArrivalProcess::renewal_with_scv(arrival_scv);
    c.prefill_tokens_per_s = kPrefillTokensPerS;
    c.decode_tokens_per_s = kDecodeTokensPerS;
    // About 150,000 measured arrivals whatever the rate, after a warm-up of a fifth of that.
    c.duration_s = 150000.0 / rate;
    c.warmup_s = std::max(0.2 * c.duration_s, 20.0 * profile.mean_service_s());
    Rng rng(seed);
    return simulate_pool(c, input, output, rng);
  }
};

const Mix kMixes[] = {
    {"chat", 1000, 1.0, 250, 0.8, 1.0},
    {"prompt-heavy", 8000, 0.6, 150, 0.5, 3.0},
    {"decode-heavy", 300, 0.5, 1000, 0.7, 0.5},
};

}  // namespace

TEST_CASE("analytic sizing agrees with the simulation of the same serving model", "[queueing][serving]") {
  // By arrival scv: cases, equal, within one, and the largest shortfall (simulated - analytic).
  std::map<double, std::array<int, 4>> tally;
  int cases = 0;
  std::string table = "| mix | m | rate/s | ca2 | analytic R | simulated R | sim TTFT p95 at analytic R | target |\n";
  for (const Mix& mix : kMixes) {
    for (const int m : {8, 64, 256}) {
      for (const double load_replicas : {2.0, 8.0, 32.0, 128.0}) {
        for (const double scv : {1.0, 4.0, 16.0}) {
          // The rate that keeps `load_replicas` replicas 60% busy.
          Case probe(mix, m, 1.0, scv);
          const double rate = 0.6 * load_replicas / probe.profile.queue().work_s();
          const Case c(mix, m, rate, scv);
          const SloSizingEstimate analytic = replicas_for_slo(rate, c.profile, c.target(), 1, 100000, scv);
          REQUIRE(analytic.feasible);
          // The simulation's fewest: scan down from the analytic count, then up.
          const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(cases);
          auto meets = [&](int r) { return c.simulate(r, seed).ttft_p95_s <= mix.ttft_target_s; };
          const PoolSimulationResult at = c.simulate(analytic.replicas, seed);
          int simulated = analytic.replicas;
          if (at.ttft_p95_s <= mix.ttft_target_s) {
            while (simulated > 1 && meets(simulated - 1)) --simulated;
          } else {
            do ++simulated;
            while (!meets(simulated) && simulated < analytic.replicas + 10);
          }
          ++cases;
          std::array<int, 4>& t = tally[scv];
          ++t[0];
          t[1] += simulated == analytic.replicas;
          t[2] += std::abs(simulated - analytic.replicas) <= 1;
          t[3] = std::max(t[3], simulated - analytic.replicas);
          char row[256];
          std::snprintf(row, sizeof row, "| %s | %d | %.4g | %g | %d | %d | %.3f | %.2f |\n", mix.name, m, rate, scv,
                        analytic.replicas, simulated, at.ttft_p95_s, mix.ttft_target_s);
          table += row;
          // Poisson and moderately bursty arrivals: never more than two apart.
          if (scv <= 4) CHECK(std::abs(simulated - analytic.replicas) <= 2);
          // Heavy bursts (scv 16): the two-moment approximation runs short (docs/capacity.md); by
          // how much is pinned here, so that a change that widens it is seen.
          if (scv > 4) CHECK(simulated - analytic.replicas <= std::max(4.0, 0.08 * analytic.replicas));
        }
      }
    }
  }
  std::string summary;
  for (const auto& [scv, t] : tally) {
    summary += "ca2 " + std::to_string(scv) + ": " + std::to_string(t[0]) + " cases, " + std::to_string(t[1]) +
               " equal, " + std::to_string(t[2]) + " within one, analytic short by at most " + std::to_string(t[3]) +
               "\n";
  }
  WARN(table << summary);
  // Poisson: within one everywhere (measured: 28 of 36 equal). scv 4: within two (33 of 36
  // within one, measured), the closed form short by at most two.
  CHECK(tally[1.0][2] == tally[1.0][0]);
  CHECK(tally[4.0][3] <= 2);
}

