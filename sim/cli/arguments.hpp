#pragma once
// Strict reading of command-line numbers: decimal only, no spaces, no hexadecimal or octal
// prefixes, no nan or inf, within the option's range; anything else is a UsageError (exit 2)
// naming the option and what it got.
#include <cstdint>
#include <string>
#include <string_view>

namespace tokencast::cli {

std::int64_t parse_integer(std::string_view option, std::string_view text, std::int64_t lo, std::int64_t hi);
// Any unsigned 64-bit integer, 0 to 18446744073709551615.
std::uint64_t parse_seed(std::string_view option, std::string_view text);
// A finite decimal number (digits, an optional point and exponent) in [lo, hi].
double parse_real(std::string_view option, std::string_view text, double lo, double hi);

}  // namespace tokencast::cli
