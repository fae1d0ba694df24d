#pragma once
// An auto-sized capacity option's hours, kept while its reservation is still unknown: the run
// draws every trial once, sizes the reservation from the trials' peaks, and only then costs it.
// Hours below the reservation's capacity are all served, so their totals are enough; the busiest
// hours are kept one by one. When an unkept hour would overflow too, the trial is drawn again.
#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>

#include "run_plan.hpp"
#include "tokencast/cost_models.hpp"

namespace tokencast::detail {

// Trivial (no initializers): a run's slots are allocated without being touched, so their pages
// are first written by the threads that fill them; run_trial sets every field it reads.
struct DeferredCapacity {
  static constexpr int busiest_kept = 24;
  struct Hour {
    double work;  // replica-seconds
    double serverless_usd;
    double tokens;
    int month;
  };

  // This trial's draw of the figures the ledger bills with.
  double usd_per_gpu_hour, max_utilization, fixed_usd_per_month, monthly_minimum_usd;
  double total_work, total_tokens;
  double largest_unkept_work;
  int kept;
  std::array<Hour, busiest_kept> busiest;  // a min-heap on work once full

  void set_params(const CapacityParams& p) {
    usd_per_gpu_hour = p.usd_per_gpu_hour;
    max_utilization = p.max_utilization;
    fixed_usd_per_month = p.fixed_usd_per_month;
    monthly_minimum_usd = p.monthly_minimum_usd;
  }
  CapacityParams params() const {
    CapacityParams p;
    p.usd_per_gpu_hour = usd_per_gpu_hour;
    p.max_utilization = max_utilization;
    p.fixed_usd_per_month = fixed_usd_per_month;
    p.monthly_minimum_usd = monthly_minimum_usd;
    return p;
  }
  void clear() {
    total_work = total_tokens = largest_unkept_work = 0;
    kept = 0;
  }
  // One hour of the option's model (its totals are added here too).
  void add(const Hour& hour) {
    add_hours(1, [&](int) { return hour; });
  }
  // Hours 0 .. count-1, hour_at(h) each, in order. The sums run in locals: kept in the slot, each
  // hour's addition would wait on the previous one's store.
  template <class HourAt>
  void add_hours(int count, HourAt hour_at) {
    double work_sum = total_work, token_sum = total_tokens, unkept = largest_unkept_work;
    for (int h = 0; h < count; ++h) {
      const Hour hour = hour_at(h);
      work_sum += hour.work;
      token_sum += hour.tokens;
      if (kept < busiest_kept) {
        busiest[static_cast<std::size_t>(kept++)] = hour;
        if (kept == busiest_kept) make_heap();
      } else if (hour.work > busiest[0].work) {
        unkept = std::max(unkept, busiest[0].work);
        busiest[0] = hour;
        sift_down(0);
      } else {
        unkept = std::max(unkept, hour.work);
      }
    }
    total_work = work_sum;
    total_tokens = token_sum;
    largest_unkept_work = unkept;
  }

 private:
  void make_heap();
  void sift_down(int i);
};

static_assert(std::is_trivially_default_constructible_v<DeferredCapacity>);

// The option's ledger columns of `trial` (utilization, overflow share, $/1M tokens, reservation,
// capacity in tokens), once its cost columns are written.
void write_ledger_columns(const CapacityOptionPlan& option, const CapacityLedger& ledger, std::int64_t trial,
                          TrialColumns& cols);

// Costs a fixed reservation (option.plan) from the kept hours, writing the option's cost and
// ledger columns of `trial`. False, writing nothing, when an hour that was not kept overflows.
bool cost_deferred(const DeferredCapacity& hours, const CapacityOptionPlan& option, int months, int hours_per_month,
                   std::int64_t trial, TrialColumns& cols);

// What reservation `plan` costs over the horizon, overflow excluded: each month its GPU-hours, at
// least the monthly minimum, plus the fixed monthly cost (CapacityLedger::close_month).
double reservation_usd(const CapacityPlan& plan, const CapacityParams& params, int months, int hours_per_month);

// What an autoscaling option saves against the fixed reservation option.fixed_plan.
double autoscale_saving_usd(const CapacityOptionPlan& option, const CapacityParams& params, int months,
                            int hours_per_month, double autoscaled_capacity_usd);

}  // namespace tokencast::detail
