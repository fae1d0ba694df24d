// Regression tests for the defects an outside probe found in the shipped CLI (issue "Defects in what
// shipped"), one TEST_CASE per item, each through the real binary and asserting the exact
// behaviour: accepted input runs to exit 0 with finite, in-range figures, or is refused with exit 2
// and its key path; work is bounded and interruptible; outputs go only to regular files, all or
// none; numbers on the command line are strict; text from input is escaped.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "result_json.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/traffic.hpp"

using namespace tokencast::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One workload of a made-up model and, unless `capacity` is empty, one dedicated option: the
// fields a test changes are given as TOML lines.
struct ScenarioText {
  std::string scenario = "trials = 64\n";
  std::string model = "input_usd_per_mtok = 1.0\noutput_usd_per_mtok = 2.0\n";
  std::string workload = "requests_per_month = 1000000\n"
                         "input_tokens = { dist = \"lognormal\", mean = 1000, cv = 1 }\noutput_tokens = 200\n";
  std::string traffic;
  std::string capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 10000\ndecode_tokens_per_s = 3000\n"
                         "replicas = 1\n";

  std::string text() const {
    std::string t = "[scenario]\nname = \"probe\"\n" + scenario + "\n[[model]]\nid = \"test/model\"\n" + model +
                    "\n[[workload]]\nname = \"chat\"\nmodel = \"test/model\"\n" + workload;
    if (!traffic.empty()) t += "[workload.traffic]\n" + traffic;
    if (!capacity.empty()) t += "\n[[dedicated]]\nname = \"ded\"\nmodel = \"test/model\"\n" + capacity;
    return t;
  }
};

std::string quoted(const fs::path& p) { return shell_quote(p.string()); }

// Every number finite, every probability and utilization in [0, 1], percentiles in order and
// replica counts whole: what a successful run's JSON must hold (null only where documented).
void check_result(const json& j, const std::string& path = "$") {
  if (j.is_object()) {
    if (j.contains("p5") && j.contains("p50") && j.contains("p95") && j.contains("min") && j.contains("max")) {
      INFO(path);
      CHECK(j["min"].get<double>() <= j["p5"].get<double>());
      CHECK(j["p5"].get<double>() <= j["p50"].get<double>());
      CHECK(j["p50"].get<double>() <= j["p95"].get<double>());
      CHECK(j["p95"].get<double>() <= j["max"].get<double>());
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const std::string sub = path + "." + key;
      if (it->is_null()) {
        INFO(sub);
        const bool may_be_null = key.rfind("multiplier_", 0) == 0 || key.rfind("requests_per_month_", 0) == 0 ||
                                 ((key == "wait_p95_s" || key == "ttft_p95_s" || key == "mean_wait_s") && !j.value("stable", true)) ||
                                 (key == "replicas" && !j.value("feasible", true));
        CHECK(may_be_null);
      }
      if ((key == "utilization" || key == "overflow_share") && it->is_object()) {
        INFO(sub);
        CHECK((*it)["min"].get<double>() >= 0.0);
        CHECK((*it)["max"].get<double>() <= 1.0);
      }
      if (key == "replicas" && it->is_number()) {
        INFO(sub);
        CHECK(it->is_number_integer());
        CHECK(it->get<double>() >= 0.0);
        CHECK(it->get<double>() <= 100000.0 * 1024);
      }
      check_result(*it, sub);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) check_result(j[i], path + "[" + std::to_string(i) + "]");
  } else if (j.is_number_float()) {
    INFO(path);
    CHECK(std::isfinite(j.get<double>()));
  }
}

