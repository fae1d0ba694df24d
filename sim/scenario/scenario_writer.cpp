// A scenario written as TOML: to save one built in code, and to run it through the loader's checks
// (validate_scenario), so that every rule stays written once, in the loader.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "tokencast/scenario_loader.hpp"
#include "toml_reader.hpp"

namespace tokencast {
namespace {

using loader::format_number;

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04X}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string quantity_toml(const Quantity& q);

// The parameter keys of a distribution as the loader reads them (quantity_parser.cpp), by kind
// and parameter set; empty when the set does not apply to the kind.
std::array<std::string_view, 4> parameter_keys(DistKind kind, ParamSet set) {
  switch (kind) {
    case DistKind::fixed: return {"value"};
    case DistKind::uniform: return {"min", "max"};
    case DistKind::triangular: return {"min", "mode", "max"};
    case DistKind::pert: return {"min", "mode", "max", "shape"};
    case DistKind::normal: return {"mean", "sd", "min", "max"};
    case DistKind::lognormal:
      switch (set) {
        case ParamSet::mu_sigma: return {"mu", "sigma"};
        case ParamSet::median_sigma: return {"median", "sigma"};
        case ParamSet::mean_cv: return {"mean", "cv"};
        case ParamSet::median_p95: return {"median", "p95"};
        default: return {};
      }
    case DistKind::gamma:
      switch (set) {
        case ParamSet::shape_scale: return {"shape", "scale"};
        case ParamSet::mean_cv: return {"mean", "cv"};
        default: return {};
      }
    case DistKind::empirical:
    case DistKind::histogram:
    case DistKind::lognormal_mixture: return {};
  }
  return {};
}

std::string numbers_toml(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format_number(values[i]);
  return out + "]";
}

std::string distribution_toml(const DistNode& node) {
  std::string out = fmt::format("{{ dist = {}", toml_string(to_string(node.kind)));
  if (node.kind == DistKind::empirical || node.kind == DistKind::histogram) {
    std::vector<double> weights;
    double before = 0;
    for (const double cumulative : node.cumulative_weights) {
      weights.push_back(cumulative - before);
      before = cumulative;
    }
    out += (node.kind == DistKind::histogram ? ", edges = " : ", values = ") + numbers_toml(node.values);
    if (!weights.empty()) out += ", weights = " + numbers_toml(weights);
    const Quantity& scale = node.params[0];
    if (!(scale.is_constant() && scale.constant() == 1.0)) out += ", scale = " + quantity_toml(scale);
    return out + " }";
  }
  if (node.kind == DistKind::lognormal_mixture) {
    std::vector<double> weights, medians, sigmas;
    double before = 0;
    for (std::size_t i = 0; i < node.cumulative_weights.size(); ++i) {
      weights.push_back(node.cumulative_weights[i] - before);
      before = node.cumulative_weights[i];
      medians.push_back(std::exp(node.values[2 * i]));
      sigmas.push_back(node.values[2 * i + 1]);
    }
    out += ", weights = " + numbers_toml(weights) + ", medians = " + numbers_toml(medians) +
           ", sigmas = " + numbers_toml(sigmas);
    const Quantity& scale = node.params[0];
    if (!(scale.is_constant() && scale.constant() == 1.0)) out += ", scale = " + quantity_toml(scale);
    return out + " }";
  }
  const auto keys = parameter_keys(node.kind, node.param_set);
  for (std::size_t i = 0; i < keys.size() && !keys[i].empty(); ++i) {
    const Quantity& p = node.params[i];
    // A normal's absent bounds are infinite.
    if (node.kind == DistKind::normal && i >= 2 && p.is_constant() && std::isinf(p.constant())) continue;
    out += fmt::format(", {} = {}", keys[i], quantity_toml(p));
  }
  return out + " }";
}

std::string quantity_toml(const Quantity& q) {
  if (q.node() == nullptr) return format_number(q.constant());
  return distribution_toml(*q.node());
}

class Writer {
 public:
  void line(std::string_view key, const std::string& value) { text_ += fmt::format("{} = {}\n", key, value); }
  void number(std::string_view key, double value) { line(key, format_number(value)); }
  void integer(std::string_view key, std::int64_t value) { line(key, std::to_string(value)); }
  void quantity(std::string_view key, const Quantity& q) { line(key, quantity_toml(q)); }
  void string(std::string_view key, std::string_view value) { line(key, toml_string(value)); }
  void header(std::string_view text) { text_ += fmt::format("\n{}\n", text); }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

void write_model(Writer& w, const ModelSpec& m) {
  w.header("[[model]]");
  w.string("id", m.id);
  w.quantity("input_usd_per_mtok", m.input_usd_per_mtok);
  w.quantity("output_usd_per_mtok", m.output_usd_per_mtok);
  if (m.cached_input_usd_per_mtok) w.quantity("cached_input_usd_per_mtok", *m.cached_input_usd_per_mtok);
  if (m.batch_discount) w.quantity("batch_discount", *m.batch_discount);
  w.integer("context_tokens", m.context_tokens);
  if (m.tokens_per_image) w.number("tokens_per_image", *m.tokens_per_image);
}

void write_workload(Writer& w, const WorkloadSpec& s) {
  w.header("[[workload]]");
  w.string("name", s.name);
  w.string("model", s.model);
  w.quantity("requests_per_month", s.requests_per_month);
  w.quantity("input_tokens", s.input_tokens);
  w.quantity("output_tokens", s.output_tokens);
  w.quantity("cached_input_share", s.cached_input_share);
  if (s.input_output_correlation != 0) w.number("input_output_correlation", s.input_output_correlation);
  if (s.images_per_request) w.quantity("images_per_request", *s.images_per_request);
  w.line("batchable", s.batchable ? "true" : "false");
  std::string traffic = "{ ";
  auto add = [&](std::string_view key, const std::string& value) {
    traffic += fmt::format("{}{} = {}", traffic.size() > 2 ? ", " : "", key, value);
  };
  if (s.traffic.hourly_weights) {
    add("hourly_weights", numbers_toml({s.traffic.hourly_weights->begin(), s.traffic.hourly_weights->end()}));
  } else {
    add("daily_peak_to_mean", quantity_toml(s.traffic.daily_peak_to_mean));
    add("peak_hour", quantity_toml(s.traffic.peak_hour));
  }
  add("weekend_factor", quantity_toml(s.traffic.weekend_factor));
  add("burstiness", quantity_toml(s.traffic.burstiness));
  add("monthly_growth", quantity_toml(s.traffic.monthly_growth));
  const ArrivalProcess& a = s.traffic.arrivals;
  switch (a.model) {
    case ArrivalModel::poisson:
      break;
    case ArrivalModel::renewal:
      add("arrivals", fmt::format("{{ model = \"renewal\", scv = {} }}", format_number(a.scv)));
      break;
    case ArrivalModel::onoff:
      add("arrivals", fmt::format("{{ model = \"onoff\", peak_ratio = {}, on_share = {}, mean_on_s = {} }}",
                                  format_number(a.peak_ratio), format_number(a.on_share), format_number(a.mean_on_s)));
      break;
  }
  w.line("traffic", traffic + " }");
  if (!s.tags.empty()) {
    std::string tags = "{ ";
    for (const auto& [key, value] : s.tags) {
      tags += fmt::format("{}{} = {}", tags.size() > 2 ? ", " : "", toml_string(key), toml_string(value));
    }
    w.line("tags", tags + " }");
  }
}

void write_option(Writer& w, const CapacitySpec& c) {
  w.header(c.kind == CapacityKind::dedicated ? "[[dedicated]]" : "[[gpu_cluster]]");
  w.string("name", c.name);
  w.string("model", c.model);
  w.quantity("usd_per_gpu_hour", c.usd_per_gpu_hour);
  w.integer("gpus_per_replica", c.gpus_per_replica);
  w.quantity("prefill_tokens_per_s", c.prefill_tokens_per_s);
  w.quantity("decode_tokens_per_s", c.decode_tokens_per_s);
  if (c.decode_fixed_share < 1) w.number("decode_fixed_share", c.decode_fixed_share);
  w.quantity("max_utilization", c.max_utilization);
  if (c.replicas) {
    w.integer("replicas", *c.replicas);
  } else {
    w.string("replicas", "auto");
  }
  w.number("capacity_quantile", c.capacity_quantile);
  w.integer("min_replicas", c.min_replicas);
  w.string("overflow", to_string(c.overflow));
  if (c.max_concurrency != 0) w.integer("max_concurrency", c.max_concurrency);
  if (c.has_slo()) {
    std::string slo = "{ ";
    if (c.slo_wait_p95_s) slo += "wait_p95_s = " + format_number(*c.slo_wait_p95_s);
    if (c.slo_ttft_p95_s) slo += (c.slo_wait_p95_s ? ", " : "") + ("ttft_p95_s = " + format_number(*c.slo_ttft_p95_s));
    w.line("slo", slo + " }");
  }
  if (c.autoscale) {
    w.line("autoscale", fmt::format("{{ min_replicas = {}, max_replicas = {}, step_minutes = {} }}",
                                    c.autoscale->min_replicas, c.autoscale->max_replicas,
                                    static_cast<std::int64_t>(c.autoscale->step_hours) * 60));
  }
  w.quantity("monthly_minimum_usd", c.monthly_minimum_usd);
  if (c.commitment_months != 0) w.integer("commitment_months", c.commitment_months);
  if (c.kind == CapacityKind::gpu_cluster) {
    w.integer("gpus_per_node", c.gpus_per_node);
    w.quantity("fixed_usd_per_month", c.fixed_usd_per_month);
  }
}

}  // namespace

// An input's key path in the text written here: models, workloads and each kind of option in the
// order written (the scenario's), so the path of a [[model]] may differ from the file it came from.
void write_correlation(Writer& w, const Scenario& scenario, const CorrelationSpec& spec) {
  w.header("[[correlation]]");
  std::string inputs = "[";
  for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
    inputs += (i ? ", " : "") + toml_string(written_key_path(scenario, spec.inputs[i]));
  }
  w.line("inputs", inputs + "]");
  const std::size_t n = spec.inputs.size();
  std::string matrix = "[";
  for (std::size_t i = 0; i < n; ++i) {
    matrix += i ? ", [" : "[";
    for (std::size_t j = 0; j < n; ++j) matrix += (j ? ", " : "") + format_number(spec.spearman[i * n + j]);
    matrix += "]";
  }
  w.line("matrix", matrix + "]");
}

