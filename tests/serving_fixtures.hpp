#pragma once
// Pools for the serving-model tests: token laws by mean and cv, and the service profile of one mix.
#include <cmath>
#include <cstdint>

#include "tokencast/queueing.hpp"
#include "tokencast/token_moments.hpp"

namespace tokencast::test {

inline Dist lognormal_by_mean(double mean, double cv) {
  const double sigma2 = std::log1p(cv * cv);
  return Dist::lognormal(std::log(mean) - 0.5 * sigma2, std::sqrt(sigma2));
}

// The profile of requests drawn from `input` and `output` (independent), on replicas of
// `max_concurrency` slots at these throughputs.
inline ServiceProfile service_profile(const Dist& input, const Dist& output, double prefill_tokens_per_s,
                                      double decode_tokens_per_s, int max_concurrency,
                                      std::int64_t context_tokens = 131072) {
  const TokenMoments t = token_moments(input, output, context_tokens);
  ServiceProfile p;
  p.input_mean_tokens = t.input_mean;
  p.input_variance = t.input_variance;
  p.input_p95_tokens = input.quantile(0.95);
  p.output_mean_tokens = t.output_mean;
  p.output_variance = t.output_variance;
  p.prefill_tokens_per_s = prefill_tokens_per_s;
  p.decode_tokens_per_s = decode_tokens_per_s;
  p.max_concurrency = max_concurrency;
  return p;
}

}  // namespace tokencast::test
