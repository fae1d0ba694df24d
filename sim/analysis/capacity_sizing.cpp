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
  SloSizing s;
  s.peak_arrival_rate_per_s = sizing_peak_rate(plan, option);
  const SloQueue queue = mean_slo_queue(plan, option);
  s.mean_service_s = queue.mean_service_s;
  s.service_scv = queue.service_scv;
  s.prefill_p95_s = queue.prefill_p95_s;
  s.prefill_mean_s = queue.prefill_mean_s;
  s.prefill_scv = queue.prefill_scv;
  s.decode_fixed_share = queue.decode_fixed_share;
  const ArrivalProcess& arrivals = option.arrivals;
  s.arrivals = arrivals.describe();
  s.interarrival_scv = interarrival_scv(arrivals, s.peak_arrival_rate_per_s);
  s.dispersion_index_60s = dispersion_index(arrivals, s.peak_arrival_rate_per_s, 60.0);
  const SloTarget target{option.spec->slo_wait_p95_s, option.spec->slo_ttft_p95_s};
  const SloSizingEstimate fewest =
      replicas_for_slo(s.peak_arrival_rate_per_s, queue, target, 1, limits::max_replicas, arrivals);
  s.feasible = fewest.feasible;
  s.reachable = fewest.outcome != SloOutcome::unreachable;
  s.replicas = fewest.feasible ? fewest.replicas : 0;
  const ServingEstimate at_plan =
      estimate_serving(std::max(1, option.plan.replicas), s.peak_arrival_rate_per_s, queue, arrivals);
  s.stable = at_plan.stable && option.plan.replicas >= 1;
  s.utilization = at_plan.utilization;
  s.wait_probability = at_plan.wait_probability;
  s.wait_p95_s = at_plan.wait_p95_s;
  s.ttft_p95_s = at_plan.ttft_p95_s;
  if (option.simulated_slo && s.reachable) {
    const SimulatedSizing& sim = option.simulated_slo->sizing;
    s.method = "simulation";
    s.feasible = sim.met;
    s.replicas = sim.met ? sim.replicas : 0;
    SimulatedSloResult& r = s.simulated.emplace();
    r.analytic_replicas = option.simulated_slo->analytic_replicas;
    r.evaluations = sim.evaluations;
    r.measured_s = sim.measured_s;
    r.requests = sim.at.requests;
    r.wait_p95_s = sim.at.wait_p95_s;
    r.ttft_p95_s = sim.at.ttft_p95_s;
    r.wait_probability = sim.at.wait_probability;
    r.utilization = sim.at.utilization;
    if (sim.replicas == option.plan.replicas) {
      // The reservation is the simulated count: report what the simulation measured there.
      s.stable = true;
      s.wait_probability = r.wait_probability;
      s.wait_p95_s = r.wait_p95_s;
      s.ttft_p95_s = r.ttft_p95_s;
    }
  }
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
