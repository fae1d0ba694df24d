#pragma once
// Text pieces of the HTML report: escaping, and tables built from already-escaped cells.
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/summary.hpp"
#include "../output/number_format.hpp"

namespace tokencast::report {

// A whole page: the report's head and style sheet around `body` (already HTML).
std::string html_page(std::string_view title, std::string_view body);

// Escapes &, <, >, " and ' so any text is safe inside elements and quoted attributes.
std::string escape_html(std::string_view text);

// A model id that may break only after its "/" ("org/<wbr>Model-Name"), escaped.
std::string model_html(std::string_view id);

// Labels and ranges as the terminal table writes them (mode_label, usd_range).
using tokencast::mode_label;
using tokencast::usd_range;

struct HtmlTable {
  std::vector<std::string> headers;  // escaped HTML
  std::vector<bool> numeric;         // right-aligned columns; may be shorter than headers
  bool row_headers = false;          // first cell of each row is the row's header
  struct Row {
    std::vector<std::string> cells;  // escaped HTML
    std::string css_class;
  };
  std::vector<Row> rows;

  void add(std::vector<std::string> cells, std::string css_class = {}) {
    rows.push_back({std::move(cells), std::move(css_class)});
  }
  std::string render(std::string_view caption = {}) const;
};

}  // namespace tokencast::report
