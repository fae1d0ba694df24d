#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "../sim/report/report_charts.hpp"
#include "../sim/report/svg_chart.hpp"
#include "tokencast/report.hpp"

using namespace tokencast;

namespace {

Summary spread(double p50, double rel = 0.2) {
  Summary s;
  s.mean = p50 * 1.01;
  s.p5 = p50 * (1 - rel);
  s.p25 = p50 * (1 - rel / 3);
  s.p50 = p50;
  s.p75 = p50 * (1 + rel / 3);
  s.p95 = p50 * (1 + rel);
  s.p99 = p50 * (1 + 1.3 * rel);
  s.min = p50 * (1 - 1.5 * rel);
  s.max = p50 * (1 + 1.5 * rel);
  s.sd = p50 * rel / 1.645;
  s.n = 1000;
  s.mean_se = s.sd / std::sqrt(1000.0);
  return s;
}

Histogram bell(const Summary& s, int bins) {
  Histogram h;
  h.lo = s.min;
  h.hi = s.max;
  for (int i = 0; i < bins; ++i) {
    const double z = (i - (bins - 1) / 2.0) / (bins / 5.0);
    h.counts.push_back(std::round(100 * std::exp(-z * z / 2)));
  }
  return h;
}

ModeCost mode_cost(Mode mode, double p50, int months, int bins = 24) {
  ModeCost c;
  c.mode = mode;
  c.total_usd = spread(p50);
  c.histogram = bell(c.total_usd, bins);
  if (months > 1) {
    for (int m = 0; m < months; ++m) c.monthly_usd.push_back(spread(p50 / months * std::pow(1.04, m), 0.1 + 0.02 * m));
  }
  return c;
}

Quantity pert(double min, double mode, double max) {
  auto node = std::make_shared<DistNode>();
  node->kind = DistKind::pert;
  node->params = {Quantity(min), Quantity(mode), Quantity(max), Quantity(4.0)};
  return Quantity(std::shared_ptr<const DistNode>(node));
}

constexpr const char* llama = "meta-llama/Llama-3.3-70B-Instruct-Turbo";

Scenario synthetic_scenario(int months, bool capacity_details = false) {
  Scenario s;
  s.name = "Evil <b>&\" scenario";
  s.file = "scenarios/synthetic.toml";
  s.months = months;
  s.trials = 1000;
  s.seed = 7;
  ModelSpec m;
  m.id = llama;
  m.input_usd_per_mtok = 0.88;
  m.output_usd_per_mtok = 0.88;
  m.batch_discount = Quantity(0.5);
  m.from_catalog = true;
  m.source = "litellm";
  m.as_of = "2026-07-24";
  s.models.push_back(m);
  WorkloadSpec w;
  w.name = "chat";
  w.model = llama;
  w.requests_per_month = pert(2e7, 3e7, 4.5e7);
  w.input_tokens = 1155;
  w.output_tokens = 211;
  w.tags = {{"feature", "chat"}, {"env", "prod"}};
  s.workloads.push_back(w);
  w.name = "summaries";
  w.batchable = true;
  w.traffic.hourly_weights = std::array<double, 24>{};
  w.tags = {{"feature", "summaries"}};
  s.workloads.push_back(w);
  CapacitySpec d;
  d.kind = CapacityKind::dedicated;
  d.name = "dedicated-2xH100";
  d.model = llama;
  d.usd_per_gpu_hour = pert(3.99, 5.49, 6.49);
  d.gpus_per_replica = 2;
  d.prefill_tokens_per_s = 14000;
  d.decode_tokens_per_s = pert(3000, 4500, 6000);
  if (capacity_details) {
    d.max_concurrency = 64;
    d.slo_ttft_p95_s = 2.5;
    d.autoscale = CapacitySpec::Autoscale{2, 8, 1};
    d.monthly_minimum_usd = 5000;
    d.commitment_months = 3;
  }
  s.capacity.push_back(d);
  CapacitySpec g = d;
  g.kind = CapacityKind::gpu_cluster;
  g.slo_ttft_p95_s.reset();
  g.autoscale.reset();
  g.name = "cluster";
  g.replicas = 4;
  g.fixed_usd_per_month = 15000;
  s.capacity.push_back(g);
  return s;
}

struct Extras {
  bool breakeven = false;
  bool groups = false;
  bool capacity_details = false;  // slo and autoscale
};

CapacityResult capacity_result(CapacityKind kind, std::string name, int replicas) {
  CapacityResult c;
  c.kind = kind;
  c.name = std::move(name);
  c.plan = {replicas, replicas * 2, kind == CapacityKind::gpu_cluster ? 1 : 0};
  c.auto_sized = kind == CapacityKind::dedicated;
  c.sizing_replicas_needed = 5.4;
  c.utilization = spread(0.62, 0.1);
  c.overflow_share = spread(0.01, 0.5);
  c.usd_per_mtok = spread(0.41);
  c.peak_replicas_needed = spread(5.1);
  return c;
}

RunResult synthetic_result(int months, Extras extras) {
  RunResult r;
  r.scenario_name = "Evil <b>&\" scenario";
  r.scenario_file = "scenarios/synthetic.toml";
  r.catalog_as_of = "2026-07-24";
  r.trials = 1000;
  r.seed = 7;
  r.threads = 2;
  r.months = months;
  r.elapsed_s = 1.25;
  for (const char* name : {"chat", "summaries"}) {
    WorkloadResult w;
    w.name = name;
    w.model = llama;
    w.requests = spread(3e7 * months);
    w.costs = {mode_cost(Mode::serverless, 12345.0 * months, months)};
    r.workloads.push_back(w);
  }
  ModelResult m;
  m.model = llama;
  m.workloads = {"chat", "summaries"};
  m.costs = {mode_cost(Mode::serverless, 24690.0 * months, months), mode_cost(Mode::batch, 18000.0 * months, months),
             mode_cost(Mode::dedicated, 17000.0 * months, months), mode_cost(Mode::gpu_cluster, 21000.0 * months, months)};
  m.cheapest = Mode::dedicated;
  m.dedicated = capacity_result(CapacityKind::dedicated, "dedicated-2xH100", 6);
  m.gpu_cluster = capacity_result(CapacityKind::gpu_cluster, "cluster", 4);
  if (extras.capacity_details) {
    SloSizing slo;
    slo.peak_arrival_rate_per_s = 12.5;
    slo.mean_service_s = 3.2;
    slo.service_scv = 0.8;
    slo.replicas = 6;
    slo.wait_probability = 0.12;
    slo.wait_p95_s = 0.4;
    slo.ttft_p95_s = 0.9;
    m.dedicated->slo = slo;
    AutoscaleResult a;
    a.min_replicas = 2;
    a.max_replicas = 8;
    a.replica_hours = spread(3000 * months);
    a.saved_usd = spread(4000.0 * months);
    a.hours_at_max_overflowing = spread(3);
    m.dedicated->autoscale = a;
  }
  r.models.push_back(m);
  r.total = {mode_cost(Mode::serverless, 24690.0 * months, months), mode_cost(Mode::batch, 18000.0 * months, months),
             mode_cost(Mode::cheapest_plan, 17000.0 * months, months)};
  RunWarning& warning = r.warnings.emplace_back();
  warning.code = WarningCode::capacity_infeasible;
  warning.subject = "d1";
  warning.reason = "batch limit exceeded in month 3 <check>";
  if (extras.groups) {
    GroupBreakdown g;
    g.key = "feature";
    g.entries.push_back({"chat", {"chat"}, {mode_cost(Mode::serverless, 12345.0, months), mode_cost(Mode::cheapest_plan, 9000, months)}});
    g.entries.push_back({"summaries", {"summaries"}, {mode_cost(Mode::serverless, 12345.0, months)}});
    r.groups.push_back(g);
  }
  if (extras.breakeven) {
    BreakevenResult b;
    UtilizationCurve u;
    u.model = llama;
    u.option = "dedicated-2xH100";
    u.replicas = 6;
    for (int i = 1; i <= 20; ++i) {
      const double x = i / 20.0;
      u.option_usd_per_mtok.push_back({x, 0.3 / x * 0.8, 0.3 / x, 0.3 / x * 1.2});
    }
    u.serverless_usd_per_mtok = spread(0.88, 0.01);
    u.breakeven_utilization = spread(0.34, 0.2);
    u.probability_breakeven_reachable = 0.97;
    b.utilization.push_back(u);
    VolumeCurve v;
    v.model = llama;
    int replicas = 2;
    for (double mult : {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0}) {
      VolumePoint p;
      p.multiplier = mult;
      p.requests_per_month = 4.2e7 * mult;
      replicas = std::max(2, static_cast<int>(std::ceil(6 * mult)));
      p.costs = {mode_cost(Mode::serverless, 24690.0 * mult, 1), mode_cost(Mode::dedicated, 2900.0 * replicas, 1),
                 mode_cost(Mode::cheapest_plan, std::min(24690.0 * mult, 2900.0 * replicas), 1)};
      p.probability_cheaper["dedicated-2xH100"] = std::clamp((std::log10(mult) + 1) / 1.6, 0.0, 1.0);
      p.replicas["dedicated-2xH100"] = replicas;
      v.points.push_back(p);
    }
    VolumeBreakeven be;
    be.option = "dedicated-2xH100";
    be.requests_per_month_50 = 2.1e7;
    be.multiplier_50 = 0.5;
    be.requests_per_month_10 = 8e6;
    be.requests_per_month_90 = 6e7;
    v.breakeven.push_back(be);
    b.volume.push_back(v);
    r.breakeven = b;
  }
  return r;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Every <svg> closed before the next opens, none left open.
bool svgs_balanced(const std::string& html) {
  std::size_t at = 0;
  while ((at = html.find("<svg", at)) != std::string::npos) {
    const std::size_t close = html.find("</svg>", at);
    const std::size_t next = html.find("<svg", at + 4);
    if (close == std::string::npos || (next != std::string::npos && next < close)) return false;
    at = close;
  }
  return count(html, "<svg") == count(html, "</svg>");
}

// Numeric attribute values inside SVGs containing "nan" or "inf".
std::size_t bad_coordinates(const std::string& html) {
  static const std::regex attribute(R"re(\s(x|y|x1|x2|y1|y2|width|height|d|viewBox|transform)="([^"]*)")re");
  std::size_t bad = 0;
  std::size_t at = 0;
  while ((at = html.find("<svg", at)) != std::string::npos) {
    const std::size_t close = html.find("</svg>", at);
    const std::string svg = html.substr(at, close - at);
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), attribute); it != std::sregex_iterator(); ++it) {
      std::string value = (*it)[2];
      std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
      if (value.find("nan") != std::string::npos || value.find("inf") != std::string::npos) ++bad;
    }
    at = close;
  }
  return bad;
}

void check_well_formed(const std::string& html) {
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(svgs_balanced(html));
  CHECK(bad_coordinates(html) == 0);
  CHECK(html.find("</html>") != std::string::npos);
}

}  // namespace

