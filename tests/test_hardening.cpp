// Hardening against broken or hostile input and against interruption, for what the
// tests/bad_scenarios files cannot carry: empty, binary, oversized and generated inputs, runs too
// large for memory, and SIGINT during a long run. Every refusal must exit 2, say where (and, when
// there is a key, which key), and leave no output file behind.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kHeader = R"([scenario]
name = "hardening"

[[model]]
id = "test/model"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 2.0

[[workload]]
name = "chat"
model = "test/model"
requests_per_month = 1000
output_tokens = 50
)";
constexpr int kHeaderLines = 13;

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Runs `tokencast run FILE` writing JSON to an output file in the same directory, and checks the
// run was refused: exit 2, stderr matching `expected` (a regex), and the directory holding exactly
// what it held before (no output, no temporary file).
void expect_refused(const TempDir& dir, const fs::path& scenario, const std::string& expected) {
  const std::vector<std::string> before = dir.entries();
  const fs::path out = dir.path() / "out.json";
  const CliResult r = run_cli("run " + shell_quote(scenario.string()) + " --trials 10 --format json --output " +
                              shell_quote(out.string()));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(std::regex_search(r.err, std::regex(expected)));
  CHECK_FALSE(fs::exists(out));
  CHECK(dir.entries() == before);
}

}  // namespace

TEST_CASE("an empty file is refused for its missing [scenario] table", "[hardening][bad-input]") {
  const TempDir dir;
  const fs::path file = dir.write("empty.toml", "");
  expect_refused(dir, file, R"(empty\.toml:1:1: error: scenario: missing table \[scenario\])");
}

TEST_CASE("binary garbage is refused at its position", "[hardening][bad-input]") {
  const TempDir dir;
  std::mt19937 bytes(20240607);
  for (int sample = 0; sample < 5; ++sample) {
    std::string garbage(4096, '\0');
    for (char& c : garbage) c = static_cast<char>(bytes() & 0xFF);
    const fs::path file = dir.write("garbage.toml", garbage);
    INFO("sample " << sample);
    expect_refused(dir, file, R"(garbage\.toml:\d+:\d+: error: )");
  }
}

TEST_CASE("a 10 MB file is refused by its size before it is parsed", "[hardening][bad-input]") {
  const TempDir dir;
  const std::size_t size = 10 * 1024 * 1024;
  std::string text = kHeader;
  text += std::string(size - text.size(), '\n');
  const fs::path file = dir.write("big.toml", text);
  REQUIRE(fs::file_size(file) == size);
  expect_refused(dir, file, R"(big\.toml: error: file is 10485760 bytes, larger than the 4194304-byte limit)");

  // The same limit holds for text handed to the library directly.
  CHECK_THROWS_WITH(tokencast::load_scenario_text(text, "big.toml"),
                    Catch::Contains("larger than the 4194304-byte limit"));
}

TEST_CASE("distributions nested 1000 deep are refused by the depth limit", "[hardening][bad-input]") {
  const TempDir dir;
  const std::size_t depth = 1000;
  const std::string deep_error =
      R"(: error: workload\[0\]\.input_tokens(\.value)*(\.dist)?: keys, tables and arrays nested deeper than 64 levels)";

  SECTION("as inline tables") {
    const std::string value =
        repeat("{ dist = \"fixed\", value = ", depth) + "7" + repeat(" }", depth);
    const fs::path file = dir.write("deep-inline.toml", kHeader + "input_tokens = " + value + "\n");
    expect_refused(dir, file, "deep-inline\\.toml:" + std::to_string(kHeaderLines + 1) + ":\\d+" + deep_error);
  }
  SECTION("as dotted keys") {
    std::string lines;
    std::string key = "input_tokens";
    for (std::size_t level = 0; level < depth; ++level) {
      lines += key + ".dist = \"fixed\"\n";
      key += ".value";
    }
    lines += key + " = 7\n";
    const fs::path file = dir.write("deep-dotted.toml", kHeader + lines);
    expect_refused(dir, file, "deep-dotted\\.toml:\\d+:\\d+" + deep_error);
  }
  SECTION("nine levels, within the TOML limit, meet the loader's distribution limit") {
    const std::string value = repeat("{ dist = \"fixed\", value = ", 9) + "7" + repeat(" }", 9);
    const fs::path file = dir.write("nine.toml", kHeader + "input_tokens = " + value + "\n");
    expect_refused(dir, file, R"(nine\.toml:14:\d+: error: workload\[0\]\.input_tokens(\.value){8}: distribution nested deeper than 8 levels)");
  }
}