// Runs `command` on the scenario as JSON into a file of `dir`; requires exit 0, checks the JSON,
// and that nothing but the output is left.
json run_ok(const TempDir& dir, const std::string& command, const fs::path& scenario, const std::string& extra = "") {
  const fs::path out = dir.path() / "out.json";
  fs::remove(out);
  const CliResult r = run_cli(command + " " + quoted(scenario) + " --format json --output " + quoted(out) + " " + extra);
  INFO(command << " " << extra << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(slurp(out));
  check_result(j);
  for (const auto& name : dir.entries()) CHECK(name.find(".tmp-") == std::string::npos);
  return j;
}

// Requires exit 2 with FILE:LINE:COL: error: KEY.PATH: and a fragment.
void refused_at(const fs::path& scenario, const std::string& key_path, const std::string& fragment) {
  const CliResult r = run_cli("run " + quoted(scenario) + " --format json");
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(std::regex_search(r.err, std::regex("^" + std::regex_replace(scenario.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                                           R"(:\d+:\d+: error: )" +
                                           std::regex_replace(key_path, std::regex(R"([.\[\]])"), R"(\$&)") + ": ")));
  CHECK(r.err.find(fragment) != std::string::npos);
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("1. hourly weights whose sum overflows or whose scale underflows run, not hang", "[probe]") {
  const TempDir dir;
  std::string ones;
  for (int i = 0; i < 22; ++i) ones += ", 1";
  std::string zeros;
  for (int i = 0; i < 23; ++i) zeros += ", 0";
  for (const std::string& weights : {"[1e308, 1e308" + ones + "]", "[5e-324" + zeros + "]"}) {
    INFO(weights);
    ScenarioText s;
    s.traffic = "hourly_weights = " + weights + "\n";
    s.capacity += "max_concurrency = 8\nslo = { ttft_p95_s = 3 }\n";
    const fs::path file = dir.write("weights.toml", s.text());
    run_ok(dir, "run", file);
    run_ok(dir, "breakeven", file, "--grid 8");
    run_ok(dir, "capacity", file, "--simulate --replications 1");
  }
  // The library calls themselves: a shape in range, and a profile refused, not recursed into.
  std::array<double, 24> huge{};
  huge.fill(1.0);
  huge[0] = huge[1] = 1e308;
  const tokencast::DailyShape shape = tokencast::daily_shape_from_weights(huge);
  double sum = 0;
  for (double v : shape) sum += v;
  CHECK(sum == Approx(24.0));
  tokencast::DailyShape empty{};
  CHECK_THROWS_AS(tokencast::month_profile(empty, 0.0, tokencast::month_calendar(0, 730)), std::invalid_argument);
}

TEST_CASE("2. a throughput too small to compute with is refused before breakeven's replay", "[probe]") {
  const TempDir dir;
  ScenarioText s;
  s.traffic = "daily_peak_to_mean = 10\n";
  s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 1e-301\ndecode_tokens_per_s = 3000\nreplicas = \"auto\"\n";
  const fs::path file = dir.write("tiny.toml", s.text());
  const CliResult r = run_cli("breakeven " + quoted(file));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("dedicated[0].prefill_tokens_per_s: must be >= 1 (got 1e-301)") != std::string::npos);
  // At the smallest throughput allowed and a peaked day, the replay bins stay in range.
  s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\nreplicas = \"auto\"\n";
  run_ok(dir, "breakeven", dir.write("slow.toml", s.text()), "--grid 8");
}

TEST_CASE("3. --output and --report write only regular files, never an input", "[probe]") {
  const TempDir dir;
  const fs::path scenario = dir.write("s.toml", ScenarioText{}.text());
  const std::string original = slurp(scenario);
  auto refused = [&](const std::string& args, const std::string& fragment) {
    const CliResult r = run_cli("run " + quoted(scenario) + " " + args);
    INFO(args << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(fragment) != std::string::npos);
  };
  // A device node of our own (the null device's numbers), so that a regression replaces it and not
  // the machine's /dev/null (as the shipped binary did, run as root). Creating one needs
  // CAP_MKNOD; without it the FIFO below covers the same rule.
  const fs::path device = dir.path() / "null-device";
  if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    refused("--output " + quoted(device), "a character device, not a regular file");
    refused("--report " + quoted(device), "--report " + device.string() + ": a character device, not a regular file");
    struct stat node {};
    REQUIRE(::stat(device.c_str(), &node) == 0);
    CHECK(S_ISCHR(node.st_mode));
  } else {
    WARN("mknod is not permitted here: the device case is left to the FIFO");
  }
  refused("--output " + quoted(scenario), "an input is never written over");
  refused("--report " + quoted(scenario), "an input is never written over");
  refused("--output " + quoted(dir.path()), "a directory, not a regular file");
  refused("--output ''", "--output: the path is empty");
  refused("--output a.json --report a.json", "is also the file of --output");
  CHECK(slurp(scenario) == original);

  SECTION("a FIFO and a symlink to the input are refused") {
    const fs::path fifo = dir.path() / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    refused("--output " + quoted(fifo), "a FIFO, not a regular file");
    fs::create_symlink(scenario, dir.path() / "link.toml");
    refused("--output " + quoted(dir.path() / "link.toml"), "an input is never written over");
    fs::create_symlink(dir.path() / "loop-b", dir.path() / "loop-a");
    fs::create_symlink(dir.path() / "loop-a", dir.path() / "loop-b");
    refused("--output " + quoted(dir.path() / "loop-a"), "too many levels of symbolic links");
  }
  SECTION("a symlink is followed: its target is replaced, the link stays") {
    const fs::path target = dir.write("target.json", "old\n");
    fs::create_symlink(target, dir.path() / "link.json");
    const CliResult r = run_cli("run " + quoted(scenario) + " --format json -o " + quoted(dir.path() / "link.json"));
    REQUIRE(r.exit_code == 0);
    CHECK(fs::is_symlink(dir.path() / "link.json"));
    CHECK(json::parse(slurp(target))["schema"] == "tokencast.result/1");
  }
  SECTION("a dangling symlink gets its target created") {
    fs::create_symlink(dir.path() / "new.json", dir.path() / "dangling.json");
    const CliResult r = run_cli("run " + quoted(scenario) + " --format json -o " + quoted(dir.path() / "dangling.json"));
    REQUIRE(r.exit_code == 0);
    CHECK(fs::is_regular_file(dir.path() / "new.json"));
  }
}

TEST_CASE("4. an autoscaling option with an slo gives the same results run after run", "[probe]") {
  const TempDir dir;
  for (int concurrency = 1; concurrency <= 4; ++concurrency) {
    INFO("max_concurrency " << concurrency);
    // Each trial's request mix and throughputs differ, so each trial's memo of what a replica
    // count holds differs too: a memo leaking from trial to trial made results depend on which
    // thread ran which trials before.
    ScenarioText s;
    s.scenario = "trials = 2000\n";
    s.workload = "requests_per_month = 1000000\noutput_tokens = 200\ninput_tokens = { dist = \"lognormal\", "
                 "median = { dist = \"uniform\", min = 200, max = 4000 }, sigma = 0.8 }\n";
    s.traffic = "burstiness = 0.5\n";
    s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = { dist = \"uniform\", min = 2000, max = 20000 }\n"
                 "decode_tokens_per_s = { dist = \"uniform\", min = 300, max = 3000 }\nmax_concurrency = " +
                 std::to_string(concurrency) + "\nslo = { ttft_p95_s = 1.5 }\n"
                 "autoscale = { min_replicas = 1, max_replicas = 50 }\n";
    const fs::path file = dir.write("autoscale.toml", s.text());
    const json first = without_timing(run_ok(dir, "run", file));
    CHECK(without_timing(run_ok(dir, "run", file)) == first);
    CHECK(without_timing(run_ok(dir, "run", file, "--threads 1")) == first);
    CHECK(without_timing(run_ok(dir, "run", file, "--threads 2")) == first);
  }
}

TEST_CASE("5. input the loader accepts never ends in exit 1; what it cannot compute is refused", "[probe]") {
  const TempDir dir;
  SECTION("an slo at max_concurrency 2148 to 4096 runs") {
    for (const int concurrency : {2148, 3000, 4096}) {
      ScenarioText s;
      s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 10000\ndecode_tokens_per_s = 3000\n"
                   "replicas = \"auto\"\nmax_concurrency = " + std::to_string(concurrency) +
                   "\nslo = { ttft_p95_s = 3 }\n";
      const json j = run_ok(dir, "run", dir.write("m.toml", s.text()));
      CHECK(j["models"][0]["dedicated"]["feasible"] == true);
    }
  }
  SECTION("shapes and throughputs outside what the model computes are refused with their key path") {
    ScenarioText s;
    s.workload = "requests_per_month = 1000\ninput_tokens = { dist = \"gamma\", mean = 1000, cv = 1e-200 }\n"
                 "output_tokens = 200\n";
    refused_at(dir.write("g.toml", s.text()), "workload[0].input_tokens.cv", "expected a number in [0.0001, 30]");
    s.workload = "requests_per_month = 1000\ninput_tokens = { dist = \"lognormal\", mean = 1000, cv = 1e200 }\n"
                 "output_tokens = 200\n";
    refused_at(dir.write("l.toml", s.text()), "workload[0].input_tokens.cv", "expected a number in (0, 268337]");
    s = ScenarioText{};
    s.workload = "requests_per_month = 1000\ninput_tokens = { dist = \"lognormal\", median = 1000, sigma = 40 }\n"
                 "output_tokens = 200\n";
    refused_at(dir.write("s.toml", s.text()), "workload[0].input_tokens.sigma", "expected a number in (0, 5]");
    for (const std::string throughput : {"5e-324", "1e-300"}) {
      s = ScenarioText{};
      s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = " + throughput + "\ndecode_tokens_per_s = 3000\n";
      refused_at(dir.write("t.toml", s.text()), "dedicated[0].prefill_tokens_per_s", "must be >= 1");
    }
  }
  SECTION("a pool too large to simulate is refused up front, with exit 2 and the file") {
    ScenarioText s;
    s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 10000\ndecode_tokens_per_s = 3000\n"
                 "replicas = 100000\nmax_concurrency = 4096\nslo = { ttft_p95_s = 3 }\n";
    const fs::path file = dir.write("pool.toml", s.text());
    const CliResult r = run_cli("capacity " + quoted(file) + " --simulate");
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind(file.string() + ": error: --simulate would hold 4.1e+08 sequence slots", 0) == 0);
  }
  SECTION("--arrival-scv nan is a usage error") {
    const CliResult r = run_cli("capacity --arrival-scv nan");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--arrival-scv: got 'nan', expected a decimal number in [0, 100]") != std::string::npos);
  }
}

TEST_CASE("6. no absurd answer with exit 0: limits refuse it, or infeasible says so", "[probe]") {
  const TempDir dir;
  ScenarioText s;
  s.model = "input_usd_per_mtok = 1e308\noutput_usd_per_mtok = 2.0\n";
  refused_at(dir.write("p.toml", s.text()), "model[0].input_usd_per_mtok", "expected a number in [0, 100000]");
  s = ScenarioText{};
  s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 10000\ndecode_tokens_per_s = 3000\n"
               "max_utilization = 1e-300\n";
  refused_at(dir.write("u.toml", s.text()), "dedicated[0].max_utilization", "expected a number in [0.01, 1]");
  s = ScenarioText{};
  s.scenario = "months = 60\ntrials = 64\n";
  s.traffic = "monthly_growth = 1\n";
  refused_at(dir.write("growth.toml", s.text()), "workload[0].traffic.monthly_growth",
             "volume passes the 1e+12 requests-per-month limit in month 21 of 60");

  SECTION("a need past the replica limit reserves the limit and is reported infeasible") {
    s = ScenarioText{};
    s.workload = "requests_per_month = 1e12\ninput_tokens = 1000\noutput_tokens = 200\n";
    s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\nreplicas = \"auto\"\n";
    const json j = run_ok(dir, "run", dir.write("huge.toml", s.text()));
    const json& d = j["models"][0]["dedicated"];
    CHECK(d["replicas"] == 100000);
    CHECK(d["feasible"] == false);
    CHECK(d["infeasible_reason"].get<std::string>().find("more than the 100000 a reservation may hold") !=
          std::string::npos);
    CHECK(d["utilization"]["max"].get<double>() <= 0.75 + 1e-12);
    CHECK(j["warnings"].dump().find("is infeasible") != std::string::npos);
  }
  SECTION("a ttft target below the prefill itself is infeasible, not a million replicas") {
    s = ScenarioText{};
    s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 10000\ndecode_tokens_per_s = 3000\n"
                 "replicas = \"auto\"\nmax_concurrency = 8\nslo = { ttft_p95_s = 0.001 }\n";
    const fs::path file = dir.write("ttft.toml", s.text());
    const json j = run_ok(dir, "run", file);
    const json& d = j["models"][0]["dedicated"];
    CHECK(d["feasible"] == false);
    CHECK(d["slo"]["feasible"] == false);
    CHECK(d["slo"]["replicas"].is_null());
    CHECK(d["replicas"].get<int>() < 10);
    const CliResult table = run_cli("capacity " + quoted(file));
    CHECK(table.out.find("INFEASIBLE: no replica count meets the latency objective") != std::string::npos);
    CHECK(table.out.find("fewest replicas meeting the objective: none (infeasible)") != std::string::npos);
  }
}

TEST_CASE("7. work is bounded up front and interruptible throughout", "[probe][signals]") {
  const TempDir dir;
  SECTION("capacity --simulate of a huge peak hour is refused at once with a way out") {
    ScenarioText s;
    s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 1e6\ndecode_tokens_per_s = 1e6\nreplicas = 20\n"
                 "max_concurrency = 64\nslo = { ttft_p95_s = 30 }\n";
    s.workload = "requests_per_month = 2e10\ninput_tokens = 1000\noutput_tokens = 200\n";
    const fs::path fewer = dir.write("fewer.toml", s.text());
    const CliResult r = run_cli("capacity " + quoted(fewer) + " --simulate --replications 50");
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind(fewer.string() + ": error: --simulate would draw about 1.6e+09 arrivals", 0) == 0);
    CHECK(r.err.find("use --replications 15") != std::string::npos);
    s.workload = "requests_per_month = 1e11\ninput_tokens = 1000\noutput_tokens = 200\n";
    const fs::path none = dir.write("none.toml", s.text());
    const CliResult too_large = run_cli("capacity " + quoted(none) + " --simulate");
    CHECK(too_large.exit_code == 2);
    CHECK(too_large.err.find("the peak hour is too large to simulate") != std::string::npos);
  }
  SECTION("a run of hours is refused up front, saying how many trials fit") {
    ScenarioText s;
    s.scenario = "months = 120\ntrials = 1000000\n";
    const fs::path file = dir.write("long.toml", s.text());
    const CliResult r = run_cli("run " + quoted(file) + " --format json");
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(std::regex_search(r.err, std::regex(R"(: error: the run's 1000000 trials would take about [0-9.]+ CPU-hours)")));
    CHECK(std::regex_search(r.err, std::regex(R"(CPU-hour limit; use at most \d+ trials \(--trials\))")));
  }
  auto interrupted_within = [&](const std::vector<std::string>& args, int delay_ms) {
    const SignalledRun run = signal_cli(args, dir.path() / "stdout.txt", dir.path() / "stderr.txt",
                                        std::chrono::milliseconds(delay_ms), SIGINT);
    INFO(slurp(dir.path() / "stderr.txt"));
    REQUIRE_FALSE(run.exited_before_signal);
    REQUIRE(WIFEXITED(run.status));
    CHECK(WEXITSTATUS(run.status) == 130);
    WARN("SIGINT honoured after " << run.seconds_to_exit << " s");
    // The polls are at most a few hundred milliseconds apart; the margin is for sanitizers and
    // a loaded machine.
    CHECK(run.seconds_to_exit < 3.0);
  };
  SECTION("Ctrl-C during capacity --simulate") {
    ScenarioText s;
    s.workload = "requests_per_month = 2e10\ninput_tokens = 1000\noutput_tokens = 200\n";
    s.capacity = "usd_per_gpu_hour = 5\nprefill_tokens_per_s = 1e6\ndecode_tokens_per_s = 1e6\nreplicas = 20\n"
                 "max_concurrency = 64\nslo = { ttft_p95_s = 30 }\n";
    const fs::path file = dir.write("sim.toml", s.text());
    interrupted_within({"capacity", file.string(), "--simulate", "--replications", "12", "--trials", "16"}, 1500);
  }
  SECTION("Ctrl-C during --exact, inside a trial") {
    ScenarioText s;
    s.scenario = "trials = 1\n";
    s.workload = "requests_per_month = 3e8\ninput_tokens = 1000\noutput_tokens = 200\n";
    const fs::path file = dir.write("exact.toml", s.text());
    interrupted_within({"run", file.string(), "--exact"}, 1000);
  }
  SECTION("Ctrl-C while waiting on a FIFO with no writer") {
    const fs::path fifo = dir.path() / "scenario.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    interrupted_within({"run", fifo.string()}, 300);
  }
}

