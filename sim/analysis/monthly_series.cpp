#include "monthly_series.hpp"

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "../engine/simulation.hpp"
#include "groups.hpp"
#include "tokencast/errors.hpp"

namespace tokencast::detail {
namespace {

// Where each monthly series of the result comes from.
struct MonthlySeries {
  std::vector<std::pair<ModeCost*, const CostColumns*>> costs;
  ModeCost* cheapest = nullptr;
  std::vector<const CostColumns*> cheapest_columns;  // by model
  std::vector<std::pair<ModelResult*, const ModelPlan*>> batch_models;
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

}  // namespace

void monthly_series(RunPlan& plan, const RunOptions& options, const ModelModes& modes, RunResult& result) {
  const auto trials = static_cast<std::size_t>(plan.trials);
  MonthlySeries series;
  for (std::size_t w = 0; w < plan.workloads.size(); ++w) {
    const auto& wp = plan.workloads[w];
    series.costs.emplace_back(&result.workloads[w].costs[0], &wp.serverless);
    if (wp.batch) series.costs.emplace_back(&result.workloads[w].costs[1], &wp.batch_cost);
  }
  for (std::size_t m = 0; m < plan.models.size(); ++m) {
    for (std::size_t i = 0; i < modes.mode_columns[m].size(); ++i) {
      series.costs.emplace_back(&result.models[m].costs[i], modes.mode_columns[m][i]);
    }
    if (plan.models[m].batch) {
      series.batch_models.emplace_back(&result.models[m], &plan.models[m]);
      series.busiest_batch_day.emplace_back(trials, 0.0);
    }
  }
  series.costs.emplace_back(&result.total[0], &plan.total_serverless);
  if (plan.any_batch) series.costs.emplace_back(&result.total[1], &plan.total_batch);
  series.cheapest = &result.total.back();
  series.cheapest_columns = modes.cheapest;
  // The first block of months is stored now; each later one is drawn again.
  for (;;) {
    poll_cancel(options.cancel);
    summarize_months(plan, result, series, options.group_by);
    const int next = plan.columns.first_stored_month() + plan.columns.stored_months();
    if (next >= plan.months) break;
    simulate_months(plan, options, next);
  }
  plan.columns.restore_fixed();
  for (std::size_t b = 0; b < series.batch_models.size(); ++b) {
    ModelResult& m = *series.batch_models[b].first;
    m.batch_peak_day_tokens = summarize(series.busiest_batch_day[b]);
    if (!m.batch_limit_months.empty()) {
      RunWarning& w = result.warnings.emplace_back();
      w.code = WarningCode::batch_token_limit;
      w.subject = m.model;
      w.months = plan.months;
      w.months_over = static_cast<int>(m.batch_limit_months.size());
      w.limit_tokens = batch_enqueued_token_limit;
      w.peak_day_tokens = m.batch_peak_day_tokens.p95;
    }
  }
}

}  // namespace tokencast::detail
