#include "quantity_parser.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "name_matching.hpp"
#include "tokencast/limits.hpp"
#include "tokencast/scenario_loader.hpp"

namespace tokencast::loader {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::size_t kMaxEmpiricalValues = 100000;
// A normal's bulk reaches this many standard deviations from its mean.
constexpr double kNormalBulkSds = 3.0;
// z of the standard normal's 95th percentile: links a lognormal's p95 to its sigma.
constexpr double kZ95 = 1.6448536269514722;

// Distribution parameters that are shapes rather than values of the field.
const ValueRange kLognormalSigma{0.0, limits::max_lognormal_sigma, true, false};
const ValueRange kLognormalCv{0.0, limits::max_lognormal_cv, true, false};
const ValueRange kGammaShape{limits::min_gamma_shape, limits::max_gamma_shape, false, false};
const ValueRange kGammaCv{limits::min_gamma_cv, limits::max_gamma_cv, false, false};
const ValueRange kPertShape{0.0, limits::max_pert_shape, true, false};

struct KindInfo {
  DistKind kind;
  std::string_view name;
  std::array<std::string_view, 7> keys;  // "dist" and the parameters, unused entries empty
  std::string_view takes;                // for unknown-key messages
};

constexpr std::array<KindInfo, 10> kKinds{{
    {DistKind::fixed, "fixed", {"dist", "value"}, "a fixed takes value"},
    {DistKind::uniform, "uniform", {"dist", "min", "max"}, "a uniform takes min, max"},
    {DistKind::triangular,
     "triangular",
     {"dist", "min", "mode", "max"},
     "a triangular takes min, mode, max"},
    {DistKind::pert,
     "pert",
     {"dist", "min", "mode", "max", "shape"},
     "a pert takes min, mode, max, shape"},
    {DistKind::normal,
     "normal",
     {"dist", "mean", "sd", "min", "max"},
     "a normal takes mean, sd, min, max"},
    {DistKind::lognormal,
     "lognormal",
     {"dist", "mu", "median", "mean", "sigma", "cv", "p95"},
     "a lognormal takes mu, median, mean, sigma, cv, p95"},
    {DistKind::gamma,
     "gamma",
     {"dist", "shape", "scale", "mean", "cv"},
     "a gamma takes shape, scale, mean, cv"},
    {DistKind::empirical,
     "empirical",
     {"dist", "values", "weights", "scale"},
     "an empirical takes values, weights, scale"},
    {DistKind::histogram,
     "histogram",
     {"dist", "edges", "weights", "scale"},
     "a histogram takes edges, weights, scale"},
    {DistKind::lognormal_mixture,
     "lognormal_mixture",
     {"dist", "weights", "medians", "sigmas", "scale"},
     "a lognormal_mixture takes weights, medians, sigmas (one each per component), scale"},
}};

constexpr std::string_view kKindList =
    "fixed, uniform, triangular, pert, normal, lognormal, gamma, empirical, histogram, lognormal_mixture";
constexpr std::size_t kMaxMixtureComponents = 16;
// What an empirical's values or a histogram's edges are multiplied by (a fitted mean's uncertainty).
const ValueRange kScale = ValueRange::at_most_limit(0.0, true, 1e6);

std::vector<std::string_view> keys_of(const KindInfo& info) {
  std::vector<std::string_view> keys;
  for (const std::string_view key : info.keys) {
    if (!key.empty()) keys.push_back(key);
  }
  return keys;
}

// A lognormal never takes its lower bound 0; nor does a gamma of shape >= 1, whose samples cannot
// underflow to 0 (smaller shapes pile mass at 0 and do).
bool excludes_lower_bound(const Quantity& quantity) {
  const DistNode* node = quantity.node();
  if (node == nullptr) return false;
  if (node->kind == DistKind::lognormal || node->kind == DistKind::lognormal_mixture) return true;
  if (node->kind != DistKind::gamma) return false;
  if (node->param_set == ParamSet::mean_cv) return node->params[1].support().hi <= 1.0;
  return node->params[0].support().lo >= 1.0;
}

// Advice for a distribution whose support crosses a bound of the field.
std::string support_hint(const Quantity& quantity, bool low_side) {
  const DistNode* node = quantity.node();
  if (node == nullptr) return {};
  if (node->kind == DistKind::normal) {
    const Quantity& bound = node->params[low_side ? 2 : 3];
    if (bound.is_constant() && std::isinf(bound.constant())) {
      return low_side ? "; add min = ... to truncate it" : "; add max = ... to truncate it";
    }
  }
  if (!low_side && quantity.support().hi == kInf) {
    return "; use a bounded distribution such as pert, uniform or a normal with max = ...";
  }
  return {};
}

// A mixture's components' medians at their extremes (its bulk for the range checks).
double largest_median(const DistNode& node) {
  double mu = -kInf;
  for (std::size_t i = 0; i < node.values.size(); i += 2) mu = std::max(mu, node.values[i]);
  return std::exp(mu);
}
double smallest_median(const DistNode& node) {
  double mu = kInf;
  for (std::size_t i = 0; i < node.values.size(); i += 2) mu = std::min(mu, node.values[i]);
  return std::exp(mu);
}

}  // namespace

