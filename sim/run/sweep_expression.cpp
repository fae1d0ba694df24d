// The objective and constraint expressions of `tokencast sweep` (grammar in sweep.hpp).
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/sweep.hpp"

namespace tokencast {
namespace {

constexpr std::pair<std::string_view, SweepStatistic> kStatistics[] = {
    {"mean", SweepStatistic::mean}, {"sd", SweepStatistic::sd},   {"p5", SweepStatistic::p5},
    {"p10", SweepStatistic::p10},   {"p25", SweepStatistic::p25}, {"p50", SweepStatistic::p50},
    {"p75", SweepStatistic::p75},   {"p90", SweepStatistic::p90}, {"p95", SweepStatistic::p95},
    {"p99", SweepStatistic::p99},   {"P", SweepStatistic::probability}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail(std::string_view what, std::string_view text, std::string_view why) {
  throw UsageError(fmt::format("{} '{}': {}", what, text, why));
}

double number_in(std::string_view what, std::string_view text, std::string_view s) {
  s = trim(s);
  double v = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || error != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    fail(what, text, fmt::format("'{}' is not a number", s));
  }
  return v;
}

// The comparison operator in s (the first <=, >=, < or >) and its position.
std::optional<std::pair<Comparison, std::size_t>> comparison_in(std::string_view s, std::size_t& length) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<' && s[i] != '>') continue;
    const bool equal = i + 1 < s.size() && s[i + 1] == '=';
    length = equal ? 2 : 1;
    const Comparison c = s[i] == '<' ? (equal ? Comparison::less_equal : Comparison::less)
                                     : (equal ? Comparison::greater_equal : Comparison::greater);
    return std::pair{c, i};
  }
  return std::nullopt;
}

SweepTerm term_of(std::string_view what, std::string_view whole, std::string_view s) {
  s = trim(s);
  SweepTerm t;
  t.text = std::string(s);
  const std::size_t open = s.find('(');
  if (open == std::string_view::npos || s.back() != ')') {
    fail(what, whole, "expected STAT(FIGURE), e.g. p95(total.cheapest_plan), mean(capacity[NAME].cost) or P(slo)");
  }
  const std::string_view name = trim(s.substr(0, open));
  const std::string_view inside = trim(s.substr(open + 1, s.size() - open - 2));
  bool known = false;
  for (const auto& [key, statistic] : kStatistics) {
    if (key == name) {
      t.statistic = statistic;
      known = true;
    }
  }
  if (!known) fail(what, whole, fmt::format("unknown statistic '{}' (expected mean, sd, p5 ... p99 or P)", name));
  if (inside.empty()) fail(what, whole, "no figure inside the parentheses");
  if (t.statistic != SweepStatistic::probability) {
    t.figure = std::string(inside);
    return t;
  }
  std::size_t length = 0;
  const auto op = comparison_in(inside, length);
  if (!op) {
    if (inside != "slo" && !(inside.starts_with("slo[") && inside.ends_with("]"))) {
      fail(what, whole, "P(...) takes slo, slo[NAME] or a comparison such as P(total.cheapest_plan <= 50000)");
    }
    t.figure = std::string(inside);
    return t;
  }
  t.figure = std::string(trim(inside.substr(0, op->second)));
  t.comparison = op->first;
  t.threshold = number_in(what, whole, inside.substr(op->second + length));
  if (t.figure.empty()) fail(what, whole, "no figure before the comparison");
  return t;
}

}  // namespace

SweepObjective parse_objective(std::string_view text) {
  SweepObjective o;
  o.text = std::string(trim(text));
  std::string_view s = trim(text);
  for (const auto& [word, maximize] : {std::pair{std::string_view("max "), true}, std::pair{std::string_view("min "), false}}) {
    if (s.starts_with(word)) {
      o.maximize = maximize;
      s.remove_prefix(word.size());
    }
  }
  o.term = term_of("--objective", text, s);
  return o;
}

SweepConstraint parse_constraint(std::string_view text) {
  SweepConstraint c;
  c.text = std::string(trim(text));
  // The comparison outside the parentheses: P(x <= 1) >= 0.9 has one inside too.
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) fail("--constraint", text, "expected EXPR <= NUMBER, e.g. 'p95(total) <= 50000'");
  std::size_t length = 0;
  const auto op = comparison_in(text.substr(close), length);
  if (!op) fail("--constraint", text, "expected a comparison after the expression: <=, <, >= or >");
  c.term = term_of("--constraint", text, text.substr(0, close + 1));
  c.comparison = op->first;
  c.bound = number_in("--constraint", text, text.substr(close + op->second + length));
  return c;
}

}  // namespace tokencast
