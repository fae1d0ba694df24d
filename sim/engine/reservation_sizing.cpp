#include "reservation_sizing.hpp"

#include <algorithm>

#include "tokencast/limits.hpp"
#include "tokencast/summary.hpp"

namespace tokencast::detail {

ReservationSizing size_reservation(const CapacitySpec& spec, std::span<double> peak_needs) {
  ReservationSizing sizing;
  if (spec.replicas) {
    sizing.plan = plan_capacity(spec, *spec.replicas);
    return sizing;
  }
  sizing.replicas_needed = quantile_by_selection(peak_needs, spec.capacity_quantile);
  const int required = whole_replicas(sizing.replicas_needed, 1, limits::max_replicas);
  sizing.feasible = sizing.replicas_needed - 1e-9 <= limits::max_replicas;
  sizing.plan = plan_capacity(spec, required);
  return sizing;
}

}  // namespace tokencast::detail
