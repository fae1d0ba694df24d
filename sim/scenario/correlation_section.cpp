// [[correlation]] tables: uncertain inputs named by key path, and their rank correlations (one
// number for two inputs, a matrix for more), checked and factored for the Gaussian copula.
#include <cmath>
#include <numbers>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "sections.hpp"
#include "tokencast/errors.hpp"

namespace tokencast::loader {
namespace {

using Field = CorrelatedInput::Field;
using Entity = CorrelatedInput::Entity;

constexpr std::string_view kCorrelationKeys[] = {"inputs", "rank_correlation", "matrix"};

// The input a path names, or a message saying why it names none.
std::optional<CorrelatedInput> input_of(const std::string& path, const Scenario& s, const toml::table& root,
                                        std::string& why) {
  const std::size_t open = path.find('['), close = path.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open || close + 1 >= path.size() ||
      path[close + 1] != '.') {
    why = "expected KIND[INDEX].FIELD, e.g. workload[0].requests_per_month or dedicated[1].usd_per_gpu_hour";
    return std::nullopt;
  }
  const std::string kind = path.substr(0, open), suffix = path.substr(close + 2);
  // Digits only, no leading zero and at most 9 of them: one spelling per input.
  const std::string digits = path.substr(open + 1, close - open - 1);
  if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0') ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    why = fmt::format("the index must be a whole number written plainly, e.g. [0] or [12] (got [{}])", digits);
    return std::nullopt;
  }
  const int index = std::stoi(digits);
  CorrelatedInput in;
  in.path = path;
  in.index = index;
  std::size_t count = 0;
  if (kind == "workload") {
    in.entity = Entity::workload;
    count = s.workloads.size();
  } else if (kind == "dedicated" || kind == "gpu_cluster") {
    in.entity = Entity::capacity;
    // [[dedicated]] and [[gpu_cluster]] tables are numbered apart; Scenario::capacity holds both.
    const CapacityKind wanted = kind == "dedicated" ? CapacityKind::dedicated : CapacityKind::gpu_cluster;
    int seen = -1;
    in.index = -1;
    for (std::size_t c = 0; c < s.capacity.size(); ++c) {
      if (s.capacity[c].kind == wanted && ++seen == index) in.index = static_cast<int>(c);
    }
    count = static_cast<std::size_t>(seen + 1);
  } else if (kind == "model") {
    in.entity = Entity::model;
    // [[model]] tables by their order in the file; the run's models by first use.
    const toml::array* tables = root["model"].as_array();
    count = tables != nullptr ? tables->size() : 0;
    if (static_cast<std::size_t>(index) < count) {
      const auto id = (*tables)[static_cast<std::size_t>(index)].as_table()->get_as<std::string>("id");
      in.index = -1;
      for (std::size_t m = 0; id != nullptr && m < s.models.size(); ++m) {
        if (s.models[m].id == id->get()) in.index = static_cast<int>(m);
      }
      if (in.index < 0) {
        why = fmt::format("model[{}] is used by no workload or capacity option: it is not drawn", index);
        return std::nullopt;
      }
    }
  } else {
    why = fmt::format("'{}' is not a kind of table with uncertain inputs (expected workload, model, dedicated or "
                      "gpu_cluster)",
                      kind);
    return std::nullopt;
  }
  if (static_cast<std::size_t>(index) >= count) {
    why = fmt::format("the scenario has no {}[{}] ({} {} table{})", kind, index, count, kind, count == 1 ? "" : "s");
    return std::nullopt;
  }
  if (const auto field = field_named(in.entity, suffix)) {
    in.field = *field;
    return in;
  }
  why = fmt::format("'{}' is not an uncertain input a {} can correlate (expected one of {})", suffix, kind,
                    field_keys(in.entity));
  return std::nullopt;
}

}  // namespace

}  // namespace tokencast::loader

