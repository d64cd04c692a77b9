// peebot-view: decimation, model and scoring (no display), and under Xvfb the
// real pixels and geometry of the charts, input handling, the 10-million-
// sample decimation bound and the command line.
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

using namespace peebot;
using namespace peebot::viz;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path dir;
  TempDir() {
    char tmpl[] = "/tmp/peebot-view-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDir() { std::error_code ec; fs::remove_all(dir, ec); }
  std::string file(const std::string& n) const { return (dir / n).string(); }
};

TraceMeta demo_meta(bool truth) {
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
void write_demo(const std::string& path, bool truth = true) {
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

void run_frame(GlWindow& win, App& app, const Input& in = {}) {
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

Image grab(GlWindow& win) {
  Image im;
  im.px = win.read_rgba(im.w, im.h);
  return im;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kMemoryLimit = "";
#else
constexpr const char* kMemoryLimit = "ulimit -v 2000000; ";
#endif

int run(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

// ============================================================= no display
TEST_CASE("M4 decimation matches a brute-force scan of every column", "[viz-model]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> t, v;
  double tt = 0;
  for (int i = 0; i < 20000; ++i) {
    tt += u(rng) < 0.1 ? 50 * u(rng) : u(rng);
    t.push_back(tt);
    v.push_back(std::round(100 * u(rng)));
  }
  Series s(t, v);
  for (int cols : {1, 7, 300, 1200}) {
    const double a = (t[1233] + t[1234]) / 2, b = t[17000] + 3;
    std::vector<M4Column> out;
    std::size_t before = 0;
    s.decimate(a, b, cols, out, before);
    REQUIRE(out.size() == static_cast<std::size_t>(cols));
    CHECK(before == 1233);
    std::uint64_t total = 0;
    for (int c = 0; c < cols; ++c) {
      const double ca = a + (b - a) * c / cols, cb = c + 1 == cols ? b : a + (b - a) * (c + 1) / cols;
      double mn = 1e9, mx = -1e9, first = 0, last = 0;
      std::uint64_t n = 0;
      for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i] >= ca && t[i] < cb) {
          if (!n) first = v[i];
          last = v[i];
          mn = std::min(mn, v[i]);
          mx = std::max(mx, v[i]);
          ++n;
        }
      const M4Column& m = out[static_cast<std::size_t>(c)];
      REQUIRE(m.count == n);
      if (n) {
        CHECK(m.first == first);
        CHECK(m.last == last);
        CHECK(m.min == mn);
        CHECK(m.max == mx);
      }
      total += n;
    }
    CHECK(total == s.lower(b) - s.lower(a));
  }
}

TEST_CASE("The min/max pyramid answers any index range like a scan, NaN values skipped", "[viz-model]") {
  std::mt19937_64 rng(9);
  std::vector<double> t(5000), v(5000);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<double>(i);
    v[i] = (i % 97 == 0) ? std::nan("") : static_cast<double>(rng() % 100000) / 7.0;
  }
  Series s(t, v);
  for (int k = 0; k < 400; ++k) {
    std::size_t a = rng() % 5000, b = rng() % 5001;
    if (a > b) std::swap(a, b);
    double mn = 0, mx = 0, bmn = 1e300, bmx = -1e300;
    for (std::size_t i = a; i < b; ++i)
      if (!std::isnan(v[i])) { bmn = std::min(bmn, v[i]); bmx = std::max(bmx, v[i]); }
    const bool any = s.range_minmax(a, b, mn, mx);
    CHECK(any == (bmn <= bmx));
    if (any) {  // the pyramid stores floats
      CHECK(mn == Approx(bmn).epsilon(1e-6));
      CHECK(mx == Approx(bmx).epsilon(1e-6));
    }
  }
}

TEST_CASE("Durations parse as in --at 2d3h and bad ones name what was expected", "[viz-model]") {
  CHECK(viz::parse_duration("2d3h") == 2 * 86400 + 3 * 3600);
  CHECK(viz::parse_duration("6h") == 21600);
  CHECK(viz::parse_duration("1h30min") == 5400);
  CHECK(viz::parse_duration("90") == 90);
  CHECK(viz::parse_duration("1.5d") == 129600);
  CHECK_THROWS_WITH(viz::parse_duration("3x"), Catch::Contains("unknown unit \"x\""));
  CHECK_THROWS_WITH(viz::parse_duration(""), Catch::Contains("empty"));
  CHECK_THROWS(viz::parse_duration("-2h"));
  CHECK(iss_timestamp_h(1736121600.0) == Approx(24.0 * 6));  // 2025-01-06 00:00Z: Jan 1 = 24 h
}

TEST_CASE("A sim trace loads with hits, false alarms and misses scored like the report", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  const Model m = load_model(p);
  REQUIRE(m.tank.size() == 334);
  REQUIRE(m.detections.size() == 2);
  CHECK(m.det_kind[0] == EventKind::kDetFalseAlarm);
  CHECK(m.det_kind[1] == EventKind::kDetHit);
  CHECK(m.det_void[1] == 0);
  CHECK(m.void_kind[0] == EventKind::kVoid);
  CHECK(m.void_kind[1] == EventKind::kVoidMissed);
  CHECK(m.miss_reason[1].find("small volume") != std::string::npos);
  CHECK(m.match.tp == 1);
  CHECK(m.los.size() == 1);
  REQUIRE(m.crew.size() == 2);
  CHECK(m.crew[0].back().value == 0);
  CHECK(m.hist[4].stats.count == 334);
  // Stage latency over time, by arrival: detector latency of the sample at 3000 s is 10 ms + 3000 mod 7 ms.
  REQUIRE(m.stage_latency[2].size() == 334);
  REQUIRE(m.dashboard_latency.size() == 334);
  double v = 0, st = 0;
  REQUIRE(m.dashboard_latency.value_at(3000, v, st));
  CHECK(v == Approx(0.01 + 0.001 * std::fmod(3000.0, 7)).margin(1e-9));
  CHECK(m.stage_latency[2].value_at(3000, v, st));
  CHECK(v == Approx(std::log10(0.008 + 0.001 * std::fmod(3000.0, 7))).margin(1e-6));
  CHECK(range_stats(m, 2990, 3010).dashboard.count == 1);
  CHECK(m.hist[4].peak > 0);
  CHECK(m.hist[4].target_s == 1.0);
  CHECK(m.hist[6].stats.count == 1);  // event -> tweet: one sent post of a matched detection
  CHECK(m.hist[6].stats.p50_s == Approx(kPostT - 4900));
  const bool sorted = std::is_sorted(m.events.begin(), m.events.end(), [](const Event& a, const Event& b) { return a.t < b.t; });
  CHECK(sorted);

  const RangeStats all = range_stats(m, 0, 10000);
  CHECK(all.voids == 2);
  CHECK(all.hits == 1);
  CHECK(all.misses == 1);
  CHECK(all.false_alarms == 1);
  CHECK(all.precision == Approx(0.5));
  CHECK(all.recall == Approx(0.5));
  CHECK(all.los_s == Approx(300));
  const RangeStats late = range_stats(m, 4000, 6100);
  CHECK(late.voids == 1);
  CHECK(late.precision == 1.0);
  CHECK(late.recall == 1.0);
  CHECK(late.los_s == Approx(100));
  CHECK(late.tank_min == 40);
  CHECK(late.tank_max == 60);

  const std::string csv = d.file("range.csv");
  export_csv(m, 4950, 5040, csv);
  const std::string text = slurp(csv);
  CHECK(text.rfind("t_s,utc,series,value,detail\n", 0) == 0);
  CHECK(text.find("4980.000000,2025-01-06T01:23:00.000Z,NODE3000005,40,") != std::string::npos);
  CHECK(text.find("5010.000000,2025-01-06T01:23:30.000Z,NODE3000005,60,") != std::string::npos);
  CHECK(text.find("detection hit") != std::string::npos);
  CHECK(text.find("4920.000000") == std::string::npos);  // outside the range
  CHECK_THROWS_WITH(export_csv(m, 0, 1, d.file("no/such/dir.csv")), Catch::Contains("no/such/dir.csv"));
}

TEST_CASE("An import trace without truth opens, with LOS from TIME_000001's status", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("import.h5");
  write_demo(p, false);
  const Model m = load_model(p);
  CHECK_FALSE(m.meta.has_truth);
  CHECK(m.voids.empty());
  REQUIRE(m.los.size() == 1);
  CHECK(m.los[0].t0 == 6000);
  CHECK(m.los[0].t1 == 6300);
  CHECK(m.det_kind[0] == EventKind::kDetUnscored);
  CHECK(m.hist[6].stats.count == 1);  // from the detection's onset without truth
}

namespace {
// 20,000 s of stage rows every 0.7 s (lognormal feed and detector latencies,
// one in 50 lost, one in 97 never stored), with the writer's stage summaries.
void write_summary_trace(const std::string& p) {
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
}  // namespace

// Issue 14: a hand-made trace (one tank t_s of 1e300, a duration of 1e12 s,
// a NaN epoch) took 6 GB and then SIGSEGV, or a raw basic_string::substr error.
// It is refused at open, naming the dataset and row; the viewer exits 2. A
// trace at the bounds opens, with a bounded memory footprint.
TEST_CASE("A trace with an out-of-range time, span or epoch is refused at open with its row named; one at the bounds opens", "[viz-model]") {
  TempDir d;
  const std::string bin = PEEBOT_VIEW_BINARY;
  const auto tweaked = [&](const std::string& name, double t_last, double duration, double epoch) {
    const std::string p = d.file(name);
    TraceMeta m = demo_meta(true);
    m.duration_s = duration;
    m.epoch_unix_s = epoch;
    TraceWriter w(p, m);
    for (int i = 0; i < 4; ++i) {
      TelemetryRow r;
      r.t_s = i == 3 ? t_last : 100.0 * i;
      r.value = 40 + i;
      w.telemetry(kUrineTank, r);
    }
    w.finish();
    return p;
  };
  const double ok_epoch = demo_meta(true).epoch_unix_s;
  struct Bad { const char* name; double t, dur, epoch; const char* says; };
  for (const Bad& b : {Bad{"t1e300.h5", 1e300, 10000, ok_epoch, "/telemetry/NODE3000005 row 3: t_s = 1.0000000000000001e+300"},
                       Bad{"tinf.h5", -HUGE_VAL, 10000, ok_epoch, "/telemetry/NODE3000005 row 3: t_s = -inf"},
                       Bad{"dur.h5", 300, 1e12, ok_epoch, "attribute 'duration_s' = 1000000000000"},
                       Bad{"epoch.h5", 300, 10000, NAN, "attribute 'epoch_unix_s' = nan"}}) {
    INFO(b.name);
    const std::string p = tweaked(b.name, b.t, b.dur, b.epoch);
    std::string msg;
    try {
      (void)load_model(p);
    } catch (const TraceError& e) {
      msg = e.what();
    }
    CHECK(msg.find(b.says) != std::string::npos);
    const std::string err = d.file("err.txt");
    // Under a 2 GB address-space limit (not with ASan, which reserves more): the old viewer grew to 6 GB first.
    CHECK(run(std::string(kMemoryLimit) + bin + " " + p + " --frames 1 2> " + err) == 2);
    CHECK(slurp(err).find(b.says) != std::string::npos);
  }
  // At the bounds: 10 years either side of an epoch in year 9999.
  const std::string edge = tweaked("edge.h5", kTraceMaxSpanS, kTraceMaxSpanS, kTraceMaxEpochUnixS - kTraceMaxSpanS);
  const Model m = load_model(edge);
  CHECK(m.t_end == kTraceMaxSpanS);
  CHECK(m.tank.size() == 4);
}

TEST_CASE("Stage summaries stored by the writer give every stage's latencies at open, close to the rows' figures", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("summary.h5");
  write_summary_trace(p);
  const StageSummary sum = read_stage_summary(p);
  REQUIRE(sum.present);
  CHECK(sum.bucket_s == kStageBucketS);
  const Model fast = load_model(p, false);  // what the viewer opens with
  const Model exact = load_model(p, true);  // every row read
  REQUIRE(fast.latency_ready);
  CHECK_FALSE(fast.latency_exact);
  CHECK(exact.latency_exact);
  for (int k = 0; k < 6; ++k) {
    INFO(kLatencyNames[k]);
    const LatencyStats& a = fast.hist[k].stats;
    const LatencyStats& b = exact.hist[k].stats;
    CHECK(a.count == b.count);
    CHECK(a.p50_s == Approx(b.p50_s).epsilon(0.047));
    CHECK(a.p95_s == Approx(b.p95_s).epsilon(0.047));
    CHECK(a.p99_s == Approx(b.p99_s).epsilon(0.047));
    CHECK(a.max_s == Approx(b.max_s).epsilon(1e-12));
    CHECK(a.mean_s == Approx(b.mean_s).epsilon(1e-9));
    CHECK(fast.hist[k].peak > 0);
  }
  // The series: each 60 s bucket's min and max, as a scan of the exact series finds them.
  for (int k = 0; k < kStageSeries; ++k) {
    const Series& s = fast.stage_latency[k];
    REQUIRE(s.size() == 2 * static_cast<std::size_t>(std::ceil(20000 / kStageBucketS)));
    for (std::size_t i = 0; i < s.size(); i += 2 * 37) {
      const double t = s.t()[i];
      const Series& e = exact.stage_latency[k];
      double mn = 0, mx = 0;
      REQUIRE(e.range_minmax(e.lower(t), e.lower(t + kStageBucketS), mn, mx));
      CHECK(s.v()[i] == Approx(mn).margin(1e-6));
      CHECK(s.v()[i + 1] == Approx(mx).margin(1e-6));
    }
  }
  // Range statistics read only the range's rows, and agree with the full read.
  const LatencyStats r = range_dashboard_from_rows(p, sum, 3000, 4500);
  const LatencyStats re = range_stats(exact, 3000, 4500).dashboard;
  CHECK(r.count == re.count);
  CHECK(r.count > 2000);
  CHECK(r.p50_s == re.p50_s);
  CHECK(r.p99_s == re.p99_s);
}

TEST_CASE("When zoomed in the latency chart's rows are read for the window only and equal the full read", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("summary.h5");
  write_summary_trace(p);
  const StageSummary sum = read_stage_summary(p);
  REQUIRE(sum.present);
  const Model exact = load_model(p, true);
  const double a = 7000, b = 7900;
  const StageRowsView v = stage_rows_view(p, sum, a, b);
  CHECK(v.t0 == a);
  CHECK(v.t1 == b);
  // Lazy: only the rows the window's buckets point to (about 1/20 of the run).
  CHECK(v.rows > 0);
  CHECK(v.rows < sum.stage_rows / 10);
  const Series& e0 = exact.stage_latency[0];
  const std::size_t i0 = e0.lower(a), i1 = e0.lower(std::nextafter(b, 1e300));
  REQUIRE(v.lat[0].size() == i1 - i0);
  REQUIRE(v.lat[0].size() > 1000);
  for (int k = 0; k < kStageSeries; ++k) {
    INFO("stage " << k);
    const Series& e = exact.stage_latency[k];
    for (std::size_t i = 0; i < v.lat[k].size(); i += 17) {
      CHECK(v.lat[k].t()[i] == e.t()[i0 + i]);
      if (std::isnan(e.v()[i0 + i])) CHECK(std::isnan(v.lat[k].v()[i]));
      else CHECK(v.lat[k].v()[i] == Approx(e.v()[i0 + i]).margin(1e-6));  // the exact series holds floats
    }
  }
  // What the viewer counts before deciding to read: the delivered updates of the overlapping buckets.
  const std::uint64_t n = summary_updates_in(sum, a, b);
  CHECK(n >= v.lat[0].size());
  CHECK(n <= v.lat[0].size() + 2 * 90);
  CHECK(summary_updates_in(sum, a, b, 100) <= 100 + 90);  // stops counting past the limit
}

TEST_CASE("The interactive loop waits for input when idle and polls while reading or live but never waits while playing", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  App app(load_model(p));
  REQUIRE_FALSE(app.latency_loading());
  app.view.playing = true;
  CHECK(app.idle_wait() == 0.0);
  CHECK(app.idle_wait() == 0.0);
  app.view.playing = false;
  // One more frame after an event, then wait for the next one.
  CHECK(app.idle_wait() == 0.0);
  CHECK(app.idle_wait() == HUGE_VAL);
  CHECK(app.idle_wait() == 0.0);
  CHECK(app.idle_wait() == HUGE_VAL);
  // A trace still being written: look again within a second.
  TraceMeta meta = demo_meta(false);
  meta.mode = "live";
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(d.file("live.h5"), meta, o);
  w.telemetry(kUrineTank, TelemetryRow{0, 0, 0, 40, 1, 24});
  w.flush();
  App live(load_model(d.file("live.h5.tmp")));
  CHECK(live.idle_wait() == 0.5);
  CHECK(live.idle_wait() == 0.5);
  w.finish();
}

TEST_CASE("A trace whose writer has not finished has no stage summaries yet and the viewer reads the rows", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("unfinished.h5");
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(p, demo_meta(true), o);
  for (int i = 0; i < 500; ++i) {
    StageTimes st;
    st.seq = static_cast<std::uint64_t>(i);
    st.t_emit_s = i - 1.0;
    st.t_received_s = i;
    st.t_ingested_s = st.t_detected_s = st.t_stored_s = i + 0.01;
    w.stage(st);
  }
  w.flush();
  CHECK_FALSE(read_stage_summary(p + ".tmp").present);
  const Model m = load_model(p + ".tmp", false);
  CHECK_FALSE(m.latency_ready);
  App app(load_model(p + ".tmp", false));  // falls back to the background read
  app.wait_latency();
  CHECK(app.model().latency_exact);
  CHECK(app.model().hist[0].stats.count == 500);
  w.finish();
  CHECK(read_stage_summary(p).present);
  CHECK(read_stage_summary(p).stage_rows == 500);
}

TEST_CASE("A live SWMR trace opens while written and shows new rows on reload", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("live.h5");
  TraceMeta meta = demo_meta(false);
  meta.mode = "live";
  meta.duration_s = 0;  // grows with the data
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(p, meta, o);
  for (int i = 0; i < 100; ++i) w.telemetry(kUrineTank, TelemetryRow{i * 10.0, i * 10.0, 0, 40.0 + i % 3, static_cast<std::uint64_t>(i), 24});
  w.flush();
  const Model a = load_model(p + ".tmp");
  CHECK(a.tank.size() == 100);
  for (int i = 100; i < 250; ++i) w.telemetry(kUrineTank, TelemetryRow{i * 10.0, i * 10.0, 0, 41, static_cast<std::uint64_t>(i), 24});
  w.flush();
  App app(load_model(p + ".tmp"));
  CHECK(app.model().tank.size() == 250);
  // The viewer's live tail: poll_live re-reads when the tables grew, and keeps the window at the end.
  app.view.set_window(2000, 2490);
  for (int i = 250; i < 400; ++i) w.telemetry(kUrineTank, TelemetryRow{i * 10.0, i * 10.0, 0, 42, static_cast<std::uint64_t>(i), 24});
  w.flush();
  app.poll_live(1000.0);
  CHECK(app.model().tank.size() == 400);
  CHECK(app.view.t1 >= 3990 - 1e-6);
  app.poll_live(1000.5);  // at most once a second
  w.finish();
  // Finished: the .tmp is renamed; the tail follows the final file.
  app.poll_live(1002.0);
  CHECK(app.model().path == p);
  CHECK(app.model().tank.size() == 400);
}

// ============================================================= under Xvfb
TEST_CASE("The tank chart draws a step where the trace has one, markers at their times", "[viz-pixels]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  GlWindow win(1280, 800, "test");
  App app(load_model(p));
  app.view.set_window(0, 10000);
  app.view.cursor = 500;
  for (int i = 0; i < 3; ++i) run_frame(win, app);
  const Image im = grab(win);
  REQUIRE(im.w == 1280);
  const ChartRect tk = app.chart[static_cast<int>(ChartId::kTank)];
  const int y40 = static_cast<int>(app.tank_y_of(40)), y60 = static_cast<int>(app.tank_y_of(60));
  REQUIRE(y40 - y60 > 50);  // 20 % apart on the auto-scaled axis
  const int ya = static_cast<int>(tk.min.y), yb = static_cast<int>(tk.max.y);
  // Tank colour (90, 200, 250) left of the step at 40 %, right of it at 60 %.
  for (double t : {1000.0, 3000.0, 4500.0}) {
    const auto rows = im.rows_with(static_cast<int>(app.view.x_of(t)), ya, yb, 90, 200, 250);
    REQUIRE_FALSE(rows.empty());
    CHECK(std::abs(rows.front() - y40) <= 2);
    CHECK(std::abs(rows.back() - y40) <= 2);
  }
  for (double t : {5500.0, 7000.0, 9500.0}) {
    const auto rows = im.rows_with(static_cast<int>(app.view.x_of(t)), ya, yb, 90, 200, 250);
    REQUIRE_FALSE(rows.empty());
    CHECK(std::abs(rows.front() - y60) <= 2);
  }
  // The step's riser: a vertical run of tank colour from 40 % to 60 % at x(5000).
  int best = 0;
  for (int dx = -2; dx <= 2; ++dx)
    best = std::max<int>(best, static_cast<int>(im.rows_with(static_cast<int>(app.view.x_of(kStepT)) + dx, y60 + 2, y40 - 2, 90, 200, 250).size()));
  CHECK(best >= (y40 - y60) - 8);
  // No riser anywhere else.
  CHECK(im.rows_with(static_cast<int>(app.view.x_of(3000)), y60 + 5, y40 - 5, 90, 200, 250).empty());

  // Markers: hit (70, 225, 100) and false alarm (255, 60, 200) on the detector row, missed void red X.
  const ChartRect mk = app.chart[static_cast<int>(ChartId::kMarkers)];
  const float row_h = (mk.max.y - mk.min.y) / 3;
  const int det_y = static_cast<int>(mk.min.y + row_h * 1.5f), truth_y = static_cast<int>(mk.min.y + row_h * 0.5f);
  auto marker_x = [&](int y, int r, int g, int b) {
    // x positions (columns) holding the colour on row y
    std::vector<int> xs;
    for (int x = static_cast<int>(app.view.plot_x0); x < static_cast<int>(app.view.plot_x1); ++x)
      if (im.near(x, y, r, g, b, 30)) xs.push_back(x);
    return xs;
  };
  const auto hit = marker_x(det_y, 70, 225, 100);
  REQUIRE_FALSE(hit.empty());
  CHECK(std::abs((hit.front() + hit.back()) / 2.0 - app.view.x_of(kHitT)) <= 2.0);
  const auto fa = marker_x(det_y, 255, 60, 200);
  REQUIRE_FALSE(fa.empty());
  CHECK(std::abs((fa.front() + fa.back()) / 2.0 - app.view.x_of(kFaT)) <= 2.0);
  CHECK(fa.back() - fa.front() <= 10);  // one marker, not a smear
  const auto miss = marker_x(truth_y, 255, 50, 50);
  REQUIRE_FALSE(miss.empty());
  CHECK(std::abs((miss.front() + miss.back()) / 2.0 - app.view.x_of(kMissT)) <= 2.0);
  const auto post = marker_x(static_cast<int>(mk.min.y + row_h * 2.5f), 80, 150, 255);
  REQUIRE_FALSE(post.empty());
  CHECK(std::abs((post.front() + post.back()) / 2.0 - app.view.x_of(kPostT)) <= 2.0);
  // Cursor (255, 210, 60) at t = 500 across the tank chart.
  {
    const int cx = static_cast<int>(std::floor(app.view.x_of(500)));
    int rows = 0;
    for (int y = ya; y <= yb; ++y)
      rows += im.near(cx - 1, y, 255, 210, 60, 50) || im.near(cx, y, 255, 210, 60, 50) || im.near(cx + 1, y, 255, 210, 60, 50);
    const int my = (ya + yb) / 2;
    for (int x = cx - 2; x <= cx + 2; ++x) {
      const unsigned char* px = &im.px[(static_cast<std::size_t>(my) * im.w + x) * 4];
      UNSCOPED_INFO("x " << x << ": " << int(px[0]) << "," << int(px[1]) << "," << int(px[2]));
    }
    INFO("cursor x " << cx << " cursor " << app.view.cursor);
    CHECK(rows > (yb - ya) * 9 / 10);
  }
}

TEST_CASE("Dense tank columns are drawn as one solid min-max band of few quads", "[viz-pixels]") {
  TempDir d;
  const std::string p = d.file("dense.h5");
  {
    TraceMeta m = demo_meta(false);
    m.duration_s = 100000;
    TraceWriter w(p, m);
    // 40 and 60 % alternating every 10 s, dipping to 30 % in [50000, 52000): every pixel column holds both.
    for (int i = 0; i <= 10000; ++i) {
      const double t = i * 10.0;
      const double v = i % 2 ? 60.0 : (t >= 50000 && t < 52000 ? 30.0 : 40.0);
      w.telemetry(kUrineTank, TelemetryRow{t, t, 0, v, static_cast<std::uint64_t>(i), 24});
    }
    w.finish();
  }
  GlWindow win(1280, 800, "test");
  App app(load_model(p));
  app.show_ui_panels = false;
  app.view.set_window(0, 100000);
  run_frame(win, app);
  run_frame(win, app);
  const Image im = grab(win);
  const int y60 = static_cast<int>(std::lround(app.tank_y_of(60))), y40 = static_cast<int>(std::lround(app.tank_y_of(40)));
  const int y30 = static_cast<int>(std::lround(app.tank_y_of(30)));
  REQUIRE(y40 - y60 > 40);
  int checked = 0;
  for (double t = 3000; t < 99000; t += 1700) {
    const int x = static_cast<int>(std::floor(app.view.x_of(t)));
    const bool dip = t >= 50000 - 300 && t < 52000 + 300;
    if (t >= 50000 - 400 && t < 52000 + 400 && !(t >= 50400 && t < 51600)) continue;  // the dip's edge columns
    INFO("t " << t << " x " << x);
    // Solid from 60 % down to 40 % (30 % in the dip), nothing of the tank's colour well outside it.
    const auto rows = im.rows_with(x, y60 - 20, (dip ? y30 : y40) + 20, 90, 200, 250, 40);
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.front() >= y60 - 3);
    CHECK(rows.front() <= y60 + 1);
    CHECK(rows.back() >= (dip ? y30 : y40) - 1);
    CHECK(rows.back() <= (dip ? y30 : y40) + 3);
    CHECK(static_cast<int>(rows.size()) == rows.back() - rows.front() + 1);  // no hole
    ++checked;
  }
  CHECK(checked > 40);
  // One wide quad for the common 40..60 % range and small ones for what sticks out, not a quad (or
  // a zig-zag of line segments) per pixel column.
  INFO("tank vertices " << app.tank_vertices);
  CHECK(app.tank_vertices > 0);
  CHECK(app.tank_vertices < 400);
}

TEST_CASE("The latency histograms are drawn with percentile and target lines", "[viz-pixels]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  GlWindow win(1280, 800, "test");
  App app(load_model(p));
  app.request_tab = Tab::kLatency;
  for (int i = 0; i < 3; ++i) run_frame(win, app);
  const Image im = grab(win);
  const int side_x0 = static_cast<int>(app.view.plot_x1) + 12;
  // Bars of the feed (100, 180, 255) and detector (255, 200, 80) histograms.
  CHECK(im.count_in(side_x0, 60, im.w - 1, im.h - 1, 100, 180, 255, 12) > 40);
  CHECK(im.count_in(side_x0, 60, im.w - 1, im.h - 1, 255, 200, 80, 12) > 40);
  // The dashed red seed-target lines (255, 60, 60).
  CHECK(im.count_in(side_x0, 60, im.w - 1, im.h - 1, 255, 60, 60, 25) > 30);
  // Not in the charts' panel: the tab shows them.
  app.request_tab = Tab::kEvents;
  for (int i = 0; i < 2; ++i) run_frame(win, app);
  const Image ev = grab(win);
  CHECK(ev.count_in(side_x0, 60, ev.w - 1, ev.h - 1, 100, 180, 255, 12) < 10);
}

TEST_CASE("Wheel zooms around the mouse, drag pans, shift+drag selects, keys play and zoom", "[viz-geometry]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  GlWindow win(1280, 800, "test");
  App app(load_model(p));
  app.view.set_window(0, 10000);
  run_frame(win, app);
  run_frame(win, app);
  const ChartRect tk = app.chart[static_cast<int>(ChartId::kTank)];
  const float y = (tk.min.y + tk.max.y) / 2;
  const float xm = app.view.x_of(2500);
  Input in;
  in.mouse = ImVec2(xm, y);
  run_frame(win, app, in);  // hover first
  in.wheel = 1;
  run_frame(win, app, in);
  in.wheel = 0;
  run_frame(win, app, in);
  CHECK(app.view.t1 - app.view.t0 == Approx(8000).epsilon(1e-6));  // one notch: x0.8
  CHECK(app.view.t_of(xm) == Approx(2500).margin(2));           // the time under the mouse stays put
  // Pan: drag 100 px right moves the window 100 px worth of time left.
  const double w = app.view.t1 - app.view.t0, a0 = app.view.t0;
  const double px_s = w / (app.view.plot_x1 - app.view.plot_x0);
  in.down[0] = true;
  run_frame(win, app, in);
  in.mouse.x += 100;
  run_frame(win, app, in);
  in.down[0] = false;
  run_frame(win, app, in);
  CHECK(app.view.t0 == Approx(a0 - 100 * px_s).margin(px_s));
  CHECK(app.view.t1 - app.view.t0 == Approx(w));
  // Shift+drag selects between the two mouse times.
  const double s_a = app.view.t_of(in.mouse.x);
  in.shift = true;
  in.down[0] = true;
  run_frame(win, app, in);
  in.mouse.x += 200;
  run_frame(win, app, in);
  const double s_b = app.view.t_of(in.mouse.x);
  in.down[0] = false;
  run_frame(win, app, in);
  in.shift = false;
  CHECK(std::min(app.view.sel0, app.view.sel1) == Approx(s_a).margin(px_s));
  CHECK(std::max(app.view.sel0, app.view.sel1) == Approx(s_b).margin(px_s));
  // Right-drag box zoom: the window becomes the box's time extent.
  const float bx0 = app.view.x_of(3000), bx1 = app.view.x_of(6000);
  in.mouse = ImVec2(bx0, y);
  in.down[1] = true;
  run_frame(win, app, in);
  in.mouse.x = bx1;
  in.mouse.y = y + 20;
  run_frame(win, app, in);
  in.down[1] = false;
  run_frame(win, app, in);
  CHECK(app.view.t0 == Approx(3000).margin(20));
  CHECK(app.view.t1 == Approx(6000).margin(20));
  // Keys: space plays, '-' zooms out x2 around the cursor.
  in = Input{};
  app.view.cursor = 4500;
  in.key = GLFW_KEY_SPACE;
  run_frame(win, app, in);
  in.key = -1;
  run_frame(win, app, in);
  CHECK(app.view.playing);
  app.view.playing = false;
  const double w2 = app.view.t1 - app.view.t0;
  in.key = GLFW_KEY_MINUS;
  run_frame(win, app, in);
  in.key = -1;
  run_frame(win, app, in);
  CHECK(app.view.t1 - app.view.t0 == Approx(2 * w2));
  // Next event jumps to the first event after the cursor (the void at 4900).
  app.view.cursor = 4500;
  REQUIRE(app.jump_event(+1));
  CHECK(app.view.cursor == 4900);
  REQUIRE(app.jump_event(+1));
  CHECK(app.view.cursor == kHitT);
}

TEST_CASE("The live tail follows a trace another process is writing, through SWMR refreshes, while frames render", "[viz-geometry]") {
  TempDir d;
  const std::string p = d.file("tail.h5");
  const std::string ready = d.file("ready"), go = d.file("go");
  constexpr int kBatches = 8, kRows = 100;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The writer process: a SWMR trace, one batch of rows (telemetry, stages, a detection) at a time.
    int rc = 0;
    try {
      TraceMeta meta = demo_meta(false);
      meta.mode = "live";
      meta.duration_s = 0;
      TraceWriter::Options o;
      o.swmr = true;
      TraceWriter w(p, meta, o);
      for (int b = 0; b < kBatches; ++b) {
        for (int i = 0; i < kRows; ++i) {
          const double t = (b * kRows + i) * 10.0;
          w.telemetry(kUrineTank, TelemetryRow{t, t, 0, 40.0 + b, static_cast<std::uint64_t>(b * kRows + i), 24});
          StageTimes st;
          st.seq = static_cast<std::uint64_t>(b * kRows + i);
          st.t_emit_s = t - 0.5;
          st.t_received_s = t;
          st.t_ingested_s = st.t_detected_s = st.t_stored_s = t + 0.01;
          w.stage(st);
        }
        Detection det;
        det.id = static_cast<std::uint64_t>(b + 1);
        det.onset_s = det.end_s = det.emitted_s = (b * kRows + 50) * 10.0;
        w.detection(det);
        w.flush();
        if (b == 0) std::ofstream(ready) << "1";
        // The next batch once the viewer has looked (or after 5 s).
        const std::string mark = go + std::to_string(b);
        for (int k = 0; k < 500 && !fs::exists(mark); ++k) usleep(10000);
      }
      w.finish();
    } catch (...) {
      rc = 1;
    }
    _exit(rc);
  }
  for (int k = 0; k < 1000 && !fs::exists(ready); ++k) usleep(10000);
  REQUIRE(fs::exists(ready));
  GlWindow win(1280, 800, "test");
  App app(load_model(p + ".tmp", false));
  CHECK(app.model().tank.size() == kRows);
  std::vector<std::size_t> seen{app.model().tank.size()};
  double wall = 1000;
  for (int b = 0; b + 1 < kBatches; ++b) {
    std::ofstream(go + std::to_string(b)) << "1";
    // Frames until the viewer shows the next batch (the tail looks once a wall second: time is faked).
    for (int f = 0; f < 200 && app.model().tank.size() == seen.back(); ++f) {
      usleep(20000);
      app.poll_live(wall += 1.1);
      run_frame(win, app);
    }
    seen.push_back(app.model().tank.size());
  }
  std::ofstream(go + std::to_string(kBatches - 1)) << "1";
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  // Every batch was seen while the file was still being written, through one SWMR-open file.
  for (int b = 1; b < kBatches; ++b) CHECK(seen[static_cast<std::size_t>(b)] == static_cast<std::size_t>((b + 1) * kRows));
  // The finished trace: renamed, followed to its final path.
  app.poll_live(wall += 1.1);
  run_frame(win, app);
  CHECK(app.model().path == p);
  CHECK(app.model().tank.size() == kBatches * kRows);
  CHECK(app.model().detections.size() == kBatches);
  CHECK(app.model().hist[0].stats.count == kBatches * kRows);
  CHECK(app.view.t1 >= (kBatches * kRows - 1) * 10.0 - 1e-6);  // the window kept up with the end
}

TEST_CASE("The latency chart draws a band per 60 s bucket and every update once zoomed in far enough", "[viz-geometry]") {
  TempDir d;
  const std::string p = d.file("summary.h5");
  write_summary_trace(p);
  GlWindow win(1280, 800, "test");
  App app(load_model(p, false));  // stage latencies from the summaries, as the viewer opens
  REQUIRE(app.model().latency_ready);
  REQUIRE_FALSE(app.model().latency_exact);
  app.rows_view_max = 5000;  // about 58 min of this trace's updates
  app.show_ui_panels = false;
  auto bound = [&] { return 4 * kStageSeries * (static_cast<int>(app.view.plot_x1 - app.view.plot_x0) + 3); };
  // Whole run: 334 buckets, each wider than a pixel: one quad per bucket and stage at most.
  app.view.set_window(0, 20000);
  run_frame(win, app);
  run_frame(win, app);
  CHECK_FALSE(app.latency_from_rows);
  CHECK_FALSE(app.rows_loading());
  CHECK(app.latency_vertices > 0);
  CHECK(app.latency_vertices <= 4 * kStageSeries * 335);
  // The band is filled: in the latency chart, stage colours cover a solid area, not two thin lines.
  {
    const Image im = grab(win);
    const ChartRect& la = app.chart[static_cast<int>(ChartId::kLatency)];
    const int x = static_cast<int>((app.view.plot_x0 + app.view.plot_x1) / 2);
    int coloured = 0;
    for (int y = static_cast<int>(la.min.y) + 22; y < static_cast<int>(la.max.y) - 2; ++y) 
      coloured += !im.near(x, y, 22, 24, 30, 12) && !im.near(x, y, 52, 56, 68, 12);  // not background, not grid
    CHECK(coloured >= 8);
  }
  // Zoomed in: more updates than rows_view_max still show the summaries...
  app.view.set_window(5000, 9000);
  run_frame(win, app);
  CHECK_FALSE(app.latency_from_rows);
  CHECK_FALSE(app.rows_loading());
  CHECK(app.latency_vertices <= bound());
  // ...at most rows_view_max: the window's rows are read in the background, then drawn per pixel.
  app.view.set_window(6000, 7000);
  run_frame(win, app);
  app.wait_rows();
  run_frame(win, app);
  CHECK(app.latency_from_rows);
  CHECK(app.latency_vertices > 0);
  CHECK(app.latency_vertices <= bound());
  // Panning within the rows read keeps them (a window either side), no new read.
  app.view.set_window(6300, 7300);
  run_frame(win, app);
  CHECK(app.latency_from_rows);
  CHECK_FALSE(app.rows_loading());
  // Zoomed out again: back to the summaries.
  app.view.set_window(0, 20000);
  run_frame(win, app);
  CHECK_FALSE(app.latency_from_rows);
}

TEST_CASE("Draw-list vertices stay bounded for a 10-million-sample trace", "[viz-decimation]") {
  TempDir d;
  const std::string p = d.file("big.h5");
  constexpr std::uint64_t kN = 10'000'000;
  {
    TraceMeta m = demo_meta(false);
    m.duration_s = static_cast<double>(kN) * 0.25;
    TraceWriter w(p, m);
    std::uint64_t x = 88172645463325252ull;
    double level = 50;
    for (std::uint64_t i = 0; i < kN; ++i) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      if ((x & 63) == 0) level = std::clamp(level + ((x >> 8) % 3) - 1.0, 0.0, 100.0);
      const double t = static_cast<double>(i) * 0.25;
      w.telemetry(kUrineTank, TelemetryRow{t, t, 0, level + ((x >> 20) & 1), i, 24});
    }
    w.finish();
  }
  GlWindow win(1280, 800, "test");
  App app(load_model(p));
  REQUIRE(app.model().tank.size() == kN);
  int worst = 0;
  // Whole run, a day, an hour, a minute.
  for (double span : {2.5e6, 86400.0, 3600.0, 60.0}) {
    app.view.set_window(1.2e6 - span / 2, 1.2e6 + span / 2);
    run_frame(win, app);
    run_frame(win, app);
    worst = std::max(worst, app.chart_vertices);
    INFO("window " << span << " s: " << app.chart_vertices << " vertices");
    CHECK(app.chart_vertices < 60000);
  }
  // The bound is about pixels: the same view of 10,000 samples costs about as much.
  TempDir d2;
  const std::string q = d2.file("small.h5");
  {
    TraceMeta m = demo_meta(false);
    m.duration_s = 2.5e6;
    TraceWriter w(q, m);
    for (int i = 0; i < 10000; ++i)
      w.telemetry(kUrineTank, TelemetryRow{i * 250.0, i * 250.0, 0, 50.0 + (i % 7), static_cast<std::uint64_t>(i), 24});
    w.finish();
  }
  App small(load_model(q));
  small.view.set_window(1.2e6 - 1.25e6, 1.2e6 + 1.25e6);
  run_frame(win, small);
  run_frame(win, small);
  app.view.set_window(1.2e6 - 1.25e6, 1.2e6 + 1.25e6);
  run_frame(win, app);
  run_frame(win, app);
  // Dense columns are bands: a random walk's columns stick out of the common range more than a
  // 7-value cycle's, but by at most a quad above and one below per pixel column, whatever the samples.
  const int cols = static_cast<int>(app.view.plot_x1 - app.view.plot_x0);
  INFO(app.chart_vertices << " vertices for 10 M samples, " << small.chart_vertices << " for 10,000");
  CHECK(app.chart_vertices < small.chart_vertices + 8 * cols + 2000);
}

