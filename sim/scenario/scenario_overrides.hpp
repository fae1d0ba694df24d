#pragma once
// `--set key.path=VALUE`: a scenario's TOML changed before it is read, each changed value tagged
// with the override so that an error in it names the override, not a file position.
#include <span>

#include <toml++/toml.h>

#include "tokencast/scenario_loader.hpp"

namespace tokencast {

// Sets each override's path in `document` in turn (an array element by its index; a missing table
// on the way is made), or throws an InputError naming the override.
void apply_overrides(toml::table& document, std::span<const ScenarioOverride> overrides);

}  // namespace tokencast
