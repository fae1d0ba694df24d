// The scenario loader: good scenarios give the expected values; bad ones give an InputError naming
// the key path, the position and what is wrong.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"

using namespace tokencast;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Prices of this catalog are made up; the tests depend on them, not on the real catalog.
Catalog test_catalog() {
  Catalog catalog;
  catalog.provider = "test";
  catalog.as_of = "2025-01-15";
  ModelSpec big;
  big.id = "acme/big-model";
  big.input_usd_per_mtok = 1.0;
  big.output_usd_per_mtok = 2.0;
  big.cached_input_usd_per_mtok = Quantity(0.5);
  big.batch_discount = Quantity(0.5);
  big.context_tokens = 65536;
  big.source = "test prices";
  big.as_of = "2025-01-15";
  big.from_catalog = true;
  ModelSpec small;
  small.id = "acme/small-model";
  small.input_usd_per_mtok = 0.1;
  small.output_usd_per_mtok = 0.2;
  small.context_tokens = 8192;
  small.source = "test prices";
  small.as_of = "2025-01-10";
  small.from_catalog = true;
  catalog.models = {big, small};  // sorted by id
  catalog.gpus = {GpuSpec{"A100-80GB", 2.5, "test", "2025-01-15"},
                  GpuSpec{"H100-80GB", 3.99, "test", "2025-01-15"}};
  return catalog;
}

const Catalog& catalog() {
  static const Catalog instance = test_catalog();
  return instance;
}

Scenario load(const std::string& text) { return load_scenario_text(text, "t.toml", catalog()); }

// Eight lines: a valid scenario whose last table is its one workload, so appended lines add keys
// to that workload and start at line 9.
const std::string kBase = R"([scenario]
name = "t"
[[workload]]
name = "w"
model = "acme/small-model"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50
)";

// A workload quantity written as `text`, e.g. "{ dist = \"pert\", min = 1, mode = 2, max = 3 }".
Quantity input_tokens_of(const std::string& text) {
  const std::string doc = R"([scenario]
name = "t"
[[workload]]
name = "w"
model = "acme/small-model"
requests_per_month = 1000
output_tokens = 50
input_tokens = )" + text + "\n";
  return load(doc).workloads.at(0).input_tokens;
}

double constant_param(const Quantity& q, std::size_t slot) {
  REQUIRE(q.node() != nullptr);
  const Quantity& param = q.node()->params.at(slot);
  REQUIRE(param.is_constant());
  return param.constant();
}

// The error of loading `text`; fails the test when it loads.
InputError error_of(const std::string& text, std::string_view file_name = "t.toml") {
  try {
    load_scenario_text(text, file_name, catalog());
  } catch (const InputError& error) {
    return error;
  }
  FAIL("expected an InputError for:\n" << text);
  throw std::logic_error("unreachable");
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tokencast_loader_" + name)).string();
}

}  // namespace

namespace {

// A scenario whose workload has `lines` in place of its requests/tokens lines (which start line 6).
std::string workload_with(const std::string& lines) {
  return "[scenario]\nname = \"t\"\n[[workload]]\nname = \"w\"\nmodel = \"acme/small-model\"\n" +
         lines;
}

// kBase plus a [[dedicated]] option whose own lines start at line 12.
std::string dedicated_with(const std::string& lines) {
  return kBase + "[[dedicated]]\nname = \"d\"\nmodel = \"acme/small-model\"\n" + lines;
}

const std::string kTokens = "input_tokens = 100\noutput_tokens = 50\n";

// The required lines of a capacity option priced from the catalog; lines after it start at 15 in
// dedicated_with.
const std::string kPricedOption =
    "gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n";

// A valid scenario but for its one workload's model id, on line 5 from column 9.
std::string workload_of_model(const std::string& model) {
  return "[scenario]\nname = \"t\"\n[[workload]]\nname = \"w\"\nmodel = \"" + model +
         "\"\nrequests_per_month = 1000\n" + kTokens;
}

}  // namespace

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("InputError formats file, position, key path and message", "[loader]") {
  CHECK(std::string(InputError({"a.toml", 3, 7}, "scenario.trials", "out of range").what()) ==
        "a.toml:3:7: error: scenario.trials: out of range");
  CHECK(std::string(InputError({"a.toml", 0, 0}, "", "cannot read file: gone").what()) ==
        "a.toml: error: cannot read file: gone");
  CHECK(std::string(InputError({"a.toml", 2, 1}, "", "bad syntax").what()) ==
        "a.toml:2:1: error: bad syntax");
  const InputError error({"b.toml", 4, 2}, "model[0].id", "duplicate");
  CHECK(error.where().file == "b.toml");
  CHECK(error.where().line == 4);
  CHECK(error.where().column == 2);
  CHECK(error.key_path() == "model[0].id");
  CHECK(error.message() == "duplicate");
}

// ---- good scenarios ----------------------------------------------------------------------------

TEST_CASE("a minimal scenario takes every default", "[loader]") {
  const Scenario s = load(kBase);
  CHECK(s.name == "t");
  CHECK(s.file == "t.toml");
  CHECK(s.months == 1);
  CHECK(s.trials == 10000);
  CHECK(s.seed == 1);
  CHECK(s.hours_per_month == 730);
  CHECK(s.catalog_as_of == "2025-01-15");
  REQUIRE(s.workloads.size() == 1);
  const WorkloadSpec& w = s.workloads[0];
  CHECK(w.name == "w");
  CHECK(w.model == "acme/small-model");
  CHECK(w.requests_per_month.constant() == 1000.0);
  CHECK(w.input_tokens.constant() == 100.0);
  CHECK(w.output_tokens.constant() == 50.0);
  CHECK(w.cached_input_share.constant() == 0.0);
  CHECK_FALSE(w.batchable);
  CHECK(w.tags.empty());
  CHECK(w.traffic.daily_peak_to_mean.constant() == 1.0);
  CHECK(w.traffic.peak_hour.constant() == 14.0);
  CHECK_FALSE(w.traffic.hourly_weights.has_value());
  CHECK(w.traffic.weekend_factor.constant() == 1.0);
  CHECK(w.traffic.burstiness.constant() == 0.0);
  CHECK(w.traffic.monthly_growth.constant() == 0.0);
  CHECK(s.capacity.empty());
  REQUIRE(s.models.size() == 1);
  CHECK(s.models[0].id == "acme/small-model");
  CHECK(s.models[0].from_catalog);
  CHECK(s.models[0].input_usd_per_mtok.constant() == 0.1);
  CHECK(s.models[0].output_usd_per_mtok.constant() == 0.2);
  CHECK(s.models[0].context_tokens == 8192);
  CHECK_FALSE(s.models[0].batch_discount.has_value());
}

TEST_CASE("scenario settings are read, integers also as integral floats", "[loader]") {
  const Scenario s = load(R"([scenario]
name = "Support assistant, 2027 budget"
months = 12
trials = 2e4
seed = 0
hours_per_month = 744
[[workload]]
name = "w"
model = "acme/small-model"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50
)");
  CHECK(s.name == "Support assistant, 2027 budget");
  CHECK(s.months == 12);
  CHECK(s.trials == 20000);
  CHECK(s.seed == 0);
  CHECK(s.hours_per_month == 744);
}

