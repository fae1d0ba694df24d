#include "arguments.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"

namespace tokencast::cli {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [-]digits
bool decimal_integer(std::string_view text, bool allow_sign) {
  if (allow_sign && !text.empty() && text.front() == '-') text.remove_prefix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// [-](digits[.digits*] | .digits)[(e|E)[+|-]digits]
bool decimal_real(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    return i - from;
  };
  if (i < text.size() && text[i] == '-') ++i;
  std::size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

[[noreturn]] void refuse(std::string_view option, std::string_view text, std::string_view expected) {
  throw UsageError(fmt::format("{}: got '{}', expected {}", option, terminal_safe(text), expected));
}

}  // namespace

std::int64_t parse_integer(std::string_view option, std::string_view text, std::int64_t lo, std::int64_t hi) {
  const std::string expected = fmt::format("a decimal integer in {}..{}", lo, hi);
  if (!decimal_integer(text, true)) refuse(option, text, expected);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < lo || value > hi) {
    refuse(option, text, expected);
  }
  return value;
}

std::uint64_t parse_seed(std::string_view option, std::string_view text) {
  const std::string expected =
      fmt::format("a decimal integer in 0..{}", std::numeric_limits<std::uint64_t>::max());
  if (!decimal_integer(text, false)) refuse(option, text, expected);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) refuse(option, text, expected);
  return value;
}

double parse_real(std::string_view option, std::string_view text, double lo, double hi) {
  const std::string expected = fmt::format("a decimal number in [{:g}, {:g}]", lo, hi);
  if (!decimal_real(text)) refuse(option, text, expected);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < lo || value > hi) {
    refuse(option, text, expected);
  }
  return value;
}

}  // namespace tokencast::cli
