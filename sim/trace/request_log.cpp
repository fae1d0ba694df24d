// Reading request logs and traces (Azure CSV, Mooncake JSONL, OpenAI-compatible response logs,
// named CSV), plain or gzip-compressed, line by line in bounded memory; each bad line reported as
// FILE:LINE.
#include "tokencast/request_log.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "tokencast/errors.hpp"

namespace tokencast {
namespace {

constexpr double kMaxTokens = 1e9;
constexpr std::size_t kMaxLineBytes = 16 << 20;  // a longer line is not a log line
constexpr std::size_t kKeptBadLines = 20;

// A line that cannot be read: its message, thrown up to the loop that applies the policy.
struct BadLine {
  std::string message;
};
[[noreturn]] void bad(std::string message) { throw BadLine{std::move(message)}; }

// Lines of a file through zlib, which reads gzip and plain files alike.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ != nullptr) gzbuffer(file_, 1 << 17);
  }
  ~LineReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  bool is_open() const { return file_ != nullptr; }

  // The next line without its end of line; false at the end of the file.
  bool next(std::string_view& line) {
    for (;;) {
      const char* begin = buffer_.data() + start_;
      const char* end = buffer_.data() + filled_;
      const char* newline = static_cast<const char*>(std::memchr(begin, '\n', static_cast<std::size_t>(end - begin)));
      if (newline != nullptr) {
        line = std::string_view(begin, static_cast<std::size_t>(newline - begin));
        start_ = static_cast<std::size_t>(newline - buffer_.data()) + 1;
        return true;
      }
      if (eof_) {
        if (start_ == filled_) return false;
        line = std::string_view(begin, static_cast<std::size_t>(end - begin));
        start_ = filled_;
        return true;
      }
      refill();
    }
  }

 private:
  void refill() {
    // Keep the partial line, then read behind it.
    const std::size_t partial = filled_ - start_;
    if (partial >= kMaxLineBytes) {
      throw InputError({path_, 0, 0}, "",
                       fmt::format("a line longer than {} MiB: not a request log", kMaxLineBytes >> 20));
    }
    if (buffer_.size() < partial + kChunk) buffer_.resize(std::max(2 * buffer_.size(), partial + kChunk));
    std::memmove(buffer_.data(), buffer_.data() + start_, partial);
    start_ = 0;
    filled_ = partial;
    const int read = gzread(file_, buffer_.data() + filled_, static_cast<unsigned>(kChunk));
    if (read < 0) {
      int code = 0;
      const char* message = gzerror(file_, &code);
      throw InputError({path_, 0, 0}, "", fmt::format("reading failed ({})", message != nullptr ? message : "?"));
    }
    filled_ += static_cast<std::size_t>(read);
    if (read == 0) eof_ = true;
  }

  static constexpr std::size_t kChunk = 1 << 20;
  const std::string& path_;
  gzFile file_;
  std::vector<char> buffer_ = std::vector<char>(kChunk);
  std::size_t start_ = 0, filled_ = 0;
  bool eof_ = false;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  return text;
}

// RFC 4180 fields: a field in double quotes may hold commas, and "" for a quote (left doubled in
// the view: the fields read here are numbers, dates, model ids and tags).
void split_csv(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  std::size_t start = 0;
  for (;;) {
    std::size_t at = start;
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
    std::size_t comma = std::string_view::npos;
    if (at < line.size() && line[at] == '"') {
      // The closing quote is the first one not doubled.
      std::size_t close = at + 1;
      for (;;) {
        close = line.find('"', close);
        if (close == std::string_view::npos || close + 1 >= line.size() || line[close + 1] != '"') break;
        close += 2;
      }
      comma = close == std::string_view::npos ? std::string_view::npos : line.find(',', close);
    } else {
      comma = line.find(',', start);
    }
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) return;
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

// "YYYY-MM-DD HH:MM:SS[.frac]" (or with a T), then a Z, an offset +HH:MM / -HH:MM, or nothing (UTC
// assumed): whole seconds since 1970 UTC and the fraction apart.
bool parse_date_time(std::string_view text, LoggedRequest& at) {
  long long offset_s = 0;
  if (!text.empty() && text.back() == 'Z') {
    text.remove_suffix(1);
  } else if (text.size() >= 25 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-') &&
             text[text.size() - 3] == ':') {
    const std::string_view zone = text.substr(text.size() - 6);
    int hours = 0, minutes = 0;
    const auto [h_end, h_error] = std::from_chars(zone.data() + 1, zone.data() + 3, hours);
    const auto [m_end, m_error] = std::from_chars(zone.data() + 4, zone.data() + 6, minutes);
    if (h_error != std::errc() || m_error != std::errc() || h_end != zone.data() + 3 || m_end != zone.data() + 6 ||
        hours > 23 || minutes > 59) {
      return false;
    }
    offset_s = (zone[0] == '-' ? -1LL : 1LL) * (hours * 3600LL + minutes * 60LL);
    text.remove_suffix(6);
  }
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') ||
      text[13] != ':' || text[16] != ':') {
    return false;
  }
  auto field = [&](std::size_t from, std::size_t width) -> std::optional<int> {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data() + from, text.data() + from + width, value);
    if (error != std::errc() || end != text.data() + from + width) return std::nullopt;
    return value;
  };
  const auto year = field(0, 4), month = field(5, 2), day = field(8, 2);
  const auto hour = field(11, 2), minute = field(14, 2), second = field(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return false;
  }
  double fraction = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20) return false;
    // The digits after the point, as a fraction of a second.
    double scale = 0.1;
    for (std::size_t i = 20; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      fraction += scale * (text[i] - '0');
      scale *= 0.1;
    }
  }
  const long long days = days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  at.whole_s = days * 86400 + *hour * 3600LL + *minute * 60LL + *second - offset_s;
  at.fraction_s = fraction;
  return true;
}

