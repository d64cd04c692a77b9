// Crew awake: one lane per crew member, shaded while awake.
#include "chart.hpp"

namespace peebot::viz {

void draw_crew_chart(const ChartContext& c, float lane_h) {
  const ChartRect& cr = c.r;
  c.label("Crew awake");
  c.dl->PushClipRect(cr.min, cr.max, true);
  for (std::size_t k = 0; k < c.m->crew.size(); ++k) {
    const float ya = cr.min.y + k * lane_h, yb = ya + lane_h - 1;
    shade_intervals(c, c.m->crew[k], ya, yb, [](const Interval& i) { return i.value ? kCrewCol : 0u; });
  }
  if (c.m->crew.empty()) c.no_data("no data (no truth)", 6, 0);
  c.dl->PopClipRect();
}

}  // namespace peebot::viz
