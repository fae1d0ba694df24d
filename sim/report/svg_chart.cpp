#include "svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "../output/number_format.hpp"
#include "html_text.hpp"

namespace tokencast::report {
namespace {

constexpr double font_size = 12;
constexpr double char_width = 6.6;  // average advance of a 12-unit sans-serif glyph
constexpr double left_margin = 84;   // room for "$1,000,000" tick labels and the axis label
constexpr double right_margin = 24;
constexpr double bottom_margin = 46;  // tick labels and axis label
constexpr double legend_row_height = 18;

double text_width(std::string_view text) {
  // Count code points, not bytes ("–" is one glyph).
  const auto glyphs = std::count_if(text.begin(), text.end(),
                                    [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  return char_width * static_cast<double>(glyphs);
}

// "1.50" -> "1.5", "2.00" -> "2".
std::string trim_decimals(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// A 1-2-5 step as factor x 10^exponent, kept apart so multiples are computed without drift.
struct Step {
  double factor = 1;
  int exponent = 0;
  double value() const { return at(1); }
  // i steps, rounded as the decimal it stands for (3 x 0.2 gives 0.6, not 0.6000000000000001).
  double at(long long i) const {
    const double multiple = static_cast<double>(i) * factor;
    return exponent >= 0 ? multiple * std::pow(10.0, exponent) : multiple / std::pow(10.0, -exponent);
  }
};

Step nice_step(double span, int target) {
  const double rough = span / std::max(target, 1);
  const int exponent = static_cast<int>(std::floor(std::log10(rough)));
  const double r = rough / std::pow(10.0, exponent);
  if (r >= 7) return {1, exponent + 1};
  return {r < 1.5 ? 1.0 : r < 3 ? 2.0 : 5.0, exponent};
}

std::string dash_attribute(bool dashed) { return dashed ? " stroke-dasharray=\"5 4\"" : ""; }

}  // namespace

std::string_view mode_colour(Mode mode) {
  if (mode == Mode::serverless) return palette::blue;
  if (mode == Mode::batch) return palette::green;
  if (mode == Mode::dedicated) return palette::vermillion;
  if (mode == Mode::gpu_cluster) return palette::purple;
  if (mode == Mode::cheapest_plan) return palette::orange;
  return palette::black;
}

Domain safe_domain(double lo, double hi) {
  if (!std::isfinite(lo) && !std::isfinite(hi)) return {0, 1};
  if (!std::isfinite(lo)) lo = hi;
  if (!std::isfinite(hi)) hi = lo;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= std::fabs(hi) * 1e-12) {
    const double half = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    return {lo - half, hi + half};
  }
  return {lo, hi};
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  const Domain d = safe_domain(lo, hi);
  const Step step = nice_step(d.hi - d.lo, target);
  const auto first = static_cast<long long>(std::ceil(d.lo / step.value() - 1e-9));
  const auto last = static_cast<long long>(std::floor(d.hi / step.value() + 1e-9));
  std::vector<double> ticks;
  for (long long i = first; i <= last; ++i) ticks.push_back(step.at(i));
  return ticks;
}

Domain nice_domain(double lo, double hi, int target) {
  const Domain d = safe_domain(lo, hi);
  const Step step = nice_step(d.hi - d.lo, target);
  return {step.at(static_cast<long long>(std::floor(d.lo / step.value() + 1e-9))),
          step.at(static_cast<long long>(std::ceil(d.hi / step.value() - 1e-9)))};
}

Domain log_domain(double lo, double hi) {
  if (!(hi > 0) || !std::isfinite(hi)) hi = 1;
  if (!(lo > 0) || !std::isfinite(lo)) lo = hi / 10;
  if (lo > hi) std::swap(lo, hi);
  constexpr double steps[] = {1, 2, 5, 10};
  const double lo_magnitude = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
  double nice_lo = lo_magnitude;
  for (double f : steps) {
    if (f * lo_magnitude <= lo * (1 + 1e-9)) nice_lo = f * lo_magnitude;
  }
  const double hi_magnitude = std::pow(10.0, std::floor(std::log10(hi) - 1e-9));
  double nice_hi = 10 * hi_magnitude;
  for (double f : {10.0, 5.0, 2.0, 1.0}) {
    if (f * hi_magnitude >= hi * (1 - 1e-9)) nice_hi = f * hi_magnitude;
  }
  if (nice_hi <= nice_lo) nice_hi = nice_lo * 10;
  return {nice_lo, nice_hi};
}

std::vector<double> log_ticks(double lo, double hi) {
  const Domain d = log_domain(lo, hi);
  const double decades = std::log10(d.hi / d.lo);
  const bool fine = decades < 3;
  const int stride = std::max(1, static_cast<int>(std::ceil(decades / 7)));
  std::vector<double> ticks;
  const int first = static_cast<int>(std::floor(std::log10(d.lo) + 1e-9));
  const int last = static_cast<int>(std::ceil(std::log10(d.hi) - 1e-9));
  for (int k = first; k <= last; ++k) {
    if ((k - first) % stride != 0) continue;
    for (double f : {1.0, 2.0, 5.0}) {
      if (f != 1 && !fine) continue;
      const double v = f * std::pow(10.0, k);
      if (v >= d.lo * (1 - 1e-9) && v <= d.hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

Scale Scale::linear(Domain domain, double from, double to) {
  Scale s;
  s.domain_ = safe_domain(domain.lo, domain.hi);
  s.from_ = from;
  s.to_ = to;
  return s;
}

Scale Scale::log(Domain domain, double from, double to) {
  Scale s;
  // The caller's bounds when usable; otherwise (non-positive, equal, non-finite) widened ones.
  const bool usable = domain.lo > 0 && domain.hi > domain.lo && std::isfinite(domain.hi);
  s.domain_ = usable ? domain : log_domain(domain.lo, domain.hi);
  s.from_ = from;
  s.to_ = to;
  s.log_ = true;
  return s;
}

double Scale::operator()(double value) const {
  double t = 0;
  if (log_) {
    const double v = value > 0 && std::isfinite(value) ? std::max(value, domain_.lo * 1e-3) : domain_.lo;
    t = std::log(v / domain_.lo) / std::log(domain_.hi / domain_.lo);
  } else {
    t = std::isfinite(value) ? (value - domain_.lo) / (domain_.hi - domain_.lo) : 0.0;
  }
  return from_ + t * (to_ - from_);
}

std::string usd_tick(double usd) {
  if (!std::isfinite(usd)) return "n/a";
  const double magnitude = std::fabs(usd);
  const std::string sign = usd < 0 ? "-" : "";
  if (magnitude == 0) return "$0";
  if (magnitude >= 1e6) {
    const bool billions = magnitude >= 1e9;
    const double scaled = magnitude / (billions ? 1e9 : 1e6);
    return fmt::format("{}${}{}", sign, trim_decimals(fmt::format("{:.2f}", scaled)), billions ? "B" : "M");
  }
  if (std::fabs(magnitude - std::round(magnitude)) < 1e-9 * std::max(1.0, magnitude)) {
    return fmt::format("{}${}", sign, group_thousands(fmt::format("{:.0f}", magnitude)));
  }
  std::string digits = trim_decimals(fmt::format("{:.4f}", magnitude));
  // Cents keep two decimals: "$0.50", not "$0.5".
  const std::size_t point = digits.find('.');
  if (point != std::string::npos && digits.size() - point - 1 < 2) digits += '0';
  return fmt::format("{}${}", sign, group_thousands(digits));
}

std::string compact_count(double count) {
  if (!std::isfinite(count)) return "n/a";
  const double magnitude = std::fabs(count);
  const std::string sign = count < 0 ? "-" : "";
  if (magnitude >= 1e9) return sign + trim_decimals(fmt::format("{:.2f}", magnitude / 1e9)) + "B";
  if (magnitude >= 1e6) return sign + trim_decimals(fmt::format("{:.2f}", magnitude / 1e6)) + "M";
  if (magnitude >= 1e3) return sign + trim_decimals(fmt::format("{:.2f}", magnitude / 1e3)) + "k";
  return sign + trim_decimals(fmt::format("{:.2f}", magnitude));
}

std::string percent_tick(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  std::string text = trim_decimals(fmt::format("{:.1f}", fraction * 100));
  if (text == "-0") text = "0";
  return text + "%";
}

std::string coord(double value) {
  if (!std::isfinite(value)) return "0";
  std::string text = fmt::format("{:.1f}", value);
  return text == "-0.0" ? "0.0" : text;
}

SvgChart::SvgChart(std::string id, double width, double height, std::string title, std::vector<LegendEntry> legend,
                   int label_rows)
    : id_(std::move(id)),
      width_(width),
      height_(height),
      title_(std::move(title)),
      legend_(std::move(legend)),
      label_rows_(label_rows) {
  // Lay the legend out in rows first: the plot starts below it.
  double lx = left_margin;
  legend_rows_ = legend_.empty() ? 0 : 1;
  for (const LegendEntry& entry : legend_) {
    const double entry_width = 24 + text_width(entry.label) + 18;
    if (lx + entry_width > width_ - right_margin && lx > left_margin) {
      ++legend_rows_;
      lx = left_margin;
    }
    lx += entry_width;
  }
  left_ = left_margin;
  right_ = width_ - right_margin;
  top_ = 8 + legend_rows_ * legend_row_height + label_rows_ * label_row_height + 8;
  bottom_ = height_ - bottom_margin;
  x = Scale::linear({0, 1}, left_, right_);
  y = Scale::linear({0, 1}, bottom_, top_);
}

void SvgChart::x_axis(const std::vector<double>& ticks, const TickFormat& format, std::string_view label, bool grid) {
  std::vector<double> positions;
  std::vector<std::string> labels;
  for (double t : ticks) {
    const double sx = x(t);
    if (sx < left_ - 0.5 || sx > right_ + 0.5) continue;
    positions.push_back(sx);
    labels.push_back(format(t));
  }
  // Thin the labels out when neighbours would overlap.
  double widest = 0;
  double narrowest_gap = right_ - left_;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    widest = std::max(widest, text_width(labels[i]));
    if (i > 0) narrowest_gap = std::min(narrowest_gap, positions[i] - positions[i - 1]);
  }
  const std::size_t every = narrowest_gap > 0 ? static_cast<std::size_t>(std::ceil((widest + 10) / narrowest_gap)) : 1;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const std::string sx = coord(positions[i]);
    if (grid) grid_ += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" class=\"gridline\"/>", sx, coord(top_), coord(bottom_));
    axes_ += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" class=\"tick\"/>", sx, coord(bottom_), coord(bottom_ + 5));
    if (i % std::max<std::size_t>(every, 1) == 0) {
      axes_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", sx, coord(bottom_ + 18),
                           escape_html(labels[i]));
    }
  }
  axes_ += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" class=\"axis\"/>", coord(left_), coord(right_), coord(bottom_));
  axes_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"axis-label\">{}</text>",
                       coord((left_ + right_) / 2), coord(bottom_ + 37), escape_html(label));
}

