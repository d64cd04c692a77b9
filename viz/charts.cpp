// The chart panel: lays the charts out (chart_*.cpp draw them), handles the
// mouse over them (zoom, pan, select, box zoom, click), and draws what spans
// every chart: LOS shading, the selection, the cursor, the hover line and tooltip.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "app.hpp"

namespace peebot::viz {

void ChartContext::plate_title(const char* text, float plate_top, float plate_bottom, ImU32 plate_col, float dy) const {
  dl->AddRectFilled(ImVec2(v->plot_x0 + 4, r.min.y + plate_top),
                    ImVec2(v->plot_x0 + 12 + ImGui::CalcTextSize(text).x, r.min.y + plate_bottom), plate_col);
  dl->AddText(ImVec2(v->plot_x0 + 8, r.min.y + dy), kTitleCol, text);
}

ValueAxis App::tank_axis() const {
  const ChartRect& r = chart[static_cast<int>(ChartId::kTank)];
  return ValueAxis{r.min.y, r.max.y, 4, view.tank_y0, view.tank_y1};
}

LatencySource App::latency_source() {
  const double t0 = view.t0, t1 = view.t1;
  LatencySource src;
  src.summary = m_.latency_ready && !m_.latency_exact && m_.stage_summary.present;
  src.series = m_.stage_latency;
  src.loading = latency_loading();
  if (src.summary && summary_updates_in(m_.stage_summary, t0, t1, rows_view_max) <= rows_view_max) {
    latency_rows(t0, t1);
    if (rows_view_ && rows_view_->t0 <= t0 && rows_view_->t1 >= t1) {
      src.series = rows_view_->lat;
      src.from_rows = true;
    }
  }
  src.bucket_s = m_.stage_summary.bucket_s;
  src.per_bucket = src.summary && !src.from_rows && src.bucket_s / (t1 - t0) * view.plot_width() >= 1.0;
  return src;
}

void App::charts() {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gutter = 80, right_pad = 8, gap = 5;
  view.plot_x0 = origin.x + gutter;
  view.plot_x1 = origin.x + avail.x - right_pad;
  const float plot_x0 = view.plot_x0, plot_x1 = view.plot_x1;
  const int ncrew = std::max<int>(1, static_cast<int>(m_.crew.size()));
  const float crew_lane = std::clamp((avail.y * 0.12f) / ncrew, 5.0f, 11.0f);
  const float h_axis = 20, h_markers = 54, h_upa = 16, h_water = 70, h_crew = crew_lane * ncrew,
              h_lat = std::max(110.0f, avail.y * 0.2f);
  const float h_tank = std::max(80.0f, avail.y - (h_axis + h_markers + h_upa + h_water + h_crew + h_lat + 6 * gap));
  float y = origin.y;
  auto place = [&](ChartId id, float h) {
    chart[static_cast<int>(id)] = {ImVec2(plot_x0, y), ImVec2(plot_x1, y + h)};
    y += h + gap;
  };
  place(ChartId::kAxis, h_axis);
  place(ChartId::kTank, h_tank);
  place(ChartId::kMarkers, h_markers);
  place(ChartId::kUpa, h_upa);
  place(ChartId::kWater, h_water);
  place(ChartId::kCrew, h_crew);
  place(ChartId::kLatency, h_lat);
  auto rect = [&](ChartId id) -> const ChartRect& { return chart[static_cast<int>(id)]; };
  const ChartRect& ax = rect(ChartId::kAxis);
  const float top = rect(ChartId::kTank).min.y, bottom = rect(ChartId::kLatency).max.y;

  // Interaction first so this frame draws the new window.
  chart_interaction(ImVec2(plot_x0, ax.min.y), ImVec2(plot_x1, bottom));

  dl->PushClipRect(ImVec2(origin.x, origin.y), ImVec2(origin.x + avail.x, origin.y + avail.y), true);
  // No background quads: the window is cleared to kBg (gl_window.cpp).
  ChartContext c;
  c.dl = dl;
  c.m = &m_;
  c.v = &view;
  c.scratch = &scratch_;
  c.label_x = origin.x + 4;
  c.ncols = std::max(1, static_cast<int>(plot_x1 - plot_x0));
  draw_time_axis(c.at(ax), top, bottom);
  tank_vertices = draw_tank_chart(c.at(rect(ChartId::kTank)));
  draw_markers_chart(c.at(rect(ChartId::kMarkers)));
  draw_upa_chart(c.at(rect(ChartId::kUpa)));
  draw_water_chart(c.at(rect(ChartId::kWater)));
  draw_crew_chart(c.at(rect(ChartId::kCrew)), crew_lane);
  const LatencySource src = latency_source();
  latency_from_rows = src.from_rows;
  latency_vertices = draw_latency_chart(c.at(rect(ChartId::kLatency)), src);

  // LOS over every chart, then selection and cursor.
  shade_intervals(c, m_.los, top, bottom, [](const Interval&) { return kLosCol; });
  if (view.has_selection()) {
    double a = 0, b = 0;
    view.range(a, b);
    const float xa = std::max(plot_x0, view.x_of(a)), xb = std::min(plot_x1, view.x_of(b));
    if (xb > xa) {
      dl->AddRectFilled(ImVec2(xa, top), ImVec2(xb, bottom), kSelCol);
      dl->AddLine(ImVec2(xa, top), ImVec2(xa, bottom), IM_COL32(80, 140, 255, 200));
      dl->AddLine(ImVec2(xb, top), ImVec2(xb, bottom), IM_COL32(80, 140, 255, 200));
    }
  }
  if (drag_mode_ == 3) {
    const ImVec2 mp = ImGui::GetIO().MousePos;
    dl->AddRect(ImVec2(std::min(drag_from_.x, mp.x), std::min(drag_from_.y, mp.y)),
                ImVec2(std::max(drag_from_.x, mp.x), std::max(drag_from_.y, mp.y)), IM_COL32(255, 255, 255, 200));
  }
  if (view.window_holds(view.cursor)) {
    const float x = std::round(view.x_of(view.cursor));
    dl->AddRectFilled(ImVec2(x - 1, ax.min.y), ImVec2(x + 1, bottom), kCursorCol);
  }
  // Hover line and tooltip.
  const ImVec2 mp = ImGui::GetIO().MousePos;
  if (ImGui::IsWindowHovered() && mp.x >= plot_x0 && mp.x <= plot_x1 && mp.y >= ax.min.y && mp.y <= bottom && drag_mode_ != 1) {
    dl->AddLine(ImVec2(mp.x, top), ImVec2(mp.x, bottom), IM_COL32(255, 255, 255, 70));
    if (drag_mode_ == 0) tooltip(view.t_of(mp.x));
  }
  dl->PopClipRect();
}

void App::chart_interaction(const ImVec2& a, const ImVec2& b) {
  ImGui::SetCursorScreenPos(a);
  ImGui::InvisibleButton("##plot", ImVec2(b.x - a.x, b.y - a.y),
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  ImGuiIO& io = ImGui::GetIO();
  const bool hovered = ImGui::IsItemHovered();
  const ImVec2 mp = io.MousePos;
  if (hovered && io.MouseWheel != 0) {
    const double f = std::pow(0.8, static_cast<double>(io.MouseWheel));
    view.zoom_around(view.t_of(mp.x), f);
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) { view.fit_all(); drag_mode_ = 0; return; }
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    drag_mode_ = io.KeyShift ? 2 : 1;
    drag_from_ = mp;
    drag_t0_ = view.t0;
    drag_t1_ = view.t1;
    if (drag_mode_ == 2) view.sel0 = view.sel1 = view.t_of(mp.x);
  }
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right)) { drag_mode_ = 3; drag_from_ = mp; }
  if (drag_mode_ == 1 && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    const double dt = (mp.x - drag_from_.x) / view.plot_width() * (drag_t1_ - drag_t0_);
    view.t0 = drag_t0_ - dt;
    view.t1 = drag_t1_ - dt;
  }
  if (drag_mode_ == 2 && ImGui::IsMouseDown(ImGuiMouseButton_Left)) view.sel1 = view.t_of(std::clamp(mp.x, view.plot_x0, view.plot_x1));
  if (drag_mode_ == 1 && ImGui::IsMouseReleased(ImGuiMouseButton_Left)) {
    if (std::fabs(mp.x - drag_from_.x) < 3 && std::fabs(mp.y - drag_from_.y) < 3) view.cursor = view.t_of(mp.x);  // a click
    drag_mode_ = 0;
  }
  if (drag_mode_ == 2 && ImGui::IsMouseReleased(ImGuiMouseButton_Left)) {
    if (std::fabs(view.x_of(view.sel1) - view.x_of(view.sel0)) < 2) view.sel0 = view.sel1 = kNoTime;  // a shift-click clears
    drag_mode_ = 0;
  }
  if (drag_mode_ == 3 && ImGui::IsMouseReleased(ImGuiMouseButton_Right)) {
    drag_mode_ = 0;
    const float xa = std::min(drag_from_.x, mp.x), xb = std::max(drag_from_.x, mp.x);
    const float ya = std::min(drag_from_.y, mp.y), yb = std::max(drag_from_.y, mp.y);
    if (xb - xa >= 4) {
      const double na = view.t_of(std::max(xa, view.plot_x0)), nb = view.t_of(std::min(xb, view.plot_x1));
      // Box inside the tank or latency chart: zoom y there as well.
      const ChartRect& tk = chart[static_cast<int>(ChartId::kTank)];
      const ChartRect& la = chart[static_cast<int>(ChartId::kLatency)];
      if (yb - ya >= 6 && ya >= tk.min.y && yb <= tk.max.y) {
        const ValueAxis axis = tank_axis();
        view.tank_y0 = axis.value(yb);
        view.tank_y1 = axis.value(ya);
        view.tank_y_auto = false;
      } else if (yb - ya >= 6 && ya >= la.min.y && yb <= la.max.y) {
        const ValueAxis axis{la.min.y, la.max.y, 3, view.lat_y0, view.lat_y1};
        view.lat_y0 = axis.value(yb);
        view.lat_y1 = axis.value(ya);
        view.lat_y_auto = false;
      }
      view.set_window(na, nb);
    }
  }
  if (!ImGui::IsMouseDown(ImGuiMouseButton_Left) && (drag_mode_ == 1 || drag_mode_ == 2)) drag_mode_ = 0;
  if (!ImGui::IsMouseDown(ImGuiMouseButton_Right) && drag_mode_ == 3) drag_mode_ = 0;
  ImGui::SetCursorScreenPos(a);
}

