#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include "../sim/output/number_format.hpp"
#include "tokencast/output.hpp"

using namespace tokencast;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t statistics_per_summary = 9;  // mean, sd, p5, p50, p95, p99, min, max, mean_se
const std::vector<std::string> summary_keys{"mean", "sd", "p5", "p50", "p95", "p99", "min", "max", "mean_se"};

// A summary whose nine statistics are distinct, derived from its median.
Summary make_summary(double p50) {
  Summary s;
  s.mean = p50 * 1.01;
  s.sd = p50 * 0.1;
  s.p5 = p50 * 0.8;
  s.p50 = p50;
  s.p95 = p50 * 1.2;
  s.p99 = p50 * 1.3;
  s.min = p50 * 0.7;
  s.max = p50 * 1.5;
  s.mean_se = p50 * 0.001;
  s.n = 1000;
  return s;
}

// Month m (1-based) of a cost series totalling `p50`: grows with m, so first and last differ.
ModeCost make_cost(Mode mode, double p50, int months) {
  ModeCost cost{mode, make_summary(p50), {}, {}};
  if (months > 1) {
    for (int m = 1; m <= months; ++m) cost.monthly_usd.push_back(make_summary(p50 * m / (months * (months + 1) / 2.0)));
  }
  return cost;
}

const std::string model_id = "meta-llama/Llama-3.3-70B-Instruct-Turbo";
const std::string chat_name = "chat, \"support\"";  // a comma and quotes: CSV must quote it

// Two workloads of one model; the model has serverless, batch and a dedicated endpoint.
RunResult make_result(int months) {
  RunResult r;
  r.scenario_name = "output test";
  r.scenario_file = "scenarios/output_test.toml";
  r.catalog_as_of = "2026-07-16";
  r.trials = 1000;
  r.seed = 42;
  r.threads = 2;
  r.months = months;
  r.hours_per_month = 730;
  r.elapsed_s = 0.25;
  r.phases.simulate_s = 0.125;

  WorkloadResult chat;
  chat.name = chat_name;
  chat.model = model_id;
  chat.tags = {{"team", "support"}};
  chat.requests = make_summary(2e6 * months);
  chat.input_tokens = make_summary(6e9 * months);
  chat.output_tokens = make_summary(2e9 * months);
  chat.costs = {make_cost(Mode::serverless, 12000.0 * months, months), make_cost(Mode::batch, 6000.0 * months, months)};

  WorkloadResult summarize;
  summarize.name = "summarize";
  summarize.model = model_id;
  summarize.requests = make_summary(1e5 * months);
  summarize.input_tokens = make_summary(1e9 * months);
  summarize.output_tokens = make_summary(1e8 * months);
  summarize.costs = {make_cost(Mode::serverless, 1230.0 * months, months)};
  r.workloads = {chat, summarize};

  CapacityResult dedicated;
  dedicated.kind = CapacityKind::dedicated;
  dedicated.name = "llama-h100";
  dedicated.gpu = "H100-80GB";
  dedicated.auto_sized = true;
  dedicated.plan = CapacityPlan{2, 4, 0};
  dedicated.sizing_replicas_needed = 1.73;
  dedicated.overflow = OverflowPolicy::serverless;
  dedicated.utilization = make_summary(0.612);
  dedicated.overflow_share = make_summary(0.004);
  dedicated.usd_per_mtok = make_summary(0.55);
  dedicated.peak_replicas_needed = make_summary(1.6);

  ModelResult model;
  model.model = model_id;
  model.workloads = {chat.name, summarize.name};
  model.costs = {make_cost(Mode::serverless, 13230.0 * months, months), make_cost(Mode::batch, 7230.0 * months, months),
                 make_cost(Mode::dedicated, 5000.0 * months, months)};
  model.dedicated = dedicated;
  model.cheapest = Mode::dedicated;
  model.batch_peak_day_tokens = make_summary(4e8);
  model.batch_limit_months = {};
  r.models = {model};

  r.total = {make_cost(Mode::serverless, 13230.0 * months, months), make_cost(Mode::batch, 7230.0 * months, months),
             make_cost(Mode::cheapest_plan, 5000.0 * months, months)};
  RunWarning& warning = r.warnings.emplace_back();
  warning.code = WarningCode::capacity_infeasible;
  warning.subject = "d1";
  warning.reason = "something to note";
  return r;
}

