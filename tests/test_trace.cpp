// Request traces: the readers of each format (a bad line is FILE:LINE), replaying a trace through a
// pool against the drawn-arrival simulation of the same pool, and superposed copies.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "tokencast/errors.hpp"
#include "tokencast/queueing.hpp"
#include "tokencast/random.hpp"
#include "tokencast/trace.hpp"

using namespace tokencast;
namespace fs = std::filesystem;

namespace {

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("tokencast-trace-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string error_of(const fs::path& path, TraceFormat format = TraceFormat::automatic,
                     std::optional<TraceColumns> columns = std::nullopt) {
  try {
    read_trace(path.string(), format, columns);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("each trace format reads arrivals relative to the first request, in time order", "[trace]") {
  SECTION("Azure CSV, date-times with seven decimals, out of order") {
    const fs::path p = write_file("azure.csv",
                                  "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
                                  "2023-11-16 18:15:46.6805900,374,44\r\n"
                                  "2023-11-16 18:15:50.9951690,396,109\r\n"
                                  "2023-11-16 18:15:45.0000000,10,1\r\n");
    const Trace t = read_trace(p.string());
    CHECK(t.format == TraceFormat::azure_csv);
    REQUIRE(t.requests.size() == 3);
    CHECK(t.requests[0].arrival_s == 0);
    CHECK(t.requests[0].tokens.input == 10);
    CHECK(t.requests[1].arrival_s == Approx(1.68059).epsilon(1e-9));
    CHECK(t.requests[2].arrival_s == Approx(5.995169).epsilon(1e-9));
    CHECK(t.requests[2].tokens.output == 109);
    CHECK(t.span_s == Approx(5.995169));
    CHECK(t.mean_rate_per_s() == Approx(2 / 5.995169));
  }
  SECTION("Mooncake JSONL, milliseconds") {
    const fs::path p = write_file("mooncake.jsonl",
                                  "{\"timestamp\": 1000, \"input_length\": 6955, \"output_length\": 52, "
                                  "\"hash_ids\": [1, 2]}\n\n{\"timestamp\": 3500, \"input_length\": 100, "
                                  "\"output_length\": 7}\n");
    const Trace t = read_trace(p.string());
    CHECK(t.format == TraceFormat::mooncake_jsonl);
    REQUIRE(t.requests.size() == 2);
    CHECK(t.requests[1].arrival_s == Approx(2.5));
    CHECK(t.requests[0].tokens.input == 6955);
  }
  SECTION("OpenAI-compatible responses: requests of one second are spread over it") {
    const fs::path p = write_file("openai.jsonl",
                                  "{\"id\":\"a\",\"created\":1700000000,\"model\":\"m\",\"usage\":{\"prompt_tokens\":"
                                  "10,\"completion_tokens\":5,\"total_tokens\":15}}\n"
                                  "{\"id\":\"b\",\"created\":1700000000,\"usage\":{\"prompt_tokens\":20,"
                                  "\"completion_tokens\":6}}\n"
                                  "{\"id\":\"c\",\"created\":1700000003,\"usage\":{\"prompt_tokens\":30,"
                                  "\"completion_tokens\":7}}\n");
    const Trace t = read_trace(p.string());
    CHECK(t.format == TraceFormat::openai_jsonl);
    REQUIRE(t.requests.size() == 3);
    // 0.25 and 0.75 into the first second, 0.5 into the later one; relative to the first.
    CHECK(t.requests[1].arrival_s == Approx(0.5));
    CHECK(t.requests[2].arrival_s == Approx(3.25));
  }
  SECTION("a CSV with named columns, seconds or date-times") {
    const fs::path p = write_file("named.csv", "t,prompt,completion,user\n10.5,100,20,x\n12,50,5,y\n");
    const Trace t = read_trace(p.string(), TraceFormat::automatic, TraceColumns{"t", "prompt", "completion", "", ""});
    CHECK(t.format == TraceFormat::named_csv);
    CHECK(t.requests[1].arrival_s == Approx(1.5));
    const fs::path q = write_file("named-dates.csv", "when,in,out\n2026-01-01T00:00:00Z,1,1\n2026-01-01T00:01:00Z,2,2\n");
    CHECK(read_trace(q.string(), TraceFormat::named_csv, TraceColumns{"when", "in", "out", "", ""}).span_s == Approx(60));
  }
}

TEST_CASE("a bad trace line is an error at FILE:LINE, an empty trace at FILE", "[trace][bad-input]") {
  const fs::path bad = write_file("bad.csv",
                                  "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n"
                                  "2023-11-16 18:15:47.00,-3,44\n");
  CHECK(error_of(bad) == bad.string() + ":3: error: input tokens: expected a token count in [0, 1e9] (got -3)");
  const fs::path short_row = write_file("short.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374\n");
  CHECK(error_of(short_row).find(short_row.string() + ":2: error: expected at least 3 comma-separated fields") == 0);
  const fs::path bad_time = write_file("bad-time.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-16 18:15:46,1,1\n");
  CHECK(error_of(bad_time).find(bad_time.string() + ":2: error: time: expected") == 0);
  const fs::path bad_json = write_file("bad.jsonl", "{\"timestamp\": 1, \"input_length\": 1, \"output_length\": 1}\n{oops\n");
  CHECK(error_of(bad_json).find(bad_json.string() + ":2: error: not a JSON object") == 0);
  const fs::path missing = write_file("missing.jsonl",
                                      "{\"created\": 1, \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 1}}\n"
                                      "{\"created\": 2, \"usage\": {\"completion_tokens\": 1}}\n");
  CHECK(error_of(missing) == missing.string() + ":2: error: usage.prompt_tokens: expected a token count");
  const fs::path header = write_file("header.csv", "a,b,c\n1,2,3\n");
  CHECK(error_of(header).find(header.string() + ":1: error: unknown CSV header 'a,b,c'") == 0);
  CHECK(error_of(header, TraceFormat::automatic, TraceColumns{"a", "b", "d", "", ""}) ==
        header.string() + ":1: error: the header has no output column 'd' (got columns: a, b, c)");
  const fs::path empty = write_file("empty.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n\n");
  CHECK(error_of(empty) == empty.string() + ": error: the log holds no request");
  const fs::path instant = write_file("instant.jsonl", "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1}\n");
  CHECK(error_of(instant).find("all arrive at one instant") != std::string::npos);
  CHECK(error_of(fs::temp_directory_path() / "tokencast-no-such-trace.csv").find(": error: cannot open") !=
        std::string::npos);
}

TEST_CASE("replaying drawn arrivals gives the waits the drawn-arrival simulation gives", "[trace][queueing]") {
  PoolSimulationConfig config;
  config.replicas = 3;
  config.max_concurrency = 4;
  config.arrival_rate_per_s = 5;
  config.duration_s = 3 * 3600;
  config.warmup_s = 0;
  config.prefill_tokens_per_s = 5000;
  config.decode_tokens_per_s = 400;
  // Given, so that both take the same decode speed (each would otherwise derive its own: from the
  // token moments, and from the trace).
  config.prefill_busy_share = 5.0 * 1000 / 5000 / 3;
  auto lognormal = [](double mean, double cv) {
    const double sigma2 = std::log1p(cv * cv);
    return Dist::lognormal(std::log(mean) - 0.5 * sigma2, std::sqrt(sigma2));
  };
  const Dist input = lognormal(1000, 0.8);
  const Dist output = lognormal(200, 0.7);

  // The arrivals simulate_pool draws: a gap, then the request's tokens, in turn.
  Rng draw = make_stream(3, 0, StreamPurpose::capacity_check);
  std::vector<TimedRequest> trace;
  for (double t = -std::log1p(-draw.uniform01()) / config.arrival_rate_per_s; t < config.duration_s;
       t += -std::log1p(-draw.uniform01()) / config.arrival_rate_per_s) {
    trace.push_back({t, sample_request_tokens(input, output, config.context_tokens, draw)});
  }
  Rng rng = make_stream(3, 0, StreamPurpose::capacity_check);
  const PoolSimulationResult drawn = simulate_pool(config, input, output, rng);
  const PoolSimulationResult replayed = replay_pool(config, trace);
  REQUIRE(drawn.requests == static_cast<std::int64_t>(trace.size()));
  CHECK(replayed.requests == drawn.requests);
  CHECK(drawn.wait_probability > 0.05);  // the pool queues: the comparison means something
  CHECK(replayed.mean_wait_s == drawn.mean_wait_s);
  CHECK(replayed.wait_probability == drawn.wait_probability);
  CHECK(replayed.wait_p95_s == drawn.wait_p95_s);
  CHECK(replayed.ttft_p99_s == drawn.ttft_p99_s);
  // Utilization is over the trace's own span (first to last arrival), a little shorter.
  CHECK(replayed.utilization == Approx(drawn.utilization).epsilon(0.01));
}

TEST_CASE("superposed copies multiply the rate and keep each copy's gaps", "[trace]") {
  std::vector<TimedRequest> trace;
  double t = 0;
  for (int i = 0; i < 2000; ++i) {
    // On/off: bursts of 20 requests 10 ms apart, then a quiet 30 s.
    t += (i % 20 == 0) ? 30.0 : 0.01;
    trace.push_back({t, {100.0 + i % 7, 10.0}});
  }
  Rng rng = make_stream(9, 0, StreamPurpose::capacity_check);
  const std::vector<TimedRequest> three = superpose_copies(trace, 3, rng);
  REQUIRE(three.size() == 3 * trace.size());
  CHECK(std::is_sorted(three.begin(), three.end(),
                       [](const TimedRequest& a, const TimedRequest& b) { return a.arrival_s < b.arrival_s; }));
  // The period is the span plus one mean gap; the copies stay inside it.
  const double span = trace.back().arrival_s - trace.front().arrival_s;
  CHECK(three.back().arrival_s - three.front().arrival_s <= span * (1 + 1.0 / 1999) + 1e-9);
  // Every burst's 10 ms gaps survive: the shortest positive gap is still 10 ms apart at most.
  int short_gaps = 0;
  for (std::size_t i = 1; i < three.size(); ++i) short_gaps += three[i].arrival_s - three[i - 1].arrival_s < 0.0101;
  CHECK(short_gaps >= 3 * 19 * 100 - 3 * 100);  // nearly all in-burst gaps, a few split by another copy's burst
  // A fractional copy thins: 2.5 copies hold 2 n + Binomial(n, 0.5) requests, within 5 standard errors.
  const std::vector<TimedRequest> part = superpose_copies(trace, 2.5, rng);
  CHECK(std::fabs(static_cast<double>(part.size()) - 2.5 * 2000) <= 5 * std::sqrt(2000 * 0.25));
}
