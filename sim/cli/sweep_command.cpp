// `tokencast sweep`: --vary PATH=VALUES expanded to combinations (the first --vary the slowest),
// each the scenario with those overrides; the library's run_sweep as a table, CSV, JSON and report.
#include <charconv>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../output/json_parts.hpp"
#include "commands.hpp"
#include "execution.hpp"
#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"
#include "tokencast/output_files.hpp"
#include "tokencast/report.hpp"
#include "tokencast/scenario_loader.hpp"
#include "tokencast/sweep.hpp"

namespace tokencast::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxCombinations = 10'000;

struct Vary {
  std::string text;  // as given
  std::string path;
  std::vector<std::string> values;  // TOML
};

[[noreturn]] void bad_vary(const std::string& text, const std::string& why) {
  throw UsageError(fmt::format("--vary '{}': {}", text, why));
}

double number(const std::string& text, std::string_view s) {
  double v = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || error != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    bad_vary(text, fmt::format("'{}' is not a number", s));
  }
  return v;
}

bool written_as_integer(std::string_view s) { return !s.empty() && s.find_first_of(".eE") == std::string_view::npos; }

// Values separated by commas outside braces, brackets and quotes (an inline table has commas).
std::vector<std::string> split_list(const std::string& text, std::string_view list) {
  std::vector<std::string> out;
  int depth = 0;
  bool quoted = false;
  std::string current;
  for (const char c : list) {
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == '{' || c == '[')) ++depth;
    if (!quoted && (c == '}' || c == ']')) --depth;
    if (c == ',' && depth == 0 && !quoted) {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(current);
  for (std::string& v : out) {
    const auto first = v.find_first_not_of(" \t"), last = v.find_last_not_of(" \t");
    v = first == std::string::npos ? std::string() : v.substr(first, last - first + 1);
    if (v.empty()) bad_vary(text, "an empty value in the list");
  }
  return out;
}

// a..b, a..b:step (linear, integers when all three are written as integers), log:a..b:N (N values,
// equal ratios).
std::vector<std::string> expand_range(const std::string& text, std::string_view range) {
  const bool log = range.starts_with("log:");
  if (log) range.remove_prefix(4);
  const std::size_t dots = range.find("..");
  const std::size_t colon = range.find(':', dots);
  const std::string_view a_text = range.substr(0, dots);
  const std::string_view b_text = range.substr(dots + 2, colon == std::string_view::npos ? std::string_view::npos : colon - dots - 2);
  const std::string_view step_text = colon == std::string_view::npos ? std::string_view() : range.substr(colon + 1);
  const double a = number(text, a_text), b = number(text, b_text);
  if (b < a) bad_vary(text, fmt::format("the range runs down ({} > {})", a, b));
  std::vector<std::string> out;
  if (log) {
    if (step_text.empty()) bad_vary(text, "a log range gives its number of values: log:A..B:N");
    const double n = number(text, step_text);
    if (!(a > 0) || n < 2 || n != std::floor(n) || n > kMaxCombinations) {
      bad_vary(text, "a log range needs 0 < A <= B and a whole number of values N from 2 to 10000");
    }
    for (int i = 0; i < static_cast<int>(n); ++i) {
      out.push_back(fmt::format("{:.12g}", a * std::pow(b / a, i / (n - 1))));
    }
    return out;
  }
  const double step = step_text.empty() ? 1.0 : number(text, step_text);
  if (!(step > 0)) bad_vary(text, fmt::format("the step must be above 0 (got {})", step));
  const double count = std::floor((b - a) / step * (1 + 1e-12)) + 1;
  if (count > kMaxCombinations) bad_vary(text, fmt::format("{} values, more than the {} a sweep takes", count, kMaxCombinations));
  const bool integers = written_as_integer(a_text) && written_as_integer(b_text) && (step_text.empty() || written_as_integer(step_text));
  for (int i = 0; i < static_cast<int>(count); ++i) {
    const double v = a + i * step;
    out.push_back(integers ? fmt::format("{}", static_cast<long long>(std::llround(v))) : fmt::format("{:.12g}", v));
  }
  return out;
}

Vary parse_vary(const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    bad_vary(text, "expected PATH=VALUES: a list (1,2,4), a range (1..8 or 0.5..0.9:0.1) or a log range (log:1e5..1e7:5)");
  }
  Vary v{text, text.substr(0, equals), {}};
  const std::string values = text.substr(equals + 1);
  const bool range = values.find("..") != std::string::npos && values.front() != '{' && values.front() != '"' &&
                     values.find(',') == std::string::npos;
  v.values = range ? expand_range(text, values) : split_list(text, values);
  std::set<std::string> seen;
  for (const std::string& value : v.values) {
    if (!seen.insert(value).second) bad_vary(text, fmt::format("the value {} appears twice", value));
  }
  return v;
}

std::string point_label(const SweepResult& r, const SweepPoint& p) {
  std::string out;
  for (std::size_t k = 0; k < r.paths.size(); ++k) out += (k ? ", " : "") + r.paths[k] + "=" + p.values[k];
  return out;
}

