// The Latency tab: a histogram per quantity on a log axis, p50/p95/p99 and the seed target.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "app.hpp"

namespace peebot::viz {

void App::latency_tab() {
  ImGui::TextDisabled("whole run; delivered updates; log time axis");
  if (m_.latency_ready && !m_.latency_exact)
    ImGui::TextDisabled("from the trace's stage summaries: percentiles within one 1/50-decade bin (4.7%%)");
  if (latency_loading()) ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "reading /pipeline/stages in the background...");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float w = ImGui::GetContentRegionAvail().x - 4;
  const float avail_h = ImGui::GetContentRegionAvail().y;
  const float h = std::clamp(avail_h / kLatencyKinds - 34, 40.0f, 90.0f);
  for (int k = 0; k < kLatencyKinds; ++k) {
    const Histogram& hg = m_.hist[k];
    const LatencyStats& s = hg.stats;
    ImGui::Text("%s", kLatencyNames[k]);
    ImGui::SameLine();
    ImGui::TextDisabled("n=%zu  p50 %s  p95 %s  p99 %s", s.count, format_duration(s.p50_s).c_str(),
                        format_duration(s.p95_s).c_str(), format_duration(s.p99_s).c_str());
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton((std::string("##h") + kLatencyNames[k]).c_str(), ImVec2(w, h + 14));
    const ImVec2 q(p.x + w, p.y + h);
    dl->AddRectFilled(p, q, kBg);
    auto xl = [&](double sec) {
      return p.x + static_cast<float>((std::log10(sec) - hg.log_lo) / (hg.log_hi - hg.log_lo)) * w;
    };
    for (double d = std::ceil(hg.log_lo); d <= hg.log_hi; d += 1) {
      const float x = p.x + static_cast<float>((d - hg.log_lo) / (hg.log_hi - hg.log_lo)) * w;
      dl->AddLine(ImVec2(x, p.y), ImVec2(x, q.y), kGrid);
      const std::string b = log_seconds_label(d);
      const float tw = ImGui::CalcTextSize(b.c_str()).x;
      dl->AddText(ImVec2(std::clamp(x - tw / 2, p.x, q.x - tw), q.y), kLabel, b.c_str());
    }
    if (hg.peak == 0) {
      dl->AddText(ImVec2(p.x + 8, p.y + 4), kLabel, "no data");
      continue;
    }
    const float bw = w / static_cast<float>(hg.bins.size());
    for (std::size_t i = 0; i < hg.bins.size(); ++i) {
      if (!hg.bins[i]) continue;
      // sqrt scale keeps the tail visible
      const float fh = std::sqrt(static_cast<float>(hg.bins[i]) / static_cast<float>(hg.peak)) * (h - 4);
      dl->AddRectFilled(ImVec2(p.x + i * bw + 0.5f, q.y - std::max(fh, 1.0f)), ImVec2(p.x + (i + 1) * bw - 0.5f, q.y),
                        k < kStageSeries ? (kStageCol[k] | 0xFF000000) : IM_COL32(140, 160, 220, 255));
    }
    const struct { double v; ImU32 c; const char* n; } lines[] = {
        {s.p50_s, IM_COL32(255, 255, 255, 230), "p50"}, {s.p95_s, IM_COL32(255, 200, 60, 230), "p95"},
        {s.p99_s, IM_COL32(255, 130, 40, 230), "p99"}};
    float lab_x = -1e9f;
    for (const auto& l : lines) {
      if (!(l.v > 0)) continue;
      const float x = xl(l.v);
      dl->AddLine(ImVec2(x, p.y), ImVec2(x, q.y), l.c, 1.5f);
      const float tx = std::min(std::max(x + 2, lab_x), q.x - ImGui::CalcTextSize(l.n).x - 1);
      dl->AddText(ImVec2(tx, p.y + 1), l.c, l.n);
      lab_x = tx + ImGui::CalcTextSize(l.n).x + 3;
    }
    if (hg.target_s > 0) {
      const float x = std::clamp(xl(hg.target_s), p.x, q.x - 1);
      for (float yy = p.y; yy < q.y; yy += 6) dl->AddLine(ImVec2(x, yy), ImVec2(x, std::min(yy + 3, q.y)), IM_COL32(255, 60, 60, 255), 2);
      char b[48];
      std::snprintf(b, sizeof b, "%s %s (n 1)", hg.target_label, format_duration(hg.target_s).c_str());
      const float tw = ImGui::CalcTextSize(b).x;
      dl->AddText(ImVec2(x - tw - 3 < p.x ? x + 3 : x - tw - 3, p.y + 14), IM_COL32(255, 90, 90, 255), b);
    }
  }
}

}  // namespace peebot::viz