void SvgChart::y_axis(const std::vector<double>& ticks, const TickFormat& format, std::string_view label, bool grid) {
  for (double t : ticks) {
    const double sy = y(t);
    if (sy < top_ - 0.5 || sy > bottom_ + 0.5) continue;
    if (grid) {
      grid_ += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" class=\"gridline\"/>", coord(left_),
                           coord(right_), coord(sy));
    }
    axes_ += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" class=\"tick\"/>", coord(left_ - 5),
                         coord(left_), coord(sy));
    axes_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", coord(left_ - 8), coord(sy + 4),
                         escape_html(format(t)));
  }
  axes_ += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" class=\"axis\"/>", coord(left_), coord(top_), coord(bottom_));
  const double middle = (top_ + bottom_) / 2;
  axes_ += fmt::format("<text transform=\"rotate(-90)\" x=\"{}\" y=\"14\" text-anchor=\"middle\" class=\"axis-label\">{}</text>",
                       coord(-middle), escape_html(label));
}

void SvgChart::band(const std::vector<double>& xs, const std::vector<double>& lo, const std::vector<double>& hi,
                    std::string_view colour, double opacity) {
  const std::size_t n = std::min({xs.size(), lo.size(), hi.size()});
  if (n == 0) return;
  std::string d;
  for (std::size_t i = 0; i < n; ++i) d += fmt::format("{}{},{}", i == 0 ? "M" : " L", coord(x(xs[i])), coord(y(hi[i])));
  for (std::size_t i = n; i-- > 0;) d += fmt::format(" L{},{}", coord(x(xs[i])), coord(y(lo[i])));
  marks_ += fmt::format("<path d=\"{} Z\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"/>", d, colour, opacity);
}

void SvgChart::polyline(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view colour,
                        double stroke_width, bool dashed) {
  const std::size_t n = std::min(xs.size(), ys.size());
  if (n == 0) return;
  std::string d;
  for (std::size_t i = 0; i < n; ++i) d += fmt::format("{}{},{}", i == 0 ? "M" : " L", coord(x(xs[i])), coord(y(ys[i])));
  if (n == 1) d += fmt::format(" l0.1,0");  // a lone point still shows with round caps
  marks_ += fmt::format(
      "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\" "
      "stroke-linecap=\"round\"{}/>",
      d, colour, stroke_width, dash_attribute(dashed));
}

void SvgChart::rect(double x0, double x1, double y0, double y1, std::string_view colour, double opacity,
                    std::string_view tooltip, std::string_view css_class) {
  const double sx0 = x(x0), sx1 = x(x1), sy0 = y(y0), sy1 = y(y1);
  const double rx = std::min(sx0, sx1), ry = std::min(sy0, sy1);
  const double rw = std::fabs(sx1 - sx0), rh = std::fabs(sy1 - sy0);
  const std::string cls = css_class.empty() ? "" : fmt::format(" class=\"{}\"", css_class);
  const std::string head = fmt::format("<rect{} x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"{}\"", cls,
                                       coord(rx), coord(ry), coord(rw), coord(rh), colour, opacity);
  marks_ += tooltip.empty() ? head + "/>" : fmt::format("{}><title>{}</title></rect>", head, escape_html(tooltip));
}

void SvgChart::vline(double x_value, std::string_view colour, bool dashed, std::string_view label, int label_row,
                     std::string_view anchor) {
  const double sx = x(x_value);
  if (!std::isfinite(sx) || sx < left_ - 0.5 || sx > right_ + 0.5) return;
  overlay_ += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.5\"{4}/>",
                          coord(sx), coord(top_), coord(bottom_), colour, dash_attribute(dashed));
  if (label.empty()) return;
  // Keep the label on the canvas.
  const double w = text_width(label);
  double tx = sx;
  if (anchor == "middle") tx = std::clamp(sx, w / 2 + 2, width_ - w / 2 - 2);
  if (anchor == "start") tx = std::min(sx + 3, width_ - w - 2);
  if (anchor == "end") tx = std::max(sx - 3, w + 2);
  const double ty = top_ - 9 - label_row * label_row_height;  // clear of the top y tick label
  overlay_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" class=\"mark-label\">{}</text>", coord(tx), coord(ty),
                          anchor, escape_html(label));
}

