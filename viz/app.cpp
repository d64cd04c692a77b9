#include "app.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <chrono>
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>

#include <imgui_internal.h>
#include <sys/stat.h>

namespace peebot::viz {

namespace {

// Palette (dark theme).
constexpr ImU32 kBg = IM_COL32(22, 24, 30, 255);
constexpr ImU32 kGrid = IM_COL32(52, 56, 68, 255);
constexpr ImU32 kLabel = IM_COL32(170, 176, 190, 255);
constexpr ImU32 kTankCol = IM_COL32(90, 200, 250, 255);
constexpr ImU32 kTruthCol = IM_COL32(255, 255, 255, 110);
constexpr ImU32 kLosCol = IM_COL32(150, 150, 150, 42);
constexpr ImU32 kFullCol = IM_COL32(255, 80, 80, 40);
constexpr ImU32 kCursorCol = IM_COL32(255, 210, 60, 255);
constexpr ImU32 kSelCol = IM_COL32(80, 140, 255, 48);
constexpr ImU32 kWasteCol = IM_COL32(200, 150, 90, 255);
constexpr ImU32 kCleanCol = IM_COL32(110, 170, 255, 255);
constexpr ImU32 kStageCol[kStageSeries] = {IM_COL32(100, 180, 255, 150), IM_COL32(120, 220, 120, 150),
                                           IM_COL32(255, 200, 80, 150), IM_COL32(240, 110, 180, 150)};
constexpr const char* kStageLabel[kStageSeries] = {"feed", "ingest", "detector", "store"};

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

ImVec4 col4(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

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

}  // namespace

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

App::App(Model model) : m_(std::move(model)) {
  fit_all();
  cursor = m_.t_begin;
  if (!m_.latency_ready) {
    const std::string path = m_.path;
    loader_.start([path] {
      Loaded r;
      try {
        r.data = std::make_unique<LatencyData>(load_latency(path));
      } catch (const std::exception& e) {
        r.error = e.what();
      }
      return r;
    });
  }
}

App::~App() {
  // The jobs use this App's members (hdf5_mu_, the stage summary): join them first.
  loader_.join();
  rows_job_.join();
  range_job_.join();
}

void App::range_latency(double a, double b) {
  if (auto r = range_job_.take(); r && range_job_a_ == a && range_job_b_ == b) range_.dashboard = *r;
  if (range_job_.busy()) return;  // one read at a time; the newest range starts after it
  if (a == range_job_a_ && b == range_job_b_) return;
  range_job_a_ = a;
  range_job_b_ = b;
  const std::string path = m_.path;
  const StageSummary* summary = &m_.stage_summary;
  std::mutex* mu = &hdf5_mu_;
  range_job_.start([path, summary, mu, a, b] {
    try {
      std::lock_guard<std::mutex> lk(*mu);
      return range_dashboard_from_rows(path, *summary, a, b);
    } catch (const std::exception&) {
      return LatencyStats{};
    }
  });
}

void App::install_rows() {
  if (auto r = rows_job_.take(); r && *r) rows_view_ = std::move(*r);
}

void App::latency_rows(double a, double b) {
  install_rows();
  if (rows_job_.busy()) return;
  if (rows_view_ && rows_view_->t0 <= a && rows_view_->t1 >= b) return;
  // A window on either side, so panning and zooming out a little stay at full resolution.
  const double w = b - a;
  double ra = a - w, rb = b + w;
  if (summary_updates_in(m_.stage_summary, ra, rb, rows_view_max) > rows_view_max) { ra = a; rb = b; }
  const std::string path = m_.path;
  const StageSummary* summary = &m_.stage_summary;
  std::mutex* mu = &hdf5_mu_;
  rows_job_.start([path, summary, mu, ra, rb]() -> std::unique_ptr<StageRowsView> {
    try {
      std::lock_guard<std::mutex> lk(*mu);
      return std::make_unique<StageRowsView>(stage_rows_view(path, *summary, ra, rb));
    } catch (const std::exception&) {
      return nullptr;
    }
  });
}

void App::wait_rows() {
  rows_job_.wait_done();
  install_rows();
}

void App::prefetch_rows() {
  const bool summary = m_.latency_ready && !m_.latency_exact && m_.stage_summary.present;
  if (!summary || summary_updates_in(m_.stage_summary, t0, t1, rows_view_max) > rows_view_max) return;
  wait_rows();
  latency_rows(t0, t1);
  wait_rows();
}

void App::wait_range() {
  while (range_job_.busy()) {
    range_job_.wait_done();
    range_latency(range_key0_, range_key1_);
  }
}

void App::take_latency() {
  auto r = loader_.take();
  if (!r) return;
  if (r->data) install(m_, std::move(*r->data));
  if (!r->error.empty()) status = "stage latencies: " + r->error;
  lat_y_auto_ = true;
}

void App::wait_latency() {
  loader_.wait_done();
  take_latency();
}

void App::set_window(double a, double b) {
  if (!(b > a)) b = a + 1e-3;
  const double span = b - a;
  const double min_span = 1.0, max_span = (m_.t_end - m_.t_begin) * 1.2 + 60;
  if (span < min_span) { const double c = (a + b) / 2; a = c - min_span / 2; b = c + min_span / 2; }
  if (span > max_span) { const double c = (a + b) / 2; a = c - max_span / 2; b = c + max_span / 2; }
  t0 = a;
  t1 = b;
}

void App::fit_all() {
  const double pad = (m_.t_end - m_.t_begin) * 0.01;
  set_window(m_.t_begin - pad, m_.t_end + pad);
  tank_y_auto_ = lat_y_auto_ = true;
}

void App::center_on(double t) {
  const double w = t1 - t0;
  set_window(t - w / 2, t + w / 2);
  cursor = t;
}

bool App::jump_event(int dir) {
  const auto& ev = m_.events;
  auto interesting = [](EventKind k) { return is_marker(k) && k != EventKind::kBulk; };
  const double eps = 1e-6;
  if (dir > 0) {
    auto it = std::upper_bound(ev.begin(), ev.end(), cursor + eps, [](double t, const Event& e) { return t < e.t; });
    for (; it != ev.end(); ++it)
      if (interesting(it->kind)) {
        cursor = it->t;
        if (cursor < t0 || cursor > t1) center_on(cursor);
        return true;
      }
  } else {
    auto it = std::lower_bound(ev.begin(), ev.end(), cursor - eps, [](const Event& e, double t) { return e.t < t; });
    while (it != ev.begin()) {
      --it;
      if (interesting(it->kind)) {
        cursor = it->t;
        if (cursor < t0 || cursor > t1) center_on(cursor);
        return true;
      }
    }
  }
  return false;
}

float App::tank_y_of(double v) const {
  const ChartRect& r = chart[static_cast<int>(ChartId::kTank)];
  return r.max.y - 4 - static_cast<float>((v - tank_y0) / (tank_y1 - tank_y0)) * (r.max.y - r.min.y - 8);
}

std::string App::default_stem() const {
  std::string s = m_.path;
  const auto slash = s.find_last_of('/');
  if (slash != std::string::npos) s = s.substr(slash + 1);
  for (const char* ext : {".tmp", ".h5"})
    if (s.size() > std::strlen(ext) && s.compare(s.size() - std::strlen(ext), std::strlen(ext), ext) == 0)
      s.resize(s.size() - std::strlen(ext));
  return s;
}

std::string App::export_selection_csv(const std::string& path) {
  const bool has_sel = !std::isnan(sel0);
  const double a = has_sel ? std::min(sel0, sel1) : t0, b = has_sel ? std::max(sel0, sel1) : t1;
  std::string out = path;
  if (out.empty()) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "_%.0f-%.0f.csv", a, b);
    out = default_stem() + buf;
  }
  export_csv(m_, a, b, out);
  return out;
}

