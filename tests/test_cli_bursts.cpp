// Bursts below the hour through the real binary: `traffic.arrivals` sizes the latency rule by
// simulating the pool, and a generated on/off trace with interarrival scv above 100, replayed at
// the recommended replicas, holds the objective where one fewer does not (issue 12's bar).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "result_json.hpp"
#include "tokencast/random.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kPeakRatio = 10, kOnShare = 0.1, kMeanOnS = 60;

// A flat month of constant volume whose requests arrive on/off within each hour.
std::string bursty_scenario(double requests_per_month) {
  return fmt::format(R"(
[scenario]
name = "on/off bursts"
trials = 200
seed = 3

[[workload]]
name = "agent"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
requests_per_month = {}
input_tokens = {{ dist = "lognormal", mean = 1000, cv = 0.8 }}
output_tokens = {{ dist = "lognormal", mean = 250, cv = 0.8 }}

[workload.traffic]
hourly_weights = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]
arrivals = {{ model = "onoff", peak_ratio = {}, on_share = {}, mean_on_s = {} }}

[[dedicated]]
name = "pool"
model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
usd_per_gpu_hour = 4.0
gpus_per_replica = 2
prefill_tokens_per_s = 10000
decode_tokens_per_s = 1500
max_concurrency = 16
replicas = "auto"
slo = {{ ttft_p95_s = 1.0 }}
)",
                     requests_per_month, kPeakRatio, kOnShare, kMeanOnS);
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

double lognormal(double mean, double cv, tokencast::Rng& rng) {
  const double s2 = std::log1p(cv * cv);
  const double u1 = 1.0 - rng.uniform01(), u2 = rng.uniform01();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return std::exp(std::log(mean) - 0.5 * s2 + std::sqrt(s2) * z);
}

// The on/off process written out independently of the library's generator: alternating
// exponential on and off periods (mean on kMeanOnS, mean off kMeanOnS (1 - p) / p), Poisson at
// rate / p while on and nothing while off, as Mooncake JSONL. Returns the interarrival scv.
double write_onoff_trace(const fs::path& path, double rate, double span_s, std::uint64_t seed) {
  tokencast::Rng rng(seed);
  auto exponential = [&](double mean) { return -mean * std::log1p(-rng.uniform01()); };
  std::ofstream out(path);
  const double on_rate = kPeakRatio * rate, mean_off_s = kMeanOnS * (1 - kOnShare) / kOnShare;
  double t = 0, last = -1, sum = 0, sum2 = 0;
  double gaps = 0;
  bool on = rng.uniform01() < kOnShare;
  while (t < span_s) {
    const double end = t + exponential(on ? kMeanOnS : mean_off_s);
    if (on) {
      for (double a = t + exponential(1 / on_rate); a < end; a += exponential(1 / on_rate)) {
        out << fmt::format("{{\"timestamp\": {:.3f}, \"input_length\": {}, \"output_length\": {}}}\n", a * 1000,
                           std::max(1L, std::lround(lognormal(1000, 0.8, rng))),
                           std::max(1L, std::lround(lognormal(250, 0.8, rng))));
        if (last >= 0) {
          sum += a - last;
          sum2 += (a - last) * (a - last);
          gaps += 1;
        }
        last = a;
      }
    }
    t = end;
    on = !on;
  }
  const double mean = sum / gaps;
  return (sum2 / gaps - mean * mean) / (mean * mean);
}

}  // namespace

TEST_CASE("an on/off trace with interarrival scv above 100 holds the objective at the recommended replicas and "
          "not at one fewer", "[cli][bursts]") {
  // About 2 requests/s on average: 20/s in minute-long bursts, every ten minutes.
  const fs::path scenario = write("tokencast-onoff.toml", bursty_scenario(2.0 * 3600 * 730));
  const json run = run_json("capacity " + shell_quote(scenario.string()) + " --format json");
  const json& option = run["models"][0]["dedicated"];
  const json& slo = option["slo"];
  CHECK(slo["method"] == "simulation");
  CHECK(slo["arrivals"].get<std::string>().find("on/off") != std::string::npos);
  REQUIRE(slo["feasible"] == true);
  const int chosen = option["replicas"].get<int>();
  CHECK(chosen == slo["replicas"].get<int>());  // the latency rule binds, not the utilization rule
  const double rate = slo["peak_arrival_rate_per_s"].get<double>();

  // A trace of 400 cycles at the sizing peak, from a generator written here.
  const fs::path trace = fs::temp_directory_path() / "tokencast-onoff-trace.jsonl";
  const double scv = write_onoff_trace(trace, rate, 400 * kMeanOnS / kOnShare, 77);
  INFO("interarrival scv of the trace " << scv << ", closed form " << slo["interarrival_scv"].get<double>());
  CHECK(scv > 100);
  CHECK(scv == Approx(slo["interarrival_scv"].get<double>()).epsilon(0.25));

  const json replay =
      run_json("capacity " + shell_quote(scenario.string()) + " --format json --replay " + shell_quote(trace.string()));
  const json& points = replay["replay"]["options"][0]["points"];
  REQUIRE(points.size() == 3);
  std::string measured;
  for (const json& p : points) measured += fmt::format(" {}: {:.3f} s;", p["replicas"].get<int>(), p["ttft_p95_s"].get<double>());
  INFO("replayed TTFT p95 at R-1, R, R+1:" << measured << " analytic closed form "
                                            << slo["simulation"]["analytic_replicas"]);
  CHECK(points[0]["replicas"] == chosen - 1);
  CHECK(points[0]["objective_met"] == false);
  CHECK(points[1]["replicas"] == chosen);
  CHECK(points[1]["objective_met"] == true);
  CHECK(points[2]["objective_met"] == true);
  WARN("on/off bar: recommended " << chosen << " replicas (closed form " << slo["simulation"]["analytic_replicas"]
                                  << "); trace scv " << scv << "; replayed TTFT p95" << measured);
  fs::remove(trace);
  fs::remove(scenario);
}

