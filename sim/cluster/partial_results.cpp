// Partial result files: a shard's units with what makes them parts of one job, compressed with
// zstd and checksummed with CRC-32, and the checks a merge makes (include/tokencast/partial_results.hpp).
#include "tokencast/partial_results.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>
#include <zstd.h>

#include "../common/byte_stream.hpp"
#include "tokencast/errors.hpp"

namespace tokencast {
namespace {

constexpr std::string_view magic = "tokencast-part\n";
constexpr std::size_t header_bytes = magic.size() + 4 + 8 + 8 + 4;

std::uint64_t fnv1a(std::uint64_t h, std::string_view text) {
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // A separator: "ab","c" and "a","bc" differ.
  h ^= 0xff;
  h *= 0x100000001b3ULL;
  return h;
}
constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;

void put_strings(detail::ByteWriter& w, const std::vector<std::string>& v) {
  w.put<std::uint64_t>(v.size());
  for (const std::string& s : v) w.put_string(s);
}
std::vector<std::string> get_strings(detail::ByteReader& r) {
  const auto n = r.get<std::uint64_t>();
  std::vector<std::string> v;
  for (std::uint64_t i = 0; i < n; ++i) v.push_back(r.get_string());
  return v;
}

InputError bad(const std::string& file, const std::string& message) { return InputError({file, 0, 0}, "", message); }

}  // namespace

std::string PartIdentity::scenario_digest() const {
  std::uint64_t h = fnv1a(fnv_offset, scenario_text);
  for (const std::string& s : sets) h = fnv1a(h, s);
  return fmt::format("{:016x}", h);
}

std::string PartIdentity::arguments_digest() const {
  std::uint64_t h = fnv1a(fnv_offset, command);
  for (const std::string& s : arguments) h = fnv1a(h, s);
  return fmt::format("{:016x}", h);
}

std::string PartIdentity::job() const {
  return fmt::format("tokencast {} {} {} seed {} trials {} units {}", tool_version, scenario_digest(), arguments_digest(),
                     seed, trials, units);
}

std::string encode_partial_result(const PartialResult& part) {
  detail::ByteWriter body;
  const PartIdentity& id = part.identity;
  body.put_string(id.tool_version);
  body.put_string(id.command);
  put_strings(body, id.arguments);
  body.put_string(id.scenario_file);
  body.put_string(id.scenario_text);
  put_strings(body, id.sets);
  body.put(id.seed);
  body.put(id.trials);
  body.put(id.units);
  body.put<std::int32_t>(part.shard);
  body.put<std::int32_t>(part.shards);
  body.put(part.range.first);
  body.put(part.range.end);
  body.put(part.compute_s);
  body.put_string(part.format);
  body.put<std::uint64_t>(part.unit_bytes.size());
  for (const std::string& u : part.unit_bytes) body.put_string(u);
  const std::string& raw = body.bytes();

  std::string stored(ZSTD_compressBound(raw.size()), '\0');
  const std::size_t size = ZSTD_compress(stored.data(), stored.size(), raw.data(), raw.size(), 3);
  if (ZSTD_isError(size)) throw std::runtime_error(fmt::format("zstd: {}", ZSTD_getErrorName(size)));
  stored.resize(size);
  detail::ByteWriter file;
  file.bytes().append(magic);
  file.put<std::uint32_t>(partial_format_version);
  file.put<std::uint64_t>(stored.size());
  file.put<std::uint64_t>(raw.size());
  file.put<std::uint32_t>(static_cast<std::uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(stored.data()), stored.size())));
  file.bytes().append(stored);
  return std::move(file.bytes());
}

PartialResult decode_partial_result(const std::string& bytes, const std::string& file) {
  if (bytes.size() < magic.size() || std::string_view(bytes).substr(0, magic.size()) != magic) {
    throw bad(file, "not a tokencast partial result (it does not start with \"tokencast-part\"; written by --shard I/N)");
  }
  if (bytes.size() < header_bytes) {
    throw bad(file, fmt::format("truncated: {} bytes, shorter than the {}-byte header", bytes.size(), header_bytes));
  }
  detail::ByteReader header(std::string_view(bytes).substr(magic.size(), header_bytes - magic.size()));
  const auto format = header.get<std::uint32_t>();
  const auto stored = header.get<std::uint64_t>();
  const auto raw_size = header.get<std::uint64_t>();
  const auto crc = header.get<std::uint32_t>();
  if (format != partial_format_version) {
    throw bad(file, fmt::format("partial result format {} (this tokencast reads format {})", format, partial_format_version));
  }
  if (bytes.size() - header_bytes != stored) {
    throw bad(file, fmt::format("{}: {} bytes of body, expected {}",
                                bytes.size() - header_bytes < stored ? "truncated" : "corrupted (bytes past its end)",
                                bytes.size() - header_bytes, stored));
  }
  const char* body = bytes.data() + header_bytes;
  if (crc32_z(0L, reinterpret_cast<const Bytef*>(body), stored) != crc) {
    throw bad(file, "corrupted: its CRC-32 checksum does not match its contents");
  }
  // The header's body size, checked against the size the (checksummed) zstd frame records before
  // anything that large is allocated.
  if (ZSTD_getFrameContentSize(body, stored) != raw_size) throw bad(file, "corrupted: its header's body size is not its body's");
  std::string raw(raw_size, '\0');
  const std::size_t size = ZSTD_decompress(raw.data(), raw.size(), body, stored);
  if (ZSTD_isError(size) || size != raw_size) throw bad(file, "corrupted: its body does not decompress");
  PartialResult part;
  try {
    detail::ByteReader r(raw);
    PartIdentity& id = part.identity;
    id.tool_version = r.get_string();
    id.command = r.get_string();
    id.arguments = get_strings(r);
    id.scenario_file = r.get_string();
    id.scenario_text = r.get_string();
    id.sets = get_strings(r);
    id.seed = r.get<std::uint64_t>();
    id.trials = r.get<std::int64_t>();
    id.units = r.get<std::int64_t>();
    part.shard = r.get<std::int32_t>();
    part.shards = r.get<std::int32_t>();
    part.range.first = r.get<std::int64_t>();
    part.range.end = r.get<std::int64_t>();
    part.compute_s = r.get<double>();
    part.format = r.get_string();
    const auto n = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) part.unit_bytes.push_back(r.get_string());
    if (!r.done()) throw std::runtime_error("bytes after the record");
  } catch (const std::runtime_error& e) {
    throw bad(file, fmt::format("corrupted: its record does not parse ({})", e.what()));
  }
  // What merge runs again: one of the commands that split, with no option of its own.
  const PartIdentity& id = part.identity;
  if (id.command != "run" && id.command != "breakeven" && id.command != "sensitivity" && id.command != "sweep") {
    throw bad(file, fmt::format("corrupted: it records the command '{}' (expected run, breakeven, sensitivity or sweep)",
                                id.command));
  }
  for (const std::string& word : id.arguments) {
    if (word == "--shard" || word == "--output" || word == "-o" || word == "--report" || word.starts_with("--shard=") ||
        word.starts_with("--output=") || word.starts_with("--report=")) {
      throw bad(file, fmt::format("corrupted: its command line holds {}, which merge gives itself", word));
    }
  }
  if (part.shards < 1 || part.shard < 1 || part.shard > part.shards || part.range.first < 0 ||
      part.range.end < part.range.first || part.range.end > part.identity.units ||
      static_cast<std::int64_t>(part.unit_bytes.size()) != part.range.end - part.range.first) {
    throw bad(file, "corrupted: its shard and units do not agree");
  }
  return part;
}

