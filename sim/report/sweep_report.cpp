// `tokencast sweep --report`: the chosen combination and its runners-up, a line chart of the
// objective against one varied input or a heat map over two, and every combination.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "html_text.hpp"
#include "svg_chart.hpp"
#include "tokencast/report.hpp"

namespace tokencast {
namespace {

using namespace report;

std::string number_text(double v) { return std::abs(v) >= 100 ? fmt::format("{:.2f}", v) : fmt::format("{:.4g}", v); }

// The value as a number, when it is one.
std::optional<double> numeric(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The distinct values of path k, in the order the sweep ran them.
std::vector<std::string> levels(const SweepResult& r, std::size_t k) {
  std::vector<std::string> out;
  for (const SweepPoint& p : r.points) {
    if (std::find(out.begin(), out.end(), p.values[k]) == out.end()) out.push_back(p.values[k]);
  }
  return out;
}

std::string line_figure(const SweepResult& r) {
  // Each point at its own value (or, for values that are not numbers, its value's place).
  const std::vector<std::string> distinct = levels(r, 0);
  std::vector<double> xs;
  for (const SweepPoint& p : r.points) {
    const auto place = static_cast<double>(std::find(distinct.begin(), distinct.end(), p.values[0]) - distinct.begin());
    xs.push_back(numeric(p.values[0]).value_or(place));
  }
  double lo = INFINITY, hi = -INFINITY;
  for (const SweepPoint& p : r.points) {
    lo = std::min(lo, p.objective);
    hi = std::max(hi, p.objective);
  }
  SvgChart chart("sweep-line", 720, 320, fmt::format("{} against {}", r.objective.term.text, r.paths[0]),
                 {{r.objective.term.text, std::string(palette::blue), Swatch::line},
                  {"fails a constraint", std::string(palette::grey), Swatch::bar},
                  {"best", std::string(palette::vermillion), Swatch::bar}});
  const Domain x = safe_domain(*std::min_element(xs.begin(), xs.end()), *std::max_element(xs.begin(), xs.end()));
  chart.x = Scale::linear(x, chart.left(), chart.right());
  const Domain y = nice_domain(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 5);
  chart.y = Scale::linear(safe_domain(y.lo, y.hi), chart.bottom(), chart.top());
  chart.x_axis(nice_ticks(x.lo, x.hi, 6), [](double v) { return fmt::format("{:g}", v); }, r.paths[0]);
  chart.y_axis(nice_ticks(y.lo, y.hi, 5), [](double v) { return fmt::format("{:g}", v); }, r.objective.term.text);
  std::vector<double> ys;
  for (const SweepPoint& p : r.points) ys.push_back(p.objective);
  chart.polyline(xs, ys, palette::blue, 2);
  const double half = (x.hi - x.lo) / std::max<double>(200, 4.0 * static_cast<double>(xs.size()));
  const double tall = (y.hi - y.lo) / 60;
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const SweepPoint& p = r.points[i];
    const std::string_view colour = r.best == i ? palette::vermillion : p.feasible ? palette::blue : palette::grey;
    chart.rect(xs[i] - half, xs[i] + half, p.objective - tall, p.objective + tall, colour, 1.0,
               fmt::format("{}={}: {}{}", r.paths[0], p.values[0], number_text(p.objective), p.feasible ? "" : " (fails a constraint)"));
  }
  return wide_figure(chart, "Objective", "Each point one combination, on common random numbers.");
}

// Blue (low) to orange (high), linear in the objective.
std::string heat_colour(double share) {
  share = std::clamp(share, 0.0, 1.0);
  const auto mix = [&](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * share)); };
  return fmt::format("#{:02X}{:02X}{:02X}", mix(0x00, 0xE6), mix(0x72, 0x9F), mix(0xB2, 0x00));
}

std::string heat_figure(const SweepResult& r) {
  const std::vector<std::string> xs = levels(r, 1), ys = levels(r, 0);
  double lo = INFINITY, hi = -INFINITY;
  for (const SweepPoint& p : r.points) {
    lo = std::min(lo, p.objective);
    hi = std::max(hi, p.objective);
  }
  SvgChart chart("sweep-heat", 720, std::max(240.0, 120 + 28.0 * static_cast<double>(ys.size())),
                 fmt::format("{} over {} and {}", r.objective.term.text, r.paths[0], r.paths[1]),
                 {{"low", heat_colour(0), Swatch::bar}, {"high", heat_colour(1), Swatch::bar},
                  {"fails a constraint", std::string(palette::grey), Swatch::bar}},
                 1);
  chart.x = Scale::linear({0, static_cast<double>(xs.size())}, chart.left(), chart.right());
  chart.y = Scale::linear({0, static_cast<double>(ys.size())}, chart.bottom(), chart.top());
  for (const SweepPoint& p : r.points) {
    const double i = static_cast<double>(std::find(xs.begin(), xs.end(), p.values[1]) - xs.begin());
    const double j = static_cast<double>(std::find(ys.begin(), ys.end(), p.values[0]) - ys.begin());
    const double share = hi > lo ? (p.objective - lo) / (hi - lo) : 0.5;
    chart.rect(i, i + 1, j, j + 1, p.feasible ? std::string_view(heat_colour(share)) : palette::grey, 1.0,
               fmt::format("{}={}, {}={}: {}{}", r.paths[0], p.values[0], r.paths[1], p.values[1],
                           number_text(p.objective), p.feasible ? "" : " (fails a constraint)"));
    chart.note(i + 0.5, j + 0.5, number_text(p.objective), "middle", 4);
  }
  for (std::size_t i = 0; i < xs.size(); ++i) chart.note(static_cast<double>(i) + 0.5, 0, xs[i], "middle", 14);
  for (std::size_t j = 0; j < ys.size(); ++j) chart.note(0, static_cast<double>(j) + 0.5, ys[j], "end", 4);
  return wide_figure(chart, "Objective", fmt::format("Rows: {}; columns: {}. Grey: fails a constraint.", r.paths[0], r.paths[1]));
}