std::string number_text(double v) { return std::abs(v) >= 100 ? fmt::format("{:.2f}", v) : fmt::format("{:.4g}", v); }
std::string bound_text(double v) { return std::isfinite(v) ? number_text(v) : std::string("?"); }

std::string sweep_table(const SweepResult& r, const std::string& scenario) {
  std::string out = fmt::format("sweep of {}: {} combination{} ({} trials each, seed {}, common random numbers)\n",
                                scenario, r.points.size(), r.points.size() == 1 ? "" : "s", r.trials, r.seed);
  out += fmt::format("objective: {} {}", r.objective.maximize ? "maximise" : "minimise", r.objective.term.text);
  for (const SweepConstraint& c : r.constraints) out += fmt::format("; constraint: {}", c.text);
  out += "\n\n";
  std::string header;
  for (const std::string& p : r.paths) header += fmt::format("{:>24} ", p);
  header += fmt::format("{:>16} ", r.objective.term.text);
  for (const SweepConstraint& c : r.constraints) header += fmt::format("{:>16} ", c.term.text);
  header += fmt::format("{:>9} {:>16} {:>16}\n", "feasible", "mean cheapest", "p95 cheapest");
  out += header;
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const SweepPoint& p = r.points[i];
    for (const std::string& v : p.values) out += fmt::format("{:>24} ", v);
    out += fmt::format("{:>16} ", number_text(p.objective));
    for (const double v : p.constraint_values) out += fmt::format("{:>16} ", number_text(v));
    out += fmt::format("{:>9} {:>16} {:>16}{}\n", p.feasible ? "yes" : "no", fmt::format("${:.2f}", p.total_mean_usd),
                       fmt::format("${:.2f}", p.total_p95_usd), r.best == i ? "  <- best" : "");
  }
  if (!r.best) {
    out += "\nNo combination meets the constraints: infeasible.\n";
  } else {
    out += fmt::format("\nbest: {} ({} = {})\n", point_label(r, r.points[*r.best]), r.objective.term.text,
                       number_text(r.points[*r.best].objective));
    for (std::size_t k = 0; k < r.runners_up.size(); ++k) {
      const Estimate& m = r.margins[k];
      out += fmt::format("  runner-up {}: {} ({}); behind by {} [95%: {}, {}]\n", k + 1,
                         point_label(r, r.points[r.runners_up[k]]), number_text(r.points[r.runners_up[k]].objective),
                         number_text(m.value), bound_text(m.lo), bound_text(m.hi));
    }
  }
  out += fmt::format("\ncost: {} combinations in {:.2f} s, {:.1f} x one draw of the trials ({:.3f} s; {})\n",
                     r.points.size(), r.elapsed_s, r.one_draw_s > 0 ? r.elapsed_s / r.one_draw_s : 0.0, r.one_draw_s,
                     r.draws == SweepDraws::replay
                         ? fmt::format("replay: drawn once, each reservation re-costed; cost within ${:.2f} of "
                                       "billing every hour",
                                       r.replay_error_bound_usd)
                         : std::string("each combination simulated"));
  return std::string(terminal_safe(out));
}

std::string sweep_csv(const SweepResult& r) {
  const auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::string out;
  for (const std::string& p : r.paths) out += field(p) + ",";
  out += field("objective: " + r.objective.text);
  for (const SweepConstraint& c : r.constraints) out += "," + field(c.term.text);
  out += ",feasible,best,total_cheapest_plan_mean_usd,total_cheapest_plan_p95_usd\n";
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const SweepPoint& p = r.points[i];
    for (const std::string& v : p.values) out += field(v) + ",";
    const auto number = [](double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); };
    out += number(p.objective);
    for (const double v : p.constraint_values) out += "," + number(v);
    out += fmt::format(",{},{},{},{}\n", p.feasible, r.best == i, number(p.total_mean_usd), number(p.total_p95_usd));
  }
  return out;
}

std::string sweep_json(const SweepResult& r, const std::string& scenario) {
  Json points = Json::array();
  for (const SweepPoint& p : r.points) {
    Json values = Json::object(), constraints = Json::array();
    for (std::size_t k = 0; k < r.paths.size(); ++k) values[r.paths[k]] = p.values[k];
    for (std::size_t k = 0; k < p.constraint_values.size(); ++k) {
      constraints.push_back(Json{{"constraint", r.constraints[k].text}, {"value", p.constraint_values[k]}});
    }
    points.push_back(Json{{"values", std::move(values)},
                          {"objective", p.objective},
                          {"constraints", std::move(constraints)},
                          {"feasible", p.feasible},
                          {"total_cheapest_plan_usd", Json{{"mean", p.total_mean_usd}, {"p95", p.total_p95_usd}}}});
  }
  Json runners = Json::array();
  for (std::size_t k = 0; k < r.runners_up.size(); ++k) {
    runners.push_back(Json{{"point", r.runners_up[k]}, {"margin", json_parts::estimate_json(r.margins[k])}});
  }
  Json constraints = Json::array();
  for (const SweepConstraint& c : r.constraints) constraints.push_back(c.text);
  Json out{{"scenario", scenario},
           {"trials", r.trials},
           {"seed", r.seed},
           {"varied", r.paths},
           {"objective", Json{{"expression", r.objective.term.text}, {"maximize", r.objective.maximize}}},
           {"constraints", std::move(constraints)},
           {"best", r.best ? Json(*r.best) : Json(nullptr)},
           {"runners_up", std::move(runners)},
           {"points", std::move(points)},
           {"draws", r.draws == SweepDraws::replay ? "replay" : "resimulate"},
           {"replay_error_bound_usd", r.replay_error_bound_usd},
           {"cost", Json{{"elapsed_s", r.elapsed_s},
                         {"one_draw_s", r.one_draw_s},
                         {"runs_equivalent", r.one_draw_s > 0 ? r.elapsed_s / r.one_draw_s : 0.0}}}};
  return out.dump(2) + "\n";
}

}  // namespace

