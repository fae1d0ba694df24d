// `tokencast fit LOG...`: the library's fit_logs, its scenario written all or nothing, its
// figures as JSON on request and as a summary on standard error.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"

namespace tokencast::cli {
namespace {

using Json = nlohmann::ordered_json;

Json number_or_null(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }

Json law_json(const FittedTokenLaw& law) {
  Json candidates = Json::array();
  for (const FittedCandidate& c : law.candidates) {
    candidates.push_back(Json{{"name", c.name},
                              {"parameters", c.parameters},
                              {"ks", c.ks},
                              {"mean", c.mean},
                              {"p50", c.p50},
                              {"p95", c.p95},
                              {"p99", c.p99}});
  }
  return Json{{"n", law.n},
              {"mean", law.mean},
              {"p50", law.p50},
              {"p95", law.p95},
              {"p99", law.p99},
              {"mean_relative_sd", law.mean_relative_sd},
              {"chosen", law.chosen},
              {"candidates", std::move(candidates)},
              {"law", law.law.describe()}};
}

Json arrivals_json(const ArrivalMeasurement& a) {
  Json dispersion = Json::object();
  for (std::size_t k = 0; k < a.windows_s.size(); ++k) {
    dispersion[fmt::format("{:g}", a.windows_s[k])] = number_or_null(a.dispersion_index[k]);
  }
  Json onoff = nullptr;
  if (a.onoff) {
    onoff = Json{{"peak_ratio", a.onoff->peak_ratio}, {"on_share", a.onoff->on_share}, {"mean_on_s", a.onoff->mean_on_s}};
  }
  return Json{{"mean_rate_per_s", a.mean_rate_per_s},
              {"interarrival_scv", a.interarrival_scv},
              {"dispersion_index", std::move(dispersion)},
              {"onoff", std::move(onoff)}};
}

std::string fit_json(const FitResult& fit, const std::optional<std::string>& scenario_file) {
  Json logs = Json::array();
  for (std::size_t i = 0; i < fit.files.size(); ++i) {
    const RequestLogStats& s = fit.stats[i];
    logs.push_back(Json{{"file", fit.files[i]},
                        {"format", std::string(to_string(s.format))},
                        {"lines", s.lines},
                        {"requests", s.requests},
                        {"bad_lines", s.bad_lines},
                        {"first_bad_lines", s.first_bad_lines},
                        {"first_bad_message", s.first_bad_message}});
  }
  Json workloads = Json::array();
  for (const FittedWorkload& w : fit.workloads) {
    Json hourly = nullptr;
    if (w.hourly_weights) hourly = Json(std::vector<double>(w.hourly_weights->begin(), w.hourly_weights->end()));
    workloads.push_back(Json{{"name", w.name},
                             {"model", w.model},
                             {"requests", w.requests},
                             {"span_s", w.span_s},
                             {"requests_per_month", w.requests_per_month},
                             {"requests_per_month_sd", w.requests_per_month_sd},
                             {"bootstrap_blocks", w.blocks},
                             {"input_tokens", law_json(w.input)},
                             {"output_tokens", law_json(w.output)},
                             {"cached_input_share", w.cached_input_share},
                             {"input_output_spearman", w.spearman},
                             {"hourly_weights", std::move(hourly)},
                             {"weekend_factor", number_or_null(w.weekend_factor)},
                             {"monthly_growth", number_or_null(w.monthly_growth)},
                             {"monthly_growth_sd", number_or_null(w.monthly_growth_sd)},
                             {"burstiness", number_or_null(w.burstiness)},
                             {"arrivals", arrivals_json(w.arrivals)}});
  }
  Json out{{"logs", std::move(logs)},
           {"workloads", std::move(workloads)},
           {"scenario_file", scenario_file ? Json(*scenario_file) : Json(nullptr)}};
  return out.dump(2) + "\n";
}

std::string summary(const FitResult& fit) {
  std::size_t requests = 0, bad = 0;
  for (const RequestLogStats& s : fit.stats) {
    requests += s.requests;
    bad += s.bad_lines;
  }
  std::string out = fmt::format("fit: {} requests from {} log(s)", requests, fit.files.size());
  if (bad > 0) {
    for (const RequestLogStats& s : fit.stats) {
      if (s.bad_lines > 0) {
        out += fmt::format("; {} bad line{} skipped (the first: {})", bad, bad == 1 ? "" : "s", s.first_bad_message);
        break;
      }
    }
  }
  out += "\n";
  for (const FittedWorkload& w : fit.workloads) {
    const FittedCandidate& in = w.input.candidates[w.input.chosen];
    const FittedCandidate& out_law = w.output.candidates[w.output.chosen];
    out += fmt::format("  {} ({}): {:.4g} requests/month; input {} (KS {:.4f}, mean {:.1f}); output {} (KS {:.4f}, "
                       "mean {:.1f})\n",
                       w.name, w.model, w.requests_per_month, in.name, in.ks, w.input.mean, out_law.name, out_law.ks,
                       w.output.mean);
  }
  return out;
}

}  // namespace

FitOptions fit_options(const FitArgs& args) {
  if (args.logs.empty()) throw UsageError("give at least one log");
  if (args.by.empty()) throw UsageError("--by: expected none, model or a tag name (got an empty name)");
  FitOptions options;
  options.log.format = trace_format_of(args.trace_format);
  if (args.columns) options.log.columns = trace_columns(*args.columns);
  options.log.on_bad_line = args.on_error == "skip" ? BadLinePolicy::skip : BadLinePolicy::fail;
  options.group_by = args.by == "none" ? FitGrouping::none : args.by == "model" ? FitGrouping::model : FitGrouping::tag;
  if (options.group_by == FitGrouping::tag) options.log.tag = args.by;
  options.model = args.model;
  options.seed = args.seed;
  return options;
}

int fit_command(const FitArgs& args) {
  if (args.format != "toml" && args.format != "json") {
    throw UsageError(fmt::format("--format: fit writes toml or json (got {})", args.format));
  }
  const FitOptions options = fit_options(args);
  // Checked before any reading: never over a log.
  const OutputTarget scenario_to = check_output_target("--output", args.output.value_or("-"), args.logs);
  const FitResult fit = fit_logs(args.logs, options, builtin_catalog());

  std::vector<std::pair<OutputTarget, std::string>> outputs;
  if (args.format == "json") {
    const std::optional<std::string> file =
        scenario_to.to_stdout() ? std::nullopt : std::optional<std::string>(scenario_to.path);
    if (file) outputs.emplace_back(scenario_to, fit.scenario_toml);
    outputs.emplace_back(check_output_target("standard output", "-", args.logs), fit_json(fit, file));
  } else {
    outputs.emplace_back(scenario_to, fit.scenario_toml);
  }
  write_outputs(outputs);
  std::cerr << terminal_safe(summary(fit) + (scenario_to.to_stdout() ? std::string()
                                                                      : fmt::format("  wrote {}\n", scenario_to.path)));
  return 0;
}

}  // namespace tokencast::cli
