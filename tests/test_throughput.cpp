// The roofline throughput estimate (docs/throughput.md): closed forms of each term, the catalog's
// hardware and architectures, and every published serving point in ../shared/data/README.md
// within 25%.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tokencast/catalog.hpp"
#include "tokencast/throughput.hpp"

using namespace tokencast;

namespace {

const ArchitectureSpec& architecture(std::string_view id) {
  const ArchitectureSpec* spec = builtin_catalog().find_architecture(id);
  REQUIRE(spec != nullptr);
  return *spec;
}

const AcceleratorSpec& accelerator(std::string_view id) {
  const AcceleratorSpec* spec = builtin_catalog().find_accelerator(id);
  REQUIRE(spec != nullptr);
  return *spec;
}

constexpr std::string_view kLlama8b = "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo";
constexpr std::string_view kLlama70b = "meta-llama/Llama-3.3-70B-Instruct-Turbo";

RooflineInput input(std::string_view model, std::string_view gpu, int tensor_parallel, Precision precision) {
  RooflineInput in;
  in.model = &architecture(model);
  in.gpu = &accelerator(gpu);
  in.tensor_parallel = tensor_parallel;
  in.precision = precision;
  return in;
}

// A published point: what the model computes for it, and the figure.
struct PublishedPoint {
  std::string label;
  double published = 0;
  double estimated = 0;
};

std::string fmt_label(std::string_view engine, double in_tokens, double out_tokens, std::string_view what) {
  return std::string(engine) + " " + std::to_string(static_cast<int>(in_tokens)) + "/" +
         std::to_string(static_cast<int>(out_tokens)) + ", " + std::string(what);
}

double number_of(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ','), text.end());
  return std::stod(text);
}

// The TensorRT-LLM table and the NIM paragraph of ../shared/data/README.md, or nothing without it.
std::vector<PublishedPoint> published_points() {
  const std::filesystem::path readme = std::filesystem::path(TOKENCAST_SHARED_DIR) / "data" / "README.md";
  std::ifstream file(readme);
  if (!file) return {};
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  std::vector<PublishedPoint> points;

  // | model, hardware | 128/128 | 1000/1000 | ... (in/out tokens) |, then one row per engine.
  std::vector<std::pair<double, double>> shapes;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| model, hardware |", 0) == 0) {
      const std::regex shape(R"((\d+)/(\d+))");
      for (std::sregex_iterator it(line.begin(), line.end(), shape), end; it != end; ++it) {
        shapes.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
      }
      continue;
    }
    const bool llama8 = line.rfind("| Llama-3.1-8B FP8, 1x H100 |", 0) == 0;
    const bool llama70 = line.rfind("| Llama-3.3-70B FP8, 2x H100 (TP2) |", 0) == 0;
    if (!llama8 && !llama70) continue;
    const RooflineInput in = llama8 ? input(kLlama8b, "H100-80GB", 1, Precision::fp8)
                                    : input(kLlama70b, "H100-80GB", 2, Precision::fp8);
    const std::regex cell(R"(\|\s*([0-9][0-9,]*)\s*)");
    std::size_t column = 0;
    for (std::sregex_iterator it(line.begin(), line.end(), cell), end; it != end; ++it, ++column) {
      REQUIRE(column < shapes.size());
      const auto [in_tokens, out_tokens] = shapes[column];
      // "At max load": as many sequences as fit in memory.
      points.push_back({fmt_label(llama8 ? "Llama-3.1-8B FP8 1xH100" : "Llama-3.3-70B FP8 2xH100", in_tokens,
                                  out_tokens, "max load, output tok/s"),
                        number_of((*it)[1]), output_tokens_per_s_at(in, 1e9, in_tokens, out_tokens)});
    }
  }

  // NIM, Llama-3.3-70B FP8 TP2 on 2x H100, 5000 in / 500 out.
  std::string nim = text.substr(text.find("NVIDIA NIM"));
  nim = nim.substr(0, nim.find("\n\n"));
  std::replace(nim.begin(), nim.end(), '\n', ' ');
  const RooflineInput in = input(kLlama70b, "H100-80GB", 2, Precision::fp8);
  std::smatch m;
  REQUIRE(std::regex_search(nim, m, std::regex(R"(concurrency 1: TTFT (\d+) ms,\s+inter-token ([0-9.]+) ms)")));
  points.push_back({"NIM Llama-3.3-70B FP8 2xH100 5000/500, concurrency 1: TTFT s", number_of(m[1]) / 1000,
                    5000.0 / prefill_tokens_per_s(in, 5000)});
  points.push_back({"NIM Llama-3.3-70B FP8 2xH100 5000/500, concurrency 1: inter-token s", number_of(m[2]) / 1000,
                    decode_step_s(in, 1, 5000 + 250)});
  const std::regex loaded(R"((\d+): (?:TTFT )?[0-9.]+ m?s, ~?([0-9,]+)\s+tok/s)");
  for (std::sregex_iterator it(nim.begin(), nim.end(), loaded), end; it != end; ++it) {
    const double concurrency = number_of((*it)[1]);
    points.push_back({"NIM Llama-3.3-70B FP8 2xH100 5000/500, concurrency " + (*it)[1].str() + ": output tok/s",
                      number_of((*it)[2]), output_tokens_per_s_at(in, concurrency, 5000, 500)});
  }
  return points;
}

}  // namespace

