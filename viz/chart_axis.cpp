// The time axis: ticks on UTC boundaries, their labels, the grid through every chart.
#include <cmath>
#include <string>

#include "chart.hpp"

namespace peebot::viz {

void draw_time_axis(const ChartContext& c, float top, float bottom) {
  const ViewState& v = *c.v;
  ImDrawList* dl = c.dl;
  const double step = tick_step(v.t1 - v.t0, v.plot_width(), 95);
  const double ep = c.m->meta.epoch_unix_s;
  const double first = std::ceil((ep + v.t0) / step) * step - ep;
  for (double t = first; t <= v.t1; t += step) {
    const float x = std::round(v.x_of(t)) + 0.5f;
    dl->AddLine(ImVec2(x, c.r.max.y - 5), ImVec2(x, c.r.max.y), kLabel);
    dl->AddLine(ImVec2(x, top), ImVec2(x, bottom), kGrid);
    const std::string s = tick_label(ep + t, step);
    const float lx = x - ImGui::CalcTextSize(s.c_str()).x / 2;
    if (lx >= v.plot_x0 - 4) dl->AddText(ImVec2(lx, c.r.min.y + 1), kLabel, s.c_str());
  }
  const std::string day = format_utc(ep + v.t0).substr(5, 5) + " UTC";
  c.label(day.c_str(), 1);
}

}  // namespace peebot::viz
