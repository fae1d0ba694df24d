// Multimodal requests: images_per_request x the model's tokens_per_image, priced as input tokens
// and counted as prefill work (docs/cost-model.md, "Images").
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/token_moments.hpp"
#include "tokencast/trial_store.hpp"

using namespace tokencast;
using namespace tokencast::test;

namespace {

constexpr const char* kVisionModel = "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8";

std::string scenario_text(const std::string& images, const std::string& model_table, const std::string& extra = "") {
  return fmt::format(R"([scenario]
name = "vision"
trials = 400
{}
[[workload]]
name = "screenshots"
model = "{}"
requests_per_month = 100000
input_tokens = 1000
output_tokens = 200
{}
{}
)",
                     model_table, kVisionModel, images, extra);
}

const std::string kModelTable = fmt::format("[[model]]\nid = \"{}\"\ntokens_per_image = 1500\n", kVisionModel);

}  // namespace

TEST_CASE("images are billed as input tokens: the article's arithmetic with 2 images of 1,500 tokens", "[images]") {
  const Scenario s = load_scenario_text(scenario_text("images_per_request = 2", kModelTable), "v.toml");
  REQUIRE(s.workloads[0].images_per_request);
  const ModelSpec* model = builtin_catalog().find_model(kVisionModel);
  REQUIRE(model != nullptr);
  const double p_in = model->input_usd_per_mtok.constant(), p_out = model->output_usd_per_mtok.constant();
  TrialStore store(s);
  store.grow(400);
  const auto requests = store.column("workload[screenshots].requests");
  const auto input = store.column("workload[screenshots].input_tokens");
  const auto usd = store.column("total.serverless_usd");
  for (std::size_t t = 0; t < requests.size(); ++t) {
    CHECK(input[t] == Approx(requests[t] * (1000 + 2 * 1500)).epsilon(1e-12));
    CHECK(usd[t] == Approx(requests[t] * (4000 * p_in + 200 * p_out) / 1e6).epsilon(1e-12));
  }
  // Written back and read again: the same images and tokens per image.
  const Scenario again = load_scenario_text(scenario_toml(s), "again.toml");
  CHECK(again.workloads[0].images_per_request->describe() == "2");
  CHECK(again.models[0].tokens_per_image == 1500);
}

TEST_CASE("image counts: rounded moments in closed form, exact draws and hourly sums agree", "[images]") {
  // Uniform on [0, 4] rounded: 0 w.p. 1/8, 1-3 w.p. 1/4 each, 4 w.p. 1/8: mean 2, E N^2 = 14/4 + 16/8.
  double mean = 0, variance = 0;
  image_count_moments(Dist::uniform(0, 4), mean, variance);
  CHECK(mean == Approx(2.0));
  CHECK(variance == Approx(5.5 - 4.0));
  const std::vector<double> values{0, 1, 3}, cumulative{0.5, 0.8, 1.0};
  image_count_moments(Dist::empirical(values, cumulative), mean, variance);
  CHECK(mean == Approx(0.9));
  CHECK(variance == Approx(0.3 + 0.2 * 9 - 0.81));

  const ImageTokens images{Dist::empirical(values, cumulative), 800};
  const Dist text_in = Dist::fixed(500), text_out = Dist::fixed(100);
  const TokenMoments m = token_moments(text_in, text_out, 131072, 0, 0, &images);
  CHECK(m.input_mean == Approx(500 + 800 * 0.9));
  CHECK(m.input_variance == Approx(800.0 * 800 * (0.3 + 1.8 - 0.81)));
  // Request by request: the mean within 4 standard errors; sums of 1,000 through the Gamma too.
  Rng rng(9);
  const int n = 200000;
  double sum = 0, sums = 0;
  for (int i = 0; i < n; ++i) sum += sample_request_tokens(text_in, text_out, 131072, rng, 0, &images).input;
  CHECK(std::abs(sum / n - m.input_mean) < 4 * std::sqrt(m.input_variance / n));
  for (int i = 0; i < 2000; ++i) sums += sample_token_sums(1000, m, text_in, text_out, 131072, rng, 32, nullptr, &images).input;
  CHECK(std::abs(sums / 2000 - 1000 * m.input_mean) < 4 * std::sqrt(1000 * m.input_variance / 2000));
}

TEST_CASE("images are prefill work: a dedicated endpoint's utilization grows with them; bad images exit 2",
          "[images][cli]") {
  TempDir dir;
  const std::string dedicated = R"(
[[dedicated]]
name = "endpoint"
model = "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"
gpu = "H100-80GB"
gpus_per_replica = 8
replicas = 2
prefill_tokens_per_s = 20000
decode_tokens_per_s = 3000
)";
  auto utilization = [&](const std::string& images) {
    const auto path = dir.path() / "v.toml";
    std::ofstream(path) << scenario_text(images, kModelTable) << dedicated;
    const CliResult r = run_cli("run " + shell_quote(path.string()) + " --format json");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out)["models"][0]["dedicated"]["utilization"]["mean"].get<double>();
  };
  const double text_only = utilization(""), with_images = utilization("images_per_request = 2");
  // Prefill per request goes from 1,000 to 4,000 tokens; decode is unchanged.
  const double prefill_s = 1000.0 / 20000, decode_s = 200.0 / 3000;
  CHECK(with_images / text_only == Approx((4 * prefill_s + decode_s) / (prefill_s + decode_s)).epsilon(0.01));

  // A model without tokens_per_image, and a negative count: exit 2 at the key.
  const auto bad = dir.path() / "bad.toml";
  std::ofstream(bad) << scenario_text("images_per_request = 2", "");
  CliResult r = run_cli("run " + shell_quote(bad.string()));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("workload[0].images_per_request") && Catch::Contains("tokens_per_image"));
  std::ofstream(bad) << scenario_text("images_per_request = -1", kModelTable);
  r = run_cli("run " + shell_quote(bad.string()));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("workload[0].images_per_request"));
  // A count of images is bounded: an unbounded law is refused with the way out.
  std::ofstream(bad) << scenario_text(R"(images_per_request = { dist = "lognormal", median = 2, sigma = 1 })", kModelTable);
  r = run_cli("run " + shell_quote(bad.string()));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("workload[0].images_per_request") && Catch::Contains("bounded"));
}
