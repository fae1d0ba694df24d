#include "tokencast/summary.hpp"

#include "tokencast/errors.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
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

namespace {

// The distinct ranks (ascending) that the type-7 quantiles at `ps` read, at most 2 per p.
std::span<const std::size_t> ranks_for(std::size_t n, std::span<const double> ps, std::span<std::size_t> ranks) {
  std::size_t count = 0;
  for (double p : ps) {
    const Ranks r = ranks_of(n, p);
    ranks[count++] = r.below;
    ranks[count++] = r.above;
  }
  std::sort(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(count));
  count = static_cast<std::size_t>(std::unique(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(count)) -
                                   ranks.begin());
  return ranks.first(count);
}

constexpr std::size_t max_quantiles = 16;
constexpr std::size_t bucket_count = 2048;
// Below this many values a copy and select_ranks beat the two bucket passes.
constexpr std::size_t bucketing_from = 4096;

// The value at each of `ranks` (ascending, distinct, < values.size()) in sorted order, into
// rank_values, without reordering or copying all of `values`. One pass counts the values into
// equal-width buckets over [min, max]; a second gathers only the buckets that hold a wanted rank
// into `gathered`, where select_ranks finishes the job. The bucket index is monotone in the value
// (a subtraction and a multiplication by constants, each rounded monotonically), so a bucket's
// values are exactly the ranks it was counted for. A bucket holding most of the values (a far
// outlier stretches the range) is bucketed again over its own range.
void values_at_ranks(std::span<const double> values, std::span<const std::size_t> ranks, std::span<double> rank_values,
                     std::vector<double>& gathered, const std::atomic<bool>* cancel, int depth = 0) {
  const std::size_t n = values.size();
  auto select_in_copy = [&] {
    gathered.assign(values.begin(), values.end());
    select_ranks(gathered, 0, n, ranks, cancel);
    for (std::size_t i = 0; i < ranks.size(); ++i) rank_values[i] = gathered[ranks[i]];
  };
  if (n < bucketing_from || depth >= 3) return select_in_copy();
  double lo = values[0], hi = values[0];
  bool unordered = false;  // a NaN
  for (double v : values) {
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    unordered = unordered || v != v;
  }
  const double scale = static_cast<double>(bucket_count) / (hi - lo);
  if (unordered || !(hi > lo) || !std::isfinite(scale) || !(scale > 0)) return select_in_copy();
  const auto bucket_of = [lo, scale](double v) {
    return std::min(bucket_count - 1, static_cast<std::size_t>((v - lo) * scale));
  };
  poll_cancel(cancel);
  std::array<std::uint32_t, bucket_count> counts{};
  for (double v : values) ++counts[bucket_of(v)];

  // Each wanted bucket: the rank of its first value, and where its values go in `gathered`.
  struct Wanted {
    std::size_t bucket, first_rank, offset, size;
  };
  std::array<Wanted, 2 * max_quantiles> wanted;
  std::size_t wanted_count = 0, gathered_size = 0;
  std::array<std::int32_t, bucket_count> slot;
  slot.fill(-1);
  std::size_t below = 0, b = 0;
  for (const std::size_t rank : ranks) {
    while (below + counts[b] <= rank) below += counts[b++];
    if (slot[b] < 0) {
      slot[b] = static_cast<std::int32_t>(wanted_count);
      wanted[wanted_count++] = {b, below, gathered_size, counts[b]};
      gathered_size += counts[b];
    }
  }
  poll_cancel(cancel);
  gathered.resize(gathered_size);
  std::array<std::size_t, 2 * max_quantiles> fill;
  for (std::size_t w = 0; w < wanted_count; ++w) fill[w] = wanted[w].offset;
  for (double v : values) {
    const std::int32_t s = slot[bucket_of(v)];
    if (s >= 0) gathered[fill[static_cast<std::size_t>(s)]++] = v;
  }

  std::size_t r = 0;
  std::vector<double> deeper;  // only when a bucket is bucketed again (rare)
  for (std::size_t w = 0; w < wanted_count; ++w) {
    const Wanted& bucket = wanted[w];
    std::array<std::size_t, 2 * max_quantiles> local;
    std::size_t count = 0;
    const std::size_t first_r = r;
    while (r < ranks.size() && ranks[r] < bucket.first_rank + bucket.size) local[count++] = ranks[r++] - bucket.first_rank;
    const std::span<double> part(gathered.data() + bucket.offset, bucket.size);
    if (bucket.size > n / 4 && bucket.size >= bucketing_from) {
      // Copied out: `gathered` is the deeper level's buffer.
      const std::vector<double> own(part.begin(), part.end());
      values_at_ranks(own, std::span<const std::size_t>(local.data(), count), rank_values.subspan(first_r, count), deeper,
                      cancel, depth + 1);
    } else {
      select_ranks(part, 0, part.size(), std::span<const std::size_t>(local.data(), count), cancel);
      for (std::size_t i = 0; i < count; ++i) rank_values[first_r + i] = part[local[i]];
    }
  }
}

// The type-7 quantile at p from the values at `ranks`.
double quantile_from(std::size_t n, double p, std::span<const std::size_t> ranks, std::span<const double> rank_values) {
  const Ranks r = ranks_of(n, p);
  const auto at = [&](std::size_t rank) {
    return rank_values[static_cast<std::size_t>(std::lower_bound(ranks.begin(), ranks.end(), rank) - ranks.begin())];
  };
  return at(r.below) + r.fraction * (at(r.above) - at(r.below));
}

}  // namespace

