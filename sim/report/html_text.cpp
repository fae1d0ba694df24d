#include "html_text.hpp"

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "tokencast/output.hpp"

namespace tokencast::report {

std::string escape_html(std::string_view raw) {
  // Control characters are not allowed in HTML text: shown as escapes, as in the terminal.
  const std::string text = terminal_safe(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string model_html(std::string_view id) {
  std::string out = "<span class=\"id\">";
  for (char c : escape_html(id)) {
    out += c;
    if (c == '/') out += "<wbr>";
  }
  return out + "</span>";
}


std::string HtmlTable::render(std::string_view caption) const {
  auto align = [&](std::size_t c) { return c < numeric.size() && numeric[c] ? " class=\"num\"" : ""; };
  std::string out = "<div class=\"table-wrap\"><table>";
  if (!caption.empty()) out += fmt::format("<caption>{}</caption>", caption);
  out += "<thead><tr>";
  for (std::size_t c = 0; c < headers.size(); ++c) out += fmt::format("<th scope=\"col\"{}>{}</th>", align(c), headers[c]);
  out += "</tr></thead><tbody>\n";
  for (const Row& row : rows) {
    out += row.css_class.empty() ? "<tr>" : fmt::format("<tr class=\"{}\">", row.css_class);
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      const bool header = row_headers && c == 0;
      out += fmt::format("<{0}{1}{2}>{3}</{0}>", header ? "th" : "td", header ? " scope=\"row\"" : "", align(c), row.cells[c]);
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

}  // namespace tokencast::report
