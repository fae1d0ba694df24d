#pragma once
// The one rule that sizes a reservation: for the run (engine.cpp) and for each point of the volume
// grid's replay (sim/breakeven/volume_replay.cpp).
#include <span>

#include "tokencast/cost_models.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast::detail {

struct ReservationSizing {
  CapacityPlan plan;
  double replicas_needed = 0;  // the capacity_quantile of the trials' peak-hour needs
  bool feasible = true;        // that need fits within limits::max_replicas
};

// A fixed option's replicas; an "auto" option's fewest replicas covering the capacity_quantile of
// the trials' peak needs (`peak_needs`, one a trial, reordered), at most limits::max_replicas.
ReservationSizing size_reservation(const CapacitySpec& spec, std::span<double> peak_needs);

}  // namespace tokencast::detail
