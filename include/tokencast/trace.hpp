#pragma once
// Request traces read for replay (`tokencast capacity --replay TRACE`): arrival times and token
// counts from the formats serving logs come in. Formats and their fields: docs/capacity.md,
// "Replaying a trace".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/queueing.hpp"

namespace tokencast {

enum class TraceFormat {
  automatic,       // from the extension and the first line (header or first object)
  azure_csv,       // TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM inference trace)
  mooncake_jsonl,  // {"timestamp": ms, "input_length": n, "output_length": n}
  openai_jsonl,    // {"created": s, "usage": {"prompt_tokens": n, "completion_tokens": n}}
  named_csv,       // a CSV with a header, its columns named by TraceColumns
};
std::string_view to_string(TraceFormat format);

// The columns of a named CSV: time (seconds, or a date-time "YYYY-MM-DD[ T]HH:MM:SS[.frac]"),
// input tokens and output tokens.
struct TraceColumns {
  std::string time, input, output;
};

struct Trace {
  std::string file;
  TraceFormat format = TraceFormat::automatic;
  std::vector<TimedRequest> requests;  // in time order; arrival_s from the first request (0)
  double span_s = 0;                   // last arrival - first
  double mean_rate_per_s() const;      // requests over the span (per mean gap)
};

// Reads a whole trace, line by line. A line that cannot be read is an InputError at FILE:LINE;
// an empty trace, or one whose requests all arrive at once, is an InputError at FILE.
Trace read_trace(const std::string& path, TraceFormat format = TraceFormat::automatic,
                 const std::optional<TraceColumns>& columns = std::nullopt);

}  // namespace tokencast