PartialResult read_partial_result(const std::string& file) {
  std::string bytes;
  try {
    if (std::filesystem::is_directory(file)) throw bad(file, "a directory, not a partial result");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw bad(file, "cannot be read (no such file, or no permission)");
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw bad(file, "cannot be read");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw bad(file, fmt::format("cannot be read ({})", e.what()));
  }
  PartialResult part = decode_partial_result(bytes, file);
  part.file = file;
  return part;
}

std::vector<PartialResult> check_parts(std::vector<PartialResult> parts, const std::vector<std::string>& files) {
  if (parts.empty()) throw UsageError("merge: give the parts to merge");
  const PartIdentity& a = parts.front().identity;
  const std::string& first = files.front();
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const PartIdentity& b = parts[k].identity;
    const std::string& file = files[k];
    if (b.tool_version != a.tool_version) {
      throw bad(file, fmt::format("written by tokencast {}, {} by tokencast {}: the parts of a job come from one version",
                                  b.tool_version, first, a.tool_version));
    }
    if (b.command != a.command) {
      throw bad(file, fmt::format("a part of '{}', {} of '{}': parts of different commands", b.command, first, a.command));
    }
    if (b.seed != a.seed) {
      throw bad(file, fmt::format("seed {}, {} has seed {}: parts of different seeds", b.seed, first, a.seed));
    }
    if (b.scenario_digest() != a.scenario_digest() || b.scenario_file != a.scenario_file) {
      throw bad(file, fmt::format("scenario {} (digest {}), {} has {} (digest {}): parts of different scenarios",
                                  b.scenario_file, b.scenario_digest(), first, a.scenario_file, a.scenario_digest()));
    }
    if (b.arguments_digest() != a.arguments_digest() || b.trials != a.trials || b.units != a.units) {
      throw bad(file, fmt::format("a part of '{} {}', {} of '{} {}': parts of different command lines", b.command,
                                  fmt::join(b.arguments, " "), first, a.command, fmt::join(a.arguments, " ")));
    }
    if (parts[k].shards != parts.front().shards) {
      throw bad(file, fmt::format("shard {}/{}, {} is shard {}/{}: parts of different splits", parts[k].shard,
                                  parts[k].shards, first, parts.front().shard, parts.front().shards));
    }
  }
  std::map<int, std::size_t> by_shard;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const auto [at, inserted] = by_shard.emplace(parts[k].shard, k);
    if (!inserted) {
      throw bad(files[k], fmt::format("shard {}/{} again ({} holds it too): a duplicated shard", parts[k].shard,
                                      parts[k].shards, files[at->second]));
    }
  }
  const int shards = parts.front().shards;
  for (int i = 1; i <= shards; ++i) {
    if (by_shard.contains(i)) continue;
    std::vector<std::string> given;
    for (const auto& [shard, k] : by_shard) given.push_back(fmt::format("{} ({}/{})", files[k], shard, shards));
    throw bad(files.front(), fmt::format("shard {}/{} is missing: merge needs every shard's part (given: {})", i, shards,
                                         fmt::join(given, ", ")));
  }
  std::vector<PartialResult> ordered;
  std::int64_t next = 0;
  std::string previous;
  for (const auto& [shard, k] : by_shard) {
    const UnitRange r = parts[k].range;
    if (r.first != next) {
      throw bad(files[k], fmt::format("holds units [{}, {}), {} ends at unit {}: {}", r.first, r.end,
                                      previous.empty() ? std::string("the start") : previous, next,
                                      r.first < next ? "overlapping shards" : "units missing between the shards"));
    }
    next = r.end;
    previous = files[k];
    ordered.push_back(std::move(parts[k]));
  }
  if (next != a.units) {
    throw bad(files.front(), fmt::format("the shards hold units [0, {}) of {}: units missing", next, a.units));
  }
  return ordered;
}

}  // namespace tokencast
