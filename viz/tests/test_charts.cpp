// The charts under Xvfb on Mesa llvmpipe, read back as pixels: the tank step
// and markers at their times, dense columns as bands, histograms, input
// (wheel, pan, select, box zoom, keys), the live tail, the latency chart and
// the vertex bound on a 10-million-sample trace.
#include "view_fixtures.hpp"

using namespace peebot;
using namespace peebot::viz;
using namespace peebot::viz::testing;

TEST_CASE("The tank chart draws a step where the trace has one, markers at their times", "[viz-pixels]") {
  DemoWindow demo;
  GlWindow& win = demo.win;
  App& app = demo.app;
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
  DemoWindow demo;
  GlWindow& win = demo.win;
  App& app = demo.app;
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
  DemoWindow demo;
  GlWindow& win = demo.win;
  App& app = demo.app;
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
