#include <cmath>

#include "tokencast/output.hpp"

#include "json_parts.hpp"

namespace tokencast {
namespace {

using namespace json_parts;

// Adds "cost_usd" (horizon totals by mode) and, for a multi-month horizon, "monthly_cost_usd".
void add_costs(Json& target, const std::vector<ModeCost>& costs, int months) {
  Json totals = Json::object();
  for (const ModeCost& cost : costs) totals[std::string(to_string(cost.mode))] = summary_json(cost.total_usd);
  target["cost_usd"] = std::move(totals);
  if (months <= 1) return;
  Json monthly = Json::object();
  for (const ModeCost& cost : costs) {
    Json per_month = Json::array();
    for (const Summary& month : cost.monthly_usd) per_month.push_back(summary_json(month));
    monthly[std::string(to_string(cost.mode))] = std::move(per_month);
  }
  target["monthly_cost_usd"] = std::move(monthly);
}

Json capacity_json(const CapacityResult& c) {
  Json j = Json::object();
  j["name"] = c.name;
  if (!c.gpu.empty()) j["gpu"] = c.gpu;
  j["replicas"] = c.plan.replicas;
  j["replicas_sizing"] = c.auto_sized ? "auto" : "fixed";
  j["gpus"] = c.plan.gpus;
  if (c.kind == CapacityKind::gpu_cluster) j["nodes"] = c.plan.nodes;
  j["sizing_replicas_needed"] = number(c.sizing_replicas_needed);
  j["feasible"] = c.feasible;
  if (!c.feasible) j["infeasible_reason"] = c.infeasible_reason;
  j["overflow"] = to_string(c.overflow);
  j["utilization"] = summary_json(c.utilization);
  j["overflow_share"] = summary_json(c.overflow_share);
  j["usd_per_mtok"] = summary_json(c.usd_per_mtok);
  j["peak_replicas_needed"] = summary_json(c.peak_replicas_needed);
  if (c.slo) j["slo"] = slo_json(*c.slo);
  if (c.autoscale) j["autoscale"] = autoscale_json(*c.autoscale);
  if (c.throughput) j["throughput_estimate"] = throughput_json(*c.throughput);
  return j;
}

Json workload_json(const WorkloadResult& w, int months) {
  Json j = Json::object();
  j["name"] = w.name;
  j["model"] = w.model;
  if (!w.tags.empty()) {
    Json tags = Json::object();
    for (const auto& [key, value] : w.tags) tags[key] = value;
    j["tags"] = std::move(tags);
  }
  j["requests"] = summary_json(w.requests);
  j["input_tokens"] = summary_json(w.input_tokens);
  j["output_tokens"] = summary_json(w.output_tokens);
  add_costs(j, w.costs, months);
  return j;
}

Json model_json(const ModelResult& m, int months) {
  Json j = Json::object();
  j["model"] = m.model;
  j["workloads"] = m.workloads;
  add_costs(j, m.costs, months);
  if (m.dedicated) j[std::string(to_string(Mode::dedicated))] = capacity_json(*m.dedicated);
  if (m.gpu_cluster) j[std::string(to_string(Mode::gpu_cluster))] = capacity_json(*m.gpu_cluster);
  if (find_cost(m.costs, Mode::batch) != nullptr) {
    j["batch_peak_day_tokens"] = summary_json(m.batch_peak_day_tokens);
    j["batch_limit_months"] = m.batch_limit_months;
  }
  j["cheapest"] = to_string(m.cheapest);
  return j;
}

}  // namespace

nlohmann::ordered_json to_json(const RunResult& result) {
  Json j = Json::object();
  j["schema"] = json_schema_id;

  Json scenario = Json::object();
  scenario["name"] = result.scenario_name;
  scenario["file"] = result.scenario_file;
  scenario["catalog_as_of"] = result.catalog_as_of;
  j["scenario"] = std::move(scenario);

  Json run = Json::object();
  run["trials"] = result.trials;
  run["seed"] = result.seed;
  run["threads"] = result.threads;
  run["months"] = result.months;
  run["hours_per_month"] = result.hours_per_month;
  run["elapsed_s"] = number(result.elapsed_s);
  const RunPhases& phases = result.phases;
  run["phases_s"] = Json{{"load", number(phases.load_s)},         {"plan", number(phases.plan_s)},
                         {"simulate", number(phases.simulate_s)}, {"size", number(phases.size_s)},
                         {"statistics", number(phases.statistics_s)}, {"output", number(phases.output_s)}};
  run["redrawn_trials"] = result.redrawn_trials;
  if (result.exact) run["exact"] = true;
  if (result.precision) {
    run["precision"] = Json{{"target_relative_se", number(result.precision->target)},
                            {"achieved_relative_se", number(result.precision->achieved)},
                            {"max_trials", result.precision->max_trials},
                            {"reached", result.precision->reached}};
  }
  j["run"] = std::move(run);

  Json workloads = Json::array();
  for (const WorkloadResult& w : result.workloads) workloads.push_back(workload_json(w, result.months));
  j["workloads"] = std::move(workloads);

  Json models = Json::array();
  for (const ModelResult& m : result.models) models.push_back(model_json(m, result.months));
  j["models"] = std::move(models);

  Json total = Json::object();
  add_costs(total, result.total, result.months);
  j["total"] = std::move(total);

  if (!result.groups.empty()) j["groups"] = groups_json(result.groups, result.months);
  if (result.breakeven) j["breakeven"] = breakeven_json(*result.breakeven);
  Json& warnings = j["warnings"] = Json::array();
  for (const RunWarning& w : result.warnings) warnings.push_back(warning_text(w));
  return j;
}

namespace json_parts {

Json throughput_json(const ThroughputEstimateSpec& t) {
  if (t.method == "measured") {
    return Json{{"method", t.method},
                {"file", t.file},
                {"max_concurrency", t.max_concurrency},
                {"mean_input_tokens", number(t.input_tokens)},
                {"mean_output_tokens", number(t.output_tokens)},
                {"prefill_tokens_per_s", number(t.prefill_tokens_per_s)},
                {"decode_tokens_per_s", number(t.decode_tokens_per_s)},
                {"decode_tokens_per_s_per_sequence", number(t.decode_tokens_per_s_per_sequence)},
                {"decode_fixed_share", number(t.decode_fixed_share)}};
  }
  return Json{{"method", t.method},
              {"gpu", t.gpu},
              {"tensor_parallel", t.tensor_parallel},
              {"precision", t.precision},
              {"efficiency", Json{{"prefill_mfu", number(t.prefill_mfu)},
                                  {"decode_mfu", number(t.decode_mfu)},
                                  {"decode_mbu", number(t.decode_mbu)},
                                  {"memory_fraction", number(t.memory_fraction)}}},
              {"mean_input_tokens", number(t.input_tokens)},
              {"mean_output_tokens", number(t.output_tokens)},
              {"weights_gb", number(t.weights_gb)},
              {"kv_budget_gb", number(t.kv_budget_gb)},
              {"kv_mb_per_sequence", number(t.kv_mb_per_sequence)},
              {"sequences_in_memory", t.sequences_in_memory},
              {"max_concurrency", t.max_concurrency},
              {"max_concurrency_from_memory", t.concurrency_from_memory},
              {"prefill_tokens_per_s", number(t.prefill_tokens_per_s)},
              {"decode_tokens_per_s", number(t.decode_tokens_per_s)},
              {"decode_tokens_per_s_per_sequence", number(t.decode_tokens_per_s_per_sequence)},
              {"decode_fixed_share", number(t.decode_fixed_share)}};
}

}  // namespace json_parts

// Invalid UTF-8 in a name or warning is replaced (U+FFFD) rather than failing the whole output.
std::string format_json(const RunResult& result) {
  return to_json(result).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string format_capacity_json(const RunResult& result, const CapacitySections& sections) {
  nlohmann::ordered_json j = to_json(result);
  j["capacity_checks"] = capacity_checks_json(sections.checks);
  if (sections.gpus) j["gpu_comparison"] = gpu_comparison_json(*sections.gpus);
  if (sections.replay) j["replay"] = replay_json(*sections.replay);
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace tokencast