namespace tokencast::loader {

std::vector<CorrelationSpec> read_correlations(const TableReader& root, const Scenario& scenario) {
  std::vector<CorrelationSpec> out;
  std::set<std::tuple<Entity, int, Field>> taken;
  for (const TableReader& table : root.array_of_tables("correlation")) {
    table.reject_unknown_keys(kCorrelationKeys);
    CorrelationSpec spec;
    const toml::node* inputs_node = table.find("inputs");
    if (inputs_node == nullptr) table.fail_missing("inputs", "a [[correlation]] names two or more uncertain inputs");
    const toml::array* inputs = inputs_node->as_array();
    if (inputs == nullptr || inputs->size() < 2) {
      fail_at(table.file(), *inputs_node, table.path_of("inputs"),
              "expected an array of two or more key paths, e.g. [\"workload[0].requests_per_month\", "
              "\"workload[1].requests_per_month\"]");
    }
    for (std::size_t k = 0; k < inputs->size(); ++k) {
      const toml::node& node = *inputs->get(k);
      const std::string at = element_path(table.path_of("inputs"), k);
      const auto* text = node.as_string();
      if (text == nullptr) fail_at(table.file(), node, at, fmt::format("got {}, expected a key path string", type_name(node)));
      std::string why;
      const auto input = input_of(text->get(), scenario, root.table(), why);
      if (!input) fail_at(table.file(), node, at, fmt::format("{}: {}", text->get(), why));
      const Quantity* q = input_quantity(scenario, *input);
      if (q == nullptr || q->is_certain()) {
        fail_at(table.file(), node, at,
                fmt::format("{} is not uncertain ({}): a correlation joins uncertain inputs", text->get(),
                            q == nullptr ? "not set" : fmt::format("the constant {}", format_number(q->constant()))));
      }
      if (!taken.insert({input->entity, input->index, input->field}).second) {
        fail_at(table.file(), node, at, fmt::format("{} is already in a correlation: each input in one at most", text->get()));
      }
      spec.inputs.push_back(*input);
    }
    const std::size_t n = spec.inputs.size();
    spec.spearman.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) spec.spearman[i * n + i] = 1.0;
    const toml::node* rho = table.find("rank_correlation");
    const toml::node* matrix = table.find("matrix");
    if ((rho == nullptr) == (matrix == nullptr)) {
      table.fail_here("give exactly one of rank_correlation (two inputs) or matrix (n x n)");
    }
    if (rho != nullptr) {
      if (n != 2) {
        fail_at(table.file(), *rho, table.path_of("rank_correlation"),
                fmt::format("one number joins two inputs; for {} give matrix = [[...], ...] ({} x {})", n, n, n));
      }
      const double r = read_finite_number(table.file(), *rho, table.path_of("rank_correlation"), "a number in [-1, 1]");
      if (r < -1 || r > 1) {
        fail_at(table.file(), *rho, table.path_of("rank_correlation"), fmt::format("out of range (got {}, expected [-1, 1])", format_number(r)));
      }
      spec.spearman[1] = spec.spearman[2] = r;
    } else {
      const std::string path = table.path_of("matrix");
      const toml::array* rows = matrix->as_array();
      if (rows == nullptr || rows->size() != n) {
        fail_at(table.file(), *matrix, path, fmt::format("expected {} rows of {} numbers, one per input", n, n));
      }
      for (std::size_t i = 0; i < n; ++i) {
        const toml::array* row = rows->get(i)->as_array();
        if (row == nullptr || row->size() != n) {
          fail_at(table.file(), *rows->get(i), element_path(path, i), fmt::format("expected a row of {} numbers", n));
        }
        for (std::size_t j = 0; j < n; ++j) {
          const std::string at = fmt::format("{}[{}][{}]", path, i, j);
          const double v = read_finite_number(table.file(), *row->get(j), at, "a number in [-1, 1]");
          if (v < -1 || v > 1) fail_at(table.file(), *row->get(j), at, fmt::format("out of range (got {}, expected [-1, 1])", format_number(v)));
          if (i == j && v != 1) fail_at(table.file(), *row->get(j), at, fmt::format("the diagonal must be 1 (got {})", format_number(v)));
          spec.spearman[i * n + j] = v;
        }
      }
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (spec.spearman[i * n + j] != spec.spearman[j * n + i]) {
            fail_at(table.file(), *rows->get(i)->as_array()->get(j), fmt::format("{}[{}][{}]", path, i, j),
                    fmt::format("the matrix must be symmetric (got {} here and {} at [{}][{}])",
                                format_number(spec.spearman[i * n + j]), format_number(spec.spearman[j * n + i]), j, i));
          }
        }
      }
    }
    CopulaFactor factor = copula_factor(spec.spearman, n);
    if (factor.not_psd_at) {
      const std::size_t j = *factor.not_psd_at;
      const toml::node& where = matrix != nullptr ? *matrix : *rho;
      fail_at(table.file(), where, table.path_of(matrix != nullptr ? "matrix" : "rank_correlation"),
              fmt::format("not positive semi-definite: the correlations of inputs 0..{} leave a variance of {:.3g} "
                          "for input {} ({}), expected >= 0; no joint law has them",
                          j, factor.residual_variance, j, spec.inputs[j].path));
    }
    spec.cholesky = std::move(factor.cholesky);
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace tokencast::loader
