// `throughput = { estimate = "roofline", ... }` on a capacity option: its prefill and decode rates,
// GPUs per replica and concurrency from the catalog's accelerator and the model's architecture
// (docs/throughput.md).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "sections.hpp"
#include "tokencast/limits.hpp"
#include "tokencast/throughput.hpp"

namespace tokencast::loader {
namespace {

constexpr std::string_view kThroughputKeys[] = {"estimate",    "file",       "gpu",        "tensor_parallel",
                                                "precision",   "prefill_mfu", "decode_mfu", "decode_mbu",
                                                "memory_fraction"};
constexpr std::string_view kExample = R"({ estimate = "roofline", gpu = "H100-80GB", tensor_parallel = 2, precision = "fp8" })";
constexpr int kMaxTensorParallel = 64;
const ValueRange kEfficiency{0.0, 1.0, true, false};

std::string known_ids(const auto& entries) {
  std::vector<std::string_view> ids;
  for (const auto& entry : entries) ids.push_back(entry.id);
  return fmt::format("{}", fmt::join(ids, ", "));
}

Precision read_precision(const TableReader& table, const ArchitectureSpec& model) {
  const auto text = table.string("precision");
  if (!text) return default_precision(model);
  if (*text == "bf16") return Precision::bf16;
  if (*text == "fp8") return Precision::fp8;
  table.fail_key("precision", fmt::format("got '{}', expected \"bf16\" or \"fp8\"", *text));
}

const AcceleratorSpec& read_gpu(const TableReader& table, const Catalog& catalog, const CapacitySpec& spec) {
  const auto written = table.string("gpu");
  if (!written && spec.gpu.empty()) {
    table.fail_missing("gpu", fmt::format("an accelerator id, one of: {}", known_ids(catalog.accelerators)));
  }
  const std::string id = written.value_or(spec.gpu);
  const AcceleratorSpec* gpu = catalog.find_accelerator(id);
  if (gpu == nullptr) {
    table.fail_key("gpu", fmt::format("unknown accelerator (got '{}', expected one of: {})", id,
                                      known_ids(catalog.accelerators)));
  }
  if (written && !spec.gpu.empty() && *written != spec.gpu) {
    table.fail_key("gpu", fmt::format("differs from the option's gpu, whose price it pays (got '{}', expected '{}')",
                                      *written, spec.gpu));
  }
  return *gpu;
}

// The fewest GPUs (a divisor of the attention heads) that hold the weights, or 0 if none up to 64.
int fewest_gpus_holding(RooflineInput in) {
  for (int tp = 1; tp <= kMaxTensorParallel; ++tp) {
    if (in.model->attention_heads % tp != 0) continue;
    in.tensor_parallel = tp;
    if (kv_budget_bytes(in) > 0) return tp;
  }
  return 0;
}

// The slot model's rates from a measured curve (docs/throughput.md, "A measured curve").
void read_measured_throughput(const TableReader& option, const TableReader& table, CapacitySpec& spec) {
  for (const std::string_view key : kThroughputKeys) {
    if (key != "file" && table.find(key) != nullptr) {
      table.fail_key_name(key, fmt::format("a measured curve gives the rates itself; remove {} or file", key));
    }
  }
  const std::string written = table.required_string("file");
  std::filesystem::path path(written);
  if (path.is_relative()) path = std::filesystem::path(option.file()).parent_path() / path;
  const std::vector<MeasuredPoint> points = read_measured_curve(path.string());
  const MeasuredPoint& low = points.front();
  const MeasuredPoint& high = points.back();
  double m = spec.max_concurrency > 0 ? spec.max_concurrency : std::floor(high.concurrency);
  if (m < low.concurrency || m > high.concurrency) {
    option.fail_key("max_concurrency",
                    fmt::format("outside the curve's measured concurrencies (got {}, expected {}..{})", m,
                                low.concurrency, high.concurrency));
  }
  // Linear between the measured points around m.
  std::size_t k = 0;
  while (k + 1 < points.size() && points[k + 1].concurrency < m) ++k;
  const MeasuredPoint& a = points[k];
  const MeasuredPoint& b = points[std::min(k + 1, points.size() - 1)];
  const double w = b.concurrency == a.concurrency ? 0.0 : (m - a.concurrency) / (b.concurrency - a.concurrency);
  auto at = [&](double MeasuredPoint::*field) { return a.*field + w * (b.*field - a.*field); };
  const double throughput = at(&MeasuredPoint::output_tokens_per_s);
  const double input = at(&MeasuredPoint::input_tokens);
  const double output = at(&MeasuredPoint::output_tokens);
  // Prefill from the lowest concurrency's TTFT (least queueing); a slot is held, by Little's law,
  // m x output / throughput seconds a request, prefill included.
  const double prefill = low.input_tokens / low.ttft_s;
  const double slot_s = m * output / throughput;
  const double prefill_s = input / prefill;
  if (!(slot_s > prefill_s) || !(prefill > 0)) {
    table.fail_key("file", fmt::format("at concurrency {} the curve holds a request {:.3g} s, no longer than its "
                                       "prefill of {:.3g} s at the {:.0f} tokens/s its lowest-concurrency TTFT "
                                       "implies: the points disagree",
                                       m, slot_s, prefill_s, prefill));
  }
  ThroughputEstimateSpec estimate;
  estimate.method = "measured";
  estimate.file = path.string();
  estimate.gpu = spec.gpu;
  estimate.tensor_parallel = spec.gpus_per_replica;
  estimate.input_tokens = input;
  estimate.output_tokens = output;
  estimate.max_concurrency = static_cast<int>(m);
  estimate.prefill_tokens_per_s = prefill;
  estimate.decode_tokens_per_s = output * m / (slot_s - prefill_s);
  estimate.decode_tokens_per_s_per_sequence = estimate.decode_tokens_per_s / m;
  // A sequence's decode speed at the lowest concurrency against at m: a step takes the inverse.
  const double low_slot_s = low.concurrency * low.output_tokens / low.output_tokens_per_s;
  const double low_decode_s = low_slot_s - low.input_tokens / prefill;
  if (low.concurrency < m && low_decode_s > 0) {
    const double low_speed = low.output_tokens / low_decode_s;
    estimate.decode_fixed_share =
        decode_fixed_share(low.concurrency, 1.0 / low_speed, m, 1.0 / estimate.decode_tokens_per_s_per_sequence);
  }
  spec.decode_fixed_share = estimate.decode_fixed_share;
  spec.max_concurrency = static_cast<int>(m);
  spec.prefill_tokens_per_s = Quantity(estimate.prefill_tokens_per_s);
  spec.decode_tokens_per_s = Quantity(estimate.decode_tokens_per_s);
  spec.throughput_estimate = std::move(estimate);
}

}  // namespace

TokenMix mix_of(const std::string& model, const std::vector<WorkloadSpec>& workloads, double tokens_per_image) {
  double weight = 0, input = 0, output = 0;
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const WorkloadSpec& w = workloads[i];
    if (w.model != model) continue;
    const double volume = std::max(load_time_mean(w.requests_per_month, 3 * i), 1e-300);
    weight += volume;
    input += volume * load_time_mean(w.input_tokens, 3 * i + 1);
    if (w.images_per_request) input += volume * tokens_per_image * load_time_mean(*w.images_per_request, (1u << 22) + i);
    output += volume * load_time_mean(w.output_tokens, 3 * i + 2);
  }
  return {input / weight, std::max(1.0, output / weight)};
}

