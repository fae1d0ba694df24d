// What differs between two scenarios, key by key: both written as TOML (scenario_toml, so that
// catalog prices and defaults are spelled out alike) and flattened, arrays of tables by the name
// of each entry ("workload[chat].requests_per_month") so that a reordering is not a change.
#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "tokencast/scenario_loader.hpp"

namespace tokencast {
namespace {

// A value as a scenario writes it: numbers in their shortest exact form, a distribution as its
// inline table.
std::string text_of(const toml::node& node) {
  if (const auto* number = node.as_floating_point()) return fmt::format("{}", number->get());
  if (const auto* integer = node.as_integer()) return fmt::format("{}", integer->get());
  if (const auto* text = node.as_string()) return fmt::format("\"{}\"", text->get());
  if (const auto* flag = node.as_boolean()) return flag->get() ? "true" : "false";
  if (const auto* array = node.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < array->size(); ++i) out += (i ? ", " : "") + text_of(*array->get(i));
    return out + "]";
  }
  if (const auto* table = node.as_table()) {
    std::string out = "{ ";
    bool first = true;
    for (const auto& [key, value] : *table) {
      out += fmt::format("{}{} = {}", first ? "" : ", ", key.str(), text_of(value));
      first = false;
    }
    return out + " }";
  }
  std::ostringstream out;
  node.visit([&](const auto& value) { out << value; });
  return out.str();
}

void flatten(const toml::table& table, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix.empty() ? std::string(key.str()) : fmt::format("{}.{}", prefix, key.str());
    // A table is walked, but a distribution (a table with `dist`) is one value.
    if (const toml::table* sub = node.as_table(); sub != nullptr && !sub->contains("dist")) {
      flatten(*sub, path, out);
      continue;
    }
    if (const toml::array* array = node.as_array(); array != nullptr && array->is_array_of_tables()) {
      for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::table& entry = *array->get(i)->as_table();
        std::string id = std::to_string(i);
        if (const auto name = entry["name"].value<std::string>()) id = *name;
        else if (const auto model = entry["id"].value<std::string>()) id = *model;
        else if (const toml::array* inputs = entry["inputs"].as_array()) id = text_of(*inputs);  // a [[correlation]]
        flatten(entry, fmt::format("{}[{}]", path, id), out);
      }
      continue;
    }
    out[path] = text_of(node);
  }
}

std::map<std::string, std::string> flat(const Scenario& scenario) {
  std::map<std::string, std::string> out;
  flatten(toml::parse(scenario_toml(scenario)), "", out);
  return out;
}

}  // namespace

std::vector<InputChange> input_changes(const Scenario& base, const Scenario& next) {
  auto a = flat(base), b = flat(next);
  // A diff runs both at the base's trials and seed: those are not changes of what is compared.
  for (const char* how : {"scenario.trials", "scenario.seed"}) {
    a.erase(how);
    b.erase(how);
  }
  std::vector<InputChange> changes;
  for (const auto& [path, value] : a) {
    const auto found = b.find(path);
    if (found == b.end()) {
      changes.push_back({path, value, ""});
    } else if (found->second != value) {
      changes.push_back({path, value, found->second});
    }
  }
  for (const auto& [path, value] : b) {
    if (!a.contains(path)) changes.push_back({path, "", value});
  }
  std::sort(changes.begin(), changes.end(), [](const InputChange& x, const InputChange& y) { return x.path < y.path; });
  return changes;
}

}  // namespace tokencast
