// `tokencast fit`: logs read once, in bounded memory (a token histogram, minute buckets and a
// sample of 20,000 requests per workload), then fitted (docs/fitting.md).
#include "tokencast/log_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/random.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/scenario_loader.hpp"
#include "token_histogram.hpp"
#include "token_law_fit.hpp"

namespace tokencast {
namespace {

constexpr double kMinuteS = 60.0;
constexpr double kDayS = 86400.0;
constexpr double kHoursPerMonth = 730.0;
constexpr double kDaysPerMonth = 365.25 / 12.0;
constexpr double kMaxSpanDays = 400.0;  // minute buckets: 13 MB a workload at most
constexpr std::size_t kSampleSize = 20000;
// The minute buckets of every workload together: beyond this, group more coarsely or fit a part.
constexpr double kMaxBucketBytes = 1024.0 * 1024 * 1024;
constexpr double kMaxOnPeriodS = 3600;  // an on/off fit with longer on periods is not a burst within the hour

struct MinuteBucket {
  double requests = 0, input = 0, output = 0;
};

// One workload's log, read once.
struct GroupSummary {
  std::string key;  // the model the log names ("" for none)
  fit::TokenHistogram input, output;
  double n = 0, input_sum = 0, input_squares = 0, output_sum = 0, output_squares = 0, cached_sum = 0;
  std::vector<MinuteBucket> minutes;  // from the logs' first minute
  ArrivalRecorder arrivals;
  std::vector<std::array<double, 2>> sample;  // (input, output) of a uniform sample of the requests
  std::map<std::string, double, std::less<>> models;  // requests by the model they name
  Rng sample_rng;
  std::size_t first_line = 0;
  std::string first_file;

  GroupSummary(std::string model, std::uint64_t seed, std::uint64_t index)
      : key(std::move(model)), sample_rng(make_stream(seed, 0, StreamPurpose::log_fit, index, 0)) {}

