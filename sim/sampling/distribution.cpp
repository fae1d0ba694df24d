#include "tokencast/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/triangular.hpp>
#include <boost/math/distributions/uniform.hpp>
#include <boost/random/beta_distribution.hpp>
#include <boost/random/gamma_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/triangle_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <fmt/format.h>

namespace tokencast {
namespace {

namespace bm = boost::math;
namespace br = boost::random;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Quantiles at the ends of an unbounded support are infinite, not errors; double precision is ample
// and promoting to long double would slow the hot paths.
using Policy = bm::policies::policy<bm::policies::overflow_error<bm::policies::ignore_error>,
                                    bm::policies::promote_double<false>>;
using StdNormal = bm::normal_distribution<double, Policy>;

// Below this kept mass, rejection from the untruncated normal wastes too many draws.
constexpr double kRejectionMinMass = 0.25;

void require(bool condition, const char* message) {
  if (!condition) throw std::invalid_argument(message);
}

double std_normal_pdf(double z) {
  if (std::isinf(z)) return 0.0;
  return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
}

// z * pdf(z), which tends to 0 at infinite bounds instead of inf * 0.
double z_pdf(double z) { return std::isinf(z) ? 0.0 : z * std_normal_pdf(z); }

// A double in (0, 1): inversion must never see 0 or 1, whose quantiles are infinite.
double open_uniform01(Rng& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

std::string num(double value) { return fmt::format("{:g}", value); }

// How many parameter slots each kind reads.
int used_slots(DistKind kind) {
  switch (kind) {
    case DistKind::fixed: return 1;
    case DistKind::uniform: return 2;
    case DistKind::triangular: return 3;
    case DistKind::pert: return 4;
    case DistKind::normal: return 4;
    case DistKind::lognormal: return 2;
    case DistKind::gamma: return 2;
    case DistKind::empirical: return 1;  // scale
    case DistKind::histogram: return 1;  // scale
    case DistKind::lognormal_mixture: return 1;  // scale
  }
  return 0;
}

// z value for which the standard normal has 95% of its mass below: links a lognormal's p95 to sigma.
constexpr double kZ95 = 1.6448536269514722;

struct LognormalParams {
  double mu, sigma;
};

LognormalParams lognormal_params(ParamSet set, double p0, double p1) {
  switch (set) {
    case ParamSet::standard:
    case ParamSet::mu_sigma: return {p0, p1};
    case ParamSet::median_sigma: return {std::log(p0), p1};
    case ParamSet::mean_cv: {
      const double sigma2 = std::log1p(p1 * p1);
      return {std::log(p0) - 0.5 * sigma2, std::sqrt(sigma2)};
    }
    case ParamSet::median_p95: return {std::log(p0), (std::log(p1) - std::log(p0)) / kZ95};
    case ParamSet::shape_scale: break;
  }
  throw std::logic_error("lognormal: unsupported parameter set");
}

Dist gamma_from(ParamSet set, double p0, double p1) {
  switch (set) {
    case ParamSet::standard:
    case ParamSet::shape_scale: return Dist::gamma(p0, p1);
    case ParamSet::mean_cv:
      // cv 0 is the limit of an ever narrower gamma: a point mass at the mean.
      if (p1 == 0.0) return Dist::fixed(p0);
      return Dist::gamma(1.0 / (p1 * p1), p0 * p1 * p1);
    default: break;
  }
  throw std::logic_error("gamma: unsupported parameter set");
}

}  // namespace

std::string_view to_string(DistKind kind) {
  switch (kind) {
    case DistKind::fixed: return "fixed";
    case DistKind::uniform: return "uniform";
    case DistKind::triangular: return "triangular";
    case DistKind::pert: return "pert";
    case DistKind::normal: return "normal";
    case DistKind::lognormal: return "lognormal";
    case DistKind::gamma: return "gamma";
    case DistKind::empirical: return "empirical";
    case DistKind::histogram: return "histogram";
    case DistKind::lognormal_mixture: return "lognormal_mixture";
  }
  return "unknown";
}

// ---- Dist factories ----------------------------------------------------------------------------

Dist Dist::fixed(double value) {
  Dist d;
  d.kind_ = DistKind::fixed;
  d.a_ = value;
  return d;
}

Dist Dist::uniform(double min, double max) {
  require(std::isfinite(min) && std::isfinite(max), "uniform: bounds must be finite");
  require(max >= min, "uniform: max < min");
  // Boost's uniform_real_distribution never returns for min == max.
  if (min == max) return fixed(min);
  Dist d;
  d.kind_ = DistKind::uniform;
  d.a_ = min;
  d.b_ = max;
  return d;
}

Dist Dist::triangular(double min, double mode, double max) {
  require(std::isfinite(min) && std::isfinite(mode) && std::isfinite(max),
          "triangular: parameters must be finite");
  require(min <= mode && mode <= max, "triangular: need min <= mode <= max");
  if (min == max) return fixed(min);
  Dist d;
  d.kind_ = DistKind::triangular;
  d.a_ = min;
  d.b_ = mode;
  d.c_ = max;
  return d;
}

Dist Dist::pert(double min, double mode, double max, double shape) {
  require(std::isfinite(min) && std::isfinite(mode) && std::isfinite(max),
          "pert: parameters must be finite");
  require(min <= mode && mode <= max, "pert: need min <= mode <= max");
  require(std::isfinite(shape) && shape >= 0.0, "pert: shape must be finite and >= 0");
  if (min == max) return fixed(min);
  const double range = max - min;
  Dist d;
  d.kind_ = DistKind::pert;
  d.a_ = min;
  d.b_ = mode;
  d.c_ = max;
  d.alpha_ = 1.0 + shape * (mode - min) / range;
  d.beta_ = 1.0 + shape * (max - mode) / range;
  return d;
}

Dist Dist::normal(double mean, double sd, double min, double max) {
  require(std::isfinite(mean), "normal: mean must be finite");
  require(std::isfinite(sd) && sd >= 0.0, "normal: sd must be finite and >= 0");
  require(!std::isnan(min) && !std::isnan(max) && max >= min, "normal: need min <= max");
  if (sd == 0.0 || min == max) return fixed(std::clamp(mean, min, max));
  Dist d;
  d.kind_ = DistKind::normal;
  d.a_ = mean;
  d.b_ = sd;
  d.c_ = min;
  d.d_ = max;
  // alpha_/beta_ cache the standard normal's probability at the bounds. When the whole window lies
  // above the mean they hold upper-tail probabilities, which keep precision far in the tail (a
  // window at +8 sd has mass 6e-16, lost entirely in 1 - cdf).
  const StdNormal n01;
  const double z_lo = (min - mean) / sd;
  const double z_hi = (max - mean) / sd;
  if (z_lo > 0.0) {
    d.alpha_ = bm::cdf(bm::complement(n01, z_lo));
    d.beta_ = bm::cdf(bm::complement(n01, z_hi));
  } else {
    d.alpha_ = bm::cdf(n01, z_lo);
    d.beta_ = bm::cdf(n01, z_hi);
  }
  // A window so far out that its mass underflows: the truncated law tends to the nearest bound.
  if (std::abs(d.beta_ - d.alpha_) <= 0.0) return fixed(std::clamp(mean, min, max));
  return d;
}

Dist Dist::lognormal(double mu, double sigma) {
  require(!std::isnan(mu) && mu < kInf, "lognormal: mu must be finite");
  require(std::isfinite(sigma) && sigma >= 0.0, "lognormal: sigma must be finite and >= 0");
  // mu = -inf is the log of a zero median or mean: a point mass at 0.
  if (mu == -kInf) return fixed(0.0);
  if (sigma == 0.0) return fixed(std::exp(mu));
  Dist d;
  d.kind_ = DistKind::lognormal;
  d.a_ = mu;
  d.b_ = sigma;
  return d;
}

Dist Dist::gamma(double shape, double scale) {
  require(std::isfinite(shape) && shape > 0.0, "gamma: shape must be finite and > 0");
  require(std::isfinite(scale) && scale >= 0.0, "gamma: scale must be finite and >= 0");
  if (scale == 0.0) return fixed(0.0);
  Dist d;
  d.kind_ = DistKind::gamma;
  d.a_ = shape;
  d.b_ = scale;
  return d;
}

Dist Dist::empirical(std::span<const double> values, std::span<const double> cumulative_weights, double scale) {
  require(!values.empty(), "empirical: no values");
  require(values.size() == cumulative_weights.size(),
          "empirical: values and cumulative weights differ in length");
  require(scale > 0 && std::isfinite(scale), "empirical: scale must be finite and > 0");
  return tabulated(DistKind::empirical, values, cumulative_weights, scale);
}

Dist Dist::histogram(std::span<const double> edges, std::span<const double> cumulative_weights, double scale) {
  require(edges.size() >= 2 && edges.size() == cumulative_weights.size() + 1,
          "histogram: need n + 1 edges for n bins' cumulative weights");
  require(std::is_sorted(edges.begin(), edges.end()) && edges.front() < edges.back(),
          "histogram: edges must increase");
  require(scale > 0 && std::isfinite(scale), "histogram: scale must be finite and > 0");
  return tabulated(DistKind::histogram, edges, cumulative_weights, scale);
}

Dist Dist::lognormal_mixture(std::span<const double> mu_sigma, std::span<const double> cumulative_weights,
                             double scale) {
  require(!cumulative_weights.empty() && mu_sigma.size() == 2 * cumulative_weights.size(),
          "lognormal_mixture: need a mu and a sigma per component");
  for (std::size_t i = 0; i < cumulative_weights.size(); ++i) {
    require(std::isfinite(mu_sigma[2 * i]) && mu_sigma[2 * i + 1] > 0 && std::isfinite(mu_sigma[2 * i + 1]),
            "lognormal_mixture: each sigma must be finite and > 0");
  }
  require(scale > 0 && std::isfinite(scale), "lognormal_mixture: scale must be finite and > 0");
  return tabulated(DistKind::lognormal_mixture, mu_sigma, cumulative_weights, scale);
}

Dist Dist::tabulated(DistKind kind, std::span<const double> values, std::span<const double> cumulative_weights,
                     double scale) {
  Dist d;
  d.kind_ = kind;
  d.values_ = values;
  d.cumulative_ = cumulative_weights;
  d.scale_ = scale;
  return d;
}

namespace {

// Bin i of a histogram: its edges and weight.
struct Bin {
  double lo, hi, weight;
};
Bin bin_of(std::span<const double> edges, std::span<const double> cumulative, std::size_t i) {
  return {edges[i], edges[i + 1], cumulative[i] - (i == 0 ? 0.0 : cumulative[i - 1])};
}

// Component i of a lognormal mixture.
struct Component {
  double mu, sigma, weight;
};
Component component_of(std::span<const double> mu_sigma, std::span<const double> cumulative, std::size_t i) {
  return {mu_sigma[2 * i], mu_sigma[2 * i + 1], cumulative[i] - (i == 0 ? 0.0 : cumulative[i - 1])};
}

}  // namespace

// ---- Dist moments, quantiles, sampling ---------------------------------------------------------

double Dist::mean() const {
  switch (kind_) {
    case DistKind::fixed: return a_;
    case DistKind::uniform: return 0.5 * (a_ + b_);
    case DistKind::triangular: return (a_ + b_ + c_) / 3.0;
    case DistKind::pert: return a_ + (c_ - a_) * alpha_ / (alpha_ + beta_);
    case DistKind::normal: {
      const double z_lo = (c_ - a_) / b_, z_hi = (d_ - a_) / b_;
      const double mass = std::abs(beta_ - alpha_);
      return a_ + b_ * (std_normal_pdf(z_lo) - std_normal_pdf(z_hi)) / mass;
    }
    case DistKind::lognormal: return std::exp(a_ + 0.5 * b_ * b_);
    case DistKind::gamma: return a_ * b_;
    case DistKind::empirical: {
      double sum = 0.0, previous = 0.0;
      for (std::size_t i = 0; i < values_.size(); ++i) {
        sum += values_[i] * (cumulative_[i] - previous);
        previous = cumulative_[i];
      }
      return scale_ * sum;
    }
    case DistKind::histogram: {
      double sum = 0.0;
      for (std::size_t i = 0; i < cumulative_.size(); ++i) {
        const Bin b = bin_of(values_, cumulative_, i);
        sum += b.weight * 0.5 * (b.lo + b.hi);
      }
      return scale_ * sum;
    }
    case DistKind::lognormal_mixture: {
      double sum = 0.0;
      for (std::size_t i = 0; i < cumulative_.size(); ++i) {
        const Component c = component_of(values_, cumulative_, i);
        sum += c.weight * std::exp(c.mu + 0.5 * c.sigma * c.sigma);
      }
      return scale_ * sum;
    }
  }
  return 0.0;
}

double Dist::variance() const {
  switch (kind_) {
    case DistKind::fixed: return 0.0;
    case DistKind::uniform: return (b_ - a_) * (b_ - a_) / 12.0;
    case DistKind::triangular:
      return (a_ * a_ + b_ * b_ + c_ * c_ - a_ * b_ - a_ * c_ - b_ * c_) / 18.0;
    case DistKind::pert: {
      const double range = c_ - a_, s = alpha_ + beta_;
      return range * range * alpha_ * beta_ / (s * s * (s + 1.0));
    }
    case DistKind::normal: {
      const double z_lo = (c_ - a_) / b_, z_hi = (d_ - a_) / b_;
      const double mass = std::abs(beta_ - alpha_);
      const double shift = (std_normal_pdf(z_lo) - std_normal_pdf(z_hi)) / mass;
      const double factor = 1.0 + (z_pdf(z_lo) - z_pdf(z_hi)) / mass - shift * shift;
      return b_ * b_ * std::max(factor, 0.0);
    }
    case DistKind::lognormal: {
      const double s2 = b_ * b_;
      return std::expm1(s2) * std::exp(2.0 * a_ + s2);
    }
    case DistKind::gamma: return a_ * b_ * b_;
    case DistKind::empirical: {
      const double m = mean();
      double sum = 0.0, previous = 0.0;
      for (std::size_t i = 0; i < values_.size(); ++i) {
        const double dev = scale_ * values_[i] - m;
        sum += dev * dev * (cumulative_[i] - previous);
        previous = cumulative_[i];
      }
      return sum;
    }
    case DistKind::histogram: {
      // Uniform within a bin: E[X^2] = (lo^2 + lo hi + hi^2) / 3 there.
      const double m = mean() / scale_;
      double second = 0.0;
      for (std::size_t i = 0; i < cumulative_.size(); ++i) {
        const Bin b = bin_of(values_, cumulative_, i);
        second += b.weight * (b.lo * b.lo + b.lo * b.hi + b.hi * b.hi) / 3.0;
      }
      return scale_ * scale_ * std::max(0.0, second - m * m);
    }
    case DistKind::lognormal_mixture: {
      const double m = mean() / scale_;
      double second = 0.0;
      for (std::size_t i = 0; i < cumulative_.size(); ++i) {
        const Component c = component_of(values_, cumulative_, i);
        second += c.weight * std::exp(2.0 * c.mu + 2.0 * c.sigma * c.sigma);
      }
      return scale_ * scale_ * std::max(0.0, second - m * m);
    }
  }
  return 0.0;
}

Interval Dist::support() const {
  switch (kind_) {
    case DistKind::fixed: return {a_, a_};
    case DistKind::uniform: return {a_, b_};
    case DistKind::triangular:
    case DistKind::pert: return {a_, c_};
    case DistKind::normal: return {c_, d_};
    case DistKind::lognormal:
    case DistKind::gamma:
    case DistKind::lognormal_mixture: return {0.0, kInf};
    case DistKind::empirical: {
      const auto [lo, hi] = std::minmax_element(values_.begin(), values_.end());
      return {scale_ * *lo, scale_ * *hi};
    }
    case DistKind::histogram: return {scale_ * values_.front(), scale_ * values_.back()};
  }
  return {};
}

double Dist::quantile(double p) const {
  if (kind_ == DistKind::fixed) return a_;
  if (kind_ == DistKind::empirical) {
    // Smallest value whose cumulative weight reaches p.
    const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), p);
    const auto index = std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()),
                                             values_.size() - 1);
    return scale_ * values_[index];
  }
  if (kind_ == DistKind::histogram) {
    // The bin where the cumulative weight reaches p, and linearly within it.
    const double q = std::clamp(p, 0.0, 1.0);
    const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), q);
    const auto i = std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
    const Bin b = bin_of(values_, cumulative_, i);
    const double before = cumulative_[i] - b.weight;
    const double within = b.weight > 0 ? std::clamp((q - before) / b.weight, 0.0, 1.0) : 0.0;
    return scale_ * (b.lo + within * (b.hi - b.lo));
  }
  const Interval range = support();
  if (!(p > 0.0)) return range.lo;
  if (p >= 1.0) return range.hi;
  switch (kind_) {
    case DistKind::uniform:
      return bm::quantile(bm::uniform_distribution<double, Policy>(a_, b_), p);
    case DistKind::triangular:
      return bm::quantile(bm::triangular_distribution<double, Policy>(a_, b_, c_), p);
    case DistKind::pert:
      return a_ + (c_ - a_) * bm::quantile(bm::beta_distribution<double, Policy>(alpha_, beta_), p);
    case DistKind::normal: {
      const StdNormal n01;
      const double mass = std::abs(beta_ - alpha_);
      const double z = c_ > a_ ? bm::quantile(bm::complement(n01, alpha_ - p * mass))
                               : bm::quantile(n01, alpha_ + p * mass);
      return std::clamp(a_ + b_ * z, c_, d_);
    }
    case DistKind::lognormal:
      return bm::quantile(bm::lognormal_distribution<double, Policy>(a_, b_), p);
    case DistKind::gamma:
      return bm::quantile(bm::gamma_distribution<double, Policy>(a_, b_), p);
    case DistKind::lognormal_mixture: {
      // Between the components' own quantiles, in t = log x: Newton on the mixture's cdf, kept
      // inside the bracket (bisection where a step would leave it). A handful of steps a draw.
      const StdNormal n01;
      const double z = bm::quantile(n01, p);
      double lo = kInf, hi = -kInf;
      for (std::size_t i = 0; i < cumulative_.size(); ++i) {
        const Component c = component_of(values_, cumulative_, i);
        lo = std::min(lo, c.mu + c.sigma * z);
        hi = std::max(hi, c.mu + c.sigma * z);
      }
      double t = 0.5 * (lo + hi);
      for (int k = 0; k < 100 && hi - lo > 1e-13 * std::max(1.0, std::abs(hi)); ++k) {
        double value = 0, slope = 0;
        for (std::size_t i = 0; i < cumulative_.size(); ++i) {
          const Component c = component_of(values_, cumulative_, i);
          const double u = (t - c.mu) / c.sigma;
          value += c.weight * bm::cdf(n01, u);
          slope += c.weight * std_normal_pdf(u) / c.sigma;
        }
        if (value == p) break;
        (value < p ? lo : hi) = t;
        const double next = slope > 0 ? t - (value - p) / slope : lo - 1;
        t = next > lo && next < hi ? next : 0.5 * (lo + hi);
      }
      return scale_ * std::exp(t);
    }
    default: break;
  }
  return 0.0;
}

