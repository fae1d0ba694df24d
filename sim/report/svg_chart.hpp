#pragma once
// Primitives of the HTML report's inline SVG charts: scales, "nice" ticks, tick labels, and a chart
// canvas that draws axes, marks and a legend. Everything is plain text; no scripts.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencast/results.hpp"

namespace tokencast::report {

// Okabe-Ito colours: told apart with the common colour-vision deficiencies.
namespace palette {
inline constexpr std::string_view black = "#000000";
inline constexpr std::string_view orange = "#E69F00";
inline constexpr std::string_view sky_blue = "#56B4E9";
inline constexpr std::string_view green = "#009E73";
inline constexpr std::string_view blue = "#0072B2";
inline constexpr std::string_view vermillion = "#D55E00";
inline constexpr std::string_view purple = "#CC79A7";
inline constexpr std::string_view grey = "#777777";
}  // namespace palette

// One colour per cost mode, the same in every chart.
std::string_view mode_colour(Mode mode);

struct Domain {
  double lo = 0;
  double hi = 1;
};

// A finite domain with hi > lo: equal bounds are widened around their value and non-finite ones
// replaced, so a scale never divides by zero.
Domain safe_domain(double lo, double hi);

// About `target` ticks at multiples of 1, 2 or 5 x 10^k inside [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
// [lo, hi] widened outwards to the nearest multiples of nice_ticks' step.
Domain nice_domain(double lo, double hi, int target = 5);
// Powers of ten inside [lo, hi] (lo > 0), with 2 and 5 x 10^k between when fewer than 3 decades.
std::vector<double> log_ticks(double lo, double hi);
// [lo, hi] (lo > 0) widened outwards to the nearest 1, 2 or 5 x 10^k.
Domain log_domain(double lo, double hi);

class Scale {
 public:
  Scale() = default;
  static Scale linear(Domain domain, double from, double to);
  static Scale log(Domain domain, double from, double to);  // domain.lo > 0

  // SVG coordinate of a data value; non-positive values on a log scale map to the domain's low end.
  double operator()(double value) const;
  const Domain& domain() const { return domain_; }

 private:
  Domain domain_;
  double from_ = 0, to_ = 1;
  bool log_ = false;
};

// Tick labels. "$12,000"; "$1.2M" / "$3B" from 1e6 up (axes only: tables keep full figures).
std::string usd_tick(double usd);
// "950", "12k", "1M", "2.5B".
std::string compact_count(double count);
// 0.4 -> "40%", 0.125 -> "12.5%".
std::string percent_tick(double fraction);
// An SVG coordinate with one decimal; non-finite becomes "0" so no "nan" reaches the markup.
std::string coord(double value);

using TickFormat = std::function<std::string(double)>;

enum class Swatch { line, dashed, band, bar };
struct LegendEntry {
  std::string label;
  std::string colour;
  Swatch swatch = Swatch::line;
};

// Fixed-size canvas in SVG units (viewBox), scaled by CSS. Marks are clipped to the plot area.
class SvgChart {
 public:
  // `id` must be unique in the page (it names the clip path); `title` becomes the SVG's <title>;
  // `label_rows` rows are kept free above the plot for vline labels.
  SvgChart(std::string id, double width, double height, std::string title, std::vector<LegendEntry> legend,
           int label_rows = 2);

  double left() const { return left_; }
  double right() const { return right_; }
  double top() const { return top_; }
  double bottom() const { return bottom_; }

  Scale x;
  Scale y;

  void x_axis(const std::vector<double>& ticks, const TickFormat& format, std::string_view label, bool grid = false);
  void y_axis(const std::vector<double>& ticks, const TickFormat& format, std::string_view label, bool grid = true);

  // Area between lo[i] and hi[i] over xs[i] (data coordinates).
  void band(const std::vector<double>& xs, const std::vector<double>& lo, const std::vector<double>& hi,
            std::string_view colour, double opacity);
  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view colour,
                double stroke_width, bool dashed = false);
  // A rectangle in data coordinates, with an optional hover tooltip (<title>).
  void rect(double x0, double x1, double y0, double y1, std::string_view colour, double opacity,
            std::string_view tooltip = {}, std::string_view css_class = {});
  // Full-height vertical line at data x; label placed above the plot area in `label_row` (0 = top
  // row next to the plot), anchored "start", "middle" or "end".
  void vline(double x, std::string_view colour, bool dashed, std::string_view label = {}, int label_row = 0,
             std::string_view anchor = "middle");
  void hline(double y, std::string_view colour, bool dashed);
  // Text at data coordinates (clipped to nothing: may sit over the axes).
  void note(double x, double y, std::string_view text, std::string_view anchor = "start", double dy = 0);
  // Free text in SVG units (e.g. "no data").
  void text_at(double svg_x, double svg_y, std::string_view text, std::string_view anchor = "middle");

  std::string render() const;

  static constexpr double label_row_height = 14;

 private:
  std::string legend_svg() const;

  std::string id_;
  double width_, height_;
  std::string title_;
  std::vector<LegendEntry> legend_;
  int legend_rows_ = 0;
  int label_rows_ = 0;
  double left_ = 0, right_ = 0, top_ = 0, bottom_ = 0;
  std::string grid_, marks_, axes_, overlay_;
};

// A chart across the page in a <figure>: the title in bold, then the caption (plain text, escaped).
std::string wide_figure(const SvgChart& chart, std::string_view title, std::string_view caption);

}  // namespace tokencast::report
