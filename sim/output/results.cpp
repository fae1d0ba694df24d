#include "tokencast/results.hpp"

namespace tokencast {

const ModeCost* find_cost(const std::vector<ModeCost>& costs, std::string_view mode) {
  for (const ModeCost& cost : costs) {
    if (cost.mode == mode) return &cost;
  }
  return nullptr;
}

const ModeCost* RunResult::total_cost(std::string_view mode) const { return find_cost(total, mode); }

}  // namespace tokencast
