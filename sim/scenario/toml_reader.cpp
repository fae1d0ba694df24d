#include "toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "name_matching.hpp"

namespace tokencast::loader {

SourcePosition position_of(std::string_view file, const toml::node& node) {
  // A value from --set: the override is where it came from (it has no line in the file).
  if (const auto& from = node.source().path; from && from->starts_with("--set ")) return SourcePosition{*from, 0, 0};
  const toml::source_position begin = node.source().begin;
  return SourcePosition{std::string(file), static_cast<int>(begin.line),
                        static_cast<int>(begin.column)};
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string format_number(double value) {
  // "%g" matches how distributions describe themselves (1e+12, 0.75); when it would round, the
  // shortest exact form is used instead.
  std::string brief = fmt::format("{:g}", value);
  if (!std::isfinite(value) || std::strtod(brief.c_str(), nullptr) == value) return brief;
  return fmt::format("{}", value);
}

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string element_path(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string IntRange::describe() const {
  constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
  constexpr auto highest = std::numeric_limits<std::int64_t>::max();
  if (lo != lowest && hi != highest) return fmt::format("an integer in {}..{}", lo, hi);
  if (lo != lowest) return fmt::format("an integer >= {}", lo);
  if (hi != highest) return fmt::format("an integer <= {}", hi);
  return "an integer";
}

bool ValueRange::contains(double x) const {
  const bool above = lo_open ? x > lo : x >= lo;
  const bool below = hi_open ? x < hi : x <= hi;
  return above && below;
}

std::string ValueRange::describe() const {
  if (has_lo() && has_hi()) {
    return fmt::format("a number in {}{}, {}{}", lo_open ? '(' : '[', format_number(lo),
                       format_number(hi), hi_open ? ')' : ']');
  }
  if (has_lo()) return fmt::format("a number {} {}", lo_open ? ">" : ">=", format_number(lo));
  if (has_hi()) return fmt::format("a number {} {}", hi_open ? "<" : "<=", format_number(hi));
  return "a finite number";
}

void fail_at(std::string_view file, const toml::node& node, std::string path, std::string message) {
  throw InputError(position_of(file, node), std::move(path), std::move(message));
}

double read_finite_number(std::string_view file, const toml::node& node, const std::string& path,
                          std::string_view expected) {
  double value = 0.0;
  if (const auto* integer = node.as_integer()) {
    value = static_cast<double>(integer->get());
  } else if (const auto* floating = node.as_floating_point()) {
    value = floating->get();
  } else {
    fail_at(file, node, path, fmt::format("got {}, expected {}", type_name(node), expected));
  }
  if (!std::isfinite(value)) {
    fail_at(file, node, path,
            fmt::format("got {}, expected a finite number", format_number(value)));
  }
  return value;
}

TableReader::TableReader(std::string_view file, const toml::table& table, std::string path)
    : file_(file), table_(table), path_(std::move(path)) {}

void TableReader::reject_unknown_keys(std::span<const std::string_view> known,
                                      std::string_view hint) const {
  for (const auto& [key, value] : table_) {
    const std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = fmt::format("unknown key '{}'", name);
    if (const auto suggestion = closest_key(name, known)) {
      message += fmt::format(" (did you mean '{}'?)", *suggestion);
    } else if (!hint.empty()) {
      message += fmt::format(" ({})", hint);
    }
    fail_key_name(name, std::move(message));
  }
}

void TableReader::fail_key_name(std::string_view key, std::string message) const {
  for (const auto& [name, value] : table_) {
    if (name.str() != key) continue;
    const toml::source_position begin = name.source().begin;
    // A key's own position points at its name; fall back to its value's (and to the override that
    // set the value, when one did: it has no line in the file).
    const auto& from = value.source().path;
    const bool overridden = from && from->starts_with("--set ");
    SourcePosition where = begin.line > 0 && !overridden
                               ? SourcePosition{std::string(file_), static_cast<int>(begin.line),
                                                static_cast<int>(begin.column)}
                               : position_of(file_, value);
    throw InputError(std::move(where), path_of(key), std::move(message));
  }
  fail_here(std::move(message));
}

const toml::node* TableReader::find(std::string_view key) const { return table_.get(key); }

void TableReader::fail_missing(std::string_view key, std::string_view explanation) const {
  std::string message = "missing required key";
  if (!explanation.empty()) message += fmt::format(" ({})", explanation);
  throw InputError(position_of(file_, table_), path_of(key), std::move(message));
}

void TableReader::fail_here(std::string message) const {
  throw InputError(position_of(file_, table_), path_, std::move(message));
}

void TableReader::fail_key(std::string_view key, std::string message) const {
  const toml::node* node = find(key);
  if (node == nullptr) fail_here(std::move(message));
  fail_at(file_, *node, path_of(key), std::move(message));
}

std::optional<std::string> TableReader::string(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* text = node->as_string();
  if (text == nullptr) {
    fail_at(file_, *node, path_of(key), fmt::format("got {}, expected a string", type_name(*node)));
  }
  return text->get();
}

std::string TableReader::required_string(std::string_view key) const {
  auto text = string(key);
  if (!text) fail_missing(key);
  if (text->empty()) fail_key(key, "must not be empty");
  return *text;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key,
                                                 const IntRange& range) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const std::string path = path_of(key);
  std::int64_t value = 0;
  if (const auto* integer_node = node->as_integer()) {
    value = integer_node->get();
  } else if (const auto* floating = node->as_floating_point()) {
    const double x = floating->get();
    if (!std::isfinite(x)) {
      fail_at(file_, *node, path,
              fmt::format("got {}, expected a finite number", format_number(x)));
    }
    // 1e5 is a fine way to write 100000; 12.5 is not an integer.
    if (x != std::trunc(x) || std::abs(x) > 9.0e18) {
      fail_at(file_, *node, path,
              fmt::format("got {}, expected {}", format_number(x), range.describe()));
    }
    value = static_cast<std::int64_t>(x);
  } else {
    fail_at(file_, *node, path,
            fmt::format("got {}, expected {}", type_name(*node), range.describe()));
  }
  if (value < range.lo || value > range.hi) {
    fail_at(file_, *node, path,
            fmt::format("out of range (got {}, expected {})", value, range.describe()));
  }
  return value;
}

std::optional<bool> TableReader::boolean(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* flag = node->as_boolean();
  if (flag == nullptr) {
    fail_at(file_, *node, path_of(key),
            fmt::format("got {}, expected a boolean (true or false)", type_name(*node)));
  }
  return flag->get();
}

std::optional<double> TableReader::plain_number(std::string_view key,
                                                const ValueRange& range) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const std::string path = path_of(key);
  if (node->is_table()) {
    fail_at(file_, *node, path,
            fmt::format("got table, expected a plain number ({} cannot be a distribution)", key));
  }
  const double value = read_finite_number(file_, *node, path, "a number");
  if (!range.contains(value)) {
    fail_at(
        file_, *node, path,
        fmt::format("out of range (got {}, expected {})", format_number(value), range.describe()));
  }
  return value;
}

const toml::table* TableReader::subtable(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return nullptr;
  const auto* table = node->as_table();
  if (table == nullptr) {
    fail_at(file_, *node, path_of(key), fmt::format("got {}, expected a table", type_name(*node)));
  }
  return table;
}

std::vector<TableReader> TableReader::array_of_tables(std::string_view key) const {
  std::vector<TableReader> tables;
  const toml::node* node = find(key);
  if (node == nullptr) return tables;
  const std::string path = path_of(key);
  const auto* array = node->as_array();
  if (array == nullptr) {
    fail_at(
        file_, *node, path,
        fmt::format("got {}, expected an array of tables (write [[{}]])", type_name(*node), key));
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    std::string element_at = element_path(path, i);
    const auto* table = element.as_table();
    if (table == nullptr) {
      fail_at(file_, element, element_at,
              fmt::format("got {}, expected a table (write [[{}]])", type_name(element), key));
    }
    tables.emplace_back(file_, *table, std::move(element_at));
  }
  return tables;
}

}  // namespace tokencast::loader
