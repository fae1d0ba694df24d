#pragma once
// Suggestions for misspelt names: the closest known key, or catalog ids resembling an unknown one.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tokencast::loader {

// Levenshtein distance; strings longer than `limit` characters count as `limit + 1` apart.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit = 64);

// The nearest known key within edit distance 2 of `key` (and fewer edits than the shorter of the
// two has characters); none when nothing is that close.
std::optional<std::string> closest_key(std::string_view key,
                                       std::span<const std::string_view> known);

// Up to `max_count` of `candidates` that contain, are contained in, or are a few edits from `id`
// (ignoring case), nearest first.
std::vector<std::string> similar_ids(std::string_view id,
                                     const std::vector<std::string>& candidates,
                                     std::size_t max_count = 5);

}  // namespace tokencast::loader
