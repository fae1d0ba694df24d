#include "tokencast/trial_store.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

#include "../engine/simulation.hpp"
#include "summarize_run.hpp"
#include "tokencast/errors.hpp"

namespace tokencast {

std::optional<int> RunLayout::find(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

int RunLayout::id(std::string_view name) const {
  if (const auto found = find(name)) return *found;
  throw std::out_of_range(fmt::format("no output column named '{}' (RunLayout::names lists them)", name));
}

struct TrialStore::State {
  Scenario scenario;
  RunOptions options;
  RunLayout layout;
  std::optional<detail::RunPlan> plan;  // once trials are drawn
  detail::DeferredHours deferred;
};

namespace {

// The named horizon columns of a plan, in the order RunLayout documents.
void name_columns(const detail::RunPlan& plan, std::vector<std::string>& names, std::vector<int>& columns) {
  auto add = [&](std::string name, int column) {
    if (column < 0) return;
    names.push_back(std::move(name));
    columns.push_back(column);
  };
  // A cost over the horizon, and over several months each month's too.
  auto add_cost = [&](const std::string& name, const detail::CostColumns& cost) {
    add(name, cost.total);
    if (plan.months < 2) return;
    for (int m = 0; m < plan.months; ++m) add(fmt::format("{}.month[{}]", name, m + 1), cost.month(m));
  };
  add_cost("total.serverless_usd", plan.total_serverless);
  if (plan.any_batch) add_cost("total.batch_usd", plan.total_batch);
  for (const auto& w : plan.workloads) {
    const std::string prefix = fmt::format("workload[{}].", w.spec->name);
    add(prefix + "requests", w.requests_col);
    add(prefix + "input_tokens", w.input_col);
    add(prefix + "output_tokens", w.output_col);
    add_cost(prefix + "serverless_usd", w.serverless);
    if (w.batch) add_cost(prefix + "batch_usd", w.batch_cost);
  }
  for (const auto& m : plan.models) {
    const std::string prefix = fmt::format("model[{}].", m.spec->id);
    add_cost(prefix + "serverless_usd", m.serverless);
    if (m.batch) add_cost(prefix + "batch_usd", m.batch_cost);
    add(prefix + "tokens", m.tokens_col);
  }
  for (const auto& c : plan.capacity) {
    const std::string prefix = fmt::format("capacity[{}].", c.spec->name);
    add_cost(prefix + "cost_usd", c.cost);
    add(prefix + "utilization", c.utilization_col);
    add(prefix + "overflow_share", c.overflow_share_col);
    add(prefix + "usd_per_mtok", c.usd_per_mtok_col);
    add(prefix + "peak_replicas_needed", c.peak_needed_col);
    add(prefix + "replica_hours", c.autoscale_replica_hours_col);
    add(prefix + "autoscale_saved_usd", c.autoscale_saved_col);
  }
  for (const auto& [input, column] : plan.recorded_inputs) add("input." + key_path(*plan.scenario, input), column);
}

}  // namespace

TrialStore::TrialStore(Scenario scenario, RunOptions options) : state_(std::make_unique<State>()) {
  state_->scenario = std::move(scenario);
  state_->options = std::move(options);
  // The layout depends on the scenario only: a plan of one trial gives every column's place.
  detail::RunPlan layout_plan = detail::make_run_plan(state_->scenario, 1, 0, state_->options.exact);
  detail::apply_input_options(layout_plan, state_->options);
  name_columns(layout_plan, state_->layout.names_, state_->layout.columns_);
}

TrialStore::TrialStore(TrialStore&&) noexcept = default;
TrialStore& TrialStore::operator=(TrialStore&&) noexcept = default;
TrialStore::~TrialStore() = default;

const Scenario& TrialStore::scenario() const { return state_->scenario; }
const RunLayout& TrialStore::layout() const { return state_->layout; }
std::int64_t TrialStore::trials() const { return state_->plan ? state_->plan->trials : 0; }

void TrialStore::grow(std::int64_t trials) {
  State& s = *state_;
  if (trials <= this->trials()) return;
  RunOptions options = s.options;
  options.trials = trials;
  options.precision = 0;
  // The refusal a run of that many trials gets, before anything changes.
  if (s.plan) detail::check_limits(s.scenario, options);
  try {
    detail::in_arena(options, [&] {
      if (!s.plan) {
        s.plan.emplace(detail::simulate(s.scenario, options, s.deferred));
      } else {
        detail::add_trials(*s.plan, options, s.deferred, trials);
      }
    });
  } catch (const Interrupted&) {
    s.plan.reset();
    s.deferred = {};
    throw;
  }
}

std::span<const double> TrialStore::column(int id) const {
  if (id < 0 || id >= state_->layout.size()) throw std::out_of_range(fmt::format("no output column {}", id));
  if (!state_->plan) return {};
  const int column = state_->layout.columns_[static_cast<std::size_t>(id)];
  if (!state_->plan->columns.holds(column)) {
    throw std::out_of_range(fmt::format("column '{}' is a month past the block of months held (RunOptions::"
                                        "monthly_storage_bytes)",
                                        state_->layout.names()[static_cast<std::size_t>(id)]));
  }
  return state_->plan->columns.column(column);
}

std::span<const double> TrialStore::column(std::string_view name) const { return column(state_->layout.id(name)); }

RunResult TrialStore::summarize() {
  State& s = *state_;
  if (!s.plan) throw std::logic_error("TrialStore::summarize: no trials drawn (grow first)");
  return detail::in_arena(s.options, [&] { return detail::summarize_run(*s.plan, s.options, std::nullopt, {}); });
}

}  // namespace tokencast
