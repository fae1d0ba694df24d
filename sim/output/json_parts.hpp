#pragma once
// Pieces of the tokencast.result/1 JSON shared by its sections.
#include <cmath>

#include <nlohmann/json.hpp>

#include "tokencast/capacity_check.hpp"
#include "tokencast/gpu_comparison.hpp"
#include "tokencast/results.hpp"

namespace tokencast {

nlohmann::ordered_json to_json(const RunResult& result);
nlohmann::ordered_json capacity_checks_json(const std::vector<PoolCheck>& checks);
nlohmann::ordered_json gpu_comparison_json(const GpuComparison& comparison);
nlohmann::ordered_json replay_json(const TraceReplay& replay);

}  // namespace tokencast

namespace tokencast::json_parts {

using Json = nlohmann::ordered_json;

// JSON has no NaN or infinity: such a value becomes null.
inline Json number(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

// A statistic with its 95% interval; an unknown bound is null.
inline Json estimate_json(const Estimate& e) { return Json{{"value", e.value}, {"lo", number(e.lo)}, {"hi", number(e.hi)}}; }

inline Json summary_json(const Summary& s) {
  Json j = Json::object();
  j["mean"] = number(s.mean);
  j["sd"] = number(s.sd);
  j["p5"] = number(s.p5);
  j["p50"] = number(s.p50);
  j["p95"] = number(s.p95);
  j["p99"] = number(s.p99);
  j["min"] = number(s.min);
  j["max"] = number(s.max);
  j["mean_se"] = number(s.mean_se);
  if (s.p50_se) j["p50_se"] = number(*s.p50_se);
  if (s.p95_se) j["p95_se"] = number(*s.p95_se);
  return j;
}

Json breakeven_json(const BreakevenResult& breakeven);
Json groups_json(const std::vector<GroupBreakdown>& groups, int months);
Json slo_json(const SloSizing& slo);
Json autoscale_json(const AutoscaleResult& autoscale);
Json throughput_json(const ThroughputEstimateSpec& estimate);

}  // namespace tokencast::json_parts
