// peebot-view TRACE.h5: the trace viewer (see --help). Exit status: 0 success,
// 2 bad usage or bad input, 1 runtime failure (e.g. no display).
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <time.h>

#include "app.hpp"
#include "gl_window.hpp"

namespace {

const char* kHelp =
    "Usage: peebot-view TRACE.h5 [options]\n"
    "       peebot view TRACE.h5 [options]\n\n"
    "Opens a trace (sim, import, or a live NAME.h5.tmp still being written: it is\n"
    "followed as it grows) and replays it: transport, charts sharing one time\n"
    "window / cursor / selection, events table, latency histograms, range\n"
    "statistics, post texts.\n\n"
    "Options:\n"
    "  -h, --help             show this help\n"
    "  --at T                 put the cursor at T (from the run's start: 2d3h, 90min, 3600, ...)\n"
    "  --window W             show a window of width W centred on the cursor (e.g. 6h)\n"
    "  --select A,B           select the range [A, B] (durations as for --at)\n"
    "  --tab NAME             side panel: events, latency, range, posts, trace\n"
    "  --size WxH             window size in pixels (default 1280x800)\n"
    "  --screenshot FILE.png  render, write a PNG of the window and exit (headless test mode)\n"
    "  --frames N             frames to render before the screenshot / exit (default 3)\n"
    "  --csv FILE.csv         write the selected range (or the window) as CSV and exit\n"
    "  --bench                print trace-open time and frame time p50/p99 over a scripted\n"
    "                         session (zoomed out, zooming in, panning, playing) and exit\n\n"
    "Keys: space play/pause, Left/Right cursor, Ctrl+Left/Right or P/N events, +/- zoom,\n"
    "Up/Down speed, Home/End, F fit. Mouse: wheel zoom, drag pan, shift+drag select,\n"
    "right-drag box zoom, double-click fit.\n"
    "Exit status: 0 success, 2 bad usage or bad input, 1 runtime failure.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double duration_arg(const std::string& opt, const std::string& v) {
  try {
    return peebot::viz::parse_duration(v);
  } catch (const std::invalid_argument& e) {
    throw UsageError(opt + ": " + e.what());
  }
}

double pct(std::vector<double> v, double p) { return peebot::percentile(std::move(v), p); }

