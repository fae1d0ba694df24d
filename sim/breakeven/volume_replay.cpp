// The volume grid by replay: every trial is drawn once, at the scenario's own volume, and each
// multiplier k reuses those draws with the trial's requests, tokens, work and dollars times k.
// Parameter, traffic-shape and burst draws are then exactly those a simulation at k would make;
// the hourly Poisson and token-sum noise is that of volume 1, scaled (docs/breakeven.md#replay-or-resimulation).
// A reservation's hours are kept in the compact form of replay_hours.hpp, so each multiplier
// costs a pass over the trials' summaries, not a simulation.
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "../engine/for_each_trial.hpp"
#include "../engine/simulation.hpp"
#include "../engine/reservation_sizing.hpp"
#include "../engine/slo_simulation.hpp"
#include "grid_sampler.hpp"
#include "replay_hours.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/queueing.hpp"
#include "tokencast/summary.hpp"

namespace tokencast::detail {
namespace {

// What replay keeps of one trial's draws for one reservation.
struct TrialReservation {
  ReplayHours hours;
  CapacityParams params;
  double peak_requests = 0;  // busiest hour's requests (latency objective)
  ServiceProfile service;    // request mix on a replica (latency objective)
};

// A thread's buffers for the one pass that draws the trials.
struct DrawScratch {
  std::vector<DeferredCapacity> slots;
  std::vector<std::vector<DeferredCapacity::Hour>> hours;  // by option
  std::vector<WorkHour> work_hours;
};

class VolumeReplay final : public GridSampler, public ReplicaReplay {
 public:
  VolumeReplay(const Scenario& scenario, const RunOptions& options)
      : options_(options),
        plan_((check_fits(scenario, options), prepare_replay(scenario, options))),
        options_count_(plan_.capacity.size()) {
    reservations_.resize(static_cast<std::size_t>(plan_.trials) * options_count_);
    tbb::enumerable_thread_specific<DrawScratch> scratch;
    for_each_trial(plan_, options_, [&](TrialSimulator& simulator, std::int64_t t) { draw(simulator, scratch.local(), t); });
    for (const auto& model : plan_.models) base_requests_.push_back(mean_requests(plan_, model));
    for (auto& option : plan_.capacity) {
      if (option.slo_by_simulation && option.auto_sized()) option.simulated_slo = simulate_slo_sizing(plan_, option);
    }
  }

  // Refused up front, like a run that would not fit (engine.cpp), rather than killed half-way.
  static void check_fits(const Scenario& scenario, const RunOptions& options) {
    const std::int64_t trials = options.trials.value_or(scenario.trials);
    const double per_trial = static_cast<double>(scenario.capacity.size() * sizeof(TrialReservation));
    const double bytes = per_trial * static_cast<double>(trials);
    if (bytes > max_run_bytes) {
      throw ResourceLimitError(scenario.file, fmt::format(
          "replaying {} trials for the volume grid needs about {:.1f} GiB for their kept hours, more than the {:.0f} "
          "GiB limit; use at most {} trials (--trials), or --grid-draws resimulate",
          trials, bytes / (1 << 30), max_run_bytes / (1 << 30), static_cast<std::int64_t>(max_run_bytes / per_trial)));
    }
  }

  GridTotals at(double k) override { return at(k, {}); }
  GridTotals with_replicas(const std::vector<std::optional<int>>& replicas) override { return at(1.0, replicas); }
  const RunPlan& plan() const override { return plan_; }

  // At multiplier k, option c reserving replicas[c] where given (and its own reservation otherwise).
  GridTotals at(double k, const std::vector<std::optional<int>>& replicas) {
    const auto trials = static_cast<std::size_t>(plan_.trials);
    GridTotals g;
    for (std::size_t m = 0; m < plan_.models.size(); ++m) {
      const ModelPlan& mp = plan_.models[m];
      g.serverless_usd.push_back(scaled(plan_.columns.column(mp.serverless.total), k));
      g.batch_usd.push_back(mp.batch ? scaled(plan_.columns.column(mp.batch_cost.total), k) : std::vector<double>{});
      g.requests.push_back(base_requests_[m] * k);
    }
    for (std::size_t c = 0; c < options_count_; ++c) {
      poll_cancel(options_.cancel);
      const CapacityOptionPlan& option = plan_.capacity[c];
      const CapacityPlan reservation =
          c < replicas.size() && replicas[c] ? plan_capacity(*option.spec, *replicas[c]) : reservation_cached(c, k);
      g.replicas.push_back(reservation.replicas);
      auto& usd = g.option_usd.emplace_back(trials, 0.0);
      std::vector<double> bound(overflow_billed(option) ? trials : 0, 0.0);
      tbb::parallel_for(std::size_t{0}, trials, [&](std::size_t t) {
        const TrialReservation& r = reservation_of(t, c);
        usd[t] = reservation_usd(reservation, r.params, plan_.months, plan_.hours_per_month);
        if (!overflow_billed(option)) return;
        const double capacity = reservation.replicas * 3600.0 * r.params.max_utilization;
        usd[t] += k * r.hours.overflow_usd(capacity / k);
        bound[t] = k * r.hours.error_bound_usd(capacity / k);
      });
      g.option_error_bound_usd.push_back(bound.empty() ? 0.0 : *std::max_element(bound.begin(), bound.end()));
    }
    return g;
  }