TEST_CASE("peebot-view: help, bad input, headless screenshot and CSV export", "[viz-cli]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  const std::string bin = PEEBOT_VIEW_BINARY;
  CHECK(run(bin + " --help > " + d.file("help.txt")) == 0);
  CHECK(slurp(d.file("help.txt")).find("--screenshot") != std::string::npos);
  // peebot view forwards to peebot-view.
  CHECK(run(std::string(PEEBOT_BINARY) + " view --help > " + d.file("help2.txt")) == 0);
  CHECK(slurp(d.file("help2.txt")).find("Usage: peebot-view") != std::string::npos);
  CHECK(run(std::string(PEEBOT_BINARY) + " view 2> /dev/null") == 2);
  CHECK(run(bin + " " + d.file("nope.h5") + " 2> " + d.file("err.txt")) == 2);
  CHECK(slurp(d.file("err.txt")).find("nope.h5") != std::string::npos);
  CHECK(run(bin + " " + p + " --at 2x 2> " + d.file("err2.txt")) == 2);
  CHECK(slurp(d.file("err2.txt")).find("--at") != std::string::npos);
  CHECK(run(bin + " " + p + " --frames 0 2> /dev/null") == 2);
  const std::string png = d.file("out.png");
  REQUIRE(run(bin + " " + p + " --at 1h20min --window 1h --screenshot " + png + " --frames 3 > /dev/null") == 0);
  const std::string bytes = slurp(png);
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.compare(1, 3, "PNG") == 0);
  // IHDR: width and height, big-endian at bytes 16..23.
  auto be32 = [&](std::size_t o) {
    return (static_cast<unsigned>(static_cast<unsigned char>(bytes[o])) << 24) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[o + 1])) << 16) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[o + 2])) << 8) |
           static_cast<unsigned>(static_cast<unsigned char>(bytes[o + 3]));
  };
  CHECK(be32(16) == 1280);
  CHECK(be32(20) == 800);
  const std::string csv = d.file("sel.csv");
  REQUIRE(run(bin + " " + p + " --select 1h22min,1h24min --csv " + csv + " > /dev/null") == 0);
  const std::string text = slurp(csv);
  CHECK(text.find("4980.000000,") != std::string::npos);
  CHECK(text.find("4890.000000,") == std::string::npos);
  CHECK(text.find("5070.000000,") == std::string::npos);
}
