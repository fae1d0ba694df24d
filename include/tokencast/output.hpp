#pragma once
// Renderings of a run: terminal table, JSON (schema tokencast.result/1), long-form CSV.
#include <optional>
#include <string>
#include <string_view>

#include "tokencast/capacity_check.hpp"
#include "tokencast/catalog.hpp"
#include "tokencast/gpu_comparison.hpp"
#include "tokencast/results.hpp"

namespace tokencast {

inline constexpr std::string_view json_schema_id = "tokencast.result/1";

std::string format_table(const RunResult& result);
// The break-even figures of a run_breakeven result (utilization and volume), then the totals.
std::string format_breakeven_table(const RunResult& result);
// Cost percentiles per tag value, one table per --group-by key.
std::string format_group_tables(const RunResult& result);
// What `tokencast capacity` adds to a run: pool simulations of the peak hour (--simulate), the GPU
// comparison (--compare-gpus) and a trace replay (--replay), each when asked for.
struct CapacitySections {
  std::vector<PoolCheck> checks;
  std::optional<GpuComparison> gpus;
  std::optional<TraceReplay> replay;
};
// Capacity sizing per option (replicas by utilization and by latency objective), then the
// sections asked for.
std::string format_capacity_table(const RunResult& result, const CapacitySections& sections);
// The JSON (tokencast.result/1), indented 2, with a trailing newline.
std::string format_json(const RunResult& result);
// The JSON with the pool simulations beside it ("capacity_checks") and, when asked for, the GPU
// comparison ("gpu_comparison") and the replay ("replay").
std::string format_capacity_json(const RunResult& result, const CapacitySections& sections);
// A warning in words, as the table, the JSON and the report print it.
std::string warning_text(const RunWarning& warning);
// One line: each phase's wall seconds, the total and the serial share (--timings).
std::string format_timings(const RunPhases& phases);
// Long form: one row per statistic, columns section,name,model,mode,metric,month,statistic,value.
std::string format_csv(const RunResult& result);

// The price catalog's models and GPUs whose id contains `filter` (any case; all when empty): a
// table (terminal-safe) or JSON.
std::string format_catalog_table(const Catalog& catalog, std::string_view filter);
std::string format_catalog_json(const Catalog& catalog, std::string_view filter);

// `text` with everything a terminal would act on made visible: control characters (a line break
// aside) as \xNN, C1 controls and bidirectional overrides as \uNNNN, bytes that are not UTF-8
// as \xNN. Every table and message passes through it; applying it twice changes nothing more.
std::string terminal_safe(std::string_view text);

// Writes to PATH.tmp-XXXX next to it and renames over PATH, so PATH is never half-written and an
// existing PATH is untouched on failure (one output of write_outputs, output_files.hpp).
void write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace tokencast
