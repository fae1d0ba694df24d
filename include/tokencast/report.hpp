#pragma once
// The HTML report (`tokencast run --report FILE.html`).
#include <string>

#include <vector>

#include "tokencast/budget_check.hpp"
#include "tokencast/log_forecast.hpp"
#include "tokencast/output.hpp"
#include "tokencast/results.hpp"
#include "tokencast/scenario.hpp"
#include "tokencast/scenario_diff.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/sensitivity.hpp"
#include "tokencast/sweep.hpp"

namespace tokencast {

// One self-contained HTML page (inline CSS and SVG; no scripts, no external assets), readable
// offline and printable, describing the scenario's inputs and the run's results.
// With `capacity`, the sections `tokencast capacity` adds (a GPU comparison, a trace replay) follow
// the capacity section.
std::string render_html_report(const Scenario& scenario, const RunResult& result,
                               const CapacitySections* capacity = nullptr);

// `tokencast backtest --report`: each figure's simulated p5-p95 band and p50 at every origin against
// the actual, and the coverage table.
std::string render_backtest_report(const BacktestResult& result);
// `tokencast forecast --report`: the cumulative spend's fan chart through the month against the
// budget, and the month-end figures.
std::string render_forecast_report(const ForecastResult& result);

// `tokencast sensitivity --report`: the tornado charts of the output's mean and p95, the spider
// chart and the ranked table.
std::string render_sensitivity_report(const Sensitivity& result);
// `tokencast sweep --report`: the chosen combination, its runners-up and margins, a line chart of
// the objective (one numeric input varied) or a heat map (two), and every combination.
std::string render_sweep_report(const SweepResult& result, const std::string& scenario);

// `tokencast check --report`: the verdict and margin, and with --per-month each month against the budget.
std::string render_check_report(const BudgetCheck& check, const Scenario& scenario);
// `tokencast diff --report`: each changed figure's change with its interval, and the inputs changed.
std::string render_diff_report(const ScenarioDiff& diff, const std::vector<InputChange>& inputs,
                               const std::string& base_name, const std::string& new_name);

}  // namespace tokencast
