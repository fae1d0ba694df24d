// The drivers of the risk: `tokencast sensitivity --report` (tornado, spider, ranked table) and the
// run report's top-drivers section (variance shares from the run's own trials).
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "report_charts.hpp"
#include "report_sections.hpp"
#include "svg_chart.hpp"
#include "tokencast/report.hpp"

namespace tokencast {
namespace {

using namespace report;

std::string interval_text(const Estimate& e, int decimals) {
  const auto bound = [&](double v) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : std::string("?"); };
  return fmt::format("{:.{}f} [{}, {}]", e.value, decimals, bound(e.lo), bound(e.hi));
}

// One row per input, largest first: a bar from the base to the output at the input's p10 (sky
// blue) and one to its p90 (vermillion); the rows' labels sit above their bars.
struct TornadoRow {
  std::string label;
  double low = 0, high = 0;  // the output with the input at its p10, at its p90
};

std::string tornado_figure(const std::string& id, const std::string& title, const std::string& caption,
                           const std::vector<TornadoRow>& rows, double base, bool usd) {
  const double row_height = 34;
  const double height = 90 + row_height * static_cast<double>(std::max<std::size_t>(rows.size(), 1));
  SvgChart chart(id, 720, height, title,
                 {{"input at its p10", std::string(palette::sky_blue), Swatch::bar},
                  {"input at its p90", std::string(palette::vermillion), Swatch::bar},
                  {"base", std::string(palette::black), Swatch::line}},
                 1);
  double lo = base, hi = base;
  for (const TornadoRow& r : rows) {
    lo = std::min({lo, r.low, r.high});
    hi = std::max({hi, r.low, r.high});
  }
  const Domain x = nice_domain(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 5);
  chart.x = Scale::linear(safe_domain(x.lo, x.hi), chart.left(), chart.right());
  const double n = static_cast<double>(std::max<std::size_t>(rows.size(), 1));
  chart.y = Scale::linear({0, n}, chart.bottom(), chart.top());
  chart.x_axis(nice_ticks(x.lo, x.hi, 5), usd ? TickFormat(usd_tick) : TickFormat(compact_count), "");
  const auto text = [&](double v) { return usd ? format_usd(v) : format_count(std::round(v)); };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TornadoRow& r = rows[i];
    const double top = n - static_cast<double>(i);  // row i fills (top - 1, top]
    chart.note(chart.x.domain().lo, top - 0.05, r.label, "start", 10);
    const std::string tooltip = fmt::format("{}: {} at its p10, {} at its p90 (base {})", r.label, text(r.low),
                                            text(r.high), text(base));
    chart.rect(std::min(base, r.low), std::max(base, r.low), top - 0.9, top - 0.45, palette::sky_blue, 0.85, tooltip);
    chart.rect(std::min(base, r.high), std::max(base, r.high), top - 0.9, top - 0.45, palette::vermillion, 0.85,
               tooltip);
  }
  chart.vline(base, palette::black, false, fmt::format("base {}", text(base)), 0, "middle");
  if (rows.empty()) chart.text_at((chart.left() + chart.right()) / 2, (chart.top() + chart.bottom()) / 2, "no uncertain input");
  return wide_figure(chart, title, caption);
}

// The output's mean against the input's quantile level, one line per input (the first six).
std::string spider_figure(const Sensitivity& s) {
  static constexpr std::string_view colours[] = {palette::blue,  palette::vermillion, palette::green,
                                                 palette::orange, palette::purple,     palette::sky_blue};
  std::vector<LegendEntry> legend;
  const std::size_t shown = std::min<std::size_t>(s.inputs.size(), 6);
  for (std::size_t i = 0; i < shown; ++i) legend.push_back({s.inputs[i].key_path, std::string(colours[i]), Swatch::line});
  SvgChart chart("spider", 720, 340, "Spider: the output's mean with each input held at its quantiles", legend);
  double lo = s.output_mean, hi = s.output_mean;
  for (std::size_t i = 0; i < shown; ++i) {
    for (const SpiderPoint& p : s.inputs[i].spider) {
      lo = std::min(lo, p.output_mean);
      hi = std::max(hi, p.output_mean);
    }
  }
  chart.x = Scale::linear({0, 1}, chart.left(), chart.right());
  const Domain y = nice_domain(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 5);
  chart.y = Scale::linear(safe_domain(y.lo, y.hi), chart.bottom(), chart.top());
  chart.x_axis({0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95}, percent_tick, "the input's quantile level");
  const bool usd = s.output.ends_with("_usd");
  chart.y_axis(nice_ticks(y.lo, y.hi, 5), usd ? TickFormat(usd_tick) : TickFormat(compact_count), "mean of the output");
  for (std::size_t i = 0; i < shown; ++i) {
    std::vector<double> xs, ys;
    for (const SpiderPoint& p : s.inputs[i].spider) {
      xs.push_back(p.level);
      ys.push_back(p.output_mean);
    }
    chart.polyline(xs, ys, colours[i], 2);
  }
  chart.hline(s.output_mean, palette::black, true);
  return wide_figure(chart, "Spider", "Each line holds one input at its p5 ... p95, every other input drawn.");
}

}  // namespace