TEST_CASE("report: one month, all optional sections", "[report]") {
  const Scenario scenario = synthetic_scenario(1, true);
  const std::string html = render_html_report(scenario, synthetic_result(1, {true, true, true}));
  check_well_formed(html);
  for (const char* heading : {">Scenario</h2>", ">Cost by model and mode</h2>", ">Cost by workload</h3>", ">Total cost</h3>",
                              ">Warnings</h3>", ">Cost distributions</h2>", ">Break-even</h2>", ">By utilization</h3>",
                              ">By volume</h3>", ">Capacity recommendations</h2>", ">Latency objective sizing</h3>",
                              ">Autoscaling</h3>", ">Breakdowns by tag</h2>"}) {
    INFO(heading);
    CHECK(count(html, heading) == 1);
  }
  // Sections come in the agreed order.
  const auto pos = [&](const char* id) { return html.find(id); };
  CHECK(pos("id=\"scenario\"") < pos("id=\"costs\""));
  CHECK(pos("id=\"costs\"") < pos("id=\"distributions\""));
  CHECK(pos("id=\"distributions\"") < pos("id=\"breakeven\""));
  CHECK(pos("id=\"breakeven\"") < pos("id=\"capacity\""));
  CHECK(pos("id=\"capacity\"") < pos("id=\"groups\""));
  CHECK(pos("id=\"groups\"") < pos("<footer>"));
  // No fan chart for a single month.
  CHECK(html.find("id=\"monthly\"") == std::string::npos);
  CHECK(html.find("cost per month (USD)\"") == std::string::npos);
  CHECK(html.find("Cost by month") == std::string::npos);
  // Money with thousands separators: a workload's serverless p50 and a model's.
  CHECK(html.find(">$12,345<") != std::string::npos);
  CHECK(html.find(">$24,690<") != std::string::npos);
  CHECK(html.find("(USD)") != std::string::npos);
  // Escaped scenario name, warning text, version and source file in the footer.
  CHECK(html.find("Evil &lt;b&gt;&amp;&quot; scenario") != std::string::npos);
  CHECK(html.find("<b>&") == std::string::npos);
  CHECK(html.find("month 3 &lt;check&gt;") != std::string::npos);
  CHECK(html.find(std::string("tokencast ") + TOKENCAST_VERSION) != std::string::npos);
  CHECK(html.find("generated from <code>scenarios/synthetic.toml</code>") != std::string::npos);
  CHECK(html.find("docs/cost-model.md") != std::string::npos);
  // Inputs: uncertain figures as written, certain ones in their unit.
  CHECK(html.find("<code>pert(min=3.99, mode=5.49, max=6.49") != std::string::npos);
  CHECK(html.find("$0.88") != std::string::npos);
  CHECK(html.find("hourly weights") != std::string::npos);
  CHECK(html.find("auto (at least 1)") != std::string::npos);
  CHECK(html.find("fixed: 4") != std::string::npos);
  CHECK(html.find("<span class=\"tag\">feature=summaries</span>") != std::string::npos);
  CHECK(html.find("TTFT ≤ 2.5 s") != std::string::npos);
  CHECK(html.find("2 – 8 replicas, every 1 h") != std::string::npos);
  CHECK(html.find("3 months") != std::string::npos);
  CHECK(html.find(">$5,000<") != std::string::npos);  // monthly minimum
  // The cheapest mode is marked.
  CHECK(count(html, "★ cheapest") == 1);
  // One bar per bin: 1 total + 4 modes of one model, 24 bins each.
  CHECK(count(html, "class=\"bar\"") == 5 * 24);
  // Break-even: u* p50 labelled, volume axis in compact counts, break-even volume stated.
  CHECK(html.find("u* p50 34.0%") != std::string::npos);
  CHECK(html.find(">10M<") != std::string::npos);
  CHECK(html.find("21,000,000 requests/month") != std::string::npos);
  // Tag breakdown and capacity details.
  CHECK(html.find("By tag <code>feature</code>") != std::string::npos);
  CHECK(html.find("0.90 s") != std::string::npos);  // TTFT p95
}

