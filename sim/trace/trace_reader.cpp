// A whole request trace for replay, read through for_each_logged_request.
#include <algorithm>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/trace.hpp"

namespace tokencast {
namespace {

// Beyond this a trace would take gigabytes (24 bytes a request, before copies).
constexpr std::size_t kMaxRequests = 100'000'000;

}  // namespace

double Trace::mean_rate_per_s() const {
  return requests.size() < 2 ? 0.0 : static_cast<double>(requests.size() - 1) / span_s;
}

Trace read_trace(const std::string& path, TraceFormat format, const std::optional<TraceColumns>& columns) {
  Trace trace;
  trace.file = path;
  RequestLogOptions options;
  options.format = format;
  options.columns = columns;
  // Times from the first request's whole second, so that date-times keep their fractions.
  std::optional<std::int64_t> base_s;
  const RequestLogStats stats = for_each_logged_request(path, options, [&](const LoggedRequest& r) {
    if (trace.requests.size() == kMaxRequests) {
      throw InputError({path, static_cast<int>(std::min<std::size_t>(r.line, 2'000'000'000)), 0}, "",
                       fmt::format("more than {} requests; replay a part of the trace", kMaxRequests));
    }
    if (!base_s) base_s = r.whole_s;
    trace.requests.push_back({static_cast<double>(r.whole_s - *base_s) + r.fraction_s, {r.input, r.output}});
  });
  trace.format = stats.format;
  std::stable_sort(trace.requests.begin(), trace.requests.end(),
                   [](const TimedRequest& a, const TimedRequest& b) { return a.arrival_s < b.arrival_s; });
  // OpenAI's `created` has one-second resolution: the requests of one second are spread evenly over
  // it rather than replayed as one burst.
  if (trace.format == TraceFormat::openai_jsonl) {
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
    throw InputError({path, 0, 0}, "",
                     fmt::format("the trace's {} requests all arrive at one instant: a replay needs a span of time",
                                 trace.requests.size()));
  }
  return trace;
}

}  // namespace tokencast
