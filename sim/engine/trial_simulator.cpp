#include "trial_simulator.hpp"

#include <algorithm>
#include <cmath>

#include "tokencast/limits.hpp"
#include "tokencast/queueing.hpp"

namespace tokencast::detail {

TrialSimulator::TrialSimulator(const RunPlan& plan)
    : plan_(plan),
      workloads_(plan.workloads.size()),
      models_(plan.models.size()),
      capacity_(plan.capacity.size()),
      ledgers_(plan.capacity.size()),
      peaks_(plan.capacity.size()),
      hourly_(plan.models.size()),
      profile_scratch_(plan.workloads.size()),
      services_(plan.capacity.size()),
      peak_requests_(plan.capacity.size()),
      slo_rate_limits_(plan.capacity.size()),
      autoscaled_hours_at_max_(plan.capacity.size()),
      scores_(static_cast<std::size_t>(plan.correlated_inputs)) {
  for (std::size_t m = 0; m < plan.models.size(); ++m) {
    if (!plan.models[m].hourly) continue;
    const auto hours = static_cast<std::size_t>(plan.hours_per_month);
    // 72 doubles past the hours: consecutive arrays 576 bytes (mod 4 KiB) further apart each.
    hourly_[m].stride = hours + 72;
    hourly_[m].storage.assign(HourlyBuffers::arrays * hourly_[m].stride, 0.0);
  }
  for (std::size_t c = 0; c < plan.capacity.size(); ++c) {
    const CapacitySpec& spec = *plan.capacity[c].spec;
    if (spec.autoscale && spec.has_slo()) {
      slo_rate_limits_[c].assign(static_cast<std::size_t>(spec.autoscale->max_replicas + 1), SloRateLimit{});
    }
  }
}

// A figure of the trial: drawn on its own, or at its [[correlation]] normal score (its own law's
// quantile there; uncertain parameters drawn as always), or held at a value. The independent draw
// is still made and set aside, so the stream's later figures are the ones an uncorrelated run
// draws: diff and sensitivity pair them. A recorded input keeps its value in its column.
double TrialSimulator::draw_input(const Quantity& q, Rng& rng, const RunPlan::InputSlot& slot, std::int64_t trial,
                                  TrialColumns& columns) const {
  double value = 0;
  if (slot.held) {
    static_cast<void>(q.draw(rng));
    value = slot.value;
  } else if (slot.score < 0 || q.is_certain()) {
    value = q.draw(rng);
  } else {
    const Dist law = q.resolve(rng);
    static_cast<void>(law.sample(rng));
    value = law.from_normal_score(scores_[static_cast<std::size_t>(slot.score)]);
  }
  if (slot.column >= 0) columns.at(slot.column, trial) = value;
  return value;
}

void TrialSimulator::draw_parameters(std::int64_t trial, bool all_workloads, TrialColumns& columns) {
  const auto t = static_cast<std::uint64_t>(trial);
  // The correlated inputs' normal scores: L times independent normals, a stream per group.
  for (std::size_t g = 0; g < plan_.correlation_groups.size(); ++g) {
    const auto& group = plan_.correlation_groups[g];
    const std::vector<double>& l = group.spec->cholesky;
    const std::size_t n = group.spec->inputs.size();
    Rng rng = make_stream(plan_.seed, t, StreamPurpose::correlation, group.stream);
    boost::random::normal_distribution<double> normal;
    double* z = scores_.data() + group.first;
    for (std::size_t i = 0; i < n; ++i) z[i] = normal(rng);
    for (std::size_t i = n; i-- > 0;) {  // in place, last row first: row i reads only z[0..i]
      double sum = 0;
      for (std::size_t k = 0; k <= i; ++k) sum += l[i * n + k] * z[k];
      z[i] = sum;
    }
    if (group.held >= 0) {
      // Given the held input's score: z + Sigma[., h] (score - z_h) is drawn from the normals' law
      // given z_h = score (Sigma = L L^T, unit diagonal).
      const auto h = static_cast<std::size_t>(group.held);
      const double shift = group.held_score - z[h];
      for (std::size_t i = 0; i < n; ++i) {
        double sigma = 0;
        for (std::size_t k = 0; k <= std::min(i, h); ++k) sigma += l[i * n + k] * l[h * n + k];
        z[i] += sigma * shift;
      }
      z[h] = group.held_score;
    }
  }
  using F = CorrelatedInput::Field;
  auto input = [&](const Quantity& q, Rng& rng, const RunPlan::InputSlots& slots, F field) {
    return draw_input(q, rng, slots[static_cast<std::size_t>(field)], trial, columns);
  };
  for (std::size_t m = 0; m < models_.size(); ++m) {
    const ModelSpec& spec = *plan_.models[m].spec;
    Rng rng = make_stream(plan_.seed, t, StreamPurpose::scenario_parameters, plan_.model_streams[m], 0);
    ModelDraw& d = models_[m];
    const auto& slots = plan_.model_inputs[m];
    d.prices.input_usd_per_mtok = input(spec.input_usd_per_mtok, rng, slots, F::input_usd_per_mtok);
    d.prices.output_usd_per_mtok = input(spec.output_usd_per_mtok, rng, slots, F::output_usd_per_mtok);
    d.prices.cached_input_usd_per_mtok =
        spec.cached_input_usd_per_mtok
            ? input(*spec.cached_input_usd_per_mtok, rng, slots, F::cached_input_usd_per_mtok)
            : d.prices.input_usd_per_mtok;
    d.batch_discount = spec.batch_discount ? input(*spec.batch_discount, rng, slots, F::batch_discount) : 0.0;
  }
  for (std::size_t c = 0; c < capacity_.size(); ++c) {
    const CapacitySpec& spec = *plan_.capacity[c].spec;
    Rng rng = make_stream(plan_.seed, t, StreamPurpose::scenario_parameters, plan_.capacity_streams[c], 1);
    CapacityParams& p = capacity_[c];
    const auto& slots = plan_.capacity_inputs[c];
    p.usd_per_gpu_hour = input(spec.usd_per_gpu_hour, rng, slots, F::usd_per_gpu_hour);
    p.prefill_tokens_per_s = input(spec.prefill_tokens_per_s, rng, slots, F::prefill_tokens_per_s);
    p.decode_tokens_per_s = input(spec.decode_tokens_per_s, rng, slots, F::decode_tokens_per_s);
    p.max_utilization = input(spec.max_utilization, rng, slots, F::max_utilization);
    p.fixed_usd_per_month = input(spec.fixed_usd_per_month, rng, slots, F::fixed_usd_per_month);
    p.monthly_minimum_usd = input(spec.monthly_minimum_usd, rng, slots, F::monthly_minimum_usd);
  }
  for (std::size_t w = 0; w < workloads_.size(); ++w) {
    const WorkloadPlan& wp = plan_.workloads[w];
    if (!all_workloads && !wp.hourly) continue;
    const WorkloadSpec& spec = *wp.spec;
    Rng rng = make_stream(plan_.seed, t, StreamPurpose::workload_parameters, plan_.workload_streams[w]);
    WorkloadDraw& d = workloads_[w];
    const auto& slots = plan_.workload_inputs[w];
    d.requests_per_month = input(spec.requests_per_month, rng, slots, F::requests_per_month) * plan_.volume_multiplier;
    d.growth = input(spec.traffic.monthly_growth, rng, slots, F::monthly_growth);
    d.burstiness = input(spec.traffic.burstiness, rng, slots, F::burstiness);
    if (d.burstiness > 0) {
      const double shape = 1.0 / (d.burstiness * d.burstiness);
      d.burst = GammaVariate(shape, 1.0 / shape);
    }
    d.cached_share = input(spec.cached_input_share, rng, slots, F::cached_input_share);
    d.weekend_factor = input(spec.traffic.weekend_factor, rng, slots, F::weekend_factor);
    const double peak_to_mean = input(spec.traffic.daily_peak_to_mean, rng, slots, F::daily_peak_to_mean);
    const double peak_hour = input(spec.traffic.peak_hour, rng, slots, F::peak_hour);
    if (!wp.shape_certain) d.shape = daily_shape_of(spec.traffic, peak_to_mean, peak_hour);
    if (wp.tokens_certain) {
      d.input = wp.input;
      d.output = wp.output;
      d.images = wp.images;
      d.moments = wp.moments;
    } else {
      d.input = spec.input_tokens.resolve(rng);
      d.output = spec.output_tokens.resolve(rng);
      if (wp.normal_correlation != 0) {
        const Dist input_shape = d.input.shape(), output_shape = d.output.shape();
        if (!input_shape.same_law(d.input_shape) || !output_shape.same_law(d.output_shape)) {
          d.input_shape = input_shape;
          d.output_shape = output_shape;
          d.pearson = copula_pearson(input_shape, output_shape, wp.normal_correlation);
        }
      }
      // Drawn last in the stream: a scenario without images draws what it always did.
      if (spec.images_per_request) d.images = ImageTokens{spec.images_per_request->resolve(rng), wp.tokens_per_image};
      d.moments = token_moments(d.input, d.output, plan_.models[wp.model].spec->context_tokens,
                                wp.normal_correlation, d.pearson, d.images ? &*d.images : nullptr);
    }
  }
  draw_services();
}

void TrialSimulator::clear_hours(std::size_t model) {
  HourlyBuffers& b = hourly_[model];
  const std::size_t hours = static_cast<std::size_t>(plan_.hours_per_month);
  for (double* array : {b.input(), b.output(), b.serverless_usd(), b.requests(), b.prefill_input()}) {
    std::fill(array, array + hours, 0.0);
  }
}

void TrialSimulator::draw_services() {
  for (std::size_t c = 0; c < plan_.capacity.size(); ++c) {
    const CapacitySpec& spec = *plan_.capacity[c].spec;
    if (spec.max_concurrency <= 0) continue;
    // The model's request mix: its workloads' token moments weighted by their volumes.
    double volume = 0, in1 = 0, in2 = 0, out1 = 0, out2 = 0, in_out = 0, in_p95 = 0;
    for (int w : plan_.models[plan_.capacity[c].model].workloads) {
      const WorkloadDraw& d = workloads_[w];
      const TokenMoments& m = d.moments;
      volume += d.requests_per_month;
      // Prefix caching: each request's prefill covers its uncached share of the prompt.
      const double uncached = 1.0 - d.cached_share;
      in1 += d.requests_per_month * uncached * m.input_mean;
      in2 += d.requests_per_month * uncached * uncached * (m.input_variance + m.input_mean * m.input_mean);
      out1 += d.requests_per_month * m.output_mean;
      out2 += d.requests_per_month * (m.output_variance + m.output_mean * m.output_mean);
      in_out += d.requests_per_month * uncached * m.covariance;
      // The mixture's p95 lies below the largest of the workloads' p95s: a conservative bound.
      // Images add their tokens' p95: a sum of p95s, conservative like the bound itself.
      const double images_p95 = d.images ? d.images->tokens_per_image * std::nearbyint(d.images->count.quantile(0.95)) : 0.0;
      in_p95 = std::max(in_p95, uncached * (d.input.quantile(0.95) + images_p95));
    }
    ServiceProfile& s = services_[c];
    s.input_mean_tokens = volume > 0 ? in1 / volume : 0;
    s.input_variance = volume > 0 ? std::max(0.0, in2 / volume - s.input_mean_tokens * s.input_mean_tokens) : 0;
    s.output_mean_tokens = volume > 0 ? out1 / volume : 0;
    s.output_variance = volume > 0 ? std::max(0.0, out2 / volume - s.output_mean_tokens * s.output_mean_tokens) : 0;
    // The mix's covariance: the workloads' own, and their means' spread about the mix's (centred,
    // so that one workload's comes out exactly its own).
    for (int w : plan_.models[plan_.capacity[c].model].workloads) {
      const WorkloadDraw& d = workloads_[w];
      const double uncached = 1.0 - d.cached_share;
      in_out += d.requests_per_month * (uncached * d.moments.input_mean - s.input_mean_tokens) *
                (d.moments.output_mean - s.output_mean_tokens);
    }
    s.input_output_covariance = volume > 0 ? in_out / volume : 0;
    s.input_p95_tokens = in_p95;
    s.prefill_tokens_per_s = capacity_[c].prefill_tokens_per_s;
    s.decode_tokens_per_s = capacity_[c].decode_tokens_per_s;
    s.max_concurrency = spec.max_concurrency;
    s.decode_fixed_share = spec.decode_fixed_share;
  }
}

double peak_replicas_needed(const CapacitySpec& spec, double peak_work, double max_utilization, double peak_requests,
                            const ServiceProfile& service, const ArrivalProcess& arrivals) {
  double need = replicas_needed(peak_work, max_utilization);
  if (spec.has_slo() && spec.max_concurrency > 0 && peak_requests > 0) {
    const SloTarget target{spec.slo_wait_p95_s, spec.slo_ttft_p95_s};
    const SloSizingEstimate slo =
        replicas_for_slo(peak_requests / 3600.0, service.queue(), target, 1, limits::max_replicas, arrivals);
    switch (slo.outcome) {
      case SloOutcome::met:
        need = std::max(need, static_cast<double>(slo.replicas));
        break;
      case SloOutcome::over_limit:
        // More than the limit: at least the smallest stable pool, and past the limit.
        need = std::max({need, slo.stable_from_replicas, limits::max_replicas + 1.0});
        break;
      case SloOutcome::unreachable:
        // No pool meets it (reported as infeasible): it must not inflate the reservation.
        break;
    }
  }
  return need;
}

double TrialSimulator::peak_need(int c) {
  // Under bursty arrivals the objective is sized once, by simulation, at the sizing peak.
  if (plan_.capacity[c].slo_by_simulation) return replicas_needed(peaks_[c], capacity_[c].max_utilization);
  return peak_replicas_needed(*plan_.capacity[c].spec, peaks_[c], capacity_[c].max_utilization, peak_requests_[c],
                              services_[c], plan_.capacity[c].arrivals);
}

int TrialSimulator::autoscale_replicas(int c, double work, double requests) {
  const CapacitySpec& spec = *plan_.capacity[c].spec;
  const auto& scale = *spec.autoscale;
  int replicas = whole_replicas(replicas_needed(work, capacity_[c].max_utilization), scale.min_replicas,
                                scale.max_replicas);
  if (spec.has_slo() && spec.max_concurrency > 0 && requests > 0 && replicas < scale.max_replicas) {
    // Memoised within the trial (its request mix and throughputs are the trial's own): the highest
    // hourly request count each replica count can hold. An entry of an earlier trial is stale.
    std::vector<SloRateLimit>& limits = slo_rate_limits_[c];
    auto holds = [&](int r) {
      SloRateLimit& limit = limits[static_cast<std::size_t>(r)];
      if (limit.trial != current_trial_) {
        const SloQueue queue = services_[static_cast<std::size_t>(c)].queue();
        const SloTarget target{spec.slo_wait_p95_s, spec.slo_ttft_p95_s};
        const ArrivalProcess& arrivals = plan_.capacity[static_cast<std::size_t>(c)].arrivals;
        auto holds_hourly = [&](double per_hour) { return meets_slo(r, per_hour / 3600.0, queue, target, arrivals); };
        double lo = 0.0, hi = 1.0;
        while (holds_hourly(hi) && hi < 1e15) hi *= 2;
        for (int i = 0; i < 40; ++i) {
          const double mid = 0.5 * (lo + hi);
          (holds_hourly(mid) ? lo : hi) = mid;
        }
        limit = {current_trial_, lo};
      }
      return requests <= limit.requests;
    };
    int lo = std::max(replicas, scale.min_replicas), hi = scale.max_replicas;
    while (lo < hi) {
      const int mid = lo + (hi - lo) / 2;
      if (holds(mid)) hi = mid; else lo = mid + 1;
    }
    replicas = lo;
  }
  return std::clamp(replicas, scale.min_replicas, scale.max_replicas);
}

void TrialSimulator::serve_month(int c, std::size_t model) {
  const CapacitySpec& spec = *plan_.capacity[c].spec;
  const CapacityParams& p = capacity_[c];
  HourlyBuffers& b = hourly_[model];
  // A local ledger, written back at the end: its sums stay in registers rather than each hour's
  // addition waiting on the previous one's store.
  CapacityLedger ledger = ledgers_[c];
  const int hours = plan_.hours_per_month;
  const WorkPerToken rate = work_per_token(p);
  double peak = peaks_[c], peak_requests = peak_requests_[c];
  for (int h = 0; h < hours; ++h) {
    peak = std::max(peak, work_replica_seconds(rate, b.prefill_input()[h], b.output()[h]));
    peak_requests = std::max(peak_requests, b.requests()[h]);
  }
  peaks_[c] = peak;
  peak_requests_[c] = peak_requests;
  if (!spec.autoscale) {
    for (int h = 0; h < hours; ++h) {
      ledger.add_hour(work_replica_seconds(rate, b.prefill_input()[h], b.output()[h]), b.serverless_usd()[h], b.input()[h] + b.output()[h]);
    }
    ledgers_[c] = ledger;
    return;
  }
  // Each step reserves what its busiest hour needs, within [min_replicas, max_replicas].
  const int step = spec.autoscale->step_hours;
  for (int first = 0; first < hours; first += step) {
    const int last = std::min(hours, first + step);
    int replicas = spec.autoscale->min_replicas;
    for (int h = first; h < last; ++h) {
      replicas = std::max(replicas, autoscale_replicas(c, work_replica_seconds(rate, b.prefill_input()[h], b.output()[h]), b.requests()[h]));
    }
    const CapacityPlan step_plan = plan_replicas(spec, replicas);
    for (int h = first; h < last; ++h) {
      const double work = work_replica_seconds(rate, b.prefill_input()[h], b.output()[h]);
      ledger.add_hour(work, b.serverless_usd()[h], b.input()[h] + b.output()[h], step_plan);
      if (replicas >= spec.autoscale->max_replicas && work > step_plan.replicas * 3600.0 * p.max_utilization) {
        autoscaled_hours_at_max_[c] += 1.0;
      }
    }
  }
  ledgers_[c] = ledger;
}

const MonthProfile& TrialSimulator::profile(int w, int month) {
  const WorkloadPlan& wp = plan_.workloads[w];
  if (wp.shape_certain) return wp.profiles[month];
  profile_scratch_[w] = month_profile(workloads_[w].shape, workloads_[w].weekend_factor, plan_.calendars[month]);
  return profile_scratch_[w];
}

// The hour loops of simulate_month, each on locals and restrict arrays: a store to an array
// (doubles, like a draw's moments and prices) would otherwise make the compiler reload them all,
// and each loop keeps only what it needs in registers.
namespace {

// The month's hourly request rates, volume x the calendar hour's weight (MonthProfile::weight
// without its divisions), into `rates`.
void fill_hourly_rates(double* __restrict rates, long first_hour, int hours, double volume, const double* weekday,
                       const double* weekend) {
  int hour_of_day = static_cast<int>(first_hour % 24);
  long day = first_hour / 24;
  const double* day_weights = is_weekend(first_hour) ? weekend : weekday;
  for (int h = 0; h < hours; ++h) {
    rates[h] = volume * day_weights[hour_of_day];
    if (++hour_of_day == 24) {
      hour_of_day = 0;
      ++day;
      day_weights = day % 7 >= 5 ? weekend : weekday;
    }
  }
}

// Replaces each hour's rate by its request count: Poisson of the rate, times a Gamma burst factor
// when Bursty.
template <bool Bursty>
[[gnu::flatten]] void draw_counts_in_place(double* __restrict rates, int hours, const GammaVariate burst,
                                           Rng& traffic_rng) {
  Rng rng = traffic_rng;
  for (int h = 0; h < hours; ++h) {
    double rate = rates[h];
    if constexpr (Bursty) rate *= burst(rng);
    rates[h] = sample_poisson(rate, rng);
  }
  traffic_rng = rng;
}

// Each hour's input and output token sums, into `input_sums` and `output_sums`.
[[gnu::flatten]] void draw_token_sums(const double* __restrict counts, int hours, const TokenMoments moments,
                                      const Dist& input, const Dist& output, std::int64_t context, double exact_below,
                                      const std::atomic<bool>* cancel, const ImageTokens* images, Rng& token_rng,
                                      double* __restrict input_sums, double* __restrict output_sums) {
  Rng rng = token_rng;
  for (int h = 0; h < hours; ++h) {
    const RequestTokens s =
        sample_token_sums(counts[h], moments, input, output, context, rng, exact_below, cancel, images);
    input_sums[h] = s.input;
    output_sums[h] = s.output;
  }
  token_rng = rng;
}

struct HourlyTotals {
  RequestTokens tokens;
  double requests = 0;
};

// Adds one workload's month to the model's hourly arrays; returns its totals.
HourlyTotals add_to_model_hours(const double* __restrict counts, const double* __restrict input_sums,
                                const double* __restrict output_sums, int hours, const ServerlessTokenPrices price,
                                double* __restrict input, double* __restrict output, double* __restrict usd,
                                double* __restrict requests) {
  HourlyTotals totals;
  for (int h = 0; h < hours; ++h) {
    input[h] += input_sums[h];
    output[h] += output_sums[h];
    usd[h] += input_sums[h] * price.input_usd + output_sums[h] * price.output_usd;
    requests[h] += counts[h];
    totals.requests += counts[h];
    totals.tokens.input += input_sums[h];
    totals.tokens.output += output_sums[h];
  }
  return totals;
}

}  // namespace

RequestTokens TrialSimulator::simulate_month(int w, int month, double& requests) {
  const WorkloadPlan& wp = plan_.workloads[w];
  WorkloadDraw& d = workloads_[w];
  const MonthProfile& prof = profile(w, month);
  const double volume = d.requests_per_month * std::pow(1.0 + d.growth, month);
  const std::int64_t context = plan_.models[wp.model].spec->context_tokens;

  if (wp.hourly) {
    HourlyBuffers& buffers = hourly_[wp.model];
    // Counts first, then token sums: they come from separate streams, so the order of each
    // stream's draws is unchanged, and a token sum no longer waits on its hour's count.
    const int hours = plan_.hours_per_month;
    double* const counts = buffers.counts();
    fill_hourly_rates(counts, static_cast<long>(month) * hours, hours, volume, prof.weekday_weight.data(),
                      prof.weekend_weight.data());
    if (d.burstiness > 0) {
      draw_counts_in_place<true>(counts, hours, d.burst, d.traffic_rng);
    } else {
      draw_counts_in_place<false>(counts, hours, d.burst, d.traffic_rng);
    }
    draw_token_sums(counts, hours, d.moments, d.input, d.output, context, plan_.exact_below, plan_.cancel,
                    d.images ? &*d.images : nullptr, d.token_rng, buffers.input_sums(), buffers.output_sums());
    const ServerlessTokenPrices price = serverless_token_prices(models_[wp.model].prices, d.cached_share);
    const HourlyTotals totals = add_to_model_hours(counts, buffers.input_sums(), buffers.output_sums(), hours, price,
                                                   buffers.input(), buffers.output(), buffers.serverless_usd(),
                                                   buffers.requests());
    // Prefix caching: the cached share of the prompt is served without prefill work.
    const double uncached = 1.0 - d.cached_share;
    double* const prefill = buffers.prefill_input();
    const double* const input = buffers.input_sums();
    for (int h = 0; h < hours; ++h) prefill[h] += uncached * input[h];
    requests = totals.requests;
    return totals.tokens;
  }

  // Only the month's total is needed: the sum of the hourly Poisson(rate_h x G_h) counts is
  // Poisson(volume x Y), Y = sum w_h G_h, of mean 1 and variance cv^2 sum w_h^2; Y is drawn from a
  // Gamma with those two moments.
  double factor = 1.0;
  if (d.burstiness > 0) {
    const double variance = d.burstiness * d.burstiness * prof.sum_squared_weights;
    factor = sample_gamma(1.0 / variance, variance, d.traffic_rng);
  }
  requests = sample_poisson(volume * factor, d.traffic_rng);
  return sample_token_sums(requests, d.moments, d.input, d.output, context, d.token_rng, exact_sum_threshold, nullptr,
                           d.images ? &*d.images : nullptr);
}

void TrialSimulator::run_trial(std::int64_t trial, TrialColumns& cols, std::span<DeferredCapacity> deferred,
                               int first_month, int end_month) {
  if (end_month < 0) end_month = plan_.months;
  current_trial_ = trial;
  draw_parameters(trial, true, cols);
  const auto t = static_cast<std::uint64_t>(trial);
  // With slots, options costed after sizing keep their hours instead of a ledger.
  auto deferring = [&](int c) { return !deferred.empty() && plan_.capacity[c].deferred(plan_.replay); };
  for (std::size_t c = 0; c < deferred.size(); ++c) {
    deferred[c].clear();
    deferred[c].set_params(capacity_[c]);
  }

  for (std::size_t c = 0; c < plan_.capacity.size(); ++c) {
    ledgers_[c] = CapacityLedger(plan_.capacity[c].plan, capacity_[c], plan_.capacity[c].spec->overflow);
    peaks_[c] = 0.0;
    peak_requests_[c] = 0.0;
    autoscaled_hours_at_max_[c] = 0.0;
  }

  auto add = [&](const CostColumns& cc, int month, double usd) {
    cols.at(cc.total, trial) += usd;
    if (cc.first_month >= 0) cols.at(cc.month(month), trial) += usd;
  };

  for (int month = first_month; month < end_month; ++month) {
    // A trial of many workloads, or of many requests drawn one by one, can take seconds: once the
    // run is cancelled its values are discarded, so it stops here.
    if (plan_.cancel != nullptr && plan_.cancel->load(std::memory_order_relaxed)) return;
    for (std::size_t m = 0; m < plan_.models.size(); ++m) {
      const ModelPlan& mp = plan_.models[m];
      if (mp.hourly) {
        clear_hours(m);
      }
      const ModelDraw& model = models_[m];
      for (int w : mp.workloads) {
        const WorkloadPlan& wp = plan_.workloads[w];
        WorkloadDraw& d = workloads_[w];
        d.traffic_rng = make_stream(plan_.seed, t, StreamPurpose::traffic, plan_.workload_streams[w], month);
        d.token_rng = make_stream(plan_.seed, t, StreamPurpose::tokens, plan_.workload_streams[w], month);
        double requests = 0;
        const RequestTokens s = simulate_month(w, month, requests);
        const double serverless = serverless_cost_usd(model.prices, s.input, s.output, d.cached_share);
        cols.at(wp.requests_col, trial) += requests;
        cols.at(wp.input_col, trial) += s.input;
        cols.at(wp.output_col, trial) += s.output;
        cols.at(mp.tokens_col, trial) += s.input + s.output;
        add(wp.serverless, month, serverless);
        add(mp.serverless, month, serverless);
        add(plan_.total_serverless, month, serverless);
        if (mp.batch) {
          const double batch = wp.batch ? batch_cost_usd(serverless, model.batch_discount) : serverless;
          if (wp.batch) {
            add(wp.batch_cost, month, batch);
            cols.at(mp.batch_peak_day_first_month + month, trial) += (s.input + s.output) * profile(w, month).max_day_share;
          }
          add(mp.batch_cost, month, batch);
        }
        if (plan_.any_batch) add(plan_.total_batch, month, mp.batch ? 0.0 : serverless);
      }
      for (int c : mp.capacity) {
        if (deferring(c)) {
          defer_month(c, m, month, deferred[static_cast<std::size_t>(c)]);
          continue;
        }
        const double overflow_before = ledgers_[c].overflow_usd();
        serve_month(c, m);
        const double month_usd =
            ledgers_[c].close_month(capacity_[c].monthly_minimum_usd) + ledgers_[c].overflow_usd() - overflow_before;
        add(plan_.capacity[c].cost, month, month_usd);
      }
    }
  }

  // Batch totals per model were added per workload; the scenario total takes each model's batch plan.
  if (plan_.any_batch) {
    for (const ModelPlan& mp : plan_.models) {
      if (!mp.batch) continue;
      cols.at(plan_.total_batch.total, trial) += cols.at(mp.batch_cost.total, trial);
      if (plan_.total_batch.first_month >= 0) {
        for (int month = first_month; month < end_month; ++month) {
          cols.at(plan_.total_batch.month(month), trial) += cols.at(mp.batch_cost.month(month), trial);
        }
      }
    }
  }

  for (std::size_t c = 0; c < plan_.capacity.size(); ++c) {
    const CapacityOptionPlan& option = plan_.capacity[c];
    const CapacityLedger& ledger = ledgers_[c];
    cols.at(option.peak_needed_col, trial) = peak_need(static_cast<int>(c));
    if (option.slo_rate_col >= 0) {
      const ServiceProfile& service = services_[c];
      cols.at(option.slo_rate_col, trial) = peak_requests_[c] / 3600.0;
      cols.at(option.slo_service_col, trial) = service.mean_service_s();
      cols.at(option.slo_scv_col, trial) = service.service_scv();
      cols.at(option.slo_prefill_p95_col, trial) = service.prefill_p95_s();
      cols.at(option.slo_prefill_mean_col, trial) = service.prefill_mean_s();
      cols.at(option.slo_prefill_scv_col, trial) = service.prefill_scv();
    }
    if (deferring(static_cast<int>(c))) continue;
    write_ledger_columns(option, ledger, trial, cols);
    if (option.autoscale_replica_hours_col >= 0) {
      cols.at(option.autoscale_replica_hours_col, trial) = ledger.full_capacity_seconds() / 3600.0;
      cols.at(option.autoscale_hours_at_max_col, trial) = autoscaled_hours_at_max_[c];
      // Against the fixed reservation, known once the run is sized.
      if (deferred.empty() || !option.auto_sized()) {
        cols.at(option.autoscale_saved_col, trial) =
            autoscale_saving_usd(option, capacity_[c], plan_.months, plan_.hours_per_month, ledger.capacity_usd());
      }
    }
  }
}

void TrialSimulator::defer_month(int c, std::size_t model, int month, DeferredCapacity& deferred) {
  const CapacityParams& p = capacity_[c];
  HourlyBuffers& b = hourly_[model];
  const WorkPerToken rate = work_per_token(p);
  double peak = peaks_[c], peak_requests = peak_requests_[c];
  deferred.add_hours(plan_.hours_per_month, [&](int h) {
    const double work = work_replica_seconds(rate, b.prefill_input()[h], b.output()[h]);
    peak = std::max(peak, work);
    peak_requests = std::max(peak_requests, b.requests()[h]);
    return DeferredCapacity::Hour{work, b.serverless_usd()[h], b.input()[h] + b.output()[h], month};
  });
  peaks_[c] = peak;
  peak_requests_[c] = peak_requests;
  if (recorded_ == nullptr) return;
  auto& hours = (*recorded_)[static_cast<std::size_t>(c)];
  for (int h = 0; h < plan_.hours_per_month; ++h) {
    hours.push_back({work_replica_seconds(rate, b.prefill_input()[h], b.output()[h]), b.serverless_usd()[h], b.input()[h] + b.output()[h], month});
  }
}

}  // namespace tokencast::detail
