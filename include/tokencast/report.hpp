#pragma once
// The HTML report (`tokencast run --report FILE.html`).
#include <string>

#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// One self-contained HTML page (inline CSS and SVG; no scripts, no external assets), readable
// offline and printable, describing the scenario's inputs and the run's results.
std::string render_html_report(const Scenario& scenario, const RunResult& result);

}  // namespace tokencast
