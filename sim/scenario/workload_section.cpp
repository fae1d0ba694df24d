#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "quantity_parser.hpp"
#include "sections.hpp"
#include "tokencast/limits.hpp"
#include "tokencast/traffic.hpp"

namespace tokencast::loader {
namespace {

constexpr std::string_view kWorkloadKeys[] = {"name",         "model",         "requests_per_month",
                                              "input_tokens", "output_tokens", "cached_input_share", "input_output_correlation", "images_per_request",
                                              "batchable",    "traffic",       "tags"};

constexpr std::string_view kTrafficKeys[] = {"daily_peak_to_mean", "peak_hour",  "hourly_weights",
                                             "weekend_factor",     "burstiness", "monthly_growth",
                                             "arrivals"};

const ValueRange kTokens = ValueRange::at_most_limit(0.0, false, limits::max_tokens_per_request);
const ValueRange kWeekendFactor = ValueRange::at_most_limit(0.0, false, limits::max_weekend_factor);
constexpr std::size_t kHoursPerDay = 24;

std::array<double, kHoursPerDay> read_hourly_weights(const TableReader& traffic,
                                                     const toml::node& node) {
  const std::string path = traffic.path_of("hourly_weights");
  const auto* array = node.as_array();
  if (array == nullptr) {
    fail_at(traffic.file(), node, path,
            fmt::format("got {}, expected an array of 24 numbers, one per hour", type_name(node)));
  }
  if (array->size() != kHoursPerDay) {
    fail_at(
        traffic.file(), node, path,
        fmt::format("got {} numbers, expected exactly 24, one per hour of the day", array->size()));
  }
  std::array<double, kHoursPerDay> weights{};
  for (std::size_t hour = 0; hour < kHoursPerDay; ++hour) {
    const toml::node& element = *array->get(hour);
    const std::string element_at = element_path(path, hour);
    weights[hour] = read_finite_number(traffic.file(), element, element_at, "a plain number");
    if (weights[hour] < 0.0) {
      fail_at(traffic.file(), element, element_at,
              fmt::format("must be >= 0 (got {})", format_number(weights[hour])));
    }
  }
  if (std::all_of(weights.begin(), weights.end(), [](double w) { return w == 0.0; })) {
    fail_at(traffic.file(), node, path, "all 24 weights are 0, expected at least one > 0");
  }
  return weights;
}

// The first month (0-based) none of whose hours has positive weight (counting weekday hours only
// when `weekdays_only`), if any: such a month would have no traffic to spread its requests over
// (a weekend_factor of 0 silences the weekend hours; a short month may fall on hours of weight 0).
std::optional<int> month_without_traffic(const TrafficSpec& spec, int months, int hours_per_month,
                                         bool weekdays_only) {
  for (int month = 0; month < months; ++month) {
    bool has_traffic = false;
    const long first = static_cast<long>(month) * hours_per_month;
    for (long hour = first; hour < first + hours_per_month && !has_traffic; ++hour) {
      const bool weighted =
          !spec.hourly_weights ||
          (*spec.hourly_weights)[static_cast<std::size_t>(hour_of_day(hour))] > 0.0;
      has_traffic = weighted && !(weekdays_only && is_weekend(hour));
    }
    if (!has_traffic) return month;
  }
  return std::nullopt;
}

// `arrivals = { model = "onoff", peak_ratio = 8, on_share = 0.1, mean_on_s = 60 }` and the like:
// how requests arrive within each hour (docs/capacity.md, "Bursts below the hour").
ArrivalProcess read_arrivals(const TableReader& arrivals) {
  ArrivalProcess a;
  const std::string model = arrivals.required_string("model");
  if (model == "poisson") {
    arrivals.reject_unknown_keys(std::array<std::string_view, 1>{"model"}, "poisson arrivals take no parameter");
  } else if (model == "renewal") {
    arrivals.reject_unknown_keys(std::array<std::string_view, 2>{"model", "scv"}, "renewal arrivals take scv");
    a.model = ArrivalModel::renewal;
    const auto scv = arrivals.plain_number("scv", ValueRange{0.0, 1e9, false, false});
    if (!scv) arrivals.fail_missing("scv", "the squared coefficient of variation of the interarrival times");
    a.scv = *scv;
  } else if (model == "onoff") {
    arrivals.reject_unknown_keys(std::array<std::string_view, 4>{"model", "peak_ratio", "on_share", "mean_on_s"},
                                 "on/off arrivals take peak_ratio, on_share and mean_on_s");
    a.model = ArrivalModel::onoff;
    const auto ratio = arrivals.plain_number("peak_ratio", ValueRange{1.0, 1e6, false, false});
    if (!ratio) arrivals.fail_missing("peak_ratio", "the rate while on over the hour's mean rate, >= 1");
    const auto share = arrivals.plain_number("on_share", ValueRange{0.0, 1.0, true, false});
    if (!share) arrivals.fail_missing("on_share", "the share of the time on, in (0, 1]");
    const auto on_s = arrivals.plain_number("mean_on_s", ValueRange{0.0, 86400.0, true, false});
    if (!on_s) arrivals.fail_missing("mean_on_s", "the mean length of an on period in seconds");
    if (*ratio * *share > 1.0 + 1e-12) {
      arrivals.fail_key("on_share",
                        fmt::format("the on periods alone would bring more than the mean rate (got on_share {} x "
                                    "peak_ratio {} = {}, expected at most 1)",
                                    format_number(*share), format_number(*ratio), format_number(*ratio * *share)));
    }
    a.peak_ratio = *ratio;
    a.on_share = *share;
    a.mean_on_s = *on_s;
  } else {
    arrivals.fail_key("model", fmt::format("got '{}', expected \"poisson\", \"renewal\" or \"onoff\"", model));
  }
  return a;
}

TrafficSpec read_traffic(const TableReader& traffic, int months, int hours_per_month) {
  traffic.reject_unknown_keys(kTrafficKeys);
  TrafficSpec spec;
  if (const toml::node* weights = traffic.find("hourly_weights")) {
    for (const std::string_view shape_key : {"daily_peak_to_mean", "peak_hour"}) {
      if (traffic.find(shape_key) != nullptr) {
        traffic.fail_key(shape_key,
                         "cannot be combined with hourly_weights, which give the whole "
                         "daily shape");
      }
    }
    spec.hourly_weights = read_hourly_weights(traffic, *weights);
    if (const auto month = month_without_traffic(spec, months, hours_per_month, false)) {
      traffic.fail_key("hourly_weights",
                       fmt::format("month {} (hours {}..{} of the day's shape, with hours_per_month {}) has no hour "
                                   "of positive weight, so no traffic to spread its requests over",
                                   *month + 1, *month * hours_per_month % 24,
                                   ((*month + 1) * hours_per_month - 1) % 24, hours_per_month));
    }
  }
  if (auto ratio =
          optional_quantity(traffic, "daily_peak_to_mean", ValueRange{1.0, 24.0, false, true})) {
    spec.daily_peak_to_mean = *ratio;
  }
  if (auto hour = optional_quantity(traffic, "peak_hour", ValueRange{0.0, 24.0, false, true})) {
    spec.peak_hour = *hour;
  }
  if (auto factor = optional_quantity(traffic, "weekend_factor", kWeekendFactor)) {
    spec.weekend_factor = *factor;
    if (factor->support().lo <= 0.0) {
      if (const auto month = month_without_traffic(spec, months, hours_per_month, true)) {
        traffic.fail_key(
            "weekend_factor",
            fmt::format("can be 0, which leaves month {} (hours {}..{}) without traffic: it "
                        "has no weekday hour{}; use a weekend_factor > 0",
                        *month + 1, *month * hours_per_month, (*month + 1) * hours_per_month - 1,
                        spec.hourly_weights ? " of positive hourly weight" : ""));
      }
    }
  }
  if (auto cv = optional_quantity(traffic, "burstiness", ValueRange{0.0, 10.0, false, false})) {
    spec.burstiness = *cv;
  }
  if (auto growth =
          optional_quantity(traffic, "monthly_growth", ValueRange{-1.0, 10.0, true, false})) {
    spec.monthly_growth = *growth;
  }
  if (const toml::table* arrivals = traffic.subtable("arrivals")) {
    spec.arrivals = read_arrivals(TableReader(traffic.file(), *arrivals, traffic.path_of("arrivals")));
  }
  return spec;
}

// Growth compounds over the horizon: the last month's volume must stay within the limit too.
void check_volume_over_horizon(const TableReader& traffic, const WorkloadSpec& spec, int months,
                               double requests_bulk) {
  const double growth = spec.traffic.monthly_growth.support().hi;
  if (!(growth > 0.0) || months <= 1) return;
  const double last = requests_bulk * std::pow(1.0 + growth, months - 1);
  if (last <= limits::max_requests_per_month) return;
  const int first_month =
      2 + static_cast<int>(std::floor(std::log(limits::max_requests_per_month / requests_bulk) /
                                      std::log1p(growth)));
  traffic.fail_key(
      "monthly_growth",
      fmt::format("volume passes the {} requests-per-month limit in month {} of {} (got growth up "
                  "to {} from requests_per_month up to {}: {} requests in month {}; expected "
                  "at most {} in every month: lower the growth, the volume or the horizon)",
                  format_number(limits::max_requests_per_month), std::min(first_month, months),
                  months, format_number(growth), format_number(requests_bulk),
                  fmt::format("{:.3g}", last), months, format_number(limits::max_requests_per_month)));
}

std::map<std::string, std::string> read_tags(const TableReader& tags) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : tags.table()) {
    const auto* text = value.as_string();
    if (text == nullptr) {
      fail_at(tags.file(), value, tags.path_of(key.str()),
              fmt::format("got {}, expected a string", type_name(value)));
    }
    out.emplace(std::string(key.str()), text->get());
  }
  return out;
}