double bulk_upper(const Quantity& quantity) {
  const double hi = quantity.support().hi;
  const DistNode* node = quantity.node();
  if (hi < kInf || node == nullptr) return hi;
  const auto& p = node->params;
  switch (node->kind) {
    case DistKind::fixed:
      return bulk_upper(p[0]);
    case DistKind::uniform:
      return bulk_upper(p[1]);
    case DistKind::triangular:
    case DistKind::pert:
      return bulk_upper(p[2]);
    case DistKind::normal:
      return std::min(bulk_upper(p[0]) + kNormalBulkSds * bulk_upper(p[1]), bulk_upper(p[3]));
    case DistKind::lognormal:
      return node->param_set == ParamSet::mu_sigma ? std::exp(bulk_upper(p[0])) : bulk_upper(p[0]);
    case DistKind::gamma:
      return node->param_set == ParamSet::mean_cv ? bulk_upper(p[0])
                                                  : bulk_upper(p[0]) * bulk_upper(p[1]);
    case DistKind::lognormal_mixture:
      return largest_median(*node) * bulk_upper(p[0]);
    case DistKind::empirical:
    case DistKind::histogram:
      break;
  }
  return hi;
}

namespace {

// Where the bulk of a quantity lies at least: a constant itself, the lower end of a bounded
// distribution, a normal's mean less three standard deviations (or its min), a lognormal's median
// and a gamma's mean, with uncertain parameters at their lowest.
double bulk_lower(const Quantity& quantity) {
  const DistNode* node = quantity.node();
  if (node == nullptr) return quantity.support().lo;
  const auto& p = node->params;
  switch (node->kind) {
    case DistKind::fixed:
    case DistKind::uniform:
    case DistKind::triangular:
    case DistKind::pert:
      return bulk_lower(p[0]);
    case DistKind::normal:
      return std::max(bulk_lower(p[0]) - kNormalBulkSds * bulk_upper(p[1]), bulk_lower(p[2]));
    case DistKind::lognormal:
      return node->param_set == ParamSet::mu_sigma ? std::exp(bulk_lower(p[0])) : bulk_lower(p[0]);
    case DistKind::gamma:
      return node->param_set == ParamSet::mean_cv ? bulk_lower(p[0]) : bulk_lower(p[0]) * bulk_lower(p[1]);
    case DistKind::lognormal_mixture:
      return smallest_median(*node) * bulk_lower(p[0]);
    case DistKind::empirical:
    case DistKind::histogram:
      break;
  }
  return quantity.support().lo;
}

// What bulk_lower measured, for messages.
std::string_view bulk_lower_name(const Quantity& quantity) {
  const DistNode* node = quantity.node();
  if (node == nullptr) return "value";
  switch (node->kind) {
    case DistKind::normal:
      return "mean - 3 sd";
    case DistKind::lognormal:
      return node->param_set == ParamSet::mean_cv ? "mean" : "median";
    case DistKind::gamma:
      return "mean";
    case DistKind::lognormal_mixture:
      return "smallest median";
    default:
      return "lower end";
  }
}

// What bulk_upper measured, for messages.
std::string_view bulk_name(const Quantity& quantity) {
  const DistNode* node = quantity.node();
  if (node == nullptr) return "value";
  switch (node->kind) {
    case DistKind::normal:
      return "mean + 3 sd";
    case DistKind::lognormal:
      return node->param_set == ParamSet::mean_cv ? "mean" : "median";
    case DistKind::gamma:
      return "mean";
    case DistKind::lognormal_mixture:
      return "largest median";
    default:
      return "upper bound";
  }
}

// Every value of `low` lies at or below every value of `high`, and they are not one constant.
bool ordered(const Quantity& low, const Quantity& high) {
  if (low.support().hi > high.support().lo) return false;
  return !(low.is_certain() && high.is_certain() && low.constant() == high.constant());
}

class DistributionReader {
 public:
  DistributionReader(std::string_view file, const toml::table& table, const std::string& path,
                     int depth)
      : table_(file, table, path), depth_(depth) {}

