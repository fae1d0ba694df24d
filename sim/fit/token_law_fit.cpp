#include "token_law_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>
#include <stdexcept>

#include "tokencast/token_moments.hpp"

namespace tokencast::fit {
namespace {

// No context cut when summarising a law: the fit describes the requests, the model cuts them.
constexpr std::int64_t kNoCut = std::int64_t{1} << 40;

// The histogram's edges: the continuized law's quantiles at every `step` of the shares up to 0.9,
// and finer in the tail where the p95 and p99 a capacity plan reads lie.
std::vector<double> edge_shares(double step) {
  std::vector<double> shares;
  for (int i = 0; i * step < 0.9 - 1e-12; ++i) shares.push_back(i * step);
  for (const double p : {0.9, 0.925, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 1.0}) {
    if (p > shares.back() + 1e-12) shares.push_back(p);
  }
  for (double p = 0.9 + step; step < 0.025 && p < 0.999; p += step) shares.push_back(p);
  std::sort(shares.begin(), shares.end());
  shares.erase(std::unique(shares.begin(), shares.end(), [](double x, double y) { return y - x < 1e-9; }),
               shares.end());
  return shares;
}
// Coarsest first: the first grid whose histogram is within kHistogramKs of the data is kept.
constexpr std::array<double, 4> kShareSteps = {0.05, 0.025, 0.01, 0.005};
constexpr double kHistogramKs = 0.01;

// The KS distance of a continuous law, rounded per request, to the data: at the upper edge of each
// bin the continuized cdf is the data's share at or below it, and for the counts below 4,096 the
// edge is k + 1/2, where the rounded law's cdf is F(k + 1/2).
double ks_distance(const TokenHistogram& h, const Dist& law) {
  const std::size_t first = h.first_bin(), last = h.last_bin();
  const auto n = static_cast<double>(h.count());
  // A bin's lower edge is the one before's upper edge: one cdf evaluation a bin.
  double cdf_lower = law.cdf(h.lower(first));
  double worst = cdf_lower, below = 0;
  for (std::size_t i = first; i <= last; ++i) {
    // Just above the bin's lower edge the data has not yet reached its count (a jump at a count).
    worst = std::max(worst, std::abs(cdf_lower - below / n));
    below += static_cast<double>(h.count_in(i));
    const double cdf_upper = law.cdf(h.upper(i));
    worst = std::max(worst, std::abs(cdf_upper - below / n));
    cdf_lower = cdf_upper;
  }
  return worst;
}

LawSummary summary_of(const Dist& law) {
  LawSummary s;
  s.mean = token_moments(law, Dist::fixed(1), kNoCut).input_mean;
  auto rounded = [&](double p) { return std::max(1.0, std::round(law.quantile(p))); };
  s.p50 = rounded(0.50);
  s.p95 = rounded(0.95);
  s.p99 = rounded(0.99);
  return s;
}

// Two lognormals fitted by EM to the log counts (each bin at the log of its middle), started from
// the lower and upper halves; nullopt when the data hold fewer than two distinct counts.
struct Mixture {
  std::array<double, 2> weight, mu, sigma;
};
std::optional<Mixture> fit_two_lognormals(const TokenHistogram& h) {
  std::vector<std::pair<double, double>> points;  // log count, its number
  for (std::size_t i = h.first_bin(); i <= h.last_bin(); ++i) {
    if (h.count_in(i) == 0) continue;
    points.emplace_back(std::log(std::max(0.5, 0.5 * (h.lower(i) + h.upper(i)))), static_cast<double>(h.count_in(i)));
  }
  if (points.size() < 2) return std::nullopt;
  const double n = static_cast<double>(h.count()), median = std::log(std::max(0.5, h.quantile(0.5)));
  Mixture m{};
  for (int k = 0; k < 2; ++k) {
    double count = 0, sum = 0, square = 0;
    for (const auto& [x, c] : points) {
      if ((k == 0) != (x <= median)) continue;
      count += c;
      sum += c * x;
      square += c * x * x;
    }
    if (count == 0) return std::nullopt;
    m.weight[k] = count / n;
    m.mu[k] = sum / count;
    m.sigma[k] = std::sqrt(std::max(1e-4, square / count - m.mu[k] * m.mu[k]));
  }
  // A component narrower than this fits one count: a degenerate likelihood, not a law.
  constexpr double kMinSigma = 0.02;
  double previous = -std::numeric_limits<double>::infinity();
  for (int iteration = 0; iteration < 500; ++iteration) {
    std::array<double, 2> count{}, sum{}, square{};
    double log_likelihood = 0;
    for (const auto& [x, c] : points) {
      std::array<double, 2> density;
      for (int k = 0; k < 2; ++k) {
        const double z = (x - m.mu[k]) / m.sigma[k];
        density[k] = m.weight[k] * std::exp(-0.5 * z * z) / m.sigma[k];
      }
      const double total = density[0] + density[1];
      if (!(total > 0)) continue;
      log_likelihood += c * std::log(total);
      for (int k = 0; k < 2; ++k) {
        const double r = c * density[k] / total;
        count[k] += r;
        sum[k] += r * x;
        square[k] += r * x * x;
      }
    }
    for (int k = 0; k < 2; ++k) {
      if (!(count[k] > 0)) return std::nullopt;
      m.weight[k] = count[k] / (count[0] + count[1]);
      m.mu[k] = sum[k] / count[k];
      m.sigma[k] = std::sqrt(std::max(kMinSigma * kMinSigma, square[k] / count[k] - m.mu[k] * m.mu[k]));
    }
    if (log_likelihood - previous < 1e-9 * n) break;
    previous = log_likelihood;
  }
  return m;
}

}  // namespace

Quantity uncertain_figure(double value, double sd, double lo, double hi) {
  if (!(sd > 0)) return Quantity(value);
  return distribution(DistKind::normal, ParamSet::standard,
                      {Quantity(value), Quantity(sd), Quantity(std::max(lo, value - 8 * sd)),
                       Quantity(std::min(hi, value + 8 * sd))});
}

Quantity uncertain_positive(double value, double relative_sd) {
  return uncertain_figure(value, value * relative_sd, 1e-3 * value, std::numeric_limits<double>::infinity());
}

TokenLawFit fit_token_law(const TokenHistogram& h, double mean, double variance, double mean_relative_sd) {
  if (h.count() == 0) throw std::invalid_argument("fit_token_law: no data");
  TokenLawFit fit;
  fit.n = h.count();
  fit.data = {mean, h.quantile(0.50), h.quantile(0.95), h.quantile(0.99)};
  const double cv = mean > 0 ? std::sqrt(std::max(0.0, variance)) / mean : 0.0;

  // A lognormal and a gamma with the data's mean and cv (when the counts vary at all).
  if (mean > 0 && cv > 0) {
    const double s2 = std::log1p(cv * cv);
    const Dist lognormal = Dist::lognormal(std::log(mean) - 0.5 * s2, std::sqrt(s2));
    fit.candidates.push_back({"lognormal", 2, ks_distance(h, lognormal), summary_of(lognormal),
                              distribution(DistKind::lognormal, ParamSet::mean_cv,
                                           {uncertain_positive(mean, mean_relative_sd), Quantity(cv)})});
    const Dist gamma = Dist::gamma(1.0 / (cv * cv), mean * cv * cv);
    fit.candidates.push_back({"gamma", 2, ks_distance(h, gamma), summary_of(gamma),
                              distribution(DistKind::gamma, ParamSet::mean_cv,
                                           {uncertain_positive(mean, mean_relative_sd), Quantity(cv)})});
  }

  // Two lognormals, scaled to keep the mean.
  if (mean > 0) {
    if (const auto m = fit_two_lognormals(h)) {
      const std::vector<double> weights{m->weight[0], m->weight[1]};
      const std::vector<double> medians{std::exp(m->mu[0]), std::exp(m->mu[1])};
      const std::vector<double> sigmas{m->sigma[0], m->sigma[1]};
      const Quantity shape = lognormal_mixture_distribution(weights, medians, sigmas);
      const DistNode& table = *shape.node();
      const double scale = mean / summary_of(Dist::lognormal_mixture(table.values, table.cumulative_weights)).mean;
      const Dist mixture = Dist::lognormal_mixture(table.values, table.cumulative_weights, scale);
      auto node = std::make_shared<DistNode>(table);
      node->params[0] = uncertain_positive(scale, mean_relative_sd);
      fit.candidates.push_back({"lognormal_mixture", 5, ks_distance(h, mixture), summary_of(mixture),
                                Quantity(std::shared_ptr<const DistNode>(std::move(node)))});
    }
  }

  // The histogram: the continuized law at the edge shares, linear between; distinct edges only (a
  // share of the data at one count spans several shares: one bin). Scaled to keep the mean. The
  // coarsest grid within kHistogramKs of the data, else the finest.
  for (std::size_t g = 0; g < kShareSteps.size(); ++g) {
    std::vector<double> edges, weights;
    double share_before = 0;
    for (const double p : edge_shares(kShareSteps[g])) {
      // On half tokens: the rounded law only sees the mass in each [k - 1/2, k + 1/2).
      const double x = std::round(2.0 * h.continuized_quantile(p)) / 2.0;
      if (edges.empty()) {
        edges.push_back(x);
        continue;
      }
      if (!(x > edges.back())) continue;
      edges.push_back(x);
      weights.push_back(std::round((p - share_before) * 1e9) / 1e9);
      share_before = p;
    }
    if (weights.empty()) {  // one count throughout: a bin of width one about it
      edges = {edges.front(), edges.front() + 1.0};
      weights = {1.0};
    } else {
      weights.back() += 1.0 - share_before;
      // The top bin reaches the largest count, however far: its upper edge is set instead so that
      // the bin keeps the data's mean there, the bin whose uniform spread would most move the mean.
      const double lo = edges[edges.size() - 2];
      edges.back() = std::max(lo + 1.0, std::round(2.0 * (2.0 * h.continuized_mean_above(lo) - lo)) / 2.0);
    }
    // The law as the scenario will write it (its table normalised there), its scale at the mean.
    const Quantity shape = histogram_distribution(edges, weights);
    const DistNode& table = *shape.node();
    const double scale =
        mean > 0 ? mean / summary_of(Dist::histogram(table.values, table.cumulative_weights)).mean : 1.0;
    const Dist histogram = Dist::histogram(table.values, table.cumulative_weights, scale);
    const double ks = ks_distance(h, histogram);
    if (ks > kHistogramKs && g + 1 < kShareSteps.size()) continue;
    auto node = std::make_shared<DistNode>(table);
    node->params[0] = uncertain_positive(scale, mean_relative_sd);
    fit.candidates.push_back({"histogram", 2 * static_cast<int>(weights.size()), ks, summary_of(histogram),
                              Quantity(std::shared_ptr<const DistNode>(std::move(node)))});
    break;
  }

  // The fewest parameters within kChosenMaxKs, the smaller distance between equals; else the
  // histogram (the last candidate).
  fit.chosen = fit.candidates.size() - 1;
  for (std::size_t i = 0; i < fit.candidates.size(); ++i) {
    const LawCandidate& c = fit.candidates[i];
    if (!(c.ks <= kChosenMaxKs)) continue;
    const LawCandidate& best = fit.candidates[fit.chosen];
    const bool best_qualifies = best.ks <= kChosenMaxKs;
    if (!best_qualifies || c.parameters < best.parameters ||
        (c.parameters == best.parameters && c.ks < best.ks)) {
      fit.chosen = i;
    }
  }
  return fit;
}

}  // namespace tokencast::fit
