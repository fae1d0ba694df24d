// Section 1 of the report: the run's facts and the scenario's inputs as written.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"
#include "report_sections.hpp"

namespace tokencast::report {
namespace {

enum class Unit { usd, count, fraction, plain };

// "1.50" -> "1.5".
std::string trimmed(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text == "-0" ? "0" : text;
}

// A certain figure in its unit; an uncertain one as the scenario writes it.
std::string quantity_html(const Quantity& q, Unit unit) {
  if (!q.is_certain()) return fmt::format("<code>{}</code>", escape_html(q.describe()));
  const double v = q.constant();
  switch (unit) {
    case Unit::usd: {
      std::string digits = trimmed(v, 6);
      if (const auto point = digits.find('.'); point != std::string::npos && digits.size() - point - 1 < 2) digits += '0';
      return escape_html(fmt::format("${}", group_thousands(digits)));
    }
    case Unit::count: return std::fabs(v - std::round(v)) < 1e-9 ? format_count(v) : group_thousands(trimmed(v, 4));
    case Unit::fraction: return escape_html(trimmed(v * 100, 2) + "%");
    case Unit::plain: return escape_html(trimmed(v, 4));
  }
  return {};
}

std::string tags_html(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [key, value] : tags) {
    out += fmt::format("<span class=\"tag\">{}={}</span> ", escape_html(key), escape_html(value));
  }
  return out;
}

std::string fact(std::string_view term, const std::string& value_html) {
  return fmt::format("<div><dt>{}</dt><dd>{}</dd></div>", escape_html(term), value_html);
}

std::string run_facts(const Scenario& scenario, const RunResult& r) {
  const std::string file = r.scenario_file.empty() ? scenario.file : r.scenario_file;
  std::string out = "<dl class=\"facts\">";
  out += fact("scenario", escape_html(r.scenario_name.empty() ? scenario.name : r.scenario_name));
  out += fact("file", fmt::format("<code>{}</code>", escape_html(file)));
  out += fact("seed", escape_html(std::to_string(r.seed)));
  out += fact("trials", format_count(static_cast<double>(r.trials)));
  out += fact("months", escape_html(std::to_string(r.months)));
  out += fact("hours per month", escape_html(std::to_string(r.hours_per_month)));
  out += fact("threads", escape_html(std::to_string(r.threads)));
  out += fact("elapsed", escape_html(fmt::format("{:.2f} s", r.elapsed_s)));
  out += fact("catalog prices as of", escape_html(r.catalog_as_of.empty() ? "— (no catalog prices used)" : r.catalog_as_of));
  return out + "</dl>\n";
}

std::string models_table(const Scenario& scenario) {
  HtmlTable t;
  t.headers = {"model", "input $/1M tokens", "cached input $/1M", "output $/1M tokens", "batch discount", "context tokens",
               "prices"};
  t.numeric = {false, true, true, true, true, true, false};
  // Sources are long free text: listed under the table so the columns stay narrow.
  std::string sources;
  for (const ModelSpec& m : scenario.models) {
    t.add({model_html(m.id), quantity_html(m.input_usd_per_mtok, Unit::usd),
           m.cached_input_usd_per_mtok ? quantity_html(*m.cached_input_usd_per_mtok, Unit::usd) : "as input",
           quantity_html(m.output_usd_per_mtok, Unit::usd),
           m.batch_discount ? quantity_html(*m.batch_discount, Unit::fraction) : "no batch mode",
           format_count(static_cast<double>(m.context_tokens)),
           escape_html(fmt::format("{}{}", m.from_catalog ? "catalog" : "scenario", m.as_of.empty() ? "" : ", " + m.as_of))});
    if (!m.source.empty() || !m.note.empty()) {
      sources += fmt::format("<li>{}: {}{}</li>", model_html(m.id), escape_html(m.source),
                             m.note.empty() ? "" : escape_html(fmt::format(" (note: {})", m.note)));
    }
  }
  std::string out = t.render("Models and serverless prices");
  if (!sources.empty()) out += "<ul class=\"sources\">" + sources + "</ul>\n";
  return out;
}

std::string workloads_table(const Scenario& scenario) {
  HtmlTable t;
  t.headers = {"workload and tags", "model", "requests / month", "input tokens / request", "output tokens / request",
               "cached input share", "batchable"};
  for (const WorkloadSpec& w : scenario.workloads) {
    const std::string tags = w.tags.empty() ? "" : "<br>" + tags_html(w.tags);
    t.add({escape_html(w.name) + tags, model_html(w.model), quantity_html(w.requests_per_month, Unit::count),
           quantity_html(w.input_tokens, Unit::count), quantity_html(w.output_tokens, Unit::count),
           quantity_html(w.cached_input_share, Unit::fraction), w.batchable ? "yes" : "no"});
  }
  return t.render("Workloads");
}

std::string traffic_table(const Scenario& scenario) {
  HtmlTable t;
  t.headers = {"workload", "daily peak / mean", "peak hour", "weekend factor", "burstiness (cv)", "monthly growth"};
  for (const WorkloadSpec& w : scenario.workloads) {
    const TrafficSpec& tr = w.traffic;
    const bool weights = tr.hourly_weights.has_value();
    t.add({escape_html(w.name), weights ? "hourly weights" : quantity_html(tr.daily_peak_to_mean, Unit::plain),
           weights ? "hourly weights" : quantity_html(tr.peak_hour, Unit::plain), quantity_html(tr.weekend_factor, Unit::plain),
           quantity_html(tr.burstiness, Unit::plain), quantity_html(tr.monthly_growth, Unit::fraction)});
  }
  return t.render("Traffic shape");
}

// Options side by side: one column per option, one row per field.
std::string capacity_table(const Scenario& scenario) {
  if (scenario.capacity.empty()) return "<p>No dedicated endpoint or GPU cluster options: serverless (and batch) only.</p>\n";
  bool any_cluster = false;
  for (const CapacitySpec& c : scenario.capacity) any_cluster = any_cluster || c.kind == CapacityKind::gpu_cluster;
  HtmlTable t;
  t.row_headers = true;
  t.headers = {"option"};
  for (const CapacitySpec& c : scenario.capacity) t.headers.push_back(escape_html(c.name));
  auto row = [&](std::string_view field, auto&& cell) {
    std::vector<std::string> cells{escape_html(field)};
    for (const CapacitySpec& c : scenario.capacity) cells.push_back(cell(c));
    t.add(std::move(cells));
  };
  const auto is_cluster = [](const CapacitySpec& c) { return c.kind == CapacityKind::gpu_cluster; };
  row("kind", [](const CapacitySpec& c) { return escape_html(mode_label(mode_of(c.kind))); });
  row("model", [](const CapacitySpec& c) { return model_html(c.model); });
  if (std::any_of(scenario.capacity.begin(), scenario.capacity.end(), [](const CapacitySpec& c) { return !c.gpu.empty(); })) {
    row("GPU (catalog)", [](const CapacitySpec& c) { return c.gpu.empty() ? std::string("—") : escape_html(c.gpu); });
  }
  row("$ per GPU-hour", [](const CapacitySpec& c) { return quantity_html(c.usd_per_gpu_hour, Unit::usd); });
  row("GPUs per replica", [](const CapacitySpec& c) { return escape_html(std::to_string(c.gpus_per_replica)); });
  if (any_cluster) {
    row("GPUs per node", [&](const CapacitySpec& c) {
      return is_cluster(c) ? escape_html(std::to_string(c.gpus_per_node)) : std::string("—");
    });
  }
  if (std::any_of(scenario.capacity.begin(), scenario.capacity.end(),
                  [](const CapacitySpec& c) { return c.throughput_estimate.has_value(); })) {
    row("throughput from", [](const CapacitySpec& c) {
      if (!c.throughput_estimate) return std::string("typed in the scenario");
      const ThroughputEstimateSpec& e = *c.throughput_estimate;
      if (e.method == "measured") {
        return escape_html(fmt::format("measured curve {} at {} sequences (docs/throughput.md)", e.file,
                                       e.max_concurrency));
      }
      return escape_html(fmt::format("{} estimate: {} × {}, {}; {} sequences of {} tokens fit in memory "
                                     "(docs/throughput.md)",
                                     e.method, e.tensor_parallel, e.gpu, e.precision,
                                     format_count(static_cast<double>(e.sequences_in_memory)),
                                     format_count(e.input_tokens + e.output_tokens)));
    });
  }
  row("prefill tokens/s per replica", [](const CapacitySpec& c) { return quantity_html(c.prefill_tokens_per_s, Unit::count); });
  row("decode tokens/s per replica", [](const CapacitySpec& c) { return quantity_html(c.decode_tokens_per_s, Unit::count); });
  row("decode fixed share", [](const CapacitySpec& c) {
    return c.decode_fixed_share < 1
               ? escape_html(fmt::format("{:.2f}: a step of n sequences takes f + (1 − f) n / max_concurrency of a "
                                         "full batch's (docs/capacity.md)",
                                         c.decode_fixed_share))
               : std::string("1: every sequence decodes at the full-batch speed");
  });
  row("max utilization", [](const CapacitySpec& c) { return quantity_html(c.max_utilization, Unit::fraction); });
  row("replicas", [](const CapacitySpec& c) {
    return c.replicas ? escape_html(fmt::format("fixed: {}", *c.replicas))
                      : escape_html(fmt::format("auto (at least {})", c.min_replicas));
  });
  row("capacity quantile", [](const CapacitySpec& c) {
    return c.replicas ? std::string("—") : escape_html(format_percent(c.capacity_quantile));
  });
  row("overflow", [](const CapacitySpec& c) {
    return c.overflow == OverflowPolicy::serverless ? std::string("to serverless prices") : std::string("dropped");
  });
  const bool any_slo = std::any_of(scenario.capacity.begin(), scenario.capacity.end(), [](const CapacitySpec& c) {
    return c.has_slo() || c.max_concurrency > 0;
  });
  if (any_slo) {
    row("max concurrency per replica", [](const CapacitySpec& c) {
      return c.max_concurrency > 0 ? escape_html(std::to_string(c.max_concurrency)) : std::string("—");
    });
    row("latency objective (p95)", [](const CapacitySpec& c) {
      std::vector<std::string> parts;
      if (c.slo_wait_p95_s) parts.push_back(fmt::format("wait ≤ {} s", trimmed(*c.slo_wait_p95_s, 3)));
      if (c.slo_ttft_p95_s) parts.push_back(fmt::format("TTFT ≤ {} s", trimmed(*c.slo_ttft_p95_s, 3)));
      return parts.empty() ? std::string("—") : escape_html(fmt::format("{}", fmt::join(parts, ", ")));
    });
  }
  if (std::any_of(scenario.capacity.begin(), scenario.capacity.end(), [](const CapacitySpec& c) { return c.autoscale.has_value(); })) {
    row("autoscaling", [](const CapacitySpec& c) {
      return c.autoscale ? escape_html(fmt::format("{} – {} replicas, every {} h", c.autoscale->min_replicas, c.autoscale->max_replicas,
                                                   c.autoscale->step_hours))
                         : std::string("—");
    });
  }
  const bool any_commitment = std::any_of(scenario.capacity.begin(), scenario.capacity.end(), [](const CapacitySpec& c) {
    return c.commitment_months > 0 || !c.monthly_minimum_usd.is_certain() || c.monthly_minimum_usd.constant() != 0;
  });
  if (any_commitment) {
    row("monthly minimum", [](const CapacitySpec& c) { return quantity_html(c.monthly_minimum_usd, Unit::usd); });
    row("commitment", [](const CapacitySpec& c) {
      return c.commitment_months > 0 ? escape_html(fmt::format("{} months", c.commitment_months)) : std::string("—");
    });
  }
  if (any_cluster) {
    row("fixed $ per month", [&](const CapacitySpec& c) {
      return is_cluster(c) ? quantity_html(c.fixed_usd_per_month, Unit::usd) : std::string("—");
    });
  }
  return t.render("Capacity options");
}

}  // namespace

std::string horizon_label(int months) { return months > 1 ? fmt::format("cost over {} months", months) : "cost"; }

std::string scenario_section(const Scenario& scenario, const RunResult& result) {
  std::string out = "<section id=\"scenario\"><h2>Scenario</h2>\n" + run_facts(scenario, result);
  out += "<p class=\"muted\">Uncertain figures are shown as written in the scenario: a distribution drawn once per trial "
         "(token counts: per request).</p>\n";
  out += models_table(scenario) + workloads_table(scenario) + traffic_table(scenario) + capacity_table(scenario);
  return out + "</section>\n";
}

}  // namespace tokencast::report
