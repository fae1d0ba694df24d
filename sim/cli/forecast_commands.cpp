// `tokencast backtest` and `tokencast forecast`: the library's backtest_logs and forecast_logs,
// their figures as a table or JSON, and their report pages, all written or none.
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <span>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "commands.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/log_forecast.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"

namespace tokencast::cli {
namespace {

using Json = nlohmann::ordered_json;

// "90", "90s", "5m", "2h", "3d": seconds.
double parse_duration(std::string_view option, const std::string& text) {
  if (text.empty()) throw UsageError(fmt::format("{}: expected a duration such as 300, 5m, 2h or 1d (got '')", option));
  const char unit = text.back();
  const double factor = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  const std::string number = factor > 0 ? text.substr(0, text.size() - 1) : text;
  try {
    return parse_real(option, number, 1e-3, 1e9) * (factor > 0 ? factor : 1);
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{}: expected a duration such as 300, 5m, 2h or 1d (got '{}')", option, text));
  }
}

// Seconds on the log's clock, or a UTC date-time "YYYY-MM-DD[ T]HH:MM[:SS]".
double parse_time(std::string_view option, const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double s = 0;
  char sep = 0;
  const int got = std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%lf", &y, &mo, &d, &sep, &h, &mi, &s);
  static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const bool day_ok = mo >= 1 && mo <= 12 && d >= 1 && d <= (mo == 2 && !leap ? 28 : kDays[mo - 1]);
  if (got >= 6 && (sep == ' ' || sep == 'T') && day_ok && h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 &&
      s < 60) {
    const long long yy = y - (mo <= 2);
    const long long era = (yy >= 0 ? yy : yy - 399) / 400;
    const long long yoe = yy - era * 400;
    const long long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const double days = static_cast<double>(era * 146097 + doe - 719468);
    return days * 86400 + h * 3600 + mi * 60 + s;
  }
  try {
    return parse_real(option, text, -1e12, 1e12);
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{}: expected seconds on the log's clock or a UTC date-time YYYY-MM-DD HH:MM[:SS] "
                                 "(got '{}')",
                                 option, text));
  }
}

std::string time_text(double at_s, bool clock) {
  if (!clock) return fmt::format("{:.3f} s", at_s);
  const auto whole = static_cast<long long>(std::floor(at_s));
  long long z = (whole >= 0 ? whole : whole - 86399) / 86400;
  const long long rest = whole - z * 86400;
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", y, m, d, rest / 3600, rest / 60 % 60, rest % 60);
}

std::string value_text(BacktestMetric m, double v) {
  return m == BacktestMetric::serverless_usd ? fmt::format("${:.2f}", v) : fmt::format("{:.0f}", v);
}

std::string backtest_table(const BacktestResult& r) {
  std::string out = fmt::format("backtest: {} origin{}, {} trials each; the head before each origin fitted, the period "
                                "after it simulated\n\n",
                                r.origins.size(), r.origins.size() == 1 ? "" : "s", r.trials);
  out += fmt::format("{:<20} {:>9} {:>9}  {:<15} {:>14} {:>14} {:>14} {:>14} {:>6}  {}\n", "origin", "horizon_s",
                     "train_req", "figure", "actual", "p5", "p50", "p95", "rank", "in p5-p95");
  for (const BacktestOrigin& o : r.origins) {
    for (int m = 0; m < backtest_metric_count; ++m) {
      const auto metric = static_cast<BacktestMetric>(m);
      const BacktestPoint& p = o.points[m];
      out += fmt::format("{:<20} {:>9} {:>9}  {:<15} {:>14} {:>14} {:>14} {:>14} {:>6.3f}  {}\n",
                         m == 0 ? time_text(o.origin_s, r.has_clock) : "",
                         m == 0 ? fmt::format("{:.0f}", o.horizon_s) : "",
                         m == 0 ? std::to_string(o.train_requests) : "", to_string(metric), value_text(metric, p.actual),
                         value_text(metric, p.p5), value_text(metric, p.p50), value_text(metric, p.p95), p.rank,
                         p.covered() ? "yes" : "NO");
    }
  }
  out += fmt::format("\n{:<15} {:>16} {:>18} {:>10}\n", "figure", "in p5-p95", "p50 mean |error|", "p50 bias");
  const auto k = static_cast<int>(r.origins.size());
  for (int m = 0; m < backtest_metric_count; ++m) {
    const BacktestCoverage& c = r.coverage[m];
    out += fmt::format("{:<15} {:>8} ({:>4.0f}%) {:>17.1f}% {:>+9.1f}%\n", to_string(static_cast<BacktestMetric>(m)),
                       fmt::format("{}/{}", c.covered, k), 100.0 * c.covered / k, 100 * c.p50_mean_abs_error,
                       100 * c.p50_mean_error);
  }
  return std::string(terminal_safe(out));
}

