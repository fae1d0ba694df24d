#pragma once
// Typed reading of the tables of a TOML scenario. Every problem becomes an InputError carrying the
// offending value's position and key path, so each section parser states only what it expects.
#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/errors.hpp"

namespace tokencast::loader {

SourcePosition position_of(std::string_view file, const toml::node& node);

// "string", "integer", "float", "boolean", "array", "table", "date", "time", "date-time".
std::string_view type_name(const toml::node& node);

// Text that reads back as the same double, short where possible ("0.9", "1e+30", "nan", "-inf").
std::string format_number(double value);

std::string child_path(std::string_view parent, std::string_view key);
std::string element_path(std::string_view parent, std::size_t index);

// Inclusive bounds of an integer setting.
struct IntRange {
  std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  std::string describe() const;  // "an integer in 1..120", "an integer >= 0"
};

// Bounds of a real-valued setting; open ends exclude the bound.
struct ValueRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;
  // The upper bound is a sanity limit rather than part of the meaning: values below the lower
  // bound are told "must be > lo" as for a one-sided range, and a distribution with an unbounded
  // upper tail passes when its median or mean is within the limit.
  bool hi_is_limit = false;
  // A sanity limit below: the distribution's bulk (a lognormal's median, a gamma's mean; a plain
  // number itself) must reach it, while a tail towards `lo` may pass it.
  double lo_limit = -std::numeric_limits<double>::infinity();

  static ValueRange any() { return {}; }
  static ValueRange positive() {
    return {0.0, std::numeric_limits<double>::infinity(), true, false};
  }
  static ValueRange non_negative() {
    return {0.0, std::numeric_limits<double>::infinity(), false, false};
  }
  // At least `lo` (more than `lo` when `lo_open`), with `limit` as a sanity limit (hi_is_limit).
  static ValueRange at_most_limit(double lo, bool lo_open, double limit) {
    return {lo, limit, lo_open, false, true};
  }
  // More than 0, with sanity limits on the bulk at both ends.
  static ValueRange positive_within_limits(double lo_limit, double hi_limit) {
    return {0.0, hi_limit, true, false, true, lo_limit};
  }

  bool has_lo() const { return lo > -std::numeric_limits<double>::infinity(); }
  bool has_hi() const { return hi < std::numeric_limits<double>::infinity(); }
  bool contains(double x) const;
  std::string describe() const;  // "a number in [0, 1)", "a number > 0"
};

// Throws the InputError of `message` about `node`, whose key path is `path`.
[[noreturn]] void fail_at(std::string_view file, const toml::node& node, std::string path,
                          std::string message);

// A finite double from an integer or float node; throws for other types and for nan/inf.
// `expected` completes "got string, expected ...".
double read_finite_number(std::string_view file, const toml::node& node, const std::string& path,
                          std::string_view expected);

// One table of the scenario with its key path ("workload[2].traffic").
class TableReader {
 public:
  TableReader(std::string_view file, const toml::table& table, std::string path);

  std::string_view file() const { return file_; }
  const toml::table& table() const { return table_; }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return child_path(path_, key); }

  // Throws at the first key not among `known`, suggesting the nearest known key, or else adding
  // `hint` (e.g. "a normal takes mean, sd, min, max").
  void reject_unknown_keys(std::span<const std::string_view> known,
                           std::string_view hint = {}) const;

  const toml::node* find(std::string_view key) const;
  // Throws "missing required key" at this table.
  [[noreturn]] void fail_missing(std::string_view key, std::string_view explanation = {}) const;
  [[noreturn]] void fail_here(std::string message) const;
  // At the value of `key` (at this table when absent).
  [[noreturn]] void fail_key(std::string_view key, std::string message) const;
  // At the name of `key` itself, for keys that should not be there.
  [[noreturn]] void fail_key_name(std::string_view key, std::string message) const;

  std::optional<std::string> string(std::string_view key) const;
  std::string required_string(std::string_view key) const;  // present and not empty
  std::optional<std::int64_t> integer(std::string_view key, const IntRange& range) const;
  std::optional<bool> boolean(std::string_view key) const;
  // A plain number (no distribution table) inside `range`.
  std::optional<double> plain_number(std::string_view key, const ValueRange& range) const;
  // A sub-table, or nothing when absent; other types are errors.
  const toml::table* subtable(std::string_view key) const;
  // The tables of an array of tables ([[key]]), none when absent; other types are errors.
  std::vector<TableReader> array_of_tables(std::string_view key) const;

 private:
  std::string_view file_;
  const toml::table& table_;
  std::string path_;
};

}  // namespace tokencast::loader