double token_count(std::string_view what, std::optional<double> value) {
  if (!value) bad(fmt::format("{}: expected a token count", what));
  if (*value < 0 || *value > kMaxTokens) bad(fmt::format("{}: expected a token count in [0, 1e9] (got {})", what, *value));
  return std::round(*value);
}

// A CSV whose header names the columns it is read by.
struct CsvLayout {
  std::size_t time = 0, input = 0, output = 0;
  std::optional<std::size_t> model, cached, tag;
  std::size_t needed = 0;  // fields a row must have
  bool date_time = false;  // the time column holds date-times rather than seconds
};

CsvLayout csv_layout(std::string_view header, const TraceColumns& columns, const std::string& tag) {
  std::vector<std::string_view> names;
  split_csv(header, names);
  auto index_of = [&](const std::string& name, std::string_view role) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      bad(fmt::format("the header has no {} column '{}' (got columns: {})", role, name, fmt::join(names, ", ")));
    }
    return static_cast<std::size_t>(it - names.begin());
  };
  CsvLayout layout;
  layout.time = index_of(columns.time, "time");
  layout.input = index_of(columns.input, "input");
  layout.output = index_of(columns.output, "output");
  if (!columns.model.empty()) layout.model = index_of(columns.model, "model");
  if (!columns.cached.empty()) layout.cached = index_of(columns.cached, "cached");
  if (!tag.empty()) layout.tag = index_of(tag, "tag");
  layout.needed = std::max({layout.time, layout.input, layout.output, layout.model.value_or(0),
                            layout.cached.value_or(0), layout.tag.value_or(0)}) + 1;
  return layout;
}

void read_csv_row(std::string_view text, CsvLayout& layout, bool first_row, std::vector<std::string_view>& cells,
                  LoggedRequest& r) {
  split_csv(text, cells);
  if (cells.size() < layout.needed) {
    bad(fmt::format("expected at least {} comma-separated fields (got {})", layout.needed, cells.size()));
  }
  const std::string_view time = cells[layout.time];
  if (first_row) layout.date_time = !parse_number(time).has_value();
  bool read = false;
  if (!layout.date_time) {
    if (const auto seconds = parse_number(time)) {
      r.whole_s = 0;
      r.fraction_s = *seconds;
      read = true;
    }
  } else {
    read = parse_date_time(time, r);
  }
  if (!read) {
    bad(fmt::format("time: expected {} (got '{}')",
                    layout.date_time ? "a date-time YYYY-MM-DD HH:MM:SS[.frac]" : "a number of seconds",
                    time.substr(0, 80)));
  }
  r.input = token_count("input tokens", parse_number(cells[layout.input]));
  r.output = token_count("output tokens", parse_number(cells[layout.output]));
  r.cached = layout.cached ? token_count("cached tokens", parse_number(cells[*layout.cached])) : 0.0;
  r.model = layout.model ? cells[*layout.model] : std::string_view();
  r.tag = layout.tag ? cells[*layout.tag] : std::string_view();
}

