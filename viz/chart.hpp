// The charts under the transport bar, one file each (chart_*.cpp), drawn in
// this order over one time window: time axis, tank level, markers, UPA
// state, waste/clean water, crew, stage latency. Like Tracy's timeline items
// each gets a small context (its rectangle, the draw list, the model and the
// view state) and draws itself; App::charts() (charts.cpp) lays them out and
// draws what spans all of them (LOS, selection, cursor, hover).
#pragma once
#include <vector>

#include <imgui.h>

#include "draw.hpp"
#include "model.hpp"
#include "view_state.hpp"

namespace peebot::viz {

enum class ChartId : int { kAxis, kTank, kMarkers, kUpa, kWater, kCrew, kLatency, kCount };

struct ChartRect {
  ImVec2 min{0, 0}, max{0, 0};
};

struct ChartContext {
  ImDrawList* dl = nullptr;
  const Model* m = nullptr;
  ViewState* v = nullptr;
  ChartScratch* scratch = nullptr;
  ChartRect r;        // this chart's plot area (x from plot_x0 to plot_x1)
  float label_x = 0;  // left edge of the label gutter
  int ncols = 1;      // pixel columns of the plot: one M4 column each
  ChartContext at(const ChartRect& rect) const { ChartContext c = *this; c.r = rect; return c; }
  void label(const char* text, float dy = 0) const { dl->AddText(ImVec2(label_x, r.min.y + dy), kLabel, text); }
  void title(const char* text, float dy = 3) const { dl->AddText(ImVec2(v->plot_x0 + 8, r.min.y + dy), kTitleCol, text); }
  // A title on a translucent plate, for charts whose data may run under it.
  void plate_title(const char* text, float plate_top, float plate_bottom, ImU32 plate_col, float dy) const;
  void no_data(const char* text, float dx, float dy) const { dl->AddText(ImVec2(v->plot_x0 + dx, r.min.y + dy), kLabel, text); }
};

// The one interval-shading loop (LOS and tank-full over the charts, the UPA
// band, the crew lanes): each interval inside the window as a rectangle from
// ya to yb, clipped to the plot and at least a pixel wide; an interval that
// ends inside the pixels already shaded merges into them, so spans narrower
// than a pixel cost one quad per pixel at most. colour(i) gives its colour
// (0: not drawn); drawn(xa, xb, i) follows each rectangle (labels).
struct NoLabel {
  void operator()(float, float, const Interval&) const {}
};
template <class Colour, class Drawn = NoLabel>
void shade_intervals(const ChartContext& c, const std::vector<Interval>& iv, float ya, float yb, Colour colour,
                     Drawn drawn = {}) {
  const ViewState& v = *c.v;
  float last = -1e9f;
  for (const Interval& i : iv) {
    if (i.t1 < v.t0 || i.t0 > v.t1) continue;
    const ImU32 col = colour(i);
    if (!col) continue;
    const float xa = std::max(v.plot_x0, v.x_of(i.t0)),
                xb = std::min(v.plot_x1, std::max(v.x_of(i.t1), v.x_of(i.t0) + 1));
    if (xb <= last) continue;  // sub-pixel intervals merge into the previous pixel
    c.dl->AddRectFilled(ImVec2(std::max(xa, last), ya), ImVec2(xb, yb), col);
    drawn(xa, xb, i);
    last = xb;
  }
}

// Ticks and labels on UTC boundaries in the axis strip, grid lines from top to bottom.
void draw_time_axis(const ChartContext& c, float top, float bottom);
// Tank level as stairs over M4 columns, the true level as a thin line, tank-full
// episodes shaded, missed voids as dashed red lines; auto-ranges v->tank_y*.
// Returns the vertices the level's line and bands took.
int draw_tank_chart(const ChartContext& c);
// Truth voids, detections (with the onset-to-emission bar when zoomed in) and posts, in three rows.
void draw_markers_chart(const ChartContext& c);
void draw_upa_chart(const ChartContext& c);
void draw_water_chart(const ChartContext& c);
void draw_crew_chart(const ChartContext& c, float lane_h);

// What the latency chart shows: the stage summaries (per bucket, or per
// pixel when buckets are narrower than one), the window's rows, or the rows
// read at open.
struct LatencySource {
  const Series* series = nullptr;  // kStageSeries series, log10 seconds by arrival
  bool summary = false;            // from the trace's stage summaries
  bool from_rows = false;          // every update of the window (stage_rows_view)
  bool per_bucket = false;         // one band per summary bucket
  double bucket_s = 60;
  bool loading = false;            // /pipeline/stages still being read
};
// Per-stage min..max bands on a log axis; auto-ranges v->lat_y*. Returns the bands' vertices.
int draw_latency_chart(const ChartContext& c, const LatencySource& src);

}  // namespace peebot::viz
