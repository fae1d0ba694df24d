#pragma once
// Serving throughput of a model on a GPU, estimated from their specifications (a roofline):
// prefill from compute, decode from the bytes each step reads (weights and KV cache) and its
// compute, and the sequences that fit in memory. Formulas, calibration and limits:
// docs/throughput.md.
#include <cstdint>
#include <string>
#include <string_view>

#include "tokencast/scenario.hpp"

namespace tokencast {

// One accelerator's datasheet figures (dense, without sparsity).
struct AcceleratorSpec {
  std::string id;  // "H100-80GB": the same ids as the catalog's GPU prices
  double memory_gb = 0;
  double bf16_tflops = 0;
  double fp8_tflops = 0;  // 0: no FP8 tensor cores (FP8 weights are then computed in BF16)
  double memory_tb_per_s = 0;
  double interconnect_gb_per_s = 0;  // GPU-to-GPU, one direction, for tensor-parallel all-reduces
  bool nvlink = false;               // a switched GPU fabric (NVLink, Infinity Fabric), not PCIe
  std::string source;
  std::string as_of;
};

// A model's shape, from its public config.json.
struct ArchitectureSpec {
  std::string id;      // the catalog model id it describes
  std::string config;  // the public repository the figures come from
  double params_total = 0;
  double params_active = 0;  // per token: = params_total for a dense model
  int layers = 0;
  int hidden_size = 0;
  int attention_heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  std::int64_t context_tokens = 0;
  int experts = 0;             // routed experts per MoE layer; 0: dense
  int experts_per_token = 0;
  int mla_kv_dim = 0;          // multi-head latent attention: cached elements per layer and token
  int full_attention_layers = 0;  // layers keeping a full-length KV cache; 0: all of them
  std::string native_precision;
  std::string source;
};

enum class Precision { bf16, fp8 };
std::string_view to_string(Precision precision);

// Shares of the datasheet peaks an engine reaches (calibrated defaults: docs/throughput.md).
struct ServingEfficiency {
  double prefill_mfu = 0.55;       // share of peak FLOP/s in prefill
  double decode_mfu = 0.35;        // share of peak FLOP/s in a compute-bound decode step
  double decode_mbu = 0.675;       // share of peak memory bandwidth in a decode step
  double memory_fraction = 0.90;   // share of GPU memory an engine gives to weights and KV cache
  double allreduce_latency_s = 10e-6;  // per tensor-parallel all-reduce (two per layer)
};

struct RooflineInput {
  const ArchitectureSpec* model = nullptr;
  const AcceleratorSpec* gpu = nullptr;
  int tensor_parallel = 1;
  Precision precision = Precision::bf16;
  ServingEfficiency efficiency;
};

// Bytes of the model's weights, and of one token's KV cache (both at `precision`).
double weight_bytes(const RooflineInput& in);
double kv_bytes_per_token(const RooflineInput& in);
// Memory of the replica's GPUs left for the KV cache after the weights (negative: they do not fit).
double kv_budget_bytes(const RooflineInput& in);
// Sequences of `tokens_per_sequence` tokens whose KV cache fits beside the weights (0 if none).
std::int64_t sequences_in_memory(const RooflineInput& in, double tokens_per_sequence);

// Prompt tokens per second of one replica, for prompts of `input_tokens` (attention grows with it).
double prefill_tokens_per_s(const RooflineInput& in, double input_tokens);
// Seconds of one decode step with `batch` sequences whose mean context is `context_tokens`.
double decode_step_s(const RooflineInput& in, double batch, double context_tokens);
// Output tokens per second of the whole replica at that batch: batch / decode_step_s.
double decode_tokens_per_s(const RooflineInput& in, double batch, double context_tokens);

// f, the share of a full batch's decode step that does not grow with the batch (queueing.hpp),
// from a step's time at `low` sequences and at `full` (max_concurrency) sequences: the line through
// the two at 0 sequences over the full batch's step, kept within [0.01, 1]. 1 when low >= full (one
// point says nothing of the slope).
double decode_fixed_share(double low, double step_low_s, double full, double step_full_s);

// Output tokens per second of a replica that keeps `concurrency` requests of `input_tokens` in and
// `output_tokens` out running (a closed loop, as benchmarks drive it), prefill and decode sharing
// the GPUs: 1 / (input / (output x prefill rate) + step / batch). The batch is the concurrency, or
// as many sequences as fit in memory when fewer.
double output_tokens_per_s_at(const RooflineInput& in, double concurrency, double input_tokens,
                              double output_tokens);

// What an option serving a mix of `input_tokens` in and `output_tokens` out per request (means) gets
// from the estimate: the prefill rate at the mean prompt, the decode rate of `max_concurrency`
// sequences at mean context input + output/2, and the sequences that fit. `max_concurrency` 0: as
// many as fit, at most default_max_sequences. Requires that the weights and `max_concurrency`
// sequences fit (sequences_in_memory(in, input + output) >= max(1, max_concurrency)).
inline constexpr std::int64_t default_max_sequences = 256;  // vLLM's default max_num_seqs
ThroughputEstimateSpec estimate_throughput(const RooflineInput& in, double input_tokens, double output_tokens,
                                           int max_concurrency);

}  // namespace tokencast
