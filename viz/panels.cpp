// The side panel: its tabs (one file each: panel_*.cpp), the posts as cards
// and the trace's metadata.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "app.hpp"

namespace peebot::viz {

void App::side_panel() {
  if (!ImGui::BeginTabBar("tabs")) return;
  static const char* names[] = {"Events", "Latency", "Range", "Posts", "Trace"};
  for (int i = 0; i < static_cast<int>(Tab::kCount); ++i) {
    const ImGuiTabItemFlags f = request_tab == static_cast<Tab>(i) ? ImGuiTabItemFlags_SetSelected : 0;
    if (ImGui::BeginTabItem(names[i], nullptr, f)) {
      switch (static_cast<Tab>(i)) {
        case Tab::kEvents: events_tab(); break;
        case Tab::kLatency: latency_tab(); break;
        case Tab::kRange: range_tab(); break;
        case Tab::kPosts: posts_tab(); break;
        case Tab::kTrace: trace_tab(); break;
        case Tab::kCount: break;
      }
      ImGui::EndTabItem();
    }
  }
  request_tab = Tab::kCount;
  ImGui::EndTabBar();
}

void App::posts_tab() {
  if (m_.posts.empty()) { ImGui::TextDisabled("no posts in this trace"); return; }
  ImGui::BeginChild("posts_list");
  ImGuiListClipper clip;
  clip.Begin(static_cast<int>(m_.posts.size()), 96);
  while (clip.Step())
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
      const Post& p = m_.posts[static_cast<std::size_t>(i)];
      const double t = std::isnan(p.t_done_s) ? p.t_detected_s : p.t_done_s;
      ImGui::PushID(i);
      ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0.12f, 0.13f, 0.17f, 1));
      ImGui::BeginChild("card", ImVec2(0, 88), true, ImGuiWindowFlags_NoScrollbar);
      ImGui::TextColored(ImVec4(0.55f, 0.75f, 1, 1), "@iss_peebot");
      ImGui::SameLine();
      ImGui::TextDisabled("%s", format_utc(m_.meta.epoch_unix_s + t).c_str());
      ImGui::SameLine();
      ImGui::TextColored(col4(event_color(m_.post_kind[static_cast<std::size_t>(i)])), "%s",
                         event_kind_name(m_.post_kind[static_cast<std::size_t>(i)]));
      ImGui::SameLine();
      if (ImGui::SmallButton("go")) view.center_on(t);
      ImGui::PushTextWrapPos(0);
      ImGui::TextUnformatted(p.text.empty() ? "(no text)" : p.text.c_str());
      ImGui::PopTextWrapPos();
      ImGui::EndChild();
      ImGui::PopStyleColor();
      ImGui::PopID();
    }
  ImGui::EndChild();
}

void App::trace_tab() {
  const TraceMeta& mt = m_.meta;
  ImGui::TextWrapped("%s", m_.path.c_str());
  if (ImGui::BeginTable("meta", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    table_row("mode", mt.mode);
    table_row("scenario", mt.scenario_name);
    table_row("seed", std::to_string(mt.seed));
    table_row("epoch", mt.epoch_utc);
    table_row("duration", format_duration(mt.duration_s));
    table_row("created", mt.created_utc);
    table_row("generator", mt.generator);
    table_row("detector", mt.detector);
    table_row("ground truth", mt.has_truth ? "yes" : "no");
    table_row("overrides", mt.overrides.empty() ? "-" : std::to_string(mt.overrides.size()));
    table_row("tank samples", std::to_string(m_.tank.size()));
    table_row("rows read", std::to_string(m_.rows_total));
    char b[32];
    std::snprintf(b, sizeof b, "%.3f s", m_.open_seconds);
    table_row("open time", b);
    const MatchResult& mr = m_.match;
    if (mt.has_truth) {
      std::snprintf(b, sizeof b, "%.3f / %.3f", mr.precision, mr.recall);
      table_row("precision / recall", b);
      table_row("hits / FA+dup / missed", std::to_string(mr.tp) + " / " + std::to_string(mr.fp) + " / " + std::to_string(mr.fn));
    }
    const struct { const char* name; int h; double v; } targets[] = {
        {"P99 ingest -> dashboard", 4, m_.hist[4].stats.p99_s},
        {"P99 ingest -> persisted", 5, m_.hist[5].stats.p99_s},
        {"P95 event -> tweet", 6, m_.hist[6].stats.p95_s}};
    for (const auto& tg : targets) {
      const double target = m_.hist[tg.h].target_s;
      // One trace is one replication: n 1, no interval; the verdict is the value's side (sim/stats).
      stats::Interval iv;
      iv.value = tg.v;
      iv.n = 1;
      const char* verdict = stats::verdict_name(stats::judge(iv, target, stats::Direction::kBelow));
      table_row(tg.name, format_duration(tg.v) + " (< " + format_duration(target) + ": " + verdict + ", n 1, no interval)");
    }
    ImGui::EndTable();
  }
  ImGui::Separator();
  ImGui::TextDisabled("Keys: space play/pause, Left/Right move cursor, Ctrl+Left/Right or P/N previous/next event,");
  ImGui::TextDisabled("+/- zoom, Up/Down speed, Home/End, F fit. Mouse: wheel zoom, drag pan, shift+drag select,");
  ImGui::TextDisabled("right-drag box zoom, double-click fit, click sets the cursor.");
}

}  // namespace peebot::viz