std::string backtest_json(const BacktestResult& r) {
  Json origins = Json::array();
  for (const BacktestOrigin& o : r.origins) {
    Json figures = Json::object();
    for (int m = 0; m < backtest_metric_count; ++m) {
      const BacktestPoint& p = o.points[m];
      figures[std::string(to_string(static_cast<BacktestMetric>(m)))] = Json{
          {"actual", p.actual}, {"p5", p.p5}, {"p50", p.p50}, {"p95", p.p95}, {"rank", p.rank}, {"covered", p.covered()}};
    }
    origins.push_back(Json{{"origin_s", o.origin_s},
                           {"origin", r.has_clock ? Json(time_text(o.origin_s, true)) : Json(nullptr)},
                           {"horizon_s", o.horizon_s},
                           {"train_requests", o.train_requests},
                           {"figures", std::move(figures)}});
  }
  Json coverage = Json::object();
  for (int m = 0; m < backtest_metric_count; ++m) {
    const BacktestCoverage& c = r.coverage[m];
    coverage[std::string(to_string(static_cast<BacktestMetric>(m)))] =
        Json{{"covered", c.covered},
             {"origins", r.origins.size()},
             {"share", static_cast<double>(c.covered) / static_cast<double>(r.origins.size())},
             {"p50_mean_abs_error", c.p50_mean_abs_error},
             {"p50_mean_error", c.p50_mean_error}};
  }
  Json out{{"files", r.files},          {"trials", r.trials},   {"log_start_s", r.log_start_s},
           {"log_end_s", r.log_end_s}, {"origins", origins}, {"coverage", coverage}};
  return out.dump(2) + "\n";
}

std::string forecast_table(const ForecastResult& r) {
  std::string out = fmt::format("forecast: {}, budget ${:.2f}\n", r.period, r.budget_usd);
  out += fmt::format("  month to date: ${:.2f} over {} requests (log to {})\n", r.month_to_date_usd,
                     r.month_to_date_requests, time_text(r.as_of_s, true));
  out += fmt::format("  rest of the month: {:.1f} h simulated, {} trials\n", r.remaining_hours, r.trials);
  out += fmt::format("  month-end spend: p5 ${:.2f}  p50 ${:.2f}  p95 ${:.2f}  (mean ${:.2f})\n", r.month_end_usd.p5,
                     r.month_end_usd.p50, r.month_end_usd.p95, r.month_end_usd.mean);
  out += fmt::format("  P(over budget): {:.1f}%\n", 100 * r.p_over_budget);
  out += fmt::format("  budget reached by the p50 path: {}; by the p95 path: {}\n\n", r.p50_crosses.value_or("never"),
                     r.p95_crosses.value_or("never"));
  out += fmt::format("{:<12} {:<10} {:>14} {:>14} {:>14}\n", "day", "", "p5_usd", "p50_usd", "p95_usd");
  for (const ForecastDay& d : r.days) {
    out += fmt::format("{:<12} {:<10} {:>14.2f} {:>14.2f} {:>14.2f}\n", d.date,
                       d.partial ? "to date" : d.actual ? "actual" : "simulated",
                       d.p5, d.p50, d.p95);
  }
  return std::string(terminal_safe(out));
}

std::string forecast_json(const ForecastResult& r, std::optional<double> fail_above) {
  Json days = Json::array();
  for (const ForecastDay& d : r.days) {
    days.push_back(Json{{"date", d.date}, {"actual", d.actual}, {"partial", d.partial}, {"p5_usd", d.p5}, {"p25_usd", d.p25},
                        {"p50_usd", d.p50}, {"p75_usd", d.p75}, {"p95_usd", d.p95}});
  }
  auto optional_text = [](const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); };
  Json out{{"files", r.files},
           {"period", r.period},
           {"budget_usd", r.budget_usd},
           {"as_of", time_text(r.as_of_s, true)},
           {"month_to_date_requests", r.month_to_date_requests},
           {"month_to_date_usd", r.month_to_date_usd},
           {"remaining_hours", r.remaining_hours},
           {"trials", r.trials},
           {"month_end_usd", Json{{"mean", r.month_end_usd.mean},
                                  {"p5", r.month_end_usd.p5},
                                  {"p50", r.month_end_usd.p50},
                                  {"p95", r.month_end_usd.p95},
                                  {"p99", r.month_end_usd.p99}}},
           {"p_over_budget", r.p_over_budget},
           {"fail_above", fail_above ? Json(*fail_above) : Json(nullptr)},
           {"over_fail_threshold", fail_above ? Json(r.p_over_budget > *fail_above) : Json(nullptr)},
           {"p50_crosses_budget", optional_text(r.p50_crosses)},
           {"p95_crosses_budget", optional_text(r.p95_crosses)},
           {"days", std::move(days)}};
  return out.dump(2) + "\n";
}

