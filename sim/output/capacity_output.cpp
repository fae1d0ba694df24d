// Terminal table and JSON of `tokencast capacity`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "json_parts.hpp"
#include "number_format.hpp"
#include "text_table.hpp"
#include "tokencast/output.hpp"

namespace tokencast {
namespace {

std::string seconds(double s) {
  if (!std::isfinite(s)) return "unstable";
  return s < 10 ? fmt::format("{:.3f} s", s) : fmt::format("{:.1f} s", s);
}

}  // namespace

// One table per option: each GPU and tensor-parallel degree, sized and costed.
std::string gpu_comparison_text(const GpuComparison& comparison) {
  std::string out =
      "\nWhich GPU? Each option's throughput estimated on each catalog GPU that holds its model "
      "(docs/throughput.md)\n";
  std::string option;
  std::optional<TextTable> table;
  auto flush = [&] {
    if (table) out += table->render();
    table.reset();
  };
  for (const GpuChoice& c : comparison.choices) {
    if (!table || c.option != option) {
      flush();
      option = c.option;
      table.emplace(std::vector<Column>{{"GPU"}, {"TP", true}, {"$/GPU-h", true}, {"replicas", true},
                                        {"seq/replica", true}, {"cost p50", true}, {"cost p95", true},
                                        {"$/1M tok p50", true}, {"util p50", true}, {"objective"}, {""}},
                    4, 2);
      table->add_span(fmt::format("{} '{}' on {}, {}, {}/{} tokens in/out", to_string(c.kind), c.option, c.model,
                                  c.throughput.precision, format_count(c.throughput.input_tokens),
                                  format_count(c.throughput.output_tokens)));
      table->add_header();
    }
    const std::string objective = !c.feasible ? "infeasible" : c.objective_met ? "met" : "not met";
    table->add_row({c.throughput.gpu, std::to_string(c.throughput.tensor_parallel),
                    c.usd_per_gpu_hour ? price_text(*c.usd_per_gpu_hour) : std::string("no price"),
                    std::to_string(c.replicas), format_count(c.throughput.max_concurrency),
                    c.cost_usd ? format_usd(c.cost_usd->p50) : "-", c.cost_usd ? format_usd(c.cost_usd->p95) : "-",
                    c.usd_per_mtok ? fmt::format("{:.3f}", c.usd_per_mtok->p50) : "-",
                    format_percent(c.utilization.p50), objective, c.cheapest ? "← cheapest" : ""});
  }
  flush();
  for (const std::string& why : comparison.skipped) out += fmt::format("  not compared: {}\n", why);
  out += "  (TP: GPUs per replica (tensor parallel); seq/replica: sequences each replica runs; costs over the\n"
         "  horizon, overflow included; cheapest: lowest mean cost among priced choices meeting the objective)\n";
  return out;
}

namespace {

// "interarrival scv 173, index of dispersion 2.1 (1 s) ...; as traffic.arrivals: { ... }"
std::string arrivals_text(const ArrivalMeasurement& m) {
  std::string out = fmt::format("interarrival scv {:.3g}, index of dispersion", m.interarrival_scv);
  bool any = false;
  for (std::size_t k = 0; k < m.windows_s.size(); ++k) {
    if (!m.dispersion_index[k]) continue;
    out += fmt::format("{} {:.3g} ({:g} s)", any ? "," : "", *m.dispersion_index[k], m.windows_s[k]);
    any = true;
  }
  if (!any) out += " - (too short)";
  if (m.onoff) {
    out += fmt::format("; as traffic.arrivals: {{ model = \"onoff\", peak_ratio = {:.3g}, on_share = {:.3g}, "
                       "mean_on_s = {:.3g} }}",
                       m.onoff->peak_ratio, m.onoff->on_share, m.onoff->mean_on_s);
  } else {
    out += "; no burstier than Poisson: traffic.arrivals = { model = \"poisson\" }";
  }
  return out;
}

}  // namespace

// The trace, then per option its pool at the chosen replicas, one fewer and one more.
std::string replay_text(const TraceReplay& replay) {
  std::string out = fmt::format(
      "\nTrace replay: {} ({}, {} requests over {:.1f} s, {:.3g} requests/s){}\n", replay.file, replay.format,
      format_count(static_cast<double>(replay.trace_requests)), replay.span_s, replay.trace_rate_per_s,
      replay.copies == 1 ? std::string()
                         : fmt::format("; {:.4g} superposed copies: {} requests, {:.3g} requests/s", replay.copies,
                                       format_count(static_cast<double>(replay.replayed_requests)),
                                       replay.trace_rate_per_s * replay.copies));
  out += "  arrivals in the trace: " + arrivals_text(replay.arrivals) + "\n";
  for (const ReplayCheck& check : replay.checks) {
    std::vector<std::string> targets;
    if (check.slo_wait_p95_s) targets.push_back(fmt::format("wait p95 <= {} s", *check.slo_wait_p95_s));
    if (check.slo_ttft_p95_s) targets.push_back(fmt::format("TTFT p95 <= {} s", *check.slo_ttft_p95_s));
    TextTable table({{"replicas", true}, {"P(wait)", true}, {"wait p50", true}, {"wait p95", true},
                     {"wait p99", true}, {"TTFT p50", true}, {"TTFT p95", true}, {"TTFT p99", true}, {"util", true},
                     {"objective"}, {""}},
                    4, 2);
    table.add_span(fmt::format("{} '{}' ({} sequences per replica{}; objective: {})", to_string(check.kind),
                               check.option, check.max_concurrency,
                               check.replications > 1 ? fmt::format(", throughputs drawn {} times", check.replications)
                                                      : std::string(),
                               targets.empty() ? std::string("none") : fmt::format("{}", fmt::join(targets, ", "))));
    table.add_header();
    for (const ReplayPoint& p : check.points) {
      const PoolSimulationResult& s = p.simulated;
      table.add_row({std::to_string(p.replicas), format_percent(s.wait_probability), seconds(s.wait_p50_s),
                     seconds(s.wait_p95_s), seconds(s.wait_p99_s), seconds(s.ttft_p50_s), seconds(s.ttft_p95_s),
                     seconds(s.ttft_p99_s), format_percent(s.utilization),
                     !p.objective_met ? "-" : *p.objective_met ? "met" : "not met",
                     p.replicas == check.chosen_replicas ? "← chosen" : ""});
    }
    out += table.render();
  }
  out += fmt::format("  (util: {}, through the trace's span)\n", utilization_definition);
  return out;
}

std::string format_capacity_table(const RunResult& result, const CapacitySections& sections) {
  const std::vector<PoolCheck>& checks = sections.checks;
  std::string out = fmt::format("Capacity for \"{}\": {} trials, seed {}\n", result.scenario_name,
                                format_count(static_cast<double>(result.trials)), result.seed);
  for (const ModelResult& m : result.models) {
    for (const auto* option : {&m.dedicated, &m.gpu_cluster}) {
      if (!*option) continue;
      const CapacityResult& c = **option;
      out += fmt::format("\n{} '{}' on {}\n", to_string(c.kind), c.name, m.model);
      out += fmt::format("  reserved replicas        {} ({} GPUs{}), {}\n", c.plan.replicas, c.plan.gpus,
                         c.kind == CapacityKind::gpu_cluster ? fmt::format(", {} nodes", c.plan.nodes) : "",
                         c.auto_sized ? "sized automatically" : "fixed in the scenario");
      if (!c.feasible) out += fmt::format("  INFEASIBLE: {}\n", c.infeasible_reason);
      out += fmt::format("  peak-hour replicas needed p50 {:.2f}, p95 {:.2f} ({})\n", c.peak_replicas_needed.p50,
                         c.peak_replicas_needed.p95,
                         !c.slo                 ? "utilization rule"
                         : c.slo->simulated     ? "utilization rule; the latency rule is sized once, by simulation"
                                                : "the larger of the utilization and latency rules");
      out += fmt::format("  utilization p50 {} over the horizon, overflow share p50 {}\n",
                         format_percent(c.utilization.p50), format_percent(c.overflow_share.p50));
      if (c.slo) {
        const SloSizing& s = *c.slo;
        out += fmt::format("  serving model: peak {:.3f} requests/s; prefill mean {} (p95 {}) on each replica's "
                           "prefill; a slot held {} (scv {:.2f}) before waits; utilization at the peak {}\n",
                           s.peak_arrival_rate_per_s, seconds(s.prefill_mean_s), seconds(s.prefill_p95_s),
                           seconds(s.mean_service_s), s.service_scv, format_percent(s.utilization));
        out += fmt::format("  arrivals within the hour: {} (interarrival scv {:.3g}, index of dispersion {:.3g} over "
                           "60 s)\n",
                           s.arrivals, s.interarrival_scv, s.dispersion_index_60s);
        if (s.simulated) {
          out += fmt::format("  sized by simulating the pool ({} pools of {} requests over {:.0f} s each, the same "
                             "arrivals in each); the closed form gives {}\n",
                             s.simulated->evaluations, format_count(static_cast<double>(s.simulated->requests)),
                             s.simulated->measured_s, s.simulated->analytic_replicas);
        }
        out += fmt::format("  fewest replicas meeting the objective: {}; at {} replicas: P(wait) {}, wait p95 {}, "
                           "TTFT p95 {}{}\n",
                           s.feasible ? std::to_string(s.replicas) : std::string("none (infeasible)"),
                           c.plan.replicas, format_percent(s.wait_probability), seconds(s.wait_p95_s),
                           seconds(s.ttft_p95_s),
                           s.simulated && s.replicas == c.plan.replicas ? " (simulated)" : "");
      }
      if (c.autoscale) {
        const AutoscaleResult& a = *c.autoscale;
        out += fmt::format("  autoscale {}..{} replicas every {} h: replica-hours p50 {}, saved vs fixed p50 {}, "
                           "hours at max overflowing p50 {}\n",
                           a.min_replicas, a.max_replicas, a.step_hours, format_count(a.replica_hours.p50),
                           format_usd(a.saved_usd.p50), format_count(a.hours_at_max_overflowing.p50));
      }
      for (const PoolCheck& check : checks) {
        if (check.option != c.name || check.replications == 0) continue;
        out += fmt::format("  simulated peak hour ({} replications, {} requests, arrivals {}{}):\n", check.replications,
                           format_count(static_cast<double>(check.requests)), check.arrivals,
                           check.arrivals.find("scv") == std::string::npos
                               ? fmt::format(", interarrival scv {:.3g}", check.arrival_scv)
                               : std::string());
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "", "analytic", "simulated");
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "P(wait)", format_percent(check.analytic.wait_probability),
                           format_percent(check.wait_probability));
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "mean wait", seconds(check.analytic.mean_wait_s),
                           seconds(check.mean_wait_s) + fmt::format(" ±{:.2g}", check.mean_wait_se_s));
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "wait p50 / p99", "-",
                           seconds(check.wait_p50_s) + " / " + seconds(check.wait_p99_s));
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "wait p95", seconds(check.analytic.wait_p95_s),
                           seconds(check.wait_p95_s));
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "TTFT p95", seconds(check.analytic_ttft_p95_s),
                           seconds(check.ttft_p95_s));
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "TTFT p50 / p99", "-",
                           seconds(check.ttft_p50_s) + " / " + seconds(check.ttft_p99_s));
        out += fmt::format("    {:<18} {:>12} {:>12}\n", "utilization", format_percent(check.analytic.utilization),
                           format_percent(check.utilization));
        out += fmt::format("    (utilization: {}, at the peak rate)\n", utilization_definition);
      }
    }
  }
  if (sections.gpus) out += gpu_comparison_text(*sections.gpus);
  if (sections.replay) out += replay_text(*sections.replay);
  return terminal_safe(out);
}

