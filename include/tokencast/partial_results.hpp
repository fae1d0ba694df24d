#pragma once
// A shard's partial result file (`--shard I/N`) and the checks `tokencast merge` makes before it
// adds the parts' units back together (docs/cluster.md, "The partial result format").
//
// The file: the line "tokencast-part\n", then little-endian u32 format version, u64 stored body
// bytes, u64 body bytes, u32 CRC-32 of the stored body; then the body, zstd-compressed: the
// identity (tool version, command, its arguments, the scenario file's name and text, --set
// values, seed, trials, unit count), the shard (I, N, its units [first, end)), and each unit's
// result bytes (work_units.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "tokencast/work_units.hpp"

namespace tokencast {

inline constexpr std::uint32_t partial_format_version = 1;

// What makes parts parts of one job.
struct PartIdentity {
  std::string tool_version;             // TOKENCAST_VERSION
  std::string command;                  // run, breakeven, sensitivity or sweep
  std::vector<std::string> arguments;   // after the command, less --shard, --output, --report, --threads, --timings
  std::string scenario_file;            // as given, or <embedded:quickstart.toml>
  std::string scenario_text;            // the file's contents when the shard ran
  std::vector<std::string> sets;        // the --set values
  std::uint64_t seed = 0;
  std::int64_t trials = 0;
  std::int64_t units = 0;               // the job's unit count
  // FNV-1a 64 of the scenario text and its --set values, in hex.
  std::string scenario_digest() const;
  // FNV-1a 64 of the command and its arguments, in hex.
  std::string arguments_digest() const;
  // Every field that makes two processes' work the same job, as one line (MPI ranks compare it).
  std::string job() const;
};

struct PartialResult {
  PartIdentity identity;
  int shard = 1, shards = 1;            // I of N
  UnitRange range;                      // the units it holds
  double compute_s = 0;                 // the shard's wall seconds computing them
  std::string format;                   // the shard's --format: what merge writes unless told otherwise
  std::string file;                     // where it was read from (not stored)
  std::vector<std::string> unit_bytes;  // units range.first .. range.end - 1
};

// The file's bytes (zstd level 3).
std::string encode_partial_result(const PartialResult& part);
// Throws InputError naming `file` when the bytes are not a partial result, are truncated, fail
// their checksum or do not parse.
PartialResult decode_partial_result(const std::string& bytes, const std::string& file);
// Reads and decodes a file (InputError naming it when it cannot be read).
PartialResult read_partial_result(const std::string& file);

// Checks that the parts are the shards of one job, each once, covering every unit: the same tool
// version, command, seed, scenario digest, arguments and shard count; no shard twice, none missing,
// no units overlapping. Throws InputError naming the file at fault (a missing shard names the
// parts given). Returns the parts in unit order.
std::vector<PartialResult> check_parts(std::vector<PartialResult> parts, const std::vector<std::string>& files);

}  // namespace tokencast