std::string label(const SweepResult& r, const SweepPoint& p) {
  std::string out;
  for (std::size_t k = 0; k < r.paths.size(); ++k) {
    out += (k ? ", " : "") + fmt::format("<code>{}={}</code>", escape_html(r.paths[k]), escape_html(p.values[k]));
  }
  return out;
}

}  // namespace

std::string render_sweep_report(const SweepResult& r, const std::string& scenario) {
  std::string body = fmt::format(
      "<section><p>Sweep of <code>{}</code>: {} combinations, {} trials each (seed {}), on common random numbers. "
      "Objective: {} <code>{}</code>.",
      escape_html(scenario), r.points.size(), r.trials, r.seed, r.objective.maximize ? "maximise" : "minimise",
      escape_html(r.objective.term.text));
  for (const SweepConstraint& c : r.constraints) body += fmt::format(" Constraint: <code>{}</code>.", escape_html(c.text));
  body += fmt::format(" Cost: {:.2f} s, {:.1f} times one draw of the trials ({}).</p>\n", r.elapsed_s,
                      r.one_draw_s > 0 ? r.elapsed_s / r.one_draw_s : 0.0,
                      r.draws == SweepDraws::replay
                          ? fmt::format("replay: drawn once, each reservation re-costed from the kept hours, within "
                                        "${:.2f} of billing every hour",
                                        r.replay_error_bound_usd)
                          : std::string("each combination simulated"));
  if (!r.best) {
    body += "<p><strong>No combination meets the constraints: infeasible.</strong></p>\n";
  } else {
    body += fmt::format("<p><strong>Chosen: {}</strong> ({} = {}).</p>\n", label(r, r.points[*r.best]),
                        escape_html(r.objective.term.text), number_text(r.points[*r.best].objective));
    HtmlTable runners;
    runners.headers = {"rank", "combination", escape_html(r.objective.term.text), "behind the chosen [95%]"};
    runners.numeric = {true, false, true, true};
    runners.add({"1", label(r, r.points[*r.best]), number_text(r.points[*r.best].objective), "&mdash;"});
    for (std::size_t k = 0; k < r.runners_up.size(); ++k) {
      const Estimate& m = r.margins[k];
      const auto bound = [](double v) { return std::isfinite(v) ? number_text(v) : std::string("?"); };
      runners.add({fmt::format("{}", k + 2), label(r, r.points[r.runners_up[k]]),
                   number_text(r.points[r.runners_up[k]].objective),
                   fmt::format("{} [{}, {}]", number_text(m.value), bound(m.lo), bound(m.hi))});
    }
    body += runners.render("The chosen combination and its runners-up: each margin is the paired difference over the "
                           "same trials");
  }
  if (r.paths.size() == 1) body += line_figure(r);
  if (r.paths.size() == 2) body += heat_figure(r);
  HtmlTable all;
  for (const std::string& p : r.paths) all.headers.push_back("<code>" + escape_html(p) + "</code>");
  all.headers.push_back(escape_html(r.objective.term.text));
  for (const SweepConstraint& c : r.constraints) all.headers.push_back(escape_html(c.term.text));
  all.headers.insert(all.headers.end(), {"feasible", "cheapest plan mean", "cheapest plan p95"});
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const SweepPoint& p = r.points[i];
    std::vector<std::string> cells;
    for (const std::string& v : p.values) cells.push_back(escape_html(v));
    cells.push_back(number_text(p.objective));
    for (const double v : p.constraint_values) cells.push_back(number_text(v));
    cells.insert(cells.end(), {p.feasible ? "yes" : "no", fmt::format("${}", number_text(p.total_mean_usd)),
                               fmt::format("${}", number_text(p.total_p95_usd))});
    all.add(std::move(cells), r.best == i ? "best" : "");
  }
  body += all.render("Every combination");
  body += "</section>\n";
  return html_page(fmt::format("tokencast sweep: {}", scenario), body);
}

}  // namespace tokencast