  Quantity read() {
    const KindInfo& info = kind();
    const std::vector<std::string_view> keys = keys_of(info);
    table_.reject_unknown_keys(keys, info.takes);
    auto node = std::make_shared<DistNode>();
    node->kind = info.kind;
    switch (info.kind) {
      case DistKind::fixed:
        node->params[0] = required("value", ValueRange::any(), info);
        break;
      case DistKind::uniform:
        read_uniform(*node, info);
        break;
      case DistKind::triangular:
      case DistKind::pert:
        read_triangular(*node, info);
        break;
      case DistKind::normal:
        read_normal(*node, info);
        break;
      case DistKind::lognormal:
        read_lognormal(*node);
        break;
      case DistKind::gamma:
        read_gamma(*node);
        break;
      case DistKind::empirical:
        read_empirical(*node);
        break;
      case DistKind::histogram:
        read_histogram(*node);
        break;
      case DistKind::lognormal_mixture:
        read_lognormal_mixture(*node);
        break;
    }
    return Quantity(std::shared_ptr<const DistNode>(std::move(node)));
  }

 private:
  const KindInfo& kind() const {
    const toml::node* dist = table_.find("dist");
    if (dist == nullptr) {
      table_.fail_missing("dist",
                          fmt::format("a distribution table needs dist = one of {}", kKindList));
    }
    const auto* name = dist->as_string();
    if (name == nullptr) {
      fail_at(table_.file(), *dist, table_.path_of("dist"),
              fmt::format("got {}, expected a distribution name (one of {})", type_name(*dist),
                          kKindList));
    }
    for (const KindInfo& info : kKinds) {
      if (info.name == name->get()) return info;
    }
    std::array<std::string_view, kKinds.size()> names{};
    std::transform(kKinds.begin(), kKinds.end(), names.begin(),
                   [](const KindInfo& info) { return info.name; });
    std::string message = fmt::format("unknown distribution '{}' (", name->get());
    if (const auto suggestion = closest_key(name->get(), names)) {
      message += fmt::format("did you mean '{}'? ", *suggestion);
    }
    message += fmt::format("expected one of {})", kKindList);
    fail_at(table_.file(), *dist, table_.path_of("dist"), std::move(message));
  }

  std::optional<Quantity> optional(std::string_view key, const ValueRange& range) const {
    const toml::node* node = table_.find(key);
    if (node == nullptr) return std::nullopt;
    const std::string path = table_.path_of(key);
    if (node->is_table()) {
      if (depth_ + 1 > max_distribution_depth) {
        fail_at(table_.file(), *node, path,
                fmt::format("distribution nested deeper than {} levels", max_distribution_depth));
      }
      Quantity quantity =
          DistributionReader(table_.file(), *node->as_table(), path, depth_ + 1).read();
      check_support(table_.file(), *node, path, quantity, range);
      return quantity;
    }
    return read_quantity(table_.file(), *node, path, range);
  }

  Quantity required(std::string_view key, const ValueRange& range, const KindInfo& info) const {
    auto quantity = optional(key, range);
    if (!quantity) table_.fail_missing(key, info.takes);
    return *quantity;
  }

  void read_uniform(DistNode& node, const KindInfo& info) const {
    node.params[0] = required("min", ValueRange::any(), info);
    node.params[1] = required("max", ValueRange::any(), info);
    if (!ordered(node.params[0], node.params[1])) {
      table_.fail_here(fmt::format("uniform needs min < max (got min={}, max={})",
                                   node.params[0].describe(), node.params[1].describe()));
    }
  }

