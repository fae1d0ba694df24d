#pragma once
// The HTML report (`tokencast run --report FILE.html`).
#include <string>

#include "tokencast/output.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"

namespace tokencast {

// One self-contained HTML page (inline CSS and SVG; no scripts, no external assets), readable
// offline and printable, describing the scenario's inputs and the run's results.
// With `capacity`, the sections `tokencast capacity` adds (a GPU comparison, a trace replay) follow
// the capacity section.
std::string render_html_report(const Scenario& scenario, const RunResult& result,
                               const CapacitySections* capacity = nullptr);

}  // namespace tokencast