TEST_CASE("8. SIGTERM and SIGHUP end a run like SIGINT; failed writes are errors", "[probe][signals]") {
  const TempDir dir;
  for (const auto& [signal_number, code] : {std::pair{SIGTERM, 143}, std::pair{SIGHUP, 129}, std::pair{SIGINT, 130}}) {
    for (const bool twice : {false, true}) {
      INFO("signal " << signal_number << (twice ? " twice" : ""));
      const fs::path out = dir.path() / "OUT.json";
      const SignalledRun run = signal_cli({"run", source_path("scenarios/multi-tenant-12-month.toml").string(),
                                           "--trials", "200000", "--output", out.string()},
                                          dir.path() / "stdout.txt", dir.path() / "stderr.txt",
                                          std::chrono::milliseconds(800), signal_number, twice);
      REQUIRE_FALSE(run.exited_before_signal);
      REQUIRE(WIFEXITED(run.status));
      CHECK(WEXITSTATUS(run.status) == code);
      CHECK(dir.entries() == std::vector<std::string>{"stderr.txt", "stdout.txt"});
    }
  }
  SECTION("a write to standard output that fails is exit 1") {
    const std::vector<std::string> commands{"run --trials 16", "run --trials 16 --output -",
                                            "validate " + quoted(source_path("scenarios/quickstart.toml")), "catalog"};
    for (const std::string& command : commands) {
      INFO(command);
      const fs::path err = dir.path() / "full-stderr.txt";
      const int status = std::system((shell_quote(TOKENCAST_BINARY) + " " + command + " >/dev/full 2>" + quoted(err)).c_str());
      CHECK(WEXITSTATUS(status) == 1);
      CHECK(slurp(err).find("cannot write to standard output: No space left on device") != std::string::npos);
      fs::remove(err);
    }
  }
  SECTION("outputs are written together or not at all") {
    const fs::path report = dir.write("report.html", "the earlier report\n");
    fs::create_directories(dir.path() / "occupied");
    // The output's rename fails (a directory is in its place, as if it appeared after the check):
    // the report, already renamed, gets its earlier contents back.
    const std::vector<std::pair<tokencast::OutputTarget, std::string>> outputs{
        {tokencast::OutputTarget{"--report", report.string(), report.string()}, "new report\n"},
        {tokencast::OutputTarget{"--output", "occupied", (dir.path() / "occupied").string()}, "new output\n"}};
    CHECK_THROWS_AS(tokencast::write_outputs(outputs), tokencast::OutputError);
    CHECK(slurp(report) == "the earlier report\n");
    CHECK(dir.entries() == std::vector<std::string>{"occupied", "report.html", "stderr.txt", "stdout.txt"});
  }
}

