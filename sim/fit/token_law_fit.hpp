#pragma once
// A law for a log's token counts: the candidates (a compact histogram, a lognormal and a gamma
// by mean and cv, two lognormals mixed), each's Kolmogorov-Smirnov distance to the data, and the one chosen
// (docs/fitting.md, "Token laws").
#include <string>
#include <vector>

#include "tokencast/distribution.hpp"
#include "token_histogram.hpp"

namespace tokencast::fit {

// A fitted figure with its uncertainty: normal about `value` with standard deviation `sd`, cut at 8
// standard deviations (and within [lo, hi]), so that every bound stays finite; `value` alone when
// sd is 0.
Quantity uncertain_figure(double value, double sd, double lo, double hi);
// The same for a positive figure with a relative standard deviation (kept above a thousandth of it).
Quantity uncertain_positive(double value, double relative_sd);

// The KS distance a law may keep from the data and still be chosen over the histogram.
inline constexpr double kChosenMaxKs = 0.02;

struct LawSummary {
  double mean = 0, p50 = 0, p95 = 0, p99 = 0;
};

struct LawCandidate {
  std::string name;     // "lognormal", "gamma", "lognormal_mixture", "histogram"
  int parameters = 0;   // free parameters: 2, 2, 5, 2 x bins
  double ks = 0;        // sup |F(k + 1/2) - F_data(k)| over the counts k (the law rounded per request)
  LawSummary summary;   // of the law as tokencast draws it (rounded), its scale at its mean
  Quantity law;         // with the mean (or the histogram's scale) uncertain as given
};

struct TokenLawFit {
  std::uint64_t n = 0;
  LawSummary data;
  std::vector<LawCandidate> candidates;
  std::size_t chosen = 0;
  const LawCandidate& law() const { return candidates[chosen]; }
};

// `mean` and `variance` are the data's (exact, from the stream); `mean_relative_sd` is the
// uncertainty of the mean as a share of it (a block bootstrap's), 0 for none. The chosen law is
// the one with the fewest parameters whose KS distance is at most kChosenMaxKs (the smaller
// distance between equals), else the histogram. Every candidate keeps the data's mean.
TokenLawFit fit_token_law(const TokenHistogram& histogram, double mean, double variance, double mean_relative_sd);

}  // namespace tokencast::fit
