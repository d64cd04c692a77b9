// Truth voids, detections and posts as markers in three rows; a detection's
// bar from its estimated onset to its emission when zoomed in.
#include <algorithm>
#include <cmath>

#include "chart.hpp"

namespace peebot::viz {

namespace {

int row_of(EventKind k) {
  switch (k) {
    case EventKind::kVoid: case EventKind::kVoidMissed: case EventKind::kVoidNoTank: case EventKind::kBulk: return 0;
    case EventKind::kPostSent: case EventKind::kPostFailed: case EventKind::kPostSuppressed: case EventKind::kPostSkipped: return 2;
    default: return 1;
  }
}

}  // namespace

void draw_markers_chart(const ChartContext& c) {
  const ViewState& v = *c.v;
  const Model& m = *c.m;
  ImDrawList* dl = c.dl;
  const ChartRect& mk = c.r;
  const float row_h = (mk.max.y - mk.min.y) / 3;
  const char* rows[3] = {"Truth voids", "Detections", "Posts"};
  for (int r = 0; r < 3; ++r) {
    c.label(rows[r], r * row_h + 2);
    if (r) dl->AddLine(ImVec2(v.plot_x0, mk.min.y + r * row_h), ImVec2(v.plot_x1, mk.min.y + r * row_h), kGrid);
  }
  dl->PushClipRect(ImVec2(mk.min.x - 6, mk.min.y), ImVec2(mk.max.x + 6, mk.max.y), true);
  float last_x[static_cast<int>(EventKind::kCount)];
  for (float& x : last_x) x = -1e9f;
  const double w = v.t1 - v.t0;
  auto lo = std::lower_bound(m.events.begin(), m.events.end(), v.t0 - w * 0.01,
                             [](const Event& e, double t) { return e.t < t; });
  for (auto it = lo; it != m.events.end() && it->t <= v.t1 + w * 0.01; ++it) {
    if (!is_marker(it->kind) || it->kind == EventKind::kBulk) continue;
    const int row = row_of(it->kind);
    const float x = v.x_of(it->t);
    float& lx = last_x[static_cast<int>(it->kind)];
    // One marker per kind within 2 pixels: denser ones only overdraw the same disc.
    if (std::fabs(x - lx) < 2.0f) continue;
    lx = x;
    const float cy = mk.min.y + row * row_h + row_h / 2;
    // Detection delay bar (estimated onset -> emission) under the dot.
    if (row == 1 && w < 86400 * 2) {
      const Detection& d = m.detections[it->index];
      const float xo = v.x_of(d.onset_s);
      if (!std::isnan(d.onset_s) && x - xo > 2)
        dl->AddLine(ImVec2(xo, cy), ImVec2(x, cy), (event_color(it->kind) & 0x00FFFFFF) | 0x70000000, 2);
    }
    draw_marker(dl, it->kind, ImVec2(x, cy), it->kind == EventKind::kVoidMissed ? 5.5f : 4.5f);
  }
  dl->PopClipRect();
}

}  // namespace peebot::viz