  void add(const LoggedRequest& r, double at_s, std::size_t minute) {
    input.add(r.input);
    output.add(r.output);
    n += 1;
    input_sum += r.input;
    input_squares += r.input * r.input;
    output_sum += r.output;
    output_squares += r.output * r.output;
    cached_sum += r.cached;
    if (minutes.size() <= minute) minutes.resize(minute + 1);
    MinuteBucket& b = minutes[minute];
    b.requests += 1;
    b.input += r.input;
    b.output += r.output;
    arrivals.add(at_s);
    if (!r.model.empty()) {
      auto it = models.find(r.model);
      if (it == models.end()) it = models.emplace(std::string(r.model), 0.0).first;
      it->second += 1;
    }
    // Reservoir sampling (algorithm R): each request kept with probability kSampleSize / n.
    if (sample.size() < kSampleSize) {
      sample.push_back({r.input, r.output});
    } else {
      const auto j = static_cast<std::size_t>(sample_rng.uniform01() * n);
      if (j < kSampleSize) sample[j] = {r.input, r.output};
    }
  }
};

// Mid-ranks (ties share their mean rank).
std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> rank(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && values[order[j]] == values[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + j - 1) + 1.0;
    for (std::size_t k = i; k < j; ++k) rank[order[k]] = mid;
    i = j;
  }
  return rank;
}

double spearman(const std::vector<std::array<double, 2>>& pairs) {
  if (pairs.size() < 3) return 0.0;
  std::vector<double> a, b;
  for (const auto& p : pairs) {
    a.push_back(p[0]);
    b.push_back(p[1]);
  }
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(pairs.size()), mean = (n + 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

// The logs' span in whole minutes from the first: the first and last are covered only in part.
struct Timeline {
  std::int64_t first_minute = 0;  // minutes since 1970 (or the log's origin)
  std::size_t minutes = 0;
  double first_share = 1, last_share = 1;
  double covered(std::size_t m) const { return m == 0 ? first_share : m + 1 == minutes ? last_share : 1.0; }
};

double requests_in(const GroupSummary& g, std::size_t minute) {
  return minute < g.minutes.size() ? g.minutes[minute].requests : 0.0;
}

// Division rounded down, for minutes before 1970.
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : (a - b + 1) / b; }

// Time blocks of the bootstrap: requests, tokens and the seconds each covers.
struct Block {
  double requests = 0, input = 0, output = 0, seconds = 0;
};

// Calendar days when the logs span two days or more (so drift between days counts), else 20
// blocks of equal whole minutes.
std::vector<Block> blocks_of(const GroupSummary& g, const Timeline& t, std::string& described) {
  const bool days = static_cast<double>(t.minutes) * kMinuteS >= 2 * kDayS;
  const std::size_t width = days ? 1440 : std::max<std::size_t>(1, (t.minutes + 19) / 20);
  std::vector<Block> blocks((t.minutes + width - 1) / width);
  for (std::size_t m = 0; m < t.minutes; ++m) {
    Block& b = blocks[m / width];
    b.seconds += kMinuteS * t.covered(m);
    if (m < g.minutes.size()) {
      b.requests += g.minutes[m].requests;
      b.input += g.minutes[m].input;
      b.output += g.minutes[m].output;
    }
  }
  std::erase_if(blocks, [](const Block& b) { return !(b.seconds > 0); });
  // A last day under half a day long holds a few hours of the daily shape, whose rate is not a
  // day's: it joins the day before.
  if (days && blocks.size() >= 2 && blocks.back().seconds < 0.5 * kDayS) {
    const Block last = blocks.back();
    blocks.pop_back();
    blocks.back().requests += last.requests;
    blocks.back().input += last.input;
    blocks.back().output += last.output;
    blocks.back().seconds += last.seconds;
  }
  described = days ? fmt::format("{} days", blocks.size())
                   : fmt::format("{} blocks of {:g} s", blocks.size(), static_cast<double>(width) * kMinuteS);
  return blocks;
}

struct BootstrapSpread {
  double input_mean = 0, output_mean = 0, rate = 0;  // relative standard deviations
};

// The block bootstrap: resample the blocks with replacement, and take the spread of the ratios.
BootstrapSpread bootstrap(const std::vector<Block>& blocks, int resamples, Rng& rng) {
  BootstrapSpread out;
  if (blocks.size() < 2 || resamples < 2) return out;
  double point[3] = {0, 0, 0};
  {
    Block total;
    for (const Block& b : blocks) {
      total.requests += b.requests;
      total.input += b.input;
      total.output += b.output;
      total.seconds += b.seconds;
    }
    point[0] = total.input / total.requests;
    point[1] = total.output / total.requests;
    point[2] = total.requests / total.seconds;
  }
  double sum[3] = {0, 0, 0}, squares[3] = {0, 0, 0};
  for (int r = 0; r < resamples; ++r) {
    Block total;
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const Block& b = blocks[std::min(blocks.size() - 1, static_cast<std::size_t>(rng.uniform01() * static_cast<double>(blocks.size())))];
      total.requests += b.requests;
      total.input += b.input;
      total.output += b.output;
      total.seconds += b.seconds;
    }
    if (!(total.requests > 0)) continue;
    const double v[3] = {total.input / total.requests, total.output / total.requests, total.requests / total.seconds};
    for (int i = 0; i < 3; ++i) {
      sum[i] += v[i];
      squares[i] += v[i] * v[i];
    }
  }
  double sd[3];
  for (int i = 0; i < 3; ++i) {
    const double mean = sum[i] / resamples;
    sd[i] = std::sqrt(std::max(0.0, (squares[i] - resamples * mean * mean) / (resamples - 1)));
    sd[i] = point[i] > 0 ? sd[i] / point[i] : 0.0;
  }
  return {sd[0], sd[1], sd[2]};
}

FittedTokenLaw fitted_law(const fit::TokenHistogram& h, double sum, double squares, double n, double relative_sd) {
  const double mean = sum / n;
  const double variance = n > 1 ? std::max(0.0, (squares - n * mean * mean) / (n - 1)) : 0.0;
  const fit::TokenLawFit f = fit::fit_token_law(h, mean, variance, relative_sd);
  FittedTokenLaw out;
  out.n = f.n;
  out.mean = f.data.mean;
  out.p50 = f.data.p50;
  out.p95 = f.data.p95;
  out.p99 = f.data.p99;
  out.mean_relative_sd = relative_sd;
  for (const fit::LawCandidate& c : f.candidates) {
    out.candidates.push_back({c.name, c.parameters, c.ks, c.summary.mean, c.summary.p50, c.summary.p95, c.summary.p99});
  }
  out.chosen = f.chosen;
  out.law = f.law().law;
  return out;
}

std::string short_name(std::string_view model) {
  const std::size_t slash = model.rfind('/');
  std::string name(slash == std::string_view::npos ? model : model.substr(slash + 1));
  for (char& c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '-';
  }
  return name.empty() ? std::string("fitted") : name;
}

std::string law_line(const FittedTokenLaw& law, std::string_view what) {
  std::string out = fmt::format("# {}: data n = {}, mean {:.1f}, p50 {:g}, p95 {:g}, p99 {:g}\n", what, law.n,
                                law.mean, law.p50, law.p95, law.p99);
  std::string candidates;
  for (const FittedCandidate& c : law.candidates) {
    candidates += fmt::format("{}{} {:.4f} ({} parameters)", candidates.empty() ? "" : "; ", c.name, c.ks,
                              c.parameters);
  }
  out += fmt::format("#   KS distance of each candidate (rounded per request): {}\n", candidates);
  const FittedCandidate& c = law.candidates[law.chosen];
  out += fmt::format("#   chosen: {} (the fewest parameters with KS <= {:g}, else the histogram): mean {:.1f}, "
                     "p50 {:g}, p95 {:g}, p99 {:g}\n",
                     c.name, fit::kChosenMaxKs, c.mean, c.p50, c.p95, c.p99);
  out += fmt::format("#   its {} uncertain by {:.2f}% (block bootstrap)\n",
                     c.name == "histogram" || c.name == "lognormal_mixture" ? "scale" : "mean", 100 * law.mean_relative_sd);
  return out;
}

std::string workload_comment(const FittedWorkload& w, const FitOptions& options) {
  std::string out = fmt::format("# Workload '{}' ({}): {} requests over {:.0f} s of log.\n", w.name, w.model,
                                w.requests, w.span_s);
  out += fmt::format("# requests_per_month: {:.4g} requests/s x {:g} h, uncertain by {:.2f}% (block bootstrap over "
                     "{}, {} resamples).\n",
                     w.requests_per_month / (kHoursPerMonth * 3600), kHoursPerMonth,
                     w.requests_per_month > 0 ? 100 * w.requests_per_month_sd / w.requests_per_month : 0.0, w.blocks,
                     options.bootstrap_resamples);
  out += law_line(w.input, "input tokens");
  out += law_line(w.output, "output tokens");
  if (w.cached_input_share > 0) {
    out += fmt::format("# cached_input_share: {:.4f} of the prompt tokens the log reports cached.\n",
                       w.cached_input_share);
  }
  out += fmt::format("# input_output_correlation: Spearman rank correlation {:.3f} (a sample of up to 20,000 "
                     "requests, standard error about {:.3f}), drawn through a Gaussian copula.\n",
                     w.spearman, 1.06 / std::sqrt(static_cast<double>(std::min<std::uint64_t>(w.requests, 20000))));
  out += w.hourly_weights ? std::string("# hourly_weights: requests per hour of day (UTC) over the log.\n")
                          : std::string("# No daily shape fitted (under 2 days of log on a calendar clock): flat.\n");
  if (!w.weekend_factor) out += "# No weekend factor fitted (under 2 weeks of log).\n";
  if (!w.monthly_growth) out += "# No monthly growth fitted (under 2 months of log).\n";
  out += w.burstiness ? fmt::format("# burstiness: the hour-to-hour cv of the rate beyond Poisson, {:.3f}.\n",
                                    *w.burstiness)
                      : std::string("# No burstiness fitted (under 2 whole hours of log).\n");
  const ArrivalMeasurement& a = w.arrivals;
  std::string idc;
  for (std::size_t k = 0; k < a.windows_s.size(); ++k) {
    if (a.dispersion_index[k]) idc += fmt::format(" {:g} s: {:.3g};", a.windows_s[k], *a.dispersion_index[k]);
  }
  std::string verdict = "no burstier than Poisson: Poisson";
  if (a.onoff && a.onoff->mean_on_s <= kMaxOnPeriodS) {
    verdict = "fitted as the on/off process below (docs/capacity.md, \"Estimating the parameters\")";
  } else if (a.onoff) {
    verdict = fmt::format("an on/off fit has on periods of {:.0f} s, slower than the hour (the hourly model's "
                          "swings): Poisson within the hour",
                          a.onoff->mean_on_s);
  }
  out += fmt::format("# arrivals within the hour: interarrival scv {:.3g}, index of dispersion{} {}\n",
                     a.interarrival_scv, idc, verdict);
  return out;
}

// The daily shape, weekend factor, growth and hour-to-hour burstiness, each where the log is long
// enough, from one pass over the minutes (on the calendar clock, UTC).
void fit_traffic(const GroupSummary& g, const Timeline& t, bool has_clock, double span_s, FittedWorkload& w) {
  std::array<double, 24> hour_requests{}, hour_minutes{};
  std::array<double, 2> weekend_requests{}, weekend_minutes{};  // weekday, weekend
  std::map<std::int64_t, double> day_requests;
  std::map<std::int64_t, std::pair<double, double>> clock_hours;  // hour -> (requests, minutes covered)
  for (std::size_t m = 0; m < t.minutes; ++m) {
    const std::int64_t absolute = t.first_minute + static_cast<std::int64_t>(m);
    const std::int64_t clock_hour = floor_div(absolute, 60), day = floor_div(absolute, 1440);
    const auto hour = static_cast<std::size_t>(clock_hour - 24 * day);
    const bool weekend = ((day + 3) % 7 + 7) % 7 >= 5;  // 1970-01-01 was a Thursday: day 0 -> index 3
    const double requests = requests_in(g, m), share = t.covered(m);
    hour_requests[hour] += requests;
    hour_minutes[hour] += share;
    weekend_requests[weekend ? 1 : 0] += requests;
    weekend_minutes[weekend ? 1 : 0] += share;
    day_requests[day] += requests;
    auto& [in_hour, covered] = clock_hours[clock_hour];
    in_hour += requests;
    covered += share;
  }
  const double days = span_s / kDayS;
  if (has_clock && days >= 2) {
    std::array<double, 24> weights{};
    double mean = 0;
    for (std::size_t h = 0; h < 24; ++h) mean += (weights[h] = hour_minutes[h] > 0 ? hour_requests[h] / hour_minutes[h] : 0.0);
    mean /= 24;
    for (double& v : weights) v = std::round(v / mean * 1e4) / 1e4;
    w.hourly_weights = weights;
  }
  if (has_clock && days >= 14 && weekend_minutes[0] > 0 && weekend_minutes[1] > 0 && weekend_requests[0] > 0) {
    w.weekend_factor = (weekend_requests[1] / weekend_minutes[1]) / (weekend_requests[0] / weekend_minutes[0]);
  }
  if (days >= 60) {
    // Least squares of log daily requests on the day (whole days only), growth per month.
    double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;
    std::vector<std::pair<double, double>> points;
    const auto first_day = day_requests.begin()->first, last_day = day_requests.rbegin()->first;
    for (const auto& [day, requests] : day_requests) {
      if (day == first_day || day == last_day || !(requests > 0)) continue;
      const auto x = static_cast<double>(day - first_day), y = std::log(requests);
      points.emplace_back(x, y);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      k += 1;
    }
    if (k >= 30) {
      const double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
      const double intercept = (sy - slope * sx) / k;
      double residual = 0;
      for (const auto& [x, y] : points) residual += std::pow(y - intercept - slope * x, 2);
      const double se = std::sqrt(residual / (k - 2) / (sxx - sx * sx / k));
      w.monthly_growth = std::expm1(slope * kDaysPerMonth);
      w.monthly_growth_sd = (1 + *w.monthly_growth) * kDaysPerMonth * se;
    }
  }
  // Hour-to-hour: whole clock hours, their counts against the daily shape (or the mean rate);
  // the Poisson part of the variance (1 / expected) taken out.
  const double rate_per_hour = g.n / span_s * 3600;
  double sum = 0, squares = 0, poisson = 0, count = 0;
  for (const auto& [clock_hour, value] : clock_hours) {
    if (value.second < 60 - 1e-9) continue;  // a part hour
    const auto hod = static_cast<std::size_t>(clock_hour - 24 * floor_div(clock_hour, 24));
    const double expected = rate_per_hour * (w.hourly_weights ? (*w.hourly_weights)[hod] : 1.0);
    if (!(expected > 0)) continue;
    const double ratio = value.first / expected;
    sum += ratio;
    squares += ratio * ratio;
    poisson += 1 / expected;
    count += 1;
  }
  if (count >= 2) {
    const double mean = sum / count;
    const double variance = (squares - count * mean * mean) / (count - 1);
    w.burstiness = std::sqrt(std::max(0.0, variance - poisson / count));
  }
}

}  // namespace

