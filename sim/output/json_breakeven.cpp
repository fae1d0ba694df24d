// The "breakeven", "groups", "slo" and "autoscale" sections of tokencast.result/1.
#include "json_parts.hpp"

namespace tokencast::json_parts {
namespace {

Json band_json(const BandPoint& p) { return Json{{"x", number(p.x)}, {"p5", number(p.p5)}, {"p50", number(p.p50)}, {"p95", number(p.p95)}}; }

Json optional_number(const std::optional<double>& v) { return v ? number(*v) : Json(nullptr); }

Json costs_json(const std::vector<ModeCost>& costs) {
  Json j = Json::object();
  for (const ModeCost& c : costs) j[std::string(to_string(c.mode))] = summary_json(c.total_usd);
  return j;
}

}  // namespace

Json breakeven_json(const BreakevenResult& breakeven) {
  Json j = Json::object();
  Json utilization = Json::array();
  for (const UtilizationCurve& c : breakeven.utilization) {
    Json u = Json::object();
    u["model"] = c.model;
    u["option"] = c.option;
    u["kind"] = to_string(c.kind);
    u["replicas"] = c.replicas;
    u["serverless_usd_per_mtok"] = summary_json(c.serverless_usd_per_mtok);
    u["breakeven_utilization"] = summary_json(c.breakeven_utilization);
    u["probability_breakeven_reachable"] = number(c.probability_breakeven_reachable);
    Json curve = Json::array();
    for (const BandPoint& p : c.option_usd_per_mtok) {
      Json point = band_json(p);
      point.erase("x");
      curve.push_back(Json{{"utilization", number(p.x)}, {"usd_per_mtok", point}});
    }
    u["curve"] = std::move(curve);
    utilization.push_back(std::move(u));
  }
  j["utilization"] = std::move(utilization);

  Json volume = Json::array();
  for (const VolumeCurve& c : breakeven.volume) {
    Json v = Json::object();
    v["model"] = c.model;
    Json points = Json::array();
    for (const VolumePoint& p : c.points) {
      Json point = Json::object();
      point["multiplier"] = number(p.multiplier);
      point["requests_per_month"] = number(p.requests_per_month);
      point["monthly_cost_usd"] = costs_json(p.costs);
      Json probability = Json::object();
      for (const auto& [name, value] : p.probability_cheaper) probability[name] = number(value);
      point["probability_cheaper_than_serverless"] = std::move(probability);
      Json replicas = Json::object();
      for (const auto& [name, value] : p.replicas) replicas[name] = value;
      point["replicas"] = std::move(replicas);
      points.push_back(std::move(point));
    }
    v["points"] = std::move(points);
    Json be = Json::array();
    for (const VolumeBreakeven& b : c.breakeven) {
      be.push_back(Json{{"option", b.option},
                        {"kind", to_string(b.kind)},
                        {"requests_per_month_50", optional_number(b.requests_per_month_50)},
                        {"requests_per_month_10", optional_number(b.requests_per_month_10)},
                        {"requests_per_month_90", optional_number(b.requests_per_month_90)},
                        {"multiplier_50", optional_number(b.multiplier_50)},
                        {"multiplier_10", optional_number(b.multiplier_10)},
                        {"multiplier_90", optional_number(b.multiplier_90)}});
    }
    v["breakeven"] = std::move(be);
    volume.push_back(std::move(v));
  }
  j["volume"] = std::move(volume);
  if (!breakeven.volume.empty()) j["volume_method"] = breakeven.volume_method;
  return j;
}

Json groups_json(const std::vector<GroupBreakdown>& groups, int months) {
  Json j = Json::array();
  for (const GroupBreakdown& g : groups) {
    Json entries = Json::array();
    for (const auto& e : g.entries) {
      Json entry = Json::object();
      entry["value"] = e.value;
      entry["workloads"] = e.workloads;
      entry["cost_usd"] = costs_json(e.costs);
      if (months > 1) {
        Json monthly = Json::object();
        for (const ModeCost& c : e.costs) {
          Json per_month = Json::array();
          for (const Summary& s : c.monthly_usd) per_month.push_back(summary_json(s));
          monthly[std::string(to_string(c.mode))] = std::move(per_month);
        }
        entry["monthly_cost_usd"] = std::move(monthly);
      }
      entries.push_back(std::move(entry));
    }
    j.push_back(Json{{"key", g.key}, {"entries", std::move(entries)}});
  }
  return j;
}

Json slo_json(const SloSizing& slo) {
  Json j{{"peak_arrival_rate_per_s", number(slo.peak_arrival_rate_per_s)},
              {"mean_service_s", number(slo.mean_service_s)},
              {"service_scv", number(slo.service_scv)},
              {"prefill_mean_s", number(slo.prefill_mean_s)},
              {"prefill_scv", number(slo.prefill_scv)},
              {"prefill_p95_s", number(slo.prefill_p95_s)},
              {"decode_fixed_share", number(slo.decode_fixed_share)},
              {"feasible", slo.feasible},
              {"replicas", slo.feasible ? Json(slo.replicas) : Json(nullptr)},
              {"stable", slo.stable},
              {"utilization", number(slo.utilization)},
              {"wait_probability", number(slo.wait_probability)},
              {"wait_p95_s", number(slo.wait_p95_s)},
              {"ttft_p95_s", number(slo.ttft_p95_s)},
              {"arrivals", slo.arrivals},
              {"interarrival_scv", number(slo.interarrival_scv)},
              {"dispersion_index_60s", number(slo.dispersion_index_60s)},
              {"method", slo.method}};
  if (slo.simulated) {
    const SimulatedSloResult& r = *slo.simulated;
    j["simulation"] = Json{{"analytic_replicas", r.analytic_replicas},
                           {"evaluations", r.evaluations},
                           {"measured_s", number(r.measured_s)},
                           {"requests", r.requests},
                           {"wait_probability", number(r.wait_probability)},
                           {"wait_p95_s", number(r.wait_p95_s)},
                           {"ttft_p95_s", number(r.ttft_p95_s)},
                           {"utilization", number(r.utilization)}};
  }
  return j;
}

Json autoscale_json(const AutoscaleResult& a) {
  return Json{{"min_replicas", a.min_replicas},
              {"max_replicas", a.max_replicas},
              {"step_hours", a.step_hours},
              {"replica_hours", summary_json(a.replica_hours)},
              {"saved_usd", summary_json(a.saved_usd)},
              {"hours_at_max_overflowing", summary_json(a.hours_at_max_overflowing)}};
}

}  // namespace tokencast::json_parts
