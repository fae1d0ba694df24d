#include <fmt/format.h>

#include "tokencast/output.hpp"

namespace tokencast {
namespace {

std::string format_tokens(double tokens) { return fmt::format("{:.3g}B", tokens / 1e9); }

}  // namespace

std::string warning_text(const RunWarning& w) {
  switch (w.code) {
    case WarningCode::capacity_infeasible:
      return fmt::format("{} '{}' is infeasible: {}", to_string(w.kind), w.subject, w.reason);
    case WarningCode::commitment_past_horizon:
      return fmt::format("{} '{}' commits to {} months but the horizon is {} month(s): costs cover the horizon only; "
                         "set months = {} to compare the whole commitment",
                         to_string(w.kind), w.subject, w.commitment_months, w.months, w.commitment_months);
    case WarningCode::capacity_drops_work:
      return fmt::format("{} '{}' drops work it cannot serve (overflow = \"drop\"): median {:.1f}% of the work of {}",
                         to_string(w.kind), w.subject, 100.0 * w.share, w.model);
    case WarningCode::batch_token_limit:
      return fmt::format("{}: in {} of {} months the p95 of the busiest day's batch tokens exceeds the {} "
                         "enqueued-token limit (p95 peak day {}); split the batches or move some of the work to "
                         "another model",
                         w.subject, w.months_over, w.months, format_tokens(w.limit_tokens),
                         format_tokens(w.peak_day_tokens));
    case WarningCode::precision_capped:
      return fmt::format("--precision stopped at {} trials: more would pass the run's memory or CPU limit "
                         "(docs/scenario-format.md#limits)",
                         w.trials);
  }
  return {};
}

}  // namespace tokencast