TEST_CASE("every distribution kind and parameter set is read in slot order", "[loader]") {
  SECTION("a plain number is a constant, integer or float") {
    CHECK(input_tokens_of("250").is_constant());
    CHECK(input_tokens_of("250").constant() == 250.0);
    CHECK(input_tokens_of("2.5e2").constant() == 250.0);
  }
  SECTION("fixed") {
    const Quantity q = input_tokens_of(R"({ dist = "fixed", value = 7 })");
    CHECK(q.node()->kind == DistKind::fixed);
    CHECK(constant_param(q, 0) == 7.0);
    CHECK(q.is_certain());
  }
  SECTION("uniform") {
    const Quantity q = input_tokens_of(R"({ dist = "uniform", min = 10, max = 20 })");
    CHECK(q.node()->kind == DistKind::uniform);
    CHECK(q.node()->param_set == ParamSet::standard);
    CHECK(constant_param(q, 0) == 10.0);
    CHECK(constant_param(q, 1) == 20.0);
  }
  SECTION("triangular") {
    const Quantity q = input_tokens_of(R"({ dist = "triangular", min = 1, mode = 2, max = 4 })");
    CHECK(q.node()->kind == DistKind::triangular);
    CHECK(constant_param(q, 0) == 1.0);
    CHECK(constant_param(q, 1) == 2.0);
    CHECK(constant_param(q, 2) == 4.0);
  }
  SECTION("pert with the default shape 4 and with a given shape") {
    const Quantity q = input_tokens_of(R"({ dist = "pert", min = 1, mode = 2, max = 4 })");
    CHECK(q.node()->kind == DistKind::pert);
    CHECK(constant_param(q, 0) == 1.0);
    CHECK(constant_param(q, 1) == 2.0);
    CHECK(constant_param(q, 2) == 4.0);
    CHECK(constant_param(q, 3) == 4.0);
    const Quantity shaped =
        input_tokens_of(R"({ dist = "pert", min = 1, mode = 1, max = 4, shape = 6 })");
    CHECK(constant_param(shaped, 3) == 6.0);
  }
  SECTION("normal untruncated and truncated") {
    const Quantity q = input_tokens_of(R"({ dist = "normal", mean = 100, sd = 10, min = 0 })");
    CHECK(q.node()->kind == DistKind::normal);
    CHECK(constant_param(q, 0) == 100.0);
    CHECK(constant_param(q, 1) == 10.0);
    CHECK(constant_param(q, 2) == 0.0);
    CHECK(constant_param(q, 3) == kInf);
    const Quantity both =
        input_tokens_of(R"({ dist = "normal", mean = 100, sd = 0, min = 5, max = 150 })");
    CHECK(constant_param(both, 1) == 0.0);
    CHECK(constant_param(both, 2) == 5.0);
    CHECK(constant_param(both, 3) == 150.0);
  }
  SECTION("lognormal in its four parameter sets") {
    struct Case {
      const char* text;
      ParamSet set;
      double p0, p1;
    };
    const Case cases[] = {
        {R"({ dist = "lognormal", mu = -1.5, sigma = 0.5 })", ParamSet::mu_sigma, -1.5, 0.5},
        {R"({ dist = "lognormal", sigma = 0.6, median = 3000 })", ParamSet::median_sigma, 3000,
         0.6},
        {R"({ dist = "lognormal", mean = 1000, cv = 0.8 })", ParamSet::mean_cv, 1000, 0.8},
        {R"({ dist = "lognormal", median = 800, p95 = 4000 })", ParamSet::median_p95, 800, 4000},
    };
    for (const Case& c : cases) {
      // mu may be negative; the workload's tokens are still >= 0 as a lognormal's support is (0,
      // inf).
      const Quantity q = input_tokens_of(c.text);
      INFO(c.text);
      CHECK(q.node()->kind == DistKind::lognormal);
      CHECK(q.node()->param_set == c.set);
      CHECK(constant_param(q, 0) == c.p0);
      CHECK(constant_param(q, 1) == c.p1);
    }
  }
  SECTION("gamma in its two parameter sets") {
    const Quantity a = input_tokens_of(R"({ dist = "gamma", shape = 2, scale = 300 })");
    CHECK(a.node()->kind == DistKind::gamma);
    CHECK(a.node()->param_set == ParamSet::shape_scale);
    CHECK(constant_param(a, 0) == 2.0);
    CHECK(constant_param(a, 1) == 300.0);
    const Quantity b = input_tokens_of(R"({ dist = "gamma", cv = 0.5, mean = 600 })");
    CHECK(b.node()->param_set == ParamSet::mean_cv);
    CHECK(constant_param(b, 0) == 600.0);
    CHECK(constant_param(b, 1) == 0.5);
  }
}

TEST_CASE("empirical values are sorted with cumulative weights ending at 1", "[loader]") {
  SECTION("equal weights without a weights array") {
    const Quantity q = input_tokens_of(R"({ dist = "empirical", values = [300, 100, 200, 400] })");
    REQUIRE(q.node() != nullptr);
    CHECK(q.node()->kind == DistKind::empirical);
    CHECK(q.node()->values == std::vector<double>{100, 200, 300, 400});
    REQUIRE(q.node()->cumulative_weights.size() == 4);
    CHECK(q.node()->cumulative_weights[0] == Approx(0.25).epsilon(1e-15));
    CHECK(q.node()->cumulative_weights[1] == Approx(0.5).epsilon(1e-15));
    CHECK(q.node()->cumulative_weights[2] == Approx(0.75).epsilon(1e-15));
    CHECK(q.node()->cumulative_weights[3] == 1.0);
  }
  SECTION("weights follow their values through the sort; weight-0 values are dropped") {
    const Quantity q = input_tokens_of(
        R"({ dist = "empirical", values = [50, 10, 30, 20], weights = [1, 3, 0, 4] })");
    CHECK(q.node()->values == std::vector<double>{10, 20, 50});
    REQUIRE(q.node()->cumulative_weights.size() == 3);
    CHECK(q.node()->cumulative_weights[0] == Approx(3.0 / 8.0).epsilon(1e-15));
    CHECK(q.node()->cumulative_weights[1] == Approx(7.0 / 8.0).epsilon(1e-15));
    CHECK(q.node()->cumulative_weights[2] == 1.0);
    CHECK(q.support().lo == 10.0);
    CHECK(q.support().hi == 50.0);
  }
  SECTION("huge weights do not overflow the normalisation") {
    const Quantity q =
        input_tokens_of(R"({ dist = "empirical", values = [1, 2], weights = [1e308, 1e308] })");
    CHECK(q.node()->cumulative_weights[0] == Approx(0.5).epsilon(1e-15));
    CHECK(q.node()->cumulative_weights[1] == 1.0);
  }
}

TEST_CASE("distribution parameters may themselves be distributions", "[loader]") {
  SECTION("the median of a lognormal drawn from a pert") {
    const Quantity q = input_tokens_of(
        R"({ dist = "lognormal", median = { dist = "pert", min = 2000, mode = 3000, max = 5000 }, sigma = 0.6 })");
    CHECK(q.node()->param_set == ParamSet::median_sigma);
    const Quantity& median = q.node()->params[0];
    REQUIRE(median.node() != nullptr);
    CHECK(median.node()->kind == DistKind::pert);
    CHECK(constant_param(median, 1) == 3000.0);
    CHECK(constant_param(q, 1) == 0.6);
    CHECK(q.depth() == 2);
    CHECK(q.has_uncertain_parameters());
  }
  SECTION("a lognormal (support (0, inf)) is accepted where a parameter must be > 0") {
    const Quantity q = input_tokens_of(
        R"({ dist = "gamma", cv = 0.5, mean = { dist = "lognormal", median = 500, sigma = 0.2 } })");
    CHECK(q.node()->params[0].node()->kind == DistKind::lognormal);
  }
  SECTION("eight levels are the most allowed") {
    std::string text = "7";
    for (int level = 0; level < max_distribution_depth; ++level) {
      text = R"({ dist = "fixed", value = )" + text + " }";
    }
    const Quantity q = input_tokens_of(text);
    CHECK(q.depth() == 8);
    CHECK(q.is_certain());
    CHECK(q.constant() == 7.0);
  }
}

TEST_CASE("workload fields, traffic and tags are read", "[loader]") {
  const Scenario s = load(kBase + R"(cached_input_share = 0.25
batchable = true
traffic = { daily_peak_to_mean = 2.0, peak_hour = 9, weekend_factor = 0.6, burstiness = 0.3, monthly_growth = -0.04 }
tags = { tenant = "acme", feature = "copilot", env = "prod" }
)");
  const WorkloadSpec& w = s.workloads.at(0);
  CHECK(w.cached_input_share.constant() == 0.25);
  CHECK(w.batchable);
  CHECK(w.traffic.daily_peak_to_mean.constant() == 2.0);
  CHECK(w.traffic.peak_hour.constant() == 9.0);
  CHECK(w.traffic.weekend_factor.constant() == 0.6);
  CHECK(w.traffic.burstiness.constant() == 0.3);
  CHECK(w.traffic.monthly_growth.constant() == -0.04);
  CHECK(w.tags == std::map<std::string, std::string>{
                      {"tenant", "acme"}, {"feature", "copilot"}, {"env", "prod"}});
}

TEST_CASE("hourly_weights replace the peak shape; traffic values may be distributions",
          "[loader]") {
  const Scenario s = load(kBase + R"([workload.traffic]
hourly_weights = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1, 1, 0.5, 0, 0, 0]
burstiness = { dist = "uniform", min = 0.1, max = 0.4 }
)");
  const TrafficSpec& t = s.workloads.at(0).traffic;
  REQUIRE(t.hourly_weights.has_value());
  CHECK((*t.hourly_weights)[0] == 0.0);
  CHECK((*t.hourly_weights)[9] == 4.0);
  CHECK((*t.hourly_weights)[20] == 0.5);
  CHECK(t.daily_peak_to_mean.constant() == 1.0);
  REQUIRE(t.burstiness.node() != nullptr);
  CHECK(t.burstiness.node()->kind == DistKind::uniform);
  CHECK(t.burstiness.support().hi == 0.4);
}

