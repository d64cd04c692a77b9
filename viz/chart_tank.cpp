// The urine tank level (NODE3000005) as stairs of the quantized feed, the
// true level as a thin line, tank-full episodes shaded red and a dashed red
// line at every missed void.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "chart.hpp"

namespace peebot::viz {

namespace {

// The y range from the window's data (and the sample before it), padded; the box zoom turns it off.
void auto_range(ViewState& v, const Series& tank, const std::vector<M4Column>& cols, std::size_t before) {
  double lo = 1e300, hi = -1e300;
  for (const M4Column& c : cols)
    if (c.count) { lo = std::min(lo, c.min); hi = std::max(hi, c.max); }
  if (before != SIZE_MAX) { lo = std::min(lo, tank.v()[before]); hi = std::max(hi, tank.v()[before]); }
  if (!(hi >= lo)) { lo = 0; hi = 100; }
  const double pad = std::max(2.0, (hi - lo) * 0.08);
  v.tank_y0 = std::max(-1.0, lo - pad);
  v.tank_y1 = std::min(101.0, hi + pad);
  if (v.tank_y1 - v.tank_y0 < 4) { v.tank_y0 -= 2; v.tank_y1 += 2; }
}

}  // namespace

int draw_tank_chart(const ChartContext& c) {
  ViewState& v = *c.v;
  const Model& m = *c.m;
  ChartScratch& s = *c.scratch;
  ImDrawList* dl = c.dl;
  const ChartRect& tk = c.r;
  shade_intervals(c, m.tank_full, tk.min.y, tk.max.y, [](const Interval&) { return kFullCol; });

  std::size_t before = SIZE_MAX;
  m.tank.decimate(v.t0, v.t1, c.ncols, s.cols, before);
  if (v.tank_y_auto) auto_range(v, m.tank, s.cols, before);
  const ValueAxis y{tk.min.y, tk.max.y, 4, v.tank_y0, v.tank_y1};
  {
    // y grid + labels
    const double span = v.tank_y1 - v.tank_y0;
    const double ys = span > 50 ? 20 : span > 20 ? 10 : span > 10 ? 5 : span > 4 ? 2 : 1;
    for (double val = std::ceil(v.tank_y0 / ys) * ys; val <= v.tank_y1; val += ys) {
      const float yy = std::round(y.y(val)) + 0.5f;
      dl->AddLine(ImVec2(v.plot_x0, yy), ImVec2(v.plot_x1, yy), kGrid);
      char b[16];
      std::snprintf(b, sizeof b, "%.0f%%", val);
      dl->AddText(ImVec2(v.plot_x0 - 6 - ImGui::CalcTextSize(b).x, yy - 7), kLabel, b);
    }
    c.plate_title("Urine tank level, % (NODE3000005)", 3, 21, IM_COL32(22, 24, 30, 200), 4);
  }
  dl->PushClipRect(tk.min, tk.max, true);
  if (!m.tank_truth.empty()) {
    std::size_t tb = SIZE_MAX;
    m.tank_truth.decimate(v.t0, v.t1, c.ncols, s.cols2, tb);
    const Series& tt = m.tank_truth;
    const std::size_t nx = tt.lower(v.t1);
    ColumnsLine truth;
    truth.cols = &s.cols2;
    truth.y = y;
    truth.lead_x = tb != SIZE_MAX ? v.x_of(tt.t()[tb]) : 0.0f;
    truth.lead_v = tb != SIZE_MAX ? tt.v()[tb] : kNoTime;
    truth.trail_x = nx < tt.size() ? v.x_of(tt.t()[nx]) : 0.0f;
    truth.trail_v = nx < tt.size() ? tt.v()[nx] : kNoTime;
    truth.col = kTruthCol;
    truth.thickness = 1.0f;
    draw_columns(dl, v, s, truth);
  }
  int vertices = 0;
  {
    const double tend = std::min(v.t1, m.tank.empty() || m.tank.t().back() > v.t1 ? v.t1 : m.t_end);
    const int vtx0 = dl->VtxBuffer.Size;
    ColumnsLine level;
    level.cols = &s.cols;
    level.y = y;
    level.stairs = true;
    level.exact_x = true;
    level.lead_x = v.plot_x0 - 2;
    level.lead_v = before != SIZE_MAX ? m.tank.v()[before] : kNoTime;
    level.trail_x = std::min(v.plot_x1 + 2, v.x_of(tend));
    level.trail_v = 0.0;
    level.col = kTankCol;
    level.thickness = 1.6f;
    draw_columns(dl, v, s, level);
    vertices = dl->VtxBuffer.Size - vtx0;
    if (m.tank.empty()) dl->AddText(ImVec2((tk.min.x + tk.max.x) / 2 - 30, (tk.min.y + tk.max.y) / 2), kLabel, "no data");
  }
  // Missed voids: a dashed red line through the tank chart.
  for (std::size_t i = 0; i < m.voids.size(); ++i) {
    if (m.void_kind[i] != EventKind::kVoidMissed) continue;
    const double t = m.voids[i].onset_s;
    if (!v.window_holds(t)) continue;
    const float x = std::round(v.x_of(t)) + 0.5f;
    for (float yy = tk.min.y; yy < tk.max.y; yy += 8)
      dl->AddLine(ImVec2(x, yy), ImVec2(x, std::min(yy + 4, tk.max.y)), IM_COL32(255, 50, 50, 170));
  }
  dl->PopClipRect();
  return vertices;
}

}  // namespace peebot::viz
