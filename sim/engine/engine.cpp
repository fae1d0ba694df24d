#include "tokencast/engine.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <span>
#include <chrono>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include "run_plan.hpp"
#include "simulation.hpp"
#include "stopwatch.hpp"
#include "../statistics/summary_batch.hpp"
#include "../breakeven/utilization_curve.hpp"
#include "reservation_sizing.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/limits.hpp"
#include "tokencast/queueing.hpp"
#include "trial_simulator.hpp"
#include "for_each_trial.hpp"
#include "work_estimate.hpp"

namespace tokencast {
namespace {

using detail::CostColumns;
using detail::RunPlan;
using detail::TrialColumns;
using detail::TrialSimulator;
using detail::for_each_trial;

constexpr double max_exact_requests = 2e10;

// Fixes each capacity option's reservation: a fixed count, or the fewest replicas whose capacity
// covers the peak hour in capacity_quantile of the trials (one choice for the whole run, read from
// the trials' peak columns once they are all drawn: `auto_sized`).
void size_capacity(RunPlan& plan, bool auto_sized) {
  for (auto& option : plan.capacity) {
    if (option.auto_sized() != auto_sized) continue;
    const auto peaks = plan.columns.column(option.peak_needed_col);
    std::vector<double> needs(auto_sized ? peaks.begin() : peaks.end(), peaks.end());
    const detail::ReservationSizing sizing = detail::size_reservation(*option.spec, needs);
    option.sizing_replicas_needed = sizing.replicas_needed;
    option.sizing_feasible = sizing.feasible;
    option.plan = sizing.plan;
    option.fixed_plan = option.plan;
  }
}

// The kept hours of auto-sized options, trials x options (deferred_capacity.hpp): kept while a
// --precision run adds trials, so that the reservation can be sized again over all of them.
struct DeferredHours {
  std::unique_ptr<detail::DeferredCapacity[]> slots;
  std::int64_t trials = 0;
};

// Draws trials [first_trial, plan.trials) once. Auto-sized options are costed after sizing over
// every trial, from each trial's kept hours; a trial whose unkept hours would overflow is drawn
// again, whole, with the reservation known. The trials before first_trial keep their draws: only
// their auto-sized costs are recomputed (the reservation may have moved), so a run grown in steps
// equals one drawn at its final size.
void run_trials(RunPlan& plan, const RunOptions& options, DeferredHours& deferred, std::int64_t first_trial) {
  const std::size_t n = plan.capacity.size();
  bool any_auto = false;
  for (const auto& option : plan.capacity) any_auto = any_auto || option.auto_sized();
  detail::Stopwatch clock;
  size_capacity(plan, false);
  plan.phases.size_s += clock.lap();
  if (!any_auto) {
    for_each_trial(plan, options, first_trial,
                   [&](TrialSimulator& simulator, std::int64_t t) { simulator.run_trial(t, plan.columns); });
    plan.phases.simulate_s += clock.lap();
    return;
  }
  if (deferred.trials < plan.trials) {
    // Default-initialised (the type is trivial): untouched until each trial fills its slots.
    std::unique_ptr<detail::DeferredCapacity[]> grown(new detail::DeferredCapacity[static_cast<std::size_t>(plan.trials) * n]);
    if (deferred.slots) std::copy_n(deferred.slots.get(), static_cast<std::size_t>(first_trial) * n, grown.get());
    deferred.slots = std::move(grown);
    deferred.trials = plan.trials;
  }
  auto slots = [&](std::int64_t t) {
    return std::span<detail::DeferredCapacity>(deferred.slots.get() + static_cast<std::size_t>(t) * n, n);
  };
  for_each_trial(plan, options, first_trial,
                 [&](TrialSimulator& simulator, std::int64_t t) { simulator.run_trial(t, plan.columns, slots(t)); });
  plan.phases.simulate_s += clock.lap();
  size_capacity(plan, true);
  plan.phases.size_s += clock.lap();
  std::atomic<std::int64_t> redrawn{0};
  for_each_trial(plan, options, [&](TrialSimulator& simulator, std::int64_t t) {
    const auto kept = slots(t);
    for (std::size_t c = 0; c < n; ++c) {
      const auto& option = plan.capacity[c];
      if (!option.auto_sized()) continue;
      if (!option.costed_after_sizing()) {
        plan.columns.at(option.autoscale_saved_col, t) = detail::autoscale_saving_usd(
            option, kept[c].params(), plan.months, plan.hours_per_month, plan.columns.at(option.reservation_usd_col, t));
      } else if (!detail::cost_deferred(kept[c], option, plan.months, plan.hours_per_month, t, plan.columns)) {
        for (int column = 0; column < plan.columns.size(); ++column) plan.columns.at(column, t) = 0.0;
        simulator.run_trial(t, plan.columns);
        redrawn.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
  });
  plan.redrawn_trials = redrawn.load();
  plan.phases.simulate_s += clock.lap();
}

// The latency sizing as reported: the capacity_quantile of the trials' peak-hour arrival rate, the
// mean service profile, the fewest replicas meeting the objective there, and the predicted waits
// at the replicas reserved.
SloSizing slo_sizing(const RunPlan& plan, const detail::CapacityOptionPlan& option) {
  const TrialColumns& cols = plan.columns;
  std::vector<double> rates(cols.column(option.slo_rate_col).begin(), cols.column(option.slo_rate_col).end());
  SloSizing s;
  s.peak_arrival_rate_per_s = quantile_by_selection(rates, option.spec->capacity_quantile);
  s.mean_service_s = mean_of(cols.column(option.slo_service_col));
  s.service_scv = mean_of(cols.column(option.slo_scv_col));
  s.prefill_p95_s = mean_of(cols.column(option.slo_prefill_p95_col));
  const SloQueue queue{s.mean_service_s, s.service_scv, s.prefill_p95_s, option.spec->max_concurrency};
  const SloTarget target{option.spec->slo_wait_p95_s, option.spec->slo_ttft_p95_s};
  const SloSizingEstimate fewest = replicas_for_slo(s.peak_arrival_rate_per_s, queue, target, 1, limits::max_replicas);
  s.feasible = fewest.feasible;
  s.reachable = fewest.outcome != SloOutcome::unreachable;
  s.replicas = fewest.feasible ? fewest.replicas : 0;
  const QueueEstimate at_plan = allen_cunneen(option.plan.replicas * queue.max_concurrency, s.peak_arrival_rate_per_s,
                                              s.mean_service_s, 1.0, s.service_scv);
  s.stable = at_plan.stable;
  s.wait_probability = at_plan.wait_probability;
  s.wait_p95_s = at_plan.wait_p95_s;
  s.ttft_p95_s = at_plan.wait_p95_s + s.prefill_p95_s;
  return s;
}

// Why an option's sizing asked for more than the model can give; empty when it did not.
std::string infeasible_reason(const detail::CapacityOptionPlan& option, const std::optional<SloSizing>& slo) {
  if (slo && !slo->reachable) {
    return fmt::format("no replica count meets the latency objective: the ttft_p95_s target of {:g} s is below the "
                       "prefill p95 of {:.3g} s",
                       option.spec->slo_ttft_p95_s.value_or(0.0), slo->prefill_p95_s);
  }
  if (!option.sizing_feasible) {
    return fmt::format("the busiest hour needs {:.4g} replicas (capacity_quantile {:g} of the trials), more than the "
                       "{} a reservation may hold: {} are reserved and the rest overflows",
                       option.sizing_replicas_needed, option.spec->capacity_quantile, limits::max_replicas,
                       option.plan.replicas);
  }
  if (slo && !slo->feasible) {
    return fmt::format("the latency objective needs more than {} replicas at the sizing peak of {:.4g} requests/s",
                       limits::max_replicas, slo->peak_arrival_rate_per_s);
  }
  return {};
}

// Appends a cost named `mode` to `costs` and queues its horizon figures; its months are appended
// block by block (summarize_months). The batch holds a pointer into `costs`: reserve it first.
ModeCost& add_cost(detail::SummaryBatch& batch, std::vector<ModeCost>& costs, Mode mode,
                   std::span<const double> totals, bool with_se) {
  if (costs.size() == costs.capacity()) throw std::logic_error("add_cost: the costs were not reserved");
  ModeCost& cost = costs.emplace_back();
  cost.mode = mode;
  batch.cost(totals, cost, with_se);
  return cost;
}

// Fills an option's sizing result; its statistics are queued on the batch.
void capacity_result(detail::SummaryBatch& batch, const RunPlan& plan, const detail::CapacityOptionPlan& option,
                     CapacityResult& r) {
  const TrialColumns& cols = plan.columns;
  r.kind = option.spec->kind;
  r.name = option.spec->name;
  r.gpu = option.spec->gpu;
  r.auto_sized = option.auto_sized();
  r.plan = option.plan;
  r.sizing_replicas_needed = option.sizing_replicas_needed;
  r.overflow = option.spec->overflow;
  batch.add([&plan, &option, &r](std::vector<double>&) {
    if (option.slo_rate_col >= 0) r.slo = slo_sizing(plan, option);
    r.infeasible_reason = infeasible_reason(option, r.slo);
    r.feasible = r.infeasible_reason.empty();
  });
  batch.summary(cols.column(option.utilization_col), r.utilization);
  batch.summary(cols.column(option.overflow_share_col), r.overflow_share);
  batch.summary(cols.column(option.usd_per_mtok_col), r.usd_per_mtok);
  batch.summary(cols.column(option.peak_needed_col), r.peak_replicas_needed);
  if (option.autoscale_replica_hours_col >= 0) {
    AutoscaleResult& a = r.autoscale.emplace();
    a.min_replicas = option.spec->autoscale->min_replicas;
    a.max_replicas = option.spec->autoscale->max_replicas;
    a.step_hours = option.spec->autoscale->step_hours;
    batch.summary(cols.column(option.autoscale_replica_hours_col), a.replica_hours);
    batch.summary(cols.column(option.autoscale_saved_col), a.saved_usd);
    batch.summary(cols.column(option.autoscale_hours_at_max_col), a.hours_at_max_overflowing);
  }
}

// A workload's value of tag `key`; "(untagged)" without it.
std::string tag_value(const detail::WorkloadPlan& wp, const std::string& key) {
  const auto it = wp.spec->tags.find(key);
  return it == wp.spec->tags.end() ? "(untagged)" : it->second;
}

// The values tag `key` takes, in workload order.
std::vector<std::string> group_values(const RunPlan& plan, const std::string& key) {
  std::vector<std::string> values;
  for (const auto& wp : plan.workloads) {
    const std::string value = tag_value(wp, key);
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  return values;
}

// One group's costs summed inside each trial, over the horizon (month -1) or in one month. Under
// the cheapest plan a model's capacity cost is shared among its workloads in proportion to their
// serverless cost in that trial.
struct GroupSums {
  std::vector<double> serverless, batch, cheapest;
  std::vector<std::string> workloads;
  bool any_batch = false;
};

GroupSums group_sums(const RunPlan& plan, const std::string& key, const std::string& value,
                     const std::vector<const CostColumns*>& cheapest_columns, int month) {
  const auto n = static_cast<std::size_t>(plan.trials);
  GroupSums g{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), {}, false};
  for (const auto& wp : plan.workloads) {
    if (tag_value(wp, key) != value) continue;
    g.workloads.push_back(wp.spec->name);
    g.any_batch = g.any_batch || wp.batch;
    const auto& mp = plan.models[wp.model];
    const CostColumns& own_batch = wp.batch ? wp.batch_cost : wp.serverless;
    const CostColumns* chosen = cheapest_columns[wp.model];
    auto col = [&](const CostColumns& cc) { return plan.columns.column(month < 0 ? cc.total : cc.month(month)); };
    const auto s = col(wp.serverless), b = col(own_batch);
    const bool capacity = chosen != &mp.serverless && chosen != &mp.batch_cost;
    const auto model_serverless = col(mp.serverless), model_chosen = col(*chosen);
    for (std::size_t t = 0; t < n; ++t) {
      g.serverless[t] += s[t];
      g.batch[t] += b[t];
      if (chosen == &mp.serverless) {
        g.cheapest[t] += s[t];
      } else if (!capacity) {
        g.cheapest[t] += b[t];
      } else if (model_serverless[t] > 0) {
        g.cheapest[t] += model_chosen[t] * s[t] / model_serverless[t];
      }
    }
  }
  return g;
}

// The costs of each value of tag `key` over the horizon, queued on the batch (each value's sums are
// formed inside its task); months are appended by summarize_months.
void group_breakdown(detail::SummaryBatch& batch, const RunPlan& plan, const std::string& key,
                     const std::vector<const CostColumns*>& cheapest_columns, GroupBreakdown& g) {
  g.key = key;
  const std::vector<std::string> values = group_values(plan, key);
  g.entries.reserve(values.size());
  for (const std::string& value : values) {
    GroupBreakdown::Entry& entry = g.entries.emplace_back();
    entry.value = value;
    bool any_batch = false;
    for (const auto& wp : plan.workloads) {
      if (tag_value(wp, key) != value) continue;
      entry.workloads.push_back(wp.spec->name);
      any_batch = any_batch || wp.batch;
    }
    entry.costs.resize(any_batch ? 3 : 2);
    entry.costs.front().mode = Mode::serverless;
    if (any_batch) entry.costs[1].mode = Mode::batch;
    entry.costs.back().mode = Mode::cheapest_plan;
    batch.add([&plan, &key, &cheapest_columns, &entry, cancel = plan.cancel](std::vector<double>& scratch) {
      const GroupSums sums = group_sums(plan, key, entry.value, cheapest_columns, -1);
      detail::summarize_cost(sums.serverless, entry.costs.front(), false, scratch, cancel);
      if (sums.any_batch) detail::summarize_cost(sums.batch, entry.costs[1], false, scratch, cancel);
      detail::summarize_cost(sums.cheapest, entry.costs.back(), false, scratch, cancel);
    });
  }
}

// Where each monthly series of the result comes from.
struct MonthlySeries {
  std::vector<std::pair<ModeCost*, const CostColumns*>> costs;
  ModeCost* cheapest = nullptr;
  std::vector<const CostColumns*> cheapest_columns;  // by model
  std::vector<std::pair<ModelResult*, const detail::ModelPlan*>> batch_models;
  std::vector<std::vector<double>> busiest_batch_day;  // by batch model: each trial's busiest day so far
};

// Appends the monthly summaries of the months plan.columns now holds. The months are summarised
// in parallel (each month's figures depend on that month's columns only) and appended in order.
void summarize_months(const RunPlan& plan, RunResult& result, MonthlySeries& series,
                      const std::vector<std::string>& group_by) {
  const TrialColumns& cols = plan.columns;
  const int first = cols.first_stored_month();
  const int end = std::min(plan.months, first + cols.stored_months());
  const auto n = static_cast<std::size_t>(plan.trials);
  struct Month {
    std::vector<Summary> costs;
    Summary cheapest;
    std::vector<std::vector<std::vector<Summary>>> groups;  // by key, entry, mode
    std::vector<Summary> batch_days;                        // by batch model
  };
  std::vector<Month> months(static_cast<std::size_t>(std::max(0, end - first)));
  tbb::enumerable_thread_specific<std::vector<double>> scratches;
  tbb::parallel_for(first, end, [&](int month) {
    std::vector<double>& scratch = scratches.local();
    auto summarize = [&](std::span<const double> values) {
      poll_cancel(plan.cancel);
      return tokencast::summarize(values, scratch, plan.cancel);
    };
    Month& out = months[static_cast<std::size_t>(month - first)];
    if (plan.months > 1) {
      for (const auto& [cost, cc] : series.costs) out.costs.push_back(summarize(cols.column(cc->month(month))));
      std::vector<double> cheapest(n, 0.0);
      for (const CostColumns* chosen : series.cheapest_columns) {
        const auto column = cols.column(chosen->month(month));
        for (std::size_t t = 0; t < n; ++t) cheapest[t] += column[t];
      }
      out.cheapest = summarize(cheapest);
      for (std::size_t k = 0; k < group_by.size(); ++k) {
        auto& key = out.groups.emplace_back();
        for (const auto& entry : result.groups[k].entries) {
          const GroupSums sums = group_sums(plan, group_by[k], entry.value, series.cheapest_columns, month);
          auto& modes = key.emplace_back();
          modes.push_back(summarize(sums.serverless));
          if (sums.any_batch) modes.push_back(summarize(sums.batch));
          modes.push_back(summarize(sums.cheapest));
        }
      }
    }
    for (const auto& [model, mp] : series.batch_models) {
      out.batch_days.push_back(summarize(cols.column(mp->batch_peak_day_first_month + month)));
    }
  });
  for (int month = first; month < end; ++month) {
    Month& out = months[static_cast<std::size_t>(month - first)];
    if (plan.months > 1) {
      for (std::size_t i = 0; i < series.costs.size(); ++i) series.costs[i].first->monthly_usd.push_back(out.costs[i]);
      series.cheapest->monthly_usd.push_back(out.cheapest);
      for (std::size_t k = 0; k < group_by.size(); ++k) {
        auto& entries = result.groups[k].entries;
        for (std::size_t e = 0; e < entries.size(); ++e) {
          for (std::size_t i = 0; i < entries[e].costs.size(); ++i) {
            entries[e].costs[i].monthly_usd.push_back(out.groups[k][e][i]);
          }
        }
      }
    }
    for (std::size_t b = 0; b < series.batch_models.size(); ++b) {
      auto [model, mp] = series.batch_models[b];
      const auto column = cols.column(mp->batch_peak_day_first_month + month);
      auto& busiest = series.busiest_batch_day[b];
      for (std::size_t t = 0; t < n; ++t) busiest[t] = std::max(busiest[t], column[t]);
      if (out.batch_days[b].p95 > batch_enqueued_token_limit) model->batch_limit_months.push_back(month + 1);
    }
  }
}

std::string format_tokens(double tokens) { return fmt::format("{:.3g}B", tokens / 1e9); }

}  // namespace

namespace detail {
namespace {

// The plan of a run, its trial count and memory checked (nothing allocated yet).
RunPlan prepare_run(const Scenario& scenario, const RunOptions& options) {
  const std::int64_t trials = options.trials.value_or(scenario.trials);
  if (trials < 1) throw ResourceLimitError(scenario.file, "the number of trials must be at least 1");
  RunPlan plan = make_run_plan(scenario, trials, options.seed.value_or(scenario.seed), options.exact);
  plan.volume_multiplier = options.volume_multiplier;
  plan.monthly_storage_bytes = options.monthly_storage_bytes;
  plan.cancel = options.cancel;
  if (options.exact) {
    // Every request is drawn: refuse runs that would take hours (about 20 ns a request a core).
    const double total =
        detail::mean_requests_per_trial(scenario, options.volume_multiplier) * static_cast<double>(trials);
    if (total > max_exact_requests) {
      throw ResourceLimitError(scenario.file, fmt::format(
          "--exact draws every request: about {:.3g} requests for {} trials, more than the {:.0e} limit; use at most "
          "{} trials, or the default mode (hourly sums, docs/cost-model.md)",
          total, trials, max_exact_requests,
          std::max<std::int64_t>(1, static_cast<std::int64_t>(max_exact_requests / std::max(1.0, total / static_cast<double>(trials))))));
    }
  }
  // Refuse up front what would not fit, rather than be killed half-way.
  const double bytes = estimated_column_bytes(plan);
  if (bytes > max_run_bytes) {
    const double per_trial = bytes / static_cast<double>(trials);
    throw ResourceLimitError(scenario.file, fmt::format(
        "{} trials of this scenario need about {:.1f} GiB of memory for the per-trial results, more than the "
        "{:.0f} GiB limit; use at most {} trials (--trials), or fewer months or workloads",
        trials, bytes / (1 << 30), max_run_bytes / (1 << 30), static_cast<std::int64_t>(max_run_bytes / per_trial)));
  }
  check_cpu_time(scenario, options, trials,
                 trial_cpu_s(plan, monthly_block_months(plan)) * static_cast<double>(trials), "the run's");

  return plan;
}

RunPlan simulate_keeping_hours(const Scenario& scenario, const RunOptions& options, DeferredHours& deferred) {
  Stopwatch clock;
  RunPlan plan = prepare_run(scenario, options);
  plan.columns.allocate(plan.trials, monthly_block_months(plan));
  plan.phases.plan_s += clock.lap();
  run_trials(plan, options, deferred, 0);
  return plan;
}

}  // namespace

RunPlan simulate(const Scenario& scenario, const RunOptions& options) {
  DeferredHours deferred;
  return simulate_keeping_hours(scenario, options, deferred);
}

}  // namespace detail

namespace {

// Adds trials to a drawn plan, up to `trials`, drawing only the new ones (run_trials).
void extend(RunPlan& plan, const RunOptions& options, DeferredHours& deferred, std::int64_t trials) {
  detail::Stopwatch clock;
  const std::int64_t first = plan.trials;
  plan.trials = trials;
  plan.columns.grow(trials, std::min(plan.columns.stored_months(), detail::monthly_block_months(plan)));
  plan.phases.plan_s += clock.lap();
  run_trials(plan, options, deferred, first);
}

}  // namespace

namespace detail {

RunPlan prepare_replay(const Scenario& scenario, const RunOptions& options) {
  RunPlan plan = prepare_run(scenario, options);
  plan.replay = true;
  // Only horizon totals are replayed: every monthly column goes to the sink.
  plan.columns.allocate(plan.trials, 1);
  plan.columns.store_months(plan.months, true);
  return plan;
}

void simulate_months(RunPlan& plan, const RunOptions& options, int first_month) {
  plan.columns.store_months(first_month, false);
  const int end = std::min(plan.months, first_month + plan.columns.stored_months());
  Stopwatch clock;
  for_each_trial(plan, options, [&](TrialSimulator& simulator, std::int64_t t) {
    simulator.run_trial(t, plan.columns, {}, first_month, end);
  });
  plan.phases.simulate_s += clock.lap();
}

}  // namespace detail

namespace {

// The largest relative standard error (sectioning) of a reported cost p50 or p95.
double worst_relative_se(const RunPlan& plan) {
  std::vector<int> columns{plan.total_serverless.total};
  if (plan.any_batch) columns.push_back(plan.total_batch.total);
  for (const auto& w : plan.workloads) {
    columns.push_back(w.serverless.total);
    if (w.batch) columns.push_back(w.batch_cost.total);
  }
  for (const auto& m : plan.models) {
    columns.push_back(m.serverless.total);
    if (m.batch) columns.push_back(m.batch_cost.total);
  }
  for (const auto& c : plan.capacity) columns.push_back(c.cost.total);
  // Each column's error in parallel; the largest taken in column order.
  std::vector<double> relative(columns.size(), 0.0);
  tbb::parallel_for(std::size_t{0}, columns.size(), [&](std::size_t i) {
    const auto values = plan.columns.column(columns[i]);
    std::vector<double> copy(values.begin(), values.end());
    static constexpr double ps[] = {0.50, 0.95};
    double quantiles[2];
    quantiles_by_selection(copy, ps, quantiles, plan.cancel);
    for (int k = 0; k < 2; ++k) {
      const double q = std::abs(quantiles[k]);
      if (q > 0) relative[i] = std::max(relative[i], percentile_se(values, ps[k]) / q);
    }
  });
  double worst = 0;
  for (double r : relative) worst = std::max(worst, r);
  return worst;
}

// Runs, and when a precision is asked, reruns with more trials until every reported p50 and p95
// has a relative standard error below it (trial streams depend only on the index, so each rerun
// extends the previous one).
// The most trials, up to `wanted`, whose run stays within the memory and CPU limits (prepare_run).
std::int64_t trials_within_limits(const Scenario& scenario, const RunOptions& options, std::int64_t wanted) {
  std::int64_t trials = wanted;
  for (int attempt = 0; attempt < 8 && trials > 1; ++attempt) {
    const RunPlan plan = detail::make_run_plan(scenario, trials, 0, options.exact);
    const double bytes = detail::estimated_column_bytes(plan);
    const double cpu_s =
        detail::trial_cpu_s(plan, detail::monthly_block_months(plan)) * static_cast<double>(trials);
    const double over = std::max(bytes / max_run_bytes, cpu_s / options.max_cpu_s);
    if (over <= 1.0) return trials;
    trials = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(trials) / over * 0.99));
  }
  return trials;
}

RunPlan simulate_to_precision(const Scenario& scenario, const RunOptions& options,
                              std::optional<RunResult::Precision>& precision, std::vector<std::string>& warnings) {
  if (!(options.precision > 0)) return detail::simulate(scenario, options);
  RunOptions o = options;
  std::int64_t trials = std::min(options.trials.value_or(scenario.trials), options.max_trials);
  // Rounds grow the run up to --max-trials, or to what fits in memory and time if that is less.
  const std::int64_t ceiling = std::max(trials, trials_within_limits(scenario, options, options.max_trials));
  o.trials = trials;
  DeferredHours deferred;
  RunPlan plan = detail::simulate_keeping_hours(scenario, o, deferred);
  for (;;) {
    detail::Stopwatch clock;
    const double worst = worst_relative_se(plan);
    plan.phases.statistics_s += clock.lap();
    precision = RunResult::Precision{options.precision, worst, ceiling, worst <= options.precision};
    if (precision->reached || trials >= ceiling) {
      if (!precision->reached && ceiling < options.max_trials) {
        warnings.push_back(fmt::format("--precision stopped at {} trials: more would pass the run's memory or CPU "
                                       "limit (docs/scenario-format.md#limits)",
                                       ceiling));
      }
      return plan;
    }
    // The standard error falls as 1/sqrt(trials): aim 10% past the target.
    const double factor = 1.1 * (worst / options.precision) * (worst / options.precision);
    trials = std::min(ceiling, std::max(trials * 2, static_cast<std::int64_t>(std::ceil(static_cast<double>(trials) * factor))));
    extend(plan, o, deferred, trials);
  }
}


RunResult run_in_arena(const Scenario& scenario, const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<RunResult::Precision> precision;
  std::vector<std::string> precision_warnings;
  RunPlan plan = simulate_to_precision(scenario, options, precision, precision_warnings);
  detail::Stopwatch clock;
  const double simulated_before = plan.phases.simulate_s;
  const bool with_se = precision.has_value();
  const std::int64_t trials = plan.trials;
  const TrialColumns& cols = plan.columns;
  RunResult result;
  result.scenario_name = scenario.name;
  result.scenario_file = scenario.file;
  result.catalog_as_of = scenario.catalog_as_of;
  result.trials = trials;
  result.seed = plan.seed;
  result.threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  result.months = plan.months;
  result.hours_per_month = plan.hours_per_month;
  result.precision = precision;
  result.exact = options.exact;
  result.redrawn_trials = plan.redrawn_trials;
  result.warnings = std::move(precision_warnings);

  // Every horizon statistic is queued first, then computed in parallel (summary_batch.hpp). The
  // batch holds pointers into the result: each vector is reserved before it is filled.
  detail::SummaryBatch batch(options.cancel);
  result.workloads.reserve(plan.workloads.size());
  for (const auto& wp : plan.workloads) {
    WorkloadResult& w = result.workloads.emplace_back();
    w.name = wp.spec->name;
    w.model = wp.spec->model;
    w.tags = wp.spec->tags;
    batch.summary(cols.column(wp.requests_col), w.requests);
    batch.summary(cols.column(wp.input_col), w.input_tokens);
    batch.summary(cols.column(wp.output_col), w.output_tokens);
    w.costs.reserve(2);
    add_cost(batch, w.costs, Mode::serverless, cols.column(wp.serverless.total), with_se);
    if (wp.batch) add_cost(batch, w.costs, Mode::batch, cols.column(wp.batch_cost.total), with_se);
  }

  // The cheapest plan takes, for each model, the mode of lowest mean cost, trial by trial.
  std::vector<double> cheapest_total(static_cast<std::size_t>(trials), 0.0);
  std::vector<const CostColumns*> cheapest_columns;  // by model
  std::vector<std::vector<const CostColumns*>> model_mode_columns;  // by model, as in ModelResult::costs
  std::vector<std::vector<int>> model_options;  // by model: its capacity options, as in ModelResult::costs
  result.models.reserve(plan.models.size());
  for (const auto& mp : plan.models) {
    poll_cancel(options.cancel);
    ModelResult& m = result.models.emplace_back();
    m.model = mp.spec->id;
    for (int w : mp.workloads) m.workloads.push_back(plan.workloads[w].spec->name);
    std::vector<const CostColumns*> mode_columns{&mp.serverless};
    if (mp.batch) mode_columns.push_back(&mp.batch_cost);
    std::vector<int>& option_order = model_options.emplace_back();
    for (CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
      for (int c : mp.capacity) {
        if (plan.capacity[c].spec->kind != kind) continue;
        option_order.push_back(c);
        mode_columns.push_back(&plan.capacity[c].cost);
      }
    }
    m.costs.reserve(mode_columns.size());
    add_cost(batch, m.costs, Mode::serverless, cols.column(mp.serverless.total), with_se);
    if (mp.batch) add_cost(batch, m.costs, Mode::batch, cols.column(mp.batch_cost.total), with_se);
    for (int c : option_order) {
      const auto& option = plan.capacity[c];
      const bool dedicated = option.spec->kind == CapacityKind::dedicated;
      add_cost(batch, m.costs, mode_of(option.spec->kind), cols.column(option.cost.total), with_se);
      capacity_result(batch, plan, option, (dedicated ? m.dedicated : m.gpu_cluster).emplace());
    }
    // The mean as the summary computes it (mean_of), so the choice matches the reported means.
    std::size_t best = 0;
    double best_mean = mean_of(cols.column(mode_columns[0]->total));
    for (std::size_t i = 1; i < mode_columns.size(); ++i) {
      const double mean = mean_of(cols.column(mode_columns[i]->total));
      if (mean < best_mean) {
        best = i;
        best_mean = mean;
      }
    }
    m.cheapest = m.costs[best].mode;
    const CostColumns& chosen = *mode_columns[best];
    cheapest_columns.push_back(&chosen);
    const auto chosen_total = cols.column(chosen.total);
    for (std::int64_t t = 0; t < trials; ++t) cheapest_total[t] += chosen_total[t];
    model_mode_columns.push_back(std::move(mode_columns));
  }

  poll_cancel(options.cancel);
  result.total.reserve(3);
  add_cost(batch, result.total, Mode::serverless, cols.column(plan.total_serverless.total), with_se);
  if (plan.any_batch) add_cost(batch, result.total, Mode::batch, cols.column(plan.total_batch.total), with_se);
  add_cost(batch, result.total, Mode::cheapest_plan, cheapest_total, with_se);

  result.groups.reserve(options.group_by.size());
  for (const std::string& key : options.group_by) {
    group_breakdown(batch, plan, key, cheapest_columns, result.groups.emplace_back());
  }
  batch.run();

  // Warnings that read the statistics, in model order.
  for (std::size_t mi = 0; mi < plan.models.size(); ++mi) {
    const ModelResult& m = result.models[mi];
    const auto& options_of_model = model_options[mi];
    for (std::size_t k = 0; k < options_of_model.size(); ++k) {
      const auto& option = plan.capacity[options_of_model[k]];
      const CapacityKind kind = option.spec->kind;
      const bool dedicated = kind == CapacityKind::dedicated;
      const CapacityResult& sized = *(dedicated ? m.dedicated : m.gpu_cluster);
      const ModeCost& cost = m.costs[m.costs.size() - options_of_model.size() + k];
      if (!sized.feasible) {
        result.warnings.push_back(
            fmt::format("{} '{}' is infeasible: {}", to_string(kind), option.spec->name, sized.infeasible_reason));
      }
      if (option.spec->commitment_months > plan.months) {
        result.warnings.push_back(fmt::format(
            "{} '{}' commits to {} months but the horizon is {} month(s): costs cover the horizon only; set "
            "months = {} to compare the whole commitment",
            to_string(kind), option.spec->name, option.spec->commitment_months, plan.months,
            option.spec->commitment_months));
      }
      if (option.spec->overflow == OverflowPolicy::drop && cost.total_usd.mean >= 0 && sized.overflow_share.p50 > 0) {
        result.warnings.push_back(fmt::format(
            "{} '{}' drops work it cannot serve (overflow = \"drop\"): median {:.1f}% of the work of {}", to_string(kind),
            option.spec->name, 100.0 * sized.overflow_share.p50, m.model));
      }
    }
  }

  // Monthly series, one block of months at a time (trial_columns.hpp): the first block is stored
  // now; each later one is drawn again.
  MonthlySeries series;
  for (std::size_t w = 0; w < plan.workloads.size(); ++w) {
    const auto& wp = plan.workloads[w];
    series.costs.emplace_back(&result.workloads[w].costs[0], &wp.serverless);
    if (wp.batch) series.costs.emplace_back(&result.workloads[w].costs[1], &wp.batch_cost);
  }
  for (std::size_t m = 0; m < plan.models.size(); ++m) {
    for (std::size_t i = 0; i < model_mode_columns[m].size(); ++i) {
      series.costs.emplace_back(&result.models[m].costs[i], model_mode_columns[m][i]);
    }
    if (plan.models[m].batch) {
      series.batch_models.emplace_back(&result.models[m], &plan.models[m]);
      series.busiest_batch_day.emplace_back(static_cast<std::size_t>(trials), 0.0);
    }
  }
  series.costs.emplace_back(&result.total[0], &plan.total_serverless);
  if (plan.any_batch) series.costs.emplace_back(&result.total[1], &plan.total_batch);
  series.cheapest = &result.total.back();
  series.cheapest_columns = cheapest_columns;
  for (;;) {
    poll_cancel(options.cancel);
    summarize_months(plan, result, series, options.group_by);
    const int next = plan.columns.first_stored_month() + plan.columns.stored_months();
    if (next >= plan.months) break;
    detail::simulate_months(plan, options, next);
  }
  plan.columns.restore_fixed();
  for (std::size_t b = 0; b < series.batch_models.size(); ++b) {
    ModelResult& m = *series.batch_models[b].first;
    m.batch_peak_day_tokens = summarize(series.busiest_batch_day[b]);
    if (!m.batch_limit_months.empty()) {
      result.warnings.push_back(fmt::format(
          "{}: in {} of {} months the p95 of the busiest day's batch tokens exceeds the {} enqueued-token limit "
          "(p95 peak day {}); split the batches or move some of the work to another model",
          m.model, m.batch_limit_months.size(), plan.months, format_tokens(batch_enqueued_token_limit),
          format_tokens(m.batch_peak_day_tokens.p95)));
    }
  }
  poll_cancel(options.cancel);

  if (!plan.capacity.empty()) {
    // One curve per option, in parallel; each reads its own columns.
    auto& curves = result.breakeven.emplace().utilization;
    curves.resize(plan.capacity.size());
    tbb::parallel_for(std::size_t{0}, curves.size(), [&](std::size_t c) {
      curves[c] = detail::utilization_curve(plan, static_cast<int>(c));
    });
  }

  // The later blocks of months were drawn during the statistics: that time is simulation.
  plan.phases.statistics_s += clock.lap() - (plan.phases.simulate_s - simulated_before);
  result.phases = plan.phases;
  result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  return detail::in_arena(options, [&] { return run_in_arena(scenario, options); });
}

}  // namespace tokencast