nlohmann::ordered_json gpu_comparison_json(const GpuComparison& comparison) {
  using namespace json_parts;
  Json choices = Json::array();
  for (const GpuChoice& c : comparison.choices) {
    Json j = Json::object();
    j["option"] = c.option;
    j["model"] = c.model;
    j["kind"] = to_string(c.kind);
    j["gpu"] = c.throughput.gpu;
    j["tensor_parallel"] = c.throughput.tensor_parallel;
    if (!c.usd_per_gpu_hour) {
      j["usd_per_gpu_hour"] = nullptr;
    } else if (c.usd_per_gpu_hour->is_certain()) {
      j["usd_per_gpu_hour"] = number(c.usd_per_gpu_hour->constant());
    } else {
      j["usd_per_gpu_hour"] = c.usd_per_gpu_hour->describe();
    }
    j["replicas"] = c.replicas;
    j["feasible"] = c.feasible;
    if (!c.feasible) j["infeasible_reason"] = c.infeasible_reason;
    j["objective_met"] = c.objective_met;
    j["cost_usd"] = c.cost_usd ? summary_json(*c.cost_usd) : Json(nullptr);
    j["usd_per_mtok"] = c.usd_per_mtok ? summary_json(*c.usd_per_mtok) : Json(nullptr);
    j["utilization"] = summary_json(c.utilization);
    if (c.slo) j["slo"] = slo_json(*c.slo);
    j["throughput_estimate"] = throughput_json(c.throughput);
    j["cheapest"] = c.cheapest;
    choices.push_back(std::move(j));
  }
  Json skipped = Json::array();
  for (const std::string& why : comparison.skipped) skipped.push_back(why);
  return Json{{"choices", std::move(choices)}, {"not_compared", std::move(skipped)}};
}