TEST_CASE("a weekend_factor of 0 is refused only when a month could fall on a weekend",
          "[loader]") {
  // 730-hour months always hold weekdays.
  const Scenario s = load(kBase + "traffic = { weekend_factor = 0 }\n");
  CHECK(s.workloads.at(0).traffic.weekend_factor.constant() == 0.0);
  // 24-hour months: the sixth is day 5 of the first week, a Saturday.
  const std::string short_months = R"([scenario]
name = "t"
months = 7
hours_per_month = 24
[[workload]]
name = "w"
model = "acme/small-model"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50
traffic = { weekend_factor = { dist = "empirical", values = [0, 1] } }
)";
  const InputError error = error_of(short_months);
  CHECK(error.key_path() == "workload[0].traffic.weekend_factor");
  CHECK(error.where().line == 11);
  CHECK(error.where().column == 30);
  CHECK(error.message() ==
        "can be 0, which leaves month 6 (hours 120..143) without traffic: it has no weekday hour; "
        "use a "
        "weekend_factor > 0");
  std::string five_months = short_months;
  five_months.replace(five_months.find("months = 7"), 10, "months = 5");
  CHECK(load(five_months).months == 5);
}

TEST_CASE("[[model]] adds new models and partially overrides catalog ones", "[loader]") {
  const Scenario s = load(R"([scenario]
name = "t"

[[model]]
id = "acme/big-model"
input_usd_per_mtok = 1.5

[[model]]
id = "arcee-ai/maestro-reasoning"
input_usd_per_mtok = 0.90
output_usd_per_mtok = { dist = "triangular", min = 3, mode = 3.3, max = 4 }

[[model]]
id = "unused/model"
input_usd_per_mtok = 1
output_usd_per_mtok = 1

[[workload]]
name = "a"
model = "arcee-ai/maestro-reasoning"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50

[[workload]]
name = "b"
model = "acme/big-model"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50

[[workload]]
name = "c"
model = "arcee-ai/maestro-reasoning"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50
)");
  // First-use order; the unused [[model]] is left out.
  REQUIRE(s.models.size() == 2);
  const ModelSpec& maestro = s.models[0];
  CHECK(maestro.id == "arcee-ai/maestro-reasoning");
  CHECK_FALSE(maestro.from_catalog);
  CHECK(maestro.input_usd_per_mtok.constant() == 0.90);
  CHECK(maestro.output_usd_per_mtok.node()->kind == DistKind::triangular);
  CHECK_FALSE(maestro.cached_input_usd_per_mtok.has_value());
  CHECK_FALSE(maestro.batch_discount.has_value());
  CHECK(maestro.context_tokens == 131072);

  const ModelSpec& big = s.models[1];
  CHECK(big.id == "acme/big-model");
  CHECK(big.from_catalog);
  CHECK(big.input_usd_per_mtok.constant() == 1.5);   // overridden
  CHECK(big.output_usd_per_mtok.constant() == 2.0);  // from the catalog
  REQUIRE(big.cached_input_usd_per_mtok.has_value());
  CHECK(big.cached_input_usd_per_mtok->constant() == 0.5);
  REQUIRE(big.batch_discount.has_value());
  CHECK(big.batch_discount->constant() == 0.5);
  CHECK(big.context_tokens == 65536);
  CHECK(big.source == "test prices");
}

TEST_CASE("[[model]] optional fields are read", "[loader]") {
  const Scenario s = load(R"([scenario]
name = "t"
[[model]]
id = "acme/small-model"
cached_input_usd_per_mtok = 0.05
batch_discount = 0
context_tokens = 32768
[[workload]]
name = "w"
model = "acme/small-model"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50
)");
  const ModelSpec& m = s.models.at(0);
  CHECK(m.from_catalog);
  CHECK(m.input_usd_per_mtok.constant() == 0.1);
  CHECK(m.cached_input_usd_per_mtok->constant() == 0.05);
  CHECK(m.batch_discount->constant() == 0.0);
  CHECK(m.context_tokens == 32768);
}

TEST_CASE("requests_per_month may have an unbounded upper tail if its bulk is under 1e12",
          "[loader]") {
  const std::string texts[] = {
      R"({ dist = "lognormal", median = 1e6, p95 = 2e6 })",
      R"({ dist = "lognormal", mu = 13.8, sigma = 1 })",
      R"({ dist = "gamma", mean = 1e6, cv = 0.5 })",
      R"({ dist = "normal", mean = 1e6, sd = 2e5, min = 1 })",
      R"({ dist = "lognormal", median = { dist = "lognormal", median = 1e6, sigma = 0.2 }, sigma = 0.3 })",
  };
  for (const std::string& text : texts) {
    INFO(text);
    const Scenario s = load(workload_with("requests_per_month = " + text + "\n" + kTokens));
    CHECK(s.workloads.at(0).requests_per_month.support().hi == kInf);
  }
  const std::string too_big[] = {
      R"({ dist = "lognormal", mu = 28, sigma = 1 })",
      R"({ dist = "gamma", shape = 2, scale = 6e11 })",
      R"({ dist = "normal", mean = 2e12, sd = 1, min = 1 })",
  };
  for (const std::string& text : too_big) {
    INFO(text);
    const InputError error =
        error_of(workload_with("requests_per_month = " + text + "\n" + kTokens));
    CHECK(error.key_path() == "workload[0].requests_per_month");
    CHECK_THAT(error.message(), Catch::StartsWith("out of range (got a "));
  }
}

TEST_CASE("capacity options take their defaults", "[loader]") {
  const Scenario s = load(kBase + R"([[dedicated]]
name = "small-on-h100"
model = "acme/small-model"
usd_per_gpu_hour = 5.49
prefill_tokens_per_s = 20000
decode_tokens_per_s = 2500
)");
  REQUIRE(s.capacity.size() == 1);
  const CapacitySpec& c = s.capacity[0];
  CHECK(c.kind == CapacityKind::dedicated);
  CHECK(c.name == "small-on-h100");
  CHECK(c.model == "acme/small-model");
  CHECK(c.gpu.empty());
  CHECK(c.usd_per_gpu_hour.constant() == 5.49);
  CHECK(c.gpus_per_replica == 1);
  CHECK(c.prefill_tokens_per_s.constant() == 20000.0);
  CHECK(c.decode_tokens_per_s.constant() == 2500.0);
  CHECK(c.max_utilization.constant() == 0.75);
  CHECK_FALSE(c.replicas.has_value());
  CHECK(c.capacity_quantile == 0.95);
  CHECK(c.min_replicas == 1);
  CHECK(c.overflow == OverflowPolicy::serverless);
  CHECK(c.gpus_per_node == 8);
  CHECK(c.fixed_usd_per_month.constant() == 0.0);
  CHECK(c.max_concurrency == 0);
  CHECK_FALSE(c.slo_wait_p95_s.has_value());
  CHECK_FALSE(c.slo_ttft_p95_s.has_value());
  CHECK_FALSE(c.has_slo());
  CHECK_FALSE(c.autoscale.has_value());
  CHECK(c.monthly_minimum_usd.is_constant());
  CHECK(c.monthly_minimum_usd.constant() == 0.0);
  CHECK(c.commitment_months == 0);
}

TEST_CASE("capacity options read every key; gpu gives the catalog price unless one is written",
          "[loader]") {
  const Scenario s = load(kBase + R"([[gpu_cluster]]
name = "cluster"
model = "acme/small-model"
gpu = "H100-80GB"
gpus_per_replica = 2
prefill_tokens_per_s = { dist = "pert", min = 15000, mode = 20000, max = 22000 }
decode_tokens_per_s = { dist = "lognormal", median = 2500, sigma = 0.1 }
max_utilization = 1
replicas = 3
capacity_quantile = 0.99
min_replicas = 2
overflow = "drop"
gpus_per_node = 4
fixed_usd_per_month = 2500

[[dedicated]]
name = "dedicated"
model = "acme/small-model"
gpu = "A100-80GB"
usd_per_gpu_hour = 4.25
prefill_tokens_per_s = 20000
decode_tokens_per_s = 2500
replicas = "auto"
overflow = "serverless"
)");
  REQUIRE(s.capacity.size() == 2);
  // [[dedicated]] options come before [[gpu_cluster]] ones.
  const CapacitySpec& d = s.capacity[0];
  CHECK(d.kind == CapacityKind::dedicated);
  CHECK(d.gpu == "A100-80GB");
  CHECK(d.usd_per_gpu_hour.constant() == 4.25);
  CHECK_FALSE(d.replicas.has_value());
  const CapacitySpec& c = s.capacity[1];
  CHECK(c.kind == CapacityKind::gpu_cluster);
  CHECK(c.gpu == "H100-80GB");
  CHECK(c.usd_per_gpu_hour.constant() == 3.99);
  CHECK(c.gpus_per_replica == 2);
  CHECK(c.prefill_tokens_per_s.node()->kind == DistKind::pert);
  CHECK(c.decode_tokens_per_s.node()->kind == DistKind::lognormal);
  CHECK(c.max_utilization.constant() == 1.0);
  REQUIRE(c.replicas.has_value());
  CHECK(*c.replicas == 3);
  CHECK(c.capacity_quantile == 0.99);
  CHECK(c.min_replicas == 2);
  CHECK(c.overflow == OverflowPolicy::drop);
  CHECK(c.gpus_per_node == 4);
  CHECK(c.fixed_usd_per_month.constant() == 2500.0);
}