WorkloadSpec read_workload(const TableReader& table, const ModelRegistry& models, int months,
                           int hours_per_month) {
  table.reject_unknown_keys(kWorkloadKeys);
  WorkloadSpec spec;
  spec.name = table.required_string("name");
  spec.model = table.required_string("model");
  models.require_known(table.file(), *table.find("model"), table.path_of("model"), spec.model);
  spec.requests_per_month = required_quantity(
      table, "requests_per_month", ValueRange::at_most_limit(0.0, true, limits::max_requests_per_month));
  spec.input_tokens = required_quantity(table, "input_tokens", kTokens);
  spec.output_tokens = required_quantity(table, "output_tokens", kTokens);
  if (auto share =
          optional_quantity(table, "cached_input_share", ValueRange{0.0, 1.0, false, false})) {
    spec.cached_input_share = *share;
  }
  spec.input_output_correlation =
      table.plain_number("input_output_correlation", ValueRange{-1.0, 1.0, false, false}).value_or(0.0);
  // Bounded (a count of images is small): the rounded count's moments are then exact sums.
  if (auto images = optional_quantity(table, "images_per_request", ValueRange{0.0, 1000.0, false, false})) {
    if (!models.spec(spec.model).tokens_per_image) {
      table.fail_key("images_per_request",
                     fmt::format("model '{}' has no tokens_per_image (its provider publishes none in the catalog); "
                                 "set tokens_per_image in a [[model]] table with id = \"{}\"",
                                 spec.model, spec.model));
    }
    spec.images_per_request = *images;
  }
  spec.batchable = table.boolean("batchable").value_or(false);
  if (const toml::table* traffic = table.subtable("traffic")) {
    const TableReader reader(table.file(), *traffic, table.path_of("traffic"));
    spec.traffic = read_traffic(reader, months, hours_per_month);
    check_volume_over_horizon(reader, spec, months, bulk_upper(spec.requests_per_month));
  }
  if (const toml::table* tags = table.subtable("tags")) {
    spec.tags = read_tags(TableReader(table.file(), *tags, table.path_of("tags")));
  }
  return spec;
}

