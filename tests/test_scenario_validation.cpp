// A scenario built in code goes through the loader's own checks (validate_scenario): the same key
// path and message as a TOML file of the same content, without a position; and scenario_toml
// writes a scenario the loader reads back into one that runs the same.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "result_json.hpp"
#include "tokencast/engine.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;

namespace {

// A small valid scenario, as TOML; each case below changes one line of it and the same field of
// the scenario built in code.
const std::string base_toml = R"(
[scenario]
name = "validation"
months = 2
trials = 100
seed = 5

[[model]]
id = "acme/chat-70b"
input_usd_per_mtok = 0.9
output_usd_per_mtok = 0.9

[[workload]]
name = "chat"
model = "acme/chat-70b"
requests_per_month = 1000000
input_tokens = { dist = "lognormal", mean = 1200, cv = 0.8 }
output_tokens = { dist = "pert", min = 100, mode = 200, max = 400 }
traffic = { daily_peak_to_mean = 2, burstiness = 0.1 }

[[dedicated]]
name = "chat-h100"
model = "acme/chat-70b"
usd_per_gpu_hour = 3.5
prefill_tokens_per_s = 8000
decode_tokens_per_s = 1500
)";

const Catalog no_catalog;

Scenario base_in_code() {
  Scenario s;
  s.name = "validation";
  s.file = "built-in-code";
  s.months = 2;
  s.trials = 100;
  s.seed = 5;
  ModelSpec m;
  m.id = "acme/chat-70b";
  m.input_usd_per_mtok = 0.9;
  m.output_usd_per_mtok = 0.9;
  s.models = {m};
  WorkloadSpec w;
  w.name = "chat";
  w.model = m.id;
  w.requests_per_month = 1e6;
  w.input_tokens = distribution(DistKind::lognormal, ParamSet::mean_cv, {1200.0, 0.8});
  w.output_tokens = distribution(DistKind::pert, ParamSet::standard, {100.0, 200.0, 400.0, 4.0});
  w.traffic.daily_peak_to_mean = 2.0;
  w.traffic.burstiness = 0.1;
  s.workloads = {w};
  CapacitySpec c;
  c.name = "chat-h100";
  c.model = m.id;
  c.usd_per_gpu_hour = 3.5;
  c.prefill_tokens_per_s = 8000.0;
  c.decode_tokens_per_s = 1500.0;
  s.capacity = {c};
  return s;
}

InputError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  FAIL("no InputError");
  throw std::logic_error("unreachable");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the base scenario is valid both ways", "[validation]") {
  CHECK_NOTHROW(load_scenario_text(base_toml, "base.toml", no_catalog));
  CHECK_NOTHROW(validate_scenario(base_in_code()));
}

TEST_CASE("a scenario built in code gets the TOML file's key path and message, without a position",
          "[validation]") {
  struct Case {
    const char* what;
    std::string from, to;  // in the TOML
    std::function<void(Scenario&)> change;  // in code
    std::string key_path;
  };
  const std::vector<Case> cases{
      {"burstiness out of range", "burstiness = 0.1", "burstiness = 20",
       [](Scenario& s) { s.workloads[0].traffic.burstiness = 20.0; }, "workload[0].traffic.burstiness"},
      {"throughput of 0", "prefill_tokens_per_s = 8000", "prefill_tokens_per_s = 0",
       [](Scenario& s) { s.capacity[0].prefill_tokens_per_s = 0.0; }, "dedicated[0].prefill_tokens_per_s"},
      {"pert with min above max", "min = 100, mode = 200, max = 400", "min = 500, mode = 200, max = 400",
       [](Scenario& s) {
         s.workloads[0].output_tokens = distribution(DistKind::pert, ParamSet::standard, {500.0, 200.0, 400.0, 4.0});
       },
       "workload[0].output_tokens"},
      {"negative price", "input_usd_per_mtok = 0.9", "input_usd_per_mtok = -1",
       [](Scenario& s) { s.models[0].input_usd_per_mtok = -1.0; }, "model[0].input_usd_per_mtok"},
      {"a model no one declared", "model = \"acme/chat-70b\"\nrequests_per_month",
       "model = \"acme/chat-7b\"\nrequests_per_month", [](Scenario& s) { s.workloads[0].model = "acme/chat-7b"; },
       "workload[0].model"},
      {"months out of range", "months = 2", "months = 0", [](Scenario& s) { s.months = 0; }, "scenario.months"},
      {"an slo without max_concurrency", "decode_tokens_per_s = 1500", "decode_tokens_per_s = 1500\nslo = { ttft_p95_s = 2 }",
       [](Scenario& s) { s.capacity[0].slo_ttft_p95_s = 2.0; }, "dedicated[0].slo"},
      {"not a number", "requests_per_month = 1000000", "requests_per_month = nan",
       [](Scenario& s) { s.workloads[0].requests_per_month = std::nan(""); }, "workload[0].requests_per_month"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const InputError from_toml =
        error_of([&] { load_scenario_text(replaced(base_toml, c.from, c.to), "case.toml", no_catalog); });
    Scenario s = base_in_code();
    c.change(s);
    const InputError from_code = error_of([&] { validate_scenario(s); });
    CHECK(from_toml.key_path() == c.key_path);
    CHECK(from_code.key_path() == from_toml.key_path());
    CHECK(from_code.message() == from_toml.message());
    CHECK(from_toml.where().line > 0);
    CHECK(from_code.where().line == 0);
    CHECK(from_code.where().file == "built-in-code");
    CHECK(std::string(from_code.what()).rfind("built-in-code: error: " + c.key_path + ": ", 0) == 0);
  }
}

TEST_CASE("scenario_toml writes what the loader reads back into a scenario that runs the same", "[validation]") {
  for (const char* file : {"scenarios/quickstart.toml", "scenarios/article-example.toml",
                           "scenarios/chat-assistant-dedicated.toml", "scenarios/coding-copilot-bursty.toml",
                           "scenarios/multi-tenant-12-month.toml", "scenarios/nightly-batch-summaries.toml"}) {
    INFO(file);
    const Scenario loaded = load_scenario_file(std::string(TOKENCAST_SOURCE_DIR) + "/" + file);
    CHECK_NOTHROW(validate_scenario(loaded));
    const Scenario again = load_scenario_text(scenario_toml(loaded), loaded.file, no_catalog);
    RunOptions options;
    options.trials = 300;
    auto results = [&](const Scenario& s) {
      nlohmann::json j = test::without_timing(nlohmann::json::parse(format_json(run_scenario(s, options))));
      j.erase("scenario");  // the catalog's date and sources are not the scenario's
      return j;
    };
    // The catalog GPU's id is not written (its price per GPU-hour is): the only difference.
    Scenario without_gpu_ids = loaded;
    for (CapacitySpec& c : without_gpu_ids.capacity) c.gpu.clear();
    CHECK(results(again) == results(without_gpu_ids));
  }
}