TEST_CASE("latency objectives, autoscaling and commitment terms are read on both option kinds",
          "[loader]") {
  const Scenario s = load(kBase + R"([[dedicated]]
name = "dedicated"
model = "acme/small-model"
gpu = "H100-80GB"
prefill_tokens_per_s = 20000
decode_tokens_per_s = 2500
replicas = "auto"
max_concurrency = 32
slo = { wait_p95_s = 2.0, ttft_p95_s = 3.5 }
autoscale = { min_replicas = 2, max_replicas = 8, step_minutes = 120 }
monthly_minimum_usd = 20000
commitment_months = 12

[[gpu_cluster]]
name = "cluster"
model = "acme/small-model"
gpu = "A100-80GB"
prefill_tokens_per_s = 20000
decode_tokens_per_s = 2500
max_concurrency = 4096.0
slo = { ttft_p95_s = 1 }
autoscale = { max_replicas = 100000 }
monthly_minimum_usd = { dist = "pert", min = 1000, mode = 1500, max = 3000 }
)");
  REQUIRE(s.capacity.size() == 2);
  const CapacitySpec& d = s.capacity[0];
  CHECK_FALSE(d.replicas.has_value());  // "auto" stays the fixed reservation compared with
  CHECK(d.max_concurrency == 32);
  REQUIRE(d.slo_wait_p95_s.has_value());
  CHECK(*d.slo_wait_p95_s == 2.0);
  REQUIRE(d.slo_ttft_p95_s.has_value());
  CHECK(*d.slo_ttft_p95_s == 3.5);
  CHECK(d.has_slo());
  REQUIRE(d.autoscale.has_value());
  CHECK(d.autoscale->min_replicas == 2);
  CHECK(d.autoscale->max_replicas == 8);
  CHECK(d.autoscale->step_hours == 2);
  CHECK(d.monthly_minimum_usd.constant() == 20000.0);
  CHECK(d.commitment_months == 12);

  const CapacitySpec& c = s.capacity[1];
  CHECK(c.kind == CapacityKind::gpu_cluster);
  CHECK(c.max_concurrency == 4096);
  CHECK_FALSE(c.slo_wait_p95_s.has_value());
  REQUIRE(c.slo_ttft_p95_s.has_value());
  CHECK(*c.slo_ttft_p95_s == 1.0);
  REQUIRE(c.autoscale.has_value());
  CHECK(c.autoscale->min_replicas == 1);
  CHECK(c.autoscale->max_replicas == 100000);
  CHECK(c.autoscale->step_hours == 1);
  REQUIRE(c.monthly_minimum_usd.node() != nullptr);
  CHECK(c.monthly_minimum_usd.node()->kind == DistKind::pert);
  CHECK(constant_param(c.monthly_minimum_usd, 0) == 1000.0);
  CHECK(constant_param(c.monthly_minimum_usd, 2) == 3000.0);
  CHECK(c.commitment_months == 0);
}

TEST_CASE("the new capacity keys accept their bounds and stand alone", "[loader]") {
  const std::string option = kPricedOption;
  SECTION("max_concurrency without an slo sets no objective") {
    const CapacitySpec c = load(dedicated_with(option + "max_concurrency = 1\n")).capacity.at(0);
    CHECK(c.max_concurrency == 1);
    CHECK_FALSE(c.has_slo());
  }
  SECTION("an slo written as a [dedicated.slo] table") {
    const CapacitySpec c =
        load(dedicated_with(option + "max_concurrency = 8\n[dedicated.slo]\nwait_p95_s = 0.25\n"))
            .capacity.at(0);
    REQUIRE(c.slo_wait_p95_s.has_value());
    CHECK(*c.slo_wait_p95_s == 0.25);
    CHECK_FALSE(c.slo_ttft_p95_s.has_value());
  }
  SECTION("a day-long step and min_replicas equal to max_replicas") {
    const CapacitySpec c =
        load(dedicated_with(option +
                            "autoscale = { min_replicas = 3, max_replicas = 3, "
                            "step_minutes = 1440 }\n"))
            .capacity.at(0);
    REQUIRE(c.autoscale.has_value());
    CHECK(c.autoscale->min_replicas == 3);
    CHECK(c.autoscale->max_replicas == 3);
    CHECK(c.autoscale->step_hours == 24);
    CHECK_FALSE(c.replicas.has_value());
  }
  SECTION("commitment_months alone, at its upper bound, and a zero minimum") {
    const CapacitySpec c =
        load(dedicated_with(option + "commitment_months = 120\nmonthly_minimum_usd = 0\n"))
            .capacity.at(0);
    CHECK(c.commitment_months == 120);
    CHECK(c.monthly_minimum_usd.constant() == 0.0);
  }
}

TEST_CASE("capacity of a model declared in [[model]] puts it in the used models", "[loader]") {
  const Scenario s = load(kBase + R"([[workload]]
name = "x"
model = "my/model"
requests_per_month = 1000
input_tokens = 100
output_tokens = 50
[[model]]
id = "my/model"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
[[dedicated]]
name = "mine"
model = "my/model"
usd_per_gpu_hour = 2
prefill_tokens_per_s = 1000
decode_tokens_per_s = 100
)");
  REQUIRE(s.models.size() == 2);
  CHECK(s.models[0].id == "acme/small-model");
  CHECK(s.models[1].id == "my/model");
  CHECK(s.capacity.at(0).model == "my/model");
}

// ---- files -------------------------------------------------------------------------------------

TEST_CASE("load_scenario_file reads a file and names it in errors", "[loader]") {
  const std::string path = temp_path("good.toml");
  {
    std::ofstream out(path, std::ios::binary);
    out << kBase;
  }
  const Scenario s = load_scenario_file(path, catalog());
  CHECK(s.file == path);
  CHECK(s.workloads.size() == 1);

  {
    std::ofstream out(path, std::ios::binary);
    out << kBase << "bogus = 1\n";
  }
  try {
    load_scenario_file(path, catalog());
    FAIL("expected an InputError");
  } catch (const InputError& error) {
    CHECK(std::string(error.what()) ==
          path + ":9:1: error: workload[0].bogus: unknown key 'bogus'");
  }
  std::filesystem::remove(path);
}

TEST_CASE("unreadable and oversized files are refused before parsing", "[loader]") {
  SECTION("a missing file") {
    const std::string path = temp_path("does-not-exist.toml");
    try {
      load_scenario_file(path, catalog());
      FAIL("expected an InputError");
    } catch (const InputError& error) {
      CHECK(std::string(error.what()) ==
            path + ": error: cannot read file: No such file or directory");
      CHECK(error.where().line == 0);
      CHECK(error.key_path().empty());
    }
  }
  SECTION("a directory") {
    const std::string path = std::filesystem::temp_directory_path().string();
    try {
      load_scenario_file(path, catalog());
      FAIL("expected an InputError");
    } catch (const InputError& error) {
      CHECK_THAT(error.what(), Catch::Contains("cannot read file: it is a directory"));
    }
  }
  SECTION("a file over the size limit") {
    const std::string path = temp_path("big.toml");
    {
      std::ofstream out(path, std::ios::binary);
      const std::string line(1023, '#');
      for (int i = 0; i < 10240; ++i) out << line << '\n';
    }
    try {
      load_scenario_file(path, catalog());
      FAIL("expected an InputError");
    } catch (const InputError& error) {
      CHECK(error.message() == "file is 10485760 bytes, larger than the 4194304-byte limit");
    }
    std::filesystem::remove(path);
  }
  SECTION("text over the size limit") {
    const std::string text(max_scenario_bytes + 1, ' ');
    CHECK(error_of(text).message() == "file is 4194305 bytes, larger than the 4194304-byte limit");
  }
}

