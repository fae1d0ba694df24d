// Work units (include/tokencast/work_units.hpp): computed in any order, each in a process of its
// own (a fresh job object), and added in unit order, they give what one process gives, bit for
// bit; shard ranges cover every unit once; the partial result format refuses what it must.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "tokencast/breakeven.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/partial_results.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/sensitivity.hpp"
#include "tokencast/work_units.hpp"

using namespace tokencast;

namespace {

Scenario shipped(const std::string& name) {
  return load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/" + name, builtin_catalog());
}

// The result's JSON with the timing fields zeroed: every number the run reports.
std::string untimed_json(RunResult r) {
  r.elapsed_s = 0;
  r.phases = RunPhases{};
  return format_json(r);
}

// Each unit computed by a job of its own (as another process would), last unit first.
template <class Make>
std::vector<std::string> computed_apart(Make make) {
  const std::int64_t n = make().count();
  std::vector<std::string> bytes(static_cast<std::size_t>(n));
  for (std::int64_t u = n; u-- > 0;) bytes[static_cast<std::size_t>(u)] = make().compute(u);
  return bytes;
}

RunOptions options_of(std::int64_t trials, std::uint64_t seed, int threads) {
  RunOptions o;
  o.trials = trials;
  o.seed = seed;
  o.threads = threads;
  return o;
}

}  // namespace

