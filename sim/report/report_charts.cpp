#include "report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "svg_chart.hpp"

namespace tokencast::report {
namespace {

constexpr double wide_width = 720;
constexpr double small_width = 480;

std::string figure(const SvgChart& chart, std::string_view title, std::string_view caption, std::string_view css_class) {
  return fmt::format("<figure class=\"{}\"><figcaption><strong>{}</strong>{}{}</figcaption>\n{}</figure>\n", css_class,
                     escape_html(title), caption.empty() ? "" : " ", caption, chart.render());
}

std::string count_tick(double count) { return format_count(count); }

double finite_or(double value, double fallback) { return std::isfinite(value) ? value : fallback; }

// Start the axis at zero unless the data sit far above it (then zero would squash the spread).
Domain cost_axis(double lo, double hi) {
  if (lo >= 0 && lo < 0.4 * hi) lo = 0;
  return nice_domain(lo, hi);
}

}  // namespace

std::string ChartIds::next() { return fmt::format("chart{}", ++count_); }

std::string histogram_figure(ChartIds& ids, std::string_view title, const ModeCost& cost, std::string_view x_label) {
  const Histogram& h = cost.histogram;
  const Summary& s = cost.total_usd;
  const std::string colour(mode_colour(cost.mode));
  SvgChart chart(ids.next(), small_width, 270, fmt::format("{}: trials per cost bin", title),
                 {{"trials", colour, Swatch::bar}, {"p5 / p95", std::string(palette::black), Swatch::dashed},
                  {"p50", std::string(palette::black), Swatch::line}});
  const std::size_t bins = h.counts.size();
  const Domain x_domain = safe_domain(std::min(h.lo, s.p5), std::max(h.hi, s.p95));
  chart.x = Scale::linear(x_domain, chart.left(), chart.right());
  double tallest = 0;
  for (double c : h.counts) tallest = std::max(tallest, finite_or(c, 0));
  const Domain y_domain = nice_domain(0, std::max(tallest, 1.0), 4);
  chart.y = Scale::linear(y_domain, chart.bottom(), chart.top());
  chart.x_axis(nice_ticks(x_domain.lo, x_domain.hi, 4), usd_tick, x_label);
  chart.y_axis(nice_ticks(y_domain.lo, y_domain.hi, 4), count_tick, "trials");

  // Every trial equal: zero-width bins, drawn as one narrow bar at the value.
  const bool degenerate = !(h.hi > h.lo);
  const double width = degenerate ? (x_domain.hi - x_domain.lo) / 40 : (h.hi - h.lo) / static_cast<double>(bins);
  for (std::size_t i = 0; i < bins; ++i) {
    const double x0 = degenerate ? h.lo - width / 2 : h.lo + width * static_cast<double>(i);
    const double count = finite_or(h.counts[i], 0);
    const std::string tooltip = fmt::format("{} – {}: {} trials", format_usd(x0), format_usd(x0 + width), format_count(count));
    chart.rect(x0, x0 + width, 0, count, colour, 0.75, tooltip, "bar");
  }
  chart.vline(s.p5, palette::black, true, fmt::format("p5 {}", format_usd(s.p5)), 0, "end");
  chart.vline(s.p95, palette::black, true, fmt::format("p95 {}", format_usd(s.p95)), 0, "start");
  chart.vline(s.p50, palette::black, false, fmt::format("p50 {}", format_usd(s.p50)), 1, "middle");
  if (bins == 0) chart.text_at((chart.left() + chart.right()) / 2, (chart.top() + chart.bottom()) / 2, "no histogram in this result");
  return figure(chart, title, escape_html(fmt::format("mean {}, {} trials.", format_usd(s.mean), format_count(static_cast<double>(s.n)))),
                "chart small");
}

std::string fan_figure(ChartIds& ids, std::string_view title, const ModeCost& cost) {
  const std::vector<Summary>& months = cost.monthly_usd;
  const std::string colour(mode_colour(cost.mode));
  SvgChart chart(ids.next(), small_width, 270, fmt::format("{}: cost per month", title),
                 {{"p5–p95", colour, Swatch::band}, {"p25–p75", colour, Swatch::bar}, {"median", colour, Swatch::line}}, 0);
  std::vector<double> xs, p5, p25, p50, p75, p95;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::size_t m = 0; m < months.size(); ++m) {
    xs.push_back(static_cast<double>(m + 1));
    p5.push_back(months[m].p5);
    p25.push_back(months[m].p25);
    p50.push_back(months[m].p50);
    p75.push_back(months[m].p75);
    p95.push_back(months[m].p95);
    lo = std::min(lo, months[m].p5);
    hi = std::max(hi, months[m].p95);
  }
  const Domain x_domain = safe_domain(1, static_cast<double>(std::max<std::size_t>(months.size(), 1)));
  chart.x = Scale::linear(x_domain, chart.left(), chart.right());
  const Domain y_domain = cost_axis(lo, hi);
  chart.y = Scale::linear(y_domain, chart.bottom(), chart.top());
  std::vector<double> month_ticks;
  for (double t : nice_ticks(x_domain.lo, x_domain.hi, std::min<int>(static_cast<int>(months.size()), 12))) {
    if (t >= 1 && t == std::round(t)) month_ticks.push_back(t);
  }
  chart.x_axis(month_ticks, [](double m) { return fmt::format("{:.0f}", m); }, "month", true);
  chart.y_axis(nice_ticks(y_domain.lo, y_domain.hi, 4), usd_tick, "cost per month (USD)");
  chart.band(xs, p5, p95, colour, 0.2);
  chart.band(xs, p25, p75, colour, 0.4);
  chart.polyline(xs, p50, colour, 2.5);
  std::string caption;
  if (!months.empty()) {
    caption = escape_html(fmt::format("Month 1: {} ({}); month {}: {} ({}); p50 and p5 – p95.", format_usd(months.front().p50),
                                      usd_range(months.front()), months.size(), format_usd(months.back().p50),
                                      usd_range(months.back())));
  }
  return figure(chart, title, caption, "chart small");
}

