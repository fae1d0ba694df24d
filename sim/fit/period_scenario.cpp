#include "period_scenario.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "token_law_fit.hpp"
#include "tokencast/arrivals.hpp"
#include "tokencast/cost_models.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/random.hpp"
#include "tokencast/request_log.hpp"
#include "tokencast/scenario_loader.hpp"

namespace tokencast::fit {
namespace {

constexpr double kHourS = 3600.0;
// Days in a month on average (365.25 / 12): a monthly growth spread over days.
constexpr double kDaysPerMonth = 30.4375;

RequestLogOptions ordered(const FitOptions& options) {
  RequestLogOptions log = options.log;
  log.require_time_order = true;
  return log;
}

int hour_of_day(double at_s) {
  const auto hour = static_cast<std::int64_t>(std::floor(at_s / kHourS));
  return static_cast<int>(((hour % 24) + 24) % 24);
}

// The count's index of dispersion at a window: the on/off process's where the fit found one,
// else the measured curve's, log-linear between its windows and flat beyond; 1 (Poisson) without.
double dispersion_at(const ArrivalMeasurement& a, double rate_per_s, double window_s) {
  if (a.onoff) return dispersion_index(*a.onoff, rate_per_s, window_s);
  std::vector<std::pair<double, double>> known;
  for (std::size_t k = 0; k < a.windows_s.size(); ++k) {
    if (a.dispersion_index[k]) known.emplace_back(a.windows_s[k], *a.dispersion_index[k]);
  }
  if (known.empty()) return 1.0;
  if (window_s <= known.front().first) return known.front().second;
  for (std::size_t k = 1; k < known.size(); ++k) {
    if (window_s <= known[k].first) {
      const double t = std::log(window_s / known[k - 1].first) / std::log(known[k].first / known[k - 1].first);
      return known[k - 1].second + t * (known[k].second - known[k - 1].second);
    }
  }
  return known.back().second;
}

}  // namespace

LogSpan log_span(const std::vector<std::string>& paths, const FitOptions& options) {
  LogSpan span;
  bool first = true;
  for (const std::string& path : paths) {
    const RequestLogStats stats = for_each_logged_request(path, ordered(options), [&](const LoggedRequest& r) {
      const double at = r.time_s();
      if (first) span.first_s = at;
      first = false;
      span.last_s = at;
      ++span.requests;
    });
    span.has_clock = span.has_clock && stats.has_clock;
  }
  return span;
}

WindowTotals window_totals(const std::vector<std::string>& paths, const FitOptions& options, const Catalog& catalog,
                           double from_s, double until_s, const std::function<void(double, double)>& each) {
  WindowTotals totals;
  std::map<std::string, ServerlessPrices, std::less<>> prices;
  Rng unused(0);
  auto figure = [&](const Quantity& q) { return q.is_certain() ? q.constant() : q.resolve(unused).mean(); };
  for (const std::string& path : paths) {
    (void)for_each_logged_request(path, ordered(options), [&](const LoggedRequest& r) {
      const double at = r.time_s();
      if (at < from_s || at >= until_s) return;
      const std::string_view id = options.model ? std::string_view(*options.model) : std::string_view(r.model);
      auto found = prices.find(id);
      if (found == prices.end()) {
        const ModelSpec* model = catalog.find_model(id);
        if (model == nullptr) {
          throw InputError({path, static_cast<int>(r.line), 0}, "",
                           id.empty() ? std::string("the log names no model: give the catalog model with --model ID")
                                      : fmt::format("model '{}' is not in the catalog; map it with --model ID", id));
        }
        ServerlessPrices p;
        p.input_usd_per_mtok = figure(model->input_usd_per_mtok);
        p.output_usd_per_mtok = figure(model->output_usd_per_mtok);
        p.cached_input_usd_per_mtok =
            model->cached_input_usd_per_mtok ? figure(*model->cached_input_usd_per_mtok) : p.input_usd_per_mtok;
        found = prices.emplace(std::string(id), p).first;
      }
      const double usd = serverless_cost_usd(found->second, r.input, r.output, r.input > 0 ? r.cached / r.input : 0.0);
      ++totals.requests;
      totals.input_tokens += r.input;
      totals.output_tokens += r.output;
      totals.serverless_usd += usd;
      if (each) each(at, usd);
    });
  }
  return totals;
}

// The daily shape's integral over [from, to): seconds weighted by their hour's weight.
double shaped_seconds(double from, double to, const std::optional<std::array<double, 24>>& shape) {
  if (!shape) return to - from;
  double total = 0;
  for (double t = from; t < to;) {
    const double hour_end = std::min(to, (std::floor(t / kHourS) + 1) * kHourS);
    total += (*shape)[static_cast<std::size_t>(hour_of_day(t))] * (hour_end - t);
    t = hour_end;
  }
  return total;
}

LevelSpread level_spread(const std::vector<std::string>& paths, const FitOptions& options, double until_s,
                         double window_s, const std::optional<std::array<double, 24>>& shape) {
  struct Window {
    double n = 0, in = 0, in2 = 0, out = 0, out2 = 0;
  };
  std::map<std::int64_t, Window> windows;
  double first = NAN;
  for (const std::string& path : paths) {
    (void)for_each_logged_request(path, ordered(options), [&](const LoggedRequest& r) {
      const double at = r.time_s();
      if (at >= until_s || (options.from_s && at < *options.from_s)) return;
      if (std::isnan(first)) first = at;
      Window& w = windows[static_cast<std::int64_t>(std::floor((at - first) / window_s))];
      w.n += 1;
      w.in += r.input;
      w.in2 += r.input * r.input;
      w.out += r.output;
      w.out2 += r.output * r.output;
    });
  }
  // The last window may be cut short by until_s: only windows wholly before it.
  if (!windows.empty() && first + static_cast<double>(windows.rbegin()->first + 1) * window_s > until_s) {
    windows.erase(std::prev(windows.end()));
  }
  LevelSpread spread;
  // Windows in time order, the empty ones too (a count of 0 is a prediction error like any other).
  if (windows.empty()) return spread;
  const std::int64_t last = windows.rbegin()->first;
  std::vector<Window> ordered_windows(static_cast<std::size_t>(last + 1));
  for (const auto& [index, w] : windows) ordered_windows[static_cast<std::size_t>(index)] = w;
  auto predictive = [&](auto sum, auto squares) {
    double before_sum = 0, before_n = 0, error2 = 0, sampling = 0;
    int predicted = 0;
    for (const Window& w : ordered_windows) {
      if (before_n > 0 && w.n >= 2 && before_sum > 0) {
        const double expected = before_sum / before_n, mean = sum(w) / w.n;
        const double variance = std::max(0.0, squares(w) / w.n - mean * mean);
        error2 += (mean / expected - 1) * (mean / expected - 1);
        sampling += variance / (w.n * expected * expected);
        ++predicted;
      }
      before_sum += sum(w);
      before_n += w.n;
    }
    if (predicted < 3) return 0.0;
    return std::sqrt(std::max(0.0, (error2 - sampling) / predicted));
  };
  spread.input = predictive([](const Window& w) { return w.in; }, [](const Window& w) { return w.in2; });
  spread.output = predictive([](const Window& w) { return w.out; }, [](const Window& w) { return w.out2; });
  // Counts against the rate before each window, through the daily shape.
  double before = 0, exposure_before = 0, error2 = 0;
  int predicted = 0;
  for (std::size_t k = 0; k < ordered_windows.size(); ++k) {
    const double from = first + static_cast<double>(k) * window_s;
    const double exposure = shaped_seconds(from, from + window_s, shape);
    if (k > 0 && before > 0 && exposure > 0) {
      const double expected = before / exposure_before * exposure;
      error2 += (ordered_windows[k].n / expected - 1) * (ordered_windows[k].n / expected - 1);
      ++predicted;
    }
    before += ordered_windows[k].n;
    exposure_before += exposure;
  }
  if (predicted >= 3) spread.count_error2 = error2 / predicted;
  return spread;
}

namespace {

// A positive level of this mean and relative sd: a lognormal, which keeps the mean however wide.
Quantity positive_level(double mean, double relative_sd) {
  if (!(relative_sd > 0)) return Quantity(mean);
  return distribution(DistKind::lognormal, ParamSet::mean_cv, {Quantity(mean), Quantity(relative_sd)});
}

// The law with its level (a lognormal's or gamma's mean, a tabulated law's or mixture's scale: the
// first parameter as fit writes them) uncertain by at least `relative_sd`.
Quantity with_level_spread(const Quantity& law, double relative_sd) {
  const DistNode* node = law.node();
  if (node == nullptr || !(relative_sd > 0)) return law;
  const Quantity& level = node->params[0];
  const double center = level.is_certain() ? level.constant() : level.node()->params[0].constant();
  auto copy = std::make_shared<DistNode>(*node);
  copy->params[0] = positive_level(center, relative_sd);
  return Quantity(std::shared_ptr<const DistNode>(std::move(copy)));
}

}  // namespace

Scenario period_scenario(const FitResult& fit, const Catalog& catalog, double start_s, double period_s, int months,
                         bool daily_growth, const LevelSpread* spread) {
  Scenario s = load_scenario_text(fit.scenario_toml, "<fitted scenario>", catalog);
  const double fitted_hours = s.hours_per_month;
  const int hours = std::clamp(static_cast<int>(std::lround(period_s / kHourS)), 1, 744);
  s.months = months;
  s.hours_per_month = hours;
  const int first_hour = hour_of_day(start_s);
  for (std::size_t i = 0; i < s.workloads.size(); ++i) {
    const FittedWorkload& w = fit.workloads[i];
    WorkloadSpec& spec = s.workloads[i];
    const double rate_per_s = w.requests_per_month / (fitted_hours * kHourS);
    double expected = rate_per_s * period_s;
    if (w.hourly_weights) {
      std::array<double, 24> turned{};
      for (int h = 0; h < 24; ++h) turned[h] = (*w.hourly_weights)[(first_hour + h) % 24];
      spec.traffic.hourly_weights = turned;
      // Requests per unit of the shape over the log (not per second: a log of whole days and a few
      // quiet hours would understate the day's rate), times the period's share of the shape.
      const double log_shape = shaped_seconds(w.first_s, w.first_s + w.span_s, w.hourly_weights);
      if (log_shape > 0) {
        expected = static_cast<double>(w.requests) / log_shape * shaped_seconds(start_s, start_s + period_s, w.hourly_weights);
      }
    }
    const double relative_sd = w.requests_per_month > 0 ? w.requests_per_month_sd / w.requests_per_month : 0.0;
    double count_variance = 1.0 / std::max(expected, 1e-9);  // Poisson's, relative
    spec.traffic.weekend_factor = Quantity(1.0);
    if (spread != nullptr && spread->input > w.input.mean_relative_sd) {
      spec.input_tokens = with_level_spread(spec.input_tokens, spread->input);
    }
    if (spread != nullptr && spread->output > w.output.mean_relative_sd) {
      spec.output_tokens = with_level_spread(spec.output_tokens, spread->output);
    }
    if (period_s < kHourS && expected > 0) {
      // Var N = m x IDC(T) = m + m^2 cv^2 for the hour's Gamma burst factor of cv.
      const double idc = dispersion_at(w.arrivals, expected / period_s, period_s);
      spec.traffic.burstiness = Quantity(std::min(10.0, std::sqrt(std::max(0.0, idc - 1.0) / expected)));
      count_variance = idc / expected;
    } else if (w.burstiness) {
      count_variance += *w.burstiness * *w.burstiness / hours;
    }
    // The rate's own drift: how far the training's windows fell from the rate before them, beyond
    // the count's variance about a known rate.
    const double drift = spread != nullptr ? std::sqrt(std::max(0.0, spread->count_error2 - count_variance)) : 0.0;
    spec.requests_per_month = positive_level(std::max(expected, 1e-9), std::max(relative_sd, drift));
    spec.traffic.monthly_growth = Quantity(0.0);
    // The fitted rate is the log's average, from its middle; a growing log's rate at start_s is
    // that far ahead.
    if (w.monthly_growth) {
      const double months_ahead = (start_s - (w.first_s + 0.5 * w.span_s)) / (kDaysPerMonth * 86400.0);
      expected *= std::pow(1.0 + *w.monthly_growth, months_ahead);
      spec.requests_per_month = positive_level(std::max(expected, 1e-9), std::max(relative_sd, drift));
    }
    if (daily_growth && w.monthly_growth) {
      spec.traffic.monthly_growth = uncertain_figure(*w.monthly_growth / kDaysPerMonth,
                                                     w.monthly_growth_sd.value_or(0.0) / kDaysPerMonth, -0.99, 10.0);
    }
  }
  return s;
}

}  // namespace tokencast::fit
