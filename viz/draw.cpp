#include "draw.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace peebot::viz {

ImU32 upa_color(int s) {
  switch (s) {
    case 16: return IM_COL32(60, 165, 90, 255);
    case 32: return IM_COL32(70, 120, 200, 255);
    case 64: return IM_COL32(110, 110, 130, 255);
    case 2: return IM_COL32(200, 70, 60, 255);
    case 4: return IM_COL32(140, 40, 40, 255);
    case 8: return IM_COL32(220, 160, 40, 255);
    case 128: return IM_COL32(160, 100, 200, 255);
    default: return IM_COL32(80, 80, 80, 255);
  }
}

ImU32 event_color(EventKind k) {
  switch (k) {
    case EventKind::kVoid: return IM_COL32(235, 235, 235, 255);
    case EventKind::kVoidMissed: return IM_COL32(255, 50, 50, 255);
    case EventKind::kVoidNoTank: return IM_COL32(120, 120, 120, 255);
    case EventKind::kDetHit: return IM_COL32(70, 225, 100, 255);
    case EventKind::kDetFalseAlarm: return IM_COL32(255, 60, 200, 255);
    case EventKind::kDetDuplicate: return IM_COL32(255, 160, 40, 255);
    case EventKind::kDetBulk: return IM_COL32(180, 120, 255, 255);
    case EventKind::kDetOther: return IM_COL32(150, 150, 150, 255);
    case EventKind::kDetUnscored: return IM_COL32(90, 220, 230, 255);
    case EventKind::kPostSent: return IM_COL32(80, 150, 255, 255);
    case EventKind::kPostFailed: return IM_COL32(255, 120, 0, 255);
    case EventKind::kPostSuppressed:
    case EventKind::kPostSkipped: return IM_COL32(130, 130, 130, 255);
    case EventKind::kLos: return IM_COL32(160, 160, 160, 255);
    case EventKind::kUpaChange: return IM_COL32(60, 165, 90, 255);
    case EventKind::kTankFull: return IM_COL32(255, 80, 80, 255);
    case EventKind::kBulk: return IM_COL32(180, 120, 255, 255);
    case EventKind::kCount: break;
  }
  return IM_COL32_WHITE;
}

bool is_marker(EventKind k) {
  return k != EventKind::kLos && k != EventKind::kUpaChange && k != EventKind::kTankFull;
}

// A tick step (seconds) that gives at least `min_px` between ticks.
double tick_step(double span_s, float width_px, float min_px) {
  static const double steps[] = {1,    2,    5,     10,    15,    30,    60,     120,    300,    600,
                                 900,  1800, 3600,  7200,  10800, 21600, 43200,  86400,  172800, 432000,
                                 604800, 1209600};
  for (double s : steps)
    if (span_s / s * min_px <= width_px) return s;
  return 2592000;
}

std::string tick_label(double unix_s, double step) {
  const std::time_t tt = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  if (step >= 86400) std::snprintf(buf, sizeof buf, "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
  else if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 && step >= 60)
    std::snprintf(buf, sizeof buf, "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
  else if (step >= 60) std::snprintf(buf, sizeof buf, "%02d:%02d", tm.tm_hour, tm.tm_min);
  else std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string rel_time(double t) {
  const double a = std::fabs(t);
  const int d = static_cast<int>(a / 86400);
  const double r = a - d * 86400.0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%dd %02d:%02d:%06.3f", t < 0 ? "-" : "", d, static_cast<int>(r / 3600),
                static_cast<int>(std::fmod(r, 3600) / 60), std::fmod(r, 60));
  return buf;
}

std::string log_seconds_label(double log10_s) {
  const double s = std::pow(10.0, log10_s);
  char b[16];
  if (s < 1) std::snprintf(b, sizeof b, "%gms", s * 1e3);
  else std::snprintf(b, sizeof b, "%gs", s);
  return b;
}

void table_row(const char* key, const std::string& value) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(key);
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(value.c_str());
}

void draw_marker(ImDrawList* dl, EventKind k, ImVec2 c, float r) {
  const ImU32 col = event_color(k);
  switch (k) {
    case EventKind::kVoid:
    case EventKind::kVoidNoTank:
      dl->AddTriangleFilled(ImVec2(c.x, c.y - r), ImVec2(c.x - r, c.y + r), ImVec2(c.x + r, c.y + r), col);
      break;
    case EventKind::kVoidMissed:
      dl->AddLine(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), col, 2.5f);
      dl->AddLine(ImVec2(c.x - r, c.y + r), ImVec2(c.x + r, c.y - r), col, 2.5f);
      break;
    case EventKind::kPostSent:
    case EventKind::kPostFailed:
    case EventKind::kPostSuppressed:
    case EventKind::kPostSkipped:
      dl->AddRectFilled(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), col);
      break;
    default:
      dl->AddCircleFilled(c, r, col, 10);
      break;
  }
}