TEST_CASE("invalid UTF-8, NUL bytes and binary garbage give a positioned syntax error",
          "[loader]") {
  const std::string invalid_utf8 = "[scenario]\nname = \"caf\xC3\x28\"\n";
  const InputError utf8 = error_of(invalid_utf8);
  CHECK(utf8.where().line == 2);
  CHECK(utf8.key_path().empty());
  CHECK_THAT(utf8.message(), Catch::Contains("utf-8", Catch::CaseSensitive::No));

  const std::string with_nul("[scenario]\nname = \"t\"\x00\n", 22);
  CHECK(error_of(with_nul).where().line == 2);

  // Every byte value, in an order that is not valid TOML.
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 167 + 13) % 256));
  const InputError binary = error_of(garbage);
  CHECK(binary.where().line >= 1);
  CHECK_FALSE(binary.message().empty());
}

TEST_CASE("corrupted scenarios give an InputError and nothing else", "[loader]") {
  const std::string base =
      kBase + R"(traffic = { hourly_weights = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2] }
[[model]]
id = "acme/small-model"
batch_discount = { dist = "uniform", min = 0.3, max = 0.5 }
[[dedicated]]
name = "d"
model = "acme/small-model"
gpu = "H100-80GB"
prefill_tokens_per_s = { dist = "lognormal", median = { dist = "pert", min = 1, mode = 2, max = 3 }, p95 = 9 }
decode_tokens_per_s = { dist = "empirical", values = [1, 2], weights = [1, 3] }
)";
  REQUIRE_NOTHROW(load(base));
  const std::string_view inserts[] = {"nan",
                                      "-inf",
                                      "0",
                                      "1e30",
                                      "{",
                                      "}",
                                      "[",
                                      "]",
                                      "\"",
                                      "=",
                                      "\n",
                                      "\xff",
                                      "{ dist = \"normal\", mean = 1, sd = 1 }",
                                      "[[workload]]",
                                      "1979-05-27"};
  std::mt19937_64 rng(20240601);
  int loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    const std::size_t pos = rng() % (text.size() + 1);
    switch (rng() % 3) {
      case 0:
        text.erase(pos, rng() % 16);
        break;
      case 1:
        text.insert(pos, inserts[rng() % std::size(inserts)]);
        break;
      default:
        if (pos < text.size()) text[pos] = static_cast<char>(rng() % 256);
        break;
    }
    try {
      load(text);
      ++loaded;
    } catch (const InputError& error) {
      CHECK_FALSE(error.message().empty());
    }
  }
  // Some corruptions only touch whitespace or a value within its range.
  CHECK(loaded > 0);
  CHECK(loaded < 3000);
}

TEST_CASE("the default scenario is embedded and loads against the built-in catalog", "[loader]") {
  CHECK_FALSE(default_scenario_text().empty());
  const Scenario s = load_default_scenario();
  CHECK(s.file == "<embedded:quickstart.toml>");
  CHECK_FALSE(s.workloads.empty());
}

TEST_CASE("every shipped scenario loads against the built-in catalog", "[loader]") {
  const std::filesystem::path dir = std::filesystem::path(TOKENCAST_SOURCE_DIR) / "scenarios";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    const Scenario s = load_scenario_file(entry.path().string());
    CHECK_FALSE(s.workloads.empty());
    CHECK_FALSE(s.models.empty());
    ++files;
  }
  CHECK(files >= 1);
}

// ---- bad scenarios -----------------------------------------------------------------------------

namespace {

struct BadCase {
  std::string text;
  std::string key_path;
  int line;
  int column;
  std::string fragment;
};

}  // namespace