double Dist::cdf(double x) const {
  if (kind_ == DistKind::fixed) return x < a_ ? 0.0 : 1.0;
  if (kind_ == DistKind::empirical) {
    // Values need not be sorted, so sum the weight of every value at or below x.
    double total = 0.0, previous = 0.0;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      if (scale_ * values_[i] <= x) total += cumulative_[i] - previous;
      previous = cumulative_[i];
    }
    return std::clamp(total, 0.0, 1.0);
  }
  if (kind_ == DistKind::histogram) {
    const double y = x / scale_;
    if (y <= values_.front()) return 0.0;
    if (y >= values_.back()) return 1.0;
    const auto it = std::upper_bound(values_.begin(), values_.end(), y);
    const auto i = static_cast<std::size_t>(it - values_.begin()) - 1;
    const Bin b = bin_of(values_, cumulative_, i);
    return std::clamp(cumulative_[i] - b.weight + b.weight * (y - b.lo) / (b.hi - b.lo), 0.0, 1.0);
  }
  const Interval range = support();
  if (x <= range.lo) return 0.0;
  if (x >= range.hi) return 1.0;
  switch (kind_) {
    case DistKind::uniform: return bm::cdf(bm::uniform_distribution<double, Policy>(a_, b_), x);
    case DistKind::triangular:
      return bm::cdf(bm::triangular_distribution<double, Policy>(a_, b_, c_), x);
    case DistKind::pert:
      return bm::cdf(bm::beta_distribution<double, Policy>(alpha_, beta_), (x - a_) / (c_ - a_));
    case DistKind::normal: {
      const StdNormal n01;
      const double z = (x - a_) / b_;
      const double mass = std::abs(beta_ - alpha_);
      const double below = c_ > a_ ? alpha_ - bm::cdf(bm::complement(n01, z))
                                   : bm::cdf(n01, z) - alpha_;
      return std::clamp(below / mass, 0.0, 1.0);
    }
    case DistKind::lognormal:
      return bm::cdf(bm::lognormal_distribution<double, Policy>(a_, b_), x);
    case DistKind::gamma: return bm::cdf(bm::gamma_distribution<double, Policy>(a_, b_), x);
    case DistKind::lognormal_mixture: {
      const double log_y = std::log(x / scale_);
      double sum = 0.0;
      for (std::size_t i = 0; i < cumulative_.size(); ++i) {
        const Component c = component_of(values_, cumulative_, i);
        sum += c.weight * bm::cdf(StdNormal(), (log_y - c.mu) / c.sigma);
      }
      return std::clamp(sum, 0.0, 1.0);
    }
    default: break;
  }
  return 0.0;
}