template <class Json>
std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void check_summary(const nlohmann::json& j, const Summary& s) {
  REQUIRE(sorted(keys_of(j)) == sorted(summary_keys));
  // Doubles are dumped with enough digits to parse back to the same value: exact comparison.
  CHECK(j["mean"].get<double>() == s.mean);
  CHECK(j["sd"].get<double>() == s.sd);
  CHECK(j["p5"].get<double>() == s.p5);
  CHECK(j["p50"].get<double>() == s.p50);
  CHECK(j["p95"].get<double>() == s.p95);
  CHECK(j["p99"].get<double>() == s.p99);
  CHECK(j["min"].get<double>() == s.min);
  CHECK(j["max"].get<double>() == s.max);
  CHECK(j["mean_se"].get<double>() == s.mean_se);
}

// RFC 4180 reader, enough to check what format_csv writes.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  return rows;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t display_width(const std::string& line) {
  return static_cast<std::size_t>(
      std::count_if(line.begin(), line.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh directory per test case (ctest runs cases as parallel processes).
fs::path fresh_directory(const std::string& label) {
  const fs::path dir = fs::temp_directory_path() / ("tokencast-test-output-" + label + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> directory_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return sorted(names);
}

}  // namespace

TEST_CASE("find_cost and total_cost look modes up by name", "[output]") {
  const RunResult r = make_result(1);
  REQUIRE(r.total_cost(Mode::cheapest_plan) != nullptr);
  CHECK(r.total_cost(Mode::cheapest_plan)->total_usd.p50 == 5000.0);
  CHECK(r.total_cost(Mode::gpu_cluster) == nullptr);
  CHECK(find_cost(r.workloads[1].costs, Mode::batch) == nullptr);
  CHECK(find_cost(r.workloads[0].costs, Mode::batch) == &r.workloads[0].costs[1]);
}

TEST_CASE("JSON has exactly the documented keys, one month", "[output]") {
  const RunResult r = make_result(1);
  const std::string text = format_json(r);
  REQUIRE(text.back() == '\n');
  const nlohmann::json j = nlohmann::json::parse(text);

  CHECK(keys_of(nlohmann::ordered_json::parse(text)) ==
        std::vector<std::string>{"schema", "scenario", "run", "workloads", "models", "total", "warnings"});
  CHECK(j["schema"] == "tokencast.result/1");
  CHECK(sorted(keys_of(j["scenario"])) == sorted({"name", "file", "catalog_as_of"}));
  CHECK(j["scenario"]["name"] == "output test");
  CHECK(j["scenario"]["catalog_as_of"] == "2026-07-16");
  CHECK(sorted(keys_of(j["run"])) == sorted({"trials", "seed", "threads", "months", "hours_per_month", "elapsed_s", "phases_s", "redrawn_trials"}));
  CHECK(sorted(keys_of(j["run"]["phases_s"])) == sorted({"load", "plan", "simulate", "size", "statistics", "output"}));
  CHECK(j["run"]["phases_s"]["simulate"].get<double>() == 0.125);
  CHECK(j["run"]["trials"] == 1000);
  CHECK(j["run"]["seed"] == 42);
  CHECK(j["run"]["months"] == 1);
  CHECK(j["run"]["elapsed_s"].get<double>() == 0.25);

  REQUIRE(j["workloads"].size() == 2);
  const auto& chat = j["workloads"][0];
  CHECK(sorted(keys_of(chat)) ==
        sorted({"name", "model", "tags", "requests", "input_tokens", "output_tokens", "cost_usd"}));
  CHECK(chat["name"] == chat_name);
  CHECK(chat["tags"]["team"] == "support");
  check_summary(chat["requests"], r.workloads[0].requests);
  check_summary(chat["input_tokens"], r.workloads[0].input_tokens);
  check_summary(chat["output_tokens"], r.workloads[0].output_tokens);
  CHECK(sorted(keys_of(chat["cost_usd"])) == sorted({"serverless", "batch"}));
  check_summary(chat["cost_usd"]["batch"], r.workloads[0].costs[1].total_usd);

  // No tags, no batch: both absent.
  const auto& summarize = j["workloads"][1];
  CHECK(sorted(keys_of(summarize)) == sorted({"name", "model", "requests", "input_tokens", "output_tokens", "cost_usd"}));
  CHECK(keys_of(summarize["cost_usd"]) == std::vector<std::string>{"serverless"});

  REQUIRE(j["models"].size() == 1);
  const auto& model = j["models"][0];
  CHECK(sorted(keys_of(model)) == sorted({"model", "workloads", "cost_usd", "dedicated", "batch_peak_day_tokens",
                                          "batch_limit_months", "cheapest"}));
  CHECK(model["workloads"] == nlohmann::json::array({chat_name, "summarize"}));
  CHECK(sorted(keys_of(model["cost_usd"])) == sorted({"serverless", "batch", "dedicated"}));
  check_summary(model["cost_usd"]["dedicated"], r.models[0].costs[2].total_usd);
  CHECK(model["cheapest"] == "dedicated");
  CHECK(model["batch_limit_months"] == nlohmann::json::array());
  check_summary(model["batch_peak_day_tokens"], r.models[0].batch_peak_day_tokens);

  const auto& dedicated = model["dedicated"];
  CHECK(sorted(keys_of(dedicated)) ==
        sorted({"name", "gpu", "replicas", "replicas_sizing", "gpus", "sizing_replicas_needed", "feasible", "overflow",
                "utilization", "overflow_share", "usd_per_mtok", "peak_replicas_needed"}));
  CHECK(dedicated["name"] == "llama-h100");
  CHECK(dedicated["gpu"] == "H100-80GB");
  CHECK(dedicated["replicas"] == 2);
  CHECK(dedicated["gpus"] == 4);
  CHECK(dedicated["replicas_sizing"] == "auto");
  CHECK(dedicated["overflow"] == "serverless");
  CHECK(dedicated["sizing_replicas_needed"].get<double>() == 1.73);
  check_summary(dedicated["utilization"], r.models[0].dedicated->utilization);
  check_summary(dedicated["usd_per_mtok"], r.models[0].dedicated->usd_per_mtok);

  CHECK(keys_of(j["total"]) == std::vector<std::string>{"cost_usd"});
  CHECK(sorted(keys_of(j["total"]["cost_usd"])) == sorted({"serverless", "batch", "cheapest_plan"}));
  check_summary(j["total"]["cost_usd"]["cheapest_plan"], r.total[2].total_usd);
  CHECK(j["warnings"] == nlohmann::json::array({"dedicated 'd1' is infeasible: something to note"}));
}

TEST_CASE("JSON of three months adds monthly arrays beside the totals", "[output]") {
  const RunResult r = make_result(3);
  const nlohmann::json j = nlohmann::json::parse(format_json(r));
  CHECK(j["run"]["months"] == 3);

  const auto& chat = j["workloads"][0];
  CHECK(sorted(keys_of(chat["monthly_cost_usd"])) == sorted({"serverless", "batch"}));
  REQUIRE(chat["monthly_cost_usd"]["serverless"].size() == 3);
  for (std::size_t m = 0; m < 3; ++m) {
    check_summary(chat["monthly_cost_usd"]["serverless"][m], r.workloads[0].costs[0].monthly_usd[m]);
  }
  CHECK(keys_of(j["workloads"][1]["monthly_cost_usd"]) == std::vector<std::string>{"serverless"});

  const auto& model = j["models"][0];
  CHECK(sorted(keys_of(model["monthly_cost_usd"])) == sorted({"serverless", "batch", "dedicated"}));
  check_summary(model["monthly_cost_usd"]["dedicated"][2], r.models[0].costs[2].monthly_usd[2]);

  CHECK(keys_of(j["total"]) == std::vector<std::string>{"cost_usd", "monthly_cost_usd"});
  REQUIRE(j["total"]["monthly_cost_usd"]["cheapest_plan"].size() == 3);
  check_summary(j["total"]["monthly_cost_usd"]["cheapest_plan"][0], r.total[2].monthly_usd[0]);
}

TEST_CASE("JSON: a GPU cluster reports nodes, fixed sizing, drop overflow; batch fields go with batch",
          "[output]") {
  RunResult r = make_result(1);
  ModelResult& model = r.models[0];
  CapacityResult cluster = *model.dedicated;
  cluster.kind = CapacityKind::gpu_cluster;
  cluster.name = "cluster";
  cluster.gpu = "";
  cluster.auto_sized = false;
  cluster.plan = CapacityPlan{8, 16, 2};
  cluster.overflow = OverflowPolicy::drop;
  model.dedicated.reset();
  model.gpu_cluster = cluster;
  model.costs = {make_cost(Mode::serverless, 13230.0, 1), make_cost(Mode::gpu_cluster, 9000.0, 1)};
  model.cheapest = Mode::gpu_cluster;

  const nlohmann::json j = nlohmann::json::parse(format_json(r));
  const auto& m = j["models"][0];
  CHECK(sorted(keys_of(m)) == sorted({"model", "workloads", "cost_usd", "gpu_cluster", "cheapest"}));
  CHECK(sorted(keys_of(m["cost_usd"])) == sorted({"serverless", "gpu_cluster"}));
  const auto& c = m["gpu_cluster"];
  CHECK(sorted(keys_of(c)) == sorted({"name", "replicas", "replicas_sizing", "gpus", "nodes", "sizing_replicas_needed", "feasible",
                                      "overflow", "utilization", "overflow_share", "usd_per_mtok",
                                      "peak_replicas_needed"}));
  CHECK(c["nodes"] == 2);
  CHECK(c["gpus"] == 16);
  CHECK(c["replicas_sizing"] == "fixed");
  CHECK(c["overflow"] == "drop");
}

TEST_CASE("JSON numbers round-trip and non-finite numbers become null", "[output]") {
  RunResult r = make_result(1);
  r.workloads[0].requests.mean = 0.1 + 0.2;  // 0.30000000000000004: needs 17 digits
  r.workloads[0].requests.sd = 1.0 / 3.0;
  r.workloads[0].requests.max = std::numeric_limits<double>::infinity();
  r.workloads[0].requests.min = std::numeric_limits<double>::quiet_NaN();
  const nlohmann::json j = nlohmann::json::parse(format_json(r));
  const auto& requests = j["workloads"][0]["requests"];
  CHECK(requests["mean"].get<double>() == 0.1 + 0.2);
  CHECK(requests["sd"].get<double>() == 1.0 / 3.0);
  CHECK(requests["max"].is_null());
  CHECK(requests["min"].is_null());
}

TEST_CASE("CSV: header, one row per statistic, quoted fields", "[output]") {
  for (int months : {1, 3}) {
    const RunResult r = make_result(months);
    const std::string text = format_csv(r);
    const auto rows = parse_csv(text);
    REQUIRE(!rows.empty());
    CHECK(rows[0] == std::vector<std::string>{"section", "name", "model", "mode", "metric", "month", "statistic", "value"});

    // Cost series: workloads 2 + 1, model 3, total 3; each a horizon summary plus one per month.
    const std::size_t cost_series = 2 + 1 + 3 + 3;
    const std::size_t summaries_per_series = months > 1 ? 1 + static_cast<std::size_t>(months) : 1;
    const std::size_t volume_summaries = 2 * 3;        // requests, input and output tokens of two workloads
    const std::size_t model_summaries = 1;             // batch_peak_day_tokens
    const std::size_t capacity_summaries = 4;          // utilization, overflow_share, usd_per_mtok, peak_replicas
    const std::size_t capacity_values = 3;             // replicas, gpus, sizing_replicas_needed
    const std::size_t expected_rows =
        statistics_per_summary *
            (cost_series * summaries_per_series + volume_summaries + model_summaries + capacity_summaries) +
        capacity_values;
    CAPTURE(months);
    CHECK(rows.size() == 1 + expected_rows);
    CHECK(std::count(text.begin(), text.end(), '\n') == static_cast<long>(1 + expected_rows));
    for (const auto& row : rows) CHECK(row.size() == 8);

    // The workload name holds a comma and quotes: quoted, quotes doubled.
    CHECK(text.find("\nworkload,\"chat, \"\"support\"\"\"," + model_id + ",,requests,,mean,") != std::string::npos);
    CHECK(rows[1][1] == chat_name);
    CHECK(text.find("\ntotal,,,cheapest_plan,cost_usd,,p50," + fmt::format("{}", 5000.0 * months) + "\n") !=
          std::string::npos);
    CHECK(text.find("\ncapacity,llama-h100," + model_id + ",dedicated,replicas,,value,2\n") != std::string::npos);
    const bool has_month_rows = text.find(",cost_usd,2,mean,") != std::string::npos;
    CHECK(has_month_rows == (months > 1));
  }
}

TEST_CASE("CSV values keep full precision", "[output]") {
  RunResult r = make_result(1);
  r.total[0].total_usd.mean = 0.1 + 0.2;
  const auto rows = parse_csv(format_csv(r));
  const auto row = std::find_if(rows.begin(), rows.end(), [](const auto& f) {
    return f[0] == "total" && f[3] == "serverless" && f[6] == "mean";
  });
  REQUIRE(row != rows.end());
  CHECK(std::stod((*row)[7]) == 0.1 + 0.2);
}

TEST_CASE("table: models, workloads, totals, cheapest marker, width", "[output]") {
  const RunResult r = make_result(1);
  const std::string table = format_table(r);
  const auto lines = lines_of(table);
  CAPTURE(table);

  CHECK(lines.at(0).find("output test") != std::string::npos);
  CHECK(lines.at(0).find("1,000 trials") != std::string::npos);
  CHECK(lines.at(0).find("seed 42") != std::string::npos);
  CHECK(lines.at(0).find("1 month") != std::string::npos);
  CHECK(lines.at(0).find("2 threads") != std::string::npos);
  CHECK(table.find(model_id) != std::string::npos);
  CHECK(table.find("$12,000") != std::string::npos);               // chat, serverless p50
  CHECK(table.find("$9,600 – $14,400") != std::string::npos);      // its p5 – p95
  CHECK(table.find("$1,230") != std::string::npos);                // summarize, serverless p50
  CHECK(table.find("2,000,000") != std::string::npos);             // chat requests p50
  CHECK(table.find("61.2%") != std::string::npos);                 // dedicated utilization p50
  CHECK(table.find("2 (4 GPUs)") != std::string::npos);
  CHECK(table.find("totals over") == std::string::npos);

  std::vector<std::string> marked;
  for (const auto& line : lines) {
    if (line.find("← cheapest") != std::string::npos) marked.push_back(line);
  }
  REQUIRE(marked.size() == 1);
  CHECK(marked[0].rfind("    dedicated ", 0) == 0);

  CHECK(lines.back() == "warning: dedicated 'd1' is infeasible: something to note");
  for (const auto& line : lines) {
    CAPTURE(line);
    CHECK(display_width(line) <= 110);
  }
}

TEST_CASE("table of three months states the horizon and shows first and last month", "[output]") {
  const RunResult r = make_result(3);
  const std::string table = format_table(r);
  CAPTURE(table);
  CHECK(table.find("totals over 3 months") != std::string::npos);
  CHECK(table.find("month 1 p50") != std::string::npos);
  CHECK(table.find("month 3 p50") != std::string::npos);
  // Cheapest plan: 15,000 over 3 months, split 1:2:3 -> month 1 $2,500, month 3 $7,500.
  const auto lines = lines_of(table);
  const auto total_row = std::find_if(lines.begin(), lines.end(),
                                      [](const std::string& l) { return l.rfind("  cheapest plan", 0) == 0; });
  REQUIRE(total_row != lines.end());
  CHECK(total_row->find("$15,000") != std::string::npos);
  CHECK(total_row->find("$2,500") != std::string::npos);
  CHECK(total_row->find("$7,500") != std::string::npos);
}

TEST_CASE("table stays within 110 columns with long names", "[output]") {
  RunResult r = make_result(1);
  r.workloads[0].name = std::string(60, 'w');
  r.workloads[0].model = std::string(70, 'm');
  const std::string table = format_table(r);
  CAPTURE(table);
  for (const auto& line : lines_of(table)) {
    CAPTURE(line);
    CHECK(display_width(line) <= 110);
  }
  CHECK(table.find("…") != std::string::npos);
}

TEST_CASE("format_usd: cents below $100, whole dollars with separators above", "[output]") {
  CHECK(format_usd(0) == "$0.00");
  CHECK(format_usd(0.004) == "<$0.01");
  CHECK(format_usd(0.6) == "$0.60");
  CHECK(format_usd(99.99) == "$99.99");
  CHECK(format_usd(100) == "$100");
  CHECK(format_usd(999.5) == "$1,000");  // half rounds away from zero
  CHECK(format_usd(12000) == "$12,000");
  CHECK(format_usd(1234567.891) == "$1,234,568");
  CHECK(format_usd(1e15) == "$1,000,000,000,000,000");
  CHECK(format_usd(-1234.4) == "-$1,234");
  CHECK(format_usd(-5.5) == "-$5.50");
  CHECK(format_usd(-0.004) == "$0.00");
  CHECK(format_usd(std::numeric_limits<double>::quiet_NaN()) == "n/a");
  CHECK(format_usd(std::numeric_limits<double>::infinity()) == "n/a");
}

TEST_CASE("format_count and format_percent", "[output]") {
  CHECK(format_count(0) == "0");
  CHECK(format_count(0.004) == "0");
  CHECK(format_count(-0.4) == "0");
  CHECK(format_count(999.5) == "1,000");
  CHECK(format_count(999) == "999");
  CHECK(format_count(1234567.891) == "1,234,568");
  CHECK(format_count(-1234567.891) == "-1,234,568");
  CHECK(format_count(std::numeric_limits<double>::quiet_NaN()) == "n/a");
  CHECK(format_percent(0.1234) == "12.3%");
  CHECK(format_percent(0) == "0.0%");
  CHECK(format_percent(1) == "100.0%");
  CHECK(format_percent(-0.00001) == "0.0%");
  CHECK(group_thousands("-1234.5") == "-1,234.5");
  CHECK(group_thousands("123") == "123");
}

TEST_CASE("write_file_atomically writes and replaces, leaving no temp file", "[output]") {
  const fs::path dir = fresh_directory("write");
  const std::string path = (dir / "result.json").string();
  write_file_atomically(path, "first\n");
  CHECK(read_all(path) == "first\n");
  write_file_atomically(path, "second, longer\n");
  CHECK(read_all(path) == "second, longer\n");
  write_file_atomically(path, "");
  CHECK(read_all(path).empty());
  CHECK(directory_entries(dir) == std::vector<std::string>{"result.json"});
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomically: failures throw naming the path and leave the old file", "[output]") {
  const fs::path dir = fresh_directory("fail");
  const std::string path = (dir / "result.csv").string();
  write_file_atomically(path, "old\n");

  SECTION("unwritable directory") {
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    if (::access(dir.c_str(), W_OK) == 0) {
      WARN("permission bits do not stop this user (root); the write-failure section covers cleanup");
    } else {
      CHECK_THROWS_WITH(write_file_atomically(path, "new\n"),
                        Catch::Contains(path) && Catch::Contains("Permission denied"));
    }
    fs::permissions(dir, fs::perms::owner_all);
  }
  SECTION("a write that fails midway") {
    // A file-size limit makes write() fail with EFBIG whoever we are; SIGXFSZ would kill us.
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    rlimit small = saved;
    small.rlim_cur = 16;
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    CHECK_THROWS_WITH(write_file_atomically(path, std::string(1 << 16, 'x')),
                      Catch::Contains(path) && Catch::Contains("File too large"));
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &saved) == 0);
    std::signal(SIGXFSZ, previous);
  }
  SECTION("rename onto a directory") {
    const fs::path target = dir / "occupied";
    fs::create_directories(target / "inside");
    CHECK_THROWS_WITH(write_file_atomically(target.string(), "new\n"), Catch::Contains(target.string()));
    CHECK(fs::is_directory(target / "inside"));
    fs::remove_all(target);
  }
  SECTION("missing directory") {
    const std::string missing = (dir / "no-such-dir" / "result.csv").string();
    CHECK_THROWS_WITH(write_file_atomically(missing, "new\n"),
                      Catch::Contains(missing) && Catch::Contains("No such file or directory"));
  }

  CHECK(read_all(path) == "old\n");
  CHECK(directory_entries(dir) == std::vector<std::string>{"result.csv"});
  fs::remove_all(dir);
}
