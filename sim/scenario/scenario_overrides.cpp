#include "scenario_overrides.hpp"

#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "nesting_scan.hpp"
#include "tokencast/errors.hpp"

namespace tokencast {
namespace {

// One step of a key path: a key, and an index into the array it names ("workload[2]").
struct Step {
  std::string key;
  std::optional<std::size_t> index;
};

// "workload[0].traffic.hourly_weights[3]" as steps; nullopt for a path that is not one.
std::optional<std::vector<Step>> steps_of(std::string_view path) {
  std::vector<Step> steps;
  std::size_t at = 0;
  while (at <= path.size()) {
    Step step;
    while (at < path.size() && (std::isalnum(static_cast<unsigned char>(path[at])) || path[at] == '_' || path[at] == '-')) {
      step.key += path[at++];
    }
    if (step.key.empty()) return std::nullopt;
    if (at < path.size() && path[at] == '[') {
      const std::size_t close = path.find(']', at);
      if (close == std::string_view::npos || close == at + 1) return std::nullopt;
      std::size_t index = 0;
      for (std::size_t i = at + 1; i < close; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(path[i])) || index > 1'000'000) return std::nullopt;
        index = index * 10 + static_cast<std::size_t>(path[i] - '0');
      }
      step.index = index;
      at = close + 1;
    }
    steps.push_back(std::move(step));
    if (at == path.size()) return steps;
    if (path[at] != '.') return std::nullopt;
    ++at;
  }
  return std::nullopt;
}

std::string prefix_of(const std::vector<Step>& steps, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += '.';
    out += steps[i].key;
    if (steps[i].index) out += fmt::format("[{}]", *steps[i].index);
  }
  return out;
}

}  // namespace

ScenarioOverride parse_override(std::string_view text) {
  const std::size_t equals = text.find('=');
  const std::string shown = fmt::format("--set {}", text);
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == text.size()) {
    throw InputError(SourcePosition{shown, 0, 0}, "", "expected KEY.PATH=VALUE, e.g. workload[0].requests_per_month=2e6");
  }
  ScenarioOverride o;
  o.path = std::string(text.substr(0, equals));
  o.value = std::string(text.substr(equals + 1));
  while (!o.path.empty() && o.path.back() == ' ') o.path.pop_back();
  while (!o.value.empty() && o.value.front() == ' ') o.value.erase(o.value.begin());
  o.source = shown;
  if (!steps_of(o.path)) {
    throw InputError(SourcePosition{shown, 0, 0}, "",
                     fmt::format("'{}' is not a key path (expected keys joined by '.', each with an optional "
                                 "[index], as error messages write them: workload[0].traffic.burstiness)",
                                 o.path));
  }
  return o;
}

void apply_overrides(toml::table& document, std::span<const ScenarioOverride> overrides) {
  for (const ScenarioOverride& o : overrides) {
    const SourcePosition where{o.source, 0, 0};
    // The value as TOML, its nodes tagged with the override so that errors name it.
    const std::string line = "value = " + o.value;
    loader::check_toml_nesting(line, o.source);
    toml::table parsed;
    try {
      parsed = toml::parse(line, o.source);
    } catch (const toml::parse_error& error) {
      throw InputError(where, o.path,
                       fmt::format("the value is not TOML: {} (expected a number, a \"string\", true/false or an "
                                   "inline table such as {{ dist = \"uniform\", min = 1, max = 2 }})",
                                   error.description()));
    }
    if (parsed.size() != 1 || !parsed.contains("value")) {
      throw InputError(where, o.path, "expected one value after '='");
    }
    const std::vector<Step> steps = *steps_of(o.path);
    toml::table* table = &document;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& step = steps[i];
      const bool last = i + 1 == steps.size();
      toml::node* node = table->get(step.key);
      if (step.index) {
        toml::array* array = node != nullptr ? node->as_array() : nullptr;
        if (array == nullptr) {
          throw InputError(where, prefix_of(steps, i + 1),
                           node == nullptr ? fmt::format("the scenario has no '{}' to index", prefix_of(steps, i) +
                                                                                                  (i ? "." : "") + step.key)
                                           : fmt::format("'{}' is not an array", step.key));
        }
        if (*step.index >= array->size()) {
          throw InputError(where, prefix_of(steps, i + 1),
                           fmt::format("index {} is past the end (the scenario has {} entr{})", *step.index,
                                       array->size(), array->size() == 1 ? "y" : "ies"));
        }
        toml::node& element = *array->get(*step.index);
        if (last) {
          array->replace(array->begin() + static_cast<std::ptrdiff_t>(*step.index), std::move(*parsed.get("value")));
          break;
        }
        table = element.as_table();
        if (table == nullptr) {
          throw InputError(where, prefix_of(steps, i + 1), "is not a table, so it has no keys to set");
        }
        continue;
      }
      if (last) {
        table->insert_or_assign(step.key, std::move(*parsed.get("value")));
        break;
      }
      if (node == nullptr) {
        // A table the file leaves out (a workload's traffic, say) is made, tagged with the override.
        toml::table made = toml::parse("made = {}", o.source);
        table = table->insert_or_assign(step.key, std::move(*made.get("made"))).first->second.as_table();
        continue;
      }
      table = node->as_table();
      if (table == nullptr) {
        throw InputError(where, prefix_of(steps, i + 1), "is not a table, so it has no keys to set");
      }
    }
  }
}

}  // namespace tokencast
