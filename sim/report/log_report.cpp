// The pages of `tokencast backtest --report` and `tokencast forecast --report`.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "svg_chart.hpp"
#include "tokencast/report.hpp"

namespace tokencast {
namespace {

using report::escape_html;
using report::HtmlTable;
using report::SvgChart;
using namespace report;

std::string metric_label(BacktestMetric m) {
  switch (m) {
    case BacktestMetric::requests: return "requests";
    case BacktestMetric::input_tokens: return "input tokens";
    case BacktestMetric::output_tokens: return "output tokens";
    case BacktestMetric::serverless_usd: return "serverless cost (USD)";
  }
  return "";
}

std::string value_text(BacktestMetric m, double v) {
  return m == BacktestMetric::serverless_usd ? format_usd(v) : format_count(std::round(v));
}

}  // namespace

std::string render_backtest_report(const BacktestResult& r) {
  std::string body;
  const int k = static_cast<int>(r.origins.size());
  body += fmt::format("<section><p>{} origin{} from {}; each period's head fitted, its tail simulated ({} trials). "
                      "The bars are the simulated p5&ndash;p95, the dashed line the p50, the black line the "
                      "actual.</p>\n",
                      k, k == 1 ? "" : "s", escape_html(fmt::format("{}", fmt::join(r.files, ", "))), r.trials);
  HtmlTable coverage;
  coverage.headers = {"figure", "origins in p5&ndash;p95", "share", "p50 mean |error|", "p50 bias"};
  coverage.numeric = {false, true, true, true, true};
  for (int m = 0; m < backtest_metric_count; ++m) {
    const BacktestCoverage& c = r.coverage[m];
    coverage.add({escape_html(metric_label(static_cast<BacktestMetric>(m))), fmt::format("{} of {}", c.covered, k),
                  fmt::format("{:.0f}%", 100.0 * c.covered / std::max(1, k)),
                  fmt::format("{:.1f}%", 100 * c.p50_mean_abs_error), fmt::format("{:+.1f}%", 100 * c.p50_mean_error)});
  }
  body += coverage.render("Coverage of the actuals by the simulated p5-p95 band");
  for (int m = 0; m < backtest_metric_count; ++m) {
    const auto metric = static_cast<BacktestMetric>(m);
    double lo = INFINITY, hi = -INFINITY;
    for (const BacktestOrigin& o : r.origins) {
      const BacktestPoint& p = o.points[m];
      lo = std::min({lo, p.p5, p.actual});
      hi = std::max({hi, p.p95, p.actual});
    }
    SvgChart chart(fmt::format("backtest-{}", to_string(metric)), 720, 300, "Backtest: " + metric_label(metric),
                   {{"simulated p5-p95", std::string(palette::sky_blue), Swatch::bar},
                    {"simulated p50", std::string(palette::blue), Swatch::dashed},
                    {"actual", std::string(palette::black), Swatch::line}});
    chart.x = Scale::linear(safe_domain(0.5, k + 0.5), chart.left(), chart.right());
    const Domain y = nice_domain(std::max(0.0, lo - 0.05 * (hi - lo)), hi + 0.05 * (hi - lo), 5);
    chart.y = Scale::linear(safe_domain(y.lo, y.hi), chart.bottom(), chart.top());
    std::vector<double> xs, p50s, actuals;
    for (int i = 0; i < k; ++i) {
      const BacktestPoint& p = r.origins[static_cast<std::size_t>(i)].points[m];
      chart.rect(i + 1 - 0.3, i + 1 + 0.3, p.p5, p.p95, palette::sky_blue, 0.6,
                 fmt::format("origin {}: p5 {}, p50 {}, p95 {}; actual {} (rank {:.2f})", i + 1, value_text(metric, p.p5),
                             value_text(metric, p.p50), value_text(metric, p.p95), value_text(metric, p.actual), p.rank));
      xs.push_back(i + 1);
      p50s.push_back(p.p50);
      actuals.push_back(p.actual);
    }
    chart.polyline(xs, p50s, palette::blue, 1.5, true);
    chart.polyline(xs, actuals, palette::black, 2);
    chart.x_axis(nice_ticks(1, std::max(1, k), std::min(k, 10)), [](double v) { return fmt::format("{:g}", v); },
                 "origin");
    chart.y_axis(chart.y.domain().hi > chart.y.domain().lo ? nice_ticks(chart.y.domain().lo, chart.y.domain().hi, 5)
                                                          : std::vector<double>{},
                 metric == BacktestMetric::serverless_usd ? TickFormat(usd_tick) : TickFormat(compact_count),
                 metric_label(metric));
    body += wide_figure(chart, "Predicted band against the actual: " + metric_label(metric),
                   fmt::format("{} of {} origins inside p5-p95.", r.coverage[m].covered, k));
  }
  return html_page("tokencast backtest", body + "</section>\n");
}

std::string render_forecast_report(const ForecastResult& r) {
  std::string body = "<section>\n";
  body += fmt::format("<p>Period {}: {} spent to date ({} requests); the rest simulated from a fit of the log "
                      "({} trials). Budget {}: P(over) {:.1f}%; month end p5 {}, p50 {}, p95 {}.</p>\n",
                      escape_html(r.period), format_usd(r.month_to_date_usd), format_count(static_cast<double>(r.month_to_date_requests)),
                      r.trials, format_usd(r.budget_usd), 100 * r.p_over_budget, format_usd(r.month_end_usd.p5),
                      format_usd(r.month_end_usd.p50), format_usd(r.month_end_usd.p95));
  const int n = static_cast<int>(r.days.size());
  double hi = r.budget_usd;
  for (const ForecastDay& d : r.days) hi = std::max(hi, d.p95);
  SvgChart chart("forecast-fan", 720, 320, "Cumulative serverless spend through the month",
                 {{"p5-p95", std::string(palette::sky_blue), Swatch::band},
                  {"p25-p75", std::string(palette::blue), Swatch::band},
                  {"p50", std::string(palette::blue), Swatch::line},
                  {"actual", std::string(palette::black), Swatch::line},
                  {"budget", std::string(palette::vermillion), Swatch::dashed}});
  chart.x = Scale::linear(safe_domain(1, std::max(2, n)), chart.left(), chart.right());
  const Domain y = nice_domain(0, hi * 1.05, 5);
  chart.y = Scale::linear(safe_domain(y.lo, y.hi), chart.bottom(), chart.top());
  std::vector<double> xs, p5, p25, p50, p75, p95, actual_x, actual_y;
  for (int i = 0; i < n; ++i) {
    const ForecastDay& d = r.days[static_cast<std::size_t>(i)];
    xs.push_back(i + 1);
    p5.push_back(d.p5);
    p25.push_back(d.p25);
    p50.push_back(d.p50);
    p75.push_back(d.p75);
    p95.push_back(d.p95);
    if (d.actual) {
      actual_x.push_back(i + 1);
      actual_y.push_back(d.p50);
    }
  }
  chart.band(xs, p5, p95, palette::sky_blue, 0.35);
  chart.band(xs, p25, p75, palette::blue, 0.35);
  chart.polyline(xs, p50, palette::blue, 1.5);
  if (!actual_x.empty()) chart.polyline(actual_x, actual_y, palette::black, 2.5);
  chart.hline(r.budget_usd, palette::vermillion, true);
  chart.x_axis(nice_ticks(1, std::max(2, n), 8),
               [&](double v) {
                 const auto i = static_cast<std::size_t>(std::lround(v)) - 1;
                 return i < r.days.size() ? r.days[i].date.substr(5) : std::string();
               },
               "day (MM-DD, UTC)");
  chart.y_axis(nice_ticks(y.lo, y.hi, 5), usd_tick, "cumulative spend (USD)");
  body += wide_figure(chart, "Month-to-date spend and the simulated rest of the month",
                 fmt::format("p50 path reaches the budget: {}; p95 path: {}.", r.p50_crosses.value_or("never"),
                             r.p95_crosses.value_or("never")));
  HtmlTable table;
  table.headers = {"day", "", "p5", "p50", "p95"};
  table.numeric = {false, false, true, true, true};
  for (const ForecastDay& d : r.days) {
    table.add({escape_html(d.date), d.actual ? "actual" : "simulated", format_usd(d.p5), format_usd(d.p50),
               format_usd(d.p95)});
  }
  body += table.render("Cumulative serverless spend by day");
  return html_page("tokencast forecast: " + r.period, body + "</section>\n");
}

}  // namespace tokencast