// CPU time of the whole process (every thread: llvmpipe rasterises on its own threads), ms.
double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace peebot::viz;
  std::string trace, shot, csv, tab;
  double at = peebot::kNoTime, window = peebot::kNoTime, sel_a = peebot::kNoTime, sel_b = peebot::kNoTime;
  int frames = -1, width = 1280, height = 800;
  bool bench = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto val = [&]() -> std::string {
        if (i + 1 >= argc) throw UsageError(a + " needs a value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") { std::cout << kHelp; return 0; }
      else if (a == "--at") at = duration_arg(a, val());
      else if (a == "--window") {
        window = duration_arg(a, val());
        if (!(window > 0)) throw UsageError("--window must be > 0");
      } else if (a == "--select") {
        const std::string v = val();
        const auto c = v.find(',');
        if (c == std::string::npos) throw UsageError("--select expects A,B (e.g. 2d,2d6h), got '" + v + "'");
        sel_a = duration_arg(a, v.substr(0, c));
        sel_b = duration_arg(a, v.substr(c + 1));
      } else if (a == "--tab") {
        tab = val();
        if (tab != "events" && tab != "latency" && tab != "range" && tab != "posts" && tab != "trace")
          throw UsageError("--tab expects events, latency, range, posts or trace, got '" + tab + "'");
      } else if (a == "--size") {
        const std::string v = val();
        if (std::sscanf(v.c_str(), "%dx%d", &width, &height) != 2 || width < 320 || height < 240 || width > 8192 || height > 8192)
          throw UsageError("--size expects WxH between 320x240 and 8192x8192, got '" + v + "'");
      } else if (a == "--screenshot") shot = val();
      else if (a == "--frames") {
        const std::string v = val();
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (!end || *end || n < 1 || n > 100000) throw UsageError("--frames expects an integer 1..100000, got '" + v + "'");
        frames = static_cast<int>(n);
      } else if (a == "--csv") csv = val();
      else if (a == "--bench") bench = true;
      else if (!a.empty() && a[0] == '-') throw UsageError("unknown option '" + a + "'");
      else if (trace.empty()) trace = a;
      else throw UsageError("unexpected argument '" + a + "' (one trace at a time)");
    }
    if (trace.empty()) throw UsageError("missing TRACE.h5");
  } catch (const UsageError& e) {
    std::cerr << "peebot-view: " << e.what() << " (run 'peebot-view --help')\n";
    return 2;
  }

  Model model;
  try {
    model = load_model(trace, false);  // stage latencies load in the background (App)
  } catch (const peebot::TraceError& e) {
    std::cerr << "peebot-view: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "peebot-view: cannot load '" << trace << "': " << e.what() << "\n";
    return 1;
  }
  const double open_s = model.open_seconds;
  App app(std::move(model));
  const double base = app.model().t_begin;
  if (!std::isnan(at)) app.view.cursor = base + at;
  if (!std::isnan(window)) {
    const double c = std::isnan(at) ? (app.view.t0 + app.view.t1) / 2 : app.view.cursor;
    app.view.set_window(c - window / 2, c + window / 2);
  } else if (!std::isnan(at)) {
    app.view.center_on(app.view.cursor);
  }
  if (!std::isnan(sel_a)) { app.view.sel0 = base + sel_a; app.view.sel1 = base + sel_b; }
  if (tab == "events") app.request_tab = Tab::kEvents;
  if (tab == "latency") app.request_tab = Tab::kLatency;
  if (tab == "range") app.request_tab = Tab::kRange;
  if (tab == "posts") app.request_tab = Tab::kPosts;
  if (tab == "trace") app.request_tab = Tab::kTrace;

  if (!csv.empty()) {
    try {
      std::cout << "wrote " << app.export_selection_csv(csv) << "\n";
    } catch (const std::exception& e) {
      std::cerr << "peebot-view: " << e.what() << "\n";
      return 1;
    }
    if (shot.empty() && !bench) return 0;
  }

  try {
    GlWindow win(width, height, ("peebot-view - " + trace).c_str());
    using clock = std::chrono::steady_clock;
    if (bench) {
      // A scripted session: zoomed out, zooming in, panning at 6 h, playing at 100,000x.
      const auto w0 = clock::now();
      const bool from_summary = app.model().latency_ready;
      app.wait_latency();
      const double lat_s = std::chrono::duration<double>(clock::now() - w0).count();
      std::vector<double> ms, build_ms, raster_ms, swap_ms, cpu_ms, raster_cpu_ms;
      int max_all_vtx = 0, max_cmds = 0;
      const double a = app.model().t_begin, b = app.model().t_end;
      int max_vtx = 0;
      const int n = frames > 0 ? frames : 400;
      for (int f = 0; f < n; ++f) {
        const double u = static_cast<double>(f) / n;
        if (u < 0.25) app.view.fit_all();
        else if (u < 0.5) {
          const double w = (b - a) * std::pow(0.001, (u - 0.25) / 0.25), c = a + (b - a) * 0.37;
          app.view.set_window(c - w / 2, c + w / 2);
        } else if (u < 0.75) {
          const double c = a + (b - a) * (u - 0.5) / 0.25;
          app.view.set_window(c - 3 * 3600, c + 3 * 3600);
        } else {
          app.view.playing = true;
          app.view.speed = 1e5;
        }
        const auto t0 = clock::now();
        const double c0 = process_cpu_ms();
        win.begin_frame([](ImGuiIO& io) { io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX); });
        app.frame(1.0 / 60);
        const auto tb = clock::now();
        const double cb = process_cpu_ms();
        win.render();
        win.finish();
        const auto t1 = clock::now();
        const double c1 = process_cpu_ms();
        win.swap();
        const auto t2 = clock::now();
        const double c2 = process_cpu_ms();
        if (const ImDrawData* dd = ImGui::GetDrawData()) {
          int cmds = 0;
          for (int l = 0; l < dd->CmdListsCount; ++l) cmds += dd->CmdLists[l]->CmdBuffer.Size;
          max_all_vtx = std::max(max_all_vtx, dd->TotalVtxCount);
          max_cmds = std::max(max_cmds, cmds);
        }
        if (f >= 3) {
          cpu_ms.push_back(c2 - c0);
          raster_cpu_ms.push_back(c1 - cb);
          ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
          build_ms.push_back(std::chrono::duration<double, std::milli>(tb - t0).count());
          raster_ms.push_back(std::chrono::duration<double, std::milli>(t1 - tb).count());
          swap_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
        }
        max_vtx = std::max(max_vtx, app.chart_vertices);
      }
      std::printf("trace: %s (%zu tank samples, %llu rows read)\n", trace.c_str(), app.model().tank.size(),
                  static_cast<unsigned long long>(app.model().rows_total));
      std::printf("open: %.3f s to the first frame's data (telemetry, events, truth, pyramids, scoring, stage latencies\n"
                  "      when the trace has stage summaries); of which telemetry min/max pyramids %.2f ms\n",
                  open_s, app.model().pyramid_seconds * 1e3);
      if (from_summary) {
        const auto& bk = app.model().stage_summary.buckets;
        std::size_t nb = 0;  // rows are (bucket, quantity): count distinct buckets
        for (std::size_t i = 0; i < bk.size(); ++i) nb += i == 0 || bk[i].t_s != bk[i - 1].t_s;
        std::printf("stage latencies: from the trace's stage summaries, ready at open (%zu buckets of %.0f s, %zu rows)\n",
                    nb, app.model().stage_summary.bucket_s, bk.size());
      } else {
        std::printf("stage latencies (/pipeline/stages, no summaries in this trace, background): ready %.3f s after the window opened\n", lat_s);
      }
      std::printf("frames: %zu at %dx%d, frame time p50 %.2f ms, p99 %.2f ms, max %.2f ms (%.0f fps at p50)\n", ms.size(),
                  width, height, pct(ms, 50), pct(ms, 99), *std::max_element(ms.begin(), ms.end()), 1000.0 / pct(ms, 50));
      std::printf("  UI build (ImGui + decimation + draw lists): p50 %.2f ms, p99 %.2f ms\n", pct(build_ms, 50), pct(build_ms, 99));
      std::printf("  render (GL calls, Mesa llvmpipe rasterising, glFinish): p50 %.2f ms, p99 %.2f ms\n", pct(raster_ms, 50),
                  pct(raster_ms, 99));
      std::printf("  swap (glfwSwapBuffers to Xvfb): p50 %.2f ms, p99 %.2f ms\n", pct(swap_ms, 50), pct(swap_ms, 99));
      std::printf("CPU time of the process (all threads) per frame: p50 %.2f ms, p99 %.2f ms; of which render p50 %.2f ms, p99 %.2f ms\n",
                  pct(cpu_ms, 50), pct(cpu_ms, 99), pct(raster_cpu_ms, 50), pct(raster_cpu_ms, 99));
      std::printf("chart draw list: at most %d vertices a frame; all draw lists at most %d vertices, %d draw calls\n", max_vtx,
                  max_all_vtx, max_cmds);
      return 0;
    }
    const bool headless = !shot.empty();
    if (headless) {  // the picture shows everything
      app.wait_latency();
      app.prefetch_rows();
    }
    const int n = frames > 0 ? frames : 3;
    auto last = clock::now();
    for (int f = 0; headless ? f < n : !win.should_close(); ++f) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - last).count();
      last = now;
      app.poll_live(std::chrono::duration<double>(now.time_since_epoch()).count());
      // Headless: the pointer (wherever Xvfb put it) must not draw a tooltip into the picture.
      win.begin_frame([headless](ImGuiIO& io) {
        if (headless) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      });
      app.frame(headless ? 0.0 : dt);
      win.render();
      if (headless && f == n - 1) {
        int w = 0, h = 0;
        const auto px = win.read_rgba(w, h);
        write_png(shot, px, w, h);
        std::cout << "wrote " << shot << " (" << w << "x" << h << ")\n";
      } else if (app.want_screenshot) {
        app.want_screenshot = false;
        int w = 0, h = 0;
        const auto px = win.read_rgba(w, h);
        std::string path = app.screenshot_path;
        if (path.empty()) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "_%.0f.png", app.view.cursor);
          path = app.default_stem() + buf;
        }
        try {
          write_png(path, px, w, h);
          app.status = "wrote " + path;
        } catch (const std::exception& e) {
          app.status = e.what();
        }
      }
      win.swap();
      if (!headless) {
        // Idle: no redraw until input (or a background read / the live tail needs one).
        const double wait = app.idle_wait();
        if (wait == HUGE_VAL) glfwWaitEvents();
        else if (wait > 0) glfwWaitEventsTimeout(wait);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "peebot-view: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
