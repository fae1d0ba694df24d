#include "capacity_sizing.hpp"

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tokencast/limits.hpp"
#include "tokencast/queueing.hpp"

namespace tokencast::detail {
namespace {

// The latency sizing as reported: the capacity_quantile of the trials' peak-hour arrival rate, the
// mean service profile, the fewest replicas meeting the objective there, and the predicted waits
// at the replicas reserved.
SloSizing slo_sizing(const RunPlan& plan, const CapacityOptionPlan& option) {
  const TrialColumns& cols = plan.columns;
  std::vector<double> rates(cols.column(option.slo_rate_col).begin(), cols.column(option.slo_rate_col).end());
  SloSizing s;
  s.peak_arrival_rate_per_s = quantile_by_selection(rates, option.spec->capacity_quantile);
  s.mean_service_s = mean_of(cols.column(option.slo_service_col));
  s.service_scv = mean_of(cols.column(option.slo_scv_col));
  s.prefill_p95_s = mean_of(cols.column(option.slo_prefill_p95_col));
  s.prefill_mean_s = mean_of(cols.column(option.slo_prefill_mean_col));
  s.prefill_scv = mean_of(cols.column(option.slo_prefill_scv_col));
  const SloQueue queue{.mean_service_s = s.mean_service_s,
                       .service_scv = s.service_scv,
                       .prefill_mean_s = s.prefill_mean_s,
                       .prefill_scv = s.prefill_scv,
                       .prefill_p95_s = s.prefill_p95_s,
                       .max_concurrency = option.spec->max_concurrency};
  const SloTarget target{option.spec->slo_wait_p95_s, option.spec->slo_ttft_p95_s};
  const SloSizingEstimate fewest = replicas_for_slo(s.peak_arrival_rate_per_s, queue, target, 1, limits::max_replicas);
  s.feasible = fewest.feasible;
  s.reachable = fewest.outcome != SloOutcome::unreachable;
  s.replicas = fewest.feasible ? fewest.replicas : 0;
  const ServingEstimate at_plan = estimate_serving(std::max(1, option.plan.replicas), s.peak_arrival_rate_per_s, queue);
  s.stable = at_plan.stable && option.plan.replicas >= 1;
  s.utilization = at_plan.utilization;
  s.wait_probability = at_plan.wait_probability;
  s.wait_p95_s = at_plan.wait_p95_s;
  s.ttft_p95_s = at_plan.ttft_p95_s;
  return s;
}

// Why an option's sizing asked for more than the model can give; empty when it did not.
std::string infeasible_reason(const CapacityOptionPlan& option, const std::optional<SloSizing>& slo) {
  if (slo && !slo->reachable) {
    return fmt::format("no replica count meets the latency objective: the ttft_p95_s target of {:g} s is below the "
                       "prefill p95 of {:.3g} s",
                       option.spec->slo_ttft_p95_s.value_or(0.0), slo->prefill_p95_s);
  }
  if (!option.sizing_feasible) {
    return fmt::format("the busiest hour needs {:.4g} replicas (capacity_quantile {:g} of the trials), more than the "
                       "{} a reservation may hold: {} are reserved and the rest overflows",
                       option.sizing_replicas_needed, option.spec->capacity_quantile, limits::max_replicas,
                       option.plan.replicas);
  }
  if (slo && !slo->feasible) {
    return fmt::format("the latency objective needs more than {} replicas at the sizing peak of {:.4g} requests/s",
                       limits::max_replicas, slo->peak_arrival_rate_per_s);
  }
  return {};
}

}  // namespace

void capacity_result(SummaryBatch& batch, const RunPlan& plan, const CapacityOptionPlan& option, CapacityResult& r) {
  const TrialColumns& cols = plan.columns;
  r.kind = option.spec->kind;
  r.name = option.spec->name;
  r.gpu = option.spec->gpu;
  r.throughput = option.spec->throughput_estimate;
  r.auto_sized = option.auto_sized();
  r.plan = option.plan;
  r.sizing_replicas_needed = option.sizing_replicas_needed;
  r.overflow = option.spec->overflow;
  batch.add([&plan, &option, &r](std::vector<double>&) {
    if (option.slo_rate_col >= 0) r.slo = slo_sizing(plan, option);
    r.infeasible_reason = infeasible_reason(option, r.slo);
    r.feasible = r.infeasible_reason.empty();
  });
  batch.summary(cols.column(option.utilization_col), r.utilization);
  batch.summary(cols.column(option.overflow_share_col), r.overflow_share);
  batch.summary(cols.column(option.usd_per_mtok_col), r.usd_per_mtok);
  batch.summary(cols.column(option.peak_needed_col), r.peak_replicas_needed);
  if (option.autoscale_replica_hours_col >= 0) {
    AutoscaleResult& a = r.autoscale.emplace();
    a.min_replicas = option.spec->autoscale->min_replicas;
    a.max_replicas = option.spec->autoscale->max_replicas;
    a.step_hours = option.spec->autoscale->step_hours;
    batch.summary(cols.column(option.autoscale_replica_hours_col), a.replica_hours);
    batch.summary(cols.column(option.autoscale_saved_col), a.saved_usd);
    batch.summary(cols.column(option.autoscale_hours_at_max_col), a.hours_at_max_overflowing);
  }
}

}  // namespace tokencast::detail
