// The UPA state band: one colour per state, the state's name on spans wide enough.
#include "chart.hpp"

namespace peebot::viz {

void draw_upa_chart(const ChartContext& c) {
  const ChartRect& up = c.r;
  c.label("UPA state", 0);
  c.dl->PushClipRect(up.min, up.max, true);
  shade_intervals(c, c.m->upa_states, up.min.y, up.max.y, [](const Interval& i) { return upa_color(i.value); },
                  [&](float xa, float xb, const Interval& i) {
                    if (xb - xa > 70) c.dl->AddText(ImVec2(xa + 4, up.min.y + 1), IM_COL32(255, 255, 255, 220), upa_state_name(i.value));
                  });
  if (c.m->upa_states.empty()) c.no_data("no data", 6, 1);
  c.dl->PopClipRect();
}

}  // namespace peebot::viz