TEST_CASE("report: twelve months without optional sections", "[report]") {
  const std::string html = render_html_report(synthetic_scenario(12), synthetic_result(12, {}));
  check_well_formed(html);
  CHECK(count(html, ">Cost by month</h2>") == 1);
  // Fan charts: 3 total modes, the model's serverless and its cheapest (dedicated).
  CHECK(count(html, "cost per month (USD)</text>") == 5);
  CHECK(html.find("cost over 12 months (USD)") != std::string::npos);
  CHECK(html.find("month 12 p50") != std::string::npos);
  CHECK(html.find("id=\"breakeven\"") == std::string::npos);
  CHECK(html.find("id=\"groups\"") == std::string::npos);
  CHECK(html.find("Latency objective") == std::string::npos);
  CHECK(html.find("Autoscaling") == std::string::npos);
  CHECK(html.find("latency objective (p95)") == std::string::npos);
  CHECK(html.find("commitment") == std::string::npos);
  // Capacity recommendations still shown: the model has options.
  CHECK(count(html, ">Capacity recommendations</h2>") == 1);
}

TEST_CASE("report: degenerate data gives finite coordinates", "[report]") {
  Scenario scenario = synthetic_scenario(3);
  scenario.capacity.clear();
  RunResult r = synthetic_result(3, {true, false, false});
  Summary zero;  // every trial 0: zero-width ranges everywhere
  zero.n = 1000;
  for (ModeCost* c : {&r.total[0], &r.total[1], &r.total[2], &r.models[0].costs[0]}) {
    c->total_usd = zero;
    c->histogram = Histogram{0, 0, std::vector<double>(10, 0.0)};
    c->histogram.counts[0] = 1000;
    for (Summary& m : c->monthly_usd) m = zero;
  }
  r.models[0].dedicated.reset();
  r.models[0].gpu_cluster.reset();
  r.breakeven->utilization[0].option_usd_per_mtok.clear();
  r.breakeven->utilization[0].breakeven_utilization = Summary{};
  r.breakeven->volume[0].points.resize(1);
  r.breakeven->volume[0].breakeven.clear();
  const std::string html = render_html_report(scenario, r);
  check_well_formed(html);
  CHECK(html.find("id=\"capacity\"") == std::string::npos);
  CHECK(html.find("No break-even utilization in this result.") != std::string::npos);
  CHECK(html.find("No dedicated endpoint or GPU cluster options") != std::string::npos);
}