namespace report {

std::string drivers_section(const RunResult& result) {
  if (result.drivers.empty()) return {};
  std::string out = "<section id=\"drivers\"><h2>Top drivers</h2>\n";
  out += "<p>Each uncertain input's share of the variance of the cheapest plan's total: its first-order Sobol index, "
         "estimated from this run's own trials (equal-count bins of the input, bias-corrected), with a 95% interval; "
         "and its Spearman rank correlation with the total. The tornado and spider charts come from "
         "<code>tokencast sensitivity</code>.</p>\n";
  HtmlTable table;
  table.headers = {"rank", "input", "variance share [95%]", "rank correlation [95%]"};
  table.numeric = {true, false, true, true};
  const std::size_t shown = std::min<std::size_t>(result.drivers.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) {
    const InputShare& d = result.drivers[i];
    table.add({fmt::format("{}", i + 1), "<code>" + escape_html(d.key_path) + "</code>", interval_text(d.first_order, 3),
               interval_text(d.rank_correlation, 3)});
  }
  out += table.render(result.drivers.size() > shown
                          ? fmt::format("The first {} of {} uncertain inputs", shown, result.drivers.size())
                          : std::string());
  return out + "</section>\n";
}

}  // namespace report

std::string render_sensitivity_report(const Sensitivity& s) {
  const bool usd = s.output.ends_with("_usd");
  const auto text = [&](double v) { return usd ? format_usd(v) : format_count(std::round(v)); };
  std::string body = fmt::format(
      "<section><p>Output <code>{}</code> of <code>{}</code>: mean {}, p95 {} ({} trials, seed {}; {} runs on common "
      "random numbers). Each input is held at its p10 and at its p90 while every other input is drawn; the bars are "
      "the output there. Method: <code>docs/decisions.md</code>, &ldquo;Sensitivity&rdquo;.</p>\n",
      escape_html(s.output), escape_html(s.scenario), text(s.output_mean), text(s.output_p95),
      format_count(static_cast<double>(s.trials)), s.seed, s.runs);
  std::vector<TornadoRow> by_mean, by_p95;
  for (const InputSensitivity& in : s.inputs) {
    by_mean.push_back({in.key_path, in.at_p10().output_mean, in.at_p90().output_mean});
    by_p95.push_back({in.key_path, in.at_p10().output_p95, in.at_p90().output_p95});
  }
  const auto wider = [](const TornadoRow& a, const TornadoRow& b) {
    return std::abs(a.high - a.low) > std::abs(b.high - b.low);
  };
  std::stable_sort(by_mean.begin(), by_mean.end(), wider);
  std::stable_sort(by_p95.begin(), by_p95.end(), wider);
  body += tornado_figure("tornado-mean", "Tornado: the output's mean", "Widest swing first.", by_mean, s.output_mean, usd);
  body += tornado_figure("tornado-p95", "Tornado: the output's p95", "Widest swing first.", by_p95, s.output_p95, usd);
  if (!s.inputs.empty()) body += spider_figure(s);
  HtmlTable table;
  table.headers = {"rank", "input", "law", "p10 &rarr; p90", "mean swing [95%]", "p95 swing [95%]",
                   "variance share [95%]", "rank correlation [95%]"};
  table.numeric = {true, false, false, true, true, true, true, true};
  int rank = 0;
  for (const InputSensitivity& in : s.inputs) {
    const int decimals = usd ? 2 : 0;
    table.add({fmt::format("{}", ++rank), "<code>" + escape_html(in.key_path) + "</code>" + (in.correlated ? " *" : ""),
               "<code>" + escape_html(in.law) + "</code>",
               escape_html(fmt::format("{:.4g} → {:.4g}", in.at_p10().input, in.at_p90().input)),
               interval_text(in.mean_swing, decimals), interval_text(in.p95_swing, decimals),
               interval_text(in.first_order, 3), interval_text(in.rank_correlation, 3)});
  }
  body += table.render(fmt::format("Inputs by variance share (first-order indices sum to {:.3f}; * in a "
                                   "[[correlation]], its partners drawn given it)",
                                   s.first_order_sum));
  body += "</section>\n";
  return html_page(fmt::format("tokencast sensitivity: {}", s.output), body);
}

}  // namespace tokencast
