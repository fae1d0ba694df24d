// The latency rule sized by simulation (docs/capacity.md, "Bursts below the hour").
#include "tokencast/simulated_sizing.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tokencast {

double simulation_horizon_s(const ArrivalProcess& arrivals, double rate_per_s) {
  constexpr double kCycles = 300, kMinArrivals = 200000, kMaxArrivals = 1e7;
  double span_s = kMinArrivals / rate_per_s;
  if (const double switching = arrivals.switching_rate_per_s(); switching > 0) {
    span_s = std::max(span_s, kCycles * (arrivals.mean_on_s + arrivals.mean_off_s()));
  }
  return std::min(span_s, kMaxArrivals / rate_per_s);
}

SimulatedSizing replicas_for_slo_by_simulation(const SimulatedSizingInput& input, int start, int max_replicas) {
  if (!(input.pool.arrival_rate_per_s > 0) || max_replicas < 1) {
    throw std::invalid_argument("replicas_for_slo_by_simulation: need a rate > 0 and max_replicas >= 1");
  }
  SimulatedSizing out;
  const double rate = input.pool.arrival_rate_per_s;
  out.measured_s = simulation_horizon_s(input.pool.arrivals, rate);
  auto simulate = [&](int replicas) {
    PoolSimulationConfig c = input.pool;
    c.replicas = replicas;
    c.duration_s = out.measured_s;
    c.warmup_s = 0.05 * out.measured_s;
    Rng rng = input.rng;
    ++out.evaluations;
    return simulate_pool(c, input.sample_request, rng);
  };
  auto meets = [&](const PoolSimulationResult& r) {
    return (!input.slo.wait_p95_s || r.wait_p95_s <= *input.slo.wait_p95_s) &&
           (!input.slo.ttft_p95_s || r.ttft_p95_s <= *input.slo.ttft_p95_s);
  };
  // failing < success, each known by simulation (failing 0: no pool).
  int failing = 0, success = 0;
  PoolSimulationResult at_success;
  int r = std::clamp(start, 1, max_replicas);
  PoolSimulationResult first = simulate(r);
  if (meets(first)) {
    success = r;
    at_success = first;
    for (int step = 1; success > 1;) {
      const int next = std::max(1, success - step);
      PoolSimulationResult s = simulate(next);
      if (!meets(s)) {
        failing = next;
        break;
      }
      success = next;
      at_success = s;
      step *= 2;
    }
  } else {
    failing = r;
    for (int step = 1;;) {
      if (failing >= max_replicas) {
        out.replicas = max_replicas;
        out.at = failing == r ? first : simulate(max_replicas);
        return out;
      }
      const int next = std::min(max_replicas, failing + step);
      PoolSimulationResult s = simulate(next);
      if (meets(s)) {
        success = next;
        at_success = s;
        break;
      }
      failing = next;
      step *= 2;
    }
  }
  while (success - failing > 1) {
    const int mid = failing + (success - failing) / 2;
    PoolSimulationResult s = simulate(mid);
    if (meets(s)) {
      success = mid;
      at_success = s;
    } else {
      failing = mid;
    }
  }
  out.met = true;
  out.replicas = success;
  out.at = at_success;
  return out;
}

}  // namespace tokencast