TEST_CASE("report: histogram figure draws one bar per bin and the percentiles", "[report]") {
  report::ChartIds ids;
  const ModeCost cost = mode_cost(Mode::serverless, 54321, 1, 37);
  const std::string svg = report::histogram_figure(ids, "H", cost, "cost (USD)");
  CHECK(count(svg, "class=\"bar\"") == 37);
  CHECK(svg.find("p50 $54,321") != std::string::npos);
  CHECK(svg.find("p5 $43,457") != std::string::npos);
  CHECK(svg.find("p95 $65,185") != std::string::npos);
  CHECK(svg.find(">trials</text>") != std::string::npos);
  CHECK(svg.find("id=\"chart1-plot\"") != std::string::npos);
  CHECK(report::histogram_figure(ids, "H", cost, "x").find("id=\"chart2-plot\"") != std::string::npos);
}

TEST_CASE("report: nice ticks and tick labels", "[report]") {
  using report::nice_ticks;
  CHECK(nice_ticks(0, 97) == std::vector<double>{0, 20, 40, 60, 80});
  CHECK(nice_ticks(0, 1, 5) == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0});
  const auto small = nice_ticks(0.013, 0.061, 5);
  REQUIRE(small.size() == 5);
  CHECK(small.front() == Approx(0.02));
  CHECK(small.back() == Approx(0.06));
  const report::Domain d = report::nice_domain(13, 97);
  CHECK(d.lo == 0);
  CHECK(d.hi == 100);
  CHECK(report::log_ticks(1e5, 1e7) == std::vector<double>{1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7});
  CHECK(report::log_ticks(1e3, 1e9).size() == 7);  // decades only
  const report::Domain ld = report::log_domain(3.3e6, 4.1e8);
  CHECK(ld.lo == Approx(2e6));
  CHECK(ld.hi == Approx(5e8));
  CHECK(report::usd_tick(12000) == "$12,000");
  CHECK(report::usd_tick(0) == "$0");
  CHECK(report::usd_tick(0.5) == "$0.50");
  CHECK(report::usd_tick(0.005) == "$0.005");
  CHECK(report::usd_tick(1.2e6) == "$1.2M");
  CHECK(report::usd_tick(3e9) == "$3B");
  CHECK(report::compact_count(1e6) == "1M");
  CHECK(report::compact_count(2.5e9) == "2.5B");
  CHECK(report::compact_count(500e3) == "500k");
  CHECK(report::percent_tick(0.4) == "40%");
  CHECK(report::coord(std::nan("")) == "0");
  CHECK(report::coord(-0.01) == "0.0");
}

TEST_CASE("report: degenerate domains and scales stay finite", "[report]") {
  const report::Domain same = report::safe_domain(5, 5);
  CHECK(same.lo == Approx(4.5));
  CHECK(same.hi == Approx(5.5));
  const report::Domain zero = report::safe_domain(0, 0);
  CHECK(zero.lo == -1);
  CHECK(zero.hi == 1);
  const report::Domain inf = report::safe_domain(-INFINITY, INFINITY);
  CHECK(inf.lo == 0);
  CHECK(inf.hi == 1);
  const report::Scale s = report::Scale::linear({3, 3}, 0, 100);
  CHECK(std::isfinite(s(3)));
  CHECK(s(3) == Approx(50));
  const report::Scale l = report::Scale::log({0, 0}, 0, 100);
  CHECK(std::isfinite(l(0)));
  CHECK(std::isfinite(l(-5)));
  CHECK(report::nice_ticks(7, 7).size() >= 2);
}