bool App::live() const {
  return m_.meta.mode == "live" || (m_.path.size() > 4 && m_.path.compare(m_.path.size() - 4, 4, ".tmp") == 0);
}

double App::idle_wait() {
  if (playing) { idle_frames_ = 0; return 0.0; }
  if (latency_loading() || range_loading() || rows_loading()) { idle_frames_ = 0; return 0.05; }
  if (live()) return 0.5;
  if (++idle_frames_ < 2) return 0.0;
  idle_frames_ = 0;
  return HUGE_VAL;
}

void App::poll_live(double wall_now) {
  const bool live = this->live();
  // HDF5: one thread at a time.
  if (!live || latency_loading() || range_loading() || rows_loading() || wall_now - last_live_check_ < 1.0) return;
  last_live_check_ = wall_now;
  try {
    const bool following = t1 >= m_.t_end - 1e-6 || playing;
    const double w = t1 - t0;
    const std::string& path = m_.path;
    struct stat st {};
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".tmp") == 0 && ::stat(path.c_str(), &st) != 0) {
      // The writer finished and renamed it: open the final file once (it has its stage summaries now).
      tail_.reset();
      const std::string final_path = path.substr(0, path.size() - 4);
      Model next = load_model(final_path, false);
      if (!next.latency_ready) install(next, load_latency(final_path));
      m_ = std::move(next);
    } else {
      // Follow the growing file: it stays open for SWMR reading; H5Drefresh shows the new rows.
      if (!tail_) tail_ = std::make_unique<TraceTail>(path);
      if (!follow(m_, *tail_)) return;
    }
    order_dirty_ = true;
    range_key0_ = kNoTime;
    if (following) set_window(m_.t_end - w * 0.95, m_.t_end + w * 0.05);
    status = std::string(tail_ && tail_->swmr() ? "live (SWMR): " : "live: ") + std::to_string(m_.tank.size()) +
             " tank samples";
  } catch (const std::exception& e) {
    status = std::string("live tail failed: ") + e.what();
  }
}

// ---------------------------------------------------------------- frame
void App::frame(double wall_dt) {
  take_latency();
  if (range_job_.done()) range_latency(range_key0_, range_key1_);
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0);
  // No full-screen background quad: glClear paints it (software rasterisers pay per pixel).
  ImGui::SetNextWindowBgAlpha(0.0f);
  ImGui::Begin("peebot-view", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoBringToFrontOnFocus |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollWithMouse);
  ImGui::PopStyleVar();

  if (playing) {
    cursor += wall_dt * speed;
    const double end = m_.t_end;
    if (cursor >= end) {
      cursor = end;
      if (m_.meta.mode != "live") playing = false;
    }
    if (cursor > t1 || cursor < t0) {
      const double w = t1 - t0;
      set_window(cursor - 0.1 * w, cursor + 0.9 * w);
    }
  }
  keyboard();
  transport_bar(wall_dt);
  scrubber();

  const float side_w = show_ui_panels ? std::max(340.0f, ImGui::GetContentRegionAvail().x * 0.31f) : 0.0f;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  ImGui::BeginChild("charts", ImVec2(avail.x - side_w - (side_w > 0 ? 6 : 0), avail.y), false,
                    ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  charts();
  chart_vertices = ImGui::GetWindowDrawList()->VtxBuffer.Size;
  ImGui::EndChild();
  if (side_w > 0) {
    ImGui::SameLine(0, 6);
    ImGui::BeginChild("side", ImVec2(0, avail.y), false);
    side_panel();
    ImGui::EndChild();
  }
  ImGui::End();
}

void App::keyboard() {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  const double w = t1 - t0;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false)) playing = !playing;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) {
    if (io.KeyCtrl) jump_event(+1);
    else cursor = std::min(m_.t_end, cursor + w / 50);
    if (cursor > t1) set_window(cursor - 0.9 * w, cursor + 0.1 * w);
  }
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) {
    if (io.KeyCtrl) jump_event(-1);
    else cursor = std::max(m_.t_begin, cursor - w / 50);
    if (cursor < t0) set_window(cursor - 0.1 * w, cursor + 0.9 * w);
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_UP)) speed = std::min(1e5, speed * 10);
  if (ImGui::IsKeyPressed(GLFW_KEY_DOWN)) speed = std::max(1.0, speed / 10);
  auto zoom = [&](double f) {
    const double c = (cursor >= t0 && cursor <= t1) ? cursor : (t0 + t1) / 2;
    set_window(c - (c - t0) * f, c + (t1 - c) * f);
  };
  if (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD)) zoom(0.5);
  if (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT)) zoom(2.0);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home))) { cursor = m_.t_begin; set_window(cursor, cursor + w); }
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End))) { cursor = m_.t_end; set_window(cursor - w, cursor); }
  if (ImGui::IsKeyPressed(GLFW_KEY_N)) jump_event(+1);
  if (ImGui::IsKeyPressed(GLFW_KEY_P)) jump_event(-1);
  if (ImGui::IsKeyPressed(GLFW_KEY_F)) fit_all();
}

