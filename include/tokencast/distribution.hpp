#pragma once
// Distributions of uncertain figures. A `Quantity` is what a scenario writes for a number: either a
// constant or a distribution whose parameters are themselves Quantities. `resolve` draws the
// parameters once (per trial) and yields a `Dist`, whose parameters are all known and which can be
// sampled many times (per request) without allocating.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/random/lognormal_distribution.hpp>

#include "tokencast/random.hpp"

namespace tokencast {

enum class DistKind { fixed, uniform, triangular, pert, normal, lognormal, gamma, empirical, histogram, lognormal_mixture };

// Which parameters a lognormal or gamma was written with.
enum class ParamSet {
  standard,      // fixed: value; uniform: min,max; triangular/pert: min,mode,max(,shape); normal: mean,sd(,min,max)
  mu_sigma,      // lognormal
  median_sigma,  // lognormal
  mean_cv,       // lognormal, gamma
  median_p95,    // lognormal
  shape_scale,   // gamma
};

std::string_view to_string(DistKind kind);

struct Interval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

// A distribution with every parameter known.
class Dist {
 public:
  static Dist fixed(double value);
  static Dist uniform(double min, double max);
  static Dist triangular(double min, double mode, double max);
  static Dist pert(double min, double mode, double max, double shape = 4.0);
  // Normal truncated to [min, max] (infinite bounds: not truncated).
  static Dist normal(double mean, double sd, double min = -std::numeric_limits<double>::infinity(),
                     double max = std::numeric_limits<double>::infinity());
  static Dist lognormal(double mu, double sigma);
  static Dist gamma(double shape, double scale);
  // `values` and `cumulative_weights` (increasing, last = 1) must outlive the Dist; every value is
  // multiplied by `scale` (> 0).
  static Dist empirical(std::span<const double> values, std::span<const double> cumulative_weights,
                        double scale = 1.0);
  // Uniform within each bin [edges[i], edges[i + 1]), bin i taking cumulative_weights[i] minus the
  // one before (increasing, last = 1); scaled by `scale` (> 0). Both spans must outlive the Dist.
  static Dist histogram(std::span<const double> edges, std::span<const double> cumulative_weights,
                        double scale = 1.0);
  // Lognormal components: `mu_sigma` holds (mu, sigma) of each in turn, `cumulative_weights` their
  // cumulative weights (increasing, last = 1); scaled by `scale` (> 0). Both spans must outlive the Dist.
  static Dist lognormal_mixture(std::span<const double> mu_sigma, std::span<const double> cumulative_weights,
                                double scale = 1.0);

  DistKind kind() const { return kind_; }
  bool is_continuous() const { return kind_ != DistKind::fixed && kind_ != DistKind::empirical; }
  double mean() const;
  double variance() const;
  double quantile(double p) const;  // p in [0, 1]
  double cdf(double x) const;
  Interval support() const;

  // The value at normal score z: quantile(Phi(z)), directly for the lognormal (a copula's draws).
  double from_normal_score(double z) const;
  // The law with its scale taken out: a lognormal's mu 0, a gamma's scale 1, a tabulated law's or a
  // mixture's scale 1; any other law itself. Correlations of copulas depend on this only.
  Dist shape() const;
  // The same law, parameter for parameter (tables by identity).
  bool same_law(const Dist& other) const;

  // Inline for the lognormal, the usual token distribution: --exact draws two a request.
  double sample(Rng& rng) const {
    if (kind_ == DistKind::lognormal) return boost::random::lognormal_distribution<double>(a_, b_)(rng);
    return draw_through_copy(rng, [this](Rng& copy) { return sample_other(copy); });
  }

  // empirical: the values (before `scale`) and their cumulative weights (ending at 1); histogram:
  // the bin edges and the bins' cumulative weights; lognormal_mixture: (mu, sigma) pairs and the
  // components' cumulative weights.
  std::span<const double> values() const { return values_; }
  std::span<const double> cumulative_weights() const { return cumulative_; }
  double scale() const { return scale_; }  // empirical, histogram, mixture: what the values are multiplied by

