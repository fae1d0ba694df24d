#pragma once
// Requests read one at a time from the logs and traces serving systems write (Azure LLM inference
// trace CSV, Mooncake JSONL, OpenAI-compatible response JSONL, a CSV with named columns), plain
// or gzip-compressed. Streaming: memory does not grow with the file. A line that cannot be read
// is reported as FILE:LINE. Formats and fields: docs/fitting.md, "Reading logs".
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokencast {

enum class TraceFormat {
  automatic,       // from the first line (header or first object)
  azure_csv,       // TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM inference trace)
  mooncake_jsonl,  // {"timestamp": ms, "input_length": n, "output_length": n}
  openai_jsonl,    // {"created": s, "model": id, "usage": {"prompt_tokens": n, "completion_tokens": n,
                   //  "prompt_tokens_details": {"cached_tokens": n}}}
  named_csv,       // a CSV with a header, its columns named by TraceColumns
  litellm_jsonl,   // LiteLLM spend logs, one object a line: startTime, model, prompt_tokens,
                   // completion_tokens, request_tags ["key:value", ...], metadata
  litellm_csv,     // a LiteLLM spend-log CSV export: startTime, model, prompt_tokens, completion_tokens
};
std::string_view to_string(TraceFormat format);

// The columns of a named CSV: time (seconds, or a date-time "YYYY-MM-DD[ T]HH:MM:SS[.frac]"),
// input tokens and output tokens; optionally the model and the cached prompt tokens.
struct TraceColumns {
  std::string time, input, output;
  std::string model, cached;  // empty: none
};

struct LoggedRequest {
  // When it arrived: whole seconds plus a fraction, kept apart so that date-times keep their
  // sub-microsecond part. On the log's clock: seconds since 1970-01-01 UTC where the log carries
  // dates or epoch seconds (Azure, OpenAI, a CSV of date-times), else its own origin (Mooncake's
  // milliseconds, a CSV of seconds).
  std::int64_t whole_s = 0;
  double fraction_s = 0;
  double time_s() const { return static_cast<double>(whole_s) + fraction_s; }
  double input = 0, output = 0, cached = 0;  // tokens (cached: of the input)
  std::string_view model;                    // empty when the log names none; valid in the callback
  std::string_view tag;                      // the value of RequestLogOptions::tag, empty when absent
  std::size_t line = 0;
};

enum class BadLinePolicy {
  fail,  // the first bad line is an InputError at FILE:LINE
  skip,  // bad lines are counted, their numbers kept, and reading goes on
};

struct RequestLogStats {
  TraceFormat format = TraceFormat::automatic;
  bool has_clock = false;     // times are on the calendar (see LoggedRequest)
  std::size_t lines = 0;      // lines read, header and blank lines included
  std::size_t requests = 0;   // requests passed on
  std::size_t bad_lines = 0;  // skipped (BadLinePolicy::skip)
  std::vector<std::size_t> first_bad_lines;  // the first 20 of them
  std::string first_bad_message;             // FILE:LINE: what was wrong with the first
};

struct RequestLogOptions {
  TraceFormat format = TraceFormat::automatic;
  std::optional<TraceColumns> columns;
  BadLinePolicy on_bad_line = BadLinePolicy::fail;
  bool require_time_order = false;  // a request earlier than the one before is a bad line
  // A tag to read with each request: a CSV's column of that name; in JSON, the value v of a
  // "TAG:v" entry of request_tags (LiteLLM), else metadata.TAG.
  std::string tag;
};

// Calls `visit` for each request of the log at `path`, in file order. Throws InputError at FILE
// when the file cannot be read, is binary or holds no request; at FILE:LINE for a bad line under
// BadLinePolicy::fail (and for a bad header under either policy).
RequestLogStats for_each_logged_request(const std::string& path, const RequestLogOptions& options,
                                        const std::function<void(const LoggedRequest&)>& visit);

}  // namespace tokencast
