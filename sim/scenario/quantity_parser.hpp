#pragma once
// Reads a scenario number, which may be a distribution table whose parameters are themselves
// numbers or distributions, into a Quantity, and checks that every value it can take is allowed.
#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>

#include "tokencast/distribution.hpp"
#include "toml_reader.hpp"

namespace tokencast::loader {

// `node` is a number or a distribution table; every value the result can take lies in `range`.
Quantity read_quantity(std::string_view file, const toml::node& node, const std::string& path,
                       const ValueRange& range);

// Where the bulk of a quantity lies at most: its support's upper end when finite, else the median
// or mean (a normal: mean + 3 sd) that locates its unbounded tail, with uncertain parameters at
// their highest. Sanity limits (ValueRange::hi_is_limit) and the magnitude limit apply to it.
double bulk_upper(const Quantity& quantity);

// Throws at `node` unless the whole support of `quantity` lies in `range`.
void check_support(std::string_view file, const toml::node& node, const std::string& path,
                   const Quantity& quantity, const ValueRange& range);

std::optional<Quantity> optional_quantity(const TableReader& table, std::string_view key,
                                          const ValueRange& range);
Quantity required_quantity(const TableReader& table, std::string_view key, const ValueRange& range);

}  // namespace tokencast::loader