bool same_arrivals(const ArrivalProcess& a, const ArrivalProcess& b) {
  return a.model == b.model && a.scv == b.scv && a.peak_ratio == b.peak_ratio && a.on_share == b.on_share &&
         a.mean_on_s == b.mean_on_s;
}

}  // namespace

std::vector<WorkloadSpec> read_workloads(const TableReader& root, const ModelRegistry& models,
                                         int months, int hours_per_month) {
  const std::vector<TableReader> tables = root.array_of_tables("workload");
  if (tables.empty()) {
    const toml::node* node = root.find("workload");
    const std::string why = "a scenario needs at least one [[workload]] table";
    if (node == nullptr) root.fail_missing("workload", why);
    fail_at(root.file(), *node, "workload", why);
  }
  std::vector<WorkloadSpec> workloads;
  for (const TableReader& table : tables) {
    WorkloadSpec spec = read_workload(table, models, months, hours_per_month);
    for (std::size_t earlier = 0; earlier < workloads.size(); ++earlier) {
      if (workloads[earlier].name == spec.name) {
        table.fail_key("name",
                       fmt::format("duplicate workload name '{}' (also used by workload[{}])",
                                   spec.name, earlier));
      }
    }
    // A model's pools see its workloads' requests together: one arrival process.
    for (std::size_t earlier = 0; earlier < workloads.size(); ++earlier) {
      const WorkloadSpec& other = workloads[earlier];
      if (other.model != spec.model || same_arrivals(other.traffic.arrivals, spec.traffic.arrivals)) continue;
      const std::string mine = spec.traffic.arrivals.describe(), theirs = other.traffic.arrivals.describe();
      const std::string message = fmt::format(
          "differs from workload[{}] '{}' on the same model (got {}, expected {}): a model's capacity pools see "
          "one arrival process, so its workloads must share traffic.arrivals",
          earlier, other.name, mine, theirs);
      const toml::table* traffic = table.subtable("traffic");
      if (traffic == nullptr) table.fail_key_name("model", message);
      TableReader(table.file(), *traffic, table.path_of("traffic")).fail_key("arrivals", message);
    }
    workloads.push_back(std::move(spec));
  }
  return workloads;
}

}  // namespace tokencast::loader
