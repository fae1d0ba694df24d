#pragma once
// A linear pre-scan of TOML text that refuses documents nested too deeply before TOML++ parses
// them: TOML++ recurses once per level of tables (in its parser and in its destructors), so a
// dotted key or table header of some tens of thousands of parts overflows the stack. Its own
// limit (TOML_MAX_NESTED_VALUES) covers inline arrays and tables only.
#include <string_view>

namespace tokencast::loader {

// Far above what a scenario needs (a distribution nested max_distribution_depth deep in a
// workload is under 20 levels) and far below where TOML++ runs out of stack.
inline constexpr int max_toml_nesting = 64;

// Throws an InputError at the first key part, header part or bracket that lies deeper than
// max_toml_nesting levels, with the key path as written so far. The estimate of depth errs high
// (a table header part counts twice, as it may step through an array of tables), never low.
// Anything else wrong with the text is left for the TOML parser to report.
void check_toml_nesting(std::string_view text, std::string_view file_name);

}  // namespace tokencast::loader