 private:
  const TrialReservation& reservation_of(std::size_t trial, std::size_t c) const { return reservations_[trial * options_count_ + c]; }

  // Draws trial t once, every reservation's hours recorded, and keeps their summary.
  void draw(TrialSimulator& simulator, DrawScratch& s, std::int64_t t) {
    s.slots.resize(options_count_);
    s.hours.resize(options_count_);
    for (auto& hours : s.hours) hours.clear();
    simulator.record_hours(&s.hours);
    simulator.run_trial(t, plan_.columns, s.slots);
    simulator.record_hours(nullptr);
    for (std::size_t c = 0; c < options_count_; ++c) {
      TrialReservation& r = reservations_[static_cast<std::size_t>(t) * options_count_ + c];
      const int option = static_cast<int>(c);
      r.params = simulator.capacity_params(option);
      r.peak_requests = simulator.peak_requests(option);
      r.service = simulator.service(option);
      s.work_hours.clear();
      for (const auto& h : s.hours[c]) s.work_hours.push_back({h.work, h.serverless_usd});
      r.hours.build(s.work_hours);
    }
  }

  // Dropped work costs nothing: the cost is the reservation's alone.
  static bool overflow_billed(const CapacityOptionPlan& option) {
    return option.spec->overflow == OverflowPolicy::serverless;
  }

  static std::vector<double> scaled(std::span<const double> column, double k) {
    std::vector<double> v(column.begin(), column.end());
    for (double& x : v) x *= k;
    return v;
  }

  // The replicas trial t's busiest hour needs at multiplier k.
  double peak_need(std::size_t t, std::size_t c, double k) const {
    const TrialReservation& r = reservation_of(t, c);
    if (const auto& slo = plan_.capacity[c].simulated_slo) {
      // Bursty arrivals: the objective was simulated once, at volume 1; other volumes scale that
      // count with the rate (docs/breakeven.md).
      const double utilization = replicas_needed(k * r.hours.peak_work(), r.params.max_utilization);
      return slo->sizing.met ? std::max(utilization, k * slo->sizing.replicas) : utilization;
    }
    return peak_replicas_needed(*plan_.capacity[c].spec, k * r.hours.peak_work(), r.params.max_utilization,
                                k * r.peak_requests, r.service, plan_.capacity[c].arrivals);
  }

  // The reservation at multiplier k: fixed, or sized as a run at that volume sizes it, from the
  // capacity_quantile of the trials' peak needs.
  CapacityPlan reservation_at(std::size_t c, double k) const {
    const CapacityOptionPlan& option = plan_.capacity[c];
    std::vector<double> needs(option.auto_sized() ? static_cast<std::size_t>(plan_.trials) : 0);
    tbb::parallel_for(std::size_t{0}, needs.size(), [&](std::size_t t) { needs[t] = peak_need(t, c, k); });
    return size_reservation(*option.spec, needs).plan;
  }

  // reservation_at, once per option and multiplier: a sweep over one option's replicas asks for
  // the others' again at every point, and sizing to a latency objective takes a pass over the trials.
  CapacityPlan reservation_cached(std::size_t c, double k) {
    const auto key = std::pair{c, k};
    if (const auto found = reservations_at_.find(key); found != reservations_at_.end()) return found->second;
    return reservations_at_[key] = reservation_at(c, k);
  }

  RunOptions options_;
  RunPlan plan_;
  std::map<std::pair<std::size_t, double>, CapacityPlan> reservations_at_;
  std::size_t options_count_;
  std::vector<TrialReservation> reservations_;  // trial-major: trials x options
  std::vector<double> base_requests_;           // by model: mean horizon requests at volume 1
};

}  // namespace

bool replayable(const Scenario& scenario) {
  return std::none_of(scenario.capacity.begin(), scenario.capacity.end(), [](const CapacitySpec& spec) { return spec.autoscale.has_value(); });
}

bool replay_fits(const Scenario& scenario, const RunOptions& options) {
  try {
    VolumeReplay::check_fits(scenario, options);
    check_limits(scenario, options);
    return true;
  } catch (const ResourceLimitError&) {
    return false;
  }
}

std::unique_ptr<GridSampler> make_replay(const Scenario& scenario, const RunOptions& options) {
  return std::make_unique<VolumeReplay>(scenario, options);
}

std::unique_ptr<ReplicaReplay> make_replica_replay(const Scenario& scenario, const RunOptions& options) {
  return std::make_unique<VolumeReplay>(scenario, options);
}

}  // namespace tokencast::detail
