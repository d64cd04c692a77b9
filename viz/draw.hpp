// The viewer's drawing vocabulary, shared by the charts and the panels: the
// palette, event colours and markers, time-axis ticks, and the two cheap
// primitives every dense series goes through (ColumnBands, draw_columns).
#pragma once
#include <string>
#include <vector>

#include <imgui.h>

#include "model.hpp"
#include "series.hpp"
#include "view_state.hpp"

namespace peebot::viz {

// Palette (dark theme).
inline constexpr ImU32 kBg = IM_COL32(22, 24, 30, 255);
inline constexpr ImU32 kGrid = IM_COL32(52, 56, 68, 255);
inline constexpr ImU32 kLabel = IM_COL32(170, 176, 190, 255);
inline constexpr ImU32 kTitleCol = IM_COL32(220, 220, 225, 255);
inline constexpr ImU32 kTankCol = IM_COL32(90, 200, 250, 255);
inline constexpr ImU32 kTruthCol = IM_COL32(255, 255, 255, 110);
inline constexpr ImU32 kLosCol = IM_COL32(150, 150, 150, 42);
inline constexpr ImU32 kFullCol = IM_COL32(255, 80, 80, 40);
inline constexpr ImU32 kCursorCol = IM_COL32(255, 210, 60, 255);
inline constexpr ImU32 kSelCol = IM_COL32(80, 140, 255, 48);
inline constexpr ImU32 kWasteCol = IM_COL32(200, 150, 90, 255);
inline constexpr ImU32 kCleanCol = IM_COL32(110, 170, 255, 255);
inline constexpr ImU32 kCrewCol = IM_COL32(230, 190, 80, 200);
inline constexpr ImU32 kStageCol[kStageSeries] = {IM_COL32(100, 180, 255, 150), IM_COL32(120, 220, 120, 150),
                                                  IM_COL32(255, 200, 80, 150), IM_COL32(240, 110, 180, 150)};
// The stages' names are the trace's (kStageLatencies, sim/pipeline/records.hpp).
inline constexpr const char* kStageLabel[kStageSeries] = {kStageLatencies[0].name, kStageLatencies[1].name,
                                                           kStageLatencies[2].name, kStageLatencies[3].name};

ImU32 upa_color(int state);
ImU32 event_color(EventKind k);
inline ImVec4 col4(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }
// Instants drawn as markers (not the interval kinds: LOS, UPA change, tank full).
bool is_marker(EventKind k);
void draw_marker(ImDrawList* dl, EventKind k, ImVec2 centre, float radius);

// A tick step (seconds) that gives at least `min_px` between ticks.
double tick_step(double span_s, float width_px, float min_px);
std::string tick_label(double unix_s, double step);  // "01-06", "11:40" or "11:40:30"
std::string rel_time(double t);                      // run time: "3d 11:44:00.000"
std::string log_seconds_label(double log10_s);       // a decade of a log time axis: "0.1ms", "10s"

// One key/value row of a two-column panel table.
void table_row(const char* key, const std::string& value);

// Filled vertical spans of adjacent pixel columns (min..max bands), drawn with
// few wide quads: a software rasteriser shades whole 4x4-pixel blocks, so a
// quad one pixel wide costs about eight times its pixels. A run of touching
// spans is drawn as the widest rectangle their common range allows plus, per
// column, only the parts above and below it. add() in x order; flush() ends a run.
class ColumnBands {
 public:
  void begin(ImDrawList* dl, ImU32 col) { dl_ = dl; col_ = col; run_.clear(); }
  void add(float x0, float x1, float y0, float y1);  // y0 < y1 (screen)
  void flush();
 private:
  struct Span { float x0, x1, y0, y1; };
  ImDrawList* dl_ = nullptr;
  ImU32 col_ = 0;
  std::vector<Span> run_;
};

// Per-frame buffers of the charts, sized once (no per-frame allocation after).
struct ChartScratch {
  std::vector<M4Column> cols, cols2;
  std::vector<ImVec2> pts;
  ColumnBands bands;
};

// A decimated series (one M4Column per pixel column from plot_x0) as a line.
struct ColumnsLine {
  const std::vector<M4Column>* cols = nullptr;
  ValueAxis y;
  bool stairs = false;   // each value holds until the next sample (else point to point)
  bool exact_x = false;  // a one-sample column at its sample's x (else at the column's centre)
  float lead_x = 0;      // the sample before the window: x and value (NaN: none)
  double lead_v = kNoTime;
  float trail_x = 0;     // where the line ends: stairs at the last value, else at trail_v
  double trail_v = kNoTime;
  ImU32 col = 0;
  float thickness = 1;
};
// Columns holding one sample as a polyline (stairs: held until the next
// sample; else point to point), denser columns as one filled min..max quad a
// pixel wide (covering the step into it and half the line width) instead of
// a zig-zag of anti-aliased line segments: the same picture for a fraction of
// the pixels a software rasteriser shades.
void draw_columns(ImDrawList* dl, const ViewState& v, ChartScratch& s, const ColumnsLine& line);

}  // namespace peebot::viz
