// The waste and clean water tanks (percent), or "no data" when the trace has none.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "chart.hpp"

namespace peebot::viz {

void draw_water_chart(const ChartContext& c) {
  const ViewState& v = *c.v;
  const Model& m = *c.m;
  ImDrawList* dl = c.dl;
  const ChartRect& wa = c.r;
  c.title("Waste / clean water tanks, %");
  dl->AddText(ImVec2(c.label_x, wa.min.y + 18), kWasteCol, "waste");
  dl->AddText(ImVec2(c.label_x, wa.min.y + 34), kCleanCol, "clean");
  dl->AddText(ImVec2(v.plot_x0 - 6 - ImGui::CalcTextSize("100%").x, wa.min.y), kLabel, "100%");
  dl->AddText(ImVec2(v.plot_x0 - 6 - ImGui::CalcTextSize("0%").x, wa.max.y - 15), kLabel, "0%");
  dl->PushClipRect(wa.min, wa.max, true);
  int drawn = 0;
  for (const auto& [s, col] : {std::pair<const Series*, ImU32>{&m.waste, kWasteCol}, {&m.clean, kCleanCol}}) {
    if (s->empty()) continue;
    ++drawn;
    std::size_t b = SIZE_MAX;
    s->decimate(v.t0, v.t1, c.ncols, c.scratch->cols, b);
    ColumnsLine line;
    line.cols = &c.scratch->cols;
    line.y = ValueAxis{wa.min.y, wa.max.y, 2, 0, 100};
    line.stairs = true;
    line.lead_x = v.plot_x0 - 2;
    line.lead_v = b != SIZE_MAX ? s->v()[b] : kNoTime;
    line.trail_x = std::min(v.plot_x1 + 2, v.x_of(std::min(v.t1, m.t_end)));
    line.trail_v = 0.0;
    line.col = col;
    line.thickness = 1.3f;
    draw_columns(dl, v, *c.scratch, line);
  }
  if (!drawn) {
    const char* nd = "no data (the trace has no waste/clean water samples)";
    dl->AddText(ImVec2((wa.min.x + wa.max.x - ImGui::CalcTextSize(nd).x) / 2, (wa.min.y + wa.max.y) / 2 - 7),
                IM_COL32(130, 130, 140, 255), nd);
  }
  dl->PopClipRect();
}

}  // namespace peebot::viz