  void read_triangular(DistNode& node, const KindInfo& info) const {
    node.params[0] = required("min", ValueRange::any(), info);
    node.params[1] = required("mode", ValueRange::any(), info);
    node.params[2] = required("max", ValueRange::any(), info);
    if (node.kind == DistKind::pert) {
      node.params[3] = optional("shape", kPertShape).value_or(Quantity(4.0));
    }
    const Quantity& min = node.params[0];
    const Quantity& mode = node.params[1];
    const Quantity& max = node.params[2];
    if (min.support().hi > mode.support().lo || mode.support().hi > max.support().lo ||
        !ordered(min, max)) {
      table_.fail_here(
          fmt::format("{} needs min <= mode <= max with min < max (got min={}, mode={}, max={})",
                      to_string(node.kind), min.describe(), mode.describe(), max.describe()));
    }
  }

  void read_normal(DistNode& node, const KindInfo& info) const {
    node.params[0] = required("mean", ValueRange::any(), info);
    node.params[1] = required("sd", ValueRange::non_negative(), info);
    const auto min = optional("min", ValueRange::any());
    const auto max = optional("max", ValueRange::any());
    node.params[2] = min.value_or(Quantity(-kInf));
    node.params[3] = max.value_or(Quantity(kInf));
    if (min && max && !ordered(*min, *max)) {
      table_.fail_here(fmt::format("normal needs min < max (got min={}, max={})", min->describe(),
                                   max->describe()));
    }
  }

  // The keys among `candidates` that the table has, in the order of `candidates`.
  template <std::size_t N>
  std::vector<std::string_view> present(const std::array<std::string_view, N>& candidates) const {
    std::vector<std::string_view> found;
    for (const std::string_view key : candidates) {
      if (table_.find(key) != nullptr) found.push_back(key);
    }
    return found;
  }

  static std::string join(const std::vector<std::string_view>& keys) {
    if (keys.empty()) return "no parameters";
    return fmt::format("{}", fmt::join(keys, ", "));
  }

  void read_lognormal(DistNode& node) const {
    constexpr std::array<std::string_view, 6> kParams{"mu", "median", "mean", "sigma", "cv", "p95"};
    const auto keys = present(kParams);
    using Set = std::pair<ParamSet, std::array<std::string_view, 2>>;
    constexpr std::array<Set, 4> kSets{{{ParamSet::mu_sigma, {"mu", "sigma"}},
                                        {ParamSet::median_sigma, {"median", "sigma"}},
                                        {ParamSet::mean_cv, {"mean", "cv"}},
                                        {ParamSet::median_p95, {"median", "p95"}}}};
    const Set* chosen = match(kSets, keys);
    if (chosen == nullptr) {
      table_.fail_here(fmt::format(
          "lognormal takes exactly one of mu+sigma, median+sigma, mean+cv, median+p95 (got {})",
          join(keys)));
    }
    node.param_set = chosen->first;
    const ValueRange first_range =
        chosen->first == ParamSet::mu_sigma ? ValueRange::any() : ValueRange::positive();
    const ValueRange second_range = chosen->first == ParamSet::mean_cv       ? kLognormalCv
                                    : chosen->first == ParamSet::median_p95 ? ValueRange::positive()
                                                                             : kLognormalSigma;
    node.params[0] = *optional(chosen->second[0], first_range);
    node.params[1] = *optional(chosen->second[1], second_range);
    if (node.param_set == ParamSet::median_p95) {
      const Quantity& median = node.params[0];
      const Quantity& p95 = node.params[1];
      if (!(p95.support().lo > median.support().hi)) {
        table_.fail_here(fmt::format("lognormal needs p95 > median (got median={}, p95={})",
                                     median.describe(), p95.describe()));
      }
      // The widest lognormal these can give: the highest p95 over the lowest median.
      const double sigma = (std::log(p95.support().hi) - std::log(median.support().lo)) / kZ95;
      if (!(sigma <= limits::max_lognormal_sigma)) {
        table_.fail_here(fmt::format(
            "lognormal p95 / median reaches {}, a sigma of {} (got median={}, p95={}, expected a "
            "p95 at most {} x the median, sigma <= {})",
            format_number(p95.support().hi / median.support().lo), format_number(sigma),
            median.describe(), p95.describe(),
            format_number(std::floor(std::exp(limits::max_lognormal_sigma * kZ95))),
            format_number(limits::max_lognormal_sigma)));
      }
    }
  }