TEST_CASE("bad scenarios name the key path, position and problem", "[loader]") {
  const std::vector<BadCase> cases = {
      // File level and [scenario].
      {"", "scenario", 1, 1, "missing table [scenario]"},
      {"# only a comment\n", "scenario", 1, 1, "missing table [scenario]"},
      {"[scenario]\nname = \n", "", 2, 8, ""},  // TOML syntax: position from TOML++
      {"[scenario]\nname = \"t\"\n", "workload", 1, 1, "at least one [[workload]]"},
      {"[scenario]\nmonths = 2\n", "scenario.name", 1, 1, "missing required key"},
      {"[scenario]\nname = 5\n", "scenario.name", 2, 8, "got integer, expected a string"},
      {"[scenario]\nname = \"\"\n", "scenario.name", 2, 8, "must not be empty"},
      {"scenario = 3\n", "scenario", 1, 12, "got integer, expected a table"},
      {"[scenario]\nname = \"t\"\ntrials = 0\n", "scenario.trials", 3, 10,
       "out of range (got 0, expected an integer in 1..10000000)"},
      {"[scenario]\nname = \"t\"\nmonths = 0\n", "scenario.months", 3, 10,
       "out of range (got 0, expected an integer in 1..120)"},
      {"[scenario]\nname = \"t\"\nmonths = 121\n", "scenario.months", 3, 10, "got 121"},
      {"[scenario]\nname = \"t\"\nmonths = 1.5\n", "scenario.months", 3, 10,
       "got 1.5, expected an integer in 1..120"},
      {"[scenario]\nname = \"t\"\nmonths = \"12\"\n", "scenario.months", 3, 10,
       "got string, expected an integer in 1..120"},
      {"[scenario]\nname = \"t\"\nseed = -1\n", "scenario.seed", 3, 8, "expected an integer >= 0"},
      {"[scenario]\nname = \"t\"\nhours_per_month = 0\n", "scenario.hours_per_month", 3, 19,
       "expected an integer in 1..744"},
      {"[scenario]\nname = \"t\"\ntrails = 5\n", "scenario.trails", 3, 1,
       "unknown key 'trails' (did you mean 'trials'?)"},
      {"[scenarios]\nname = \"t\"\n", "scenarios", 1, 2, "did you mean 'scenario'?"},
      // Workload keys and types.
      {workload_with("requests_per_month = 1000\ninput_token = 100\noutput_tokens = 50\n"),
       "workload[0].input_token", 7, 1, "unknown key 'input_token' (did you mean 'input_tokens'?)"},
      {workload_with("requests_per_month = 1000\noutput_tokens = 50\n"), "workload[0].input_tokens",
       3, 1, "missing required key"},
      {workload_with("requests_per_month = \"lots\"\n" + kTokens), "workload[0].requests_per_month",
       6, 22, "got string, expected a number or a distribution table"},
      {workload_with("requests_per_month = nan\n" + kTokens), "workload[0].requests_per_month", 6,
       22, "got nan, expected a finite number"},
      {workload_with("requests_per_month = inf\n" + kTokens), "workload[0].requests_per_month", 6,
       22, "got inf, expected a finite number"},
      {workload_with("requests_per_month = 0\n" + kTokens), "workload[0].requests_per_month", 6, 22,
       "must be > 0 (got 0)"},
      {workload_with("requests_per_month = 1e30\n" + kTokens), "workload[0].requests_per_month", 6,
       22, "out of range (got 1e+30, expected a number in (0, 1e+12])"},
      {workload_with("requests_per_month = { dist = \"normal\", mean = 1e6, sd = 2e5 }\n" +
                     kTokens),
       "workload[0].requests_per_month", 6, 22,
       "whose support reaches -inf; add min = ... to truncate it"},
      {workload_with("requests_per_month = { dist = \"lognormal\", median = 1e13, sigma = 0.5 }\n" +
                     kTokens),
       "workload[0].requests_per_month", 6, 22,
       "out of range (got a lognormal(median=1e+13, sigma=0.5) whose median reaches 1e+13, "
       "expected a "
       "number in (0, 1e+12])"},
      {workload_with("requests_per_month = 1000\ninput_tokens = -1\noutput_tokens = 50\n"),
       "workload[0].input_tokens", 7, 16, "must be >= 0 (got -1)"},
      {kBase + "cached_input_share = 1.5\n", "workload[0].cached_input_share", 9, 22,
       "expected a number in [0, 1]"},
      {kBase + "batchable = \"yes\"\n", "workload[0].batchable", 9, 13,
       "got string, expected a boolean"},
      {kBase + "tags = { team = 5 }\n", "workload[0].tags.team", 9, 17,
       "got integer, expected a string"},
      {kBase + "tags = \"x\"\n", "workload[0].tags", 9, 8, "got string, expected a table"},
      {kBase + "model = 3\n", "", 9, 9, "cannot redefine"},  // TOML++ rejects duplicate keys
      {kBase +
           "[[workload]]\nname = \"w\"\nmodel = \"acme/small-model\"\nrequests_per_month = 1\n" +
           kTokens,
       "workload[1].name", 10, 8, "duplicate workload name 'w'"},
      {workload_of_model("acme/smal-model"), "workload[0].model", 5, 9,
       "unknown model 'acme/smal-model' (not a [[model]] id nor a catalog id; similar ids: "
       "acme/small-model)"},
      {"workload = { name = \"w\" }\n[scenario]\nname = \"t\"\n", "workload", 1, 12,
       "expected an array of tables"},
      // Traffic.
      {kBase + "traffic = { burstiness = -0.1 }\n", "workload[0].traffic.burstiness", 9, 26,
       "expected a number in [0, 10]"},
      {kBase + "traffic = { daily_peak_to_mean = 0.5 }\n", "workload[0].traffic.daily_peak_to_mean",
       9, 34, "expected a number in [1, 24)"},
      {kBase + "traffic = { peak_hour = 24 }\n", "workload[0].traffic.peak_hour", 9, 25,
       "expected a number in [0, 24)"},
      {kBase + "traffic = { monthly_growth = -1 }\n", "workload[0].traffic.monthly_growth", 9, 30,
       "expected a number in (-1, 10]"},
      {kBase + "traffic = { weekend_factor = -2 }\n", "workload[0].traffic.weekend_factor", 9, 30,
       "must be >= 0"},
      {kBase + "traffic = { burstyness = 1 }\n", "workload[0].traffic.burstyness", 9, 13,
       "did you mean 'burstiness'?"},
      {kBase + "traffic = { hourly_weights = [1, 2, 3] }\n", "workload[0].traffic.hourly_weights",
       9, 30, "got 3 numbers, expected exactly 24"},
      {kBase + "traffic = { peak_hour = 3, hourly_weights = "
               "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1] }\n",
       "workload[0].traffic.peak_hour", 9, 25, "cannot be combined with hourly_weights"},
      {kBase +
           "traffic = { hourly_weights = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,-1] }\n",
       "workload[0].traffic.hourly_weights[23]", 9, 77, "must be >= 0 (got -1)"},
      {kBase + "traffic = { hourly_weights = "
               "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,{dist=\"fixed\",value=1}] }\n",
       "workload[0].traffic.hourly_weights[23]", 9, 77, "got table, expected a plain number"},
      // Distributions.
      {kBase + "cached_input_share = { dist = \"beta\", a = 1 }\n",
       "workload[0].cached_input_share.dist", 9, 31,
       "unknown distribution 'beta' (expected one of fixed, uniform, triangular, pert, normal, "
       "lognormal, gamma, empirical, histogram, lognormal_mixture)"},
      {kBase + "cached_input_share = { min = 0, max = 1 }\n", "workload[0].cached_input_share.dist",
       9, 22, "missing required key"},
      {kBase + "cached_input_share = { dist = \"uniform\", min = 0, maks = 1 }\n",
       "workload[0].cached_input_share.maks", 9, 51, "unknown key 'maks' (did you mean 'max'?)"},
      {kBase + "cached_input_share = { dist = \"uniform\", min = 0 }\n",
       "workload[0].cached_input_share.max", 9, 22,
       "missing required key (a uniform takes min, max)"},
      {kBase + "cached_input_share = { dist = \"uniform\", min = 0.5, max = 0.5 }\n",
       "workload[0].cached_input_share", 9, 22, "uniform needs min < max (got min=0.5, max=0.5)"},
      {workload_with("requests_per_month = { dist = \"pert\", min = 3, mode = 2, max = 1 }\n" +
                     kTokens),
       "workload[0].requests_per_month", 6, 22, "pert needs min <= mode <= max"},
      {workload_with(
           "requests_per_month = { dist = \"pert\", min = 1, mode = 2, max = 3, shape = 0 }\n" +
           kTokens),
       "workload[0].requests_per_month.shape", 6, 75, "out of range (got 0, expected a number in (0, 1000])"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"normal\", mean = 5, sd = "
                     "-1, min = 0 }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.sd", 7, 50, "must be >= 0 (got -1)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"normal\", mean = 5, sd = "
                     "1, min = 9, max = 3 }\noutput_tokens = 1\n"),
       "workload[0].input_tokens", 7, 16, "normal needs min < max (got min=9, max=3)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"lognormal\", median = 5, "
                     "mean = 2, sigma = 1 }\noutput_tokens = 1\n"),
       "workload[0].input_tokens", 7, 16,
       "lognormal takes exactly one of mu+sigma, median+sigma, mean+cv, median+p95 (got median, "
       "mean, sigma)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"lognormal\", median = 5 "
                     "}\noutput_tokens = 1\n"),
       "workload[0].input_tokens", 7, 16, "(got median)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"lognormal\", median = 5, "
                     "p95 = 4 }\noutput_tokens = 1\n"),
       "workload[0].input_tokens", 7, 16, "lognormal needs p95 > median (got median=5, p95=4)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"lognormal\", median = 0, "
                     "sigma = 1 }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.median", 7, 47, "must be > 0 (got 0)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"gamma\", shape = 2 "
                     "}\noutput_tokens = 1\n"),
       "workload[0].input_tokens", 7, 16,
       "gamma takes exactly one of shape+scale, mean+cv (got shape)"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"gamma\", mean = 5, cv = { "
                     "dist = \"uniform\", min = 0, max = 1 } }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.cv", 7, 49, "whose support reaches 0"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"empirical\", values = [] "
                     "}\noutput_tokens = 1\n"),
       "workload[0].input_tokens.values", 7, 47, "must not be empty"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"empirical\", values = [1, "
                     "2], weights = [1] }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.weights", 7, 65, "got 1 weights for 2 values"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"empirical\", values = [1, "
                     "2], weights = [0, 0] }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.weights", 7, 65, "all weights are 0"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = \"empirical\", values = [1, "
                     "\"x\"] }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.values[1]", 7, 51, "got string, expected a plain number"},
      {workload_with("requests_per_month = 5\ninput_tokens = { dist = 3 }\noutput_tokens = 1\n"),
       "workload[0].input_tokens.dist", 7, 25, "got integer, expected a distribution name"},
      // [[model]].
      {"[[model]]\nid = \"new/model\"\ninput_usd_per_mtok = 1\n[scenario]\nname = \"t\"\n",
       "model[0].output_usd_per_mtok", 1, 1,
       "missing required key (the model is not in the catalog"},
      {"[[model]]\nid = \"acme/small-model\"\nbatch_discount = 1\n[scenario]\nname = \"t\"\n",
       "model[0].batch_discount", 3, 18, "expected a number in [0, 1)"},
      {"[[model]]\nid = \"acme/small-model\"\ncontext_tokens = 1\n[scenario]\nname = \"t\"\n",
       "model[0].context_tokens", 3, 18, "expected an integer in 2..100000000"},
      {"[[model]]\nid = \"acme/small-model\"\ninput_usd_per_mtok = -0.5\n[scenario]\nname = "
       "\"t\"\n",
       "model[0].input_usd_per_mtok", 3, 22, "must be >= 0"},
      {"[[model]]\nid = \"acme/small-model\"\n[[model]]\nid = "
       "\"acme/small-model\"\n[scenario]\nname = \"t\"\n",
       "model[1].id", 4, 6, "duplicate model id"},
      {"[[model]]\nid = \"acme/small-model\"\nprice = 1\n[scenario]\nname = \"t\"\n",
       "model[0].price", 3, 1, "unknown key 'price'"},
      // Capacity.
      {dedicated_with("usd_per_gpu_hour = 1\nprefill_tokens_per_s = 0\ndecode_tokens_per_s = 1\n"),
       "dedicated[0].prefill_tokens_per_s", 13, 24, "must be > 0 (got 0)"},
      {dedicated_with("usd_per_gpu_hour = 1\nprefill_tokens_per_s = 1\n"),
       "dedicated[0].decode_tokens_per_s", 9, 1, "missing required key"},
      {dedicated_with("prefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n"),
       "dedicated[0].usd_per_gpu_hour", 9, 1, "or give gpu = a catalog GPU id"},
      {dedicated_with("gpu = \"H200\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n"),
       "dedicated[0].gpu", 12, 7, "unknown GPU 'H200' (known GPUs: A100-80GB, H100-80GB)"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\nreplicas = \"many\"\n"),
       "dedicated[0].replicas", 15, 12, "got 'many', expected \"auto\" or an integer in 1..100000"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\nreplicas = 0\n"),
       "dedicated[0].replicas", 15, 12, "expected an integer in 1..100000"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\ncapacity_quantile = 1.5\n"),
       "dedicated[0].capacity_quantile", 15, 21, "expected a number in (0, 1)"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\ncapacity_quantile = { dist = \"fixed\", value = 0.9 }\n"),
       "dedicated[0].capacity_quantile", 15, 21, "cannot be a distribution"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\noverflow = \"queue\"\n"),
       "dedicated[0].overflow", 15, 12, "got 'queue', expected \"serverless\" or \"drop\""},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\nmax_utilization = 0\n"),
       "dedicated[0].max_utilization", 15, 19, "expected a number in [0.01, 1]"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\ngpus_per_replica = 2000\n"),
       "dedicated[0].gpus_per_replica", 15, 20, "expected an integer in 1..1024"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\ngpus_per_node = 8\n"),
       "dedicated[0].gpus_per_node", 15, 1,
       "unknown key 'gpus_per_node' (only [[gpu_cluster]] options have it)"},
      {kBase + "cached_input_share = { dist = \"lognormal\", median = 1, sd = 1 }\n",
       "workload[0].cached_input_share.sd", 9, 56,
       "unknown key 'sd' (a lognormal takes mu, median, mean, sigma, cv, p95)"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
                      "1\nreplicas = 2\nmin_replicas = 3\n"),
       "dedicated[0].min_replicas", 16, 16, "more than replicas = 2"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n") +
           "[[dedicated]]\nname = \"d\"\nmodel = \"acme/big-model\"\ngpu = "
           "\"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n",
       "dedicated[1].name", 16, 8, "duplicate capacity option name 'd'"},
      {dedicated_with("gpu = \"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n") +
           "[[dedicated]]\nname = \"e\"\nmodel = \"acme/small-model\"\ngpu = "
           "\"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n",
       "dedicated[1].model", 17, 9, "already has a [[dedicated]] option (dedicated[0])"},
      {kBase + "[[gpu_cluster]]\nname = \"c\"\nmodel = \"acme/big-model\"\ngpu = "
               "\"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\n",
       "gpu_cluster[0].model", 11, 9, "no workload uses model 'acme/big-model'"},
      {kBase +
           "[[gpu_cluster]]\nname = \"c\"\nmodel = \"acme/small-model\"\ngpu = "
           "\"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = 1\ngpus_per_node = 65\n",
       "gpu_cluster[0].gpus_per_node", 15, 17, "expected an integer in 1..64"},
      {kBase + "[[gpu_cluster]]\nname = \"c\"\nmodel = \"acme/small-model\"\ngpu = "
               "\"H100-80GB\"\nprefill_tokens_per_s = 1\ndecode_tokens_per_s = "
               "1\nfixed_usd_per_month = -5\n",
       "gpu_cluster[0].fixed_usd_per_month", 15, 23, "must be >= 0 (got -5)"},
  };
  CHECK(cases.size() >= 40);
  for (const BadCase& c : cases) {
    INFO("scenario:\n" << c.text);
    const InputError error = error_of(c.text);
    INFO("error: " << error.what());
    CHECK(error.where().file == "t.toml");
    CHECK(error.key_path() == c.key_path);
    CHECK(error.where().line == c.line);
    CHECK(error.where().column == c.column);
    CHECK_THAT(error.message(), Catch::Contains(c.fragment));
  }
}