TEST_CASE("roofline terms match their closed forms", "[throughput]") {
  const RooflineInput llama70_fp8_tp2 = input(kLlama70b, "H100-80GB", 2, Precision::fp8);
  const ArchitectureSpec& m = *llama70_fp8_tp2.model;
  // 2 (K and V) x 8 KV heads x 128 x 80 layers, one byte each; the heads shard over 2 GPUs.
  CHECK(kv_bytes_per_token(llama70_fp8_tp2) == 2.0 * 8 * 128 * 80);
  CHECK(kv_bytes_per_token(input(kLlama70b, "H100-80GB", 1, Precision::bf16)) == 2.0 * 8 * 128 * 80 * 2);
  // More GPUs than KV heads: each head is held twice.
  CHECK(kv_bytes_per_token(input(kLlama70b, "H100-80GB", 16, Precision::fp8)) == 2.0 * 8 * 128 * 80 * 2);
  CHECK(weight_bytes(llama70_fp8_tp2) == m.params_total);
  CHECK(kv_budget_bytes(llama70_fp8_tp2) == Approx(2 * 80e9 * 0.9 - m.params_total));
  CHECK(sequences_in_memory(llama70_fp8_tp2, 2000) ==
        static_cast<std::int64_t>(std::floor(kv_budget_bytes(llama70_fp8_tp2) / (2000 * 2.0 * 8 * 128 * 80))));

  // Prefill of a short prompt: FLOP/s at the MFU over 2 FLOPs a parameter (plus the ring transfer).
  const RooflineInput llama8 = input(kLlama8b, "H100-80GB", 1, Precision::fp8);
  const ServingEfficiency e;
  CHECK(prefill_tokens_per_s(llama8, 0) == Approx(e.prefill_mfu * 1978.9e12 / (2 * llama8.model->params_total)));
  CHECK(prefill_tokens_per_s(llama8, 4096) < prefill_tokens_per_s(llama8, 0));  // attention grows with the prompt
  // One sequence decodes at the memory roof: the weights read once per step.
  CHECK(decode_step_s(llama8, 1, 0) == Approx(llama8.model->params_total / (e.decode_mbu * 3.35e12)));
  // A large batch is compute-bound: batch x 2 x params at the decode MFU.
  CHECK(decode_step_s(llama8, 4096, 0) == Approx(4096 * 2 * llama8.model->params_total / (e.decode_mfu * 1978.9e12)));
  // Tensor parallelism adds two all-reduces a layer to every step.
  const double step_tp2 = decode_step_s(llama70_fp8_tp2, 1, 0);
  CHECK(step_tp2 == Approx(m.params_total / (e.decode_mbu * 2 * 3.35e12) + 2 * 80 * e.allreduce_latency_s +
                           2 * 80 * (8192 * 2.0 * 2 * 0.5) / 450e9));
}

TEST_CASE("a MoE decode step reads the active experts for one token and all of them for many", "[throughput]") {
  const RooflineInput in = input("deepseek-ai/DeepSeek-V3", "H200-141GB", 8, Precision::fp8);
  const ArchitectureSpec& m = *in.model;
  REQUIRE(m.experts > 0);
  const ServingEfficiency e;
  const double bandwidth = e.decode_mbu * 4.8e12 * 8;
  // One token routes to k of E experts: the step reads exactly the active parameters.
  const double allreduces = 2 * m.layers * (e.allreduce_latency_s + m.hidden_size * 2.0 * 2 * 7 / 8 / 450e9);
  CHECK(decode_step_s(in, 1, 0) == Approx(m.params_active / bandwidth + allreduces));
  // At a batch where every expert is routed to, the step reads all the weights: memory-bound still.
  const double all_read = decode_step_s(in, 2048, 0);
  CHECK(all_read >= m.params_total / bandwidth);
  // MLA caches one latent per layer and token, replicated on each GPU.
  CHECK(kv_bytes_per_token(in) == 576.0 * m.layers * 8);
}