double Dist::from_normal_score(double z) const {
  if (kind_ == DistKind::lognormal) return std::exp(a_ + b_ * z);
  // The smaller tail of Phi, so that p keeps its precision on either side.
  const StdNormal n01;
  const double p = z < 0 ? bm::cdf(n01, z) : 1.0 - bm::cdf(bm::complement(n01, z));
  return quantile(std::clamp(p, 0x1.0p-1000, 1.0 - 0x1.0p-53));
}

Dist Dist::shape() const {
  Dist d = *this;
  switch (kind_) {
    case DistKind::lognormal: d.a_ = 0; break;
    case DistKind::gamma: d.b_ = 1; break;
    // Location-scale laws on [0, 1] (a normal standardised): the same copula correlation.
    case DistKind::uniform:
      d.a_ = 0;
      d.b_ = 1;
      break;
    case DistKind::triangular:
    case DistKind::pert:
      d.b_ = (b_ - a_) / (c_ - a_);
      d.a_ = 0;
      d.c_ = 1;
      break;
    case DistKind::normal:
      d.a_ = 0;
      d.b_ = 1;
      d.c_ = (c_ - a_) / b_;
      d.d_ = (d_ - a_) / b_;
      break;
    case DistKind::empirical:
    case DistKind::histogram:
    case DistKind::lognormal_mixture: d.scale_ = 1; break;
    default: break;
  }
  return d;
}