std::string utilization_figure(ChartIds& ids, const UtilizationCurve& curve) {
  const Mode mode = mode_of(curve.kind);
  const std::string colour(mode_colour(mode));
  const std::string serverless_colour(mode_colour(Mode::serverless));
  const std::string title = fmt::format("{} ({}, {} replicas) vs serverless: {}", curve.option, mode_label(mode), curve.replicas,
                                        curve.model);
  SvgChart chart(ids.next(), wide_width, 360, title,
                 {{fmt::format("{} p50", curve.option), colour, Swatch::line},
                  {fmt::format("{} p5–p95", curve.option), colour, Swatch::band},
                  {"serverless p50", serverless_colour, Swatch::dashed},
                  {"serverless p5–p95", serverless_colour, Swatch::band},
                  {"break-even u* p5–p95", std::string(palette::grey), Swatch::band}});
  const Summary& serverless = curve.serverless_usd_per_mtok;
  const Summary& u = curve.breakeven_utilization;
  std::vector<double> xs, p5, p50, p95;
  double data_hi = serverless.p95;
  double anchor = serverless.p95;  // what the y range must show in full
  for (const BandPoint& point : curve.option_usd_per_mtok) {
    if (!std::isfinite(point.p50) || !std::isfinite(point.x)) continue;
    xs.push_back(point.x);
    p5.push_back(point.p5);
    p50.push_back(point.p50);
    p95.push_back(point.p95);
    data_hi = std::max(data_hi, finite_or(point.p95, 0));
  }
  if (!p95.empty()) anchor = std::max(anchor, p95.back());
  // The option's cost grows as 1/u towards zero utilization: cap the axis so the crossing stays readable.
  const Domain y_domain = nice_domain(0, std::min(data_hi, 3 * anchor), 5);
  chart.x = Scale::linear({0, 1}, chart.left(), chart.right());
  chart.y = Scale::linear(y_domain, chart.bottom(), chart.top());
  chart.x_axis(nice_ticks(0, 1, 5), percent_tick, "utilization (share of the option's full capacity)", true);
  chart.y_axis(nice_ticks(y_domain.lo, y_domain.hi, 5), usd_tick, "USD per 1M tokens");

  const bool u_known = std::isfinite(u.p5) && u.n > 0;
  if (u_known && u.p5 < 1) {
    chart.rect(std::max(u.p5, 0.0), std::min(finite_or(u.p95, 1.0), 1.0), y_domain.lo, y_domain.hi, palette::grey, 0.15);
  }
  chart.rect(0, 1, serverless.p5, serverless.p95, serverless_colour, 0.18);
  chart.hline(serverless.p50, serverless_colour, true);
  chart.band(xs, p5, p95, colour, 0.25);
  chart.polyline(xs, p50, colour, 2.5);
  if (u_known && std::isfinite(u.p50) && u.p50 <= 1) {
    chart.vline(u.p50, palette::black, false, fmt::format("u* p50 {}", format_percent(u.p50)), 1, "middle");
  }
  if (u_known && u.p5 <= 1) chart.vline(u.p5, palette::grey, true, fmt::format("p5 {}", format_percent(u.p5)), 0, "end");
  if (u_known && std::isfinite(u.p95) && u.p95 <= 1) {
    chart.vline(u.p95, palette::grey, true, fmt::format("p95 {}", format_percent(u.p95)), 0, "start");
  }

  std::string caption = fmt::format(
      "$ per 1M tokens served by the option when its reserved capacity is used at a given utilization, against the "
      "blended serverless rate ({} p50, {} p5 – p95). ",
      format_usd(serverless.p50), usd_range(serverless));
  if (!u_known) {
    caption += "No break-even utilization in this result.";
  } else {
    caption += fmt::format("Break-even utilization u*: p50 {}, p5 – p95 {} – {}; reachable (u* ≤ 100%) in {} of trials.",
                           format_percent(u.p50), format_percent(u.p5), format_percent(u.p95),
                           format_percent(curve.probability_breakeven_reachable));
  }
  return figure(chart, title, escape_html(caption), "chart wide");
}

