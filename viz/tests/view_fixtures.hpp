// Shared by the viewer's tests (test_series, test_model, test_charts,
// test_cli): a demo trace with known geometry, temporary folders, and for the
// GL tests the frame driver, injected input and the pixels read back.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <GLFW/glfw3.h>
#include <catch2/catch.hpp>
#include <imgui.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "app.hpp"
#include "gl_window.hpp"
#include "model.hpp"
#include "series.hpp"

namespace fs = std::filesystem;

namespace peebot::viz::testing {

struct TempDir {
  fs::path dir;
  TempDir() {
    char tmpl[] = "/tmp/peebot-view-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDir() { std::error_code ec; fs::remove_all(dir, ec); }
  std::string file(const std::string& n) const { return (dir / n).string(); }
};

inline TraceMeta demo_meta(bool truth) {
  TraceMeta m;
  m.mode = truth ? "sim" : "import";
  m.seed = truth ? 7 : 0;
  m.scenario_name = "viewer-demo";
  m.epoch_utc = "2025-01-06T00:00:00Z";
  m.epoch_unix_s = 1736121600.0;
  m.duration_s = 10000;
  m.has_truth = truth;
  m.detector = "step";
  return m;
}

// A small trace with known geometry: the tank steps 40 -> 60 % at t = 5000 s;
// a void at 4900 found by a detection emitted at 5030 (hit), a false alarm
// emitted at 2000, a missed void at 8000, a post sent at 5100, LOS 6000-6300.
constexpr double kStepT = 5000, kHitT = 5030, kFaT = 2000, kMissT = 8000, kPostT = 5100;
inline void write_demo(const std::string& path, bool truth = true) {
  TraceWriter w(path, demo_meta(truth));
  std::uint64_t seq = 0;
  for (double t = 0; t <= 10000; t += 30) {
    TelemetryRow r;
    r.t_s = t;
    r.t_emit_s = t - 1;
    r.iss_time_h = 144 + t / 3600;
    r.value = t < kStepT ? 40 : 60;
    r.seq = ++seq;
    w.telemetry(kUrineTank, r);
    if (!truth) {
      TelemetryRow s = r;
      s.value = 100;
      s.status = (t >= 6000 && t < 6300) ? 0 : 24;
      w.telemetry(kSignal, s);
    }
    StageTimes st;
    st.seq = seq;
    st.item = kUrineTank;
    st.t_emit_s = t - 1;
    st.t_published_s = t - 0.6;
    st.t_received_s = t;
    st.t_ingested_s = t + 0.002;
    st.t_detected_s = t + 0.01 + 0.001 * std::fmod(t, 7);
    st.t_stored_s = t + 0.05;
    w.stage(st);
  }
  w.telemetry(kUpaState, TelemetryRow{0, 0, 144, 16, ++seq, 24});
  Detection fa;
  fa.id = 1;
  fa.onset_s = kFaT - 60;
  fa.end_s = kFaT - 30;
  fa.emitted_s = kFaT;
  fa.size_pct = 1;
  fa.confidence = 0.4f;
  w.detection(fa);
  Detection hit = fa;
  hit.id = 2;
  hit.onset_s = 4990;
  hit.end_s = 5000;
  hit.emitted_s = kHitT;
  hit.size_pct = 20;
  w.detection(hit);
  Post p;
  p.detection_id = 2;
  p.t_detected_s = kHitT;
  p.t_first_attempt_s = kHitT + 10;
  p.t_done_s = kPostT;
  p.attempts = 1;
  p.text = "Somebody on the ISS just peed. 🚽";
  w.post(p);
  if (truth) {
    w.truth_void(VoidEvent{4900, 4990, 0, 300, 150, true});
    w.truth_void(VoidEvent{kMissT, 8090, 1, 200, 150, true});
    w.truth_upa(UpaStateChange{0, 16});
    w.truth_los(LosWindow{6000, 6300});
    w.truth_crew(CrewStateChange{0, 0, 1});
    w.truth_crew(CrewStateChange{0, 1, 1});
    w.truth_crew(CrewStateChange{9000, 0, 0});
    w.truth_tank(TankPoint{0, 2000, 40});
    w.truth_tank(TankPoint{4900, 2000, 40});
    w.truth_tank(TankPoint{4990, 3000, 60});
    w.truth_tank(TankPoint{10000, 3000, 60});
  }
  w.finish();
}

// 20,000 s of stage rows every 0.7 s (lognormal feed and detector latencies,
// one in 50 lost, one in 97 never stored), with the writer's stage summaries.
inline void write_summary_trace(const std::string& p) {
  {
    TraceWriter w(p, demo_meta(true));
    std::mt19937_64 rng(11);
    std::lognormal_distribution<double> feed(std::log(0.8), 0.5), det(std::log(0.004), 0.9);
    std::uint64_t seq = 0;
    for (double t = 0; t < 20000; t += 0.7) {
      StageTimes st;
      st.seq = ++seq;
      st.item = kUrineTank;
      st.fate = static_cast<std::uint8_t>(seq % 50 == 0 ? UpdateFate::kLost : UpdateFate::kDelivered);
      st.t_received_s = t;
      st.t_emit_s = t - feed(rng);
      st.t_ingested_s = t + 0.001;
      st.t_detected_s = st.t_ingested_s + det(rng);
      st.t_stored_s = seq % 97 == 0 ? kNoTime : st.t_ingested_s + 0.02;
      w.stage(st);
    }
    w.finish();
  }
}

// --- pixels -----------------------------------------------------------------
struct Image {
  std::vector<unsigned char> px;
  int w = 0, h = 0;
  bool near(int x, int y, int r, int g, int b, int tol = 45) const {
    if (x < 0 || y < 0 || x >= w || y >= h) return false;
    const unsigned char* p = &px[(static_cast<std::size_t>(y) * w + x) * 4];
    return std::abs(p[0] - r) <= tol && std::abs(p[1] - g) <= tol && std::abs(p[2] - b) <= tol;
  }
  // Rows in column x (within [y0, y1]) holding the colour.
  std::vector<int> rows_with(int x, int y0, int y1, int r, int g, int b, int tol = 45) const {
    std::vector<int> out;
    for (int y = y0; y <= y1; ++y)
      if (near(x, y, r, g, b, tol)) out.push_back(y);
    return out;
  }
  int count_in(int x0, int y0, int x1, int y1, int r, int g, int b, int tol = 30) const {
    int n = 0;
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) n += near(x, y, r, g, b, tol);
    return n;
  }
};

// The mouse is kept off the window unless a test moves it.
struct Input {
  ImVec2 mouse{-FLT_MAX, -FLT_MAX};
  bool down[5] = {false, false, false, false, false};
  float wheel = 0;
  bool shift = false;
  int key = -1;
};

inline void run_frame(GlWindow& win, App& app, const Input& in = {}) {
  win.begin_frame([&](ImGuiIO& io) {
    io.MousePos = in.mouse;
    for (int i = 0; i < 5; ++i) io.MouseDown[i] = in.down[i];
    io.MouseWheel = in.wheel;
    io.KeyShift = in.shift;
    io.KeyCtrl = false;
    for (bool& k : io.KeysDown) k = false;
    if (in.key >= 0) io.KeysDown[in.key] = true;
  });
  app.frame(0.0);
  win.render();
}

// The demo trace (write_demo) open in the viewer, in a real 1280x800 window.
struct DemoWindow {
  TempDir dir;
  std::string path = dir.file("demo.h5");
  bool written = (write_demo(path), true);
  GlWindow win{1280, 800, "test"};
  App app{load_model(path)};
};

inline Image grab(GlWindow& win) {
  Image im;
  im.px = win.read_rgba(im.w, im.h);
  return im;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kMemoryLimit = "";
#else
constexpr const char* kMemoryLimit = "ulimit -v 2000000; ";
#endif

inline int run(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

inline std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace peebot::viz::testing