bool Dist::same_law(const Dist& o) const {
  return kind_ == o.kind_ && a_ == o.a_ && b_ == o.b_ && c_ == o.c_ && d_ == o.d_ && alpha_ == o.alpha_ &&
         beta_ == o.beta_ && scale_ == o.scale_ && values_.data() == o.values_.data() &&
         values_.size() == o.values_.size() && cumulative_.data() == o.cumulative_.data() &&
         cumulative_.size() == o.cumulative_.size();
}

double Dist::sample_other(Rng& rng) const {
  switch (kind_) {
    case DistKind::fixed: return a_;
    case DistKind::uniform: return br::uniform_real_distribution<double>(a_, b_)(rng);
    case DistKind::triangular: return br::triangle_distribution<double>(a_, b_, c_)(rng);
    case DistKind::pert: return a_ + (c_ - a_) * br::beta_distribution<double>(alpha_, beta_)(rng);
    case DistKind::normal: {
      const double mass = std::abs(beta_ - alpha_);
      if (mass >= kRejectionMinMass) {
        br::normal_distribution<double> normal(a_, b_);
        for (;;) {
          const double x = normal(rng);
          if (x >= c_ && x <= d_) return x;
        }
      }
      // Inversion of a uniform over the window's probability range, in whichever tail keeps
      // precision (see Dist::normal).
      const StdNormal n01;
      const double u = std::min(alpha_, beta_) + mass * open_uniform01(rng);
      const double z = c_ > a_ ? bm::quantile(bm::complement(n01, u)) : bm::quantile(n01, u);
      return std::clamp(a_ + b_ * z, c_, d_);
    }
    case DistKind::lognormal: return br::lognormal_distribution<double>(a_, b_)(rng);
    case DistKind::gamma: return br::gamma_distribution<double>(a_, b_)(rng);
    case DistKind::empirical: {
      const double u = rng.uniform01();
      const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      // A last cumulative weight rounded just below 1 must not index past the end.
      const auto index = std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()),
                                               values_.size() - 1);
      return scale_ * values_[index];
    }
    case DistKind::histogram: return quantile(open_uniform01(rng));
    case DistKind::lognormal_mixture: {
      const double u = rng.uniform01();
      const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      const auto i = std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
      const Component c = component_of(values_, cumulative_, i);
      return scale_ * br::lognormal_distribution<double>(c.mu, c.sigma)(rng);
    }
  }
  return 0.0;
}

