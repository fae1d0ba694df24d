// `tokencast fit`: logs generated here with known laws, volume, daily shape and input/output
// correlation are fitted back (within standard errors); the shared Azure trace is fitted and the
// result runs; bad logs are errors at FILE:LINE; the histogram law (docs/fitting.md).
#include <catch2/catch.hpp>

#include <zlib.h>

#include <array>
#include <cstdio>
#include <map>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>

#include <boost/math/distributions/normal.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/distribution.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/log_fit.hpp"
#include "tokencast/random.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/token_moments.hpp"

using namespace tokencast;
using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kModel = "meta-llama/Llama-3.3-70B-Instruct-Turbo";
constexpr double kInputMean = 800, kInputCv = 0.7, kOutputMean = 200, kOutputCv = 0.5;
constexpr double kRatePerS = 0.5, kRho = 0.4;
// The daily shape the generator follows (hour 0 first, UTC), mean 1.
constexpr std::array<double, 24> kShape = {0.4, 0.3, 0.3, 0.3, 0.4, 0.6, 0.8, 1.0, 1.3, 1.5, 1.6, 1.6,
                                           1.5, 1.5, 1.6, 1.6, 1.5, 1.3, 1.1, 1.0, 0.9, 0.8, 0.6, 0.5};

Dist lognormal_by(double mean, double cv) {
  const double s2 = std::log1p(cv * cv);
  return Dist::lognormal(std::log(mean) - 0.5 * s2, std::sqrt(s2));
}

std::string date_time(double epoch_s) {
  const auto whole = static_cast<long long>(std::floor(epoch_s));
  const long long days = whole / 86400, rest = whole % 86400;
  // Civil date from days (H. Hinnant's civil_from_days).
  const long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:09.6f}", y, m, d, rest / 3600, rest / 60 % 60,
                     static_cast<double>(rest % 60) + (epoch_s - std::floor(epoch_s)));
}

struct Generated {
  std::size_t requests = 0;
  double input_sum = 0, output_sum = 0;
};

// A named CSV (time,input,output,model) of `days` days from 2026-03-02 00:00 UTC (a Monday):
// Poisson arrivals at kRatePerS x kShape[hour], lognormal inputs and gamma outputs joined by a
// Gaussian copula of correlation kRho.
Generated write_log(const fs::path& path, double days, std::uint64_t seed) {
  std::ofstream out(path);
  out << "time,input,output,model\n";
  Rng rng = make_stream(seed, 0, StreamPurpose::traffic);
  const Dist input = lognormal_by(kInputMean, kInputCv);
  const Dist output = Dist::gamma(1 / (kOutputCv * kOutputCv), kOutputMean * kOutputCv * kOutputCv);
  const boost::math::normal standard;
  const double start = 20514.0 * 86400;  // 2026-03-02
  double t = 0;
  Generated g;
  for (;;) {
    // Exponential gaps at the hour's rate; a gap that crosses the hour restarts there (memoryless).
    const auto hour = static_cast<std::size_t>(std::fmod(t / 3600, 24));
    const double rate = kRatePerS * kShape[hour];
    const double gap = -std::log1p(-rng.uniform01()) / rate;
    const double hour_end = (std::floor(t / 3600) + 1) * 3600;
    if (t + gap >= hour_end) {
      t = hour_end;
      if (t >= days * 86400) break;
      continue;
    }
    t += gap;
    if (t >= days * 86400) break;
    const double z1 = boost::math::quantile(standard, std::clamp(rng.uniform01(), 1e-12, 1 - 1e-12));
    const double e = boost::math::quantile(standard, std::clamp(rng.uniform01(), 1e-12, 1 - 1e-12));
    const double z2 = kRho * z1 + std::sqrt(1 - kRho * kRho) * e;
    const double in = std::max(1.0, std::round(input.quantile(boost::math::cdf(standard, z1))));
    const double outp = std::max(1.0, std::round(output.quantile(boost::math::cdf(standard, z2))));
    out << date_time(start + t) << ',' << in << ',' << outp << ',' << kModel << '\n';
    ++g.requests;
    g.input_sum += in;
    g.output_sum += outp;
  }
  return g;
}

FitOptions csv_options() {
  FitOptions o;
  o.log.format = TraceFormat::named_csv;
  o.log.columns = TraceColumns{"time", "input", "output", "model", ""};
  return o;
}

// Standard error of a sample cv (delta method) for a law with these raw moments.
double cv_standard_error(double m1, double m2, double m3, double m4, double n) {
  const double var = m2 - m1 * m1;
  const double mu3 = m3 - 3 * m1 * m2 + 2 * m1 * m1 * m1;
  const double mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1;
  const double sd = std::sqrt(var);
  // cv = sd / mean: gradient in (mean, variance) and their covariance.
  const double d_mean = -sd / (m1 * m1), d_var = 1 / (2 * sd * m1);
  const double v_mean = var / n, v_var = (mu4 - var * var) / n, c = mu3 / n;
  return std::sqrt(d_mean * d_mean * v_mean + d_var * d_var * v_var + 2 * d_mean * d_var * c);
}

}  // namespace

