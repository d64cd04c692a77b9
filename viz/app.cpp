#include "app.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>

#include <sys/stat.h>

#include "models/iss_time.hpp"

namespace peebot::viz {

App::App(Model model) : m_(std::move(model)) {
  sync_span();
  view.fit_all();
  view.cursor = m_.t_begin;
  if (!m_.latency_ready && m_.reader) {
    std::shared_ptr<TraceReader> reader = m_.reader;
    std::mutex* mu = &hdf5_mu_;
    loader_.start([reader, mu] {
      Loaded r;
      try {
        std::lock_guard<std::mutex> lk(*mu);
        r.data = std::make_unique<LatencyData>(load_latency(*reader));
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
  if (!m_.reader) return;
  std::shared_ptr<TraceReader> reader = m_.reader;
  std::mutex* mu = &hdf5_mu_;
  range_job_.start([reader, mu, a, b] {
    try {
      std::lock_guard<std::mutex> lk(*mu);
      return range_dashboard_from_rows(*reader, a, b);
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
  if (!m_.reader) return;
  std::shared_ptr<TraceReader> reader = m_.reader;
  std::mutex* mu = &hdf5_mu_;
  rows_job_.start([reader, mu, ra, rb]() -> std::unique_ptr<StageRowsView> {
    try {
      std::lock_guard<std::mutex> lk(*mu);
      return std::make_unique<StageRowsView>(stage_rows_view(*reader, ra, rb));
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
  if (!summary || summary_updates_in(m_.stage_summary, view.t0, view.t1, rows_view_max) > rows_view_max) return;
  wait_rows();
  latency_rows(view.t0, view.t1);
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
  view.lat_y_auto = true;
}

void App::wait_latency() {
  loader_.wait_done();
  take_latency();
}

void App::sync_span() {
  view.t_begin = m_.t_begin;
  view.t_end = m_.t_end;
}

bool App::jump_event(int dir) {
  const auto& ev = m_.events;
  auto interesting = [](EventKind k) { return is_marker(k) && k != EventKind::kBulk; };
  const double eps = 1e-6;
  if (dir > 0) {
    auto it = std::upper_bound(ev.begin(), ev.end(), view.cursor + eps, [](double t, const Event& e) { return t < e.t; });
    for (; it != ev.end(); ++it)
      if (interesting(it->kind)) {
        view.cursor = it->t;
        if (!view.window_holds(view.cursor)) view.center_on(view.cursor);
        return true;
      }
  } else {
    auto it = std::lower_bound(ev.begin(), ev.end(), view.cursor - eps, [](const Event& e, double t) { return e.t < t; });
    while (it != ev.begin()) {
      --it;
      if (interesting(it->kind)) {
        view.cursor = it->t;
        if (!view.window_holds(view.cursor)) view.center_on(view.cursor);
        return true;
      }
    }
  }
  return false;
}

void App::export_csv_button(const char* label) {
  if (!ImGui::Button(label)) return;
  try {
    status = "wrote " + export_selection_csv("");
  } catch (const std::exception& e) {
    status = e.what();
  }
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
  double a = 0, b = 0;
  view.range(a, b);
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
  if (view.playing) { idle_frames_ = 0; return 0.0; }
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
    const bool following = view.t1 >= m_.t_end - 1e-6 || view.playing;
    const double w = view.t1 - view.t0;
    const std::string& path = m_.path;
    struct stat st {};
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".tmp") == 0 && ::stat(path.c_str(), &st) != 0) {
      // The writer finished and renamed it: open the final file once (it has its stage summaries now).
      const std::string final_path = path.substr(0, path.size() - 4);
      m_.reader.reset();  // closed before the same file is opened again under its final name
      Model next = load_model(final_path, false);
      if (!next.latency_ready) install(next, load_latency(*next.reader));
      m_ = std::move(next);
    } else {
      // Follow the growing file: load_model opened it for SWMR reading; H5Drefresh shows the new rows.
      if (!m_.reader || !follow(m_)) return;
    }
    sync_span();
    order_dirty_ = true;
    range_key0_ = kNoTime;
    if (following) view.set_window(m_.t_end - w * 0.95, m_.t_end + w * 0.05);
    status = std::string(m_.reader && m_.reader->swmr() ? "live (SWMR): " : "live: ") + std::to_string(m_.tank.size()) +
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

  view.advance(wall_dt, m_.meta.mode == "live");
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
  const double w = view.t1 - view.t0;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false)) view.playing = !view.playing;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) {
    if (io.KeyCtrl) jump_event(+1);
    else view.cursor = std::min(m_.t_end, view.cursor + w / 50);
    if (view.cursor > view.t1) view.set_window(view.cursor - 0.9 * w, view.cursor + 0.1 * w);
  }
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) {
    if (io.KeyCtrl) jump_event(-1);
    else view.cursor = std::max(m_.t_begin, view.cursor - w / 50);
    if (view.cursor < view.t0) view.set_window(view.cursor - 0.1 * w, view.cursor + 0.9 * w);
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_UP)) view.speed = std::min(1e5, view.speed * 10);
  if (ImGui::IsKeyPressed(GLFW_KEY_DOWN)) view.speed = std::max(1.0, view.speed / 10);
  auto zoom = [&](double f) {
    view.zoom_around(view.window_holds(view.cursor) ? view.cursor : (view.t0 + view.t1) / 2, f);
  };
  if (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD)) zoom(0.5);
  if (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT)) zoom(2.0);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home))) { view.cursor = m_.t_begin; view.set_window(view.cursor, view.cursor + w); }
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End))) { view.cursor = m_.t_end; view.set_window(view.cursor - w, view.cursor); }
  if (ImGui::IsKeyPressed(GLFW_KEY_N)) jump_event(+1);
  if (ImGui::IsKeyPressed(GLFW_KEY_P)) jump_event(-1);
  if (ImGui::IsKeyPressed(GLFW_KEY_F)) view.fit_all();
}

