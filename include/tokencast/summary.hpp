#pragma once
// Statistics of one output over the trials.
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tokencast {

struct Summary {
  double mean = 0;
  double sd = 0;  // sample standard deviation (n - 1)
  double p5 = 0, p50 = 0, p95 = 0, p99 = 0;
  double p25 = 0, p75 = 0;  // the inner band of fan charts (HTML report); not in JSON output
  double min = 0, max = 0;
  double mean_se = 0;  // Monte Carlo standard error of the mean: sd / sqrt(n)
  std::int64_t n = 0;
  // Standard errors of p50 and p95 by sectioning (set in precision runs; see percentile_se).
  std::optional<double> p50_se, p95_se;
};

// Standard error of the q-quantile of `values` by sectioning: the values, in trial order, are cut
// into `sections` equal runs; SE = sd(quantile of each run) / sqrt(sections).
double percentile_se(std::span<const double> values, double q, int sections = 20);
// The standard errors of several quantiles at once (out[i] of ps[i], at most 16): one selection
// per section for all of them. Equal to percentile_se of each, bit for bit.
void percentile_ses(std::span<const double> values, std::span<const double> ps, std::span<double> out,
                    int sections = 20);

// Equal-width bins over [lo, hi]; counts[i] values fell in bin i (the last bin includes hi).
struct Histogram {
  double lo = 0;
  double hi = 0;
  std::vector<double> counts;
};
Histogram make_histogram(std::span<const double> values, int bins = 40);

// Percentiles use linear interpolation between order statistics (Hyndman-Fan type 7, as numpy).
// The sum runs in index order, so the result does not depend on how trials were scheduled.
Summary summarize(std::span<const double> values);
// The same, its sorted-order work done in `scratch` (resized to the values): a caller summarising
// column after column keeps one scratch, whose memory is then touched once rather than faulted in
// again for every column (a third of a summary's time at ten million trials).
// `cancel`, when set, is polled between its passes over the values (Interrupted).
Summary summarize(std::span<const double> values, std::vector<double>& scratch,
                  const std::atomic<bool>* cancel = nullptr);
// The mean as summarize computes it (index order).
double mean_of(std::span<const double> values);
// Type-7 quantile of already sorted values; p in [0, 1].
double quantile_sorted(std::span<const double> sorted, double p);
// The same quantiles of values in any order, by selection (std::nth_element on the ranks they
// need) rather than a full sort: equal to quantile_sorted of the sorted values, bit for bit.
// Reorders `values`; out[i] is the quantile at ps[i].
// `cancel`, when set, is polled between the selection's passes (Interrupted).
void quantiles_by_selection(std::span<double> values, std::span<const double> ps, std::span<double> out,
                            const std::atomic<bool>* cancel = nullptr);
double quantile_by_selection(std::span<double> values, double p);
// The same quantiles (at most 16) of values left as they are: two bucketing passes find the few
// values near each rank and a selection finishes among those (gathered in `scratch`), so a column
// is neither copied whole nor sorted. Equal to quantiles_by_selection, bit for bit.
void quantiles_of(std::span<const double> values, std::span<const double> ps, std::span<double> out,
                  std::vector<double>& scratch, const std::atomic<bool>* cancel = nullptr);

}  // namespace tokencast
