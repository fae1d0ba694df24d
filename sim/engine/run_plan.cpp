#include "run_plan.hpp"

#include "deferred_capacity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tokencast::detail {
namespace {

CostColumns add_cost_columns(TrialColumns& columns, int months) {
  CostColumns c;
  c.total = columns.add();
  if (months > 1) c.first_month = columns.add_monthly(months);
  return c;
}

bool traffic_shape_certain(const TrafficSpec& t) {
  return t.daily_peak_to_mean.is_certain() && t.peak_hour.is_certain() && t.weekend_factor.is_certain();
}

}  // namespace

void key_streams_by_name(RunPlan& plan) {
  auto hash = [](std::string_view name) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
  };
  for (std::size_t m = 0; m < plan.models.size(); ++m) plan.model_streams[m] = hash(plan.models[m].spec->id);
  for (std::size_t w = 0; w < plan.workloads.size(); ++w) plan.workload_streams[w] = hash(plan.workloads[w].spec->name);
  for (std::size_t c = 0; c < plan.capacity.size(); ++c) plan.capacity_streams[c] = hash(plan.capacity[c].spec->name);
  for (RunPlan::CorrelationGroup& group : plan.correlation_groups) {
    std::string key;
    for (const CorrelatedInput& in : group.spec->inputs) {
      const auto i = static_cast<std::size_t>(in.index);
      key += in.entity == CorrelatedInput::Entity::model      ? "model:" + plan.models[i].spec->id
             : in.entity == CorrelatedInput::Entity::workload ? "workload:" + plan.workloads[i].spec->name
                                                              : "capacity:" + plan.capacity[i].spec->name;
      key += "." + std::to_string(static_cast<int>(in.field)) + ";";
    }
    group.stream = hash(key);
  }
}

RunPlan make_run_plan(const Scenario& scenario, std::int64_t trials, std::uint64_t seed, bool exact) {
  RunPlan plan;
  if (exact) plan.exact_below = std::numeric_limits<double>::infinity();
  plan.scenario = &scenario;
  plan.trials = trials;
  plan.seed = seed;
  plan.months = scenario.months;
  plan.hours_per_month = scenario.hours_per_month;
  for (int m = 0; m < plan.months; ++m) plan.calendars.push_back(month_calendar(m, plan.hours_per_month));

  auto model_index = [&](const std::string& id) {
    for (std::size_t i = 0; i < scenario.models.size(); ++i) {
      if (scenario.models[i].id == id) return static_cast<int>(i);
    }
    throw std::logic_error("scenario names a model it does not define: " + id);
  };

  plan.models.resize(scenario.models.size());
  for (std::size_t i = 0; i < scenario.models.size(); ++i) plan.models[i].spec = &scenario.models[i];

  for (std::size_t c = 0; c < scenario.capacity.size(); ++c) {
    CapacityOptionPlan option;
    option.spec = &scenario.capacity[c];
    option.model = model_index(option.spec->model);
    option.arrivals = scenario.arrivals_of(option.spec->model);
    option.slo_by_simulation = option.spec->has_slo() && option.spec->max_concurrency > 0 &&
                               option.arrivals.sized_by_simulation();
    plan.models[option.model].capacity.push_back(static_cast<int>(c));
    plan.models[option.model].hourly = true;
    plan.capacity.push_back(option);
  }

  if (exact) {
    for (auto& model : plan.models) model.hourly = true;
  }
  Rng unused(0);
  for (std::size_t w = 0; w < scenario.workloads.size(); ++w) {
    const WorkloadSpec& spec = scenario.workloads[w];
    WorkloadPlan wp;
    wp.spec = &spec;
    wp.model = model_index(spec.model);
    ModelPlan& model = plan.models[wp.model];
    model.workloads.push_back(static_cast<int>(w));
    wp.hourly = model.hourly;
    wp.batch = spec.batchable && model.spec->batch_discount.has_value();
    model.batch = model.batch || wp.batch;
    plan.any_batch = plan.any_batch || wp.batch;
    plan.any_hourly = plan.any_hourly || wp.hourly;

    wp.tokens_certain = !spec.input_tokens.has_uncertain_parameters() && !spec.output_tokens.has_uncertain_parameters() &&
                        !(spec.images_per_request && spec.images_per_request->has_uncertain_parameters());
    wp.normal_correlation = normal_correlation_of_spearman(spec.input_output_correlation);
    if (spec.images_per_request) wp.tokens_per_image = model.spec->tokens_per_image.value_or(0.0);
    if (wp.tokens_certain) {
      wp.input = spec.input_tokens.resolve(unused);
      wp.output = spec.output_tokens.resolve(unused);
      if (spec.images_per_request) wp.images = ImageTokens{spec.images_per_request->resolve(unused), wp.tokens_per_image};
      wp.moments = token_moments(wp.input, wp.output, model.spec->context_tokens, wp.normal_correlation,
                                 copula_pearson(wp.input, wp.output, wp.normal_correlation),
                                 wp.images ? &*wp.images : nullptr);
    }
    wp.shape_certain = traffic_shape_certain(spec.traffic);
    if (wp.shape_certain) {
      const DailyShape shape = daily_shape_of(spec.traffic, spec.traffic.daily_peak_to_mean.draw(unused),
                                              spec.traffic.peak_hour.draw(unused));
      const double weekend = spec.traffic.weekend_factor.draw(unused);
      for (const auto& calendar : plan.calendars) wp.profiles.push_back(month_profile(shape, weekend, calendar));
    }
    plan.workloads.push_back(std::move(wp));
  }

  // Column layout.
  TrialColumns& cols = plan.columns;
  for (auto& wp : plan.workloads) {
    wp.requests_col = cols.add();
    wp.input_col = cols.add();
    wp.output_col = cols.add();
    wp.serverless = add_cost_columns(cols, plan.months);
    if (wp.batch) wp.batch_cost = add_cost_columns(cols, plan.months);
  }
  for (auto& model : plan.models) {
    model.tokens_col = cols.add();
    model.serverless = add_cost_columns(cols, plan.months);
    if (model.batch) {
      model.batch_cost = add_cost_columns(cols, plan.months);
      model.batch_peak_day_first_month = cols.add_monthly(plan.months);
    }
  }
  for (auto& option : plan.capacity) {
    option.cost = add_cost_columns(cols, plan.months);
    option.utilization_col = cols.add();
    option.overflow_share_col = cols.add();
    option.usd_per_mtok_col = cols.add();
    option.peak_needed_col = cols.add();
    option.reservation_usd_col = cols.add();
    option.full_capacity_mtok_col = cols.add();
    if (option.spec->max_concurrency > 0) {
      option.slo_rate_col = cols.add();
      option.slo_service_col = cols.add();
      option.slo_scv_col = cols.add();
      option.slo_prefill_p95_col = cols.add();
      option.slo_prefill_mean_col = cols.add();
      option.slo_prefill_scv_col = cols.add();
    }
    if (option.spec->autoscale) {
      option.autoscale_replica_hours_col = cols.add();
      option.autoscale_saved_col = cols.add();
      option.autoscale_hours_at_max_col = cols.add();
    }
  }
  plan.total_serverless = add_cost_columns(cols, plan.months);
  if (plan.any_batch) plan.total_batch = add_cost_columns(cols, plan.months);
  auto indices = [](std::size_t n) {
    std::vector<std::uint64_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = i;
    return v;
  };
  plan.model_inputs.resize(plan.models.size());
  plan.workload_inputs.resize(plan.workloads.size());
  plan.capacity_inputs.resize(plan.capacity.size());
  for (const CorrelationSpec& spec : scenario.correlations) {
    plan.correlation_groups.push_back({plan.correlated_inputs, &spec, plan.correlation_groups.size()});
    for (const CorrelatedInput& in : spec.inputs) input_slot(plan, in).score = plan.correlated_inputs++;
  }
  plan.model_streams = indices(plan.models.size());
  plan.workload_streams = indices(plan.workloads.size());
  plan.capacity_streams = indices(plan.capacity.size());
  return plan;
}

