// The HTML report page: style sheet, section order, chart sections and footer.
#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "report_charts.hpp"
#include "report_sections.hpp"
#include "tokencast/report.hpp"

namespace tokencast {
namespace {

using report::escape_html;
using report::mode_label;

// Inline so the page needs nothing else; print rules keep charts whole and drop tinted backgrounds.
constexpr std::string_view style_sheet = R"css(
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #0072B2; padding-bottom: .2rem; margin: 2.2rem 0 .8rem;
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; break-after: avoid; page-break-after: avoid; }
p { max-width: 75ch; }
.lead { font-size: 1.05rem; }
.muted { color: #555; font-size: .9rem; }
nav.toc { font-size: .9rem; margin: .6rem 0 1rem; }
nav.toc a { color: #0060a0; margin-right: 1rem; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .5rem 1.2rem; margin: .8rem 0; }
dl.facts div { border-left: 3px solid #56B4E9; padding-left: .5rem; }
dt { font-size: .75rem; color: #555; text-transform: uppercase; letter-spacing: .03em; }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1.2rem; }
table { border-collapse: collapse; font-size: .88rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #333; }
tbody th { font-weight: 600; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group-start td { border-top: 1.5px solid #999; }
tr.cheapest td, tr.chosen td { background: #fdf1d6; font-weight: 600; }
.badge { color: #7a4f00; white-space: nowrap; }
.range { color: #555; font-weight: normal; }
.id { white-space: nowrap; }
ul.sources { font-size: .8rem; color: #444; margin: -.6rem 0 1.2rem; padding-left: 1.2rem; }
.tag { white-space: nowrap; display: inline-block; background: #eef4f8; border-radius: 3px; padding: 0 .3em; margin: 0 .2em .1em 0; font-size: .85em; }
code { font: .85em ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: #f3f3f3; padding: 0 .2em;
       border-radius: 3px; overflow-wrap: break-word; }
.warnings { border: 2px solid #D55E00; background: #fff3ea; padding: .3rem 1rem; margin: 1rem 0; border-radius: 4px; }
.warnings h3 { margin: .4rem 0; color: #a33f00; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; }
figure.chart { margin: 0 0 1.2rem; break-inside: avoid; page-break-inside: avoid; }
figure.small { flex: 1 1 440px; max-width: 560px; }
figure.wide { width: 100%; max-width: 880px; }
figcaption { font-size: .85rem; color: #333; margin-bottom: .3rem; }
figcaption strong { color: #111; font-size: .95rem; display: block; }
ul.notes { font-size: .88rem; margin: .3rem 0 0; }
svg.chart { width: 100%; height: auto; display: block; font-family: inherit; overflow: visible; }
svg.chart text { fill: #222; }
svg.chart .gridline { stroke: #e2e2e2; stroke-width: 1; }
svg.chart .axis, svg.chart .tick { stroke: #333; stroke-width: 1; }
svg.chart .axis-label { font-weight: 600; }
svg.chart .mark-label, svg.chart .note { font-size: 11px; }
footer { margin-top: 3rem; border-top: 1px solid #ccc; padding-top: .6rem; font-size: .85rem; color: #444; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; }
  th, td { padding: .15rem .3rem; }
  .tag, tbody th { white-space: normal; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  tr.cheapest td, tr.chosen td, .warnings, code, .tag { background: none; }
  figure.small { max-width: 48%; }
  a { color: inherit; text-decoration: none; }
}
@page { margin: 14mm; }
)css";

std::string at_a_glance(const RunResult& r) {
  const ModeCost* plan = r.total_cost(Mode::cheapest_plan);
  const ModeCost* serverless = r.total_cost(Mode::serverless);
  if (!plan && !serverless) return {};
  std::string text;
  const std::string horizon = r.months > 1 ? fmt::format(" over {} months", r.months) : "";
  if (plan) {
    text += fmt::format("Cheapest plan{}: {} (median), {} in 90% of trials.", horizon, format_usd(plan->total_usd.p50),
                        report::usd_range(plan->total_usd));
  }
  if (serverless) {
    text += fmt::format("{}All serverless: {} (median), {}.", text.empty() ? "" : " ", format_usd(serverless->total_usd.p50),
                        report::usd_range(serverless->total_usd));
  }
  return "<p class=\"lead\">" + escape_html(text) + "</p>\n";
}

std::string distributions_section(const RunResult& r, report::ChartIds& ids) {
  const std::string x_label = fmt::format("{} (USD)", report::horizon_label(r.months));
  std::string charts;
  if (const ModeCost* plan = r.total_cost(Mode::cheapest_plan); plan && !plan->histogram.counts.empty()) {
    charts += report::histogram_figure(ids, "Total, cheapest plan", *plan, x_label);
  }
  for (const ModelResult& m : r.models) {
    for (const ModeCost& cost : m.costs) {
      if (cost.histogram.counts.empty()) continue;
      charts += report::histogram_figure(ids, fmt::format("{}: {}", m.model, mode_label(cost.mode)), cost, x_label);
    }
  }
  std::string out = "<section id=\"distributions\"><h2>Cost distributions</h2>\n";
  if (charts.empty()) return out + "<p>This result carries no histograms.</p></section>\n";
  out += fmt::format("<p class=\"muted\">{}</p>\n",
                     escape_html(fmt::format("How the {} spreads over the trials: bars count trials per cost bin; the "
                                             "lines mark the 5th, 50th and 95th percentiles.",
                                             report::horizon_label(r.months))));
  return out + "<div class=\"charts\">\n" + charts + "</div></section>\n";
}

std::string monthly_section(const RunResult& r, report::ChartIds& ids) {
  if (r.months <= 1) return {};
  std::string charts;
  for (const ModeCost& cost : r.total) {
    if (!cost.monthly_usd.empty()) charts += report::fan_figure(ids, fmt::format("Total: {}", mode_label(cost.mode)), cost);
  }
  for (const ModelResult& m : r.models) {
    for (const ModeCost& cost : m.costs) {
      const bool shown = cost.mode == Mode::serverless || cost.mode == m.cheapest;
      if (shown && !cost.monthly_usd.empty()) {
        charts += report::fan_figure(ids, fmt::format("{}: {}", m.model, mode_label(cost.mode)), cost);
      }
    }
  }
  if (charts.empty()) return {};
  return "<section id=\"monthly\"><h2>Cost by month</h2>\n<p class=\"muted\">Light band: 5th to 95th percentile; darker band: "
         "25th to 75th; line: median. Percentiles are taken month by month.</p>\n<div class=\"charts\">\n" +
         charts + "</div></section>\n";
}

std::string breakeven_section(const Scenario& scenario, const RunResult& r, report::ChartIds& ids) {
  if (!r.breakeven || (r.breakeven->utilization.empty() && r.breakeven->volume.empty())) return {};
  std::string out = "<section id=\"breakeven\"><h2>Break-even</h2>\n";
  if (!r.breakeven->utilization.empty()) {
    out += "<h3>By utilization</h3>\n<p class=\"muted\">A reservation costs the same whether it is busy or idle, so its "
           "price per token falls as its utilization rises. Where its curve crosses the serverless rate is the "
           "break-even utilization u*.</p>\n";
    for (const UtilizationCurve& curve : r.breakeven->utilization) out += report::utilization_figure(ids, curve);
  }
  if (!r.breakeven->volume.empty()) {
    out += "<h3>By volume</h3>\n";
    for (const VolumeCurve& curve : r.breakeven->volume) out += report::volume_figure(ids, curve, scenario);
  }
  return out + "</section>\n";
}

std::string footer(const Scenario& scenario, const RunResult& r) {
  const std::string file = r.scenario_file.empty() ? scenario.file : r.scenario_file;
  return fmt::format(
      "<footer><p>tokencast {} · generated from <code>{}</code></p>\n<p>Method: Monte Carlo simulation, {} trials (seed {}). "
      "Every uncertain input is drawn once per trial and token counts per request; each figure above is a percentile over "
      "the trials (p50 is the median), and percentiles of a total are taken on the trials' totals, not added up. "
      "Formulas and approximations: <code>docs/cost-model.md</code> in the tokencast sources.</p></footer>\n",
      escape_html(TOKENCAST_VERSION), escape_html(file), format_count(static_cast<double>(r.trials)), r.seed);
}

std::string table_of_contents(const RunResult& r, bool capacity, bool breakeven, bool gpus, bool replay) {
  std::string out = "<nav class=\"toc\"><a href=\"#scenario\">Scenario</a><a href=\"#costs\">Costs</a>"
                    "<a href=\"#distributions\">Distributions</a>";
  if (!r.drivers.empty()) out += "<a href=\"#drivers\">Top drivers</a>";
  if (r.months > 1) out += "<a href=\"#monthly\">By month</a>";
  if (breakeven) out += "<a href=\"#breakeven\">Break-even</a>";
  if (capacity) out += "<a href=\"#capacity\">Capacity</a>";
  if (gpus) out += "<a href=\"#gpus\">Which GPU</a>";
  if (replay) out += "<a href=\"#replay\">Trace replay</a>";
  if (!r.groups.empty()) out += "<a href=\"#groups\">By tag</a>";
  return out + "</nav>\n";
}

}  // namespace

namespace report {
std::string html_page(std::string_view title, std::string_view body) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<meta name=\"generator\" content=\"tokencast {}\">\n", escape_html(TOKENCAST_VERSION));
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n", escape_html(title), style_sheet);
  out += fmt::format("<header><h1>{}</h1></header>\n", escape_html(title));
  out += body;
  return out + "</main>\n</body>\n</html>\n";
}
}  // namespace report

std::string render_html_report(const Scenario& scenario, const RunResult& result, const CapacitySections* sections) {
  const GpuComparison* gpus = sections != nullptr && sections->gpus ? &*sections->gpus : nullptr;
  const TraceReplay* replay = sections != nullptr && sections->replay ? &*sections->replay : nullptr;
  report::ChartIds ids;
  const std::string name = result.scenario_name.empty() ? scenario.name : result.scenario_name;
  const std::string capacity = report::capacity_section(scenario, result);
  const std::string breakeven = breakeven_section(scenario, result, ids);
  const std::string distributions = distributions_section(result, ids);
  const std::string monthly = monthly_section(result, ids);

  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<meta name=\"generator\" content=\"tokencast {}\">\n", escape_html(TOKENCAST_VERSION));
  out += fmt::format("<title>tokencast report: {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n", escape_html(name), style_sheet);
  out += fmt::format("<header><h1>tokencast report: {}</h1>\n", escape_html(name));
  out += at_a_glance(result);
  out += table_of_contents(result, !capacity.empty(), !breakeven.empty(), gpus != nullptr, replay != nullptr) + "</header>\n";
  out += report::scenario_section(scenario, result);
  out += report::costs_section(result);
  out += report::drivers_section(result);
  out += distributions;
  out += monthly;
  out += breakeven;
  out += capacity;
  if (gpus != nullptr) out += report::gpu_comparison_section(*gpus);
  if (replay != nullptr) out += report::replay_section(*replay);
  out += report::groups_section(result);
  out += footer(scenario, result);
  return out + "</main>\n</body>\n</html>\n";
}

}  // namespace tokencast
