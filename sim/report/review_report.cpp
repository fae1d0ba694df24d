// The pages of `tokencast check --report` (the verdict, the margin, each month against the budget)
// and `tokencast diff --report` (each figure's change with its interval, and what changed).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "svg_chart.hpp"
#include "tokencast/report.hpp"

namespace tokencast {
namespace {

using namespace report;

std::string signed_usd(double v) { return (v < 0 ? "-" : "+") + format_usd(std::abs(v)); }
std::string bound_usd(double v) { return std::isfinite(v) ? signed_usd(v) : std::string("?"); }

// Each month's cost at the percentile as a bar, the budget as a line.
std::string months_figure(const BudgetCheck& c) {
  SvgChart chart("check-months", 720, 300, "Each month against the budget",
                 {{"within", std::string(palette::blue), Swatch::bar},
                  {"over", std::string(palette::vermillion), Swatch::bar},
                  {"budget", std::string(palette::black), Swatch::dashed}});
  double hi = c.budget_usd;
  for (const BudgetCheckMonth& m : c.months) hi = std::max(hi, m.value_usd);
  chart.x = Scale::linear({0.5, c.months.size() + 0.5}, chart.left(), chart.right());
  const Domain y = nice_domain(0, hi * 1.05, 5);
  chart.y = Scale::linear(safe_domain(y.lo, y.hi), chart.bottom(), chart.top());
  chart.x_axis(nice_ticks(1, static_cast<double>(c.months.size()), std::min<int>(12, static_cast<int>(c.months.size()))),
               [](double v) { return fmt::format("{:g}", v); }, "month");
  chart.y_axis(nice_ticks(y.lo, y.hi, 5), usd_tick, fmt::format("cost at p{:g}", c.percentile));
  for (const BudgetCheckMonth& m : c.months) {
    const bool over = m.value_usd > c.budget_usd;
    chart.rect(m.month - 0.35, m.month + 0.35, 0, m.value_usd, over ? palette::vermillion : palette::blue, 0.85,
               fmt::format("month {}: {}{}", m.month, format_usd(m.value_usd), over ? " (over)" : ""));
  }
  chart.hline(c.budget_usd, palette::black, true);
  return wide_figure(chart, "By month", fmt::format("Budget {} a month.", format_usd(c.budget_usd)));
}

// Each changed figure's mean change, with its 95% interval as a whisker.
std::string changes_figure(const ScenarioDiff& d) {
  std::vector<const DiffFigure*> shown;
  for (const DiffFigure& f : d.figures) {
    if (f.changed() && f.key.ends_with("_usd")) shown.push_back(&f);
  }
  if (shown.empty()) return {};
  if (shown.size() > 20) shown.resize(20);
  const double row = 30;
  SvgChart chart("diff-changes", 720, 90 + row * static_cast<double>(shown.size()), "Change of each figure's mean",
                 {{"significant", std::string(palette::vermillion), Swatch::bar},
                  {"within noise", std::string(palette::grey), Swatch::bar},
                  {"95% interval", std::string(palette::black), Swatch::line}},
                 1);
  double lo = 0, hi = 0;
  for (const DiffFigure* f : shown) {
    lo = std::min({lo, f->mean_change, std::isfinite(f->mean_lo) ? f->mean_lo : 0.0});
    hi = std::max({hi, f->mean_change, std::isfinite(f->mean_hi) ? f->mean_hi : 0.0});
  }
  const Domain x = nice_domain(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 5);
  chart.x = Scale::linear(safe_domain(x.lo, x.hi), chart.left(), chart.right());
  const double n = static_cast<double>(shown.size());
  chart.y = Scale::linear({0, n}, chart.bottom(), chart.top());
  chart.x_axis(nice_ticks(x.lo, x.hi, 5), usd_tick, "change of the mean (new - base)");
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const DiffFigure& f = *shown[i];
    const double top = n - static_cast<double>(i);
    chart.note(chart.x.domain().lo, top - 0.05, f.key, "start", 10);
    const std::string tooltip = fmt::format("{}: {} [{}, {}]", f.key, signed_usd(f.mean_change), bound_usd(f.mean_lo),
                                            bound_usd(f.mean_hi));
    chart.rect(std::min(0.0, f.mean_change), std::max(0.0, f.mean_change), top - 0.9, top - 0.5,
               f.significant() ? palette::vermillion : palette::grey, 0.85, tooltip);
    if (std::isfinite(f.mean_lo) && std::isfinite(f.mean_hi)) {
      chart.rect(f.mean_lo, f.mean_hi, top - 0.72, top - 0.68, palette::black, 1.0, tooltip);
    }
  }
  chart.vline(0, palette::black, false);
  return wide_figure(chart, "Changes", "Bars: the mean's change; whiskers: its 95% interval over the paired trials.");
}

}  // namespace

