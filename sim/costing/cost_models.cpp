#include "tokencast/cost_models.hpp"

#include <algorithm>
#include <cmath>

namespace tokencast {

CapacityPlan plan_capacity(const CapacitySpec& spec, int replicas_required) {
  return plan_replicas(spec, std::max(replicas_required, spec.min_replicas));
}

CapacityPlan plan_replicas(const CapacitySpec& spec, int replicas) {
  CapacityPlan plan;
  if (spec.kind == CapacityKind::dedicated) {
    plan.replicas = replicas;
    plan.gpus = replicas * spec.gpus_per_replica;
    return plan;
  }
  // A cluster rents whole nodes; every replica that fits on them serves traffic.
  const int gpus_needed = replicas * spec.gpus_per_replica;
  plan.nodes = (gpus_needed + spec.gpus_per_node - 1) / spec.gpus_per_node;
  plan.gpus = plan.nodes * spec.gpus_per_node;
  plan.replicas = plan.gpus / spec.gpus_per_replica;
  return plan;
}

double replicas_needed(double peak_work_replica_seconds, double max_utilization) {
  return peak_work_replica_seconds / (3600.0 * max_utilization);
}

int whole_replicas(double replicas_needed, int lo, int hi) {
  const double whole = std::ceil(replicas_needed - 1e-9);
  if (!(whole <= hi)) return hi;
  return std::max(lo, static_cast<int>(std::max(whole, 0.0)));
}

CapacityLedger::CapacityLedger(const CapacityPlan& plan, const CapacityParams& params, OverflowPolicy overflow)
    : plan_(plan), params_(params), overflow_(overflow) {}

double CapacityLedger::close_month(double monthly_minimum_usd) {
  const double usd = capacity_month_usd(month_gpu_hours_ * params_.usd_per_gpu_hour, monthly_minimum_usd,
                                        params_.fixed_usd_per_month);
  month_gpu_hours_ = 0;
  capacity_usd_ += usd;
  return usd;
}

}  // namespace tokencast