  void read_gamma(DistNode& node) const {
    constexpr std::array<std::string_view, 4> kParams{"shape", "scale", "mean", "cv"};
    const auto keys = present(kParams);
    using Set = std::pair<ParamSet, std::array<std::string_view, 2>>;
    constexpr std::array<Set, 2> kSets{
        {{ParamSet::shape_scale, {"shape", "scale"}}, {ParamSet::mean_cv, {"mean", "cv"}}}};
    const Set* chosen = match(kSets, keys);
    if (chosen == nullptr) {
      table_.fail_here(
          fmt::format("gamma takes exactly one of shape+scale, mean+cv (got {})", join(keys)));
    }
    node.param_set = chosen->first;
    const bool shape_scale = chosen->first == ParamSet::shape_scale;
    node.params[0] = *optional(chosen->second[0], shape_scale ? kGammaShape : ValueRange::positive());
    node.params[1] = *optional(chosen->second[1], shape_scale ? ValueRange::positive() : kGammaCv);
  }

  template <std::size_t N>
  static const std::pair<ParamSet, std::array<std::string_view, 2>>* match(
      const std::array<std::pair<ParamSet, std::array<std::string_view, 2>>, N>& sets,
      const std::vector<std::string_view>& keys) {
    for (const auto& set : sets) {
      if (keys.size() != 2) continue;
      const auto& wanted = set.second;
      const bool same = (keys[0] == wanted[0] && keys[1] == wanted[1]) ||
                        (keys[0] == wanted[1] && keys[1] == wanted[0]);
      if (same) return &set;
    }
    return nullptr;
  }

  // A non-empty array of plain finite numbers.
  std::vector<double> plain_array(std::string_view key, const toml::node& node) const {
    const std::string path = table_.path_of(key);
    const auto* array = node.as_array();
    if (array == nullptr) {
      fail_at(table_.file(), node, path,
              fmt::format("got {}, expected an array of numbers", type_name(node)));
    }
    if (array->empty()) fail_at(table_.file(), node, path, "must not be empty");
    if (array->size() > kMaxEmpiricalValues) {
      fail_at(table_.file(), node, path,
              fmt::format("too many entries (got {}, expected at most {})", array->size(),
                          kMaxEmpiricalValues));
    }
    std::vector<double> numbers;
    numbers.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string element_at = element_path(path, i);
      const double value =
          read_finite_number(table_.file(), element, element_at, "a plain number");
      // Weights are normalised by the largest, so only values need the magnitude limit.
      if (key == "values" || key == "edges") check_support(table_.file(), element, element_at, Quantity(value), ValueRange::any());
      numbers.push_back(value);
    }
    return numbers;
  }

  void read_empirical(DistNode& node) const {
    const toml::node* values_node = table_.find("values");
    if (values_node == nullptr) table_.fail_missing("values", "an empirical takes values, weights");
    const std::vector<double> values = plain_array("values", *values_node);
    std::vector<double> weights(values.size(), 1.0);
    if (const toml::node* weights_node = table_.find("weights")) {
      weights = plain_array("weights", *weights_node);
      if (weights.size() != values.size()) {
        fail_at(table_.file(), *weights_node, table_.path_of("weights"),
                fmt::format("got {} weights for {} values, expected one weight per value",
                            weights.size(), values.size()));
      }
      check_weights(*weights_node, weights);
    }
    fill_empirical(node, values, weights);
    node.params[0] = optional("scale", kScale).value_or(Quantity(1.0));
  }