std::optional<double> json_number(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// The value of `tag` for a JSON request: v of a "TAG:v" entry of request_tags, else metadata.TAG.
void read_json_tag(const nlohmann::json& object, const std::string& tag, std::string& value, LoggedRequest& r) {
  value.clear();
  r.tag = {};
  if (tag.empty()) return;
  if (const auto tags = object.find("request_tags"); tags != object.end() && tags->is_array()) {
    for (const nlohmann::json& entry : *tags) {
      if (!entry.is_string()) continue;
      const std::string& text = entry.get_ref<const std::string&>();
      if (text.size() > tag.size() && text.compare(0, tag.size(), tag) == 0 && text[tag.size()] == ':') {
        value = text.substr(tag.size() + 1);
        r.tag = value;
        return;
      }
    }
  }
  if (const auto metadata = object.find("metadata"); metadata != object.end() && metadata->is_object()) {
    if (const auto it = metadata->find(tag); it != metadata->end() && it->is_string()) {
      value = it->get<std::string>();
      r.tag = value;
    }
  }
}

void read_json_row(std::string_view text, TraceFormat format, const std::string& tag, nlohmann::json& object,
                   std::string& model, std::string& tag_value, LoggedRequest& r) {
  try {
    object = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    bad(fmt::format("not a JSON object ({})", e.what()));
  }
  if (!object.is_object()) bad("expected a JSON object, one per line");
  r.whole_s = 0;
  if (format == TraceFormat::mooncake_jsonl) {
    const auto ms = json_number(object, "timestamp");
    if (!ms) bad("timestamp: expected a number of milliseconds");
    r.fraction_s = *ms / 1000.0;
    r.input = token_count("input_length", json_number(object, "input_length"));
    r.output = token_count("output_length", json_number(object, "output_length"));
    r.cached = 0;
    r.model = {};
    r.tag = {};
    return;
  }
  model.clear();
  if (const auto id = object.find("model"); id != object.end() && id->is_string()) model = id->get<std::string>();
  r.model = model;
  read_json_tag(object, tag, tag_value, r);
  if (format == TraceFormat::litellm_jsonl) {
    const auto start = object.find("startTime");
    bool read = false;
    if (start != object.end() && start->is_string()) {
      read = parse_date_time(start->get_ref<const std::string&>(), r);
    } else if (start != object.end() && start->is_number()) {
      r.whole_s = 0;
      r.fraction_s = start->get<double>();
      read = true;
    }
    if (!read) bad("startTime: expected a date-time YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM] or epoch seconds");
    r.input = token_count("prompt_tokens", json_number(object, "prompt_tokens"));
    r.output = token_count("completion_tokens", json_number(object, "completion_tokens"));
    r.cached = 0;
    return;
  }
  const auto created = json_number(object, "created");
  if (!created) bad("created: expected a number of seconds");
  const auto usage = object.find("usage");
  if (usage == object.end() || !usage->is_object()) bad("usage: expected an object with prompt_tokens");
  r.fraction_s = *created;
  r.input = token_count("usage.prompt_tokens", json_number(*usage, "prompt_tokens"));
  r.output = token_count("usage.completion_tokens", json_number(*usage, "completion_tokens"));
  r.cached = 0;
  if (const auto details = usage->find("prompt_tokens_details"); details != usage->end() && details->is_object()) {
    if (details->contains("cached_tokens") && !(*details)["cached_tokens"].is_null()) {
      r.cached = token_count("usage.prompt_tokens_details.cached_tokens", json_number(*details, "cached_tokens"));
    }
  }
  if (r.cached > r.input) {
    bad(fmt::format("usage.prompt_tokens_details.cached_tokens: more than the prompt (got {}, expected at most {})",
                    r.cached, r.input));
  }
}

TraceFormat detect(std::string_view first, bool has_columns) {
  if (!first.empty() && first.front() == '{') {
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(first);
    } catch (const nlohmann::json::parse_error& e) {
      bad(fmt::format("not a JSON object ({})", e.what()));
    }
    if (object.contains("timestamp") && object.contains("input_length")) return TraceFormat::mooncake_jsonl;
    if (object.contains("created") && object.contains("usage")) return TraceFormat::openai_jsonl;
    if (object.contains("startTime") && object.contains("prompt_tokens")) return TraceFormat::litellm_jsonl;
    bad("unknown JSON log: expected Mooncake keys (timestamp, input_length, output_length), an "
        "OpenAI-compatible response (created, usage.prompt_tokens, usage.completion_tokens) or a LiteLLM spend "
        "log (startTime, model, prompt_tokens, completion_tokens)");
  }
  if (has_columns) return TraceFormat::named_csv;
  std::vector<std::string_view> names;
  split_csv(first, names);
  if (names.size() >= 3 && names[0] == "TIMESTAMP" && names[1] == "ContextTokens" && names[2] == "GeneratedTokens") {
    return TraceFormat::azure_csv;
  }
  auto has = [&](std::string_view name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  if (has("startTime") && has("prompt_tokens") && has("completion_tokens")) return TraceFormat::litellm_csv;
  bad(fmt::format("unknown CSV header '{}': expected the Azure trace's TIMESTAMP,ContextTokens,GeneratedTokens, or "
                  "name the columns with --columns time=NAME,input=NAME,output=NAME",
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
    case TraceFormat::litellm_jsonl: return "litellm_jsonl";
    case TraceFormat::litellm_csv: return "litellm_csv";
  }
  return "automatic";
}

RequestLogStats for_each_logged_request(const std::string& path, const RequestLogOptions& options,
                                        const std::function<void(const LoggedRequest&)>& visit) {
  auto fail_file = [&](const std::string& message) { throw InputError({path, 0, 0}, "", message); };
  LineReader reader(path);
  if (!reader.is_open()) fail_file("cannot open the log for reading");
  RequestLogStats stats;
  TraceFormat format = options.format;
  CsvLayout layout;
  bool header_read = false, first_row = true;
  std::vector<std::string_view> cells;
  nlohmann::json object;
  std::string model, tag_value;
  LoggedRequest r;
  double previous_s = -std::numeric_limits<double>::infinity();
  std::string_view text;
  while (reader.next(text)) {
    const std::size_t line = ++stats.lines;
    const std::string_view row = trim(text);
    if (row.empty()) continue;
    if (std::memchr(row.data(), '\0', row.size()) != nullptr) {
      throw InputError({path, static_cast<int>(std::min<std::size_t>(line, 2'000'000'000)), 0}, "",
                       "binary data (a NUL byte): not a text log");
    }
    bool reading_header = false;
    try {
      if (!header_read) {
        header_read = reading_header = true;
        if (format == TraceFormat::automatic) format = detect(row, options.columns.has_value());
        if (format == TraceFormat::named_csv && !options.columns) bad("a named CSV needs --columns");
        if (format == TraceFormat::azure_csv) {
          layout = csv_layout(row, {"TIMESTAMP", "ContextTokens", "GeneratedTokens", "", ""}, options.tag);
          continue;
        }
        if (format == TraceFormat::litellm_csv) {
          std::vector<std::string_view> names;
          split_csv(row, names);
          const bool named = std::find(names.begin(), names.end(), "model") != names.end();
          layout = csv_layout(row, {"startTime", "prompt_tokens", "completion_tokens", named ? "model" : "", ""},
                              options.tag);
          continue;
        }
        if (format == TraceFormat::named_csv) {
          layout = csv_layout(row, *options.columns, options.tag);
          continue;
        }
        reading_header = false;
      }
      const bool json = format == TraceFormat::mooncake_jsonl || format == TraceFormat::openai_jsonl ||
                        format == TraceFormat::litellm_jsonl;
      if (json) {
        read_json_row(row, format, options.tag, object, model, tag_value, r);
      } else {
        read_csv_row(row, layout, first_row, cells, r);
        first_row = false;
      }
      r.line = line;
      const double at = r.time_s();
      if (options.require_time_order && at < previous_s) {
        bad(fmt::format("the time goes backwards ({:.6f} s before the request above it): sort the log by time",
                        previous_s - at));
      }
      previous_s = std::max(previous_s, at);
    } catch (const BadLine& b) {
      // A header that cannot be read leaves nothing to read the rest by.
      if (options.on_bad_line == BadLinePolicy::fail || reading_header) {
        throw InputError({path, static_cast<int>(std::min<std::size_t>(line, 2'000'000'000)), 0}, "", b.message);
      }
      if (stats.bad_lines == 0) stats.first_bad_message = fmt::format("{}:{}: {}", path, line, b.message);
      if (stats.first_bad_lines.size() < kKeptBadLines) stats.first_bad_lines.push_back(line);
      ++stats.bad_lines;
      continue;
    }
    ++stats.requests;
    visit(r);
  }
  stats.format = format;
  stats.has_clock = format == TraceFormat::azure_csv || format == TraceFormat::openai_jsonl ||
                    format == TraceFormat::litellm_jsonl ||
                    ((format == TraceFormat::named_csv || format == TraceFormat::litellm_csv) && layout.date_time);
  if (stats.requests == 0) {
    fail_file(stats.bad_lines > 0 ? fmt::format("no request could be read ({} bad lines; the first: {})",
                                                stats.bad_lines, stats.first_bad_message)
                                  : std::string("the log holds no request"));
  }
  return stats;
}

}  // namespace tokencast
