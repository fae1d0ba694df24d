// Checks of a loaded scenario for what the model cannot give (scenario_warnings), and the
// load-time figures of uncertain quantities they and the throughput estimate need.
#include <algorithm>

#include <fmt/format.h>

#include "sections.hpp"
#include "tokencast/random.hpp"
#include "tokencast/scenario_loader.hpp"

namespace tokencast {
namespace loader {

double load_time_figure(const Quantity& quantity, std::uint64_t entity, double (*of)(const Dist&)) {
  if (quantity.is_certain()) return of(Dist::fixed(quantity.constant()));
  Rng rng = make_stream(0, 0, StreamPurpose::load_time_means, entity);
  if (!quantity.has_uncertain_parameters()) return of(quantity.resolve(rng));
  constexpr int kDraws = 1024;
  double total = 0;
  for (int i = 0; i < kDraws; ++i) total += of(quantity.resolve(rng));
  return total / kDraws;
}

}  // namespace loader

std::vector<ScenarioWarning> scenario_warnings(const Scenario& scenario) {
  std::vector<ScenarioWarning> warnings;
  std::size_t index_of_kind[2] = {0, 0};
  for (const CapacitySpec& option : scenario.capacity) {
    const std::size_t index = index_of_kind[option.kind == CapacityKind::dedicated ? 0 : 1]++;
    if (!option.slo_ttft_p95_s) continue;
    // The prefill p95 of the mix lies below the largest of its workloads' input p95s, taken at the
    // mean prefill rate: a target below it cannot be met by any replica count.
    double input_p95 = 0;
    for (std::size_t w = 0; w < scenario.workloads.size(); ++w) {
      if (scenario.workloads[w].model != option.model) continue;
      // Prefix caching: only the uncached share of a prompt is prefilled.
      const double uncached = 1.0 - loader::load_time_mean(scenario.workloads[w].cached_input_share, (1u << 21) + w);
      // Images add their tokens' p95 (a sum of p95s: conservative, as the bound is).
      double images_p95 = 0;
      if (const auto& images = scenario.workloads[w].images_per_request) {
        for (const ModelSpec& m : scenario.models) {
          if (m.id == option.model) {
            images_p95 = m.tokens_per_image.value_or(0.0) *
                         loader::load_time_figure(*images, (1u << 22) + w, [](const Dist& d) { return d.quantile(0.95); });
          }
        }
      }
      input_p95 = std::max(input_p95, uncached * (loader::load_time_figure(scenario.workloads[w].input_tokens, w,
                                                                           [](const Dist& d) { return d.quantile(0.95); }) +
                                                  images_p95));
    }
    const double prefill_rate = loader::load_time_mean(option.prefill_tokens_per_s, 1u << 20);
    const double prefill_p95_s = input_p95 / prefill_rate;
    if (*option.slo_ttft_p95_s < prefill_p95_s) {
      warnings.push_back(
          {fmt::format("{}[{}].slo.ttft_p95_s", to_string(option.kind), index),
           fmt::format("the target of {} s is below the prefill p95 of about {:.3g} s ({:.0f} uncached input tokens at "
                       "{:.0f} tokens/s): no replica count can meet it, so runs will report '{}' infeasible",
                       *option.slo_ttft_p95_s, prefill_p95_s, input_p95, prefill_rate, option.name)});
    }
  }
  return warnings;
}

}  // namespace tokencast