 private:
  double sample_other(Rng& rng) const;
  // An empirical or a histogram: its table and scale.
  static Dist tabulated(DistKind kind, std::span<const double> values, std::span<const double> cumulative_weights,
                        double scale);

  DistKind kind_ = DistKind::fixed;
  // Parameters by kind: fixed (a=value); uniform (a=min, b=max); triangular (a=min, b=mode,
  // c=max); pert (a=min, c=max, alpha, beta of the beta on [a,c]); normal (a=mean, b=sd, c=min,
  // d=max); lognormal (a=mu, b=sigma); gamma (a=shape, b=scale).
  double a_ = 0, b_ = 0, c_ = 0, d_ = 0;
  double alpha_ = 0, beta_ = 0;
  double scale_ = 1.0;
  std::span<const double> values_, cumulative_;
};

struct DistNode;

// A number as a scenario writes it: a constant, or a distribution of (possibly uncertain) parameters.
class Quantity {
 public:
  Quantity(double constant = 0.0) : constant_(constant) {}  // NOLINT: implicit by design
  explicit Quantity(std::shared_ptr<const DistNode> node);

  bool is_constant() const { return node_ == nullptr; }
  // Constant value, or the constant of a `fixed` distribution. Requires is_certain().
  double constant() const;
  // True when no draw is needed: a constant or a fixed(constant).
  bool is_certain() const;
  // True when this is a distribution some of whose parameters are themselves uncertain.
  bool has_uncertain_parameters() const;

  // Draws the parameters (for a constant: a fixed Dist). Consumes randomness only where uncertain.
  Dist resolve(Rng& rng) const;
  // resolve(rng).sample(rng), without consuming randomness for certain quantities.
  double draw(Rng& rng) const;

  // Every value the quantity can take lies inside this interval (conservative for nesting).
  Interval support() const;
  // Nesting depth: 0 for a constant, 1 for a distribution of constants.
  int depth() const;
  // "pert(min=1500000, mode=2000000, max=3000000)" or "0.9".
  std::string describe() const;

  const DistNode* node() const { return node_.get(); }

 private:
  double constant_ = 0.0;
  std::shared_ptr<const DistNode> node_;
};

// A distribution built in code, as a scenario writes it: its kind, the parameter set it is written
// with and the parameters in the order DistNode lists them, e.g.
// distribution(DistKind::lognormal, ParamSet::mean_cv, {1200, 0.6}).
Quantity distribution(DistKind kind, ParamSet param_set, std::initializer_list<Quantity> params);

// A histogram as a scenario writes it: bin edges (increasing), the bins' weights (normalised here)
// and a scale, e.g. one with its parameter uncertainty.
Quantity histogram_distribution(std::vector<double> edges, const std::vector<double>& weights,
                                Quantity scale = Quantity(1.0));
// A mixture of lognormals by each component's weight (normalised here), median and sigma, and a scale.
Quantity lognormal_mixture_distribution(const std::vector<double>& weights, const std::vector<double>& medians,
                                        const std::vector<double>& sigmas, Quantity scale = Quantity(1.0));

struct DistNode {
  DistKind kind = DistKind::fixed;
  ParamSet param_set = ParamSet::standard;
  // Parameters by kind and set, unused slots 0:
  //   fixed: value | uniform: min, max | triangular: min, mode, max | pert: min, mode, max, shape(4)
  //   normal: mean, sd, min(-inf), max(+inf)
  //   lognormal: mu, sigma | median, sigma | mean, cv | median, p95
  //   gamma: shape, scale | mean, cv
  //   empirical, histogram, lognormal_mixture: scale (1)
  std::array<Quantity, 4> params{};
  // empirical: the values; histogram: the bin edges; lognormal_mixture: each component's mu, sigma
  std::vector<double> values;
  std::vector<double> cumulative_weights;  // of the values, bins or components, normalised to end at 1
};

}  // namespace tokencast
