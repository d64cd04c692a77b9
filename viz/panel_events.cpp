// The Events tab: every event in a sortable, filterable table that follows the cursor; a click jumps.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "app.hpp"

namespace peebot::viz {

void App::events_tab() {
  ImGui::SetNextItemWidth(-170);
  if (filter_.Draw("##filter")) order_dirty_ = true;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("filter: words, -excluded, comma = or (e.g. MISSED,FALSE)");
  ImGui::SameLine();
  if (ImGui::Checkbox("errors only", &only_errors_)) order_dirty_ = true;
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("events", 3, flags)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_DefaultSort, 96);
  ImGui::TableSetupColumn("event", 0, 104);
  ImGui::TableSetupColumn("detail", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  if (ImGuiTableSortSpecs* ss = ImGui::TableGetSortSpecs())
    if (ss->SpecsDirty && ss->SpecsCount > 0) {
      sort_col_ = ss->Specs[0].ColumnIndex;
      sort_desc_ = ss->Specs[0].SortDirection == ImGuiSortDirection_Descending;
      ss->SpecsDirty = false;
      order_dirty_ = true;
    }
  if (order_dirty_) {
    ev_order_.clear();
    for (std::size_t i = 0; i < m_.events.size(); ++i) {
      const Event& e = m_.events[i];
      if (only_errors_ && e.kind != EventKind::kVoidMissed && e.kind != EventKind::kDetFalseAlarm &&
          e.kind != EventKind::kDetDuplicate && e.kind != EventKind::kPostFailed)
        continue;
      if (filter_.IsActive() && !filter_.PassFilter(event_kind_name(e.kind)) && !filter_.PassFilter(e.detail.c_str())) continue;
      ev_order_.push_back(i);
    }
    const auto& ev = m_.events;
    std::stable_sort(ev_order_.begin(), ev_order_.end(), [&](std::size_t a, std::size_t b) {
      int c = 0;
      if (sort_col_ == 0) c = ev[a].t < ev[b].t ? -1 : ev[a].t > ev[b].t ? 1 : 0;
      else if (sort_col_ == 1) c = std::strcmp(event_kind_name(ev[a].kind), event_kind_name(ev[b].kind));
      else c = ev[a].detail.compare(ev[b].detail);
      return sort_desc_ ? c > 0 : c < 0;
    });
    order_dirty_ = false;
  }
  // Follow the cursor: when it moved (playback, jumps, clicks), scroll to its row.
  if (view.cursor != table_cursor_ && sort_col_ == 0 && !ev_order_.empty()) {
    table_cursor_ = view.cursor;
    const auto& ev = m_.events;
    const auto it = std::lower_bound(ev_order_.begin(), ev_order_.end(), view.cursor,
                                     [&](std::size_t i, double t) { return sort_desc_ ? ev[i].t > t : ev[i].t < t; });
    const float row_h = ImGui::GetTextLineHeight() + 2 * ImGui::GetStyle().CellPadding.y;
    ImGui::SetScrollY(std::max(0.0f, static_cast<float>(it - ev_order_.begin()) * row_h - ImGui::GetWindowHeight() / 3));
  }
  ImGuiListClipper clip;
  clip.Begin(static_cast<int>(ev_order_.size()));
  while (clip.Step())
    for (int r = clip.DisplayStart; r < clip.DisplayEnd; ++r) {
      const Event& e = m_.events[ev_order_[static_cast<std::size_t>(r)]];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(r);
      const std::string tl = rel_time(e.t - m_.t_begin).substr(0, rel_time(e.t - m_.t_begin).size() - 4);
      if (ImGui::Selectable(tl.c_str(), e.t == view.cursor, ImGuiSelectableFlags_SpanAllColumns)) {
        view.center_on(e.t);
        table_cursor_ = view.cursor;  // clicked here: do not scroll away
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\n%s", format_utc_ms(m_.meta.epoch_unix_s + e.t).c_str(), e.detail.c_str());
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextColored(col4(event_color(e.kind)), "%s", event_kind_name(e.kind));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(e.detail.c_str());
    }
  ImGui::EndTable();
}

}  // namespace peebot::viz