void SvgChart::hline(double y_value, std::string_view colour, bool dashed) {
  const double sy = y(y_value);
  if (!std::isfinite(sy) || sy < top_ - 0.5 || sy > bottom_ + 0.5) return;
  marks_ += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\"{4}/>", coord(left_),
                        coord(right_), coord(sy), colour, dash_attribute(dashed));
}

void SvgChart::note(double x_value, double y_value, std::string_view text, std::string_view anchor, double dy) {
  overlay_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" class=\"note\">{}</text>", coord(x(x_value)),
                          coord(y(y_value) + dy), anchor, escape_html(text));
}

void SvgChart::text_at(double svg_x, double svg_y, std::string_view text, std::string_view anchor) {
  overlay_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" class=\"note\">{}</text>", coord(svg_x), coord(svg_y),
                          anchor, escape_html(text));
}

std::string SvgChart::legend_svg() const {
  std::string out;
  double lx = left_margin;
  int row = 0;
  for (const LegendEntry& entry : legend_) {
    const double entry_width = 24 + text_width(entry.label) + 18;
    if (lx + entry_width > width_ - right_margin && lx > left_margin) {
      ++row;
      lx = left_margin;
    }
    const double cy = 8 + row * legend_row_height + legend_row_height / 2;
    switch (entry.swatch) {
      case Swatch::line:
      case Swatch::dashed:
        out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2.5\"{4}/>", coord(lx),
                           coord(lx + 20), coord(cy), entry.colour, dash_attribute(entry.swatch == Swatch::dashed));
        break;
      case Swatch::band:
      case Swatch::bar:
        out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"10\" fill=\"{}\" fill-opacity=\"{}\"/>", coord(lx),
                           coord(cy - 5), entry.colour, entry.swatch == Swatch::band ? 0.3 : 0.8);
        break;
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", coord(lx + 24), coord(cy + 4), escape_html(entry.label));
    lx += entry_width;
  }
  return out.empty() ? out : "<g class=\"legend\">" + out + "</g>";
}

std::string SvgChart::render() const {
  std::string out = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" font-size=\"{}\"><title>{}</title>\n",
      width_, height_, escape_html(title_), font_size, escape_html(title_));
  out += fmt::format("<defs><clipPath id=\"{}-plot\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>\n", id_,
                     coord(left_), coord(top_), coord(right_ - left_), coord(bottom_ - top_));
  out += "<g class=\"grid\">" + grid_ + "</g>\n";
  out += fmt::format("<g class=\"marks\" clip-path=\"url(#{}-plot)\">{}</g>\n", id_, marks_);
  out += "<g class=\"axes\">" + axes_ + "</g>\n";
  out += "<g class=\"overlay\">" + overlay_ + "</g>\n";
  out += legend_svg();
  return out + "</svg>\n";
}

std::string wide_figure(const SvgChart& chart, std::string_view title, std::string_view caption) {
  return fmt::format("<figure class=\"wide\"><figcaption><strong>{}</strong> {}</figcaption>\n{}</figure>\n",
                     escape_html(title), escape_html(caption), chart.render());
}

}  // namespace tokencast::report
