#include <cmath>
#include <string>

#include <fmt/format.h>

#include "tokencast/output.hpp"

namespace tokencast {
namespace {

// RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled. Text
// comes from the scenario, so it is made terminal-safe, and a cell a spreadsheet would run as a
// formula (starting =, +, -, @, tab or carriage return) is prefixed with ' (OWASP's advice).
std::string csv_field(std::string_view raw) {
  std::string text = terminal_safe(raw);
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    text.insert(text.begin(), '\'');
  }
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// Shortest text that parses back to the same double; empty (a missing value) when not finite.
std::string csv_number(double value) { return std::isfinite(value) ? fmt::format("{}", value) : ""; }

// Identifies the rows of one table entry: everything but metric, month, statistic and value.
struct RowKey {
  std::string_view section;
  std::string_view name;
  std::string_view model;
  std::string_view mode;
};

class CsvWriter {
 public:
  CsvWriter() { out_ = "section,name,model,mode,metric,month,statistic,value\n"; }

  void value(const RowKey& key, std::string_view metric, std::string_view statistic, double v, int month = 0) {
    out_ += fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(key.section), csv_field(key.name),
                        csv_field(key.model), csv_field(key.mode), csv_field(metric),
                        month > 0 ? std::to_string(month) : std::string(), statistic, csv_number(v));
  }

  void summary(const RowKey& key, std::string_view metric, const Summary& s, int month = 0) {
    value(key, metric, "mean", s.mean, month);
    value(key, metric, "sd", s.sd, month);
    value(key, metric, "p5", s.p5, month);
    value(key, metric, "p50", s.p50, month);
    value(key, metric, "p95", s.p95, month);
    value(key, metric, "p99", s.p99, month);
    value(key, metric, "min", s.min, month);
    value(key, metric, "max", s.max, month);
    value(key, metric, "mean_se", s.mean_se, month);
  }

  // Horizon totals of each mode, then (for a multi-month horizon) each month's.
  void costs(RowKey key, const std::vector<ModeCost>& costs, int months) {
    for (const ModeCost& cost : costs) {
      key.mode = to_string(cost.mode);
      summary(key, "cost_usd", cost.total_usd);
      if (months <= 1) continue;
      for (std::size_t m = 0; m < cost.monthly_usd.size(); ++m) {
        summary(key, "cost_usd", cost.monthly_usd[m], static_cast<int>(m) + 1);
      }
    }
  }

  void capacity(std::string_view model, std::string_view mode, const CapacityResult& c) {
    const RowKey key{"capacity", c.name, model, mode};
    // Plain numbers of the reservation: one row each, statistic "value".
    value(key, "replicas", "value", c.plan.replicas);
    value(key, "gpus", "value", c.plan.gpus);
    if (c.kind == CapacityKind::gpu_cluster) value(key, "nodes", "value", c.plan.nodes);
    value(key, "sizing_replicas_needed", "value", c.sizing_replicas_needed);
    summary(key, "utilization", c.utilization);
    summary(key, "overflow_share", c.overflow_share);
    summary(key, "usd_per_mtok", c.usd_per_mtok);
    summary(key, "peak_replicas_needed", c.peak_replicas_needed);
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string format_csv(const RunResult& result) {
  CsvWriter csv;
  for (const WorkloadResult& w : result.workloads) {
    const RowKey key{"workload", w.name, w.model, ""};
    csv.summary(key, "requests", w.requests);
    csv.summary(key, "input_tokens", w.input_tokens);
    csv.summary(key, "output_tokens", w.output_tokens);
    csv.costs(key, w.costs, result.months);
  }
  for (const ModelResult& m : result.models) {
    const RowKey key{"model", m.model, m.model, ""};
    csv.costs(key, m.costs, result.months);
    if (find_cost(m.costs, Mode::batch) != nullptr) {
      csv.summary(RowKey{"model", m.model, m.model, to_string(Mode::batch)}, "batch_peak_day_tokens", m.batch_peak_day_tokens);
    }
    if (m.dedicated) csv.capacity(m.model, to_string(Mode::dedicated), *m.dedicated);
    if (m.gpu_cluster) csv.capacity(m.model, to_string(Mode::gpu_cluster), *m.gpu_cluster);
  }
  csv.costs(RowKey{"total", "", "", ""}, result.total, result.months);
  return csv.take();
}

}  // namespace tokencast
