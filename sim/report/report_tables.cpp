// Sections 2, 6 and 7 of the report: cost tables, capacity recommendations, tag breakdowns.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "tokencast/output.hpp"
#include "report_sections.hpp"

namespace tokencast::report {
namespace {

// format_usd may write "<$0.01".
std::string usd_html(double usd) { return escape_html(format_usd(usd)); }

// mean, p5, p50, p95 cells of a cost.
std::vector<std::string> cost_cells(const Summary& s) {
  return {usd_html(s.mean), usd_html(s.p5), usd_html(s.p50), usd_html(s.p95)};
}

// p50 over its p5 – p95 range, stacked to keep columns narrow.
std::string median_and_range(const Summary& s, std::string (*format)(double)) {
  return fmt::format("{}<br><span class=\"range\">{} – {}</span>", escape_html(format(s.p50)), escape_html(format(s.p5)),
                     escape_html(format(s.p95)));
}

std::string decimal(double value) { return fmt::format("{:.2f}", value); }
std::string seconds(double value) { return fmt::format("{:.2f} s", value); }

std::string models_table(const RunResult& r) {
  HtmlTable t;
  t.headers = {"model", "mode", "mean", "p5", "p50", "p95", ""};
  t.numeric = {false, false, true, true, true, true, false};
  for (const ModelResult& m : r.models) {
    bool first = true;
    for (const ModeCost& cost : m.costs) {
      std::vector<std::string> cells{first ? model_html(m.model) : "", escape_html(mode_label(cost.mode))};
      for (std::string& cell : cost_cells(cost.total_usd)) cells.push_back(std::move(cell));
      const bool cheapest = cost.mode == m.cheapest;
      cells.push_back(cheapest ? "<span class=\"badge\">★ cheapest (mean)</span>" : "");
      std::string css = first ? "group-start" : "";
      if (cheapest) css += css.empty() ? "cheapest" : " cheapest";
      t.add(std::move(cells), css);
      first = false;
    }
  }
  return t.render(escape_html(fmt::format("By model and mode, {} (USD)", horizon_label(r.months))));
}

std::string workloads_table(const RunResult& r) {
  HtmlTable t;
  t.headers = {"workload", "model", "requests (p50)", "mode", "mean", "p5", "p50", "p95"};
  t.numeric = {false, false, true, false, true, true, true, true};
  for (const WorkloadResult& w : r.workloads) {
    bool first = true;
    for (const ModeCost& cost : w.costs) {
      std::vector<std::string> cells{first ? escape_html(w.name) : "", first ? model_html(w.model) : "",
                                     first ? format_count(w.requests.p50) : "", escape_html(mode_label(cost.mode))};
      for (std::string& cell : cost_cells(cost.total_usd)) cells.push_back(std::move(cell));
      t.add(std::move(cells), first ? "group-start" : "");
      first = false;
    }
  }
  return t.render(escape_html(fmt::format("By workload, {} (USD)", horizon_label(r.months))));
}

std::string totals_table(const RunResult& r) {
  HtmlTable t;
  t.headers = {"mode", "mean", "p5", "p50", "p95"};
  t.numeric = {false, true, true, true, true, true, true};
  if (r.months > 1) {
    t.headers.push_back("month 1 p50");
    t.headers.push_back(escape_html(fmt::format("month {} p50", r.months)));
  }
  for (const ModeCost& cost : r.total) {
    std::vector<std::string> cells{escape_html(mode_label(cost.mode))};
    for (std::string& cell : cost_cells(cost.total_usd)) cells.push_back(std::move(cell));
    if (r.months > 1) {
      const bool months = !cost.monthly_usd.empty();
      cells.push_back(months ? usd_html(cost.monthly_usd.front().p50) : "—");
      cells.push_back(months ? usd_html(cost.monthly_usd.back().p50) : "—");
    }
    t.add(std::move(cells), cost.mode == Mode::cheapest_plan ? "cheapest" : "");
  }
  return t.render(escape_html(fmt::format("Total, all models, {} (USD)", horizon_label(r.months))));
}

std::string warnings_box(const RunResult& r) {
  if (r.warnings.empty()) return {};
  std::string out = "<div class=\"warnings\" role=\"note\"><h3>Warnings</h3><ul>";
  for (const RunWarning& w : r.warnings) out += "<li>" + escape_html(warning_text(w)) + "</li>";
  return out + "</ul></div>\n";
}

const CapacitySpec* spec_of(const Scenario& scenario, const CapacityResult& c) {
  for (const CapacitySpec& spec : scenario.capacity) {
    if (spec.name == c.name) return &spec;
  }
  return nullptr;
}

std::string plural(int n, std::string_view noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

std::string sizing_text(const Scenario& scenario, const CapacityResult& c) {
  const CapacitySpec* spec = spec_of(scenario, c);
  if (!c.feasible) return "INFEASIBLE: " + c.infeasible_reason;
  if (c.auto_sized) {
    const std::string quantile = spec ? format_percent(spec->capacity_quantile) : std::string("chosen");
    return fmt::format("auto: peak hour needs {:.2f} replicas at the {} quantile of trials", c.sizing_replicas_needed,
                       quantile);
  }
  return fmt::format("fixed; peak hour needs {:.2f} (p50) to {:.2f} (p95) replicas", c.peak_replicas_needed.p50,
                     c.peak_replicas_needed.p95);
}

std::vector<const CapacityResult*> capacity_results(const RunResult& r) {
  std::vector<const CapacityResult*> out;
  for (const ModelResult& m : r.models) {
    if (m.dedicated) out.push_back(&*m.dedicated);
    if (m.gpu_cluster) out.push_back(&*m.gpu_cluster);
  }
  return out;
}

}  // namespace

std::string costs_section(const RunResult& result) {
  std::string out = "<section id=\"costs\"><h2>Cost by model and mode</h2>\n";
  out += warnings_box(result);
  out += "<p class=\"muted\">Percentiles over the trials. The cheapest mode of a model is the one with the lowest mean "
         "cost; the total's cheapest plan takes each model's cheapest mode trial by trial.</p>\n";
  out += models_table(result);
  out += "<h3 id=\"workloads\">Cost by workload</h3>\n" + workloads_table(result);
  out += "<h3 id=\"total\">Total cost</h3>\n" + totals_table(result);
  return out + "</section>\n";
}

std::string gpu_comparison_section(const GpuComparison& comparison) {
  std::string out = "<section id=\"gpus\"><h2>Which GPU?</h2>\n<p>Each option's throughput estimated on each catalog "
                    "GPU and tensor-parallel degree that holds its model (roofline model, <code>docs/throughput.md</code>), "
                    "then sized and costed over the same trials. The cheapest is the lowest mean cost among priced choices "
                    "that meet the objective.</p>\n";
  std::string option;
  HtmlTable t;
  auto flush = [&] {
    if (!option.empty()) out += t.render(fmt::format("Option {}", option));
    t = HtmlTable{};
    t.headers = {"GPU", "GPUs per replica", "$ per GPU-hour", "replicas", "sequences per replica", "cost",
                 "$ per 1M tokens", "utilization", "objective"};
    t.numeric = {false, true, true, true, true, true, true, true, false};
  };
  flush();
  for (const GpuChoice& c : comparison.choices) {
    if (c.option != option) {
      flush();
      option = c.option;
    }
    const std::string objective = !c.feasible ? "infeasible" : c.objective_met ? "met" : "not met";
    t.add({escape_html(c.throughput.gpu) + (c.cheapest ? " <strong>(cheapest)</strong>" : ""),
           escape_html(std::to_string(c.throughput.tensor_parallel)),
           c.usd_per_gpu_hour ? escape_html(price_text(*c.usd_per_gpu_hour)) : std::string("no price"),
           escape_html(std::to_string(c.replicas)), escape_html(format_count(c.throughput.max_concurrency)),
           c.cost_usd ? median_and_range(*c.cost_usd, format_usd) : std::string("—"),
           c.usd_per_mtok ? median_and_range(*c.usd_per_mtok, format_usd) : std::string("—"),
           median_and_range(c.utilization, format_percent), escape_html(objective)},
          c.cheapest ? "cheapest" : "");
  }
  if (!option.empty()) out += t.render(fmt::format("Option {}", option));
  for (const std::string& why : comparison.skipped) out += "<p class=\"muted\">Not compared: " + escape_html(why) + "</p>\n";
  return out + "</section>\n";
}

std::string replay_section(const TraceReplay& replay) {
  auto seconds = [](double s) { return std::isfinite(s) ? escape_html(fmt::format("{:.3f} s", s)) : std::string("—"); };
  std::string out = "<section id=\"replay\"><h2>Trace replay</h2>\n";
  out += "<p>" + escape_html(fmt::format(
                     "{} ({}): {} requests over {:.1f} s, {:.3g} requests/s", replay.file, replay.format,
                     format_count(static_cast<double>(replay.trace_requests)), replay.span_s, replay.trace_rate_per_s));
  if (replay.copies != 1) {
    out += escape_html(fmt::format("; replayed as {:.4g} superposed, time-shifted copies ({} requests), which keeps "
                                   "the trace's bursts",
                                   replay.copies, format_count(static_cast<double>(replay.replayed_requests))));
  }
  out += ". Each option's pool is fed the trace's own arrival times and token counts, at the replicas chosen, one "
         "fewer and one more. Utilization: " + escape_html(utilization_definition) + ", through the trace.</p>\n";
  for (const ReplayCheck& check : replay.checks) {
    HtmlTable t;
    t.headers = {"replicas", "P(wait)", "wait p50", "wait p95", "wait p99", "TTFT p50", "TTFT p95", "TTFT p99",
                 "utilization", "objective"};
    t.numeric = {true, true, true, true, true, true, true, true, true, false};
    for (const ReplayPoint& p : check.points) {
      const PoolSimulationResult& s = p.simulated;
      t.add({escape_html(std::to_string(p.replicas) + (p.replicas == check.chosen_replicas ? " (chosen)" : "")),
             escape_html(format_percent(s.wait_probability)), seconds(s.wait_p50_s), seconds(s.wait_p95_s),
             seconds(s.wait_p99_s), seconds(s.ttft_p50_s), seconds(s.ttft_p95_s), seconds(s.ttft_p99_s),
             escape_html(format_percent(s.utilization)),
             escape_html(!p.objective_met ? "none" : *p.objective_met ? "met" : "not met")},
            p.replicas == check.chosen_replicas ? "chosen" : "");
    }
    out += t.render(fmt::format("Option {}", escape_html(check.option)));
  }
  return out + "</section>\n";
}

std::string capacity_section(const Scenario& scenario, const RunResult& result) {
  const std::vector<const CapacityResult*> options = capacity_results(result);
  if (options.empty()) return {};
  std::string out = "<section id=\"capacity\"><h2>Capacity recommendations</h2>\n";
  HtmlTable t;
  t.headers = {"option", "kind", "replicas", "GPUs", "sizing", "utilization", "overflow share", "$ per 1M tokens"};
  t.numeric = {false, false, true, false, false, true, true, true};
  for (const CapacityResult* c : options) {
    std::string gpus = plural(c->plan.gpus, "GPU");
    if (c->kind == CapacityKind::gpu_cluster) gpus += fmt::format(" on {}", plural(c->plan.nodes, "node"));
    if (!c->gpu.empty()) gpus += fmt::format(" ({})", c->gpu);
    std::string overflow = median_and_range(c->overflow_share, format_percent);
    overflow += c->overflow == OverflowPolicy::serverless ? "<br>to serverless" : "<br>dropped";
    t.add({escape_html(c->name), escape_html(mode_label(mode_of(c->kind))), escape_html(std::to_string(c->plan.replicas)),
           escape_html(gpus), escape_html(sizing_text(scenario, *c)), median_and_range(c->utilization, format_percent), overflow,
           median_and_range(c->usd_per_mtok, format_usd)});
  }
  out += "<p class=\"muted\">Uncertain figures: the median, with the 5th – 95th percentile range under it. "
         "Utilization: " + escape_html(utilization_definition) + "; overflow is work above capacity.</p>\n";
  out += t.render("Reserved capacity and how much of it the traffic uses");

  HtmlTable slo;
  slo.headers = {"option", "peak arrivals / s", "arrivals within the hour", "mean service time", "service time SCV",
                 "replicas for the SLO", "sized by", "P(wait)", "wait p95", "TTFT p95"};
  slo.numeric = {false, true, false, true, true, true, false, true, true, true};
  HtmlTable autoscale;
  autoscale.headers = {"option", "replicas (min – max)", "step", "replica-hours", "saved vs a fixed reservation",
                       "hours at max replicas still overflowing"};
  autoscale.numeric = {false, true, true, true, true, true};
  for (const CapacityResult* c : options) {
    if (c->slo) {
      const SloSizing& s = *c->slo;
      const std::string method =
          s.simulated ? fmt::format("simulation ({} pools; closed form: {})", s.simulated->evaluations,
                                    s.simulated->analytic_replicas)
                      : std::string("closed form");
      slo.add({escape_html(c->name), escape_html(decimal(s.peak_arrival_rate_per_s)),
               escape_html(fmt::format("{} (interarrival scv {:.3g})", s.arrivals, s.interarrival_scv)),
               escape_html(seconds(s.mean_service_s)), escape_html(decimal(s.service_scv)),
               escape_html(s.feasible ? std::to_string(s.replicas) : std::string("infeasible")), escape_html(method),
               escape_html(format_percent(s.wait_probability)), escape_html(seconds(s.wait_p95_s)),
               escape_html(seconds(s.ttft_p95_s))});
    }
    if (c->autoscale) {
      const AutoscaleResult& a = *c->autoscale;
      autoscale.add({escape_html(c->name), escape_html(fmt::format("{} – {}", a.min_replicas, a.max_replicas)),
                     escape_html(plural(a.step_hours, "hour")), median_and_range(a.replica_hours, format_count),
                     median_and_range(a.saved_usd, format_usd), median_and_range(a.hours_at_max_overflowing, format_count)});
    }
  }
  if (!slo.rows.empty()) {
    out += "<h3>Latency objective sizing</h3>\n<p class=\"muted\">Replicas sized at the peak hour's arrival rate by the "
           "serving model (docs/capacity.md): each replica's prefill resource and decode slots, by the closed form, or "
           "by simulating the pool where bursts within the hour make the closed form inaccurate. Waits and time to "
           "first token are the closed form's, or the simulation's where it sized the reservation.</p>\n";
    out += slo.render();
  }
  if (!autoscale.rows.empty()) {
    out += "<h3>Autoscaling</h3>\n" + autoscale.render();
  }
  return out + "</section>\n";
}

std::string groups_section(const RunResult& result) {
  if (result.groups.empty()) return {};
  std::string out = "<section id=\"groups\"><h2>Breakdowns by tag</h2>\n";
  out += fmt::format("<p class=\"muted\">{}</p>\n",
                     escape_html(fmt::format("Cost{} per tag value; sums are taken inside each trial before percentiles.",
                                             result.months > 1 ? fmt::format(" over {} months", result.months) : "")));
  for (const GroupBreakdown& g : result.groups) {
    std::vector<Mode> modes;
    for (const GroupBreakdown::Entry& e : g.entries) {
      for (const ModeCost& c : e.costs) {
        if (std::find(modes.begin(), modes.end(), c.mode) == modes.end()) modes.push_back(c.mode);
      }
    }
    HtmlTable t;
    t.headers = {"value", "workloads"};
    t.numeric = {false, false};
    for (const Mode mode : modes) {
      t.headers.push_back(escape_html(fmt::format("{} p50", mode_label(mode))));
      t.headers.push_back("p5 – p95");
      t.numeric.push_back(true);
      t.numeric.push_back(true);
    }
    for (const GroupBreakdown::Entry& e : g.entries) {
      std::string workloads;
      for (const std::string& w : e.workloads) workloads += (workloads.empty() ? "" : ", ") + escape_html(w);
      std::vector<std::string> cells{fmt::format("<span class=\"id\">{}</span>", escape_html(e.value)), workloads};
      for (const Mode mode : modes) {
        const ModeCost* c = find_cost(e.costs, mode);
        cells.push_back(c ? usd_html(c->total_usd.p50) : "—");
        cells.push_back(c ? escape_html(usd_range(c->total_usd)) : "");
      }
      t.add(std::move(cells));
    }
    out += fmt::format("<h3>By tag <code>{}</code></h3>\n", escape_html(g.key)) + t.render();
  }
  return out + "</section>\n";
}

}  // namespace tokencast::report
