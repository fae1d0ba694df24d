// A scenario cut down to some of its entities, its [[correlation]] inputs renumbered to match; and
// the copula factor of a correlation's rank correlations.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "tokencast/scenario.hpp"

namespace tokencast {
namespace {

template <class T>
std::vector<T> kept(const std::vector<T>& all, const std::vector<std::size_t>& indices) {
  std::vector<T> out;
  out.reserve(indices.size());
  for (const std::size_t i : indices) out.push_back(all.at(i));
  return out;
}

std::optional<int> new_index(const std::vector<std::size_t>& indices, int old) {
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] == static_cast<std::size_t>(old)) return static_cast<int>(k);
  }
  return std::nullopt;
}

}  // namespace

// The normals' correlations 2 sin(pi rho / 6), factored L L^T: a negative pivot means no normal
// vector (so no copula) has these correlations.
CopulaFactor copula_factor(const std::vector<double>& spearman, std::size_t n) {
  CopulaFactor f;
  f.cholesky.assign(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t i = j; i < n; ++i) {
      double sum = i == j ? 1.0 : 2.0 * std::sin(std::numbers::pi * spearman[i * n + j] / 6.0);
      for (std::size_t k = 0; k < j; ++k) sum -= f.cholesky[i * n + k] * f.cholesky[j * n + k];
      if (i == j) {
        if (sum < -1e-9 && !f.not_psd_at) {
          f.not_psd_at = j;
          f.residual_variance = sum;
        }
        f.cholesky[j * n + j] = std::sqrt(std::max(0.0, sum));
      } else {
        const double pivot = f.cholesky[j * n + j];
        f.cholesky[i * n + j] = pivot > 1e-12 ? sum / pivot : 0.0;
      }
    }
  }
  return f;
}

Scenario scenario_subset(const Scenario& scenario, const std::vector<std::size_t>& models,
                         const std::vector<std::size_t>& workloads, const std::vector<std::size_t>& capacity) {
  Scenario out = scenario;
  out.models = kept(scenario.models, models);
  out.workloads = kept(scenario.workloads, workloads);
  out.capacity = kept(scenario.capacity, capacity);
  out.correlations.clear();
  for (const CorrelationSpec& spec : scenario.correlations) {
    const std::size_t n = spec.inputs.size();
    std::vector<std::size_t> still;  // positions in spec.inputs
    CorrelationSpec cut;
    for (std::size_t i = 0; i < n; ++i) {
      CorrelatedInput in = spec.inputs[i];
      const auto& indices = in.entity == CorrelatedInput::Entity::model      ? models
                            : in.entity == CorrelatedInput::Entity::workload ? workloads
                                                                             : capacity;
      const auto index = new_index(indices, in.index);
      if (!index) continue;
      in.index = *index;
      cut.inputs.push_back(std::move(in));
      still.push_back(i);
    }
    const std::size_t m = still.size();
    if (m < 2) continue;
    cut.spearman.resize(m * m);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < m; ++j) cut.spearman[i * m + j] = spec.spearman[still[i] * n + still[j]];
    }
    // A principal submatrix of a PSD matrix is PSD: the factor always exists.
    cut.cholesky = copula_factor(cut.spearman, m).cholesky;
    out.correlations.push_back(std::move(cut));
  }
  return out;
}

}  // namespace tokencast
