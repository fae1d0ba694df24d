#include "tokencast/results.hpp"

namespace tokencast {

const ModeCost* find_cost(const std::vector<ModeCost>& costs, Mode mode) {
  for (const ModeCost& cost : costs) {
    if (cost.mode == mode) return &cost;
  }
  return nullptr;
}

const ModeCost* RunResult::total_cost(Mode mode) const { return find_cost(total, mode); }

}  // namespace tokencast