TEST_CASE("bad arrivals are errors at their key path", "[cli][bursts][bad-input]") {
  auto error_of = [](const std::string& arrivals) {
    std::string text = bursty_scenario(1e6);
    const std::size_t at = text.find("arrivals = {");
    const std::size_t end = text.find('}', at);
    text.replace(at, end + 1 - at, "arrivals = " + arrivals);
    const fs::path path = write("tokencast-bad-arrivals.toml", text);
    const CliResult r = run_cli("validate " + shell_quote(path.string()));
    CHECK(r.exit_code == 2);
    fs::remove(path);
    return r.err;
  };
  CHECK_THAT(error_of(R"({ model = "onoff", peak_ratio = 10, on_share = 0.2, mean_on_s = 60 })"),
             Catch::Contains("workload[0].traffic.arrivals.on_share: the on periods alone would bring more than the "
                             "mean rate (got on_share 0.2 x peak_ratio 10 = 2, expected at most 1)"));
  CHECK_THAT(error_of(R"({ model = "mmpp3" })"),
             Catch::Contains("workload[0].traffic.arrivals.model: got 'mmpp3', expected \"poisson\", \"renewal\" or "
                             "\"onoff\""));
  CHECK_THAT(error_of(R"({ model = "onoff", peak_ratio = 10, on_share = 0.1 })"),
             Catch::Contains("workload[0].traffic.arrivals.mean_on_s"));
  CHECK_THAT(error_of(R"({ model = "renewal", scv = -1 })"), Catch::Contains("workload[0].traffic.arrivals.scv"));
  CHECK_THAT(error_of(R"({ model = "poisson", scv = 2 })"), Catch::Contains("workload[0].traffic.arrivals"));
}

TEST_CASE("cached prompt tokens lower a capacity option's prefill work, not only the serverless price",
          "[cli][capacity][cached]") {
  auto run_with_cache = [](double share) {
    std::string text = bursty_scenario(2.0 * 3600 * 730);
    const std::size_t at = text.find("arrivals = {");
    text.erase(at, text.find('\n', at) + 1 - at);  // Poisson: the closed form alone
    const std::size_t tokens = text.find("output_tokens");
    text.insert(tokens, fmt::format("cached_input_share = {}\n", share));
    const fs::path path = write("tokencast-cached.toml", text);
    const CliResult r = run_cli("run " + shell_quote(path.string()) + " --trials 100 --format json");
    fs::remove(path);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  };
  const json none = run_with_cache(0.0), half = run_with_cache(0.5);
  const json& a = none["models"][0]["dedicated"]["slo"];
  const json& b = half["models"][0]["dedicated"]["slo"];
  CHECK(a["method"] == "analytic");
  // Each request prefills half its prompt: the prefill mean and p95 halve exactly, the slot time
  // drops by that much, and the pool needs no more replicas.
  CHECK(b["prefill_mean_s"].get<double>() == Approx(0.5 * a["prefill_mean_s"].get<double>()).epsilon(1e-12));
  CHECK(b["prefill_p95_s"].get<double>() == Approx(0.5 * a["prefill_p95_s"].get<double>()).epsilon(1e-12));
  CHECK(a["mean_service_s"].get<double>() - b["mean_service_s"].get<double>() ==
        Approx(0.5 * a["prefill_mean_s"].get<double>()).epsilon(1e-9));
  CHECK(b["utilization"].get<double>() < a["utilization"].get<double>());
  CHECK(half["models"][0]["dedicated"]["replicas"].get<int>() <= none["models"][0]["dedicated"]["replicas"].get<int>());
}

TEST_CASE("a typed decode fixed share reaches the sizing, and bad ones are errors at the key",
          "[cli][capacity][decode]") {
  auto scenario_with = [](const std::string& line) {
    std::string text = bursty_scenario(2.0 * 3600 * 730);
    const std::size_t at = text.find("arrivals = {");
    text.erase(at, text.find('\n', at) + 1 - at);  // Poisson: the closed form alone
    text.insert(text.find("max_concurrency"), line);
    return write("tokencast-decode-share.toml", text);
  };
  auto sized = [&](double f) {
    const fs::path path = scenario_with(fmt::format("decode_fixed_share = {}\n", f));
    const json j = run_json("run " + shell_quote(path.string()) + " --trials 100 --format json");
    fs::remove(path);
    return j["models"][0]["dedicated"];
  };
  const json one = sized(1.0), half = sized(0.3);
  CHECK(one["slo"]["decode_fixed_share"].get<double>() == 1.0);
  CHECK(half["slo"]["decode_fixed_share"].get<double>() == 0.3);
  // Decode is no slower at any occupancy: no more replicas, and no higher a predicted wait.
  CHECK(half["slo"]["replicas"].get<int>() <= one["slo"]["replicas"].get<int>());
  CHECK(half["slo"]["wait_probability"].get<double>() <= one["slo"]["wait_probability"].get<double>());
  // The slot time at a full batch, which utilization counts, does not depend on it.
  CHECK(half["slo"]["mean_service_s"].get<double>() == Approx(one["slo"]["mean_service_s"].get<double>()));

  for (const std::string bad : {"decode_fixed_share = 0\n", "decode_fixed_share = 1.5\n"}) {
    const fs::path path = scenario_with(bad);
    const CliResult r = run_cli("validate " + shell_quote(path.string()));
    fs::remove(path);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("dedicated[0].decode_fixed_share"));
  }
}
