// The serving model's analytic sizing against the discrete-event simulation of the same model
// (docs/capacity.md, "Agreement with the simulation"): across token mixes, max_concurrency, load
// and arrival burstiness, the fewest replicas meeting a TTFT p95 target by each.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <initializer_list>
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
  double fixed_share;
  Dist input, output;
  ServiceProfile profile;  // after the laws it is computed from

  Case(const Mix& x, int concurrency, double per_s, double scv, double f)
      : mix(x), m(concurrency), rate(per_s), arrival_scv(scv), fixed_share(f),
        input(lognormal_by_mean(x.input_mean, x.input_cv)), output(lognormal_by_mean(x.output_mean, x.output_cv)),
        profile(service_profile(input, output, kPrefillTokensPerS, kDecodeTokensPerS, concurrency)) {
    profile.decode_fixed_share = f;
  }
  SloTarget target() const { return {std::nullopt, mix.ttft_target_s}; }
  PoolSimulationResult simulate(int replicas, std::uint64_t seed) const {
    PoolSimulationConfig c;
    c.replicas = replicas;
    c.max_concurrency = m;
    c.arrival_rate_per_s = rate;
    c.arrivals = ArrivalProcess::renewal_with_scv(arrival_scv);
    c.prefill_tokens_per_s = kPrefillTokensPerS;
    c.decode_tokens_per_s = kDecodeTokensPerS;
    c.decode_fixed_share = fixed_share;
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

// By arrival scv: cases, equal, within one, and the largest shortfall (simulated - analytic).
using Tally = std::map<double, std::array<int, 4>>;

// The fewest replicas by the closed form and by the simulation, over the mixes, m, load and the
// given arrival scvs, at decode fixed share f (1: every sequence at the full-batch speed).
Tally agreement_grid(std::initializer_list<double> scvs, double f, std::uint64_t first_seed) {
  Tally tally;
  int cases = 0;
  std::string table = "| mix | m | rate/s | ca2 | f | analytic R | simulated R | sim TTFT p95 at analytic R | target |\n";
  for (const Mix& mix : kMixes) {
    for (const int m : {8, 64, 256}) {
      for (const double load_replicas : {2.0, 8.0, 32.0, 128.0}) {
        for (const double scv : scvs) {
          // The rate that keeps `load_replicas` replicas 60% busy.
          const Case probe(mix, m, 1.0, scv, f);
          const double rate = 0.6 * load_replicas / probe.profile.queue().work_s();
          const Case c(mix, m, rate, scv, f);
          const SloSizingEstimate analytic = replicas_for_slo(rate, c.profile, c.target(), 1, 100000, scv);
          REQUIRE(analytic.feasible);
          // The simulation's fewest: scan down from the analytic count, then up.
          const std::uint64_t seed = first_seed + static_cast<std::uint64_t>(cases);
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
          std::snprintf(row, sizeof row, "| %s | %d | %.4g | %g | %g | %d | %d | %.3f | %.2f |\n", mix.name, m, rate,
                        scv, f, analytic.replicas, simulated, at.ttft_p95_s, mix.ttft_target_s);
          table += row;
        }
      }
    }
  }
  std::string summary;
  for (const auto& [scv, t] : tally) {
    summary += "f " + std::to_string(f) + ", ca2 " + std::to_string(scv) + ": " + std::to_string(t[0]) +
               " cases, " + std::to_string(t[1]) + " equal, " + std::to_string(t[2]) +
               " within one, analytic short by at most " + std::to_string(t[3]) + "\n";
  }
  WARN(table << summary);
  return tally;
}

}  // namespace

TEST_CASE("analytic sizing agrees with the simulation of the same serving model", "[queueing][serving]") {
  Tally tally = agreement_grid({1.0, 4.0, 16.0}, 1.0, 1000);
  // Poisson: within one everywhere (measured: 29 of 36 equal). scv 4: 35 of 36 within one,
  // measured, the closed form short by at most one.
  CHECK(tally[1.0][2] == tally[1.0][0]);
  CHECK(tally[4.0][3] <= 1);
  // Heavy bursts (scv 16): the two-moment approximation runs short (docs/capacity.md), which is
  // why such arrivals are sized by simulation; by how much is pinned here, so that a change that
  // widens it is seen.
  CHECK(tally[16.0][3] <= 6);
}

TEST_CASE("with decode faster at low occupancy, analytic sizing agrees with the simulation", "[queueing][serving]") {
  // Measured (docs/capacity.md): within one in 35 of 36 Poisson cases at f 0.5 and at f 0.2, and
  // 33 and 35 of 36 at scv 4. Every case further apart is the prompt-heavy mix with its prefill
  // about 94% busy, where one replica moves the simulated TTFT p95 from 3 s to 15-25 s: there the
  // closed form is short by 2 (3 once at scv 4).
  for (const double f : {0.5, 0.2}) {
    Tally tally = agreement_grid({1.0, 4.0}, f, 5000);
    CHECK(tally[1.0][2] >= 35);
    CHECK(tally[1.0][3] <= 2);
    CHECK(tally[4.0][2] >= 33);
    CHECK(tally[4.0][3] <= 3);
  }
}

TEST_CASE("a replica decodes faster while fewer sequences run, by the decode fixed share", "[queueing][serving]") {
  // m = 2, D = 200 tokens/s: 100 tokens/s a sequence at a full batch. No prefill (no prompt), so
  // only decode holds the slots. A (1000 tokens) runs alone from 0 to 3 s, then beside B; C
  // arrives at 3.5 s to a full pool and takes A's slot when A ends. Alone, a step takes
  // f + (1 - f) / 2 of a full batch's: A makes 3 s x 100 / (f + (1 - f) / 2) tokens by 3 s and the
  // rest at 100 tokens/s.
  PoolSimulationConfig c;
  c.replicas = 1;
  c.max_concurrency = 2;
  c.prefill_tokens_per_s = 1e6;
  c.decode_tokens_per_s = 200;
  c.prefill_busy_share = 0.0;
  const std::vector<TimedRequest> trace = {{0.0, {0, 1000}}, {3.0, {0, 1000}}, {3.5, {0, 10}}};
  for (const double f : {1.0, 0.5, 0.2}) {
    c.decode_fixed_share = f;
    const double alone_tokens = 3.0 * 100.0 / (f + (1.0 - f) / 2.0);
    const double a_ends_s = 3.0 + (1000.0 - alone_tokens) / 100.0;
    const PoolSimulationResult r = replay_pool(c, trace);
    INFO("f " << f);
    REQUIRE(r.requests == 3);
    // Waits are 0, 0 and C's: the mean is a third of C's.
    CHECK(r.mean_wait_s * 3.0 == Approx(a_ends_s - 3.5).epsilon(1e-12));
  }
}
