#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "number_format.hpp"
#include "tokencast/output.hpp"

namespace tokencast {

std::string format_timings(const RunPhases& p) {
  return fmt::format(
      "timings: load {:.3f} s, plan {:.3f} s, simulate {:.3f} s, size {:.3f} s, statistics {:.3f} s, output {:.3f} s; "
      "total {:.3f} s, serial share {:.1f}%\n",
      p.load_s, p.plan_s, p.simulate_s, p.size_s, p.statistics_s, p.output_s, p.total_s(), 100.0 * p.serial_share());
}
namespace {

constexpr std::size_t max_line_width = 110;
constexpr std::string_view column_gap = "  ";

// Terminal columns taken by UTF-8 text: one per code point (all our symbols are single-width).
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

enum class Cut { end, start };

// Cuts text to `width` columns, marking the cut with "…" (at the end, or at the start to keep the
// distinctive tail of ids like "org/Model-70B-Instruct-Turbo").
std::string truncate(std::string_view text, std::size_t width, Cut cut = Cut::end) {
  const std::size_t text_width = display_width(text);
  if (text_width <= width) return std::string(text);
  if (width == 0) return "";
  const std::size_t keep = width - 1;  // code points kept beside the "…"
  const std::size_t skip = cut == Cut::end ? 0 : text_width - keep;
  std::string kept;
  std::size_t columns = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++columns;
    if (columns > skip && columns <= skip + keep) kept += c;
  }
  return cut == Cut::end ? kept + "…" : "…" + kept;
}

std::string pad(std::string_view text, std::size_t width, bool right_aligned) {
  const std::string fill(width - std::min(width, display_width(text)), ' ');
  return right_aligned ? fill + std::string(text) : std::string(text) + fill;
}

struct Column {
  std::string header;
  bool right_aligned = false;
  std::size_t shrink_to = 0;  // narrowest it may be cut to when a line is too long; 0: never cut
  Cut cut = Cut::end;
};

// Rows of cells aligned in columns, with full-width lines ("spans") and header lines between them.
class TextTable {
 public:
  TextTable(std::vector<Column> columns, std::size_t indent, std::size_t span_indent)
      : columns_(std::move(columns)), indent_(indent), span_indent_(span_indent) {}

  void add_header() { rows_.push_back(Row{Row::Kind::header, {}, {}}); }
  // Cells are made terminal-safe before they are measured, so escapes keep the columns aligned.
  void add_row(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    for (std::string& cell : cells) cell = terminal_safe(cell);
    rows_.push_back(Row{Row::Kind::cells, std::move(cells), {}});
  }
  void add_span(std::string text) { rows_.push_back(Row{Row::Kind::span, {}, terminal_safe(text)}); }

  std::string render() const {
    std::vector<std::size_t> widths = column_widths();
    std::string out;
    for (const Row& row : rows_) {
      switch (row.kind) {
        case Row::Kind::header: out += line(headers(), widths); break;
        case Row::Kind::cells: out += line(row.cells, widths); break;
        case Row::Kind::span:
          out += std::string(span_indent_, ' ') + truncate(row.span, max_line_width - span_indent_) + "\n";
          break;
      }
    }
    return out;
  }

 private:
  struct Row {
    enum class Kind { header, cells, span } kind;
    std::vector<std::string> cells;
    std::string span;
  };

  std::vector<std::string> headers() const {
    std::vector<std::string> out;
    for (const Column& c : columns_) out.push_back(c.header);
    return out;
  }

  // Widest cell per column; shrinkable columns give way, widest first, until the line fits.
  std::vector<std::size_t> column_widths() const {
    std::vector<std::size_t> widths(columns_.size(), 0);
    for (std::size_t c = 0; c < columns_.size(); ++c) widths[c] = display_width(columns_[c].header);
    for (const Row& row : rows_) {
      for (std::size_t c = 0; c < row.cells.size(); ++c) widths[c] = std::max(widths[c], display_width(row.cells[c]));
    }
    auto total = [&] {
      std::size_t sum = indent_;
      for (std::size_t w : widths) sum += w;
      return sum + column_gap.size() * (widths.size() - 1);
    };
    while (total() > max_line_width) {
      std::size_t widest = columns_.size();
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (columns_[c].shrink_to == 0 || widths[c] <= columns_[c].shrink_to) continue;
        if (widest == columns_.size() || widths[c] > widths[widest]) widest = c;
      }
      if (widest == columns_.size()) break;  // nothing left to cut: the line stays long
      --widths[widest];
    }
    return widths;
  }

  std::string line(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) const {
    std::string out(indent_, ' ');
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += column_gap;
      out += pad(truncate(cells[c], widths[c], columns_[c].cut), widths[c], columns_[c].right_aligned);
    }
    // Trailing blanks of empty last cells carry nothing.
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  }

  std::vector<Column> columns_;
  std::size_t indent_;
  std::size_t span_indent_;
  std::vector<Row> rows_;
};


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
      estimates += fmt::format(
          "  {}: throughput estimated ({}, {} x {}, {}): prefill {} tokens/s, decode {} tokens/s at {} sequences "
          "({} each); {} sequences of {} tokens fit in memory\n",
          (*option)->name, t.method, t.tensor_parallel, t.gpu, t.precision, format_count(t.prefill_tokens_per_s),
          format_count(t.decode_tokens_per_s),
          format_count(t.max_concurrency),
          format_count(t.decode_tokens_per_s_per_sequence), format_count(static_cast<double>(t.sequences_in_memory)),
          format_count(t.input_tokens + t.output_tokens));
    }
  }
  return "Models\n" + table.render() +
         "  (cost: p50 and p5 – p95 over trials; util: median utilization; overflow: median share of work above\n"
         "  capacity)\n" + estimates;
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
