#include "name_matching.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <tuple>

namespace tokencast::loader {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The part of a catalog id after the organisation: "Llama-3.3-70B" of "meta-llama/Llama-3.3-70B".
std::string_view tail(std::string_view id) {
  const auto slash = id.rfind('/');
  return slash == std::string_view::npos ? id : id.substr(slash + 1);
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  // Distance is quadratic in length; user text can be megabytes long.
  if (a.size() > limit || b.size() > limit) return limit + 1;
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_key(std::string_view key,
                                       std::span<const std::string_view> known) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;
  for (const std::string_view candidate : known) {
    const std::size_t distance = edit_distance(key, candidate);
    // Two edits turn any two-letter key into any other ("sd" into "mu"): that is no resemblance.
    if (distance >= std::min(key.size(), candidate.size())) continue;
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

std::vector<std::string> similar_ids(std::string_view id,
                                     const std::vector<std::string>& candidates,
                                     std::size_t max_count) {
  const std::string wanted = lower(id);
  const std::size_t tolerance = std::max<std::size_t>(2, wanted.size() / 4);
  std::vector<std::tuple<std::size_t, std::string>> scored;
  for (const std::string& candidate : candidates) {
    const std::string known = lower(candidate);
    const std::string known_tail(tail(known));
    const std::size_t distance =
        std::min(edit_distance(wanted, known, 200), edit_distance(wanted, known_tail, 200));
    const bool contains = !wanted.empty() && (known.find(wanted) != std::string::npos ||
                                              wanted.find(known_tail) != std::string::npos);
    // Containment ranks ahead of any edit distance.
    if (contains) {
      scored.emplace_back(0, candidate);
    } else if (distance <= tolerance) {
      scored.emplace_back(distance, candidate);
    }
  }
  std::sort(scored.begin(), scored.end());
  scored.erase(std::unique(scored.begin(), scored.end()), scored.end());
  std::vector<std::string> out;
  for (const auto& [distance, candidate] : scored) {
    if (out.size() == max_count) break;
    if (std::find(out.begin(), out.end(), candidate) == out.end()) out.push_back(candidate);
  }
  return out;
}

}  // namespace tokencast::loader