TEST_CASE("bad latency, autoscaling and commitment keys name the key path, position and problem",
          "[loader]") {
  // Option lines from line 12; the keys under test start at line 15.
  const std::string option = kPricedOption;
  const std::string cluster =
      kBase + "[[gpu_cluster]]\nname = \"c\"\nmodel = \"acme/small-model\"\n" + option;
  const std::vector<BadCase> cases = {
      // max_concurrency
      {dedicated_with(option + "max_concurrency = 0\n"), "dedicated[0].max_concurrency", 15, 19,
       "out of range (got 0, expected an integer in 1..4096)"},
      {cluster + "max_concurrency = 4097\n", "gpu_cluster[0].max_concurrency", 15, 19,
       "out of range (got 4097, expected an integer in 1..4096)"},
      {dedicated_with(option + "max_concurrency = 2.5\n"), "dedicated[0].max_concurrency", 15, 19,
       "got 2.5, expected an integer in 1..4096"},
      // slo
      {dedicated_with(option + "slo = { wait_p95_s = 2.0 }\n"), "dedicated[0].slo", 15, 7,
       "needs max_concurrency (sequences per replica) to model queueing"},
      {cluster + "slo = { ttft_p95_s = 3.0 }\n", "gpu_cluster[0].slo", 15, 7,
       "needs max_concurrency (sequences per replica) to model queueing"},
      {dedicated_with(option + "max_concurrency = 8\nslo = { wait_p95 = 2.0 }\n"),
       "dedicated[0].slo.wait_p95", 16, 9, "unknown key 'wait_p95' (did you mean 'wait_p95_s'?)"},
      {dedicated_with(option + "max_concurrency = 8\nslo = { latency = 2.0 }\n"),
       "dedicated[0].slo.latency", 16, 9,
       "unknown key 'latency' (an slo takes wait_p95_s and ttft_p95_s, in seconds)"},
      {dedicated_with(option + "max_concurrency = 8\nslo = {}\n"), "dedicated[0].slo", 16, 7,
       "got an empty table, expected at least one of wait_p95_s, ttft_p95_s"},
      {dedicated_with(option + "max_concurrency = 8\nslo = { wait_p95_s = -1.0 }\n"),
       "dedicated[0].slo.wait_p95_s", 16, 22, "out of range (got -1, expected a number in (0, 86400])"},
      {dedicated_with(option + "max_concurrency = 8\nslo = { ttft_p95_s = 0 }\n"),
       "dedicated[0].slo.ttft_p95_s", 16, 22, "out of range (got 0, expected a number in (0, 86400])"},
      {dedicated_with(option + "max_concurrency = 8\nslo = { ttft_p95_s = inf }\n"),
       "dedicated[0].slo.ttft_p95_s", 16, 22, "got inf, expected a finite number"},
      {dedicated_with(option + "max_concurrency = 8\n" +
                      "slo = { wait_p95_s = { dist = \"fixed\", value = 1 } }\n"),
       "dedicated[0].slo.wait_p95_s", 16, 22, "cannot be a distribution"},
      {dedicated_with(option + "max_concurrency = 8\nslo = 2.0\n"), "dedicated[0].slo", 16, 7,
       "got float, expected a table such as { wait_p95_s = 2.0, ttft_p95_s = 3.0 }"},
      // autoscale
      {dedicated_with(option + "autoscale = { min_replicas = 4, max_replicas = 2 }\n"),
       "dedicated[0].autoscale.max_replicas", 15, 48,
       "less than min_replicas (got 2, expected an integer in 4..100000)"},
      {dedicated_with(option + "autoscale = { min_replicas = 2 }\n"),
       "dedicated[0].autoscale.max_replicas", 15, 13, "missing required key"},
      {dedicated_with(option + "autoscale = { max_replicas = 0 }\n"),
       "dedicated[0].autoscale.max_replicas", 15, 30,
       "out of range (got 0, expected an integer in 1..100000)"},
      {dedicated_with(option + "autoscale = { min_replicas = 0, max_replicas = 2 }\n"),
       "dedicated[0].autoscale.min_replicas", 15, 30,
       "out of range (got 0, expected an integer in 1..100000)"},
      {dedicated_with(option + "autoscale = { max_replicas = 8, step_minutes = 30 }\n"),
       "dedicated[0].autoscale.step_minutes", 15, 48,
       "step_minutes must be a multiple of 60 (traffic is simulated hour by hour) (got 30, "
       "expected 60, 120, ..., 1440)"},
      {dedicated_with(option + "autoscale = { max_replicas = 8, step_minutes = 90 }\n"),
       "dedicated[0].autoscale.step_minutes", 15, 48, "must be a multiple of 60"},
      {dedicated_with(option + "autoscale = { max_replicas = 8, step_minutes = 0 }\n"),
       "dedicated[0].autoscale.step_minutes", 15, 48,
       "out of range (got 0, expected a multiple of 60 in 60..1440)"},
      {dedicated_with(option + "autoscale = { max_replicas = 8, step_minutes = 1500 }\n"),
       "dedicated[0].autoscale.step_minutes", 15, 48,
       "out of range (got 1500, expected a multiple of 60 in 60..1440)"},
      {dedicated_with(option + "autoscale = { max_replicas = 8, step_minute = 60 }\n"),
       "dedicated[0].autoscale.step_minute", 15, 33,
       "unknown key 'step_minute' (did you mean 'step_minutes'?)"},
      {dedicated_with(option + "replicas = 3\nautoscale = { max_replicas = 8 }\n"),
       "dedicated[0].autoscale", 16, 13,
       "autoscale sizes replicas itself; remove replicas = 3 or autoscale"},
      {cluster + "autoscale = true\n", "gpu_cluster[0].autoscale", 15, 13,
       "got boolean, expected a table such as { min_replicas = 1, max_replicas = 8, "
       "step_minutes = 60 }"},
      // commitment terms
      {dedicated_with(option + "commitment_months = -1\n"), "dedicated[0].commitment_months", 15,
       21, "out of range (got -1, expected an integer in 0..120)"},
      {cluster + "commitment_months = 121\n", "gpu_cluster[0].commitment_months", 15, 21,
       "out of range (got 121, expected an integer in 0..120)"},
      {cluster + "monthly_minimum_usd = -5\n", "gpu_cluster[0].monthly_minimum_usd", 15, 23,
       "must be >= 0 (got -5)"},
      {dedicated_with(option +
                      "monthly_minimum_usd = { dist = \"uniform\", min = -10, max = 10 }\n"),
       "dedicated[0].monthly_minimum_usd", 15, 23,
       "must be >= 0 (got a uniform(min=-10, max=10) whose support reaches -10)"},
      {dedicated_with(option + "monthly_minumum_usd = 5\n"), "dedicated[0].monthly_minumum_usd",
       15, 1, "unknown key 'monthly_minumum_usd' (did you mean 'monthly_minimum_usd'?)"},
      {cluster + "commitment_month = 12\n", "gpu_cluster[0].commitment_month", 15, 1,
       "unknown key 'commitment_month' (did you mean 'commitment_months'?)"},
      {dedicated_with(option + "max_concurency = 8\n"), "dedicated[0].max_concurency", 15, 1,
       "unknown key 'max_concurency' (did you mean 'max_concurrency'?)"},
  };
  for (const BadCase& c : cases) {
    INFO("scenario:\n" << c.text);
    const InputError error = error_of(c.text);
    INFO("error: " << error.what());
    CHECK(error.key_path() == c.key_path);
    CHECK(error.where().line == c.line);
    CHECK(error.where().column == c.column);
    CHECK_THAT(error.message(), Catch::Contains(c.fragment));
  }
}