void App::transport_bar(double wall_dt) {
  (void)wall_dt;
  if (ImGui::Button(view.playing ? "Pause" : " Play ", ImVec2(62, 0))) view.playing = !view.playing;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("space");
  ImGui::SameLine();
  if (ImGui::Button("|<")) { view.cursor = m_.t_begin; view.set_window(view.cursor, view.cursor + (view.t1 - view.t0)); }
  ImGui::SameLine();
  if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) jump_event(-1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("previous event (P, Ctrl+Left)");
  ImGui::SameLine();
  if (ImGui::ArrowButton("##next", ImGuiDir_Right)) jump_event(+1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("next event (N, Ctrl+Right)");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(150);
  float lg = static_cast<float>(std::log10(view.speed));
  char sp[32];
  std::snprintf(sp, sizeof sp, "%.0fx", view.speed);
  if (ImGui::SliderFloat("##speed", &lg, 0.0f, 5.0f, sp)) view.speed = std::pow(10.0, static_cast<double>(lg));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("playback speed, virtual seconds per second (Up/Down)");
  ImGui::SameLine();
  const double unix_c = m_.meta.epoch_unix_s + view.cursor;
  ImGui::TextColored(col4(kCursorCol), "t %s", rel_time(view.cursor - m_.t_begin).c_str());
  ImGui::SameLine();
  ImGui::Text("| %s | ISS TimeStamp %.5f h", format_utc_ms(unix_c).c_str(), iss_timestamp_hours(unix_c));
  ImGui::SameLine();
  ImGui::TextDisabled("| window %s", format_duration(view.t1 - view.t0).c_str());
  const float right = ImGui::GetWindowContentRegionMax().x;
  ImGui::SameLine(right - 292);
  if (ImGui::Button("Fit")) view.fit_all();
  ImGui::SameLine();
  if (ImGui::Button("Screenshot")) {
    want_screenshot = true;
    screenshot_path.clear();
  }
  ImGui::SameLine();
  export_csv_button("Export CSV");
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
  dl->AddRect(ImVec2(xs(view.t0), p.y), ImVec2(std::max(xs(view.t1), xs(view.t0) + 2), q.y), IM_COL32(255, 255, 255, 160), 2, 0, 1.5f);
  dl->AddLine(ImVec2(xs(view.cursor), p.y), ImVec2(xs(view.cursor), q.y), kCursorCol, 2);
  if (ImGui::IsItemActive()) {
    const double t = a + (ImGui::GetIO().MousePos.x - p.x) / w * (b - a);
    view.center_on(std::clamp(t, a, b));
  }
  if (ImGui::IsItemHovered()) {
    const double t = a + (ImGui::GetIO().MousePos.x - p.x) / w * (b - a);
    ImGui::SetTooltip("%s (%s)\nclick or drag to move the cursor and the window", rel_time(t - a).c_str(),
                      format_utc(m_.meta.epoch_unix_s + t).c_str());
  }
}

}  // namespace peebot::viz