void App::tooltip(double t) {
  ImGui::BeginTooltip();
  const double ep = m_.meta.epoch_unix_s;
  ImGui::Text("%s   t = %s", format_utc_ms(ep + t).c_str(), rel_time(t - m_.t_begin).c_str());
  ImGui::Separator();
  double v = 0, st = 0;
  if (m_.tank.value_at(t, v, st))
    ImGui::Text("tank level  %.2f %%   (sample at %s, %s ago)", v, format_utc(ep + st).substr(11).c_str(),
                format_duration(t - st).c_str());
  if (m_.tank_truth.value_at(t, v, st)) {
    const std::size_t i = m_.tank_truth.lower(t);
    double tv = v;
    if (i < m_.tank_truth.size() && m_.tank_truth.t()[i] > st)
      tv = v + (m_.tank_truth.v()[i] - v) * (t - st) / (m_.tank_truth.t()[i] - st);
    ImGui::Text("true level  %.3f %%", tv);
  }
  for (const Interval& u : m_.upa_states)
    if (u.t0 <= t && t < u.t1) { ImGui::Text("UPA         %s (%d)", upa_state_name(u.value), u.value); break; }
  if (m_.waste.value_at(t, v, st)) ImGui::Text("waste water %.1f %%", v);
  if (m_.clean.value_at(t, v, st)) ImGui::Text("clean water %.1f %%", v);
  if (!m_.crew.empty()) {
    int awake = 0;
    for (const auto& lane : m_.crew)
      for (const Interval& i : lane)
        if (i.t0 <= t && t < i.t1) { awake += i.value; break; }
    ImGui::Text("crew awake  %d of %zu", awake, m_.crew.size());
  }
  for (const Interval& l : m_.los)
    if (l.t0 <= t && t < l.t1) { ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "LOSS OF SIGNAL (%s)", format_duration(l.t1 - l.t0).c_str()); break; }
  const std::size_t li = m_.stage_latency[0].nearest(t);
  if (li != SIZE_MAX && !m_.latency_exact && m_.latency_ready) {
    // Summaries: samples come in pairs (min, max) per bucket of bucket_s.
    const std::size_t b0 = li - li % 2;
    const double bt = m_.stage_latency[0].t()[b0];
    if (t >= bt - m_.stage_summary.bucket_s && t < bt + 2 * m_.stage_summary.bucket_s) {
      ImGui::Text("latency %s + %s (min .. max):", format_utc(ep + bt).substr(11).c_str(),
                  format_duration(m_.stage_summary.bucket_s).c_str());
      for (int k = 0; k < kStageSeries; ++k) {
        const auto& v = m_.stage_latency[k].v();
        if (b0 + 1 >= v.size() || std::isnan(v[b0])) continue;
        ImGui::TextColored(col4(kStageCol[k] | 0xFF000000), "  %-9s %s .. %s", kStageLabel[k],
                           format_duration(std::pow(10.0, v[b0])).c_str(), format_duration(std::pow(10.0, v[b0 + 1])).c_str());
      }
    }
  } else if (li != SIZE_MAX && std::fabs(m_.stage_latency[0].t()[li] - t) < (view.t1 - view.t0) / 200) {
    ImGui::Text("latency at %s:", format_utc(ep + m_.stage_latency[0].t()[li]).substr(11).c_str());
    for (int k = 0; k < kStageSeries; ++k)
      ImGui::TextColored(col4(kStageCol[k] | 0xFF000000), "  %-9s %s", kStageLabel[k],
                         format_duration(std::pow(10.0, m_.stage_latency[k].v()[li])).c_str());
  }
  // Events within 6 pixels.
  const double tol = 6.0 / view.plot_width() * (view.t1 - view.t0);
  auto lo = std::lower_bound(m_.events.begin(), m_.events.end(), t - tol, [](const Event& e, double x) { return e.t < x; });
  int shown = 0;
  for (auto it = lo; it != m_.events.end() && it->t <= t + tol && shown < 6; ++it) {
    if (!is_marker(it->kind)) continue;
    if (!shown++) ImGui::Separator();
    ImGui::TextColored(col4(event_color(it->kind)), "%s  %s", event_kind_name(it->kind), format_utc(ep + it->t).substr(11).c_str());
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + 460);
    ImGui::TextUnformatted(it->detail.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::EndTooltip();
}

}  // namespace peebot::viz
