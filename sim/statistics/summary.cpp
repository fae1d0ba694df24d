#include "tokencast/summary.hpp"

#include "tokencast/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tokencast {

double quantile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0.0;
  const double position = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

namespace {

// The rank below a type-7 position and the one above it.
struct Ranks {
  std::size_t below, above;
  double fraction;
};
Ranks ranks_of(std::size_t n, double p) {
  const double position = p * static_cast<double>(n - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  return {below, std::min(below + 1, n - 1), position - static_cast<double>(below)};
}

// Puts the value of each rank in `ranks` (ascending, distinct, inside [first, last)) at its place,
// as a sort would: the middle rank first, then each side's ranks within that side. A rank at either
// end of its range is the range's least or greatest value, found by one scan rather than a
// selection (quantiles ask for neighbouring ranks, and the extremes).
void select_ranks(std::span<double> values, std::size_t first, std::size_t last, std::span<const std::size_t> ranks,
                  const std::atomic<bool>* cancel) {
  if (ranks.empty() || first >= last) return;
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) throw Interrupted();
  const auto at = [&](std::size_t i) { return values.begin() + static_cast<std::ptrdiff_t>(i); };
  if (ranks.front() == first) {
    std::iter_swap(at(first), std::min_element(at(first), at(last)));
    select_ranks(values, first + 1, last, ranks.subspan(1), cancel);
    return;
  }
  if (ranks.back() == last - 1) {
    std::iter_swap(at(last - 1), std::max_element(at(first), at(last)));
    select_ranks(values, first, last - 1, ranks.first(ranks.size() - 1), cancel);
    return;
  }
  const std::size_t middle = ranks.size() / 2;
  const std::size_t rank = ranks[middle];
  std::nth_element(at(first), at(rank), at(last));
  select_ranks(values, first, rank, ranks.first(middle), cancel);
  select_ranks(values, rank + 1, last, ranks.subspan(middle + 1), cancel);
}

}  // namespace

void quantiles_by_selection(std::span<double> values, std::span<const double> ps, std::span<double> out,
                            const std::atomic<bool>* cancel) {
  const std::size_t n = values.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  std::vector<std::size_t> ranks;
  for (double p : ps) {
    const Ranks r = ranks_of(n, p);
    ranks.push_back(r.below);
    ranks.push_back(r.above);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  select_ranks(values, 0, n, ranks, cancel);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const Ranks r = ranks_of(n, ps[i]);
    out[i] = values[r.below] + r.fraction * (values[r.above] - values[r.below]);
  }
}

double quantile_by_selection(std::span<double> values, double p) {
  double q = 0;
  quantiles_by_selection(values, std::span<const double>(&p, 1), std::span<double>(&q, 1));
  return q;
}

double mean_of(std::span<const double> values) {
  if (values.empty()) return 0.0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

Summary summarize(std::span<const double> values) {
  std::vector<double> scratch;
  return summarize(values, scratch);
}

Summary summarize(std::span<const double> values, std::vector<double>& scratch, const std::atomic<bool>* cancel) {
  Summary s;
  s.n = static_cast<std::int64_t>(values.size());
  if (values.empty()) return s;
  const double n = static_cast<double>(values.size());

  // Two-pass mean and variance in index order: stable and independent of scheduling.
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / n;
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.sd = values.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  s.mean_se = s.sd / std::sqrt(n);

  std::vector<double>& copy = scratch;
  copy.assign(values.begin(), values.end());
  static constexpr double ps[] = {0.0, 1.0, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};
  double q[std::size(ps)];
  quantiles_by_selection(copy, ps, q, cancel);
  // The extremes as they are (a -0.0 stays -0.0).
  s.min = copy.front();
  s.max = copy.back();
  s.p5 = q[2];
  s.p25 = q[3];
  s.p50 = q[4];
  s.p75 = q[5];
  s.p95 = q[6];
  s.p99 = q[7];
  return s;
}

Histogram make_histogram(std::span<const double> values, int bins) {
  Histogram h;
  if (values.empty() || bins < 1) return h;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  h.lo = *lo;
  h.hi = *hi;
  if (!(h.hi > h.lo)) {
    // Every value equal: one bin holding them all, of a width that keeps charts finite.
    h.hi = h.lo + std::max(1.0, std::abs(h.lo) * 1e-6);
    h.counts.assign(1, static_cast<double>(values.size()));
    return h;
  }
  h.counts.assign(static_cast<std::size_t>(bins), 0.0);
  const double width = (h.hi - h.lo) / bins;
  for (double v : values) {
    const auto bin = std::min(static_cast<std::size_t>((v - h.lo) / width), h.counts.size() - 1);
    h.counts[bin] += 1.0;
  }
  return h;
}

double percentile_se(std::span<const double> values, double q, int sections) {
  const std::size_t size = values.size() / static_cast<std::size_t>(sections);
  if (sections < 2 || size < 2) return std::numeric_limits<double>::infinity();
  std::vector<double> run(size), estimates;
  for (int k = 0; k < sections; ++k) {
    std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(k * size), size, run.begin());
    estimates.push_back(quantile_by_selection(run, q));
  }
  double mean = 0;
  for (double e : estimates) mean += e;
  mean /= sections;
  double squares = 0;
  for (double e : estimates) squares += (e - mean) * (e - mean);
  return std::sqrt(squares / (sections - 1)) / std::sqrt(static_cast<double>(sections));
}

}  // namespace tokencast
