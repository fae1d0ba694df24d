#pragma once
// What one input explains of an output, from paired draws (given data): the first-order variance
// share Var(E[Y|X]) / Var(Y) and Spearman's rank correlation, each with a 95% interval
// (variance_shares.cpp has the estimators).
#include <vector>

#include "tokencast/results.hpp"

namespace tokencast::detail {

// Bias-corrected between-bin share over sqrt(n) equal-count bins of x, the interval by sectioning;
// 0 when y does not vary.
Estimate first_order_share(const std::vector<double>& x, const std::vector<double>& y);
// Spearman's rho with Fisher's z interval (standard error sqrt(1.06 / (n - 3))); 0 when either is constant.
Estimate rank_correlation(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace tokencast::detail