TEST_CASE("9. numbers on the command line are decimal, in range, and a full uint64 seed", "[probe]") {
  for (const std::string args : {"--seed 18446744073709551616", "--seed 1e23", "--seed -1", "--seed 0x10",
                                 "--trials 0x10", "--trials ' 200'", "--trials 1e3", "--threads 0",
                                 "--precision inf", "--max-trials 10000001"}) {
    INFO(args);
    const CliResult r = run_cli("run " + args);
    CHECK(r.exit_code == 2);
    CHECK(std::regex_search(r.err, std::regex(R"(^tokencast: error: --[a-z-]+: got '.*', expected a decimal)")));
  }
  const CliResult full = run_cli("run --trials 16 --seed 18446744073709551615 --format json");
  REQUIRE(full.exit_code == 0);
  CHECK(json::parse(full.out)["run"]["seed"].get<std::uint64_t>() == 18446744073709551615ULL);
  const CliResult empty = run_cli("run ''");
  CHECK(empty.exit_code == 2);
  CHECK(empty.err.find("scenario: the path is empty") != std::string::npos);
}

TEST_CASE("10. text from input is escaped in tables and messages; CSV formulas are neutralised", "[probe]") {
  const TempDir dir;
  ScenarioText s;
  s.capacity.clear();
  std::string text = s.text();
  text.replace(text.find("name = \"chat\""), 13, "name = \"\\u001b[31mred\\u001b[0m\"");
  text.replace(text.find("name = \"probe\""), 14, "name = \"=HYPERLINK(1)\\u009b2J\"");
  const fs::path file = dir.write("escape.toml", text);
  const CliResult table = run_cli("run " + quoted(file));
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find('\x1b') == std::string::npos);
  CHECK(table.out.find("\\x1b[31mred\\x1b[0m") != std::string::npos);
  CHECK(table.out.find("\\u009b2J") != std::string::npos);
  const CliResult csv = run_cli("run " + quoted(file) + " --format csv");
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find('\x1b') == std::string::npos);
  CHECK(csv.out.find("workload,\\x1b[31mred\\x1b[0m,test/model") != std::string::npos);
  // A cell a spreadsheet would run as a formula gets a leading quote.
  std::string formula = s.text();
  formula.replace(formula.find("name = \"chat\""), 13, "name = \"=SUM(A1)\"");
  const CliResult neutral = run_cli("run " + quoted(dir.write("formula.toml", formula)) + " --format csv");
  REQUIRE(neutral.exit_code == 0);
  CHECK(neutral.out.find("workload,'=SUM(A1),") != std::string::npos);
  // An error message quoting an id with a control character.
  std::string bad = s.text();
  bad.replace(bad.find("model = \"test/model\""), 20, "model = \"evil\\u001b]0;x\\u0007\"");
  const CliResult error = run_cli("run " + quoted(dir.write("bad.toml", bad)));
  CHECK(error.exit_code == 2);
  CHECK(error.err.find('\x1b') == std::string::npos);
  CHECK(error.err.find("evil\\x1b]0;x\\x07") != std::string::npos);
}