  // Edges increasing, one weight >= 0 per bin (not all 0), normalised to cumulative weights.
  void read_histogram(DistNode& node) const {
    const toml::node* edges_node = table_.find("edges");
    if (edges_node == nullptr) table_.fail_missing("edges", "a histogram takes edges, weights, scale");
    const std::vector<double> edges = plain_array("edges", *edges_node);
    const std::string edges_path = table_.path_of("edges");
    if (edges.size() < 2) {
      fail_at(table_.file(), *edges_node, edges_path,
              fmt::format("got {} edge, expected at least 2 (one bin)", edges.size()));
    }
    for (std::size_t i = 1; i < edges.size(); ++i) {
      if (!(edges[i] > edges[i - 1])) {
        fail_at(table_.file(), *edges_node->as_array()->get(i), element_path(edges_path, i),
                fmt::format("edges must increase (got {} after {})", format_number(edges[i]),
                            format_number(edges[i - 1])));
      }
    }
    const toml::node* weights_node = table_.find("weights");
    if (weights_node == nullptr) table_.fail_missing("weights", "a histogram takes edges, weights (one per bin), scale");
    const std::vector<double> weights = plain_array("weights", *weights_node);
    if (weights.size() + 1 != edges.size()) {
      fail_at(table_.file(), *weights_node, table_.path_of("weights"),
              fmt::format("got {} weights for {} bins, expected one weight per bin (edges - 1)", weights.size(),
                          edges.size() - 1));
    }
    check_weights(*weights_node, weights);
    node = *histogram_distribution(edges, weights, optional("scale", kScale).value_or(Quantity(1.0))).node();
  }

  // One weight, median and sigma per component, at most kMaxMixtureComponents.
  void read_lognormal_mixture(DistNode& node) const {
    constexpr std::string_view takes = "a lognormal_mixture takes weights, medians, sigmas (one each per component), scale";
    auto array_of = [&](std::string_view key) {
      const toml::node* found = table_.find(key);
      if (found == nullptr) table_.fail_missing(key, takes);
      return std::pair{found, plain_array(key, *found)};
    };
    const auto [weights_node, weights] = array_of("weights");
    if (weights.size() > kMaxMixtureComponents) {
      fail_at(table_.file(), *weights_node, table_.path_of("weights"),
              fmt::format("too many components (got {}, expected at most {})", weights.size(), kMaxMixtureComponents));
    }
    check_weights(*weights_node, weights);
    const auto [medians_node, medians] = array_of("medians");
    const auto [sigmas_node, sigmas] = array_of("sigmas");
    for (const auto& [key, array_node, values] : {std::tuple{"medians", medians_node, &medians},
                                                  std::tuple{"sigmas", sigmas_node, &sigmas}}) {
      const std::string path = table_.path_of(key);
      if (values->size() != weights.size()) {
        fail_at(table_.file(), *array_node, path,
                fmt::format("got {} {} for {} weights, expected one per component", values->size(), key,
                            weights.size()));
      }
      const ValueRange range = std::string_view(key) == "sigmas" ? kLognormalSigma : ValueRange::positive();
      for (std::size_t i = 0; i < values->size(); ++i) {
        check_support(table_.file(), *array_node->as_array()->get(i), element_path(path, i), Quantity((*values)[i]),
                      range);
      }
    }
    node = *lognormal_mixture_distribution(weights, medians, sigmas, optional("scale", kScale).value_or(Quantity(1.0)))
                .node();
  }

  // Each weight >= 0, and not all 0.
  void check_weights(const toml::node& weights_node, const std::vector<double>& weights) const {
    const std::string path = table_.path_of("weights");
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] < 0.0) {
        fail_at(table_.file(), *weights_node.as_array()->get(i), element_path(path, i),
                fmt::format("must be >= 0 (got {})", format_number(weights[i])));
      }
    }
    if (std::all_of(weights.begin(), weights.end(), [](double w) { return w == 0.0; })) {
      fail_at(table_.file(), weights_node, path, "all weights are 0, expected at least one > 0");
    }
  }

  // Sorted values (so quantiles are meaningful) with cumulative weights ending at exactly 1;
  // values of weight 0 cannot be drawn and are left out so the support is exact.
  static void fill_empirical(DistNode& node, const std::vector<double>& values,
                             const std::vector<double>& weights) {
    const double largest = *std::max_element(weights.begin(), weights.end());
    std::vector<std::pair<double, double>> entries;
    for (std::size_t i = 0; i < values.size(); ++i) {
      // Scaling by the largest weight keeps the running sum finite.
      if (weights[i] > 0.0) entries.emplace_back(values[i], weights[i] / largest);
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    double total = 0.0;
    for (const auto& entry : entries) total += entry.second;
    double running = 0.0;
    for (const auto& [value, weight] : entries) {
      running += weight;
      node.values.push_back(value);
      node.cumulative_weights.push_back(std::min(running / total, 1.0));
    }
    node.cumulative_weights.back() = 1.0;
  }

  TableReader table_;
  int depth_;
};

}  // namespace

