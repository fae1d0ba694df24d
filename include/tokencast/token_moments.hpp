#pragma once
// Tokens of one request and sums of many. A request's input and output are drawn from their
// distributions, rounded to the nearest integer, at least 1, and cut so input + output never exceeds
// the model's context (the input is cut first; the output keeps at most context - 1).
// Sums of n requests are drawn exactly for n <= exact_sum_threshold, else from a Gamma with the
// exact mean and variance of the sum (see docs/cost-model.md, "Token sums").
#include <cstdint>

#include "tokencast/distribution.hpp"
#include "tokencast/random.hpp"

namespace tokencast {

inline constexpr double exact_sum_threshold = 32;

struct RequestTokens {
  double input = 0;
  double output = 0;
};

// Mean and variance of one request's rounded, floored and cut tokens.
struct TokenMoments {
  double input_mean = 0, input_variance = 0;
  double output_mean = 0, output_variance = 0;
};

RequestTokens sample_request_tokens(const Dist& input, const Dist& output, std::int64_t context_tokens,
                                    Rng& rng);

// Moments of one request: closed forms when the cut and the floor are negligible (below 1e-12 in
// probability), Gauss-Hermite quadrature in normal scores otherwise; rounding adds the Sheppard
// variance 1/12 for continuous distributions.
TokenMoments token_moments(const Dist& input, const Dist& output, std::int64_t context_tokens);

// Token sums of `requests` requests (a whole number >= 0), drawn request by request up to
// `exact_below` requests (exact mode: infinity).
RequestTokens sample_token_sums(double requests, const TokenMoments& moments, const Dist& input,
                                const Dist& output, std::int64_t context_tokens, Rng& rng,
                                double exact_below = exact_sum_threshold);

// A Gamma(shape, scale) variate (Marsaglia-Tsang, with Boost.Random's normal and uniform).
double sample_gamma(double shape, double scale, Rng& rng);
// A Poisson(mean) variate as a double (Boost.Random's PTRS for large means).
double sample_poisson(double mean, Rng& rng);

}  // namespace tokencast