TEST_CASE("hourly_weights of all zeros and the wrong length are refused", "[loader]") {
  std::string zeros = "0";
  for (int hour = 1; hour < 24; ++hour) zeros += ", 0";
  const InputError all_zero = error_of(kBase + "traffic = { hourly_weights = [" + zeros + "] }\n");
  CHECK(all_zero.key_path() == "workload[0].traffic.hourly_weights");
  CHECK_THAT(all_zero.message(), Catch::Contains("all 24 weights are 0"));

  std::string ones = "1";
  for (int hour = 1; hour < 23; ++hour) ones += ", 1";
  const InputError short_day = error_of(kBase + "traffic = { hourly_weights = [" + ones + "] }\n");
  CHECK(short_day.key_path() == "workload[0].traffic.hourly_weights");
  CHECK(short_day.message() == "got 23 numbers, expected exactly 24, one per hour of the day");
}

TEST_CASE("distributions nested deeper than 8 levels are refused at the ninth", "[loader]") {
  std::string text = "7";
  std::string path = "workload[0].input_tokens";
  for (int level = 0; level < max_distribution_depth + 1; ++level) {
    text = R"({ dist = "fixed", value = )" + text + " }";
  }
  for (int level = 1; level < max_distribution_depth + 1; ++level) path += ".value";
  const InputError error = error_of(
      workload_with("requests_per_month = 5\noutput_tokens = 1\ninput_tokens = " + text + "\n"));
  CHECK(error.key_path() == path);
  CHECK(error.message() == "distribution nested deeper than 8 levels");
  CHECK(error.where().line == 8);
  // The ninth table starts after eight "{ dist = "fixed", value = " openings of 26 characters.
  CHECK(error.where().column ==
        static_cast<int>(std::string("input_tokens = ").size()) + 8 * 26 + 1);
}

TEST_CASE("unknown models list similar catalog and [[model]] ids", "[loader]") {
  // A [[model]] declared but unused, so it is a candidate too.
  const std::string declared = R"([[model]]
id = "acme/medium-model"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
)";
  const InputError error = error_of(declared + workload_of_model("small-model"));
  CHECK(error.key_path() == "workload[0].model");
  CHECK(error.where().line == 9);
  CHECK(error.where().column == 9);
  CHECK(error.message() ==
        "unknown model 'small-model' (not a [[model]] id nor a catalog id; similar ids: "
        "acme/small-model)");

  const InputError typo = error_of(declared + workload_of_model("acme/mediummodel"));
  CHECK_THAT(typo.message(), Catch::EndsWith("similar ids: acme/medium-model)"));

  // Containment ranks first, then ids in order.
  const InputError vague = error_of(declared + workload_of_model("MODEL"));
  CHECK_THAT(vague.message(),
             Catch::EndsWith("similar ids: acme/big-model, acme/medium-model, acme/small-model)"));

  const InputError nothing_close = error_of(workload_of_model("zzzzzzzz"));
  CHECK(nothing_close.message() ==
        "unknown model 'zzzzzzzz' (not a [[model]] id nor a catalog id; declare it in a [[model]] "
        "table "
        "or see `tokencast catalog`)");
}

TEST_CASE("support messages describe the offending distribution", "[loader]") {
  const InputError error = error_of(workload_with(
      "requests_per_month = { dist = \"normal\", mean = 1e6, sd = 2e5 }\n" + kTokens));
  CHECK(error.message() ==
        "must be > 0 (got a normal(mean=1e+06, sd=200000) whose support reaches -inf; add min = "
        "... to "
        "truncate it)");
  const InputError too_many =
      error_of(workload_with("requests_per_month = { dist = \"uniform\", min = 1, max = { dist = "
                             "\"pert\", min = 1e9, mode = 1e10, max = 2e12 } }\n" +
                             kTokens));
  CHECK(too_many.message() ==
        "out of range (got a uniform(min=1, max=pert(min=1e+09, mode=1e+10, max=2e+12)) whose "
        "support "
        "reaches 2e+12, expected a number in (0, 1e+12])");
  const InputError tokens =
      error_of(workload_with("requests_per_month = 5\ninput_tokens = { dist = \"uniform\", min = "
                             "-10, max = 10 }\noutput_tokens = 1\n"));
  CHECK(tokens.message() ==
        "must be >= 0 (got a uniform(min=-10, max=10) whose support reaches -10)");
  CHECK(
      std::string(tokens.what()) ==
      "t.toml:7:16: error: workload[0].input_tokens: must be >= 0 (got a uniform(min=-10, max=10) "
      "whose support reaches -10)");
}

// ---- the bad scenario files --------------------------------------------------------------------

TEST_CASE("every tests/bad_scenarios file fails where its first line says", "[loader]") {
  const std::filesystem::path dir =
      std::filesystem::path(TOKENCAST_SOURCE_DIR) / "tests" / "bad_scenarios";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string first_line;
    std::getline(in, first_line);
    const std::string marker = "# expect: ";
    INFO(entry.path().string() << ": " << first_line);
    REQUIRE(first_line.rfind(marker, 0) == 0);
    // "LINE:COL: KEY.PATH: FRAGMENT"
    const std::string expect = first_line.substr(marker.size());
    const auto colon1 = expect.find(':');
    const auto colon2 = expect.find(':', colon1 + 1);
    const auto colon3 = expect.find(": ", colon2 + 1);
    REQUIRE(colon3 != std::string::npos);
    const int line = std::stoi(expect.substr(0, colon1));
    const int column = std::stoi(expect.substr(colon1 + 1, colon2 - colon1 - 1));
    const std::string key_path = expect.substr(colon2 + 2, colon3 - colon2 - 2);
    const std::string fragment = expect.substr(colon3 + 2);
    try {
      load_scenario_file(entry.path().string());
      FAIL("loaded without error");
    } catch (const InputError& error) {
      INFO("error: " << error.what());
      CHECK(error.where().line == line);
      CHECK(error.where().column == column);
      CHECK(error.key_path() == key_path);
      CHECK_THAT(error.message(), Catch::Contains(fragment));
      const std::string prefix = entry.path().filename().string() + ":" + std::to_string(line) +
                                 ":" + std::to_string(column) +
                                 ": error: " + (key_path.empty() ? std::string() : key_path + ": ");
      CHECK_THAT(error.what(), Catch::Contains(prefix));
    }
    ++files;
  }
  CHECK(files >= 30);
}
