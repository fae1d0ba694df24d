#pragma once
// Token counts of a log in bounded memory: every count below 4,096 exactly, larger ones in bins
// 0.2% wide, so that quantiles are exact below 4,096 and within 0.2% above, whatever the log's
// size (about 80 KB). The counts are integers; a continuous law that tokencast rounds per request
// is compared with them through the "continuized" law, each integer k spread evenly over
// [k - 1/2, k + 1/2) and each wide bin over its width, which rounds back to the data exactly.
#include <cstdint>
#include <vector>

namespace tokencast::fit {

class TokenHistogram {
 public:
  TokenHistogram();
  void add(double tokens);  // a count in [0, 1e9], already rounded

  std::uint64_t count() const { return total_; }
  std::size_t bins() const { return counts_.size(); }
  std::uint64_t count_in(std::size_t bin) const { return counts_[bin]; }
  // Bin i covers [lower(i), upper(i)) of the continuized law.
  double lower(std::size_t bin) const;
  double upper(std::size_t bin) const;
  // The continuized law's quantile (p in [0, 1]); the data's own quantiles are its rounded ones.
  double continuized_quantile(double p) const;
  // The continuized law's mean above x (x itself where nothing lies above).
  double continuized_mean_above(double x) const;
  // The data's quantile (type 1: the smallest count with at least a share p at or below it).
  double quantile(double p) const;
  std::size_t first_bin() const;  // of the smallest count seen
  std::size_t last_bin() const;   // of the largest

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace tokencast::fit
