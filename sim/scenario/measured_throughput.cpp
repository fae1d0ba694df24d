// `throughput = { file = "bench.json" }`: a measured concurrency curve (vLLM benchmark_serving
// results, or a plain CSV) turned into the slot model's prefill and decode rates.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sections.hpp"

namespace tokencast::loader {
namespace {

[[noreturn]] void fail_file(const std::string& file, int line, const std::string& message) {
  throw InputError({file, line, 0}, "", message);
}

std::optional<double> number_in(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// One vLLM benchmark_serving result (--save-result): its concurrency, output throughput, mean TTFT
// and mean tokens per request.
MeasuredPoint vllm_point(const std::string& file, int line, const nlohmann::json& r) {
  if (!r.is_object()) fail_file(file, line, "expected a benchmark_serving result object");
  const auto concurrency = number_in(r, "max_concurrency");
  const auto throughput = number_in(r, "output_throughput");
  const auto ttft_ms = number_in(r, "mean_ttft_ms");
  const auto completed = number_in(r, "completed");
  const auto input = number_in(r, "total_input_tokens");
  const auto output = number_in(r, "total_output_tokens");
  if (!concurrency || !throughput || !ttft_ms || !completed || !input || !output) {
    fail_file(file, line,
              "a benchmark_serving result needs max_concurrency (run with --max-concurrency), output_throughput, "
              "mean_ttft_ms, completed, total_input_tokens and total_output_tokens");
  }
  if (!(*completed > 0)) fail_file(file, line, "completed: no request completed");
  return {*concurrency, *throughput, *ttft_ms / 1000.0, *input / *completed, *output / *completed};
}

std::vector<MeasuredPoint> read_json_curve(const std::string& file, const std::string& text) {
  std::vector<MeasuredPoint> points;
  try {
    const nlohmann::json whole = nlohmann::json::parse(text);
    if (whole.is_array()) {
      for (const nlohmann::json& r : whole) points.push_back(vllm_point(file, 0, r));
    } else {
      points.push_back(vllm_point(file, 0, whole));
    }
    return points;
  } catch (const nlohmann::json::parse_error&) {
    // Not one document: one result per line (benchmark_serving --append-result).
  }
  std::istringstream lines(text);
  std::string row;
  int line = 0;
  while (std::getline(lines, row)) {
    ++line;
    if (row.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json r;
    try {
      r = nlohmann::json::parse(row);
    } catch (const nlohmann::json::parse_error& e) {
      fail_file(file, line, fmt::format("not a JSON object ({})", e.what()));
    }
    points.push_back(vllm_point(file, line, r));
  }
  return points;
}

// concurrency,output_tokens_per_s,ttft_s,input_tokens,output_tokens (a header, any column order).
std::vector<MeasuredPoint> read_csv_curve(const std::string& file, const std::string& text) {
  static constexpr std::string_view kColumns[] = {"concurrency", "output_tokens_per_s", "ttft_s", "input_tokens",
                                                  "output_tokens"};
  std::istringstream lines(text);
  std::string row;
  int line = 0;
  std::vector<std::size_t> at;
  std::vector<MeasuredPoint> points;
  while (std::getline(lines, row)) {
    ++line;
    if (!row.empty() && row.back() == '\r') row.pop_back();
    if (row.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> cells;
    std::stringstream split(row);
    for (std::string cell; std::getline(split, cell, ',');) {
      cell.erase(0, cell.find_first_not_of(" \t"));
      cell.erase(cell.find_last_not_of(" \t") + 1);
      cells.push_back(cell);
    }
    if (at.empty()) {
      for (const std::string_view name : kColumns) {
        const auto it = std::find(cells.begin(), cells.end(), name);
        if (it == cells.end()) {
          fail_file(file, line, fmt::format("the header needs the columns {} (missing {})", fmt::join(kColumns, ","), name));
        }
        at.push_back(static_cast<std::size_t>(it - cells.begin()));
      }
      continue;
    }
    double values[5];
    for (std::size_t k = 0; k < 5; ++k) {
      const std::string& cell = at[k] < cells.size() ? cells[at[k]] : std::string();
      const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), values[k]);
      if (cell.empty() || error != std::errc() || end != cell.data() + cell.size() || !std::isfinite(values[k])) {
        fail_file(file, line, fmt::format("{}: expected a number (got '{}')", kColumns[k], cell));
      }
    }
    points.push_back({values[0], values[1], values[2], values[3], values[4]});
  }
  return points;
}

}  // namespace

std::vector<MeasuredPoint> read_measured_curve(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail_file(file, 0, "cannot open the measured throughput curve");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const bool csv = std::filesystem::path(file).extension() == ".csv";
  std::vector<MeasuredPoint> points = csv ? read_csv_curve(file, text) : read_json_curve(file, text);
  if (points.empty()) fail_file(file, 0, "the curve holds no point");
  for (const MeasuredPoint& p : points) {
    if (!(p.concurrency >= 1 && p.output_tokens_per_s > 0 && p.ttft_s > 0 && p.input_tokens >= 0 &&
          p.output_tokens >= 1)) {
      fail_file(file, 0,
                fmt::format("a point at concurrency {} is not usable: it needs concurrency >= 1, output tokens/s > 0, "
                            "TTFT > 0 and at least one output token a request",
                            p.concurrency));
    }
  }
  std::sort(points.begin(), points.end(),
            [](const MeasuredPoint& a, const MeasuredPoint& b) { return a.concurrency < b.concurrency; });
  for (std::size_t i = 1; i < points.size(); ++i) {
    if (points[i].concurrency == points[i - 1].concurrency) {
      fail_file(file, 0, fmt::format("two points at concurrency {}", points[i].concurrency));
    }
  }
  return points;
}

}  // namespace tokencast::loader
