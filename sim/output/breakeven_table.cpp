// Terminal tables for break-even results and tag breakdowns.
#include <fmt/format.h>

#include "number_format.hpp"
#include "tokencast/output.hpp"

namespace tokencast {
namespace {

std::string range_usd(const Summary& s) { return format_usd(s.p5) + " – " + format_usd(s.p95); }

std::string optional_count(const std::optional<double>& v) { return v ? format_count(*v) : std::string("not in grid"); }

}  // namespace

std::string format_breakeven_table(const RunResult& result) {
  std::string out = fmt::format("Break-even for \"{}\": {} trials, seed {}, {} month(s), {:.2f} s\n", result.scenario_name,
                                format_count(static_cast<double>(result.trials)), result.seed, result.months,
                                result.elapsed_s);
  if (!result.breakeven) return terminal_safe(out + "no capacity option to compare\n");
  out += "\nUtilization break-even (option $/1M tokens = serverless blended $/1M, at the replicas chosen)\n";
  out += fmt::format("  {:<28} {:>9} {:>22} {:>14} {:>18} {:>10}\n", "option", "replicas", "serverless $/1M p50",
                     "u* p50", "u* p5 – p95", "P(u*≤100%)");
  for (const UtilizationCurve& c : result.breakeven->utilization) {
    out += fmt::format("  {:<28} {:>9} {:>22} {:>14} {:>18} {:>10}\n", c.option + " (" + std::string(to_string(c.kind)) + ")",
                       c.replicas, fmt::format("${:.3f}", c.serverless_usd_per_mtok.p50),
                       format_percent(c.breakeven_utilization.p50),
                       format_percent(c.breakeven_utilization.p5) + " – " + format_percent(c.breakeven_utilization.p95),
                       format_percent(c.probability_breakeven_reachable));
  }
  for (const VolumeCurve& curve : result.breakeven->volume) {
    out += fmt::format("\nVolume break-even for {} (requests a month where P(option cheaper than serverless) crosses; "
                       "trials {})\n",
                       curve.model, result.breakeven->volume_method == "replay" ? "replayed" : "simulated at each volume");
    out += fmt::format("  {:<28} {:>16} {:>16} {:>16}\n", "option", "10%", "50%", "90%");
    for (const VolumeBreakeven& b : curve.breakeven) {
      out += fmt::format("  {:<28} {:>16} {:>16} {:>16}\n", b.option, optional_count(b.requests_per_month_10),
                         optional_count(b.requests_per_month_50), optional_count(b.requests_per_month_90));
    }
    out += fmt::format("\n  {:>16}", "requests/month");
    if (!curve.points.empty()) {
      for (const ModeCost& c : curve.points.front().costs) out += fmt::format(" {:>14}", fmt::format("{} p50", to_string(c.mode)));
      for (const auto& [name, p] : curve.points.front().probability_cheaper) out += fmt::format(" {:>12}", "P(" + name.substr(0, 9) + ")");
    }
    out += "\n";
    for (std::size_t i = 0; i < curve.points.size(); i += 3) {
      const VolumePoint& p = curve.points[i];
      out += fmt::format("  {:>16}", format_count(p.requests_per_month));
      for (const ModeCost& c : p.costs) out += fmt::format(" {:>14}", format_usd(c.total_usd.p50));
      for (const auto& [name, prob] : p.probability_cheaper) out += fmt::format(" {:>12}", format_percent(prob));
      out += "\n";
    }
    out += "  (every third grid point; monthly cost p50; the JSON output has all points with p5 and p95)\n";
  }
  return terminal_safe(out);
}

std::string format_group_tables(const RunResult& result) {
  std::string out;
  for (const GroupBreakdown& g : result.groups) {
    out += fmt::format("By {} (sums inside each trial, then percentiles)\n", g.key);
    out += fmt::format("  {:<20} {:<15} {:>12}  {:<25}\n", g.key, "mode", "p50", "p5 – p95");
    for (const auto& e : g.entries) {
      for (const ModeCost& c : e.costs) {
        out += fmt::format("  {:<20} {:<15} {:>12}  {:<25}\n", e.value, to_string(c.mode), format_usd(c.total_usd.p50),
                           range_usd(c.total_usd));
      }
    }
  }
  return terminal_safe(out);
}

}  // namespace tokencast
