#pragma once
// Scenarios built in code for engine tests: the seed article's example and variations on it.
#include <memory>
#include <optional>

#include "tokencast/scenario.hpp"

namespace tokencast::test {

inline Quantity pert(double lo, double mode, double hi) {
  return distribution(DistKind::pert, ParamSet::standard, {lo, mode, hi, 4.0});
}
inline Quantity lognormal_mean_cv(double mean, double cv) {
  return distribution(DistKind::lognormal, ParamSet::mean_cv, {mean, cv});
}

inline ModelSpec maestro() {
  ModelSpec m;
  m.id = "arcee-ai/maestro-reasoning";
  m.input_usd_per_mtok = 0.90;
  m.output_usd_per_mtok = 3.30;
  m.batch_discount = Quantity(0.5);
  m.context_tokens = 131072;
  return m;
}

// The seed article's example: 2M requests a month of 3,000 in / 1,000 out tokens.
inline Scenario article(std::int64_t trials) {
  Scenario s;
  s.name = "article";
  s.trials = trials;
  s.seed = 3;
  s.models = {maestro()};
  WorkloadSpec w;
  w.name = "assistant";
  w.model = s.models[0].id;
  w.requests_per_month = 2e6;
  w.input_tokens = 3000.0;
  w.output_tokens = 1000.0;
  w.batchable = true;
  s.workloads = {w};
  return s;
}

inline CapacitySpec dedicated(double prefill, double decode, std::optional<int> replicas) {
  CapacitySpec c;
  c.name = "maestro-h100";
  c.model = "arcee-ai/maestro-reasoning";
  c.usd_per_gpu_hour = 5.49;
  c.prefill_tokens_per_s = prefill;
  c.decode_tokens_per_s = decode;
  c.max_utilization = 0.75;
  c.replicas = replicas;
  return c;
}

}  // namespace tokencast::test
