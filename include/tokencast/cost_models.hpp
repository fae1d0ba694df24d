#pragma once
// Cost models: what a mode charges for tokens served (see docs/cost-model.md). Pure functions of
// sampled volumes and prices; no randomness here.
#include <cstdint>

#include "tokencast/scenario.hpp"

namespace tokencast {

inline constexpr double tokens_per_mtok = 1e6;
// Batch: at most this many tokens enqueued per model (together.ai's published limit).
inline constexpr double batch_enqueued_token_limit = 30e9;

// A model's serverless prices drawn for one trial, USD per 1M tokens.
struct ServerlessPrices {
  double input_usd_per_mtok = 0;
  double cached_input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
};

// input x input rate + cached input x cached rate + output x output rate, per 1M tokens;
// `cached_input_share` of the input tokens is billed at the cached rate.
inline double serverless_cost_usd(const ServerlessPrices& p, double input_tokens, double output_tokens,
                                  double cached_input_share) {
  const double cached = input_tokens * cached_input_share;
  return ((input_tokens - cached) * p.input_usd_per_mtok + cached * p.cached_input_usd_per_mtok +
          output_tokens * p.output_usd_per_mtok) *
         (1.0 / tokens_per_mtok);
}

// The same charge per input and per output token, the cached share blended into the input rate
// once: hour loops price thousands of hours of one workload with two multiplications each.
struct ServerlessTokenPrices {
  double input_usd = 0, output_usd = 0;
};
inline ServerlessTokenPrices serverless_token_prices(const ServerlessPrices& p, double cached_input_share) {
  return {((1.0 - cached_input_share) * p.input_usd_per_mtok + cached_input_share * p.cached_input_usd_per_mtok) /
              tokens_per_mtok,
          p.output_usd_per_mtok / tokens_per_mtok};
}

inline double batch_cost_usd(double serverless_usd, double batch_discount) {
  return serverless_usd * (1.0 - batch_discount);
}

// A capacity option's figures drawn for one trial.
struct CapacityParams {
  double usd_per_gpu_hour = 0;
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  double max_utilization = 0;
  double fixed_usd_per_month = 0;
  double monthly_minimum_usd = 0;
};

// Replica-seconds of work per input (prefill) and per output (decode) token: hour loops multiply.
struct WorkPerToken {
  double input_s = 0, output_s = 0;
};
inline WorkPerToken work_per_token(const CapacityParams& p) {
  return {1.0 / p.prefill_tokens_per_s, 1.0 / p.decode_tokens_per_s};
}

// Replica-seconds of work to serve these tokens.
inline double work_replica_seconds(const WorkPerToken& w, double input_tokens, double output_tokens) {
  return input_tokens * w.input_s + output_tokens * w.output_s;
}
inline double work_replica_seconds(const CapacityParams& p, double input_tokens, double output_tokens) {
  return work_replica_seconds(work_per_token(p), input_tokens, output_tokens);
}

// What is reserved: replicas, and the GPUs (and nodes, for a cluster) they occupy.
struct CapacityPlan {
  int replicas = 0;
  int gpus = 0;
  int nodes = 0;  // gpu_cluster only
};

// Reservation for `replicas_required` replicas (at least min_replicas). A gpu_cluster rents whole
// nodes and runs as many replicas as the nodes' GPUs hold.
CapacityPlan plan_capacity(const CapacitySpec& spec, int replicas_required);
// The same without the min_replicas floor (an autoscaling step has its own bounds).
CapacityPlan plan_replicas(const CapacitySpec& spec, int replicas);
// Replicas needed to hold `peak_work` replica-seconds in one hour at the utilisation target.
double replicas_needed(double peak_work_replica_seconds, double max_utilization);
// The fewest whole replicas covering `replicas_needed`, within [lo, hi]: a tolerance keeps an exact
// whole number (3.0000000001 from rounding) from buying a replica, and a need past hi (or NaN)
// gives hi, so no need however large is cast to an int it does not fit.
int whole_replicas(double replicas_needed, int lo, int hi);

// A month of reserved capacity: its GPU bill, at least the monthly minimum, plus the fixed monthly
// cost (the one rule for a month, whether billed hour by hour or for a whole reservation).
inline double capacity_month_usd(double gpu_usd, double monthly_minimum_usd, double fixed_usd_per_month) {
  return (gpu_usd < monthly_minimum_usd ? monthly_minimum_usd : gpu_usd) + fixed_usd_per_month;
}

// Accumulates an option's hours: work above capacity overflows (to serverless prices, or dropped);
// every hour bills the GPUs of the plan in force (the reservation, or an autoscaling step's).
class CapacityLedger {
 public:
  CapacityLedger() = default;
  CapacityLedger(const CapacityPlan& plan, const CapacityParams& params, OverflowPolicy overflow);

  // One hour: `work` replica-seconds, `serverless_usd` what its tokens would cost on serverless,
  // `tokens` its input + output tokens.
  void add_hour(double work, double serverless_usd, double tokens) { add_hour(work, serverless_usd, tokens, plan_); }
  void add_hour(double work, double serverless_usd, double tokens, const CapacityPlan& hour_plan) {
    const double capacity = hour_plan.replicas * 3600.0 * params_.max_utilization;
    month_gpu_hours_ += hour_plan.gpus;
    full_capacity_seconds_ += hour_plan.replicas * 3600.0;
    total_work_ += work;
    total_tokens_ += tokens;
    if (work > capacity) {
      const double over = work - capacity;
      const double share = over / work;
      overflow_work_ += over;
      if (overflow_ == OverflowPolicy::serverless) {
        overflow_usd_ += serverless_usd * share;
      } else {
        dropped_tokens_ += tokens * share;
      }
    }
  }

  // `hours` hours of the plan in force whose `work` (together) all fits: what an hour below capacity
  // adds, without the hour by hour detail.
  void add_served_hours(int hours, double work, double tokens) {
    month_gpu_hours_ += static_cast<double>(hours) * plan_.gpus;
    full_capacity_seconds_ += static_cast<double>(hours) * plan_.replicas * 3600.0;
    total_work_ += work;
    total_tokens_ += tokens;
  }

  // Ends a month: bills its GPU-hours, at least `monthly_minimum_usd`, plus the fixed monthly
  // cost; returns that month's capacity cost (overflow excluded).
  double close_month(double monthly_minimum_usd);

  double capacity_usd() const { return capacity_usd_; }  // closed months, overflow excluded
  double overflow_usd() const { return overflow_usd_; }
  double served_work() const { return total_work_ - overflow_work_; }
  double total_work() const { return total_work_; }
  double overflow_work() const { return overflow_work_; }
  double total_tokens() const { return total_tokens_; }
  double dropped_tokens() const { return dropped_tokens_; }
  double full_capacity_seconds() const { return full_capacity_seconds_; }  // replica-seconds at 100%
  double hourly_capacity() const { return plan_.replicas * 3600.0 * params_.max_utilization; }

 private:
  CapacityPlan plan_{};
  CapacityParams params_{};
  OverflowPolicy overflow_ = OverflowPolicy::serverless;
  double month_gpu_hours_ = 0, capacity_usd_ = 0, full_capacity_seconds_ = 0;
  double total_work_ = 0, overflow_work_ = 0, total_tokens_ = 0, dropped_tokens_ = 0, overflow_usd_ = 0;
};

}  // namespace tokencast
