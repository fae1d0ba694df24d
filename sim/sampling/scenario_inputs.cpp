// The uncertain inputs a trial draws, named by key path: what [[correlation]] joins, diff lists and
// sensitivity holds. One table of fields for all of them.
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "tokencast/scenario.hpp"

namespace tokencast {
namespace {

using Field = CorrelatedInput::Field;
using Entity = CorrelatedInput::Entity;

struct FieldName {
  Entity entity;
  std::string_view suffix;
  Field field;
};
constexpr FieldName kFields[] = {
    {Entity::model, "input_usd_per_mtok", Field::input_usd_per_mtok},
    {Entity::model, "output_usd_per_mtok", Field::output_usd_per_mtok},
    {Entity::model, "cached_input_usd_per_mtok", Field::cached_input_usd_per_mtok},
    {Entity::model, "batch_discount", Field::batch_discount},
    {Entity::workload, "requests_per_month", Field::requests_per_month},
    {Entity::workload, "cached_input_share", Field::cached_input_share},
    {Entity::workload, "traffic.monthly_growth", Field::monthly_growth},
    {Entity::workload, "traffic.burstiness", Field::burstiness},
    {Entity::workload, "traffic.weekend_factor", Field::weekend_factor},
    {Entity::workload, "traffic.daily_peak_to_mean", Field::daily_peak_to_mean},
    {Entity::workload, "traffic.peak_hour", Field::peak_hour},
    {Entity::capacity, "usd_per_gpu_hour", Field::usd_per_gpu_hour},
    {Entity::capacity, "prefill_tokens_per_s", Field::prefill_tokens_per_s},
    {Entity::capacity, "decode_tokens_per_s", Field::decode_tokens_per_s},
    {Entity::capacity, "max_utilization", Field::max_utilization},
    {Entity::capacity, "fixed_usd_per_month", Field::fixed_usd_per_month},
    {Entity::capacity, "monthly_minimum_usd", Field::monthly_minimum_usd},
};

}  // namespace

std::optional<CorrelatedInput::Field> field_named(CorrelatedInput::Entity entity, std::string_view key) {
  for (const FieldName& f : kFields) {
    if (f.entity == entity && f.suffix == key) return f.field;
  }
  return std::nullopt;
}

std::string field_keys(CorrelatedInput::Entity entity) {
  std::string out;
  for (const FieldName& f : kFields) {
    if (f.entity == entity) out += (out.empty() ? "" : ", ") + std::string(f.suffix);
  }
  return out;
}

const Quantity* input_quantity(const Scenario& s, const CorrelatedInput& in) {
  const auto i = static_cast<std::size_t>(in.index);
  switch (in.field) {
    case Field::input_usd_per_mtok: return &s.models[i].input_usd_per_mtok;
    case Field::output_usd_per_mtok: return &s.models[i].output_usd_per_mtok;
    case Field::cached_input_usd_per_mtok:
      return s.models[i].cached_input_usd_per_mtok ? &*s.models[i].cached_input_usd_per_mtok : nullptr;
    case Field::batch_discount: return s.models[i].batch_discount ? &*s.models[i].batch_discount : nullptr;
    case Field::requests_per_month: return &s.workloads[i].requests_per_month;
    case Field::cached_input_share: return &s.workloads[i].cached_input_share;
    case Field::monthly_growth: return &s.workloads[i].traffic.monthly_growth;
    case Field::burstiness: return &s.workloads[i].traffic.burstiness;
    case Field::weekend_factor: return &s.workloads[i].traffic.weekend_factor;
    case Field::daily_peak_to_mean: return &s.workloads[i].traffic.daily_peak_to_mean;
    case Field::peak_hour: return &s.workloads[i].traffic.peak_hour;
    case Field::usd_per_gpu_hour: return &s.capacity[i].usd_per_gpu_hour;
    case Field::prefill_tokens_per_s: return &s.capacity[i].prefill_tokens_per_s;
    case Field::decode_tokens_per_s: return &s.capacity[i].decode_tokens_per_s;
    case Field::max_utilization: return &s.capacity[i].max_utilization;
    case Field::fixed_usd_per_month: return &s.capacity[i].fixed_usd_per_month;
    case Field::monthly_minimum_usd: return &s.capacity[i].monthly_minimum_usd;
  }
  return nullptr;
}

std::string_view field_key(CorrelatedInput::Field field) {
  for (const FieldName& f : kFields) {
    if (f.field == field) return f.suffix;
  }
  throw std::logic_error("field_key: a field with no key");
}

std::string written_key_path(const Scenario& scenario, const CorrelatedInput& in) {
  switch (in.entity) {
    case CorrelatedInput::Entity::model: return fmt::format("model[{}].{}", in.index, field_key(in.field));
    case CorrelatedInput::Entity::workload: return fmt::format("workload[{}].{}", in.index, field_key(in.field));
    case CorrelatedInput::Entity::capacity: break;
  }
  // [[dedicated]] and [[gpu_cluster]] tables are numbered apart.
  const CapacityKind kind = scenario.capacity.at(static_cast<std::size_t>(in.index)).kind;
  int within = 0;
  for (int c = 0; c < in.index; ++c) within += scenario.capacity[static_cast<std::size_t>(c)].kind == kind ? 1 : 0;
  return fmt::format("{}[{}].{}", to_string(kind), within, field_key(in.field));
}

std::string key_path(const Scenario& scenario, const CorrelatedInput& in) {
  if (in.entity != CorrelatedInput::Entity::model) return written_key_path(scenario, in);
  const ModelSpec& model = scenario.models.at(static_cast<std::size_t>(in.index));
  if (model.model_table < 0) return fmt::format("model[{}].{}", model.id, field_key(in.field));
  return fmt::format("model[{}].{}", model.model_table, field_key(in.field));
}

std::vector<CorrelatedInput> uncertain_inputs(const Scenario& scenario) {
  std::vector<CorrelatedInput> out;
  auto add = [&](CorrelatedInput::Entity entity, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      for (const FieldName& f : kFields) {
        if (f.entity != entity) continue;
        CorrelatedInput in;
        in.entity = entity;
        in.index = static_cast<int>(i);
        in.field = f.field;
        const Quantity* q = input_quantity(scenario, in);
        if (q == nullptr || q->is_certain()) continue;
        in.path = key_path(scenario, in);
        out.push_back(std::move(in));
      }
    }
  };
  add(CorrelatedInput::Entity::model, scenario.models.size());
  add(CorrelatedInput::Entity::workload, scenario.workloads.size());
  add(CorrelatedInput::Entity::capacity, scenario.capacity.size());
  return out;
}

}  // namespace tokencast