TEST_CASE("the histogram law: closed-form moments, quantiles, scale, and its TOML", "[fit][distribution]") {
  const std::vector<double> edges{0, 10, 30}, cumulative{0.5, 1.0};
  const Dist h = Dist::histogram(edges, cumulative, 1.0);
  CHECK(h.mean() == Approx(12.5));
  CHECK(h.variance() == Approx(0.5 * 100.0 / 3 + 0.5 * 1300.0 / 3 - 12.5 * 12.5));
  CHECK(h.quantile(0.25) == Approx(5));
  CHECK(h.quantile(0.75) == Approx(20));
  CHECK(h.cdf(20) == Approx(0.75));
  const Dist scaled = Dist::histogram(edges, cumulative, 2.0);
  CHECK(scaled.mean() == Approx(25));
  CHECK(scaled.quantile(0.75) == Approx(40));
  CHECK(scaled.cdf(40) == Approx(0.75));
  // Draws: the mean within 4 standard errors.
  Rng rng(11);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += scaled.sample(rng);
  CHECK(std::abs(sum / n - 25) < 4 * std::sqrt(4 * h.variance() / n));

  const Scenario s = load_scenario_text(fmt::format(R"(
[scenario]
name = "histogram"
[[workload]]
name = "w"
model = "{}"
requests_per_month = 1000
input_tokens = {{ dist = "histogram", edges = [0, 10, 30], weights = [1, 1], scale = {{ dist = "uniform", min = 1.5, max = 2.5 }} }}
output_tokens = {{ dist = "histogram", edges = [0, 10, 30], weights = [1, 1] }}
)",
                                                    kModel),
                                        "h.toml");
  Rng draw(3);
  const Dist input = s.workloads[0].input_tokens.resolve(draw);
  CHECK(input.kind() == DistKind::histogram);
  CHECK(input.mean() > 12.5 * 1.5);
  CHECK(input.mean() < 12.5 * 2.5);
  CHECK(s.workloads[0].output_tokens.resolve(draw).mean() == Approx(12.5));
  // Written back and read again: the same law.
  const Scenario again = load_scenario_text(scenario_toml(s), "again.toml");
  CHECK(again.workloads[0].output_tokens.describe() == s.workloads[0].output_tokens.describe());

  auto error_of = [](const std::string& law) {
    try {
      (void)load_scenario_text(fmt::format("[scenario]\nname = \"h\"\n[[workload]]\nname = \"w\"\nmodel = \"{}\"\n"
                                           "requests_per_month = 1000\ninput_tokens = {}\noutput_tokens = 10\n",
                                           kModel, law),
                               "bad.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of(R"({ dist = "histogram", edges = [0, 30, 10], weights = [1, 1] })"),
             Catch::Contains("workload[0].input_tokens.edges"));
  CHECK_THAT(error_of(R"({ dist = "histogram", edges = [0, 10, 30], weights = [1] })"),
             Catch::Contains("workload[0].input_tokens.weights"));
  CHECK_THAT(error_of(R"({ dist = "histogram", edges = [0, 10, 30], weights = [1, 1], scale = -1 })"),
             Catch::Contains("workload[0].input_tokens.scale"));
}

TEST_CASE("fit recovers the laws, volume, daily shape and rank correlation of a generated log", "[fit]") {
  TempDir dir;
  const fs::path log = dir.path() / "generated.csv";
  const Generated g = write_log(log, 3.0, 17);
  const FitResult fit = fit_logs({log.string()}, csv_options(), builtin_catalog());
  REQUIRE(fit.workloads.size() == 1);
  const FittedWorkload& w = fit.workloads[0];
  CHECK(w.model == kModel);
  CHECK(w.requests == g.requests);
  const double n = static_cast<double>(g.requests);
  INFO(fit.scenario_toml);

  // Means: the data's exactly, and the true ones within 4 standard errors.
  CHECK(w.input.mean == Approx(g.input_sum / n).epsilon(1e-12));
  CHECK(std::abs(w.input.mean - kInputMean) < 4 * kInputMean * kInputCv / std::sqrt(n));
  CHECK(std::abs(w.output.mean - kOutputMean) < 4 * kOutputMean * kOutputCv / std::sqrt(n));
  // The chosen laws: the generating families, their means within 1% of the data's, KS <= 0.02.
  const FittedCandidate& in = w.input.candidates[w.input.chosen];
  const FittedCandidate& out = w.output.candidates[w.output.chosen];
  CHECK(in.name == "lognormal");
  CHECK(out.name == "gamma");
  CHECK(in.ks <= 0.02);
  CHECK(out.ks <= 0.02);
  CHECK(std::abs(in.mean / w.input.mean - 1) < 0.01);
  CHECK(std::abs(out.mean / w.output.mean - 1) < 0.01);
  for (const FittedTokenLaw* law : {&w.input, &w.output}) {
    for (const FittedCandidate& c : law->candidates) CHECK(std::abs(c.mean / law->mean - 1) < 0.01);
  }
  // The cv of the chosen lognormal within 4 standard errors of the true one (from the law's
  // moments: E X^k = exp(k mu + k^2 s2 / 2)).
  {
    const double s2 = std::log1p(kInputCv * kInputCv), mu = std::log(kInputMean) - 0.5 * s2;
    auto raw = [&](double k) { return std::exp(k * mu + 0.5 * k * k * s2); };
    const double se = cv_standard_error(raw(1), raw(2), raw(3), raw(4), n);
    const Dist chosen = w.input.law.resolve(*std::make_unique<Rng>(1));
    const double cv = std::sqrt(chosen.variance()) / chosen.mean();
    CHECK(std::abs(cv - kInputCv) < 4 * se + 0.002);  // + rounding to whole tokens
  }
  // Volume: Poisson counts, so the rate within 4 standard errors.
  const double true_per_month = kRatePerS * 730 * 3600;
  CHECK(std::abs(w.requests_per_month / true_per_month - 1) < 4 / std::sqrt(n));
  CHECK(w.requests_per_month_sd > 0);
  // The daily shape: each hour's weight within 4 Poisson standard errors (3 days of that hour).
  REQUIRE(w.hourly_weights);
  for (std::size_t h = 0; h < 24; ++h) {
    const double expected = kRatePerS * kShape[h] * 3600 * 3;
    INFO("hour " << h);
    CHECK(std::abs((*w.hourly_weights)[h] - kShape[h]) < 4 * kShape[h] / std::sqrt(expected) + 0.002);
  }
  CHECK_FALSE(w.weekend_factor);  // under two weeks
  CHECK_FALSE(w.monthly_growth);
  REQUIRE(w.burstiness);
  CHECK(*w.burstiness < 0.05);  // Poisson around the daily shape
  // Spearman of a Gaussian copula: (6 / pi) asin(rho / 2), within 4 standard errors of 20,000.
  const double spearman = 6 / std::numbers::pi * std::asin(kRho / 2);
  CHECK(std::abs(w.spearman - spearman) < 4 * 1.06 / std::sqrt(20000.0));

  // What fit writes, run reads as it is, with the fitted means.
  const Scenario s = load_scenario_text(fit.scenario_toml, "fitted.toml");
  REQUIRE(s.workloads.size() == 1);
  CHECK(s.workloads[0].traffic.hourly_weights);
  // The rank correlation is written, to three decimals, and drawn through the copula.
  CHECK(s.workloads[0].input_output_correlation == Approx(w.spearman).margin(5e-4));
}

TEST_CASE("fit reads gzip as plain, and a log in two files as one", "[fit]") {
  TempDir dir;
  const fs::path log = dir.path() / "generated.csv";
  write_log(log, 0.25, 5);
  const std::string text = slurp(log);
  const fs::path gz = dir.path() / "generated.csv.gz";
  gzFile file = gzopen(gz.string().c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
  gzclose(file);
  const FitResult plain = fit_logs({log.string()}, csv_options(), builtin_catalog());
  const FitResult zipped = fit_logs({gz.string()}, csv_options(), builtin_catalog());
  auto body = [](const std::string& toml) { return toml.substr(toml.find("# Workload")); };  // past the file names
  CHECK(body(plain.scenario_toml) == body(zipped.scenario_toml));

  // The same log cut in two: the same requests and means.
  const std::size_t middle = text.find('\n', text.size() / 2) + 1;
  const fs::path head = dir.write("head.csv", text.substr(0, middle));
  const fs::path tail = dir.write("tail.csv", "time,input,output,model\n" + text.substr(middle));
  const FitResult split = fit_logs({head.string(), tail.string()}, csv_options(), builtin_catalog());
  CHECK(split.workloads[0].requests == plain.workloads[0].requests);
  CHECK(split.workloads[0].input.mean == plain.workloads[0].input.mean);
  // Out of order: the second file first.
  CHECK_THROWS_AS(fit_logs({tail.string(), head.string()}, csv_options(), builtin_catalog()), InputError);
}

TEST_CASE("fit on the shared Azure conversation trace: means kept, KS at most 0.02, and run accepts it",
          "[fit][shared-data][cli]") {
  const fs::path trace = fs::path(TOKENCAST_SHARED_DIR) / "data" / "traces" / "AzureLLMInferenceTrace_conv_2023.csv";
  if (!fs::exists(trace)) {
    WARN("shared Azure trace absent: skipped");
    return;
  }
  TempDir dir;
  const fs::path scenario = dir.path() / "fitted.toml";
  const CliResult r = run_cli("fit " + shell_quote(trace.string()) + " --model " + kModel + " -o " +
                              shell_quote(scenario.string()) + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  const json& w = j["workloads"][0];
  for (const char* side : {"input_tokens", "output_tokens"}) {
    const json& law = w[side];
    const json& chosen = law["candidates"][law["chosen"].get<std::size_t>()];
    INFO(side << ": " << law.dump());
    CHECK(chosen["ks"].get<double>() <= 0.02);
    CHECK(std::abs(chosen["mean"].get<double>() / law["mean"].get<double>() - 1) < 0.01);
  }
  CHECK(w["requests"].get<int>() == 19366);
  WARN("Azure conversation trace fitted: " << w.dump());
  const CliResult run = run_cli("run " + shell_quote(scenario.string()) + " --trials 200");
  INFO(run.err);
  CHECK(run.exit_code == 0);
}

TEST_CASE("bad logs are errors at FILE:LINE, and fit then writes nothing", "[fit][cli][bad-input]") {
  TempDir dir;
  const fs::path out = dir.path() / "out.toml";
  auto fails = [&](const std::string& name, const std::string& contents, const std::string& expected) {
    const fs::path log = dir.write(name, contents);
    const CliResult r = run_cli("fit " + shell_quote(log.string()) + " --model " + kModel + " -o " +
                                shell_quote(out.string()));
    INFO(name << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(log.string() + expected));
    CHECK_FALSE(fs::exists(out));
  };
  const std::string ok = R"({"created": 1700000000, "model": "m", "usage": {"prompt_tokens": 10, "completion_tokens": 5}})";
  fails("truncated.jsonl", ok + "\n" + R"({"created": 1700000001, "usage": {"prompt_tok)" + "\n", ":2: error: not a JSON object");
  fails("missing-usage.jsonl", ok + "\n" + R"({"created": 1700000001})" + "\n", ":2: error: usage");
  fails("negative.jsonl",
        ok + "\n" + R"({"created": 1700000001, "usage": {"prompt_tokens": -3, "completion_tokens": 5}})" + "\n",
        ":2: error: usage.prompt_tokens: expected a token count in [0, 1e9] (got -3)");
  fails("backwards.jsonl",
        ok + "\n" + R"({"created": 1699999000, "usage": {"prompt_tokens": 3, "completion_tokens": 5}})" + "\n",
        ":2: error: the time goes backwards");
  fails("binary.jsonl", ok + "\n" + std::string("\x01\x00\x02garbage", 10) + "\n", ":2: error: binary data");
  fails("empty.jsonl", "", ": error: the log holds no request");

  // --on-error skip: the bad lines are counted and named, the rest fitted.
  const fs::path mixed = dir.write("mixed.jsonl", ok + "\n" + R"({"created": 1700000001})" + "\n" +
                                                      R"({"created": 1700000002, "usage": {"prompt_tokens": 12, "completion_tokens": 4}})" +
                                                      "\n");
  const CliResult skipped = run_cli("fit " + shell_quote(mixed.string()) + " --model " + kModel +
                                    " --on-error skip --format json");
  INFO(skipped.err);
  REQUIRE(skipped.exit_code == 0);
  const json j = json::parse(skipped.out);
  CHECK(j["logs"][0]["bad_lines"] == 1);
  CHECK(j["logs"][0]["first_bad_lines"][0] == 2);
  CHECK_THAT(skipped.err, Catch::Contains("1 bad line skipped"));

  // A model the catalog does not know is named.
  const fs::path unknown = dir.write(
      "unknown.jsonl", ok + "\n" + R"({"created": 1700000005, "model": "m", "usage": {"prompt_tokens": 9, "completion_tokens": 2}})" + "\n");
  const CliResult r = run_cli("fit " + shell_quote(unknown.string()) + " --by model");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("model 'm' is not in the catalog"));
}

TEST_CASE("a horizon under a day: a one-hour period carries the whole volume, and an empty period is refused",
          "[fit][cli][horizon]") {
  TempDir dir;
  auto scenario = [&](int hours, const std::string& traffic) {
    return dir.write("short.toml", fmt::format(R"(
[scenario]
name = "an hour"
trials = 400
seed = 9
hours_per_month = {}

[[workload]]
name = "w"
model = "{}"
requests_per_month = 3600
input_tokens = 1000
output_tokens = 200
{}
)",
                                                  hours, kModel, traffic));
  };
  const CliResult r = run_cli("run " + shell_quote(scenario(1, "").string()) + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  const json& requests = j["workloads"][0]["requests"];
  // Poisson(3600) requests in the one hour: the mean within 4 standard errors of 400 trials.
  CHECK(std::abs(requests["mean"].get<double>() - 3600) < 4 * 60 / std::sqrt(400.0));
  CHECK(j["run"]["hours_per_month"] == 1);

  // Hours 0 to 5 of a shape that is zero until 8: no traffic in the period, refused at the key.
  const CliResult empty = run_cli(
      "validate " +
      shell_quote(scenario(6, "traffic = { hourly_weights = [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1] }")
                      .string()));
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, Catch::Contains("workload[0].traffic"));
}

TEST_CASE("LiteLLM spend logs: JSONL and CSV detected, --by TAG gives a workload per tag value, offsets read",
          "[fit][cli][litellm]") {
  TempDir dir;
  // Two teams over two hours: search on Llama, support on DeepSeek, 5 s apart in turn.
  std::string jsonl, csv = "request_id,startTime,model,prompt_tokens,completion_tokens,spend,team\n";
  for (int i = 0; i < 1440; ++i) {
    const bool search = i % 3 != 0;
    const std::string model = search ? kModel : "deepseek-ai/DeepSeek-V3.1";
    const int seconds = 5 * i;
    // From 08:00 UTC; every other line written in UTC+02:00, the same instant.
    const int hour = 8 + seconds / 3600, minute = seconds / 60 % 60, second = seconds % 60;
    const std::string stamp = i % 2 == 0 ? fmt::format("2026-03-02T{:02}:{:02}:{:02}.250Z", hour, minute, second)
                                         : fmt::format("2026-03-02T{:02}:{:02}:{:02}.250+02:00", hour + 2, minute, second);
    const int in = 100 + (i * 37) % 900, out = 20 + (i * 11) % 200;
    jsonl += fmt::format(R"({{"request_id": "r{}", "startTime": "{}", "model": "{}", "prompt_tokens": {}, "completion_tokens": {}, "spend": 0.001, "request_tags": ["team:{}", "env:prod"]}})"
                         "\n",
                         i, stamp, model, in, out, search ? "search" : "support");
    csv += fmt::format("r{},{},{},{},{},0.001,{}\n", i, stamp, model, in, out, search ? "search" : "support");
  }
  for (const std::string name : {"spend.jsonl", "spend.csv"}) {
    INFO(name);
    const fs::path log = dir.write(name, name == "spend.jsonl" ? jsonl : csv);
    const fs::path out = dir.path() / "teams.toml";
    const CliResult r = run_cli("fit " + shell_quote(log.string()) + " --by team --format json -o " +
                                shell_quote(out.string()));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json j = json::parse(r.out);
    CHECK(j["logs"][0]["format"] == (name == "spend.jsonl" ? "litellm_jsonl" : "litellm_csv"));
    REQUIRE(j["workloads"].size() == 2);
    for (const json& w : j["workloads"]) {
      const bool search = w["name"] == "search";
      CHECK((search || w["name"] == "support"));
      CHECK(w["model"] == (search ? kModel : "deepseek-ai/DeepSeek-V3.1"));
      CHECK(w["requests"] == (search ? 960 : 480));
      // Evenly spaced over 7,195 s: the offsets read right, or the span would be hours longer.
      CHECK(w["span_s"].get<double>() == Approx(5.0 * 1439));
    }
    const Scenario s = load_scenario_file(out.string());
    REQUIRE(s.workloads.size() == 2);
    CHECK(s.workloads[0].tags.at("team") == s.workloads[0].name);
    CHECK(run_cli("run " + shell_quote(out.string()) + " --trials 100").exit_code == 0);
  }
}

TEST_CASE("a workload of one request fits (no gaps to measure), and --by model names each model's workload",
          "[fit][cli]") {
  TempDir dir;
  const fs::path log = dir.write(
      "two-models.jsonl",
      fmt::format(R"({{"created": 1700000000, "model": "{0}", "usage": {{"prompt_tokens": 10, "completion_tokens": 5}}}}
{{"created": 1700000001, "model": "deepseek-ai/DeepSeek-V3.1", "usage": {{"prompt_tokens": 30, "completion_tokens": 7}}}}
{{"created": 1700000002, "model": "{0}", "usage": {{"prompt_tokens": 12, "completion_tokens": 4}}}}
)",
                  kModel));
  const CliResult r = run_cli("fit " + shell_quote(log.string()) + " --by model --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["workloads"].size() == 2);
  CHECK(j["workloads"][1]["model"] == "deepseek-ai/DeepSeek-V3.1");
  CHECK(j["workloads"][1]["requests"] == 1);
  CHECK(j["workloads"][1]["input_tokens"]["mean"] == 30);
}

TEST_CASE("a CSV field in quotes may hold commas and doubled quotes", "[fit][cli]") {
  TempDir dir;
  std::string csv = "request_id,metadata,startTime,model,prompt_tokens,completion_tokens,team\n";
  for (int i = 0; i < 20; ++i) {
    csv += fmt::format("r{},\"{{\"\"user\"\": \"\"u{}\"\", \"\"note\"\": \"\"a, b\"\"}}\",2026-03-02T08:00:{:02}Z,{},{},{},\"x, {}\"\n",
                       i, i, i, kModel, 100 + i, 10 + i, i % 2 == 0 ? "even" : "odd");
  }
  const fs::path log = dir.write("quoted.csv", csv);
  const CliResult r = run_cli("fit " + shell_quote(log.string()) + " --by team --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["workloads"].size() == 2);
  CHECK(j["workloads"][0]["requests"] == 10);
  CHECK(j["workloads"][0]["input_tokens"]["mean"] == 109);  // 100, 102, ..., 118
}

TEST_CASE("the lognormal mixture law: closed-form moments, quantile inverts the cdf, TOML round trip",
          "[fit][distribution]") {
  const std::vector<double> pairs{std::log(400.0), 0.5, std::log(4000.0), 0.6}, cumulative{0.7, 1.0};
  const Dist m = Dist::lognormal_mixture(pairs, cumulative, 1.0);
  const double m1 = 0.7 * 400 * std::exp(0.125) + 0.3 * 4000 * std::exp(0.18);
  const double m2 = 0.7 * 400.0 * 400 * std::exp(0.5) + 0.3 * 4000.0 * 4000 * std::exp(0.72);
  CHECK(m.mean() == Approx(m1));
  CHECK(m.variance() == Approx(m2 - m1 * m1));
  for (const double p : {0.01, 0.3, 0.7, 0.95, 0.999}) CHECK(m.cdf(m.quantile(p)) == Approx(p).margin(1e-12));
  const Dist scaled = Dist::lognormal_mixture(pairs, cumulative, 2.0);
  CHECK(scaled.quantile(0.95) == Approx(2 * m.quantile(0.95)));
  // Rounded per request, the token moments' closed form matches the draws (4 standard errors).
  const TokenMoments tm = token_moments(m, Dist::fixed(1), 131072);
  Rng rng(8);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += sample_request_tokens(m, Dist::fixed(1), 131072, rng).input;
  CHECK(std::abs(sum / n - tm.input_mean) < 4 * std::sqrt(tm.input_variance / n));

  const std::string text = fmt::format(R"([scenario]
name = "mixture"
[[workload]]
name = "w"
model = "{}"
requests_per_month = 1000
input_tokens = {{ dist = "lognormal_mixture", weights = [7, 3], medians = [400, 4000], sigmas = [0.5, 0.6], scale = {{ dist = "uniform", min = 0.9, max = 1.1 }} }}
output_tokens = 100
)",
                                       kModel);
  const Scenario s = load_scenario_text(text, "m.toml");
  Rng draw(2);
  const Dist input = s.workloads[0].input_tokens.resolve(draw);
  CHECK(input.kind() == DistKind::lognormal_mixture);
  CHECK(input.mean() / input.scale() == Approx(m1));
  const Scenario again = load_scenario_text(scenario_toml(s), "again.toml");
  CHECK(again.workloads[0].input_tokens.describe() == s.workloads[0].input_tokens.describe());

  auto error_of = [](const std::string& law) {
    try {
      (void)load_scenario_text(fmt::format("[scenario]\nname = \"m\"\n[[workload]]\nname = \"w\"\nmodel = \"{}\"\n"
                                           "requests_per_month = 1000\ninput_tokens = {}\noutput_tokens = 10\n",
                                           kModel, law),
                               "bad.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of(R"({ dist = "lognormal_mixture", weights = [1, 1], medians = [10], sigmas = [1, 1] })"),
             Catch::Contains("bad.toml:7:") && Catch::Contains("workload[0].input_tokens.medians") &&
                 Catch::Contains("got 1 medians for 2 weights"));
  CHECK_THAT(error_of(R"({ dist = "lognormal_mixture", weights = [1, 1], medians = [10, -3], sigmas = [1, 1] })"),
             Catch::Contains("workload[0].input_tokens.medians[1]"));
  CHECK_THAT(error_of(R"({ dist = "lognormal_mixture", weights = [1, 1], medians = [10, 30], sigmas = [1, 0] })"),
             Catch::Contains("workload[0].input_tokens.sigmas[1]"));
  CHECK_THAT(error_of(R"({ dist = "lognormal_mixture", weights = [1, 1], medians = [10, 30] })"),
             Catch::Contains("workload[0].input_tokens.sigmas"));
}

TEST_CASE("fit recovers a heavy two-lognormal mixture: chosen, KS at most 0.02, parameters within 4 standard errors",
          "[fit]") {
  // Weights 0.7 / 0.3, medians 400 / 4,000, sigmas 0.5 / 0.6. The estimates' standard errors are
  // measured over 8 independent logs of 20,000 requests.
  constexpr std::array<double, 5> truth{0.7, std::log(400.0), 0.5, std::log(4000.0), 0.6};
  const std::vector<double> pairs{truth[1], truth[2], truth[3], truth[4]}, cumulative{0.7, 1.0};
  const Dist law = Dist::lognormal_mixture(pairs, cumulative);
  TempDir dir;
  constexpr int logs = 8, n = 20000;
  std::vector<std::array<double, 5>> estimates;
  for (int k = 0; k < logs; ++k) {
    const fs::path path = dir.path() / fmt::format("mixture{}.csv", k);
    {
      std::ofstream out(path);
      out << "time,input,output,model\n";
      Rng rng = make_stream(100 + k, 0, StreamPurpose::traffic);
      for (int i = 0; i < n; ++i) {
        out << date_time(20514.0 * 86400 + i) << ',' << std::max(1.0, std::round(law.sample(rng))) << ",100,"
            << kModel << '\n';
      }
    }
    const FitResult fit = fit_logs({path.string()}, csv_options(), builtin_catalog());
    const FittedTokenLaw& input = fit.workloads[0].input;
    const FittedCandidate& chosen = input.candidates[input.chosen];
    INFO(fit.scenario_toml);
    CHECK(chosen.name == "lognormal_mixture");
    CHECK(chosen.ks <= 0.02);
    CHECK(std::abs(chosen.mean / input.mean - 1) < 0.01);
    Rng unused(1);
    const Dist fitted = input.law.resolve(unused);
    REQUIRE(fitted.kind() == DistKind::lognormal_mixture);
    // Components in order of their medians; the scale folded into the medians.
    const auto p = fitted.values();
    const auto c = fitted.cumulative_weights();
    const double log_scale = std::log(fitted.scale());
    const bool swap = p[0] > p[2];
    const std::size_t lo = swap ? 1 : 0, hi = swap ? 0 : 1;
    estimates.push_back({lo == 0 ? c[0] : 1 - c[0], p[2 * lo] + log_scale, p[2 * lo + 1], p[2 * hi] + log_scale,
                         p[2 * hi + 1]});
  }
  for (std::size_t j = 0; j < truth.size(); ++j) {
    double mean = 0, square = 0;
    for (const auto& e : estimates) mean += e[j] / logs;
    for (const auto& e : estimates) square += (e[j] - mean) * (e[j] - mean) / (logs - 1);
    const double se_of_mean = std::sqrt(square / logs);
    INFO("parameter " << j << ": mean estimate " << mean << ", true " << truth[j] << ", sd " << std::sqrt(square));
    // The mean of 8 estimates within 4 of its standard errors of the truth, plus the bias of
    // fitting the counts rounded to whole tokens (a thousandth).
    CHECK(std::abs(mean - truth[j]) < 4 * se_of_mean + 1e-3 * std::abs(truth[j]));
  }
}

TEST_CASE("backtest: the actuals are the log's own, the bands are calibrated on a stationary log, bad origins exit 2",
          "[fit][backtest][cli]") {
  TempDir dir;
  const fs::path log = dir.path() / "generated.csv";
  (void)write_log(log, 4.0, 29);
  const std::string columns = " --columns time=time,input=input,output=output,model=model";
  // Origins each 6 hours from day 3, 06:00 (the daily shape needs two whole days before).
  const CliResult r = run_cli("backtest " + shell_quote(log.string()) + columns +
                              " --train-until '2026-03-04 06:00' --rolling 6 --horizon 6h --trials 1000 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["origins"].size() == 6);
  // Each origin's actuals: the log's requests in [origin, origin + 6 h), priced at the catalog's
  // $0.88 per 1M tokens in and out.
  std::map<long long, std::array<double, 3>> by_origin;
  {
    std::ifstream in(log);
    std::string line;
    std::getline(in, line);
    const double first_origin = 20516.0 * 86400 + 21600;  // 2026-03-04 06:00
    while (std::getline(in, line)) {
      int y, mo, d, h, mi;
      double s;
      long long tokens_in, tokens_out;
      REQUIRE(std::sscanf(line.c_str(), "%d-%d-%d %d:%d:%lf,%lld,%lld", &y, &mo, &d, &h, &mi, &s, &tokens_in,
                          &tokens_out) == 8);
      const double at = (20514.0 + (d - 2)) * 86400 + h * 3600 + mi * 60 + s;
      if (at < first_origin) continue;
      auto& t = by_origin[static_cast<long long>(std::floor((at - first_origin) / 21600))];
      t[0] += 1;
      t[1] += static_cast<double>(tokens_in);
      t[2] += static_cast<double>(tokens_out);
    }
  }
  for (std::size_t k = 0; k < 6; ++k) {
    const json& f = j["origins"][k]["figures"];
    const auto& t = by_origin[static_cast<long long>(k)];
    CHECK(f["requests"]["actual"] == t[0]);
    CHECK(f["input_tokens"]["actual"] == t[1]);
    CHECK(f["output_tokens"]["actual"] == t[2]);
    CHECK(f["serverless_usd"]["actual"].get<double>() == Approx((t[1] + t[2]) * 0.88e-6));
    CHECK(j["origins"][k]["horizon_s"] == 21600.0);
  }
  // Calibration on a log the model describes: the 24 actuals' ranks in the simulated distributions
  // are uniform, so the p5-p95 band holds each with probability 0.9. Of 24, at least 16 (4 binomial
  // standard errors under 21.6), and not all of them by a wide band: the mean |rank - 1/2| of a
  // uniform is 1/4. The p50s within 5% of the actuals (Poisson counts of about 10,000 a period).
  int covered = 0;
  double spread = 0;
  for (const auto& o : j["origins"]) {
    for (const auto& [name, f] : o["figures"].items()) {
      covered += f["covered"].get<bool>() ? 1 : 0;
      spread += std::abs(f["rank"].get<double>() - 0.5) / 24;
      CHECK(std::abs(f["p50"].get<double>() / f["actual"].get<double>() - 1) < 0.05);
    }
  }
  INFO(r.out);
  WARN("generated log, 6 origins of 6 hours: " << covered << " of 24 actuals inside p5-p95");
  CHECK(covered >= 16);
  CHECK(spread > 0.1);
  CHECK(j["coverage"]["requests"]["origins"] == 6);

  // The table and the report.
  const fs::path report = dir.path() / "backtest.html";
  const CliResult table = run_cli("backtest " + shell_quote(log.string()) + columns +
                                  " --rolling 2 --trials 200 --report " + shell_quote(report.string()));
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("serverless_usd") && Catch::Contains("in p5-p95"));
  CHECK_THAT(slurp(report), Catch::Contains("<svg") && Catch::Contains("Coverage of the actuals"));

  // Origins outside the log, or periods past its end: exit 2, nothing written.
  const fs::path none = dir.path() / "none.html";
  for (const std::string& bad :
       {std::string(" --train-until '2026-02-01 00:00'"), std::string(" --rolling 4 --horizon 2d"),
        std::string(" --train-fraction 1.5"), std::string(" --horizon 5x"), std::string(" --train-until '2026-02-31 00:00'"),
        std::string(" --horizon 0.001"), std::string(" --rolling 0")}) {
    const CliResult e = run_cli("backtest " + shell_quote(log.string()) + columns + bad + " --report " +
                                shell_quote(none.string()));
    INFO(bad << ": " << e.err);
    CHECK(e.exit_code == 2);
    CHECK_FALSE(fs::exists(none));
  }
}

TEST_CASE("forecast: month to date from the log, the rest simulated, P(over budget), --fail-above exits 3",
          "[fit][forecast][cli]") {
  TempDir dir;
  const fs::path log = dir.path() / "generated.csv";
  const Generated g = write_log(log, 10.0, 31);  // 2026-03-02 to 03-11
  const std::string columns = " --columns time=time,input=input,output=output,model=model";
  const double month_to_date = (g.input_sum + g.output_sum) * 0.88e-6;
  const CliResult r = run_cli("forecast " + shell_quote(log.string()) + columns + " --budget 100 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(j["period"] == "2026-03");
  CHECK(j["month_to_date_requests"] == g.requests);
  CHECK(j["month_to_date_usd"].get<double>() == Approx(month_to_date));
  // The rest of March at the generator's mean cost per request and rate (its daily shape has mean 1):
  // 0.5 requests/s x (800 + 200) tokens x $0.88 per 1M, over the hours left. Within 4% (the
  // bootstrap's and the simulation's spread are about 1%).
  const double remaining_h = j["remaining_hours"].get<double>();
  CHECK(remaining_h == Approx(20 * 24).margin(0.1));
  const double expected = month_to_date + kRatePerS * 3600 * remaining_h * (kInputMean + kOutputMean) * 0.88e-6;
  CHECK(j["month_end_usd"]["p50"].get<double>() == Approx(expected).epsilon(0.04));
  CHECK(j["days"].size() == 31);
  CHECK(j["days"][10]["actual"] == true);
  CHECK(j["days"][11]["actual"] == false);
  CHECK(j["days"][30]["date"] == "2026-03-31");
  CHECK(j["days"][30]["p50_usd"].get<double>() == Approx(j["month_end_usd"]["p50"].get<double>()));
  // A budget below the month-to-date spend is over in every trial, and crossed on an actual day; a
  // budget far above the month's spend never.
  const double p50 = j["month_end_usd"]["p50"].get<double>();
  const json low = json::parse(
      run_cli("forecast " + shell_quote(log.string()) + columns + fmt::format(" --budget {} --format json", month_to_date / 2))
          .out);
  CHECK(low["p_over_budget"] == 1.0);
  CHECK(low["days"][0]["actual"] == true);
  const json high =
      json::parse(run_cli("forecast " + shell_quote(log.string()) + columns + fmt::format(" --budget {} --format json", 3 * p50)).out);
  CHECK(high["p_over_budget"] == 0.0);
  CHECK(high["p50_crosses_budget"].is_null());
  // --fail-above: exit 3 over the threshold, 0 under it; the output is written either way.
  const fs::path report = dir.path() / "forecast.html";
  const CliResult over = run_cli("forecast " + shell_quote(log.string()) + columns +
                                 fmt::format(" --budget {} --fail-above 0.5 --report ", p50 * 0.9) + shell_quote(report.string()));
  CHECK(over.exit_code == 3);
  CHECK_THAT(over.err, Catch::Contains("is above --fail-above"));
  CHECK_THAT(slurp(report), Catch::Contains("<svg") && Catch::Contains("budget"));
  const CliResult under = run_cli("forecast " + shell_quote(log.string()) + columns +
                                  fmt::format(" --budget {} --fail-above 0.5", p50 * 1.1));
  CHECK(under.exit_code == 0);
  CHECK_THAT(under.out, Catch::Contains("P(over budget)"));
  // Bad periods: exit 2.
  for (const std::string& bad : {std::string(" --budget 10 --period 2026-13"), std::string(" --budget 10 --period 2026-02"),
                                 std::string(" --budget -5"), std::string(" --budget 10 --period 2025-+1"),
                                 std::string(" --budget 10 --trials 5")}) {
    const CliResult e = run_cli("forecast " + shell_quote(log.string()) + columns + bad);
    INFO(bad << ": " << e.err);
    CHECK(e.exit_code == 2);
  }
  // A later month: the whole month simulated from the log.
  const json april =
      json::parse(run_cli("forecast " + shell_quote(log.string()) + columns + " --budget 100 --period 2026-04 --format json").out);
  CHECK(april["month_to_date_usd"] == 0.0);
  CHECK(april["remaining_hours"].get<double>() == Approx(30 * 24));
}

TEST_CASE("backtest on the shared Azure trace: 20 rolling origins, the coverage the note reports",
          "[fit][backtest][shared-data][cli]") {
  const fs::path trace = fs::path(TOKENCAST_SHARED_DIR) / "data" / "traces" / "AzureLLMInferenceTrace_conv_2023.csv";
  if (!fs::exists(trace)) {
    WARN("shared trace absent: skipped");
    return;
  }
  const CliResult r = run_cli("backtest " + shell_quote(trace.string()) + " --model " + kModel +
                              " --rolling 20 --trials 1000 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["origins"].size() == 20);
  for (const auto& [name, c] : j["coverage"].items()) INFO(name << ": " << c.dump());
  // Measured (docs/fitting.md): requests 17, input tokens 14, output tokens 20, cost 18 of 20.
  CHECK(j["coverage"]["requests"]["covered"].get<int>() >= 16);
  CHECK(j["coverage"]["serverless_usd"]["covered"].get<int>() >= 16);
  CHECK(j["coverage"]["output_tokens"]["covered"].get<int>() >= 16);
}