nlohmann::ordered_json arrivals_json(const ArrivalMeasurement& m) {
  using namespace json_parts;
  Json idc = Json::object();
  for (std::size_t k = 0; k < m.windows_s.size(); ++k) {
    idc[fmt::format("{:g}s", m.windows_s[k])] = m.dispersion_index[k] ? Json(number(*m.dispersion_index[k])) : Json(nullptr);
  }
  Json j{{"mean_rate_per_s", number(m.mean_rate_per_s)},
         {"interarrival_scv", number(m.interarrival_scv)},
         {"dispersion_index", std::move(idc)}};
  j["onoff_fit"] = m.onoff ? Json{{"peak_ratio", number(m.onoff->peak_ratio)},
                                  {"on_share", number(m.onoff->on_share)},
                                  {"mean_on_s", number(m.onoff->mean_on_s)}}
                           : Json(nullptr);
  return j;
}

nlohmann::ordered_json replay_json(const TraceReplay& replay) {
  using namespace json_parts;
  Json options = Json::array();
  for (const ReplayCheck& check : replay.checks) {
    Json points = Json::array();
    for (const ReplayPoint& p : check.points) {
      const PoolSimulationResult& s = p.simulated;
      points.push_back({{"replicas", p.replicas},
                        {"chosen", p.replicas == check.chosen_replicas},
                        {"requests", s.requests},
                        {"wait_probability", number(s.wait_probability)},
                        {"mean_wait_s", number(s.mean_wait_s)},
                        {"wait_p50_s", number(s.wait_p50_s)},
                        {"wait_p95_s", number(s.wait_p95_s)},
                        {"wait_p99_s", number(s.wait_p99_s)},
                        {"ttft_p50_s", number(s.ttft_p50_s)},
                        {"ttft_p95_s", number(s.ttft_p95_s)},
                        {"ttft_p99_s", number(s.ttft_p99_s)},
                        {"utilization", number(s.utilization)},
                        {"objective_met", p.objective_met ? Json(*p.objective_met) : Json(nullptr)}});
    }
    Json objective = Json::object();
    if (check.slo_wait_p95_s) objective["wait_p95_s"] = number(*check.slo_wait_p95_s);
    if (check.slo_ttft_p95_s) objective["ttft_p95_s"] = number(*check.slo_ttft_p95_s);
    options.push_back({{"model", check.model},
                       {"option", check.option},
                       {"kind", to_string(check.kind)},
                       {"max_concurrency", check.max_concurrency},
                       {"chosen_replicas", check.chosen_replicas},
                       {"objective", std::move(objective)},
                       {"replications", check.replications},
                       {"points", std::move(points)}});
  }
  return Json{{"trace", {{"file", replay.file},
                         {"format", replay.format},
                         {"requests", replay.trace_requests},
                         {"span_s", number(replay.span_s)},
                         {"rate_per_s", number(replay.trace_rate_per_s)},
                         {"copies", number(replay.copies)},
                         {"replayed_requests", replay.replayed_requests},
                         {"arrivals", arrivals_json(replay.arrivals)}}},
              {"utilization_of", std::string(utilization_definition) + ", through the trace's span"},
              {"options", std::move(options)}};
}

