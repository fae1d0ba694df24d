#pragma once
// What a scenario may ask for: the bounds the loader enforces, chosen so that every figure the
// model computes from accepted input stays finite and every replica count fits its type
// (docs/scenario-format.md, "Limits"). One place, so the loader, the engine and the docs agree.
//
// How the bounds keep arithmetic finite: every number written in a scenario has a magnitude of at
// most max_magnitude (its "bulk": a distribution with an unbounded tail counts by its median or
// mean, and its tail is bounded by the shape limits below: a lognormal sigma of at most 5, a gamma
// cv of at most 30). A normal draw never exceeds about 15 standard deviations, so the largest value
// any draw can take is below 1e15 x e^75, about 4e47; products of a few such factors (requests x
// tokens x price) stay far below the 1.8e308 a double holds.
#include <cstdint>

namespace tokencast::limits {

// Any number in a scenario, including distribution parameters and empirical values: 0, or a
// magnitude in [min_magnitude, max_magnitude] (below, variances and products underflow).
inline constexpr double max_magnitude = 1e15;
inline constexpr double min_magnitude = 1e-15;

// Volume: requests of one workload in any month, growth included.
inline constexpr double max_requests_per_month = 1e12;
// Tokens of one request (the bulk of its distribution; requests are cut to the context anyway).
inline constexpr double max_tokens_per_request = 1e9;
inline constexpr std::int64_t max_context_tokens = 100'000'000;

// Prices.
inline constexpr double max_usd_per_mtok = 1e5;
inline constexpr double max_usd_per_gpu_hour = 1e4;
inline constexpr double max_usd_per_month = 1e12;  // fixed costs and monthly minimums

// Serving: a replica serves at least one token a second.
inline constexpr double min_tokens_per_s = 1;
inline constexpr double max_tokens_per_s = 1e9;
inline constexpr double min_max_utilization = 0.01;
// Replicas of one option, fixed or sized; an option needing more is reported infeasible.
inline constexpr int max_replicas = 100'000;
inline constexpr int max_gpus_per_replica = 1024;
inline constexpr int max_concurrency = 4096;
inline constexpr double max_slo_s = 86'400;

// Traffic.
inline constexpr double max_weekend_factor = 100;

// Distribution shapes.
inline constexpr double max_lognormal_sigma = 5;
// The cv of a lognormal of sigma 5: sqrt(e^25 - 1), rounded down.
inline constexpr double max_lognormal_cv = 268'337;
// Boost.Math's incomplete gamma gives up past a shape of about 5e10 (measured), so the token
// moments' closed forms would fail; a gamma narrower than cv 1e-4 is a fixed value in practice.
inline constexpr double min_gamma_cv = 1e-4;  // gamma shape at most 1e8
inline constexpr double max_gamma_cv = 30;    // gamma shape at least 1/900
inline constexpr double min_gamma_shape = 1.0 / 900;
inline constexpr double max_gamma_shape = 1e8;
inline constexpr double max_pert_shape = 1000;

}  // namespace tokencast::limits