void quantiles_by_selection(std::span<double> values, std::span<const double> ps, std::span<double> out,
                            const std::atomic<bool>* cancel) {
  const std::size_t n = values.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  if (ps.size() > max_quantiles) throw std::invalid_argument("quantiles_by_selection: too many quantiles");
  std::array<std::size_t, 2 * max_quantiles> rank_buffer;
  const auto ranks = ranks_for(n, ps, rank_buffer);
  select_ranks(values, 0, n, ranks, cancel);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const Ranks r = ranks_of(n, ps[i]);
    out[i] = values[r.below] + r.fraction * (values[r.above] - values[r.below]);
  }
}

void quantiles_of(std::span<const double> values, std::span<const double> ps, std::span<double> out,
                  std::vector<double>& scratch, const std::atomic<bool>* cancel) {
  const std::size_t n = values.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  if (ps.size() > max_quantiles) throw std::invalid_argument("quantiles_of: too many quantiles");
  std::array<std::size_t, 2 * max_quantiles> rank_buffer;
  std::array<double, 2 * max_quantiles> rank_values;
  const auto ranks = ranks_for(n, ps, rank_buffer);
  values_at_ranks(values, ranks, rank_values, scratch, cancel);
  for (std::size_t i = 0; i < ps.size(); ++i) out[i] = quantile_from(n, ps[i], ranks, rank_values);
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

  static constexpr double ps[] = {0.05, 0.25, 0.50, 0.75, 0.95, 0.99};
  std::array<std::size_t, 2 * max_quantiles> rank_buffer;
  std::array<double, 2 * max_quantiles + 2> rank_values;
  const auto quantile_ranks = ranks_for(values.size(), ps, rank_buffer);
  // The extremes as they are (a -0.0 stays -0.0): ranks 0 and n - 1 read with the others.
  std::array<std::size_t, 2 * max_quantiles + 2> all_ranks;
  std::size_t count = 0;
  if (quantile_ranks.front() != 0) all_ranks[count++] = 0;
  for (std::size_t r : quantile_ranks) all_ranks[count++] = r;
  if (all_ranks[count - 1] != values.size() - 1) all_ranks[count++] = values.size() - 1;
  const std::span<const std::size_t> ranks(all_ranks.data(), count);
  values_at_ranks(values, ranks, std::span<double>(rank_values.data(), count), scratch, cancel);
  s.min = rank_values[0];
  s.max = rank_values[count - 1];
  const std::span<const double> at_ranks(rank_values.data(), count);
  s.p5 = quantile_from(values.size(), 0.05, ranks, at_ranks);
  s.p25 = quantile_from(values.size(), 0.25, ranks, at_ranks);
  s.p50 = quantile_from(values.size(), 0.50, ranks, at_ranks);
  s.p75 = quantile_from(values.size(), 0.75, ranks, at_ranks);
  s.p95 = quantile_from(values.size(), 0.95, ranks, at_ranks);
  s.p99 = quantile_from(values.size(), 0.99, ranks, at_ranks);
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

void percentile_ses(std::span<const double> values, std::span<const double> ps, std::span<double> out,
                    int sections) {
  if (ps.size() > 16 || out.size() < ps.size()) throw std::invalid_argument("percentile_ses: at most 16 quantiles");
  const std::size_t size = sections < 1 ? 0 : values.size() / static_cast<std::size_t>(sections);
  if (sections < 2 || size < 2) {
    std::fill_n(out.begin(), ps.size(), std::numeric_limits<double>::infinity());
    return;
  }
  std::vector<double> run(size);
  std::vector<double> estimates(ps.size() * static_cast<std::size_t>(sections));  // by quantile, then section
  double section_quantiles[16];
  for (int k = 0; k < sections; ++k) {
    std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k) * size), size, run.begin());
    quantiles_by_selection(run, ps, std::span<double>(section_quantiles, ps.size()));
    for (std::size_t i = 0; i < ps.size(); ++i) {
      estimates[i * static_cast<std::size_t>(sections) + static_cast<std::size_t>(k)] = section_quantiles[i];
    }
  }
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const auto first = estimates.begin() + static_cast<std::ptrdiff_t>(i * static_cast<std::size_t>(sections));
    double mean = 0;
    for (auto e = first; e != first + sections; ++e) mean += *e;
    mean /= sections;
    double squares = 0;
    for (auto e = first; e != first + sections; ++e) squares += (*e - mean) * (*e - mean);
    out[i] = std::sqrt(squares / (sections - 1)) / std::sqrt(static_cast<double>(sections));
  }
}

double percentile_se(std::span<const double> values, double q, int sections) {
  const double ps[] = {q};
  double se = 0;
  percentile_ses(values, ps, std::span<double>(&se, 1), sections);
  return se;
}

}  // namespace tokencast