void App::transport_bar(double wall_dt) {
  (void)wall_dt;
  if (ImGui::Button(playing ? "Pause" : " Play ", ImVec2(62, 0))) playing = !playing;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("space");
  ImGui::SameLine();
  if (ImGui::Button("|<")) { cursor = m_.t_begin; set_window(cursor, cursor + (t1 - t0)); }
  ImGui::SameLine();
  if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) jump_event(-1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("previous event (P, Ctrl+Left)");
  ImGui::SameLine();
  if (ImGui::ArrowButton("##next", ImGuiDir_Right)) jump_event(+1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("next event (N, Ctrl+Right)");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(150);
  float lg = static_cast<float>(std::log10(speed));
  char sp[32];
  std::snprintf(sp, sizeof sp, "%.0fx", speed);
  if (ImGui::SliderFloat("##speed", &lg, 0.0f, 5.0f, sp)) speed = std::pow(10.0, static_cast<double>(lg));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("playback speed, virtual seconds per second (Up/Down)");
  ImGui::SameLine();
  const double unix_c = m_.meta.epoch_unix_s + cursor;
  ImGui::TextColored(col4(kCursorCol), "t %s", rel_time(cursor - m_.t_begin).c_str());
  ImGui::SameLine();
  ImGui::Text("| %s | ISS TimeStamp %.5f h", format_utc(unix_c, true).c_str(), iss_timestamp_h(unix_c));
  ImGui::SameLine();
  ImGui::TextDisabled("| window %s", format_duration(t1 - t0).c_str());
  const float right = ImGui::GetWindowContentRegionMax().x;
  ImGui::SameLine(right - 292);
  if (ImGui::Button("Fit")) fit_all();
  ImGui::SameLine();
  if (ImGui::Button("Screenshot")) {
    want_screenshot = true;
    screenshot_path.clear();
  }
  ImGui::SameLine();
  if (ImGui::Button("Export CSV")) {
    try {
      status = "wrote " + export_selection_csv("");
    } catch (const std::exception& e) {
      status = e.what();
    }
  }
  ImGui::SameLine();
  const bool live = m_.meta.mode == "live";
  ImGui::TextColored(live ? ImVec4(1, 0.3f, 0.3f, 1) : ImVec4(0.5f, 0.5f, 0.55f, 1), live ? "LIVE" : "%s",
                     m_.meta.mode.c_str());
  if (!status.empty()) {
    ImGui::SameLine();
    ImGui::TextDisabled("%s", status.c_str());
  }
}

void App::scrubber() {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x, h = 22;
  ImGui::InvisibleButton("##scrub", ImVec2(w, h));
  const ImVec2 q(p.x + w, p.y + h);
  dl->AddRectFilled(p, q, IM_COL32(34, 37, 46, 255), 3);
  const double a = m_.t_begin, b = m_.t_end;
  auto xs = [&](double t) { return p.x + static_cast<float>((t - a) / (b - a)) * w; };
  for (const Interval& l : m_.los) dl->AddRectFilled(ImVec2(xs(l.t0), p.y), ImVec2(std::max(xs(l.t1), xs(l.t0) + 1), q.y), kLosCol);
  float last_x[static_cast<int>(EventKind::kCount)];
  for (float& x : last_x) x = -1e9f;
  for (const Event& e : m_.events) {
    if (!is_marker(e.kind) || e.kind == EventKind::kVoidNoTank) continue;
    const float x = std::floor(xs(e.t));
    float& lx = last_x[static_cast<int>(e.kind)];
    if (x == lx) continue;
    lx = x;
    const bool bad = e.kind == EventKind::kVoidMissed || e.kind == EventKind::kDetFalseAlarm;
    const float y0 = bad ? p.y + 2 : p.y + h * 0.55f;
    dl->AddLine(ImVec2(x + 0.5f, y0), ImVec2(x + 0.5f, q.y - 2), (event_color(e.kind) & 0x00FFFFFF) | (bad ? 0xFF000000 : 0x80000000));
  }
  dl->AddRect(ImVec2(xs(t0), p.y), ImVec2(std::max(xs(t1), xs(t0) + 2), q.y), IM_COL32(255, 255, 255, 160), 2, 0, 1.5f);
  dl->AddLine(ImVec2(xs(cursor), p.y), ImVec2(xs(cursor), q.y), kCursorCol, 2);
  if (ImGui::IsItemActive()) {
    const double t = a + (ImGui::GetIO().MousePos.x - p.x) / w * (b - a);
    center_on(std::clamp(t, a, b));
  }
  if (ImGui::IsItemHovered()) {
    const double t = a + (ImGui::GetIO().MousePos.x - p.x) / w * (b - a);
    ImGui::SetTooltip("%s (%s)\nclick or drag to move the cursor and the window", rel_time(t - a).c_str(),
                      format_utc(m_.meta.epoch_unix_s + t).c_str());
  }
}

// ---------------------------------------------------------------- charts
void App::charts() {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gutter = 80, right_pad = 8, gap = 5;
  plot_x0 = origin.x + gutter;
  plot_x1 = origin.x + avail.x - right_pad;
  const float pw = plot_x1 - plot_x0;
  const int ncols = std::max(1, static_cast<int>(pw));
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
  const ChartRect& ax = chart[static_cast<int>(ChartId::kAxis)];
  const ChartRect& tk = chart[static_cast<int>(ChartId::kTank)];
  const ChartRect& mk = chart[static_cast<int>(ChartId::kMarkers)];
  const ChartRect& up = chart[static_cast<int>(ChartId::kUpa)];
  const ChartRect& wa = chart[static_cast<int>(ChartId::kWater)];
  const ChartRect& cr = chart[static_cast<int>(ChartId::kCrew)];
  const ChartRect& la = chart[static_cast<int>(ChartId::kLatency)];
  const float top = tk.min.y, bottom = la.max.y;

  // Interaction first so this frame draws the new window.
  chart_interaction(ImVec2(plot_x0, ax.min.y), ImVec2(plot_x1, bottom));

  dl->PushClipRect(ImVec2(origin.x, origin.y), ImVec2(origin.x + avail.x, origin.y + avail.y), true);
  // No background quads: the window is cleared to kBg (gl_window.cpp).
  auto label = [&](const ChartRect& r, const char* text, float dy = 0) {
    dl->AddText(ImVec2(origin.x + 4, r.min.y + dy), kLabel, text);
  };

  // Time axis and grid.
  const double step = tick_step(t1 - t0, pw, 95);
  const double ep = m_.meta.epoch_unix_s;
  // Ticks on UTC boundaries.
  double first = std::ceil((ep + t0) / step) * step - ep;
  for (double t = first; t <= t1; t += step) {
    const float x = std::round(x_of(t)) + 0.5f;
    dl->AddLine(ImVec2(x, ax.max.y - 5), ImVec2(x, ax.max.y), kLabel);
    dl->AddLine(ImVec2(x, top), ImVec2(x, bottom), kGrid);
    const std::string s = tick_label(ep + t, step);
    const float lx = x - ImGui::CalcTextSize(s.c_str()).x / 2;
    if (lx >= plot_x0 - 4) dl->AddText(ImVec2(lx, ax.min.y + 1), kLabel, s.c_str());
  }
  {
    const std::string day = format_utc(ep + t0).substr(5, 5) + " UTC";
    dl->AddText(ImVec2(origin.x + 4, ax.min.y + 1), kLabel, day.c_str());
  }

  // Shading over every chart: LOS, tank full.
  auto shade = [&](const std::vector<Interval>& iv, ImU32 col, float ya, float yb) {
    float last = -1e9f;
    for (const Interval& i : iv) {
      if (i.t1 < t0 || i.t0 > t1) continue;
      const float xa = std::max(plot_x0, x_of(i.t0)), xb = std::min(plot_x1, std::max(x_of(i.t1), x_of(i.t0) + 1));
      if (xb <= last) continue;  // sub-pixel windows merge into the previous pixel
      dl->AddRectFilled(ImVec2(std::max(xa, last), ya), ImVec2(xb, yb), col);
      last = xb;
    }
  };
  shade(m_.tank_full, kFullCol, tk.min.y, tk.max.y);

  // Tank level: stairs over M4 columns; truth as a thin line.
  std::size_t before = SIZE_MAX;
  m_.tank.decimate(t0, t1, ncols, cols_, before);
  if (tank_y_auto_) {
    double lo = 1e300, hi = -1e300;
    for (const M4Column& c : cols_)
      if (c.count) { lo = std::min(lo, c.min); hi = std::max(hi, c.max); }
    if (before != SIZE_MAX) { lo = std::min(lo, m_.tank.v()[before]); hi = std::max(hi, m_.tank.v()[before]); }
    if (!(hi >= lo)) { lo = 0; hi = 100; }
    const double pad = std::max(2.0, (hi - lo) * 0.08);
    tank_y0 = std::max(-1.0, lo - pad);
    tank_y1 = std::min(101.0, hi + pad);
    if (tank_y1 - tank_y0 < 4) { tank_y0 -= 2; tank_y1 += 2; }
  }
  {
    // y grid + labels
    const double span = tank_y1 - tank_y0;
    const double ys = span > 50 ? 20 : span > 20 ? 10 : span > 10 ? 5 : span > 4 ? 2 : 1;
    for (double v = std::ceil(tank_y0 / ys) * ys; v <= tank_y1; v += ys) {
      const float yy = std::round(tank_y_of(v)) + 0.5f;
      dl->AddLine(ImVec2(plot_x0, yy), ImVec2(plot_x1, yy), kGrid);
      char b[16];
      std::snprintf(b, sizeof b, "%.0f%%", v);
      dl->AddText(ImVec2(plot_x0 - 6 - ImGui::CalcTextSize(b).x, yy - 7), kLabel, b);
    }
    const char* title = "Urine tank level, % (NODE3000005)";
    dl->AddRectFilled(ImVec2(plot_x0 + 4, tk.min.y + 3), ImVec2(plot_x0 + 12 + ImGui::CalcTextSize(title).x, tk.min.y + 21),
                      IM_COL32(22, 24, 30, 200));
    dl->AddText(ImVec2(plot_x0 + 8, tk.min.y + 4), IM_COL32(220, 220, 225, 255), title);
  }
  dl->PushClipRect(tk.min, tk.max, true);
  auto ytank = [this](double v) { return tank_y_of(v); };
  if (!m_.tank_truth.empty()) {
    std::size_t tb = SIZE_MAX;
    m_.tank_truth.decimate(t0, t1, ncols, cols2_, tb);
    const Series& tt = m_.tank_truth;
    const std::size_t nx = tt.lower(t1);
    draw_columns(dl, cols2_, ytank, false, false, tb != SIZE_MAX ? x_of(tt.t()[tb]) : 0.0f, tb != SIZE_MAX ? tt.v()[tb] : kNoTime,
                 nx < tt.size() ? x_of(tt.t()[nx]) : 0.0f, nx < tt.size() ? tt.v()[nx] : kNoTime, kTruthCol, 1.0f);
  }
  {
    const bool have = before != SIZE_MAX;
    const double tend = std::min(t1, m_.tank.empty() || m_.tank.t().back() > t1 ? t1 : m_.t_end);
    const int vtx0 = dl->VtxBuffer.Size;
    draw_columns(dl, cols_, ytank, true, true, plot_x0 - 2, have ? m_.tank.v()[before] : kNoTime,
                 std::min(plot_x1 + 2, x_of(tend)), 0.0, kTankCol, 1.6f);
    tank_vertices = dl->VtxBuffer.Size - vtx0;
    if (m_.tank.empty()) dl->AddText(ImVec2((tk.min.x + tk.max.x) / 2 - 30, (tk.min.y + tk.max.y) / 2), kLabel, "no data");
  }
  // Missed voids: a dashed red line through the tank chart.
  for (std::size_t i = 0; i < m_.voids.size(); ++i) {
    if (m_.void_kind[i] != EventKind::kVoidMissed) continue;
    const double t = m_.voids[i].onset_s;
    if (t < t0 || t > t1) continue;
    const float x = std::round(x_of(t)) + 0.5f;
    for (float yy = tk.min.y; yy < tk.max.y; yy += 8) dl->AddLine(ImVec2(x, yy), ImVec2(x, std::min(yy + 4, tk.max.y)), IM_COL32(255, 50, 50, 170));
  }
  dl->PopClipRect();

  // Markers: truth, detector, posts.
  {
    const float row_h = h_markers / 3;
    const char* rows[3] = {"Truth voids", "Detections", "Posts"};
    for (int r = 0; r < 3; ++r) {
      dl->AddText(ImVec2(origin.x + 4, mk.min.y + r * row_h + 2), kLabel, rows[r]);
      if (r) dl->AddLine(ImVec2(plot_x0, mk.min.y + r * row_h), ImVec2(plot_x1, mk.min.y + r * row_h), kGrid);
    }
    dl->PushClipRect(ImVec2(mk.min.x - 6, mk.min.y), ImVec2(mk.max.x + 6, mk.max.y), true);
    float last_x[static_cast<int>(EventKind::kCount)];
    for (float& x : last_x) x = -1e9f;
    auto lo = std::lower_bound(m_.events.begin(), m_.events.end(), t0 - (t1 - t0) * 0.01,
                               [](const Event& e, double t) { return e.t < t; });
    // Detection delay bars (estimated onset -> emission) under the dots.
    for (auto it = lo; it != m_.events.end() && it->t <= t1 + (t1 - t0) * 0.01; ++it) {
      if (!is_marker(it->kind)) continue;
      int row = 0;
      switch (it->kind) {
        case EventKind::kVoid: case EventKind::kVoidMissed: case EventKind::kVoidNoTank: case EventKind::kBulk: row = 0; break;
        case EventKind::kPostSent: case EventKind::kPostFailed: case EventKind::kPostSuppressed: case EventKind::kPostSkipped: row = 2; break;
        default: row = 1; break;
      }
      if (it->kind == EventKind::kBulk) continue;
      const float x = x_of(it->t);
      float& lx = last_x[static_cast<int>(it->kind)];
      // One marker per kind within 2 pixels: denser ones only overdraw the same disc.
      if (std::fabs(x - lx) < 2.0f) continue;
      lx = x;
      const float cy = mk.min.y + row * row_h + row_h / 2;
      if (row == 1 && (t1 - t0) < 86400 * 2) {
        const Detection& d = m_.detections[it->index];
        const float xo = x_of(d.onset_s);
        if (!std::isnan(d.onset_s) && x - xo > 2)
          dl->AddLine(ImVec2(xo, cy), ImVec2(x, cy), (event_color(it->kind) & 0x00FFFFFF) | 0x70000000, 2);
      }
      draw_marker(dl, it->kind, ImVec2(x, cy), it->kind == EventKind::kVoidMissed ? 5.5f : 4.5f);
    }
    dl->PopClipRect();
  }

  // UPA band.
  label(up, "UPA state", 0);
  {
    dl->PushClipRect(up.min, up.max, true);
    float last = -1e9f;
    for (const Interval& i : m_.upa_states) {
      if (i.t1 < t0 || i.t0 > t1) continue;
      const float xa = std::max(plot_x0, x_of(i.t0)), xb = std::min(plot_x1, x_of(i.t1));
      if (xb < last + 0.5f && xb - xa < 1) continue;
      dl->AddRectFilled(ImVec2(std::max(xa, last), up.min.y), ImVec2(std::max(xb, xa + 1), up.max.y), upa_color(i.value));
      if (xb - xa > 70) dl->AddText(ImVec2(xa + 4, up.min.y + 1), IM_COL32(255, 255, 255, 220), upa_state_name(i.value));
      last = std::max(xb, xa + 1);
    }
    if (m_.upa_states.empty()) dl->AddText(ImVec2(plot_x0 + 6, up.min.y + 1), kLabel, "no data");
    dl->PopClipRect();
  }

  // Waste / clean water (lines; "no data" when the trace has none).
  {
    const char* title = "Waste / clean water tanks, %";
    dl->AddText(ImVec2(plot_x0 + 8, wa.min.y + 3), IM_COL32(220, 220, 225, 255), title);
  }
  dl->AddText(ImVec2(origin.x + 4, wa.min.y + 18), kWasteCol, "waste");
  dl->AddText(ImVec2(origin.x + 4, wa.min.y + 34), kCleanCol, "clean");
  dl->AddText(ImVec2(plot_x0 - 6 - ImGui::CalcTextSize("100%").x, wa.min.y), kLabel, "100%");
  dl->AddText(ImVec2(plot_x0 - 6 - ImGui::CalcTextSize("0%").x, wa.max.y - 15), kLabel, "0%");
  {
    dl->PushClipRect(wa.min, wa.max, true);
    auto ywa = [&](double v) { return wa.max.y - 2 - static_cast<float>(v / 100.0) * (wa.max.y - wa.min.y - 4); };
    int drawn = 0;
    for (const auto& [s, col] : {std::pair<const Series*, ImU32>{&m_.waste, kWasteCol}, {&m_.clean, kCleanCol}}) {
      if (s->empty()) continue;
      ++drawn;
      std::size_t b = SIZE_MAX;
      s->decimate(t0, t1, ncols, cols_, b);
      draw_columns(dl, cols_, ywa, true, false, plot_x0 - 2, b != SIZE_MAX ? s->v()[b] : kNoTime,
                   std::min(plot_x1 + 2, x_of(std::min(t1, m_.t_end))), 0.0, col, 1.3f);
    }
    if (!drawn) {
      const char* nd = "no data (the trace has no waste/clean water samples)";
      dl->AddText(ImVec2((wa.min.x + wa.max.x - ImGui::CalcTextSize(nd).x) / 2, (wa.min.y + wa.max.y) / 2 - 7),
                  IM_COL32(130, 130, 140, 255), nd);
    }
    dl->PopClipRect();
  }

  // Crew lanes.
  label(cr, "Crew awake");
  {
    dl->PushClipRect(cr.min, cr.max, true);
    for (std::size_t c = 0; c < m_.crew.size(); ++c) {
      const float ya = cr.min.y + c * crew_lane, yb = ya + crew_lane - 1;
      float last = -1e9f;
      for (const Interval& i : m_.crew[c]) {
        if (i.t1 < t0 || i.t0 > t1 || !i.value) continue;
        const float xa = std::max(plot_x0, x_of(i.t0)), xb = std::min(plot_x1, std::max(x_of(i.t1), x_of(i.t0) + 1));
        if (xb <= last) continue;
        dl->AddRectFilled(ImVec2(std::max(xa, last), ya), ImVec2(xb, yb), IM_COL32(230, 190, 80, 200));
        last = xb;
      }
    }
    if (m_.crew.empty()) dl->AddText(ImVec2(plot_x0 + 6, cr.min.y), kLabel, "no data (no truth)");
    dl->PopClipRect();
  }

  // Per-stage latency over time: per-column min..max bars on a log axis.
  if (lat_y_auto_) {
    double lo = 1e300, hi = -1e300;
    for (const Series& s : m_.stage_latency) {
      double a = 0, b = 0;
      if (s.range_minmax(0, s.size(), a, b)) { lo = std::min(lo, a); hi = std::max(hi, b); }
    }
    if (!(hi >= lo)) { lo = -3; hi = 0; }
    lat_y0_ = std::floor(lo);
    lat_y1_ = std::max(lat_y0_ + 1, std::ceil(hi));
  }
  auto ylat = [&](double lv) {
    return la.max.y - 3 - static_cast<float>((lv - lat_y0_) / (lat_y1_ - lat_y0_)) * (la.max.y - la.min.y - 6);
  };
  for (double d = std::ceil(lat_y0_); d <= lat_y1_; d += 1) {
    const float yy = std::round(ylat(d)) + 0.5f;
    dl->AddLine(ImVec2(plot_x0, yy), ImVec2(plot_x1, yy), kGrid);
    const double s = std::pow(10.0, d);
    char b[16];
    if (s < 1) std::snprintf(b, sizeof b, "%gms", s * 1e3);
    else std::snprintf(b, sizeof b, "%gs", s);
    dl->AddText(ImVec2(plot_x0 - 6 - ImGui::CalcTextSize(b).x, yy - 7), kLabel, b);
  }
  {
    dl->PushClipRect(la.min, la.max, true);
    const int vtx0 = dl->VtxBuffer.Size;
    // From the summaries: each 60 s bucket's min..max as a band; zoomed in to
    // at most rows_view_max updates, every update from the window's rows.
    const bool summary = m_.latency_ready && !m_.latency_exact && m_.stage_summary.present;
    latency_from_rows = false;
    const Series* src = m_.stage_latency;
    if (summary && summary_updates_in(m_.stage_summary, t0, t1, rows_view_max) <= rows_view_max) {
      latency_rows(t0, t1);
      if (rows_view_ && rows_view_->t0 <= t0 && rows_view_->t1 >= t1) {
        src = rows_view_->lat;
        latency_from_rows = true;
      }
    }
    const double bucket_s = m_.stage_summary.bucket_s;
    const bool per_bucket = summary && !latency_from_rows && bucket_s / (t1 - t0) * pw >= 1.0;
    bool any = false;
    for (int k = 0; k < kStageSeries; ++k) {
      const Series& s = src[k];
      if (s.empty()) continue;
      any = true;
      bands_.begin(dl, kStageCol[k]);
      auto band = [&](float xa, float xb, double lo, double hi) {
        float ya = ylat(hi) - 0.5f, yb = ylat(lo) + 0.5f;
        if (yb - ya < 1.5f) yb = ya + 1.5f;
        bands_.add(xa, xb, ya, yb);
      };
      if (per_bucket) {
        // Samples come in pairs (min at the bucket start, max half a bucket later).
        std::size_t i = s.lower(t0 - bucket_s);
        i -= i % 2;
        const auto& tv = s.t();
        const auto& vv = s.v();
        for (; i + 1 < s.size() && tv[i] <= t1; i += 2) {
          if (std::isnan(vv[i]) || std::isnan(vv[i + 1])) continue;
          band(std::max(plot_x0 - 1, x_of(tv[i])), std::min(plot_x1 + 1, x_of(tv[i] + bucket_s)), vv[i], vv[i + 1]);
        }
      } else {
        std::size_t b = SIZE_MAX;
        s.decimate(t0, t1, ncols, cols_, b);
        for (int c = 0; c < ncols; ++c) {
          const M4Column& m = cols_[static_cast<std::size_t>(c)];
          if (!m.count || std::isnan(m.min)) continue;
          const float x = plot_x0 + c;
          band(x, x + 1, m.min, m.max);
        }
      }
      bands_.flush();
    }
    latency_vertices = dl->VtxBuffer.Size - vtx0;
    if (!any)
      dl->AddText(ImVec2(plot_x0 + 8, la.min.y + 24), kLabel,
                  latency_loading() ? "reading /pipeline/stages in the background..." : "no data");
    {
      const char* title = latency_from_rows ? "Latency per stage (by arrival; every update, min..max per pixel)"
                          : per_bucket      ? "Latency per stage (by arrival; min..max per 60 s, stage summaries)"
                          : summary         ? "Latency per stage (by arrival; min..max per pixel, stage summaries)"
                                            : "Latency per stage (by arrival; min..max per pixel)";
      dl->AddRectFilled(ImVec2(plot_x0 + 4, la.min.y + 2), ImVec2(plot_x0 + 12 + ImGui::CalcTextSize(title).x, la.min.y + 19),
                        IM_COL32(22, 24, 30, 220));
      dl->AddText(ImVec2(plot_x0 + 8, la.min.y + 3), IM_COL32(220, 220, 225, 255), title);
    }
    // Legend, top right inside the plot.
    float lx = plot_x1 - 6;
    for (int k = kStageSeries - 1; k >= 0; --k) {
      const float tw = ImGui::CalcTextSize(kStageLabel[k]).x;
      lx -= tw + 16;
      dl->AddRectFilled(ImVec2(lx - 2, la.min.y + 2), ImVec2(lx + tw + 14, la.min.y + 18), IM_COL32(22, 24, 30, 220));
      dl->AddRectFilled(ImVec2(lx, la.min.y + 6), ImVec2(lx + 9, la.min.y + 15), kStageCol[k] | 0xFF000000);
      dl->AddText(ImVec2(lx + 12, la.min.y + 3), IM_COL32(220, 220, 225, 255), kStageLabel[k]);
    }
    dl->PopClipRect();
  }

  // LOS over every chart, then selection and cursor.
  shade(m_.los, kLosCol, top, bottom);
  if (!std::isnan(sel0)) {
    const float xa = std::max(plot_x0, x_of(std::min(sel0, sel1))), xb = std::min(plot_x1, x_of(std::max(sel0, sel1)));
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
  if (cursor >= t0 && cursor <= t1) {
    const float x = std::round(x_of(cursor));
    dl->AddRectFilled(ImVec2(x - 1, ax.min.y), ImVec2(x + 1, bottom), kCursorCol);
  }
  // Hover line and tooltip.
  const ImVec2 mp = ImGui::GetIO().MousePos;
  if (ImGui::IsWindowHovered() && mp.x >= plot_x0 && mp.x <= plot_x1 && mp.y >= ax.min.y && mp.y <= bottom && drag_mode_ != 1) {
    dl->AddLine(ImVec2(mp.x, top), ImVec2(mp.x, bottom), IM_COL32(255, 255, 255, 70));
    if (drag_mode_ == 0) tooltip(t_of(mp.x));
  }
  dl->PopClipRect();
}

void App::draw_columns(ImDrawList* dl, const std::vector<M4Column>& cols, const std::function<float(double)>& y, bool stairs,
                       bool exact_x, float lead_x, double lead_v, float trail_x, double trail_v, ImU32 col, float thickness) {
  pts_.clear();
  bands_.begin(dl, col);
  const float hw = std::max(0.5f, thickness / 2);
  auto flush = [&] {
    if (pts_.size() >= 2) dl->AddPolyline(pts_.data(), static_cast<int>(pts_.size()), col, 0, thickness);
    pts_.clear();
  };
  bool have = !std::isnan(lead_v);
  double prev = have ? lead_v : 0.0;
  bool only_restart = false;  // the polyline holds just the point where the previous band left off
  std::size_t last_dense = SIZE_MAX - 1;
  if (have) pts_.push_back(ImVec2(lead_x, y(lead_v)));
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const M4Column& m = cols[c];
    if (!m.count) continue;
    const float xc = plot_x0 + static_cast<float>(c) + 0.5f;
    if (m.count == 1 || std::isnan(m.min)) {
      const float x = exact_x && m.count == 1 ? x_of(m.t_first) : xc;
      if (stairs && have) pts_.push_back(ImVec2(x, y(prev)));
      pts_.push_back(ImVec2(x, y(m.first)));
      if (m.count > 1) pts_.push_back(ImVec2(x, y(m.last)));
    } else {
      double lo = m.min, hi = m.max;
      if (stairs && have && !std::isnan(prev)) { lo = std::min(lo, prev); hi = std::max(hi, prev); }
      // The line into the band (none when it only left the previous band: the bands touch).
      if (only_restart && pts_.size() == 1 && last_dense + 1 == c) pts_.clear();
      else pts_.push_back(ImVec2(xc, y(stairs && have ? prev : m.first)));
      flush();
      float ya = y(hi) - hw, yb = y(lo) + hw;  // screen y grows downwards
      if (ya > yb) std::swap(ya, yb);
      bands_.add(xc - 0.5f, xc + 0.5f, ya, yb);
      pts_.push_back(ImVec2(xc, y(m.last)));
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
    if (stairs) pts_.push_back(ImVec2(trail_x, y(prev)));
    else if (!std::isnan(trail_v)) pts_.push_back(ImVec2(trail_x, y(trail_v)));
  }
  flush();
  bands_.flush();
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
    const double tm = t_of(mp.x);
    set_window(tm - (tm - t0) * f, tm + (t1 - tm) * f);
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) { fit_all(); drag_mode_ = 0; return; }
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    drag_mode_ = io.KeyShift ? 2 : 1;
    drag_from_ = mp;
    drag_t0_ = t0;
    drag_t1_ = t1;
    if (drag_mode_ == 2) sel0 = sel1 = t_of(mp.x);
  }
  if (hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right)) { drag_mode_ = 3; drag_from_ = mp; }
  if (drag_mode_ == 1 && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    const double dt = (mp.x - drag_from_.x) / (plot_x1 - plot_x0) * (drag_t1_ - drag_t0_);
    t0 = drag_t0_ - dt;
    t1 = drag_t1_ - dt;
  }
  if (drag_mode_ == 2 && ImGui::IsMouseDown(ImGuiMouseButton_Left)) sel1 = t_of(std::clamp(mp.x, plot_x0, plot_x1));
  if (drag_mode_ == 1 && ImGui::IsMouseReleased(ImGuiMouseButton_Left)) {
    if (std::fabs(mp.x - drag_from_.x) < 3 && std::fabs(mp.y - drag_from_.y) < 3) cursor = t_of(mp.x);  // a click
    drag_mode_ = 0;
  }
  if (drag_mode_ == 2 && ImGui::IsMouseReleased(ImGuiMouseButton_Left)) {
    if (std::fabs(x_of(sel1) - x_of(sel0)) < 2) sel0 = sel1 = kNoTime;  // a shift-click clears
    drag_mode_ = 0;
  }
  if (drag_mode_ == 3 && ImGui::IsMouseReleased(ImGuiMouseButton_Right)) {
    drag_mode_ = 0;
    const float xa = std::min(drag_from_.x, mp.x), xb = std::max(drag_from_.x, mp.x);
    const float ya = std::min(drag_from_.y, mp.y), yb = std::max(drag_from_.y, mp.y);
    if (xb - xa >= 4) {
      const double na = t_of(std::max(xa, plot_x0)), nb = t_of(std::min(xb, plot_x1));
      // Box inside the tank or latency chart: zoom y there as well.
      const ChartRect& tk = chart[static_cast<int>(ChartId::kTank)];
      const ChartRect& la = chart[static_cast<int>(ChartId::kLatency)];
      if (yb - ya >= 6 && ya >= tk.min.y && yb <= tk.max.y) {
        auto v_of = [&](float y) { return tank_y0 + (tk.max.y - 4 - y) / (tk.max.y - tk.min.y - 8) * (tank_y1 - tank_y0); };
        const double v0 = v_of(yb), v1 = v_of(ya);
        tank_y0 = v0;
        tank_y1 = v1;
        tank_y_auto_ = false;
      } else if (yb - ya >= 6 && ya >= la.min.y && yb <= la.max.y) {
        auto v_of = [&](float y) { return lat_y0_ + (la.max.y - 3 - y) / (la.max.y - la.min.y - 6) * (lat_y1_ - lat_y0_); };
        const double v0 = v_of(yb), v1 = v_of(ya);
        lat_y0_ = v0;
        lat_y1_ = v1;
        lat_y_auto_ = false;
      }
      set_window(na, nb);
    }
  }
  if (!ImGui::IsMouseDown(ImGuiMouseButton_Left) && (drag_mode_ == 1 || drag_mode_ == 2)) drag_mode_ = 0;
  if (!ImGui::IsMouseDown(ImGuiMouseButton_Right) && drag_mode_ == 3) drag_mode_ = 0;
  ImGui::SetCursorScreenPos(a);
}