// ---- Quantity ----------------------------------------------------------------------------------

Quantity::Quantity(std::shared_ptr<const DistNode> node) : node_(std::move(node)) {}

Quantity histogram_distribution(std::vector<double> edges, const std::vector<double>& weights, Quantity scale) {
  if (edges.size() < 2 || edges.size() != weights.size() + 1) {
    throw std::invalid_argument("histogram_distribution: need n + 1 edges for n weights");
  }
  double largest = 0;
  for (const double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) throw std::invalid_argument("histogram_distribution: weights must be >= 0");
    largest = std::max(largest, w);
  }
  if (!(largest > 0)) throw std::invalid_argument("histogram_distribution: the weights sum to 0");
  // Divided by the largest first, so that the running sum stays finite whatever the weights.
  double total = 0;
  for (const double w : weights) total += w / largest;
  auto node = std::make_shared<DistNode>();
  node->kind = DistKind::histogram;
  node->values = std::move(edges);
  double running = 0;
  for (const double w : weights) node->cumulative_weights.push_back((running += w / largest) / total);
  node->cumulative_weights.back() = 1.0;
  node->params[0] = std::move(scale);
  return Quantity(std::move(node));
}

Quantity lognormal_mixture_distribution(const std::vector<double>& weights, const std::vector<double>& medians,
                                        const std::vector<double>& sigmas, Quantity scale) {
  if (weights.empty() || medians.size() != weights.size() || sigmas.size() != weights.size()) {
    throw std::invalid_argument("lognormal_mixture_distribution: need a median and a sigma per weight");
  }
  // The cumulative weights as a histogram normalises them (one rule for both).
  std::vector<double> edges(weights.size() + 1);
  for (std::size_t i = 0; i < edges.size(); ++i) edges[i] = static_cast<double>(i);
  auto node = std::make_shared<DistNode>(*histogram_distribution(edges, weights, std::move(scale)).node());
  node->kind = DistKind::lognormal_mixture;
  node->values.clear();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(medians[i] > 0) || !(sigmas[i] > 0) || !std::isfinite(medians[i]) || !std::isfinite(sigmas[i])) {
      throw std::invalid_argument("lognormal_mixture_distribution: medians and sigmas must be finite and > 0");
    }
    node->values.push_back(std::log(medians[i]));
    node->values.push_back(sigmas[i]);
  }
  return Quantity(std::move(node));
}