TEST_CASE("the catalog holds the hardware and an architecture for every serverless model", "[throughput]") {
  const Catalog& catalog = builtin_catalog();
  for (const std::string_view id : {"H100-80GB", "H200-141GB", "B200-180GB", "A100-80GB", "L40S-48GB", "MI300X-192GB"}) {
    INFO(id);
    const AcceleratorSpec& gpu = accelerator(id);
    CHECK_FALSE(gpu.source.empty());
    CHECK(gpu.memory_tb_per_s > 0);
  }
  for (const ModelSpec& model : catalog.models) {
    INFO(model.id);
    const ArchitectureSpec* arch = catalog.find_architecture(model.id);
    REQUIRE(arch != nullptr);
    CHECK_FALSE(arch->source.empty());
    // Every model fits on eight of some catalog GPU in FP8, and then serves at a finite rate.
    bool fits = false;
    for (const AcceleratorSpec& gpu : catalog.accelerators) {
      RooflineInput in;
      in.model = arch;
      in.gpu = &gpu;
      in.tensor_parallel = 8;
      in.precision = Precision::fp8;
      if (arch->attention_heads % 8 != 0 || sequences_in_memory(in, 4096) < 1) continue;
      fits = true;
      CHECK(prefill_tokens_per_s(in, 1000) > 0);
      CHECK(std::isfinite(output_tokens_per_s_at(in, 64, 1000, 200)));
    }
    CHECK(fits);
  }
}

TEST_CASE("every published serving point in shared/data is estimated within 25%", "[throughput][shared-data]") {
  const std::vector<PublishedPoint> points = published_points();
  if (points.empty()) {
    WARN("../shared/data/README.md is absent: the published points are not checked");
    return;
  }
  CHECK(points.size() == 15);  // 10 TensorRT-LLM, 2 NIM at concurrency 1, 3 NIM under load
  std::printf("%-78s %12s %12s %8s\n", "published point", "published", "estimated", "error");
  for (const PublishedPoint& p : points) {
    const double error = p.estimated / p.published - 1;
    std::printf("%-78s %12.4g %12.4g %+7.1f%%\n", p.label.c_str(), p.published, p.estimated, 100 * error);
    INFO(p.label << ": published " << p.published << ", estimated " << p.estimated);
    CHECK(std::fabs(error) <= 0.25);
  }
}

TEST_CASE("the decode fixed share is the step's line through two batch sizes, at zero sequences", "[throughput]") {
  // A step of n sequences taking a + b n: the share of the full batch's step that is a.
  const double a = 0.010, b = 0.0001;
  CHECK(decode_fixed_share(1, a + b, 64, a + 64 * b) == Approx(a / (a + 64 * b)).epsilon(1e-12));
  CHECK(decode_fixed_share(8, a + 8 * b, 64, a + 64 * b) == Approx(a / (a + 64 * b)).epsilon(1e-12));
  CHECK(decode_fixed_share(64, a, 64, a + b) == 1.0);           // one point: no slope
  CHECK(decode_fixed_share(1, 0.001, 64, 0.100) == 0.01);       // a line through 0 below: the floor
  CHECK(decode_fixed_share(1, 0.010, 64, 0.010) == 1.0);        // batching free: one speed

  // The roofline estimate takes it from its own steps at 1 and at max_concurrency sequences.
  const RooflineInput in = input(kLlama70b, "H100-80GB", 2, Precision::fp8);
  const ThroughputEstimateSpec e = estimate_throughput(in, 1155, 211, 0);
  const double context = 1155 + 0.5 * 211;
  CHECK(e.decode_fixed_share == Approx(decode_fixed_share(1, decode_step_s(in, 1, context), e.max_concurrency,
                                                          decode_step_s(in, e.max_concurrency, context))));
  CHECK(e.decode_fixed_share > 0.01);
  CHECK(e.decode_fixed_share < 1.0);
}
