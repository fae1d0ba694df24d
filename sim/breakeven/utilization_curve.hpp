#pragma once
#include "../engine/run_plan.hpp"
#include "tokencast/results.hpp"

namespace tokencast::detail {

// The option's effective $ per 1M tokens at utilizations 5%..100% of its capacity against the
// model's blended serverless rate, and the break-even utilization u* of each trial:
//   option $/1M at u = reservation cost / (u x tokens served at full capacity)
//   u* = reservation cost / (serverless $/1M x tokens at full capacity, in millions)
UtilizationCurve utilization_curve(const RunPlan& plan, int option);

}  // namespace tokencast::detail