RunPlan::InputSlot& input_slot(RunPlan& plan, const CorrelatedInput& in) {
  auto& table = in.entity == CorrelatedInput::Entity::model      ? plan.model_inputs
                : in.entity == CorrelatedInput::Entity::workload ? plan.workload_inputs
                                                                 : plan.capacity_inputs;
  if (in.index < 0 || static_cast<std::size_t>(in.index) >= table.size()) {
    throw std::logic_error("a run plan has no entity for the input " + in.path);
  }
  return table[static_cast<std::size_t>(in.index)][static_cast<std::size_t>(in.field)];
}

void apply_input_options(RunPlan& plan, const RunOptions& options) {
  if (options.streams_by_name) key_streams_by_name(plan);
  for (const HeldInput& held : options.held_inputs) {
    RunPlan::InputSlot& slot = input_slot(plan, held.input);
    slot.held = true;
    slot.value = held.value;
    if (slot.score < 0) continue;
    for (RunPlan::CorrelationGroup& group : plan.correlation_groups) {
      const int n = static_cast<int>(group.spec->inputs.size());
      if (slot.score < group.first || slot.score >= group.first + n) continue;
      if (group.held >= 0) throw std::logic_error("apply_input_options: two held inputs in one [[correlation]]");
      group.held = slot.score - group.first;
      group.held_score = held.normal_score;
    }
  }
  for (const CorrelatedInput& in : options.recorded_inputs) {
    RunPlan::InputSlot& slot = input_slot(plan, in);
    if (slot.column < 0) {
      slot.column = plan.columns.add();
      plan.recorded_inputs.emplace_back(in, slot.column);
    }
  }
}

DailyShape daily_shape_of(const TrafficSpec& traffic, double peak_to_mean, double peak_hour) {
  if (traffic.hourly_weights) return daily_shape_from_weights(*traffic.hourly_weights);
  return daily_shape(peak_to_mean, static_cast<int>(std::lround(peak_hour)) % 24);
}

int monthly_block_months(const RunPlan& plan) {
  const double per_month = static_cast<double>(plan.columns.monthly_series()) * static_cast<double>(plan.trials) * 8.0;
  if (per_month <= 0) return plan.months;
  return std::clamp(static_cast<int>(std::min(plan.monthly_storage_bytes / per_month, 1e9)), 1, plan.months);
}

double estimated_column_bytes(const RunPlan& plan) {
  // The stored columns (those not per month, one block of months and the sink), the cheapest-plan
  // columns and one sorted copy while summarising, and the kept hours of auto-sized options.
  const double fixed = plan.columns.fixed_columns() + 1.0;  // and the sink
  const double series = plan.columns.monthly_series();
  const double block = monthly_block_months(plan);
  bool any_auto = false;
  for (const auto& option : plan.capacity) any_auto = any_auto || option.auto_sized();
  return ((fixed + series * block + 2.0 * (1 + block)) * 8.0 +
          (any_auto ? static_cast<double>(plan.capacity.size()) * sizeof(DeferredCapacity) : 0.0)) *
         static_cast<double>(plan.trials);
}

}  // namespace tokencast::detail