Quantity distribution(DistKind kind, ParamSet param_set, std::initializer_list<Quantity> params) {
  if (params.size() > 4) throw std::invalid_argument("distribution: at most 4 parameters");
  auto node = std::make_shared<DistNode>();
  node->kind = kind;
  node->param_set = param_set;
  std::copy(params.begin(), params.end(), node->params.begin());
  return Quantity(std::move(node));
}

double Quantity::constant() const {
  if (!node_) return constant_;
  if (node_->kind == DistKind::fixed && node_->params[0].is_certain()) {
    return node_->params[0].constant();
  }
  throw std::logic_error("Quantity::constant: the quantity is uncertain");
}

bool Quantity::is_certain() const {
  return !node_ || (node_->kind == DistKind::fixed && node_->params[0].is_certain());
}

bool Quantity::has_uncertain_parameters() const {
  if (!node_) return false;
  const int slots = used_slots(node_->kind);
  for (int i = 0; i < slots; ++i) {
    if (!node_->params[static_cast<std::size_t>(i)].is_certain()) return true;
  }
  return false;
}

Dist Quantity::resolve(Rng& rng) const {
  if (!node_) return Dist::fixed(constant_);
  const DistNode& node = *node_;
  // Slot order is part of the results' identity: the same seed must give the same draws.
  std::array<double, 4> p{};
  const int slots = used_slots(node.kind);
  for (int i = 0; i < slots; ++i) {
    const auto slot = static_cast<std::size_t>(i);
    p[slot] = node.params[slot].draw(rng);
  }
  switch (node.kind) {
    case DistKind::fixed: return Dist::fixed(p[0]);
    case DistKind::uniform: return Dist::uniform(p[0], p[1]);
    case DistKind::triangular: return Dist::triangular(p[0], p[1], p[2]);
    case DistKind::pert: return Dist::pert(p[0], p[1], p[2], p[3]);
    case DistKind::normal: return Dist::normal(p[0], p[1], p[2], p[3]);
    case DistKind::lognormal: {
      const auto [mu, sigma] = lognormal_params(node.param_set, p[0], p[1]);
      return Dist::lognormal(mu, sigma);
    }
    case DistKind::gamma: return gamma_from(node.param_set, p[0], p[1]);
    case DistKind::empirical: return Dist::empirical(node.values, node.cumulative_weights, p[0]);
    case DistKind::histogram: return Dist::histogram(node.values, node.cumulative_weights, p[0]);
    case DistKind::lognormal_mixture: return Dist::lognormal_mixture(node.values, node.cumulative_weights, p[0]);
  }
  throw std::logic_error("Quantity::resolve: unknown distribution kind");
}

