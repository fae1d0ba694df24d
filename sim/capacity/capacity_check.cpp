#include "tokencast/capacity_check.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/random.hpp"

namespace tokencast {
namespace {

const CapacityResult* find_option(const RunResult& result, const CapacitySpec& spec) {
  for (const ModelResult& m : result.models) {
    if (m.model != spec.model) continue;
    const auto& option = spec.kind == CapacityKind::dedicated ? m.dedicated : m.gpu_cluster;
    if (option && option->name == spec.name) return &*option;
  }
  return nullptr;
}

// Refuses up front a simulation that would draw too many arrivals or hold too much memory.
void check_simulation_size(const Scenario& scenario, const RunResult& result, int replications) {
  double requests = 0, bytes = 0, slots = 0;
  std::string largest;
  double largest_requests = -1;
  for (const CapacitySpec& spec : scenario.capacity) {
    const CapacityResult* sized = find_option(result, spec);
    if (spec.max_concurrency <= 0 || sized == nullptr || !sized->slo) continue;
    PoolSimulationConfig config;
    config.replicas = sized->plan.replicas;
    config.max_concurrency = spec.max_concurrency;
    config.arrival_rate_per_s = sized->slo->peak_arrival_rate_per_s;
    const PoolSimulationCost cost = pool_simulation_cost(config);
    requests += cost.requests * replications;
    bytes = std::max(bytes, cost.bytes);
    slots = std::max(slots, static_cast<double>(config.replicas) * config.max_concurrency);
    if (cost.requests > largest_requests) {
      largest_requests = cost.requests;
      largest = fmt::format("{} '{}'", to_string(spec.kind), spec.name);
    }
  }
  if (slots > max_pool_slots) {
    throw ResourceLimitError(
        scenario.file, fmt::format("--simulate would hold {:.3g} sequence slots (replicas x max_concurrency), more "
                                   "than the {:.0e} it simulates; the analytic sizing stands alone (run without "
                                   "--simulate)",
                                   slots, max_pool_slots));
  }
  if (requests <= max_simulated_requests && bytes <= max_simulation_bytes) return;
  const auto fit = static_cast<int>(std::min(max_simulated_requests / std::max(1.0, requests / replications), 1e9));
  throw ResourceLimitError(
      scenario.file,
      fmt::format("--simulate would draw about {:.3g} arrivals ({} replications of each option's peak hour; the "
                  "largest, {}, {:.3g} an hour) and hold {:.3g} GiB, more than the limits of {:.0e} arrivals and "
                  "{:.0f} GiB; {}",
                  requests, replications, largest, largest_requests, bytes / (1 << 30), max_simulated_requests,
                  max_simulation_bytes / (1 << 30),
                  fit >= 1 && bytes <= max_simulation_bytes
                      ? fmt::format("use --replications {}", fit)
                      : std::string("the peak hour is too large to simulate: the analytic sizing stands alone "
                                    "(run without --simulate)")));
}

}  // namespace

std::vector<PoolCheck> check_capacity(const Scenario& scenario, const RunResult& result, int replications,
                                      std::optional<double> arrival_scv, std::uint64_t seed,
                                      const std::atomic<bool>* cancel) {
  check_simulation_size(scenario, result, replications);
  std::vector<PoolCheck> checks;
  for (std::size_t c = 0; c < scenario.capacity.size(); ++c) {
    const CapacitySpec& spec = scenario.capacity[c];
    const CapacityResult* sized = find_option(result, spec);
    if (spec.max_concurrency <= 0 || sized == nullptr || !sized->slo) continue;
    const SloSizing& slo = *sized->slo;

    PoolCheck check;
    check.model = spec.model;
    check.option = spec.name;
    check.kind = spec.kind;
    check.replicas = sized->plan.replicas;
    check.max_concurrency = spec.max_concurrency;
    check.arrival_rate_per_s = slo.peak_arrival_rate_per_s;
    const ArrivalProcess arrivals =
        arrival_scv ? ArrivalProcess::renewal_with_scv(*arrival_scv) : scenario.arrivals_of(spec.model);
    check.arrival_scv = interarrival_scv(arrivals, slo.peak_arrival_rate_per_s);
    check.arrivals = arrivals.describe();
    const SloQueue queue{.mean_service_s = slo.mean_service_s,
                         .service_scv = slo.service_scv,
                         .prefill_mean_s = slo.prefill_mean_s,
                         .prefill_scv = slo.prefill_scv,
                         .prefill_p95_s = slo.prefill_p95_s,
                         .max_concurrency = spec.max_concurrency,
                         .decode_fixed_share = spec.decode_fixed_share};
    check.analytic = estimate_serving(std::max(1, check.replicas), check.arrival_rate_per_s, queue, arrivals);
    check.analytic_ttft_p95_s = check.analytic.ttft_p95_s;
    if (!(check.arrival_rate_per_s > 0)) {
      checks.push_back(check);
      continue;
    }

    const ModelSpec* model = nullptr;
    for (const ModelSpec& m : scenario.models) {
      if (m.id == spec.model) model = &m;
    }
    std::vector<const WorkloadSpec*> workloads;
    for (const WorkloadSpec& w : scenario.workloads) {
      if (w.model == spec.model) workloads.push_back(&w);
    }

    std::vector<double> mean_waits;
    for (int r = 0; r < replications; ++r) {
      // Each replication draws the uncertain figures afresh, as one trial would.
      Rng rng = make_stream(seed, static_cast<std::uint64_t>(r), StreamPurpose::capacity_check, c);
      std::vector<Dist> inputs, outputs;
      std::vector<double> cumulative, uncached, correlations;
      std::vector<std::optional<ImageTokens>> images;
      double total = 0;
      for (const WorkloadSpec* w : workloads) {
        total += w->requests_per_month.draw(rng);
        cumulative.push_back(total);
        inputs.push_back(w->input_tokens.resolve(rng));
        outputs.push_back(w->output_tokens.resolve(rng));
        correlations.push_back(normal_correlation_of_spearman(w->input_output_correlation));
        images.emplace_back();
        if (w->images_per_request) {
          images.back() = ImageTokens{w->images_per_request->resolve(rng), model->tokens_per_image.value_or(0.0)};
        }
        uncached.push_back(1.0 - w->cached_input_share.draw(rng));  // prefix caching spares prefill
      }
      PoolSimulationConfig config;
      config.replicas = check.replicas;
      config.max_concurrency = spec.max_concurrency;
      config.arrival_rate_per_s = check.arrival_rate_per_s;
      config.arrivals = arrivals;
      config.prefill_tokens_per_s = spec.prefill_tokens_per_s.draw(rng);
      config.decode_tokens_per_s = spec.decode_tokens_per_s.draw(rng);
      config.decode_fixed_share = spec.decode_fixed_share;
      config.context_tokens = model->context_tokens;
      config.cancel = cancel;
      // A request comes from each workload in proportion to its volume.
      const RequestSampler mix = [&](Rng& g) {
        const double u = g.uniform01() * total;
        std::size_t i = 0;
        while (i + 1 < cumulative.size() && u >= cumulative[i]) ++i;
        RequestTokens tokens = sample_request_tokens(inputs[i], outputs[i], config.context_tokens, g, correlations[i],
                                                     images[i] ? &*images[i] : nullptr);
        tokens.input *= uncached[i];
        return tokens;
      };
      const PoolSimulationResult sim = simulate_pool(config, mix, rng);
      const double k = 1.0 / replications;
      check.requests += sim.requests;
      check.mean_wait_s += k * sim.mean_wait_s;
      check.wait_probability += k * sim.wait_probability;
      check.wait_p50_s += k * sim.wait_p50_s;
      check.wait_p95_s += k * sim.wait_p95_s;
      check.wait_p99_s += k * sim.wait_p99_s;
      check.ttft_p50_s += k * sim.ttft_p50_s;
      check.ttft_p95_s += k * sim.ttft_p95_s;
      check.ttft_p99_s += k * sim.ttft_p99_s;
      check.utilization += k * sim.utilization;
      mean_waits.push_back(sim.mean_wait_s);
    }
    check.replications = replications;
    if (replications > 1) {
      double squares = 0;
      for (double w : mean_waits) squares += (w - check.mean_wait_s) * (w - check.mean_wait_s);
      check.mean_wait_se_s = std::sqrt(squares / (replications - 1) / replications);
    }
    checks.push_back(check);
  }
  return checks;
}

std::vector<ReplayCheck> replay_capacity(const Scenario& scenario, const RunResult& result,
                                         std::span<const TimedRequest> requests, int replications, std::uint64_t seed,
                                         const std::atomic<bool>* cancel) {
  std::vector<ReplayCheck> checks;
  double total_requests = 0;
  for (std::size_t c = 0; c < scenario.capacity.size(); ++c) {
    const CapacitySpec& spec = scenario.capacity[c];
    const CapacityResult* sized = find_option(result, spec);
    if (spec.max_concurrency <= 0 || sized == nullptr) continue;
    ReplayCheck check;
    check.model = spec.model;
    check.option = spec.name;
    check.kind = spec.kind;
    check.max_concurrency = spec.max_concurrency;
    check.chosen_replicas = sized->plan.replicas;
    check.slo_wait_p95_s = spec.slo_wait_p95_s;
    check.slo_ttft_p95_s = spec.slo_ttft_p95_s;
    const bool certain = spec.prefill_tokens_per_s.is_certain() && spec.decode_tokens_per_s.is_certain();
    check.replications = certain ? 1 : replications;
    const double slots = static_cast<double>(check.chosen_replicas + 1) * spec.max_concurrency;
    if (slots > max_pool_slots) {
      throw ResourceLimitError(scenario.file, fmt::format("--replay would hold {:.3g} sequence slots for '{}', more "
                                                          "than the {:.0e} it simulates",
                                                          slots, spec.name, max_pool_slots));
    }
    total_requests += 3.0 * check.replications * static_cast<double>(requests.size());
    checks.push_back(std::move(check));
  }
  const double bytes = 16.0 * static_cast<double>(requests.size());
  if (total_requests > max_simulated_requests || bytes > max_simulation_bytes) {
    throw ResourceLimitError(scenario.file,
                             fmt::format("--replay would simulate {:.3g} requests ({} in the trace), more than the limit "
                                         "of {:.0e}; replay a shorter trace or a smaller --scale",
                                         total_requests, requests.size(), max_simulated_requests));
  }

  std::size_t index = 0;
  for (ReplayCheck& check : checks) {
    while (scenario.capacity[index].name != check.option) ++index;
    const CapacitySpec& spec = scenario.capacity[index];
    for (int replicas = std::max(1, check.chosen_replicas - 1); replicas <= check.chosen_replicas + 1; ++replicas) {
      ReplayPoint point;
      point.replicas = replicas;
      PoolSimulationResult& mean = point.simulated;
      const double k = 1.0 / check.replications;
      for (int r = 0; r < check.replications; ++r) {
        // The same throughput draws at every replica count (common random numbers).
        Rng rng = make_stream(seed, static_cast<std::uint64_t>(r), StreamPurpose::capacity_check, index, 1);
        PoolSimulationConfig config;
        config.replicas = replicas;
        config.max_concurrency = spec.max_concurrency;
        config.prefill_tokens_per_s = spec.prefill_tokens_per_s.draw(rng);
        config.decode_tokens_per_s = spec.decode_tokens_per_s.draw(rng);
        config.decode_fixed_share = spec.decode_fixed_share;
        config.cancel = cancel;
        const PoolSimulationResult sim = replay_pool(config, requests);
        mean.requests = sim.requests;
        mean.mean_wait_s += k * sim.mean_wait_s;
        mean.wait_probability += k * sim.wait_probability;
        mean.wait_p50_s += k * sim.wait_p50_s;
        mean.wait_p95_s += k * sim.wait_p95_s;
        mean.wait_p99_s += k * sim.wait_p99_s;
        mean.ttft_p50_s += k * sim.ttft_p50_s;
        mean.ttft_p95_s += k * sim.ttft_p95_s;
        mean.ttft_p99_s += k * sim.ttft_p99_s;
        mean.utilization += k * sim.utilization;
        mean.mean_wait_se_s += k * sim.mean_wait_se_s;
        mean.wait_probability_se += k * sim.wait_probability_se;
      }
      if (check.slo_wait_p95_s || check.slo_ttft_p95_s) {
        point.objective_met = (!check.slo_wait_p95_s || mean.wait_p95_s <= *check.slo_wait_p95_s) &&
                              (!check.slo_ttft_p95_s || mean.ttft_p95_s <= *check.slo_ttft_p95_s);
      }
      check.points.push_back(point);
    }
  }
  return checks;
}

}  // namespace tokencast
