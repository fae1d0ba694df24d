#include <chrono>

#include "../engine/simulation.hpp"
#include "precision_run.hpp"
#include "summarize_run.hpp"
#include "tokencast/engine.hpp"

namespace tokencast {

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  return detail::in_arena(options, [&] {
    const auto start = std::chrono::steady_clock::now();
    std::optional<RunResult::Precision> precision;
    std::vector<RunWarning> warnings;
    detail::DeferredHours deferred;
    detail::RunPlan plan = detail::draw_to_precision(scenario, options, deferred, precision, warnings);
    RunResult result = detail::summarize_run(plan, options, precision, std::move(warnings));
    result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  });
}

}  // namespace tokencast
