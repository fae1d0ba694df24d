#pragma once
// From usage logs to a scenario (`tokencast fit LOG...`): token laws chosen by their distance to
// the data, the uncertainty of their means and of the volume from a block bootstrap over time,
// the daily shape, weekend factor, growth, hour-to-hour burstiness and sub-hour arrivals, and the
// input/output rank correlation. Methods: docs/fitting.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokencast/arrivals.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/distribution.hpp"
#include "tokencast/request_log.hpp"

namespace tokencast {

enum class FitGrouping {
  none,   // one workload for the whole log
  model,  // one workload per model the log names
  tag,    // one workload per value of FitOptions::log.tag (and one for the requests without it)
};

struct FitOptions {
  RequestLogOptions log;                  // format, columns and what a bad line does
  FitGrouping group_by = FitGrouping::none;
  std::optional<std::string> model;       // the catalog model of a log that names none (or of all)
                                          // a workload's model otherwise: the one most of its requests name
  std::uint64_t seed = 1;                 // of the bootstrap
  std::optional<double> until_s;          // requests at or after this time (the log's clock) are left out
  std::optional<double> from_s;           // and those before this one
  int bootstrap_resamples = 400;
};

struct FittedCandidate {
  std::string name;
  int parameters = 0;
  double ks = 0;
  double mean = 0, p50 = 0, p95 = 0, p99 = 0;
};

struct FittedTokenLaw {
  std::uint64_t n = 0;
  double mean = 0, p50 = 0, p95 = 0, p99 = 0;  // of the data
  double mean_relative_sd = 0;                 // of the mean, by the block bootstrap
  std::vector<FittedCandidate> candidates;
  std::size_t chosen = 0;
  Quantity law;  // the chosen law, its mean (or the histogram's scale) uncertain
};

struct FittedWorkload {
  std::string name;
  std::string model;
  std::uint64_t requests = 0;
  double span_s = 0;
  double first_s = 0;  // the log's first request (its clock); span_s after it, the last
  FittedTokenLaw input, output;
  double cached_input_share = 0;
  double requests_per_month = 0, requests_per_month_sd = 0;
  std::string blocks;          // what the bootstrap resampled ("31 days", "20 blocks of 180 s")
  int block_count = 0;
  std::optional<std::array<double, 24>> hourly_weights;  // with 2 days of data on a clock
  std::optional<double> weekend_factor;                  // with 2 weeks
  std::optional<double> monthly_growth, monthly_growth_sd;  // with 2 months
  std::optional<double> burstiness;                      // with 2 hours
  ArrivalMeasurement arrivals;
  double spearman = 0;                 // input/output rank correlation (a sample of 20,000 requests)
  Quantity requests_per_month_quantity;
};

struct FitResult {
  std::vector<std::string> files;
  std::vector<RequestLogStats> stats;  // one per file
  std::vector<FittedWorkload> workloads;
  std::string scenario_toml;           // commented, loadable as it is
};

// Reads the logs in order (each in time order, and each after the one before) and fits one
// workload per group. Errors: InputError at FILE:LINE for a bad line (with
// BadLinePolicy::fail), at FILE for an unreadable log, and at the model for one the catalog does
// not know.
FitResult fit_logs(const std::vector<std::string>& paths, const FitOptions& options, const Catalog& catalog);

}  // namespace tokencast
