// The Range tab: counts, precision/recall, LOS time, tank range and ingest->dashboard
// latency of the selection (or the visible window).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "app.hpp"

namespace peebot::viz {

void App::range_tab() {
  const bool has_sel = view.has_selection();
  double a = 0, b = 0;
  view.range(a, b);
  const bool from_rows = m_.stage_summary.present && !m_.latency_exact;
  if (a != range_key0_ || b != range_key1_) {
    const LatencyStats keep = range_.dashboard;
    range_ = range_stats(m_, a, b);
    if (from_rows) range_.dashboard = keep;  // until the range's rows are read
    range_key0_ = a;
    range_key1_ = b;
  }
  if (from_rows) range_latency(a, b);
  const RangeStats& r = range_;
  ImGui::TextWrapped(has_sel ? "Selection (shift+drag on the charts; shift+click clears):"
                             : "Visible window (shift+drag on the charts to select a range):");
  ImGui::Text("%s", format_utc(m_.meta.epoch_unix_s + a).c_str());
  ImGui::Text("%s  (%s)", format_utc(m_.meta.epoch_unix_s + b).c_str(), format_duration(b - a).c_str());
  ImGui::Separator();
  if (ImGui::BeginTable("range", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    char b2[64];
    if (m_.meta.has_truth) {
      table_row("true voids (tank)", std::to_string(r.voids));
      table_row("  found", std::to_string(r.hits));
      table_row("  missed", std::to_string(r.misses));
      std::snprintf(b2, sizeof b2, "%.3f", r.precision);
      table_row("precision", b2);
      std::snprintf(b2, sizeof b2, "%.3f", r.recall);
      table_row("recall", b2);
    }
    table_row("detections", std::to_string(r.detections));
    if (m_.meta.has_truth) {
      table_row("  false alarms", std::to_string(r.false_alarms));
      table_row("  duplicates", std::to_string(r.duplicates));
    }
    table_row("posts sent", std::to_string(r.posts_sent));
    table_row("tank samples", std::to_string(r.tank_samples));
    std::snprintf(b2, sizeof b2, "%.0f .. %.0f %%", r.tank_min, r.tank_max);
    table_row("tank level", r.tank_samples ? b2 : "-");
    table_row("loss of signal", format_duration(r.los_s));
    table_row(range_loading() ? "ingest->dashboard n (reading)" : "ingest->dashboard n", std::to_string(r.dashboard.count));
    table_row("  p50 / p99", format_duration(r.dashboard.p50_s) + " / " + format_duration(r.dashboard.p99_s));
    ImGui::EndTable();
  }
  export_csv_button("Export CSV of this range");
}

}  // namespace peebot::viz