nlohmann::ordered_json capacity_checks_json(const std::vector<PoolCheck>& checks) {
  using json_parts::number;
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const PoolCheck& c : checks) {
    j.push_back({{"model", c.model},
                 {"option", c.option},
                 {"kind", to_string(c.kind)},
                 {"replicas", c.replicas},
                 {"max_concurrency", c.max_concurrency},
                 {"arrival_rate_per_s", number(c.arrival_rate_per_s)},
                 {"arrival_scv", number(c.arrival_scv)},
                 {"arrivals", c.arrivals},
                 {"utilization_of", std::string(utilization_definition) + ", at the peak rate"},
                 {"analytic",
                  {{"stable", c.analytic.stable},
                   {"utilization", number(c.analytic.utilization)},
                   {"wait_probability", number(c.analytic.wait_probability)},
                   {"mean_wait_s", number(c.analytic.mean_wait_s)},
                   {"wait_p95_s", number(c.analytic.wait_p95_s)},
                   {"ttft_p95_s", number(c.analytic_ttft_p95_s)}}},
                 {"simulated",
                  {{"replications", c.replications},
                   {"requests", c.requests},
                   {"wait_probability", number(c.wait_probability)},
                   {"mean_wait_s", number(c.mean_wait_s)},
                   {"mean_wait_se_s", number(c.mean_wait_se_s)},
                   {"wait_p50_s", number(c.wait_p50_s)},
                   {"wait_p95_s", number(c.wait_p95_s)},
                   {"wait_p99_s", number(c.wait_p99_s)},
                   {"ttft_p50_s", number(c.ttft_p50_s)},
                   {"ttft_p95_s", number(c.ttft_p95_s)},
                   {"ttft_p99_s", number(c.ttft_p99_s)},
                   {"utilization", number(c.utilization)}}}});
  }
  return j;
}

}  // namespace tokencast