TEST_CASE("run units computed apart and added in order give run_scenario's result, bit for bit") {
  struct Case {
    std::string scenario;
    std::int64_t trials;
    double monthly_storage_bytes;
  };
  // Plain; "auto" replicas sized over every trial (kept hours, redrawn trials); a 12-month
  // horizon whose monthly columns are summarised a block at a time.
  for (const Case& c : {Case{"quickstart.toml", 1500, 256.0 * (1 << 20)}, Case{"chat-assistant-dedicated.toml", 1200, 256.0 * (1 << 20)},
                        Case{"multi-tenant-12-month.toml", 700, 200'000.0}}) {
    INFO(c.scenario);
    const Scenario scenario = shipped(c.scenario);
    RunOptions options = options_of(c.trials, 21, 2);
    options.monthly_storage_bytes = c.monthly_storage_bytes;
    options.group_by = {"tenant"};
    const RunResult one = run_scenario(scenario, options);
    RunOptions shard = options;
    shard.threads = 1;
    const auto bytes = computed_apart([&] { return RunUnits(scenario, shard); });
    RunOptions merging = options;
    merging.threads = 2;
    RunUnits merged(scenario, merging);
    REQUIRE(merged.count() == static_cast<std::int64_t>(bytes.size()));
    for (std::int64_t u = 0; u < merged.count(); ++u) merged.add(u, bytes[static_cast<std::size_t>(u)]);
    // The shards ran at 1 thread, the merge and the one process at 2: threads do not matter.
    CHECK(untimed_json(merged.result()) == untimed_json(one));
  }
}

TEST_CASE("breakeven units give run_breakeven's result, its volume grid included") {
  const Scenario scenario = shipped("chat-assistant-dedicated.toml");
  VolumeGridOptions grid;
  grid.points = 8;
  const RunResult one = run_breakeven(scenario, options_of(600, 3, 2), grid);
  const auto bytes = computed_apart([&] { return BreakevenUnits(scenario, options_of(600, 3, 2), grid); });
  BreakevenUnits merged(scenario, options_of(600, 3, 2), grid);
  for (std::int64_t u = 0; u < merged.count(); ++u) merged.add(u, bytes[static_cast<std::size_t>(u)]);
  const RunResult r = merged.result();
  REQUIRE(r.breakeven);
  CHECK(!r.breakeven->volume.empty());
  CHECK(untimed_json(r) == untimed_json(one));
}

TEST_CASE("sensitivity units computed apart give sensitivity_analysis's result") {
  const Scenario scenario = shipped("quickstart.toml");
  const Sensitivity one = sensitivity_analysis(scenario, "total.cheapest_plan", options_of(300, 9, 2));
  const auto bytes = computed_apart([&] { return SensitivityUnits(scenario, "total.cheapest_plan", options_of(300, 9, 2)); });
  SensitivityUnits merged(scenario, "total.cheapest_plan", options_of(300, 9, 2));
  for (std::int64_t u = 0; u < merged.count(); ++u) merged.add(u, bytes[static_cast<std::size_t>(u)]);
  const Sensitivity s = merged.result();
  REQUIRE(s.inputs.size() == one.inputs.size());
  CHECK(s.output_mean == one.output_mean);
  for (std::size_t k = 0; k < s.inputs.size(); ++k) {
    CHECK(s.inputs[k].key_path == one.inputs[k].key_path);
    CHECK(s.inputs[k].first_order.value == one.inputs[k].first_order.value);
    CHECK(s.inputs[k].mean_swing.value == one.inputs[k].mean_swing.value);
    CHECK(s.inputs[k].p95_swing.hi == one.inputs[k].p95_swing.hi);
    for (std::size_t l = 0; l < s.inputs[k].spider.size(); ++l) {
      CHECK(s.inputs[k].spider[l].output_p95 == one.inputs[k].spider[l].output_p95);
    }
  }
}

TEST_CASE("a unit's bytes added as another unit, or cut short, are refused") {
  const Scenario scenario = shipped("quickstart.toml");
  RunUnits units(scenario, options_of(1000, 1, 1));
  REQUIRE(units.count() == 4);
  const std::string second = units.compute(1);
  CHECK_THROWS_AS(units.add(0, second), std::invalid_argument);
  CHECK_THROWS_AS(units.add(0, units.compute(0).substr(0, 100)), std::invalid_argument);
  CHECK_THROWS_AS(units.add(1, second), std::invalid_argument);  // out of order
}

TEST_CASE("shard ranges are contiguous, cover every unit once and split the cost evenly") {
  const Scenario scenario = shipped("quickstart.toml");
  const RunUnits units(scenario, options_of(100'000, 1, 1));
  REQUIRE(units.count() == 256);
  for (int n = 1; n <= 12; ++n) {
    std::int64_t next = 0;
    for (int i = 1; i <= n; ++i) {
      const UnitRange r = shard_range(units, i, n);
      CHECK(r.first == next);
      next = r.end;
      // Equal units: each shard within one unit of an even share.
      CHECK(std::abs(static_cast<double>(r.end - r.first) - 256.0 / n) <= 1.0);
    }
    CHECK(next == 256);
  }
  // More shards than units: some hold none, all still covered.
  const RunUnits small(scenario, options_of(200, 1, 1));
  REQUIRE(small.count() == 1);
  std::int64_t held = 0;
  for (int i = 1; i <= 3; ++i) held += shard_range(small, i, 3).end - shard_range(small, i, 3).first;
  CHECK(held == 1);
  CHECK_THROWS_AS(shard_range(small, 4, 3), std::invalid_argument);
}

namespace {

PartialResult part_of(int shard, int shards) {
  PartialResult p;
  p.identity.tool_version = TOKENCAST_VERSION;
  p.identity.command = "run";
  p.identity.arguments = {"s.toml", "--trials", "1000"};
  p.identity.scenario_file = "s.toml";
  p.identity.scenario_text = "name = \"s\"\n";
  p.identity.seed = 7;
  p.identity.trials = 1000;
  p.identity.units = 4;
  p.shard = shard;
  p.shards = shards;
  p.range = {(shard - 1) * 4 / shards, shard * 4 / shards};
  for (std::int64_t u = p.range.first; u < p.range.end; ++u) p.unit_bytes.push_back(std::string(1000, static_cast<char>('a' + u)));
  p.format = "json";
  return p;
}

std::string message_of(std::vector<PartialResult> parts, const std::vector<std::string>& files) {
  try {
    check_parts(std::move(parts), files);
  } catch (const InputError& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("a partial result reads back as written; truncated, corrupted or foreign bytes are refused naming the file") {
  const PartialResult p = part_of(2, 2);
  const std::string bytes = encode_partial_result(p);
  const PartialResult back = decode_partial_result(bytes, "b.part");
  CHECK(back.identity.scenario_digest() == p.identity.scenario_digest());
  CHECK(back.identity.arguments == p.identity.arguments);
  CHECK(back.unit_bytes == p.unit_bytes);
  CHECK(back.range.first == 2);
  CHECK(back.format == "json");
  // zstd: 2,000 bytes of repeated letters take far less.
  CHECK(bytes.size() < 400);
  const auto refusal = [](const std::string& b) {
    try {
      decode_partial_result(b, "b.part");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refusal(bytes.substr(0, bytes.size() - 5)), Catch::Contains("b.part") && Catch::Contains("truncated"));
  CHECK_THAT(refusal(bytes.substr(0, 20)), Catch::Contains("truncated"));
  std::string flipped = bytes;
  flipped[flipped.size() - 10] ^= 0x10;
  CHECK_THAT(refusal(flipped), Catch::Contains("b.part") && Catch::Contains("checksum"));
  CHECK_THAT(refusal("{\"trials\": 3}"), Catch::Contains("not a tokencast partial result"));
  // The header's body size (bytes 27..34) is outside the checksum: checked against the zstd frame
  // before anything that large is allocated.
  std::string huge = bytes;
  huge[33] = 0x7f;
  CHECK_THAT(refusal(huge), Catch::Contains("header's body size"));
  // What merge would run again is one of the split commands, with no option merge gives itself.
  PartialResult foreign = p;
  foreign.identity.command = "merge";
  CHECK_THAT(refusal(encode_partial_result(foreign)), Catch::Contains("records the command 'merge'"));
  foreign = p;
  foreign.identity.arguments.push_back("--output=x.json");
  CHECK_THAT(refusal(encode_partial_result(foreign)), Catch::Contains("--output=x.json"));
}

TEST_CASE("check_parts refuses parts of different versions, seeds, scenarios or commands, and missing or repeated shards") {
  const std::vector<std::string> files{"a.part", "b.part"};
  CHECK(message_of({part_of(1, 2), part_of(2, 2)}, files) == "accepted");
  CHECK(check_parts({part_of(2, 2), part_of(1, 2)}, {"b.part", "a.part"}).front().shard == 1);
  PartialResult other = part_of(2, 2);
  other.identity.tool_version = "0.0.1";
  CHECK_THAT(message_of({part_of(1, 2), other}, files), Catch::Contains("b.part") && Catch::Contains("tokencast 0.0.1"));
  other = part_of(2, 2);
  other.identity.seed = 8;
  CHECK_THAT(message_of({part_of(1, 2), other}, files), Catch::Contains("b.part") && Catch::Contains("different seeds"));
  other = part_of(2, 2);
  other.identity.scenario_text += "# changed\n";
  CHECK_THAT(message_of({part_of(1, 2), other}, files), Catch::Contains("b.part") && Catch::Contains("different scenarios"));
  other = part_of(2, 2);
  other.identity.sets = {"workload[0].requests_per_month=1"};
  CHECK_THAT(message_of({part_of(1, 2), other}, files), Catch::Contains("different scenarios"));
  other = part_of(2, 2);
  other.identity.arguments.push_back("--exact");
  CHECK_THAT(message_of({part_of(1, 2), other}, files), Catch::Contains("different command lines"));
  CHECK_THAT(message_of({part_of(1, 3), part_of(3, 3)}, files), Catch::Contains("shard 2/3 is missing"));
  CHECK_THAT(message_of({part_of(1, 2), part_of(1, 2)}, files), Catch::Contains("b.part") && Catch::Contains("duplicated"));
  CHECK_THAT(message_of({part_of(1, 2), part_of(2, 3)}, files), Catch::Contains("b.part") && Catch::Contains("splits"));
}

TEST_CASE("merge refuses a part written by another version, exit 2, naming it and writing nothing") {
  const test::TempDir dir;
  const std::string scenario = std::string(TOKENCAST_SOURCE_DIR) + "/scenarios/quickstart.toml";
  const auto part = [&](int i) { return (dir.path() / ("p" + std::to_string(i) + ".part")).string(); };
  for (int i = 1; i <= 2; ++i) {
    const auto r = test::run_cli("run " + test::shell_quote(scenario) + " --trials 600 --shard " + std::to_string(i) +
                                 "/2 -o " + test::shell_quote(part(i)));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
  }
  PartialResult old = read_partial_result(part(2));
  old.identity.tool_version = "0.0.1";
  std::ofstream(part(2), std::ios::binary | std::ios::trunc) << encode_partial_result(old);
  const std::string out = (dir.path() / "merged.json").string();
  const auto r = test::run_cli("merge " + test::shell_quote(part(1)) + " " + test::shell_quote(part(2)) + " -o " +
                               test::shell_quote(out));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(part(2)) && Catch::Contains("version"));
  CHECK(!std::filesystem::exists(out));
  // A directory is not a part.
  const auto directory = test::run_cli("merge " + test::shell_quote(part(1)) + " " + test::shell_quote(dir.path().string()));
  CHECK(directory.exit_code == 2);
  CHECK_THAT(directory.err, Catch::Contains(dir.path().string()) && Catch::Contains("directory"));
  // A shard needs its file, and leaves the report to the merge.
  CHECK(test::run_cli("run " + test::shell_quote(scenario) + " --shard 1/2").exit_code == 2);
  CHECK(test::run_cli("run " + test::shell_quote(scenario) + " --shard 3/2 -o x.part").exit_code == 2);
  CHECK(test::run_cli("run " + test::shell_quote(scenario) + " --shard 1/2 --precision 0.01 -o " +
                      test::shell_quote(part(3))).exit_code == 2);
}
