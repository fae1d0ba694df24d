#pragma once
// One trial: draws its parameters (per trial) and traffic (per hour or per month), and prices
// the tokens in every mode. Owns scratch buffers sized once, so a trial allocates nothing.
#include <vector>

#include <span>

#include "deferred_capacity.hpp"
#include "run_plan.hpp"
#include "tokencast/queueing.hpp"

namespace tokencast::detail {

// Replicas a trial's busiest hour needs: its work at the utilization target, and, for an option
// with a latency objective and a queueing model, what meets the objective at its busiest hour's
// arrivals (under `arrivals` within the hour, by the closed form).
double peak_replicas_needed(const CapacitySpec& spec, double peak_work, double max_utilization, double peak_requests,
                            const ServiceProfile& service, const ArrivalProcess& arrivals);

class TrialSimulator {
 public:
  explicit TrialSimulator(const RunPlan& plan);

  // Writes every output column of `trial`. With `deferred` (one slot per capacity option), the
  // options without a fixed replica count are not costed yet: their hours go to their slot
  // (deferred_capacity.hpp), and only their peak columns (and an autoscaling option's own
  // columns) are written. Only months [first_month, end_month) are drawn when given (a later
  // block of monthly columns: trial_columns.hpp); end_month -1 is the horizon's end.
  void run_trial(std::int64_t trial, TrialColumns& columns, std::span<DeferredCapacity> deferred = {},
                 int first_month = 0, int end_month = -1);

  // While set, every hour a deferred option keeps is also appended to (*by_option)[option]: all of
  // a trial's hours, for the volume grid's replay when its kept hours are not enough.
  void record_hours(std::vector<std::vector<DeferredCapacity::Hour>>* by_option) { recorded_ = by_option; }

  // The last trial's draws of capacity option c: its parameters, its busiest hour's requests and
  // its request mix (set when the option has a queueing model).
  const CapacityParams& capacity_params(int c) const { return capacity_[static_cast<std::size_t>(c)]; }
  double peak_requests(int c) const { return peak_requests_[static_cast<std::size_t>(c)]; }
  const ServiceProfile& service(int c) const { return services_[static_cast<std::size_t>(c)]; }

 private:
  double draw_input(const Quantity& q, Rng& rng, const RunPlan::InputSlot& slot, std::int64_t trial,
                    TrialColumns& columns) const;
  struct WorkloadDraw {
    double requests_per_month = 0, growth = 0, burstiness = 0, cached_share = 0;
    Dist input, output;
    std::optional<ImageTokens> images;
    TokenMoments moments;
    // The copula's Pearson correlation for these shapes of the laws (Dist::shape): recomputed
    // only when a draw changes a shape, not its scale.
    Dist input_shape, output_shape;
    double pearson = 0;
    DailyShape shape{};
    double weekend_factor = 1;
    GammaVariate burst;  // the hourly burst factor: mean 1, cv = burstiness
    Rng traffic_rng, token_rng;
  };
  struct ModelDraw {
    ServerlessPrices prices;
    double batch_discount = 0;
  };
  // Per model with capacity: one month of hourly sums.
  // One block for the month's hourly arrays, each `stride` after the last. Arrays read and
  // written in step a multiple of 4 KiB apart make the CPU hold loads back behind unrelated
  // stores (4K aliasing); with separate allocations that happened at random, and a run took half
  // as long again. The stride keeps them apart.
  struct HourlyBuffers {
    std::vector<double> storage;
    std::size_t stride = 0;
    double* input() { return storage.data(); }
    double* output() { return storage.data() + stride; }
    double* serverless_usd() { return storage.data() + 2 * stride; }
    double* requests() { return storage.data() + 3 * stride; }
    // One workload's month, before it is added to the model's: counts, input and output sums.
    double* counts() { return storage.data() + 4 * stride; }
    double* input_sums() { return storage.data() + 5 * stride; }
    double* output_sums() { return storage.data() + 6 * stride; }
    // The model's prompt tokens that need prefill: input less each workload's cached share.
    double* prefill_input() { return storage.data() + 7 * stride; }
    static constexpr std::size_t arrays = 8;
  };

  void draw_parameters(std::int64_t trial, bool all_workloads, TrialColumns& columns);
  void draw_services();
  void clear_hours(std::size_t model);
  // Replicas an option needs for its peak hour so far (utilization rule, and the SLO rule).
  double peak_need(int option);
  // Replicas an autoscaling option runs for an hour of this work and traffic.
  int autoscale_replicas(int option, double work, double requests);
  // Passes the model's month of hours through the option's ledger.
  void serve_month(int option, std::size_t model);
  // Keeps the model's month of hours for an option sized after the run.
  void defer_month(int option, std::size_t model, int month, DeferredCapacity& deferred);
  const MonthProfile& profile(int w, int month);
  // Samples workload w's month: hourly into the model's buffers, or as a monthly total.
  RequestTokens simulate_month(int w, int month, double& requests);

  const RunPlan& plan_;
  std::vector<WorkloadDraw> workloads_;
  std::vector<ModelDraw> models_;
  std::vector<CapacityParams> capacity_;
  std::vector<CapacityLedger> ledgers_;
  std::vector<double> peaks_;  // peak-hour work of each option, replica-seconds
  std::vector<HourlyBuffers> hourly_;  // by model index (empty for models without capacity)
  std::vector<MonthProfile> profile_scratch_;  // by workload, for uncertain shapes
  std::vector<ServiceProfile> services_;   // by option: this trial's request mix on its replicas
  std::vector<double> peak_requests_;      // by option: busiest hour's requests
  // The most requests an hour `r` replicas of an autoscaling option hold within its objective, as
  // found in trial `trial` (-1: never).
  struct SloRateLimit {
    std::int64_t trial = -1;
    double requests = 0;
  };
  std::vector<std::vector<SloRateLimit>> slo_rate_limits_;  // by option and replicas: memo
  std::int64_t current_trial_ = -1;
  std::vector<double> autoscaled_hours_at_max_;
  std::vector<double> scores_;  // this trial's [[correlation]] normal scores (RunPlan::correlation_groups)
  std::vector<std::vector<DeferredCapacity::Hour>>* recorded_ = nullptr;
};

}  // namespace tokencast::detail
