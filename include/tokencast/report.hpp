#pragma once
// The HTML report (`tokencast run --report FILE.html`).
#include <string>

#include "tokencast/gpu_comparison.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// One self-contained HTML page (inline CSS and SVG; no scripts, no external assets), readable
// offline and printable, describing the scenario's inputs and the run's results.
// With `gpus`, a "Which GPU?" section follows the capacity section (`capacity --compare-gpus`).
std::string render_html_report(const Scenario& scenario, const RunResult& result, const GpuComparison* gpus = nullptr);

}  // namespace tokencast
