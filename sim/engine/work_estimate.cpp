#include "work_estimate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tokencast/errors.hpp"

namespace tokencast::detail {
namespace {

constexpr std::uint64_t seed_for_estimates = 0x5eed;

}  // namespace

double mean_requests_per_trial(const Scenario& scenario, double volume_multiplier) {
  Rng probe(seed_for_estimates);
  double requests = 0;
  for (const auto& w : scenario.workloads) {
    double sum = 0;
    for (int i = 0; i < 64; ++i) sum += w.requests_per_month.draw(probe);
    requests += sum / 64 * scenario.months;
  }
  return requests * volume_multiplier;
}

double trial_cpu_s(const RunPlan& plan, int block_months) {
  double hourly = 0, monthly = 0;
  for (const auto& w : plan.workloads) (w.hourly ? hourly : monthly) += 1;
  const double months = plan.months;
  // A horizon longer than one block of monthly columns draws its later blocks' months again.
  const double redrawn = std::max(0.0, months - block_months);
  const double workload_months = months + redrawn;
  double cpu = workload_months * (hourly * plan.hours_per_month * cpu_s_per_workload_hour +
                                  monthly * cpu_s_per_workload_month);
  if (std::isinf(plan.exact_below)) {
    cpu += mean_requests_per_trial(*plan.scenario, plan.volume_multiplier) * (workload_months / months) *
           cpu_s_per_exact_request;
  }
  return cpu;
}

void check_cpu_time(const Scenario& scenario, const RunOptions& options, std::int64_t trials, double cpu_s,
                    const char* what) {
  if (!(cpu_s > options.max_cpu_s)) return;
  const double per_trial = cpu_s / static_cast<double>(trials);
  const auto fits = static_cast<std::int64_t>(options.max_cpu_s / per_trial);
  throw ResourceLimitError(
      scenario.file,
      fmt::format("{} {} trials would take about {:.2g} CPU-hours ({:.3g} CPU-s a trial), more than the {:.2g} "
                  "CPU-hour limit; {}",
                  what, trials, cpu_s / 3600, per_trial, options.max_cpu_s / 3600,
                  fits >= 1 ? fmt::format("use at most {} trials (--trials)", fits)
                            : std::string("shorten the horizon or drop workloads from the capacity options' models")));
}

}  // namespace tokencast::detail
