#include "capacity_warnings.hpp"

namespace tokencast::detail {

void capacity_warnings(const RunPlan& plan, const ModelModes& modes, RunResult& result) {
  for (std::size_t mi = 0; mi < plan.models.size(); ++mi) {
    const ModelResult& m = result.models[mi];
    const auto& options_of_model = modes.options[mi];
    for (std::size_t k = 0; k < options_of_model.size(); ++k) {
      const auto& option = plan.capacity[options_of_model[k]];
      const CapacityKind kind = option.spec->kind;
      const CapacityResult& sized = *(kind == CapacityKind::dedicated ? m.dedicated : m.gpu_cluster);
      const ModeCost& cost = m.costs[m.costs.size() - options_of_model.size() + k];
      auto warn = [&](WarningCode code) -> RunWarning& {
        RunWarning& w = result.warnings.emplace_back();
        w.code = code;
        w.kind = kind;
        w.subject = option.spec->name;
        w.months = plan.months;
        return w;
      };
      if (!sized.feasible) warn(WarningCode::capacity_infeasible).reason = sized.infeasible_reason;
      if (option.spec->commitment_months > plan.months) {
        warn(WarningCode::commitment_past_horizon).commitment_months = option.spec->commitment_months;
      }
      if (option.spec->overflow == OverflowPolicy::drop && cost.total_usd.mean >= 0 && sized.overflow_share.p50 > 0) {
        RunWarning& w = warn(WarningCode::capacity_drops_work);
        w.model = m.model;
        w.share = sized.overflow_share.p50;
      }
    }
  }
}

}  // namespace tokencast::detail