namespace {

struct ModeSeries {
  Mode mode;
  std::vector<double> xs, p5, p50, p95;
};

// The capacity option of `kind` serving `model`, from the scenario (its name keys the replicas map).
std::string option_name(const Scenario& scenario, std::string_view model, Mode mode) {
  for (const CapacitySpec& spec : scenario.capacity) {
    if (spec.model == model && mode_of(spec.kind) == mode) return spec.name;
  }
  return {};
}

std::string volume_label(double requests) { return fmt::format("{} req/mo", compact_count(requests)); }

}  // namespace

std::string volume_figure(ChartIds& ids, const VolumeCurve& curve, const Scenario& scenario) {
  std::vector<const VolumePoint*> points;
  for (const VolumePoint& p : curve.points) {
    if (p.requests_per_month > 0 && std::isfinite(p.requests_per_month)) points.push_back(&p);
  }
  std::sort(points.begin(), points.end(),
            [](const VolumePoint* a, const VolumePoint* b) { return a->requests_per_month < b->requests_per_month; });

  // One series per mode, capacity modes as steps: replicas change somewhere up to the next point.
  std::vector<ModeSeries> series;
  double y_lo = std::numeric_limits<double>::infinity(), y_hi = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    for (const ModeCost& cost : points[i]->costs) {
      if (cost.mode == Mode::cheapest_plan) continue;  // the lower envelope of the others
      auto it = std::find_if(series.begin(), series.end(), [&](const ModeSeries& s) { return s.mode == cost.mode; });
      if (it == series.end()) {
        series.push_back({cost.mode, {}, {}, {}, {}});
        it = std::prev(series.end());
      }
      const Summary& s = cost.total_usd;
      const bool band = cost.mode != Mode::batch;
      it->xs.push_back(points[i]->requests_per_month);
      it->p5.push_back(band ? s.p5 : s.p50);
      it->p50.push_back(s.p50);
      it->p95.push_back(band ? s.p95 : s.p50);
      if (band ? s.p5 > 0 : s.p50 > 0) y_lo = std::min(y_lo, band ? s.p5 : s.p50);
      y_hi = std::max(y_hi, finite_or(band ? s.p95 : s.p50, 0));
      const std::string name = option_name(scenario, curve.model, cost.mode);
      if (!name.empty() && i + 1 < points.size()) {
        const auto now = points[i]->replicas.find(name);
        const auto next = points[i + 1]->replicas.find(name);
        if (now != points[i]->replicas.end() && next != points[i + 1]->replicas.end() && now->second != next->second) {
          it->xs.push_back(points[i + 1]->requests_per_month);
          it->p5.push_back(it->p5.back());
          it->p50.push_back(it->p50.back());
          it->p95.push_back(it->p95.back());
        }
      }
    }
  }

  std::vector<LegendEntry> legend;
  for (const ModeSeries& s : series) {
    const std::string name = option_name(scenario, curve.model, s.mode);
    legend.push_back({name.empty() ? std::string(mode_label(s.mode)) : fmt::format("{} ({})", mode_label(s.mode), name),
                      std::string(mode_colour(s.mode)), Swatch::line});
  }
  legend.push_back({"p5–p95", std::string(palette::grey), Swatch::band});
  const std::string title = fmt::format("Monthly cost by volume: {}", curve.model);
  SvgChart chart(ids.next(), wide_width, 360, title, legend, 1);
  const double x_lo = points.empty() ? 1 : points.front()->requests_per_month;
  const double x_hi = points.empty() ? 10 : points.back()->requests_per_month;
  chart.x = Scale::log(log_domain(x_lo, x_hi), chart.left(), chart.right());
  chart.y = Scale::log(log_domain(std::isfinite(y_lo) ? y_lo : 1, y_hi > 0 ? y_hi : 10), chart.bottom(), chart.top());
  const std::vector<double> x_ticks = log_ticks(chart.x.domain().lo, chart.x.domain().hi);
  chart.x_axis(x_ticks, compact_count, "requests per month (log scale)", true);
  chart.y_axis(log_ticks(chart.y.domain().lo, chart.y.domain().hi), usd_tick, "cost per month (USD, log scale)");
  for (const ModeSeries& s : series) {
    if (s.mode != Mode::batch) chart.band(s.xs, s.p5, s.p95, mode_colour(s.mode), 0.18);
  }
  for (const ModeSeries& s : series) chart.polyline(s.xs, s.p50, mode_colour(s.mode), 2.5, s.mode == Mode::batch);
  // Volume scales with the multiplier, so any point tells where the scenario itself (x1) sits.
  if (!points.empty() && points.front()->multiplier > 0) {
    const double scenario_volume = points.front()->requests_per_month / points.front()->multiplier;
    chart.vline(scenario_volume, palette::black, true, fmt::format("this scenario: {}", volume_label(scenario_volume)), 0,
                "middle");
  }

  // P(option cheaper than serverless) on the same x axis.
  std::vector<LegendEntry> p_legend;
  for (const VolumeBreakeven& b : curve.breakeven) {
    p_legend.push_back({fmt::format("P({} cheaper)", b.option), std::string(mode_colour(mode_of(b.kind))), Swatch::line});
  }
  p_legend.push_back({"10%–90% range", std::string(palette::grey), Swatch::band});
  SvgChart p_chart(ids.next(), wide_width, 240, fmt::format("Probability each capacity option is cheaper than serverless: {}", curve.model),
                   p_legend);
  p_chart.x = Scale::log(chart.x.domain(), p_chart.left(), p_chart.right());
  p_chart.y = Scale::linear({0, 1}, p_chart.bottom(), p_chart.top());
  p_chart.x_axis(x_ticks, compact_count, "requests per month (log scale)", true);
  p_chart.y_axis({0, 0.25, 0.5, 0.75, 1}, percent_tick, "P(cheaper)");
  p_chart.hline(0.5, palette::grey, true);
  std::string notes;
  int row = 0;
  for (const VolumeBreakeven& b : curve.breakeven) {
    const std::string colour(mode_colour(mode_of(b.kind)));
    std::vector<double> xs, ps;
    for (const VolumePoint* p : points) {
      const auto found = p->probability_cheaper.find(b.option);
      if (found == p->probability_cheaper.end()) continue;
      xs.push_back(p->requests_per_month);
      ps.push_back(found->second);
    }
    if (b.requests_per_month_10 && b.requests_per_month_90) {
      p_chart.rect(*b.requests_per_month_10, *b.requests_per_month_90, 0, 1, palette::grey, 0.15);
    }
    p_chart.polyline(xs, ps, colour, 2.5);
    if (b.requests_per_month_50) {
      p_chart.vline(*b.requests_per_month_50, colour, false,
                    fmt::format("{}: 50% at {}", b.option, volume_label(*b.requests_per_month_50)), row % 2, "middle");
      ++row;
    }
    std::string line = fmt::format("<li><strong>{}</strong> ({}): ", escape_html(b.option), escape_html(mode_label(mode_of(b.kind))));
    if (b.requests_per_month_50) {
      line += escape_html(fmt::format("cheaper than serverless in half the trials from about {} requests/month (×{:.2g} this scenario's volume)",
                                      format_count(*b.requests_per_month_50), b.multiplier_50.value_or(0)));
    } else {
      line += "the probability of being cheaper does not cross 50% inside the volumes tried";
    }
    if (b.requests_per_month_10 || b.requests_per_month_90) {
      const auto show = [](const std::optional<double>& v) {
        return v ? fmt::format("at {}", format_count(*v)) : std::string("not reached inside the grid");
      };
      line += escape_html(fmt::format("; 10% {}, 90% {}", show(b.requests_per_month_10), show(b.requests_per_month_90)));
    }
    notes += line + ".</li>";
  }
  if (curve.breakeven.empty()) notes = "<li>No capacity option serves this model.</li>";
  const std::string caption = escape_html(
      "Lines: p50 of the monthly cost when the scenario's volume is scaled; bands: p5 – p95. Capacity options change in "
      "steps when they need more replicas. Below: share of trials in which each capacity option costs less than "
      "serverless; 50% marks the break-even volume.");
  return fmt::format("<figure class=\"chart wide\"><figcaption><strong>{}</strong> {}</figcaption>\n{}{}<ul class=\"notes\">{}</ul></figure>\n",
                     escape_html(title), caption, chart.render(), p_chart.render(), notes);
}

}  // namespace tokencast::report