void check_support(std::string_view file, const toml::node& node, const std::string& path,
                   const Quantity& quantity, const ValueRange& range) {
  const Interval support = quantity.support();
  const bool low_ok = range.lo_open ? support.lo > range.lo ||
                                          (support.lo == range.lo && excludes_lower_bound(quantity))
                                    : support.lo >= range.lo;
  bool high_ok = range.hi_open ? support.hi < range.hi : support.hi <= range.hi;
  // A sanity limit is there to catch values written out of scale, so an unbounded tail passes (no
  // lognormal could otherwise) as long as the distribution's median or mean is within the limit.
  const bool tail_only = !high_ok && range.hi_is_limit && support.hi == kInf;
  if (tail_only) high_ok = bulk_upper(quantity) <= range.hi;
  auto bulk_text = [&](bool lower) {
    if (quantity.is_certain()) return format_number(quantity.constant());
    return fmt::format("a {} whose {} reaches {}", quantity.describe(),
                       lower ? bulk_lower_name(quantity) : bulk_name(quantity),
                       format_number(lower ? bulk_lower(quantity) : bulk_upper(quantity)));
  };
  if (!low_ok || !high_ok) {
    std::string got;
    if (quantity.is_certain()) {
      got = format_number(quantity.constant());
    } else if (low_ok && tail_only) {
      got = bulk_text(false);
    } else {
      got = fmt::format("a {} whose support reaches {}{}", quantity.describe(),
                        format_number(low_ok ? support.hi : support.lo),
                        support_hint(quantity, !low_ok));
    }
    if (range.has_lo() && (!range.has_hi() || (range.hi_is_limit && !low_ok))) {
      fail_at(file, node, path,
              fmt::format("must be {} {} (got {})",
                          range.lo_open ? ">" : ">=", format_number(range.lo), got));
    }
    fail_at(file, node, path,
            fmt::format("out of range (got {}, expected {})", got, range.describe()));
  }
  if (!(bulk_lower(quantity) >= range.lo_limit)) {
    fail_at(file, node, path,
            fmt::format("must be >= {} (got {})", format_number(range.lo_limit), bulk_text(true)));
  }
  // Every number, whatever its field, 0 or within the magnitudes that keep products and variances
  // finite and nonzero (tokencast/limits.hpp).
  auto representable = [](double x) {
    const double magnitude = std::abs(x);
    return magnitude == 0.0 || (magnitude >= limits::min_magnitude && magnitude <= limits::max_magnitude);
  };
  const bool upper_ok = representable(bulk_upper(quantity));
  if (!upper_ok || !representable(bulk_lower(quantity))) {
    fail_at(file, node, path,
            fmt::format("out of range (got {}, expected 0 or a magnitude in [{}, {}])", bulk_text(upper_ok),
                        format_number(limits::min_magnitude), format_number(limits::max_magnitude)));
  }
}

Quantity read_quantity(std::string_view file, const toml::node& node, const std::string& path,
                       const ValueRange& range) {
  if (const auto* table = node.as_table()) {
    Quantity quantity = DistributionReader(file, *table, path, 1).read();
    check_support(file, node, path, quantity, range);
    return quantity;
  }
  const double value = read_finite_number(file, node, path, "a number or a distribution table");
  check_support(file, node, path, Quantity(value), range);
  return Quantity(value);
}

std::optional<Quantity> optional_quantity(const TableReader& table, std::string_view key,
                                          const ValueRange& range) {
  const toml::node* node = table.find(key);
  if (node == nullptr) return std::nullopt;
  return read_quantity(table.file(), *node, table.path_of(key), range);
}

Quantity required_quantity(const TableReader& table, std::string_view key,
                           const ValueRange& range) {
  auto quantity = optional_quantity(table, key, range);
  if (!quantity) table.fail_missing(key);
  return *quantity;
}

}  // namespace tokencast::loader
