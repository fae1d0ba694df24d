// The roofline throughput model (docs/throughput.md).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tokencast/throughput.hpp"

namespace tokencast {
namespace {

void require(bool condition, const char* message) {
  if (!condition) throw std::invalid_argument(message);
}

void check(const RooflineInput& in) {
  require(in.model != nullptr && in.gpu != nullptr, "roofline: a model and a GPU are needed");
  require(in.tensor_parallel >= 1, "roofline: tensor_parallel must be >= 1");
  require(in.model->params_total > 0 && in.model->params_active > 0 && in.model->layers > 0 &&
              in.model->hidden_size > 0 && in.model->attention_heads > 0 && in.model->kv_heads > 0 &&
              in.model->head_dim > 0,
          "roofline: the architecture's sizes must be > 0");
  require(in.gpu->memory_gb > 0 && in.gpu->bf16_tflops > 0 && in.gpu->memory_tb_per_s > 0,
          "roofline: the GPU's memory, FLOP/s and bandwidth must be > 0");
  require(in.tensor_parallel == 1 || in.gpu->interconnect_gb_per_s > 0,
          "roofline: tensor parallelism needs the GPU's interconnect bandwidth");
  const ServingEfficiency& e = in.efficiency;
  require(e.prefill_mfu > 0 && e.prefill_mfu <= 1 && e.decode_mfu > 0 && e.decode_mfu <= 1 && e.decode_mbu > 0 &&
              e.decode_mbu <= 1 && e.memory_fraction > 0 && e.memory_fraction <= 1 && e.allreduce_latency_s >= 0,
          "roofline: efficiencies must lie in (0, 1]");
}

double bytes_per_value(Precision precision) { return precision == Precision::fp8 ? 1.0 : 2.0; }

// FP8 weights on a GPU without FP8 tensor cores run as weight-only quantization: BF16 math.
double peak_flops(const RooflineInput& in) {
  const bool fp8 = in.precision == Precision::fp8 && in.gpu->fp8_tflops > 0;
  return (fp8 ? in.gpu->fp8_tflops : in.gpu->bf16_tflops) * 1e12 * in.tensor_parallel;
}

int kv_layers(const ArchitectureSpec& model) {
  return model.full_attention_layers > 0 ? model.full_attention_layers : model.layers;
}

// Attention FLOPs of one token against `context` earlier tokens (QK^T and AV, 2 FLOPs a MAC).
double attention_flops(const ArchitectureSpec& model, double context) {
  return 4.0 * kv_layers(model) * context * model.attention_heads * model.head_dim;
}

// Tensor parallelism adds two all-reduces per layer: moving `tokens` tokens' BF16 activations
// round a ring, and a fixed latency per all-reduce, which chunked prefill spreads over thousands
// of tokens but every decode step pays.
double allreduce_transfer_s(const RooflineInput& in, double tokens) {
  if (in.tensor_parallel == 1) return 0.0;
  const double p = in.tensor_parallel;
  const double ring_bytes = tokens * in.model->hidden_size * 2.0 * 2.0 * (p - 1.0) / p;
  return 2.0 * in.model->layers * ring_bytes / (in.gpu->interconnect_gb_per_s * 1e9);
}
double allreduce_latency_s(const RooflineInput& in) {
  return in.tensor_parallel == 1 ? 0.0 : 2.0 * in.model->layers * in.efficiency.allreduce_latency_s;
}

// Bytes of weights one decode step reads: a MoE step reads the dense part and every expert that
// any of the batch's tokens routes to (each picks k of E at random: 1 - (1 - k/E)^batch of them).
double weights_read_bytes(const RooflineInput& in, double batch) {
  const ArchitectureSpec& m = *in.model;
  const double per_param = bytes_per_value(in.precision);
  if (m.experts <= 0 || m.experts_per_token <= 0 || m.params_active >= m.params_total) {
    return m.params_total * per_param;
  }
  const double routed_share = static_cast<double>(m.experts_per_token) / m.experts;
  const double expert_params = (m.params_total - m.params_active) / (1.0 - routed_share);
  const double dense_params = m.params_total - expert_params;
  const double touched = 1.0 - std::pow(1.0 - routed_share, batch);
  return (dense_params + expert_params * touched) * per_param;
}

}  // namespace

std::string_view to_string(Precision precision) { return precision == Precision::fp8 ? "fp8" : "bf16"; }

double weight_bytes(const RooflineInput& in) {
  check(in);
  return in.model->params_total * bytes_per_value(in.precision);
}

double kv_bytes_per_token(const RooflineInput& in) {
  check(in);
  const ArchitectureSpec& m = *in.model;
  // GQA shards KV heads over the tensor-parallel GPUs, replicating them once there are fewer heads
  // than GPUs; an MLA latent is replicated on every GPU.
  double per_layer = 0, copies = 1;
  if (m.mla_kv_dim > 0) {
    per_layer = m.mla_kv_dim;
    copies = in.tensor_parallel;
  } else {
    per_layer = 2.0 * m.kv_heads * m.head_dim;
    copies = std::max(1.0, static_cast<double>(in.tensor_parallel) / m.kv_heads);
  }
  return per_layer * kv_layers(m) * bytes_per_value(in.precision) * copies;
}

double kv_budget_bytes(const RooflineInput& in) {
  check(in);
  return in.tensor_parallel * in.gpu->memory_gb * 1e9 * in.efficiency.memory_fraction - weight_bytes(in);
}

std::int64_t sequences_in_memory(const RooflineInput& in, double tokens_per_sequence) {
  require(tokens_per_sequence > 0 && std::isfinite(tokens_per_sequence),
          "sequences_in_memory: tokens per sequence must be finite and > 0");
  const double budget = kv_budget_bytes(in);
  if (!(budget > 0)) return 0;
  return static_cast<std::int64_t>(std::min(1e12, std::floor(budget / (tokens_per_sequence * kv_bytes_per_token(in)))));
}

double prefill_tokens_per_s(const RooflineInput& in, double input_tokens) {
  check(in);
  require(input_tokens >= 0 && std::isfinite(input_tokens), "prefill_tokens_per_s: input tokens must be >= 0");
  // A causal prompt's token attends to input/2 earlier tokens on average.
  const double flops = 2.0 * in.model->params_active + attention_flops(*in.model, 0.5 * input_tokens);
  const double compute_s = flops / (in.efficiency.prefill_mfu * peak_flops(in));
  return 1.0 / (compute_s + allreduce_transfer_s(in, 1.0));
}

double decode_step_s(const RooflineInput& in, double batch, double context_tokens) {
  check(in);
  require(batch >= 1 && std::isfinite(batch), "decode_step_s: batch must be >= 1");
  require(context_tokens >= 0 && std::isfinite(context_tokens), "decode_step_s: context must be >= 0");
  const double bytes = weights_read_bytes(in, batch) + batch * context_tokens * kv_bytes_per_token(in);
  const double memory_s = bytes / (in.efficiency.decode_mbu * in.gpu->memory_tb_per_s * 1e12 * in.tensor_parallel);
  const double flops = batch * (2.0 * in.model->params_active + attention_flops(*in.model, context_tokens));
  const double compute_s = flops / (in.efficiency.decode_mfu * peak_flops(in));
  return std::max(memory_s, compute_s) + allreduce_transfer_s(in, batch) + allreduce_latency_s(in);
}

double decode_tokens_per_s(const RooflineInput& in, double batch, double context_tokens) {
  return batch / decode_step_s(in, batch, context_tokens);
}

double output_tokens_per_s_at(const RooflineInput& in, double concurrency, double input_tokens,
                              double output_tokens) {
  require(concurrency >= 1 && output_tokens >= 1 && input_tokens >= 0,
          "output_tokens_per_s_at: need concurrency >= 1, output >= 1 and input >= 0 tokens");
  const double fit = static_cast<double>(sequences_in_memory(in, input_tokens + output_tokens));
  const double batch = std::min(concurrency, fit);
  if (batch < 1) return 0.0;
  // A sequence holds its prompt and, on average over its decode, half its output.
  const double step_s = decode_step_s(in, batch, input_tokens + 0.5 * output_tokens);
  const double prefill_s_per_output = input_tokens / (output_tokens * prefill_tokens_per_s(in, input_tokens));
  return 1.0 / (prefill_s_per_output + step_s / batch);
}

double decode_fixed_share(double low, double step_low_s, double full, double step_full_s) {
  require(low >= 0 && full >= 1 && step_low_s > 0 && step_full_s > 0 && std::isfinite(step_low_s) &&
              std::isfinite(step_full_s),
          "decode_fixed_share: need steps > 0 at low >= 0 and full >= 1 sequences");
  if (!(low < full)) return 1.0;
  const double per_sequence_s = (step_full_s - step_low_s) / (full - low);
  return std::clamp((step_full_s - per_sequence_s * full) / step_full_s, 0.01, 1.0);
}

ThroughputEstimateSpec estimate_throughput(const RooflineInput& in, double input_tokens, double output_tokens,
                                           int max_concurrency) {
  check(in);
  require(input_tokens >= 0 && output_tokens >= 1 && std::isfinite(input_tokens) && std::isfinite(output_tokens),
          "estimate_throughput: need input >= 0 and output >= 1 tokens");
  require(max_concurrency >= 0, "estimate_throughput: max_concurrency must be >= 0");
  const double sequence_tokens = input_tokens + output_tokens;
  const std::int64_t fit = sequences_in_memory(in, sequence_tokens);
  require(fit >= std::max(1, max_concurrency), "estimate_throughput: the sequences do not fit in memory");

  ThroughputEstimateSpec e;
  e.method = "roofline";
  e.gpu = in.gpu->id;
  e.tensor_parallel = in.tensor_parallel;
  e.precision = std::string(to_string(in.precision));
  e.prefill_mfu = in.efficiency.prefill_mfu;
  e.decode_mfu = in.efficiency.decode_mfu;
  e.decode_mbu = in.efficiency.decode_mbu;
  e.memory_fraction = in.efficiency.memory_fraction;
  e.input_tokens = input_tokens;
  e.output_tokens = output_tokens;
  e.weights_gb = weight_bytes(in) / 1e9;
  e.kv_budget_gb = kv_budget_bytes(in) / 1e9;
  e.kv_mb_per_sequence = sequence_tokens * kv_bytes_per_token(in) / 1e6;
  e.sequences_in_memory = fit;
  e.concurrency_from_memory = max_concurrency == 0;
  e.max_concurrency = max_concurrency > 0 ? max_concurrency : static_cast<int>(std::min(fit, default_max_sequences));
  e.prefill_tokens_per_s = prefill_tokens_per_s(in, input_tokens);
  // A running sequence holds its prompt and, on average over its decode, half its output.
  e.decode_tokens_per_s = decode_tokens_per_s(in, e.max_concurrency, input_tokens + 0.5 * output_tokens);
  e.decode_tokens_per_s_per_sequence = e.decode_tokens_per_s / e.max_concurrency;
  const double context = input_tokens + 0.5 * output_tokens;
  e.decode_fixed_share = decode_fixed_share(1, decode_step_s(in, 1, context), e.max_concurrency,
                                            decode_step_s(in, e.max_concurrency, context));
  return e;
}

}  // namespace tokencast
