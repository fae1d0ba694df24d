// libFuzzer target: any byte string given to the scenario loader must either load or be refused
// with an InputError. Every other exception, crash, leak, hang or sanitizer report is a finding.
// An accepted scenario's quantities are also described and drawn from a few times, since the
// engine will do the same: a distribution the loader accepts must be usable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tokencast/errors.hpp"
#include "tokencast/random.hpp"
#include "tokencast/scenario_loader.hpp"

namespace {

// Few draws: the point is each distribution's sampling path, not its statistics.
constexpr int kDrawsPerQuantity = 4;

void exercise(const tokencast::Quantity& quantity, tokencast::Rng& rng) {
  (void)quantity.describe();
  (void)quantity.support();
  for (int i = 0; i < kDrawsPerQuantity; ++i) (void)quantity.draw(rng);
}

void exercise(const tokencast::Scenario& scenario) {
  tokencast::Rng rng(scenario.seed);
  for (const auto& model : scenario.models) {
    exercise(model.input_usd_per_mtok, rng);
    exercise(model.output_usd_per_mtok, rng);
    if (model.cached_input_usd_per_mtok) exercise(*model.cached_input_usd_per_mtok, rng);
    if (model.batch_discount) exercise(*model.batch_discount, rng);
  }
  for (const auto& workload : scenario.workloads) {
    for (const auto* quantity :
         {&workload.requests_per_month, &workload.input_tokens, &workload.output_tokens,
          &workload.cached_input_share, &workload.traffic.daily_peak_to_mean,
          &workload.traffic.peak_hour, &workload.traffic.weekend_factor,
          &workload.traffic.burstiness, &workload.traffic.monthly_growth}) {
      exercise(*quantity, rng);
    }
  }
  for (const auto& option : scenario.capacity) {
    for (const auto* quantity :
         {&option.usd_per_gpu_hour, &option.prefill_tokens_per_s, &option.decode_tokens_per_s,
          &option.max_utilization, &option.fixed_usd_per_month, &option.monthly_minimum_usd}) {
      exercise(*quantity, rng);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    exercise(tokencast::load_scenario_text(text, "fuzz.toml"));
  } catch (const tokencast::InputError&) {
    // Refused with a position and key path: the expected outcome for bad input.
  }
  return 0;
}