FitResult fit_logs(const std::vector<std::string>& paths, const FitOptions& options, const Catalog& catalog) {
  if (paths.empty()) throw std::invalid_argument("fit_logs: no log");
  FitResult result;
  result.files = paths;
  std::map<std::string, std::size_t, std::less<>> group_of;
  std::vector<GroupSummary> groups;
  double first_s = std::numeric_limits<double>::quiet_NaN(), last_s = first_s;
  std::int64_t first_minute = 0;
  std::size_t latest_minute = 0;
  bool has_clock = true;
  RequestLogOptions log = options.log;
  log.require_time_order = true;
  for (const std::string& path : paths) {
    bool first_in_file = true;
    const RequestLogStats stats = for_each_logged_request(path, log, [&](const LoggedRequest& r) {
      const double at = r.time_s();
      if ((options.until_s && at >= *options.until_s) || (options.from_s && at < *options.from_s)) return;
      if (std::isnan(first_s)) {
        first_s = at;
        first_minute = static_cast<std::int64_t>(std::floor(at / kMinuteS));
      }
      if (first_in_file && at < last_s) {
        throw InputError({path, static_cast<int>(r.line), 0}, "",
                         "the log starts before the previous log ended: give the logs in time order");
      }
      first_in_file = false;
      if (at - first_s > kMaxSpanDays * kDayS) {
        throw InputError({path, static_cast<int>(r.line), 0}, "",
                         fmt::format("the logs span more than {:g} days (got {:.1f}): fit a part of them",
                                     kMaxSpanDays, (at - first_s) / kDayS));
      }
      last_s = at;
      const std::string_view key = options.group_by == FitGrouping::model ? r.model
                                   : options.group_by == FitGrouping::tag ? r.tag
                                                                          : std::string_view();
      auto found = group_of.find(key);
      const auto minute = static_cast<std::size_t>(static_cast<std::int64_t>(std::floor(at / kMinuteS)) - first_minute);
      const double groups_after = static_cast<double>(groups.size() + (found == group_of.end() ? 1 : 0));
      // Checked only where the buckets grow: a new workload, or a new latest minute.
      const bool grows = found == group_of.end() || minute > latest_minute;
      latest_minute = std::max(latest_minute, minute);
      if (grows && groups_after * static_cast<double>(minute + 1) * sizeof(MinuteBucket) > kMaxBucketBytes) {
        throw InputError({path, static_cast<int>(r.line), 0}, "",
                         fmt::format("{} workloads over {:.1f} days of log would take more than {:.0f} GiB of minute "
                                     "buckets: group more coarsely (--by) or fit a part of the log",
                                     groups_after, (at - first_s) / kDayS, kMaxBucketBytes / (1 << 30)));
      }
      if (found == group_of.end()) {
        found = group_of.emplace(std::string(key), groups.size()).first;
        groups.emplace_back(std::string(key), options.seed, groups.size());
        groups.back().first_file = path;
        groups.back().first_line = r.line;
      }
      groups[found->second].add(r, at, minute);
    });
    has_clock = has_clock && stats.has_clock;
    result.stats.push_back(stats);
  }

  const double span_s = last_s - first_s;
  if (!(span_s > 0)) {
    throw InputError({paths.front(), 0, 0}, "", "the log's requests all arrive at one instant: a fit needs a span of time");
  }
  Timeline timeline;
  timeline.first_minute = first_minute;
  timeline.minutes =
      static_cast<std::size_t>(static_cast<std::int64_t>(std::floor(last_s / kMinuteS)) - first_minute) + 1;
  timeline.first_share = 1.0 - (first_s / kMinuteS - std::floor(first_s / kMinuteS));
  timeline.last_share =
      timeline.minutes == 1 ? span_s / kMinuteS : last_s / kMinuteS - std::floor(last_s / kMinuteS);

  Scenario scenario;
  scenario.name = fmt::format("fitted from {}{}", paths.front(), paths.size() > 1 ? fmt::format(" and {} more", paths.size() - 1) : "");
  scenario.trials = 10000;
  std::vector<std::string> comments;
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    GroupSummary& g = groups[gi];
    FittedWorkload w;
    // The model: --model, else the one most of the workload's requests name.
    std::string model;
    if (options.model) {
      model = *options.model;
    } else if (!g.models.empty()) {
      model = std::max_element(g.models.begin(), g.models.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; })->first;
    }
    if (model.empty()) {
      throw InputError({g.first_file, 0, 0}, "", "the log names no model: give the catalog model with --model ID");
    }
    if (catalog.find_model(model) == nullptr) {
      std::vector<std::string> ids;
      for (const ModelSpec& m : catalog.models) ids.push_back(m.id);
      throw InputError({g.first_file, static_cast<int>(g.first_line), 0}, "",
                       fmt::format("model '{}' is not in the catalog (known ids: {}); map it with --model ID", model,
                                   fmt::join(ids, ", ")));
    }
    w.model = model;
    switch (options.group_by) {
      case FitGrouping::none: w.name = "fitted"; break;
      case FitGrouping::model: w.name = short_name(model); break;
      case FitGrouping::tag: w.name = g.key.empty() ? std::string("untagged") : short_name(g.key); break;
    }
    // Unique names: a suffix where two would meet.
    const std::string base = w.name;
    for (int k = 2; std::any_of(result.workloads.begin(), result.workloads.end(),
                                [&](const FittedWorkload& other) { return other.name == w.name; });
         ++k) {
      w.name = fmt::format("{}-{}", base, k);
    }
    w.requests = static_cast<std::uint64_t>(g.n);
    w.span_s = span_s;
    w.first_s = first_s;

    Rng rng = make_stream(options.seed, 0, StreamPurpose::log_fit, gi, 1);
    const std::vector<Block> blocks = blocks_of(g, timeline, w.blocks);
    w.block_count = static_cast<int>(blocks.size());
    const BootstrapSpread spread = bootstrap(blocks, options.bootstrap_resamples, rng);
    w.input = fitted_law(g.input, g.input_sum, g.input_squares, g.n, spread.input_mean);
    w.output = fitted_law(g.output, g.output_sum, g.output_squares, g.n, spread.output_mean);
    w.cached_input_share = g.input_sum > 0 ? g.cached_sum / g.input_sum : 0.0;
    w.requests_per_month = g.n / span_s * kHoursPerMonth * 3600;
    w.requests_per_month_sd = w.requests_per_month * spread.rate;
    w.requests_per_month_quantity = fit::uncertain_positive(w.requests_per_month, spread.rate);

    fit_traffic(g, timeline, has_clock, span_s, w);
    // A workload of one request, or of requests at one instant, has no gaps to measure.
    if (g.arrivals.count() >= 2 && g.arrivals.span_s() > 0) w.arrivals = g.arrivals.finish();
    w.spearman = spearman(g.sample);

    WorkloadSpec spec;
    spec.name = w.name;
    spec.model = w.model;
    if (options.group_by == FitGrouping::tag && !g.key.empty()) spec.tags[options.log.tag] = g.key;
    spec.requests_per_month = w.requests_per_month_quantity;
    spec.input_tokens = w.input.law;
    spec.output_tokens = w.output.law;
    spec.cached_input_share = Quantity(std::round(w.cached_input_share * 1e6) / 1e6);
    spec.input_output_correlation = std::clamp(std::round(w.spearman * 1000) / 1000, -1.0, 1.0);
    if (w.hourly_weights) spec.traffic.hourly_weights = w.hourly_weights;
    if (w.weekend_factor) spec.traffic.weekend_factor = Quantity(*w.weekend_factor);
    if (w.burstiness) spec.traffic.burstiness = Quantity(std::min(10.0, *w.burstiness));
    if (w.monthly_growth) {
      spec.traffic.monthly_growth = fit::uncertain_figure(*w.monthly_growth, *w.monthly_growth_sd, -0.99, 10.0);
    }
    // Swings slower than the hour are the hourly model's (daily shape, burstiness), not bursts
    // within the hour.
    if (w.arrivals.onoff && w.arrivals.onoff->mean_on_s <= kMaxOnPeriodS) spec.traffic.arrivals = *w.arrivals.onoff;
    scenario.workloads.push_back(spec);
    comments.push_back(workload_comment(w, options));
    result.workloads.push_back(std::move(w));
  }
  // Workloads on one model share one arrival process: the first's (the loader's rule).
  for (WorkloadSpec& s : scenario.workloads) s.traffic.arrivals = scenario.arrivals_of(s.model);

  std::string text = scenario_toml(scenario);
  // Each workload's comment before its table.
  std::size_t at = 0;
  for (const std::string& comment : comments) {
    at = text.find("\n[[workload]]", at);
    if (at == std::string::npos) break;
    text.insert(at + 1, "\n" + comment);
    at += comment.size() + 2 + 12;
  }
  std::string head = fmt::format("# Fitted by `tokencast fit` from {} ({}), {} requests", fmt::join(paths, ", "),
                                 to_string(result.stats.front().format), [&] {
                                   std::size_t n = 0;
                                   for (const RequestLogStats& s : result.stats) n += s.requests;
                                   return n;
                                 }());
  std::size_t bad = 0;
  for (const RequestLogStats& s : result.stats) bad += s.bad_lines;
  if (bad > 0) head += fmt::format(", {} bad lines skipped (the first: {})", bad, result.stats.front().first_bad_message);
  head += ".\n# Methods: docs/fitting.md. Edit freely: the figures below are what the log says, no more.\n";
  result.scenario_toml = head + text;
  // What fit writes, run accepts as it is.
  (void)load_scenario_text(result.scenario_toml, "<fitted scenario>", catalog);
  return result;
}

}  // namespace tokencast
