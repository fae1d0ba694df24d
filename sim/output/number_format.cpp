#include "number_format.hpp"

#include <cmath>

#include <fmt/format.h>

namespace tokencast {

std::string group_thousands(std::string_view decimal) {
  const std::size_t sign = (!decimal.empty() && decimal.front() == '-') ? 1 : 0;
  const std::size_t point = decimal.find('.');
  const std::size_t int_end = point == std::string_view::npos ? decimal.size() : point;
  std::string out(decimal.substr(0, sign));
  for (std::size_t i = sign; i < int_end; ++i) {
    out += decimal[i];
    const std::size_t left = int_end - i - 1;
    if (left > 0 && left % 3 == 0) out += ',';
  }
  out += decimal.substr(int_end);
  return out;
}

std::string format_usd(double usd) {
  if (!std::isfinite(usd)) return "n/a";
  const double magnitude = std::fabs(usd);
  // Round half away from zero ourselves: printf-style rounding of x.5 goes to even.
  const bool whole_dollars = magnitude >= 100.0;
  const double rounded = whole_dollars ? std::round(magnitude) : std::round(magnitude * 100.0) / 100.0;
  if (rounded == 0.0) return usd > 0 ? "<$0.01" : "$0.00";
  const std::string digits =
      whole_dollars ? fmt::format("{:.0f}", rounded) : fmt::format("{:.2f}", rounded);
  return fmt::format("{}${}", usd < 0 ? "-" : "", group_thousands(digits));
}

std::string format_count(double count) {
  if (!std::isfinite(count)) return "n/a";
  const double rounded = std::round(count);
  if (rounded == 0.0) return "0";  // avoids "-0"
  return group_thousands(fmt::format("{:.0f}", rounded));
}

std::string format_percent(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  const double tenths = std::round(fraction * 1000.0) / 10.0;
  return fmt::format("{:.1f}%", tenths == 0.0 ? 0.0 : tenths);
}

std::string usd_range(const Summary& s) { return format_usd(s.p5) + " – " + format_usd(s.p95); }

std::string_view mode_label(Mode mode) {
  switch (mode) {
    case Mode::serverless: return "serverless";
    case Mode::batch: return "batch";
    case Mode::dedicated: return "dedicated";
    case Mode::gpu_cluster: return "GPU cluster";
    case Mode::cheapest_plan: return "cheapest plan";
  }
  return "";
}

std::string price_text(const Quantity& usd) {
  if (usd.is_certain()) return fmt::format("{:.2f}", usd.constant());
  const Interval range = usd.support();
  if (std::isfinite(range.lo) && std::isfinite(range.hi)) return fmt::format("{:.2f}–{:.2f}", range.lo, range.hi);
  return usd.describe();
}

}  // namespace tokencast
