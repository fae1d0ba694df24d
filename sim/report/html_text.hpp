#pragma once
// Text pieces of the HTML report: escaping, and tables built from already-escaped cells.
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/summary.hpp"

namespace tokencast::report {

// Escapes &, <, >, " and ' so any text is safe inside elements and quoted attributes.
std::string escape_html(std::string_view text);

// A model id that may break only after its "/" ("org/<wbr>Model-Name"), escaped.
std::string model_html(std::string_view id);

// "cost mode" labels: "gpu_cluster" -> "GPU cluster", "cheapest_plan" -> "cheapest plan".
std::string mode_label(std::string_view mode);

// "$1,200 – $3,400" (p5 – p95) in USD.
std::string usd_range(const Summary& s);

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
