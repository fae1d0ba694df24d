#pragma once
// The report's charts, each an HTML <figure> holding an inline SVG and a caption.
#include <string>
#include <string_view>

#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast::report {

// Hands out ids unique within one page (SVG clip paths are looked up by id).
class ChartIds {
 public:
  std::string next();

 private:
  int count_ = 0;
};

// Trials per cost bin with p5, p50 and p95 marked. `x_label` names the cost's horizon.
std::string histogram_figure(ChartIds& ids, std::string_view title, const ModeCost& cost, std::string_view x_label);
// Cost per month: p5-p95 band, p25-p75 band and the median line. Needs cost.monthly_usd.
std::string fan_figure(ChartIds& ids, std::string_view title, const ModeCost& cost);
// A capacity option's $ per 1M tokens against utilization, with serverless and u* marked.
std::string utilization_figure(ChartIds& ids, const UtilizationCurve& curve);
// Monthly cost per mode against volume (log-log), and below it P(option cheaper than serverless).
std::string volume_figure(ChartIds& ids, const VolumeCurve& curve, const Scenario& scenario);

}  // namespace tokencast::report
