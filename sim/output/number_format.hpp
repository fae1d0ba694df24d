#pragma once
// Human-readable numbers for the terminal table (and later the HTML report). Machine outputs
// (JSON, CSV) never go through these: they keep full precision.
#include <string>
#include <string_view>

#include "tokencast/results.hpp"

namespace tokencast {

// "$12,000" (whole dollars from $100 up), "$0.60" (cents below $100), "<$0.01" for a positive
// amount that rounds to zero cents, "-$1,234" for negatives, "n/a" when not finite.
std::string format_usd(double usd);
// Rounded to a whole number with thousands separators: "1,234,568"; "n/a" when not finite.
std::string format_count(double count);
// A fraction as a percentage with one decimal: 0.1234 -> "12.3%"; "n/a" when not finite.
std::string format_percent(double fraction);
// "$1,234 – $5,678": the p5 to p95 range of a cost.
std::string usd_range(const Summary& s);
// A mode as people read it, in the table and the report alike: "serverless", "batch", "dedicated",
// "GPU cluster", "cheapest plan".
std::string_view mode_label(Mode mode);
// A price that may be uncertain: "5.49", or the range it can take, "3.99–6.49", or the
// distribution when unbounded.
std::string price_text(const Quantity& usd);
// Inserts "," every three digits into the integer part of a plain decimal ("-1234.5" -> "-1,234.5").
std::string group_thousands(std::string_view decimal);

}  // namespace tokencast