std::string scenario_toml(const Scenario& scenario) {
  Writer w;
  w.header("[scenario]");
  w.string("name", scenario.name);
  w.integer("months", scenario.months);
  w.integer("trials", scenario.trials);
  // A seed past what TOML integers hold is written as it is and refused by the loader.
  w.line("seed", std::to_string(scenario.seed));
  w.integer("hours_per_month", scenario.hours_per_month);
  for (const ModelSpec& m : scenario.models) write_model(w, m);
  for (const WorkloadSpec& s : scenario.workloads) write_workload(w, s);
  for (const CapacityKind kind : {CapacityKind::dedicated, CapacityKind::gpu_cluster}) {
    for (const CapacitySpec& c : scenario.capacity) {
      if (c.kind == kind) write_option(w, c);
    }
  }
  for (const CorrelationSpec& spec : scenario.correlations) write_correlation(w, scenario, spec);
  return w.take();
}

void validate_scenario(const Scenario& scenario) {
  // Against no catalog: a scenario built in code must carry every model it uses.
  static const Catalog no_catalog;
  const std::string file = scenario.file.empty() ? "<scenario built in code>" : scenario.file;
  try {
    (void)load_scenario_text(scenario_toml(scenario), file, no_catalog);
  } catch (const InputError& error) {
    // Positions in the written text mean nothing to the caller: key path and message only.
    throw InputError(SourcePosition{file, 0, 0}, error.key_path(), error.message());
  }
}

}  // namespace tokencast
