// Latency per stage (feed, ingest, detector, store) by arrival on a log axis:
// min..max bands per 60 s bucket of the stage summaries (per pixel when the
// buckets are narrower than one), or per pixel over every update once zoomed in.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "chart.hpp"

namespace peebot::viz {

namespace {

void auto_range(ViewState& v, const Model& m) {
  double lo = 1e300, hi = -1e300;
  for (const Series& s : m.stage_latency) {
    double a = 0, b = 0;
    if (s.range_minmax(0, s.size(), a, b)) { lo = std::min(lo, a); hi = std::max(hi, b); }
  }
  if (!(hi >= lo)) { lo = -3; hi = 0; }
  v.lat_y0 = std::floor(lo);
  v.lat_y1 = std::max(v.lat_y0 + 1, std::ceil(hi));
}

void legend(const ChartContext& c) {
  ImDrawList* dl = c.dl;
  const float top = c.r.min.y;
  float lx = c.v->plot_x1 - 6;
  for (int k = kStageSeries - 1; k >= 0; --k) {
    const float tw = ImGui::CalcTextSize(kStageLabel[k]).x;
    lx -= tw + 16;
    dl->AddRectFilled(ImVec2(lx - 2, top + 2), ImVec2(lx + tw + 14, top + 18), IM_COL32(22, 24, 30, 220));
    dl->AddRectFilled(ImVec2(lx, top + 6), ImVec2(lx + 9, top + 15), kStageCol[k] | 0xFF000000);
    dl->AddText(ImVec2(lx + 12, top + 3), kTitleCol, kStageLabel[k]);
  }
}

}  // namespace

int draw_latency_chart(const ChartContext& c, const LatencySource& src) {
  ViewState& v = *c.v;
  ImDrawList* dl = c.dl;
  const ChartRect& la = c.r;
  ColumnBands& bands = c.scratch->bands;
  if (v.lat_y_auto) auto_range(v, *c.m);
  const ValueAxis y{la.min.y, la.max.y, 3, v.lat_y0, v.lat_y1};
  for (double d = std::ceil(v.lat_y0); d <= v.lat_y1; d += 1) {
    const float yy = std::round(y.y(d)) + 0.5f;
    dl->AddLine(ImVec2(v.plot_x0, yy), ImVec2(v.plot_x1, yy), kGrid);
    const std::string b = log_seconds_label(d);
    dl->AddText(ImVec2(v.plot_x0 - 6 - ImGui::CalcTextSize(b.c_str()).x, yy - 7), kLabel, b.c_str());
  }
  dl->PushClipRect(la.min, la.max, true);
  const int vtx0 = dl->VtxBuffer.Size;
  bool any = false;
  for (int k = 0; k < kStageSeries; ++k) {
    const Series& s = src.series[k];
    if (s.empty()) continue;
    any = true;
    bands.begin(dl, kStageCol[k]);
    auto band = [&](float xa, float xb, double lo, double hi) {
      float ya = y.y(hi) - 0.5f, yb = y.y(lo) + 0.5f;
      if (yb - ya < 1.5f) yb = ya + 1.5f;
      bands.add(xa, xb, ya, yb);
    };
    if (src.per_bucket) {
      // Samples come in pairs (min at the bucket start, max half a bucket later).
      std::size_t i = s.lower(v.t0 - src.bucket_s);
      i -= i % 2;
      const auto& tv = s.t();
      const auto& vv = s.v();
      for (; i + 1 < s.size() && tv[i] <= v.t1; i += 2) {
        if (std::isnan(vv[i]) || std::isnan(vv[i + 1])) continue;
        band(std::max(v.plot_x0 - 1, v.x_of(tv[i])), std::min(v.plot_x1 + 1, v.x_of(tv[i] + src.bucket_s)), vv[i], vv[i + 1]);
      }
    } else {
      std::size_t b = SIZE_MAX;
      std::vector<M4Column>& cols = c.scratch->cols;
      s.decimate(v.t0, v.t1, c.ncols, cols, b);
      for (int col = 0; col < c.ncols; ++col) {
        const M4Column& m = cols[static_cast<std::size_t>(col)];
        if (!m.count || std::isnan(m.min)) continue;
        const float x = v.plot_x0 + col;
        band(x, x + 1, m.min, m.max);
      }
    }
    bands.flush();
  }
  const int vertices = dl->VtxBuffer.Size - vtx0;
  if (!any) c.no_data(src.loading ? "reading /pipeline/stages in the background..." : "no data", 8, 24);
  const char* title = src.from_rows    ? "Latency per stage (by arrival; every update, min..max per pixel)"
                      : src.per_bucket ? "Latency per stage (by arrival; min..max per 60 s, stage summaries)"
                      : src.summary    ? "Latency per stage (by arrival; min..max per pixel, stage summaries)"
                                       : "Latency per stage (by arrival; min..max per pixel)";
  c.plate_title(title, 2, 19, IM_COL32(22, 24, 30, 220), 3);
  legend(c);
  dl->PopClipRect();
  return vertices;
}

}  // namespace peebot::viz
