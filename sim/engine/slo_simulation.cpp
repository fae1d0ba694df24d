#include "slo_simulation.hpp"

#include <vector>

#include "tokencast/limits.hpp"
#include "tokencast/random.hpp"
#include "tokencast/summary.hpp"
#include "tokencast/token_moments.hpp"

namespace tokencast::detail {
namespace {

// A figure's mean over 1024 draws of its own stream (its constant when certain).
double mean_figure(const Quantity& q, Rng rng) {
  if (q.is_certain()) return q.constant();
  constexpr int kDraws = 1024;
  double total = 0;
  for (int i = 0; i < kDraws; ++i) total += q.draw(rng);
  return total / kDraws;
}

}  // namespace

double sizing_peak_rate(const RunPlan& plan, const CapacityOptionPlan& option) {
  const auto column = plan.columns.column(option.slo_rate_col);
  std::vector<double> rates(column.begin(), column.end());
  return quantile_by_selection(rates, option.spec->capacity_quantile);
}

SloQueue mean_slo_queue(const RunPlan& plan, const CapacityOptionPlan& option) {
  const TrialColumns& cols = plan.columns;
  return {.mean_service_s = mean_of(cols.column(option.slo_service_col)),
          .service_scv = mean_of(cols.column(option.slo_scv_col)),
          .prefill_mean_s = mean_of(cols.column(option.slo_prefill_mean_col)),
          .prefill_scv = mean_of(cols.column(option.slo_prefill_scv_col)),
          .prefill_p95_s = mean_of(cols.column(option.slo_prefill_p95_col)),
          .max_concurrency = option.spec->max_concurrency,
          .decode_fixed_share = option.spec->decode_fixed_share};
}

SimulatedSlo simulate_slo_sizing(const RunPlan& plan, const CapacityOptionPlan& option) {
  const CapacitySpec& spec = *option.spec;
  const auto index = plan.capacity_streams[static_cast<std::size_t>(&option - plan.capacity.data())];
  SimulatedSlo out;
  out.peak_arrival_rate_per_s = sizing_peak_rate(plan, option);
  const SloQueue queue = mean_slo_queue(plan, option);
  const SloTarget target{spec.slo_wait_p95_s, spec.slo_ttft_p95_s};
  const SloSizingEstimate analytic =
      replicas_for_slo(out.peak_arrival_rate_per_s, queue, target, 1, limits::max_replicas, option.arrivals);
  out.analytic_replicas = analytic.replicas;
  if (!(out.peak_arrival_rate_per_s > 0) || analytic.outcome == SloOutcome::unreachable) return out;

  // Requests come from the model's workloads in proportion to their mean volumes; uncertain token
  // laws are drawn afresh for each request (their predictive law).
  struct Source {
    const WorkloadPlan* plan;
    double cumulative;
    double uncached;  // the prompt's share that needs prefill (prefix caching)
  };
  std::vector<Source> sources;
  double total = 0;
  for (const WorkloadPlan& w : plan.workloads) {
    if (w.model != option.model) continue;
    total += mean_of(plan.columns.column(w.requests_col));
    const auto w_index = plan.workload_streams[static_cast<std::size_t>(&w - plan.workloads.data())];
    sources.push_back({&w, total,
                       1.0 - mean_figure(w.spec->cached_input_share,
                                         make_stream(plan.seed, 0, StreamPurpose::capacity_sizing, index, 3 + w_index))});
  }
  const std::int64_t context = plan.models[static_cast<std::size_t>(option.model)].spec->context_tokens;
  SimulatedSizingInput input;
  input.sample_request = [sources, total, context](Rng& rng) {
    const double u = rng.uniform01() * total;
    std::size_t i = 0;
    while (i + 1 < sources.size() && u >= sources[i].cumulative) ++i;
    const WorkloadPlan& w = *sources[i].plan;
    RequestTokens tokens;
    if (w.tokens_certain) {
      tokens = sample_request_tokens(w.input, w.output, context, rng, w.normal_correlation, w.images ? &*w.images : nullptr);
    } else {
      const Dist input_law = w.spec->input_tokens.resolve(rng), output_law = w.spec->output_tokens.resolve(rng);
      std::optional<ImageTokens> images;
      if (w.spec->images_per_request) images = ImageTokens{w.spec->images_per_request->resolve(rng), w.tokens_per_image};
      tokens = sample_request_tokens(input_law, output_law, context, rng, w.normal_correlation, images ? &*images : nullptr);
    }
    tokens.input *= sources[i].uncached;
    return tokens;
  };
  PoolSimulationConfig& pool = input.pool;
  pool.max_concurrency = spec.max_concurrency;
  pool.arrival_rate_per_s = out.peak_arrival_rate_per_s;
  pool.arrivals = option.arrivals;
  pool.prefill_tokens_per_s = mean_figure(spec.prefill_tokens_per_s,
                                          make_stream(plan.seed, 0, StreamPurpose::capacity_sizing, index, 1));
  pool.decode_tokens_per_s = mean_figure(spec.decode_tokens_per_s,
                                         make_stream(plan.seed, 0, StreamPurpose::capacity_sizing, index, 2));
  pool.decode_fixed_share = spec.decode_fixed_share;
  pool.context_tokens = context;
  input.slo = target;
  input.rng = make_stream(plan.seed, 0, StreamPurpose::capacity_sizing, index, 0);
  const int start = analytic.feasible ? analytic.replicas : static_cast<int>(std::min<double>(
                                                                 analytic.stable_from_replicas, limits::max_replicas));
  out.sizing = replicas_for_slo_by_simulation(input, start, limits::max_replicas);
  return out;
}

}  // namespace tokencast::detail