// Standard output and the report (when asked), checked before the logs are read, then written all
// or none once `result` renders them.
template <typename Result>
void write_with_report(const std::vector<std::string>& logs, const std::optional<std::string>& report,
                       const std::function<Result()>& compute, const std::function<std::string(const Result&)>& text,
                       std::string (*page)(const Result&)) {
  const OutputTarget out = check_output_target("standard output", "-", logs);
  std::optional<OutputTarget> report_to;
  if (report) report_to = check_output_target("--report", *report, logs, std::span<const OutputTarget>(&out, 1));
  const Result result = compute();
  std::vector<std::pair<OutputTarget, std::string>> outputs;
  outputs.emplace_back(out, text(result));
  if (report_to) outputs.emplace_back(*report_to, page(result));
  write_outputs(outputs);
}

int threads_of(const std::optional<std::string>& text) {
  return text ? static_cast<int>(parse_integer("--threads", *text, 1, 1024)) : 0;
}
std::int64_t trials_of(const std::optional<std::string>& text) {
  return text ? parse_integer("--trials", *text, 100, 10'000'000) : 2000;
}

}  // namespace

int backtest_command(const BacktestArgs& args) {
  if (args.format != "table" && args.format != "json") {
    throw UsageError(fmt::format("--format: backtest writes table or json (got {})", args.format));
  }
  BacktestOptions options;
  options.fit = fit_options(args.fit);
  if (args.train_fraction && args.train_until) {
    throw UsageError("--train-fraction and --train-until: give one or the other");
  }
  if (args.train_fraction) options.train_fraction = parse_real("--train-fraction", *args.train_fraction, 1e-9, 1 - 1e-9);
  if (args.train_until) options.train_until_s = parse_time("--train-until", *args.train_until);
  if (args.rolling) options.rolling = static_cast<int>(parse_integer("--rolling", *args.rolling, 1, 1000));
  if (args.horizon) options.horizon_s = parse_duration("--horizon", *args.horizon);
  if (args.train_window) options.train_window_s = parse_duration("--train-window", *args.train_window);
  options.trials = trials_of(args.trials);
  options.threads = threads_of(args.threads);
  options.seed = args.fit.seed;
  write_with_report<BacktestResult>(
      args.fit.logs, args.report, [&] { return backtest_logs(args.fit.logs, options, builtin_catalog()); },
      [&](const BacktestResult& r) { return args.format == "json" ? backtest_json(r) : backtest_table(r); },
      render_backtest_report);
  return 0;
}

int forecast_command(const ForecastArgs& args) {
  if (args.format != "table" && args.format != "json") {
    throw UsageError(fmt::format("--format: forecast writes table or json (got {})", args.format));
  }
  ForecastOptions options;
  options.fit = fit_options(args.fit);
  if (!args.budget) throw UsageError("--budget: required (the month's budget in USD)");
  options.budget_usd = parse_real("--budget", *args.budget, 1e-9, 1e15);
  options.period = args.period;
  std::optional<double> fail_above;
  if (args.fail_above) fail_above = parse_real("--fail-above", *args.fail_above, 0, 1);
  options.trials = trials_of(args.trials);
  options.threads = threads_of(args.threads);
  options.seed = args.fit.seed;
  double p_over_budget = 0;
  write_with_report<ForecastResult>(
      args.fit.logs, args.report, [&] { return forecast_logs(args.fit.logs, options, builtin_catalog()); },
      [&](const ForecastResult& r) {
        p_over_budget = r.p_over_budget;
        return args.format == "json" ? forecast_json(r, fail_above) : forecast_table(r);
      },
      render_forecast_report);
  if (fail_above && p_over_budget > *fail_above) {
    std::cerr << fmt::format("tokencast: P(over budget) {:.1f}% is above --fail-above {:.1f}%\n",
                             100 * p_over_budget, 100 * *fail_above);
    return 3;
  }
  return 0;
}

}  // namespace tokencast::cli
