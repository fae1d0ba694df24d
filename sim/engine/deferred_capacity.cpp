#include "deferred_capacity.hpp"

#include <algorithm>
#include <utility>

namespace tokencast::detail {

void DeferredCapacity::make_heap() {
  for (int i = busiest_kept / 2 - 1; i >= 0; --i) sift_down(i);
}

void DeferredCapacity::sift_down(int i) {
  for (;;) {
    const int left = 2 * i + 1, right = left + 1;
    int smallest = i;
    if (left < kept && busiest[static_cast<std::size_t>(left)].work < busiest[static_cast<std::size_t>(smallest)].work) smallest = left;
    if (right < kept && busiest[static_cast<std::size_t>(right)].work < busiest[static_cast<std::size_t>(smallest)].work) smallest = right;
    if (smallest == i) return;
    std::swap(busiest[static_cast<std::size_t>(i)], busiest[static_cast<std::size_t>(smallest)]);
    i = smallest;
  }
}

void write_ledger_columns(const CapacityOptionPlan& option, const CapacityLedger& ledger, std::int64_t trial,
                          TrialColumns& cols) {
  const double capacity_seconds = ledger.full_capacity_seconds();
  cols.at(option.utilization_col, trial) = capacity_seconds > 0 ? ledger.served_work() / capacity_seconds : 0.0;
  cols.at(option.overflow_share_col, trial) =
      ledger.total_work() > 0 ? ledger.overflow_work() / ledger.total_work() : 0.0;
  const double served_mtok = (ledger.total_tokens() - ledger.dropped_tokens()) / tokens_per_mtok;
  cols.at(option.usd_per_mtok_col, trial) = served_mtok > 0 ? cols.at(option.cost.total, trial) / served_mtok : 0.0;
  cols.at(option.reservation_usd_col, trial) = ledger.capacity_usd();
  // At 100% utilization the replicas work every second; a token costs this trial's mix of
  // prefill and decode work (work per token = total work / total tokens).
  const double work_per_token = ledger.total_tokens() > 0 ? ledger.total_work() / ledger.total_tokens() : 0.0;
  cols.at(option.full_capacity_mtok_col, trial) =
      work_per_token > 0 ? capacity_seconds / work_per_token / tokens_per_mtok : 0.0;
}

bool cost_deferred(const DeferredCapacity& hours, const CapacityOptionPlan& option, int months, int hours_per_month,
                   std::int64_t trial, TrialColumns& cols) {
  const CapacityParams params = hours.params();
  CapacityLedger ledger(option.plan, params, option.spec->overflow);
  if (hours.largest_unkept_work > ledger.hourly_capacity()) return false;
  std::array<DeferredCapacity::Hour, DeferredCapacity::busiest_kept> kept{};
  std::copy_n(hours.busiest.begin(), hours.kept, kept.begin());
  std::sort(kept.begin(), kept.begin() + hours.kept, [](const auto& a, const auto& b) { return a.month < b.month; });
  double kept_work = 0, kept_tokens = 0, total_usd = 0;
  int next = 0;
  for (int month = 0; month < months; ++month) {
    const double overflow_before = ledger.overflow_usd();
    int in_month = 0;
    for (; next < hours.kept && kept[static_cast<std::size_t>(next)].month == month; ++next, ++in_month) {
      const auto& h = kept[static_cast<std::size_t>(next)];
      ledger.add_hour(h.work, h.serverless_usd, h.tokens);
      kept_work += h.work;
      kept_tokens += h.tokens;
    }
    ledger.add_served_hours(hours_per_month - in_month, 0.0, 0.0);
    const double month_usd = ledger.close_month(params.monthly_minimum_usd) + ledger.overflow_usd() - overflow_before;
    if (option.cost.first_month >= 0) cols.at(option.cost.month(month), trial) = month_usd;
    total_usd += month_usd;
  }
  ledger.add_served_hours(0, hours.total_work - kept_work, hours.total_tokens - kept_tokens);
  cols.at(option.cost.total, trial) = total_usd;
  write_ledger_columns(option, ledger, trial, cols);
  return true;
}

double reservation_usd(const CapacityPlan& plan, const CapacityParams& params, int months, int hours_per_month) {
  return months * capacity_month_usd(plan.gpus * params.usd_per_gpu_hour * hours_per_month,
                                     params.monthly_minimum_usd, params.fixed_usd_per_month);
}

double autoscale_saving_usd(const CapacityOptionPlan& option, const CapacityParams& params, int months,
                            int hours_per_month, double autoscaled_capacity_usd) {
  // The fixed reservation it replaces: the plan's GPUs every hour, at least the minimum.
  return reservation_usd(option.fixed_plan, params, months, hours_per_month) - autoscaled_capacity_usd;
}

}  // namespace tokencast::detail
