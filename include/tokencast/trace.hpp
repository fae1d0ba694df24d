#pragma once
// Request traces read for replay (`tokencast capacity --replay TRACE`): arrival times and token
// counts from the formats serving logs come in. Formats and their fields: docs/capacity.md,
// "Replaying a trace".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/queueing.hpp"
#include "tokencast/request_log.hpp"

namespace tokencast {

struct Trace {
  std::string file;
  TraceFormat format = TraceFormat::automatic;
  std::vector<TimedRequest> requests;  // in time order; arrival_s from the first request (0)
  double span_s = 0;                   // last arrival - first
  double mean_rate_per_s() const;      // requests over the span (per mean gap)
};

// Reads a whole trace (for_each_logged_request: any log format, plain or gzip). A line that
// cannot be read is an InputError at FILE:LINE; an empty trace, or one whose requests all arrive
// at once, is an InputError at FILE. Requests are put in time order.
Trace read_trace(const std::string& path, TraceFormat format = TraceFormat::automatic,
                 const std::optional<TraceColumns>& columns = std::nullopt);

}  // namespace tokencast