void ColumnBands::add(float x0, float x1, float y0, float y1) {
  if (y1 < y0) std::swap(y0, y1);
  if (!run_.empty() && x0 > run_.back().x1 + 0.01f) flush();
  run_.push_back({x0, x1, y0, y1});
}

void ColumnBands::flush() {
  const std::size_t n = run_.size();
  std::size_t i = 0;
  while (i < n) {
    // Grow the core (the common range) while it keeps at least half of the first span and 4 px.
    float c0 = run_[i].y0, c1 = run_[i].y1;
    const float keep = std::max(4.0f, 0.5f * (c1 - c0));
    std::size_t j = i + 1;
    for (; j < n; ++j) {
      const float a = std::max(c0, run_[j].y0), b = std::min(c1, run_[j].y1);
      if (b - a < keep) break;
      c0 = a;
      c1 = b;
    }
    if (j - i == 1) {
      dl_->AddRectFilled(ImVec2(run_[i].x0, run_[i].y0), ImVec2(run_[i].x1, run_[i].y1), col_);
    } else {
      dl_->AddRectFilled(ImVec2(run_[i].x0, c0), ImVec2(run_[j - 1].x1, c1), col_);
      // The rest of each span, above and below the core; equal neighbours merge.
      for (int side = 0; side < 2; ++side) {
        float mx0 = 0, mx1 = -1e9f, my0 = 0, my1 = 0;
        for (std::size_t k = i; k < j; ++k) {
          const float y0 = side == 0 ? run_[k].y0 : c1, y1 = side == 0 ? c0 : run_[k].y1;
          if (y1 - y0 <= 0.01f) continue;
          if (run_[k].x0 <= mx1 + 0.01f && y0 == my0 && y1 == my1) { mx1 = run_[k].x1; continue; }
          if (mx1 > mx0) dl_->AddRectFilled(ImVec2(mx0, my0), ImVec2(mx1, my1), col_);
          mx0 = run_[k].x0; mx1 = run_[k].x1; my0 = y0; my1 = y1;
        }
        if (mx1 > mx0) dl_->AddRectFilled(ImVec2(mx0, my0), ImVec2(mx1, my1), col_);
      }
    }
    i = j;
  }
  run_.clear();
}

void draw_columns(ImDrawList* dl, const ViewState& v, ChartScratch& s, const ColumnsLine& line) {
  const std::vector<M4Column>& cols = *line.cols;
  const ValueAxis& ax = line.y;
  auto y = [&ax](double value) { return ax.y(value); };
  const bool stairs = line.stairs;
  const ImU32 col = line.col;
  const float thickness = line.thickness;
  std::vector<ImVec2>& pts = s.pts;
  ColumnBands& bands = s.bands;
  pts.clear();
  bands.begin(dl, col);
  const float hw = std::max(0.5f, thickness / 2);
  auto flush = [&] {
    if (pts.size() >= 2) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), col, 0, thickness);
    pts.clear();
  };
  bool have = !std::isnan(line.lead_v);
  double prev = have ? line.lead_v : 0.0;
  bool only_restart = false;  // the polyline holds just the point where the previous band left off
  std::size_t last_dense = SIZE_MAX - 1;
  if (have) pts.push_back(ImVec2(line.lead_x, y(line.lead_v)));
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const M4Column& m = cols[c];
    if (!m.count) continue;
    const float xc = v.plot_x0 + static_cast<float>(c) + 0.5f;
    if (m.count == 1 || std::isnan(m.min)) {
      const float x = line.exact_x && m.count == 1 ? v.x_of(m.t_first) : xc;
      if (stairs && have) pts.push_back(ImVec2(x, y(prev)));
      pts.push_back(ImVec2(x, y(m.first)));
      if (m.count > 1) pts.push_back(ImVec2(x, y(m.last)));
    } else {
      double lo = m.min, hi = m.max;
      if (stairs && have && !std::isnan(prev)) { lo = std::min(lo, prev); hi = std::max(hi, prev); }
      // The line into the band (none when it only left the previous band: the bands touch).
      if (only_restart && pts.size() == 1 && last_dense + 1 == c) pts.clear();
      else pts.push_back(ImVec2(xc, y(stairs && have ? prev : m.first)));
      flush();
      float ya = y(hi) - hw, yb = y(lo) + hw;  // screen y grows downwards
      if (ya > yb) std::swap(ya, yb);
      bands.add(xc - 0.5f, xc + 0.5f, ya, yb);
      pts.push_back(ImVec2(xc, y(m.last)));
      only_restart = true;
      last_dense = c;
      prev = m.last;
      have = true;
      continue;
    }
    only_restart = false;
    prev = m.last;
    have = true;
  }
  if (have) {
    if (stairs) pts.push_back(ImVec2(line.trail_x, y(prev)));
    else if (!std::isnan(line.trail_v)) pts.push_back(ImVec2(line.trail_x, y(line.trail_v)));
  }
  flush();
  bands.flush();
}

}  // namespace peebot::viz
