#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "number_format.hpp"
#include "text_table.hpp"
#include "tokencast/output.hpp"

namespace tokencast {

std::string format_timings(const RunPhases& p) {
  return fmt::format(
      "timings: load {:.3f} s, plan {:.3f} s, simulate {:.3f} s, size {:.3f} s, statistics {:.3f} s, output {:.3f} s; "
      "total {:.3f} s, serial share {:.1f}%\n",
      p.load_s, p.plan_s, p.simulate_s, p.size_s, p.statistics_s, p.output_s, p.total_s(), 100.0 * p.serial_share());
}
namespace {

// "$7,710", or "$7,710 ±12" when the run measured the p50's standard error.
std::string usd_with_se(const Summary& s) {
  if (!s.p50_se) return format_usd(s.p50);
  return fmt::format("{} ±{}", format_usd(s.p50), group_thousands(fmt::format("{:.0f}", *s.p50_se)));
}

std::string plural(std::int64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", format_count(static_cast<double>(n)), noun, n == 1 ? "" : "s");
}

std::string capacity_cell(const CapacityResult& c) {
  if (!c.feasible) return fmt::format("{} (infeasible)", c.plan.replicas);
  if (c.autoscale) {
    return fmt::format("{}–{} auto ({} replica-h)", c.autoscale->min_replicas, c.autoscale->max_replicas,
                       format_count(c.autoscale->replica_hours.p50));
  }
  if (c.kind == CapacityKind::gpu_cluster) {
    return fmt::format("{} ({}, {})", c.plan.replicas, plural(c.plan.gpus, "GPU"), plural(c.plan.nodes, "node"));
  }
  return fmt::format("{} ({})", c.plan.replicas, plural(c.plan.gpus, "GPU"));
}

const CapacityResult* capacity_of(const ModelResult& m, Mode mode) {
  const std::optional<CapacityResult>& option = mode == Mode::dedicated ? m.dedicated : m.gpu_cluster;
  return (mode == Mode::dedicated || mode == Mode::gpu_cluster) && option ? &*option : nullptr;
}

std::string header_section(const RunResult& r) {
  std::string out = fmt::format("Scenario \"{}\": {}, seed {}, {}, {}, {:.2f} s\n", r.scenario_name,
                                plural(r.trials, "trial"), r.seed, plural(r.months, "month"),
                                plural(r.threads, "thread"), r.elapsed_s);
  std::vector<std::string> provenance;
  if (!r.scenario_file.empty()) provenance.push_back(fmt::format("file {}", r.scenario_file));
  if (!r.catalog_as_of.empty()) provenance.push_back(fmt::format("catalog prices as of {}", r.catalog_as_of));
  if (!provenance.empty()) out += fmt::format("{}\n", fmt::join(provenance, "; "));
  if (r.months > 1) {
    out += fmt::format("Costs are totals over {} months ({} hours each).\n", r.months, r.hours_per_month);
  }
  if (r.exact) out += "Exact mode: every request's tokens drawn individually.\n";
  if (r.precision) {
    out += fmt::format("Precision: largest relative standard error of a p50 or p95 is {:.3f}% ({} {:.3f}%{}); "
                       "p50 ±standard error by sectioning.\n",
                       100 * r.precision->achieved, r.precision->reached ? "target" : "NOT reached: target",
                       100 * r.precision->target,
                       r.precision->reached ? "" : fmt::format(", stopped at --max-trials {}", r.precision->max_trials));
  }
  return out;
}

std::string models_section(const RunResult& r) {
  TextTable table({{"mode"}, {"p50", true}, {"p5 – p95"}, {"replicas"}, {"util", true}, {"overflow", true}, {""}},
                  4, 2);
  for (const ModelResult& m : r.models) {
    table.add_span(fmt::format("{}  (workloads: {})", m.model, fmt::join(m.workloads, ", ")));
    table.add_header();
    for (const ModeCost& cost : m.costs) {
      std::vector<std::string> row{std::string(mode_label(cost.mode)), usd_with_se(cost.total_usd), usd_range(cost.total_usd)};
      const CapacityResult* capacity = capacity_of(m, cost.mode);
      if (capacity) {
        row.push_back(capacity_cell(*capacity));
        row.push_back(format_percent(capacity->utilization.p50));
        row.push_back(format_percent(capacity->overflow_share.p50));
      } else {
        row.insert(row.end(), {"", "", ""});
      }
      row.push_back(cost.mode == m.cheapest ? "← cheapest" : "");
      table.add_row(std::move(row));
    }
  }
  std::string estimates;
  for (const ModelResult& m : r.models) {
    for (const auto* option : {&m.dedicated, &m.gpu_cluster}) {
      if (!*option || !(*option)->throughput) continue;
      const ThroughputEstimateSpec& t = *(*option)->throughput;
      if (t.method == "measured") {
        estimates += fmt::format(
            "  {}: throughput from a measured curve ({}): prefill {} tokens/s, decode {} tokens/s at {} sequences "
            "({} each; decode fixed share {:.2f}), at {} tokens a request\n",
            (*option)->name, t.file, format_count(t.prefill_tokens_per_s), format_count(t.decode_tokens_per_s),
            format_count(t.max_concurrency), format_count(t.decode_tokens_per_s_per_sequence), t.decode_fixed_share,
            format_count(t.input_tokens + t.output_tokens));
        continue;
      }
      estimates += fmt::format(
          "  {}: throughput estimated ({}, {} x {}, {}): prefill {} tokens/s, decode {} tokens/s at {} sequences "
          "({} each; decode fixed share {:.2f}); {} sequences of {} tokens fit in memory\n",
          (*option)->name, t.method, t.tensor_parallel, t.gpu, t.precision, format_count(t.prefill_tokens_per_s),
          format_count(t.decode_tokens_per_s),
          format_count(t.max_concurrency),
          format_count(t.decode_tokens_per_s_per_sequence), t.decode_fixed_share, format_count(static_cast<double>(t.sequences_in_memory)),
          format_count(t.input_tokens + t.output_tokens));
    }
  }
  return "Models\n" + table.render() +
         "  (cost: p50 and p5 – p95 over trials; util: median utilization, work over the replicas' time; overflow:\n"
         "  median share of work above capacity)\n" + estimates;
}

std::string workloads_section(const RunResult& r) {
  const bool any_batch = std::any_of(r.workloads.begin(), r.workloads.end(),
                                     [](const WorkloadResult& w) { return find_cost(w.costs, Mode::batch) != nullptr; });
  std::vector<Column> columns{{"name", false, 10},        {"model", false, 12, Cut::start}, {"requests p50", true},
                              {"serverless p50", true}, {"p5 – p95"}};
  if (any_batch) columns.push_back({"batch p50", true});
  TextTable table(std::move(columns), 2, 2);
  table.add_header();
  for (const WorkloadResult& w : r.workloads) {
    const ModeCost* serverless = find_cost(w.costs, Mode::serverless);
    const ModeCost* batch = find_cost(w.costs, Mode::batch);
    std::vector<std::string> row{w.name, w.model, format_count(w.requests.p50),
                                 serverless ? format_usd(serverless->total_usd.p50) : "-",
                                 serverless ? usd_range(serverless->total_usd) : ""};
    if (any_batch) row.push_back(batch ? format_usd(batch->total_usd.p50) : "-");
    table.add_row(std::move(row));
  }
  return "Workloads\n" + table.render();
}

std::string total_section(const RunResult& r) {
  std::vector<Column> columns{{"mode"}, {"p50", true}, {"p5 – p95"}};
  if (r.months > 1) {
    columns.push_back({"month 1 p50", true});
    columns.push_back({fmt::format("month {} p50", r.months), true});
  }
  TextTable table(std::move(columns), 2, 2);
  table.add_header();
  for (const ModeCost& cost : r.total) {
    std::vector<std::string> row{std::string(mode_label(cost.mode)), usd_with_se(cost.total_usd), usd_range(cost.total_usd)};
    if (r.months > 1) {
      const bool has_months = !cost.monthly_usd.empty();
      row.push_back(has_months ? format_usd(cost.monthly_usd.front().p50) : "-");
      row.push_back(has_months ? format_usd(cost.monthly_usd.back().p50) : "-");
    }
    table.add_row(std::move(row));
  }
  return "Total\n" + table.render();
}

// Sections separated by a blank line.
std::string format_table_sections(const RunResult& result) {
  std::string out = header_section(result);
  for (const std::string& section : {models_section(result), workloads_section(result), total_section(result)}) {
    out += '\n';
    out += section;
  }
  if (!result.groups.empty()) {
    out += '\n';
    out += format_group_tables(result);
  }
  if (!result.warnings.empty()) {
    out += "\n";
    for (const RunWarning& warning : result.warnings) out += fmt::format("warning: {}\n", warning_text(warning));
  }
  return out;
}

}  // namespace

std::string format_table(const RunResult& result) { return terminal_safe(format_table_sections(result)); }

}  // namespace tokencast