// 4-bit weights (MXFP4, INT4) are costed as 8-bit, which overstates their memory and bandwidth.
Precision default_precision(const ArchitectureSpec& model) {
  const std::string& native = model.native_precision;
  const bool eight_bit_or_less = native == "fp8" || native == "mxfp4" || native == "int4" || native == "nvfp4";
  return eight_bit_or_less ? Precision::fp8 : Precision::bf16;
}

void read_throughput_estimate(const TableReader& option, const Catalog& catalog,
                              const std::vector<WorkloadSpec>& workloads, double tokens_per_image, CapacitySpec& spec) {
  const toml::node* node = option.find("throughput");
  const toml::table* sub = node->as_table();
  if (sub == nullptr) {
    fail_at(option.file(), *node, option.path_of("throughput"),
            fmt::format("got {}, expected a table such as {}", type_name(*node), kExample));
  }
  const TableReader table(option.file(), *sub, option.path_of("throughput"));
  table.reject_unknown_keys(kThroughputKeys, "a throughput estimate takes estimate, gpu, tensor_parallel, "
                                             "precision, prefill_mfu, decode_mfu, decode_mbu, memory_fraction");
  for (const std::string_view typed : {"prefill_tokens_per_s", "decode_tokens_per_s", "decode_fixed_share"}) {
    if (option.find(typed) != nullptr) {
      option.fail_key_name(typed, fmt::format("{} is estimated by throughput; write one or the other", typed));
    }
  }
  if (table.find("file") != nullptr) {
    read_measured_throughput(option, table, spec);
    return;
  }
  const std::string method = table.required_string("estimate");
  if (method != "roofline") {
    table.fail_key("estimate", fmt::format("got '{}', expected \"roofline\"", method));
  }
  const AcceleratorSpec& gpu = read_gpu(table, catalog, spec);
  const ArchitectureSpec* model = catalog.find_architecture(spec.model);
  if (model == nullptr) {
    table.fail_here(fmt::format(
        "no architecture entry for model '{}' in the catalog, so its throughput cannot be estimated; write "
        "prefill_tokens_per_s and decode_tokens_per_s instead (models with an entry: {})",
        spec.model, known_ids(catalog.architectures)));
  }

  RooflineInput in;
  in.model = model;
  in.gpu = &gpu;
  in.precision = read_precision(table, *model);
  ServingEfficiency& e = in.efficiency;
  e.prefill_mfu = table.plain_number("prefill_mfu", kEfficiency).value_or(e.prefill_mfu);
  e.decode_mfu = table.plain_number("decode_mfu", kEfficiency).value_or(e.decode_mfu);
  e.decode_mbu = table.plain_number("decode_mbu", kEfficiency).value_or(e.decode_mbu);
  e.memory_fraction = table.plain_number("memory_fraction", kEfficiency).value_or(e.memory_fraction);

  in.tensor_parallel = static_cast<int>(table.integer("tensor_parallel", IntRange{1, kMaxTensorParallel}).value_or(1));
  const std::string_view tp_key = table.find("tensor_parallel") != nullptr ? "tensor_parallel" : "gpu";
  if (model->attention_heads % in.tensor_parallel != 0) {
    table.fail_key("tensor_parallel", fmt::format("must divide the model's {} attention heads (got {})",
                                                  model->attention_heads, in.tensor_parallel));
  }
  if (!(kv_budget_bytes(in) > 0)) {
    const int fewest = fewest_gpus_holding(in);
    table.fail_key(tp_key,
                   fmt::format("the weights of {} take {:.0f} GB at {}, more than {} x {} hold for weights and "
                               "cache ({:.0f} GB: memory_fraction {} of {} GB each) (got tensor_parallel = {}, "
                               "expected {})",
                               model->id, weight_bytes(in) / 1e9, to_string(in.precision), in.tensor_parallel, gpu.id,
                               in.tensor_parallel * gpu.memory_gb * e.memory_fraction, e.memory_fraction,
                               gpu.memory_gb, in.tensor_parallel,
                               fewest > 0 ? fmt::format("at least {}", fewest)
                                          : fmt::format("a GPU with more memory than {} x {}", kMaxTensorParallel,
                                                        gpu.id)));
  }
  if (const toml::node* written = option.find("gpus_per_replica");
      written != nullptr && spec.gpus_per_replica != in.tensor_parallel) {
    option.fail_key("gpus_per_replica",
                    fmt::format("differs from throughput.tensor_parallel (got {}, expected {})",
                                spec.gpus_per_replica, in.tensor_parallel));
  }
  spec.gpus_per_replica = in.tensor_parallel;

  const TokenMix mix = mix_of(spec.model, workloads, tokens_per_image);
  const double sequence_tokens = mix.input + mix.output;
  const std::int64_t fit = sequences_in_memory(in, sequence_tokens);
  if (fit < 1) {
    table.fail_key(tp_key, fmt::format("one sequence of {:.0f} tokens (the workloads' mean input + output) needs "
                                       "{:.2f} GB of KV cache; {:.2f} GB is left after the weights",
                                       sequence_tokens, sequence_tokens * kv_bytes_per_token(in) / 1e9,
                                       kv_budget_bytes(in) / 1e9));
  }
  if (spec.max_concurrency > fit) {
    option.fail_key("max_concurrency",
                    fmt::format("{} sequences of {:.0f} tokens need {:.1f} GB of KV cache, but {} x {} leave "
                                "{:.1f} GB after the weights (got {}, expected at most {})",
                                spec.max_concurrency, sequence_tokens,
                                spec.max_concurrency * sequence_tokens * kv_bytes_per_token(in) / 1e9,
                                in.tensor_parallel, gpu.id, kv_budget_bytes(in) / 1e9, spec.max_concurrency, fit));
  }
  ThroughputEstimateSpec estimate = estimate_throughput(in, mix.input, mix.output, spec.max_concurrency);
  spec.max_concurrency = estimate.max_concurrency;
  spec.prefill_tokens_per_s = Quantity(estimate.prefill_tokens_per_s);
  spec.decode_tokens_per_s = Quantity(estimate.decode_tokens_per_s);
  spec.decode_fixed_share = estimate.decode_fixed_share;
  spec.throughput_estimate = std::move(estimate);
}

}  // namespace tokencast::loader
