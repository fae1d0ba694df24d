#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokencast/output.hpp"

namespace tokencast {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Whether `id` contains `filter`, ignoring case (every id when the filter is empty).
bool matches(const std::string& id, const std::string& filter) {
  return filter.empty() || lower(id).find(filter) != std::string::npos;
}

}  // namespace

std::string format_catalog_json(const Catalog& catalog, std::string_view filter_text) {
  const std::string filter = lower(std::string(filter_text));
  nlohmann::ordered_json j;
  j["provider"] = catalog.provider;
  j["as_of"] = catalog.as_of;
  j["models"] = nlohmann::ordered_json::array();
  for (const auto& m : catalog.models) {
    if (!matches(m.id, filter)) continue;
    nlohmann::ordered_json e;
    e["id"] = m.id;
    e["input_usd_per_mtok"] = m.input_usd_per_mtok.constant();
    e["output_usd_per_mtok"] = m.output_usd_per_mtok.constant();
    if (m.cached_input_usd_per_mtok) e["cached_input_usd_per_mtok"] = m.cached_input_usd_per_mtok->constant();
    if (m.batch_discount) e["batch_discount"] = m.batch_discount->constant();
    e["context_tokens"] = m.context_tokens;
    e["source"] = m.source;
    e["as_of"] = m.as_of;
    if (!m.note.empty()) e["note"] = m.note;
    j["models"].push_back(e);
  }
  j["gpus"] = nlohmann::ordered_json::array();
  for (const auto& g : catalog.gpus) {
    if (!matches(g.id, filter)) continue;
    j["gpus"].push_back({{"id", g.id}, {"usd_per_gpu_hour", g.usd_per_gpu_hour}, {"source", g.source}, {"as_of", g.as_of}});
  }
  return j.dump(2) + "\n";
}

std::string format_catalog_table(const Catalog& catalog, std::string_view filter_text) {
  const std::string filter = lower(std::string(filter_text));
  std::string out = fmt::format("{} serverless prices, USD per 1M tokens (as of {})\n\n", catalog.provider, catalog.as_of);
  out += fmt::format("{:<52} {:>9} {:>9} {:>9} {:>8}  {}\n", "model", "input", "output", "batch", "context", "as of");
  std::size_t shown = 0;
  for (const auto& m : catalog.models) {
    if (!matches(m.id, filter)) continue;
    ++shown;
    const std::string batch =
        m.batch_discount ? fmt::format("-{:.0f}%", 100.0 * m.batch_discount->constant()) : std::string("-");
    out += fmt::format("{:<52} {:>9.2f} {:>9.2f} {:>9} {:>8}  {}\n", m.id, m.input_usd_per_mtok.constant(),
                       m.output_usd_per_mtok.constant(), batch, m.context_tokens, m.as_of);
    if (!m.note.empty()) out += fmt::format("    note: {}\n", m.note);
  }
  out += fmt::format("\nDedicated endpoints, USD per GPU-hour\n\n{:<20} {:>10}  {:<12} {}\n", "gpu", "usd/hour",
                     "as of", "source");
  for (const auto& g : catalog.gpus) {
    if (!matches(g.id, filter)) continue;
    ++shown;
    out += fmt::format("{:<20} {:>10.2f}  {:<12} {}\n", g.id, g.usd_per_gpu_hour, g.as_of, g.source);
  }
  if (shown == 0) out += fmt::format("\nnothing matches \"{}\"\n", filter_text);
  return terminal_safe(out);
}

}  // namespace tokencast
