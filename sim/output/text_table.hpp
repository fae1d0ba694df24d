#pragma once
// Aligned terminal tables: rows of cells in columns, full-width lines between them, and columns that
// give way when a line would pass the terminal width.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/output.hpp"

namespace tokencast {

inline constexpr std::size_t max_line_width = 110;
inline constexpr std::string_view column_gap = "  ";

// Terminal columns taken by UTF-8 text: one per code point (all our symbols are single-width).
inline std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

enum class Cut { end, start };

// Cuts text to `width` columns, marking the cut with "…" (at the end, or at the start to keep the
// distinctive tail of ids like "org/Model-70B-Instruct-Turbo").
inline std::string truncate(std::string_view text, std::size_t width, Cut cut = Cut::end) {
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

inline std::string pad(std::string_view text, std::size_t width, bool right_aligned) {
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

}  // namespace tokencast