double Quantity::draw(Rng& rng) const {
  if (is_certain()) return constant();
  return resolve(rng).sample(rng);
}

Interval Quantity::support() const {
  if (!node_) return {constant_, constant_};
  const auto& params = node_->params;
  switch (node_->kind) {
    case DistKind::fixed: return params[0].support();
    case DistKind::uniform: return {params[0].support().lo, params[1].support().hi};
    case DistKind::triangular:
    case DistKind::pert: return {params[0].support().lo, params[2].support().hi};
    case DistKind::normal: return {params[2].support().lo, params[3].support().hi};
    case DistKind::lognormal:
    case DistKind::gamma:
    case DistKind::lognormal_mixture: return {0.0, kInf};
    case DistKind::empirical:
    case DistKind::histogram: {
      if (node_->values.empty()) return {};
      const auto [lo, hi] = std::minmax_element(node_->values.begin(), node_->values.end());
      const Interval scale = params[0].support();
      return {*lo * scale.lo, *hi * scale.hi};
    }
  }
  return {};
}

int Quantity::depth() const {
  if (!node_) return 0;
  int deepest = 0;
  const int slots = used_slots(node_->kind);
  for (int i = 0; i < slots; ++i) {
    deepest = std::max(deepest, node_->params[static_cast<std::size_t>(i)].depth());
  }
  return 1 + deepest;
}