void App::tooltip(double t) {
  ImGui::BeginTooltip();
  const double ep = m_.meta.epoch_unix_s;
  ImGui::Text("%s   t = %s", format_utc(ep + t, true).c_str(), rel_time(t - m_.t_begin).c_str());
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
  } else if (li != SIZE_MAX && std::fabs(m_.stage_latency[0].t()[li] - t) < (t1 - t0) / 200) {
    ImGui::Text("latency at %s:", format_utc(ep + m_.stage_latency[0].t()[li]).substr(11).c_str());
    for (int k = 0; k < kStageSeries; ++k)
      ImGui::TextColored(col4(kStageCol[k] | 0xFF000000), "  %-9s %s", kStageLabel[k],
                         format_duration(std::pow(10.0, m_.stage_latency[k].v()[li])).c_str());
  }
  // Events within 6 pixels.
  const double tol = 6.0 / (plot_x1 - plot_x0) * (t1 - t0);
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

// ---------------------------------------------------------------- panels
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
  if (cursor != table_cursor_ && sort_col_ == 0 && !ev_order_.empty()) {
    table_cursor_ = cursor;
    const auto& ev = m_.events;
    const auto it = std::lower_bound(ev_order_.begin(), ev_order_.end(), cursor,
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
      if (ImGui::Selectable(tl.c_str(), e.t == cursor, ImGuiSelectableFlags_SpanAllColumns)) {
        center_on(e.t);
        table_cursor_ = cursor;  // clicked here: do not scroll away
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\n%s", format_utc(m_.meta.epoch_unix_s + e.t, true).c_str(), e.detail.c_str());
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextColored(col4(event_color(e.kind)), "%s", event_kind_name(e.kind));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(e.detail.c_str());
    }
  ImGui::EndTable();
}

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
      const double sec = std::pow(10.0, d);
      char b[16];
      if (sec < 1) std::snprintf(b, sizeof b, "%gms", sec * 1e3);
      else std::snprintf(b, sizeof b, "%gs", sec);
      const float tw = ImGui::CalcTextSize(b).x;
      dl->AddText(ImVec2(std::clamp(x - tw / 2, p.x, q.x - tw), q.y), kLabel, b);
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

void App::range_tab() {
  const bool has_sel = !std::isnan(sel0);
  const double a = has_sel ? std::min(sel0, sel1) : t0, b = has_sel ? std::max(sel0, sel1) : t1;
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
    auto row = [](const char* k, const std::string& v) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(k);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(v.c_str());
    };
    char b2[64];
    if (m_.meta.has_truth) {
      row("true voids (tank)", std::to_string(r.voids));
      row("  found", std::to_string(r.hits));
      row("  missed", std::to_string(r.misses));
      std::snprintf(b2, sizeof b2, "%.3f", r.precision);
      row("precision", b2);
      std::snprintf(b2, sizeof b2, "%.3f", r.recall);
      row("recall", b2);
    }
    row("detections", std::to_string(r.detections));
    if (m_.meta.has_truth) {
      row("  false alarms", std::to_string(r.false_alarms));
      row("  duplicates", std::to_string(r.duplicates));
    }
    row("posts sent", std::to_string(r.posts_sent));
    row("tank samples", std::to_string(r.tank_samples));
    std::snprintf(b2, sizeof b2, "%.0f .. %.0f %%", r.tank_min, r.tank_max);
    row("tank level", r.tank_samples ? b2 : "-");
    row("loss of signal", format_duration(r.los_s));
    row(range_loading() ? "ingest->dashboard n (reading)" : "ingest->dashboard n", std::to_string(r.dashboard.count));
    row("  p50 / p99", format_duration(r.dashboard.p50_s) + " / " + format_duration(r.dashboard.p99_s));
    ImGui::EndTable();
  }
  if (ImGui::Button("Export CSV of this range")) {
    try {
      status = "wrote " + export_selection_csv("");
    } catch (const std::exception& e) {
      status = e.what();
    }
  }
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
      if (ImGui::SmallButton("go")) center_on(t);
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
    auto row = [](const char* k, const std::string& v) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(k);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(v.c_str());
    };
    row("mode", mt.mode);
    row("scenario", mt.scenario_name);
    row("seed", std::to_string(mt.seed));
    row("epoch", mt.epoch_utc);
    row("duration", format_duration(mt.duration_s));
    row("created", mt.created_utc);
    row("generator", mt.generator);
    row("detector", mt.detector);
    row("ground truth", mt.has_truth ? "yes" : "no");
    row("overrides", mt.overrides.empty() ? "-" : std::to_string(mt.overrides.size()));
    row("tank samples", std::to_string(m_.tank.size()));
    row("rows read", std::to_string(m_.rows_total));
    char b[32];
    std::snprintf(b, sizeof b, "%.3f s", m_.open_seconds);
    row("open time", b);
    const MatchResult& mr = m_.match;
    if (mt.has_truth) {
      std::snprintf(b, sizeof b, "%.3f / %.3f", mr.precision, mr.recall);
      row("precision / recall", b);
      row("hits / FA+dup / missed", std::to_string(mr.tp) + " / " + std::to_string(mr.fp) + " / " + std::to_string(mr.fn));
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
      row(tg.name, format_duration(tg.v) + " (< " + format_duration(target) + ": " + verdict + ", n 1, no interval)");
    }
    ImGui::EndTable();
  }
  ImGui::Separator();
  ImGui::TextDisabled("Keys: space play/pause, Left/Right move cursor, Ctrl+Left/Right or P/N previous/next event,");
  ImGui::TextDisabled("+/- zoom, Up/Down speed, Home/End, F fit. Mouse: wheel zoom, drag pan, shift+drag select,");
  ImGui::TextDisabled("right-drag box zoom, double-click fit, click sets the cursor.");
}

}  // namespace peebot::viz