std::string render_check_report(const BudgetCheck& c, const Scenario& scenario) {
  const double share = c.budget_usd > 0 ? c.margin_usd() / c.budget_usd : 0.0;
  const std::string what = c.worst_month > 0
                               ? fmt::format("month {} (the worst of {})", c.worst_month, c.months_in_horizon)
                               : fmt::format("the {}-month horizon", c.months_in_horizon);
  std::string body = fmt::format(
      "<section><p class=\"verdict\"><strong>{}</strong>: {} at p{:g} over {} is {} against a budget of {}; {} {} "
      "({:.1f}% of the budget).</p>\n<p>Scenario <code>{}</code>, {} trials, seed {}. The cost is each trial's total "
      "over the horizon (or month) and the percentile is taken over the trials (docs/ci.md).</p>\n",
      c.over() ? "OVER" : "Within", escape_html(std::string(to_string(c.mode))), c.percentile, escape_html(what),
      format_usd(c.value_usd), format_usd(c.budget_usd), c.over() ? "over by" : "margin",
      format_usd(std::abs(c.margin_usd())), 100 * std::abs(share), escape_html(scenario.file),
      format_count(static_cast<double>(c.trials)), c.seed);
  if (!c.months.empty()) {
    body += months_figure(c);
    HtmlTable table;
    table.headers = {"month", fmt::format("cost at p{:g}", c.percentile), "margin"};
    table.numeric = {true, true, true};
    for (const BudgetCheckMonth& m : c.months) {
      table.add({fmt::format("{}", m.month), format_usd(m.value_usd), signed_usd(c.budget_usd - m.value_usd)},
                m.value_usd > c.budget_usd ? "over" : "");
    }
    body += table.render("Each month against the budget");
  }
  body += "</section>\n";
  return html_page(fmt::format("tokencast check: {}", scenario.name), body);
}

std::string render_diff_report(const ScenarioDiff& d, const std::vector<InputChange>& inputs,
                               const std::string& base_name, const std::string& new_name) {
  std::string body = fmt::format(
      "<section><p><code>{}</code> &rarr; <code>{}</code>: {} trials, seed {}, common random numbers (what did not "
      "change draws the same numbers). Significant: a 95% interval of the paired change that leaves out 0.</p>\n",
      escape_html(base_name), escape_html(new_name), format_count(static_cast<double>(d.trials)), d.seed);
  body += changes_figure(d);
  HtmlTable table;
  table.headers = {"figure", "base p95", "new p95", "&Delta; p95 [95%]", "&Delta; mean [95%]", ""};
  table.numeric = {false, true, true, true, true, false};
  std::size_t unchanged = 0;
  for (const DiffFigure& f : d.figures) {
    if (!f.changed() && f.in_base && f.in_new) {
      ++unchanged;
      continue;
    }
    const bool usd = f.key.ends_with("_usd");
    const auto amount = [&](double v) { return usd ? format_usd(v) : format_count(std::round(v)); };
    const auto change = [&](double v) { return usd ? signed_usd(v) : fmt::format("{:+.0f}", v); };
    const auto bound = [&](double v) { return std::isfinite(v) ? change(v) : std::string("?"); };
    const std::string mark = !f.in_base ? "added" : !f.in_new ? "removed" : f.significant() ? "significant" : "within noise";
    table.add({"<code>" + escape_html(f.key) + "</code>", amount(f.base_p95), amount(f.new_p95),
               fmt::format("{} [{}, {}]", change(f.p95_change), bound(f.p95_lo), bound(f.p95_hi)),
               fmt::format("{} [{}, {}]", change(f.mean_change), bound(f.mean_lo), bound(f.mean_hi)), mark},
              f.significant() ? "significant" : "");
  }
  body += table.render(fmt::format("Figures that changed ({} unchanged: every trial equal)", unchanged));
  if (inputs.empty()) {
    body += "<p>No input changed.</p>\n";
  } else {
    HtmlTable changes;
    changes.headers = {"input", "base", "new"};
    for (const InputChange& c : inputs) {
      changes.add({"<code>" + escape_html(c.path) + "</code>", "<code>" + escape_html(c.base.empty() ? "(unset)" : c.base) + "</code>",
                   "<code>" + escape_html(c.next.empty() ? "(unset)" : c.next) + "</code>"});
    }
    body += changes.render("Inputs changed");
  }
  body += "</section>\n";
  return html_page("tokencast diff", body);
}

}  // namespace tokencast