std::string Quantity::describe() const {
  if (!node_) return num(constant_);
  const DistNode& node = *node_;
  const auto& p = node.params;
  auto is_constant_value = [](const Quantity& q, double value) {
    return q.is_constant() && q.constant() == value;
  };
  std::string args;
  auto add = [&args](std::string_view name, const Quantity& q) {
    if (!args.empty()) args += ", ";
    args += name;
    args += '=';
    args += q.describe();
  };
  switch (node.kind) {
    case DistKind::fixed: add("value", p[0]); break;
    case DistKind::uniform:
      add("min", p[0]);
      add("max", p[1]);
      break;
    case DistKind::triangular:
    case DistKind::pert:
      add("min", p[0]);
      add("mode", p[1]);
      add("max", p[2]);
      if (node.kind == DistKind::pert && !is_constant_value(p[3], 4.0)) add("shape", p[3]);
      break;
    case DistKind::normal:
      add("mean", p[0]);
      add("sd", p[1]);
      if (!is_constant_value(p[2], -kInf)) add("min", p[2]);
      if (!is_constant_value(p[3], kInf)) add("max", p[3]);
      break;
    case DistKind::lognormal:
      switch (node.param_set) {
        case ParamSet::median_sigma:
          add("median", p[0]);
          add("sigma", p[1]);
          break;
        case ParamSet::mean_cv:
          add("mean", p[0]);
          add("cv", p[1]);
          break;
        case ParamSet::median_p95:
          add("median", p[0]);
          add("p95", p[1]);
          break;
        default:
          add("mu", p[0]);
          add("sigma", p[1]);
          break;
      }
      break;
    case DistKind::gamma:
      if (node.param_set == ParamSet::mean_cv) {
        add("mean", p[0]);
        add("cv", p[1]);
      } else {
        add("shape", p[0]);
        add("scale", p[1]);
      }
      break;
    case DistKind::empirical: {
      const std::size_t n = node.values.size();
      args = fmt::format("{} value{}", n, n == 1 ? "" : "s");
      if (!is_constant_value(p[0], 1.0)) add("scale", p[0]);
      break;
    }
    case DistKind::histogram: {
      const std::size_t n = node.cumulative_weights.size();
      args = fmt::format("{} bin{} from {} to {}", n, n == 1 ? "" : "s", num(node.values.front()),
                         num(node.values.back()));
      if (!is_constant_value(p[0], 1.0)) add("scale", p[0]);
      break;
    }
    case DistKind::lognormal_mixture: {
      for (std::size_t i = 0; i < node.cumulative_weights.size(); ++i) {
        const double w = node.cumulative_weights[i] - (i == 0 ? 0.0 : node.cumulative_weights[i - 1]);
        args += fmt::format("{}{}: median {} sigma {}", i == 0 ? "" : ", ", num(w), num(std::exp(node.values[2 * i])),
                            num(node.values[2 * i + 1]));
      }
      if (!is_constant_value(p[0], 1.0)) add("scale", p[0]);
      break;
    }
  }
  return fmt::format("{}({})", to_string(node.kind), args);
}

}  // namespace tokencast