// Regression: TOML++ recurses once per table level while parsing and destroying, so before the
// nesting pre-scan these crashed with a stack overflow (SIGSEGV) instead of exiting 2.
TEST_CASE("keys, headers and arrays a million levels deep are refused, not a stack overflow",
          "[hardening][bad-input]") {
  const TempDir dir;
  const std::string error = ": keys, tables and arrays nested deeper than 64 levels";
  SECTION("a dotted key") {
    const fs::path file = dir.write("dotted.toml", "a" + repeat(".a", 1'000'000) + " = 1\n");
    expect_refused(dir, file, R"(dotted\.toml:1:\d+: error: a(\.a)+)" + error);
  }
  SECTION("a table header") {
    const fs::path file = dir.write("header.toml", "[a" + repeat(".a", 1'000'000) + "]\n");
    expect_refused(dir, file, R"(header\.toml:1:\d+: error: a(\.a)+)" + error);
  }
  SECTION("inline arrays") {
    const fs::path file = dir.write("arrays.toml", "x = " + repeat("[", 100'000) + repeat("]", 100'000) + "\n");
    expect_refused(dir, file, R"(arrays\.toml:1:\d+: error: x(\[0\])+)" + error);
  }
  SECTION("brackets inside strings and comments do not count") {
    const std::string text = kHeader + "input_tokens = 100 # " + repeat("[{", 200) + "\n" +
                             "[workload.tags]\nnote = \"" + repeat("[{a.", 200) + "\"\n" +
                             "long = '''\n" + repeat("{[", 200) + "\n'''\n";
    const tokencast::Scenario scenario = tokencast::load_scenario_text(text, "strings.toml");
    REQUIRE(scenario.workloads.size() == 1);
    CHECK(scenario.workloads[0].tags.at("note").size() == 800);
  }
}

TEST_CASE("trial counts outside 1..10000000 are refused on the command line", "[hardening][bad-input]") {
  const TempDir dir;
  const fs::path out = dir.path() / "out.json";
  for (const std::string trials : {"0", "-5", "1000000000000", "1e12", "nan"}) {
    INFO("--trials " << trials);
    const CliResult r = run_cli("run --trials " + trials + " --output " + shell_quote(out.string()));
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--trials") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("a run too large for memory is refused up front with the estimate and a way out",
          "[hardening][bad-input]") {
  const TempDir dir;
  const fs::path out = dir.path() / "out.json";
  const auto start = Clock::now();
  const CliResult r = run_cli("run " + shell_quote(source_path("scenarios/multi-tenant-12-month.toml").string()) +
                              " --trials 10000000 --output " + shell_quote(out.string()));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(std::regex_search(r.err, std::regex(R"(10000000 trials of this scenario need about \d+(\.\d+)? GiB of memory)")));
  CHECK(std::regex_search(r.err, std::regex(R"(use at most \d+ trials \(--trials\))")));
  CHECK_FALSE(fs::exists(out));
  CHECK(dir.entries().empty());
  // Refused before any trial runs: a simulation of that size would take hours.
  CHECK(seconds < 30.0);
}

namespace {

// Starts a long run and sends SIGINT after `delay` (the process is killed if it has not gone within
// a minute, which fails the test without hanging the suite).
SignalledRun interrupt_run(const fs::path& output, const fs::path& err, std::chrono::milliseconds delay) {
  const std::vector<std::string> args{"run", source_path("scenarios/multi-tenant-12-month.toml").string(),
                                      "--trials", "200000", "--output", output.string()};
  return signal_cli(args, output.parent_path() / "stdout.txt", err, delay, SIGINT);
}

// SIGINT is polled before every trial and month of a trial; a trial of this scenario takes well under a
// second even under the sanitizers, so two seconds leaves a wide margin.
constexpr double kMaxSecondsToHonourInterrupt = 2.0;

void check_interrupted(const SignalledRun& run, const fs::path& err) {
  REQUIRE_FALSE(run.exited_before_signal);
  REQUIRE(WIFEXITED(run.status));
  CHECK(WEXITSTATUS(run.status) == 130);
  const std::string stderr_text = slurp(err);
  INFO(stderr_text);
  CHECK(stderr_text.find("interrupted") != std::string::npos);
  WARN("SIGINT honoured after " << run.seconds_to_exit << " s");
  CHECK(run.seconds_to_exit < kMaxSecondsToHonourInterrupt);
}

}  // namespace

TEST_CASE("SIGINT during a long run exits 130 and writes nothing", "[hardening][sigint]") {
  const TempDir dir;
  const fs::path output = dir.path() / "OUT.json";
  const fs::path err = dir.path() / "stderr.txt";
  const SignalledRun run = interrupt_run(output, err, std::chrono::milliseconds(1000));
  check_interrupted(run, err);
  CHECK_FALSE(fs::exists(output));
  // Nothing but the captured streams: no OUT.json, no OUT.json.tmp-*.
  CHECK(dir.entries() == std::vector<std::string>{"stderr.txt", "stdout.txt"});
  CHECK(slurp(dir.path() / "stdout.txt").empty());
}

TEST_CASE("SIGINT during a long run leaves an existing output file unchanged", "[hardening][sigint]") {
  const TempDir dir;
  const fs::path output = dir.path() / "OUT.json";
  const fs::path err = dir.path() / "stderr.txt";
  const std::string previous = "{\"schema\": \"tokencast.result/1\", \"note\": \"an earlier run\"}\n";
  dir.write("OUT.json", previous);
  const SignalledRun run = interrupt_run(output, err, std::chrono::milliseconds(1000));
  check_interrupted(run, err);
  CHECK(slurp(output) == previous);
  CHECK(dir.entries() == std::vector<std::string>{"OUT.json", "stderr.txt", "stdout.txt"});
}
