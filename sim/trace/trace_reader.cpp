// Reading request traces (Azure CSV, Mooncake JSONL, OpenAI-compatible response logs, named CSV)
// line by line, each bad line reported as FILE:LINE.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokencast/errors.hpp"
#include "tokencast/trace.hpp"

namespace tokencast {
namespace {

// Beyond this a trace would take gigabytes (24 bytes a request, before copies).
constexpr std::size_t kMaxRequests = 100'000'000;
constexpr double kMaxTokens = 1e9;

class LineError {
 public:
  LineError(const std::string& file) : file_(file) {}
  [[noreturn]] void fail(std::size_t line, const std::string& message) const {
    throw InputError({file_, static_cast<int>(std::min<std::size_t>(line, 2'000'000'000)), 0}, "", message);
  }
  [[noreturn]] void fail_file(const std::string& message) const { throw InputError({file_, 0, 0}, "", message); }

 private:
  const std::string& file_;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  return text;
}

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) return cells;
    start = comma + 1;
  }
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Days from 1970-01-01 to a civil date (H. Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

// A date-time as whole seconds since 1970 and the fraction apart: a double holding both would keep
// only about 0.1 µs at today's epoch seconds.
struct DateTime {
  long long whole_s = 0;
  double fraction_s = 0;
};

// "YYYY-MM-DD HH:MM:SS[.frac]" (or with a T, and a trailing Z), UTC assumed.
std::optional<DateTime> parse_date_time(std::string_view text) {
  if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto field = [&](std::size_t at, std::size_t width) -> std::optional<int> {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + width, value);
    if (error != std::errc() || end != text.data() + at + width) return std::nullopt;
    return value;
  };
  const auto year = field(0, 4), month = field(5, 2), day = field(8, 2);
  const auto hour = field(11, 2), minute = field(14, 2), second = field(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  double fraction = 0;
  if (text.size() > 19) {
    if (text[19] != '.') return std::nullopt;
    const auto parsed = parse_number(std::string("0") + std::string(text.substr(19)));
    if (!parsed) return std::nullopt;
    fraction = *parsed;
  }
  const long long days = days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  return DateTime{days * 86400 + *hour * 3600LL + *minute * 60LL + *second, fraction};
}

double token_count(const LineError& errors, std::size_t line, std::string_view what, std::optional<double> value) {
  if (!value || *value < 0 || *value > kMaxTokens) {
    errors.fail(line, fmt::format("{}: expected a token count in [0, 1e9]", what));
  }
  return std::round(*value);
}

// A CSV whose header names the time, input and output columns.
struct CsvLayout {
  std::size_t time = 0, input = 0, output = 0;
  bool date_time = false;  // the time column holds date-times rather than seconds
  long long base_s = 0;    // the first row's whole seconds, which date-times are taken from
};

CsvLayout csv_layout(const LineError& errors, std::size_t line, std::string_view header, const TraceColumns& columns) {
  const std::vector<std::string_view> names = split_csv(header);
  auto index_of = [&](const std::string& name, std::string_view role) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      errors.fail(line, fmt::format("the header has no {} column '{}' (got columns: {})", role, name,
                                    fmt::join(names, ", ")));
    }
    return static_cast<std::size_t>(it - names.begin());
  };
  return {index_of(columns.time, "time"), index_of(columns.input, "input"), index_of(columns.output, "output")};
}

TimedRequest read_csv_row(const LineError& errors, std::size_t line, std::string_view text, CsvLayout& layout,
                          bool first_row) {
  const std::vector<std::string_view> cells = split_csv(text);
  const std::size_t needed = std::max({layout.time, layout.input, layout.output}) + 1;
  if (cells.size() < needed) {
    errors.fail(line, fmt::format("expected at least {} comma-separated fields (got {})", needed, cells.size()));
  }
  const std::string_view time = cells[layout.time];
  if (first_row) layout.date_time = !parse_number(time).has_value();
  std::optional<double> seconds;
  if (!layout.date_time) {
    seconds = parse_number(time);
  } else if (const std::optional<DateTime> at = parse_date_time(time)) {
    if (first_row) layout.base_s = at->whole_s;
    seconds = static_cast<double>(at->whole_s - layout.base_s) + at->fraction_s;
  }
  if (!seconds) {
    errors.fail(line, fmt::format("time: expected {} (got '{}')",
                                  layout.date_time ? "a date-time YYYY-MM-DD HH:MM:SS[.frac]" : "a number of seconds",
                                  time));
  }
  TimedRequest r;
  r.arrival_s = *seconds;
  r.tokens.input = token_count(errors, line, "input tokens", parse_number(cells[layout.input]));
  r.tokens.output = token_count(errors, line, "output tokens", parse_number(cells[layout.output]));
  return r;
}

std::optional<double> json_number(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

TimedRequest read_json_row(const LineError& errors, std::size_t line, std::string_view text, TraceFormat format) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    errors.fail(line, fmt::format("not a JSON object ({})", e.what()));
  }
  if (!object.is_object()) errors.fail(line, "expected a JSON object, one per line");
  TimedRequest r;
  if (format == TraceFormat::mooncake_jsonl) {
    const auto ms = json_number(object, "timestamp");
    if (!ms) errors.fail(line, "timestamp: expected a number of milliseconds");
    r.arrival_s = *ms / 1000.0;
    r.tokens.input = token_count(errors, line, "input_length", json_number(object, "input_length"));
    r.tokens.output = token_count(errors, line, "output_length", json_number(object, "output_length"));
    return r;
  }
  const auto created = json_number(object, "created");
  if (!created) errors.fail(line, "created: expected a number of seconds");
  const auto usage = object.find("usage");
  if (usage == object.end() || !usage->is_object()) errors.fail(line, "usage: expected an object with prompt_tokens");
  r.arrival_s = *created;
  r.tokens.input = token_count(errors, line, "usage.prompt_tokens", json_number(*usage, "prompt_tokens"));
  r.tokens.output = token_count(errors, line, "usage.completion_tokens", json_number(*usage, "completion_tokens"));
  return r;
}

TraceFormat detect(const LineError& errors, std::size_t line, std::string_view first, bool has_columns) {
  if (!first.empty() && first.front() == '{') {
    try {
      const nlohmann::json object = nlohmann::json::parse(first);
      if (object.contains("timestamp") && object.contains("input_length")) return TraceFormat::mooncake_jsonl;
      if (object.contains("created") && object.contains("usage")) return TraceFormat::openai_jsonl;
    } catch (const nlohmann::json::parse_error& e) {
      errors.fail(line, fmt::format("not a JSON object ({})", e.what()));
    }
    errors.fail(line, "unknown JSON trace: expected Mooncake keys (timestamp, input_length, output_length) or an "
                      "OpenAI-compatible response (created, usage.prompt_tokens, usage.completion_tokens)");
  }
  if (has_columns) return TraceFormat::named_csv;
  const std::vector<std::string_view> names = split_csv(first);
  if (names.size() >= 3 && names[0] == "TIMESTAMP" && names[1] == "ContextTokens" && names[2] == "GeneratedTokens") {
    return TraceFormat::azure_csv;
  }
  errors.fail(line, fmt::format("unknown CSV header '{}': expected the Azure trace's "
                                "TIMESTAMP,ContextTokens,GeneratedTokens, or name the columns with --columns "
                                "time=NAME,input=NAME,output=NAME",
                                first.substr(0, 200)));
}

}  // namespace

std::string_view to_string(TraceFormat format) {
  switch (format) {
    case TraceFormat::automatic: return "automatic";
    case TraceFormat::azure_csv: return "azure_csv";
    case TraceFormat::mooncake_jsonl: return "mooncake_jsonl";
    case TraceFormat::openai_jsonl: return "openai_jsonl";
    case TraceFormat::named_csv: return "named_csv";
  }
  return "automatic";
}

double Trace::mean_rate_per_s() const {
  return requests.size() < 2 ? 0.0 : static_cast<double>(requests.size() - 1) / span_s;
}

Trace read_trace(const std::string& path, TraceFormat format, const std::optional<TraceColumns>& columns) {
  const LineError errors(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) errors.fail_file("cannot open the trace for reading");
  Trace trace;
  trace.file = path;
  CsvLayout layout;
  bool header_read = false, first_row = true;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    const std::string_view row = trim(text);
    if (row.empty()) continue;
    if (!header_read) {
      header_read = true;
      if (format == TraceFormat::automatic) format = detect(errors, line, row, columns.has_value());
      if (format == TraceFormat::named_csv && !columns) errors.fail(line, "a named CSV needs --columns");
      if (format == TraceFormat::azure_csv) {
        layout = csv_layout(errors, line, row, {"TIMESTAMP", "ContextTokens", "GeneratedTokens"});
        continue;
      }
      if (format == TraceFormat::named_csv) {
        layout = csv_layout(errors, line, row, *columns);
        continue;
      }
    }
    if (trace.requests.size() == kMaxRequests) {
      errors.fail(line, fmt::format("more than {} requests; replay a part of the trace", kMaxRequests));
    }
    const bool json = format == TraceFormat::mooncake_jsonl || format == TraceFormat::openai_jsonl;
    trace.requests.push_back(json ? read_json_row(errors, line, row, format)
                                  : read_csv_row(errors, line, row, layout, first_row));
    first_row = false;
  }
  if (in.bad()) errors.fail_file("reading the trace failed");
  trace.format = format;
  if (trace.requests.empty()) errors.fail_file("the trace holds no request");
  std::stable_sort(trace.requests.begin(), trace.requests.end(),
                   [](const TimedRequest& a, const TimedRequest& b) { return a.arrival_s < b.arrival_s; });
  // OpenAI's `created` has one-second resolution: the requests of one second are spread evenly over
  // it rather than replayed as one burst.
  if (format == TraceFormat::openai_jsonl) {
    for (std::size_t i = 0; i < trace.requests.size();) {
      std::size_t j = i;
      while (j < trace.requests.size() && trace.requests[j].arrival_s == trace.requests[i].arrival_s) ++j;
      const double n = static_cast<double>(j - i);
      for (std::size_t k = i; k < j; ++k) trace.requests[k].arrival_s += (static_cast<double>(k - i) + 0.5) / n;
      i = j;
    }
  }
  const double first = trace.requests.front().arrival_s;
  for (TimedRequest& r : trace.requests) r.arrival_s -= first;
  trace.span_s = trace.requests.back().arrival_s;
  if (!(trace.span_s > 0)) {
    errors.fail_file(fmt::format("the trace's {} requests all arrive at one instant: a replay needs a span of time",
                                 trace.requests.size()));
  }
  return trace;
}

}  // namespace tokencast