int sweep_command(const SweepArgs& args, const std::atomic<bool>& cancel) {
  const std::string& format = args.run.format;
  if (args.vary.empty()) throw UsageError("sweep: give at least one --vary PATH=VALUES");
  check_split(args.run);
  const Destinations to = destinations(args.run);
  std::vector<Vary> varies;
  std::size_t combinations = 1;
  for (const std::string& text : args.vary) {
    varies.push_back(parse_vary(text));
    for (std::size_t k = 0; k + 1 < varies.size(); ++k) {
      if (varies[k].path == varies.back().path) bad_vary(text, fmt::format("{} is already varied by --vary '{}'", varies[k].path, varies[k].text));
    }
    combinations *= varies.back().values.size();
    if (combinations > kMaxCombinations) {
      throw UsageError(fmt::format("--vary: more than {} combinations", kMaxCombinations));
    }
  }
  SweepSpec spec;
  for (const Vary& v : varies) spec.paths.push_back(v.path);
  for (std::size_t i = 0; i < combinations; ++i) {
    std::vector<std::string> values(varies.size());
    std::size_t rest = i;
    for (std::size_t k = varies.size(); k-- > 0;) {
      values[k] = varies[k].values[rest % varies[k].values.size()];
      rest /= varies[k].values.size();
    }
    spec.values.push_back(std::move(values));
  }
  spec.scenario_at = [&](std::size_t i) {
    std::vector<std::string> set = args.run.set;
    const std::size_t first_vary = set.size();
    for (std::size_t k = 0; k < varies.size(); ++k) set.push_back(varies[k].path + "=" + spec.values[i][k]);
    try {
      return load_scenario(args.run.scenario, set);
    } catch (const InputError& e) {
      // An error at a varied value names the --vary, not a --set.
      for (std::size_t k = first_vary; k < set.size(); ++k) {
        if (e.where().file == "--set " + set[k]) {
          throw InputError(SourcePosition{"--vary " + varies[k - first_vary].text + " (value " +
                                              spec.values[i][k - first_vary] + ")",
                                          0, 0},
                           e.key_path(), e.message());
        }
      }
      // Elsewhere (a rule the value breaks with another key): the combination is named too.
      std::string combination;
      for (std::size_t k = first_vary; k < set.size(); ++k) combination += (combination.empty() ? "" : ", ") + set[k];
      throw InputError(e.where(), e.key_path(), e.message() + " (in the sweep's combination " + combination + ")");
    }
  };
  spec.objective = parse_objective(args.objective);
  for (const std::string& c : args.constraints) spec.constraints.push_back(parse_constraint(c));
  const Scenario first = spec.scenario_at(0);
  check_sweep_terms(first, spec);
  // Not run_options: a sweep keeps the CPU-time refusal when split, since whether it replays
  // depends on it, and that must not change with the split.
  RunOptions options;
  options.trials = args.run.trials;
  options.seed = args.run.seed;
  options.threads = args.run.threads;
  options.cancel = &cancel;
  spec.draws = args.draws == "replay"       ? SweepDraws::replay
               : args.draws == "resimulate" ? SweepDraws::resimulate
                                            : SweepDraws::automatic;
  SweepUnits units(spec, options);
  if (!execute_units(units, identity_of("sweep", args.run, first, units.count()), to, format, cancel, "combinations")) {
    return 0;
  }
  SweepResult result = units.result();
  if (const auto s = merged_compute_s()) result.elapsed_s = *s;
  const std::string scenario = args.run.scenario.value_or(std::string(default_scenario_file));
  std::vector<std::pair<OutputTarget, std::string>> outputs{
      {to.output, format == "json"  ? sweep_json(result, scenario)
                  : format == "csv" ? sweep_csv(result)
                                    : sweep_table(result, scenario)}};
  if (to.report) outputs.emplace_back(*to.report, render_sweep_report(result, scenario));
  if (cancel.load()) throw Interrupted();
  write_outputs(outputs, &cancel);
  return 0;
}

}  // namespace tokencast::cli
