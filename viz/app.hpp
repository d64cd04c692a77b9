// The viewer's UI: transport bar and scrubber (app.cpp), the charts sharing
// one ViewState (charts.cpp lays out chart_*.cpp) and the side panels
// (panel_*.cpp), in the way Tracy splits its View over TracyView_*.cpp.
// Drawn with Dear ImGui (1.86) + ImDrawList. App::frame() is called between
// ImGui::NewFrame() and ImGui::Render().
#pragma once
#include <cmath>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <imgui.h>

#include "chart.hpp"
#include "model.hpp"
#include "view_state.hpp"

namespace peebot::viz {

enum class Tab : int { kEvents, kLatency, kRange, kPosts, kTrace, kCount };

// One computation at a time on a background thread. The UI thread starts it,
// polls done() and takes the result once (take() never blocks); wait_done()
// blocks until it has finished (headless mode, tests).
template <class T>
class BackgroundJob {
 public:
  BackgroundJob() = default;
  BackgroundJob(const BackgroundJob&) = delete;
  BackgroundJob& operator=(const BackgroundJob&) = delete;
  ~BackgroundJob() { join(); }
  bool busy() const { return th_.joinable(); }      // started and not yet taken
  bool done() const { return busy() && done_; }     // finished, result not yet taken
  template <class Fn>
  void start(Fn fn) {  // call only when !busy()
    done_ = false;
    th_ = std::thread([this, fn = std::move(fn)]() mutable {
      result_ = fn();
      done_ = true;
    });
  }
  std::optional<T> take() {
    if (!done()) return std::nullopt;
    th_.join();
    return std::move(result_);
  }
  void wait_done() const {
    while (busy() && !done_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void join() {  // waits for a running job and drops its result
    if (th_.joinable()) th_.join();
  }

 private:
  std::thread th_;
  std::atomic<bool> done_{false};
  T result_{};
};

class App {
 public:
  // Starts loading the stage latencies in the background when the model has none yet.
  explicit App(Model model);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;
  bool latency_loading() const { return loader_.busy(); }
  // Range statistics' ingest->dashboard figures being read from the range's rows (summary traces).
  bool range_loading() const { return range_job_.busy(); }
  void wait_range();  // blocks until they are in (tests)
  // Zoomed in far enough (at most rows_view_max updates in the window), the
  // latency chart shows every update: the window's rows are read in the
  // background (only those the stage summary's buckets point to).
  std::uint64_t rows_view_max = 200000;
  bool rows_loading() const { return rows_job_.busy(); }
  void wait_rows();  // blocks until a pending rows read is installed (tests)
  // Headless: reads now (blocking) the rows the current window's latency chart
  // will show, so the picture does not depend on a background thread's timing.
  void prefetch_rows();
  // Blocks until the background latency load is installed (bench, tests).
  void wait_latency();

  void frame(double wall_dt);  // builds this frame's UI; wall_dt: seconds since the previous frame
  void poll_live(double wall_now);
  bool live() const;  // a live trace, or a .tmp still being written
  // After a frame of the interactive loop: how long it may wait for input
  // (glfwWaitEventsTimeout) before the next frame. 0 while playing; 0.05 s while
  // a background read runs (its result shows when it is in); 0.5 s for a live
  // trace (the tail is looked at once a second); otherwise, every second call,
  // HUGE_VAL (wait for an event: nothing changes on screen without one; the
  // other call gives ImGui the frame it needs to settle after an event).
  double idle_wait();  // live tail: follows a SWMR trace as it grows (looks at most once a second)

  // The time window, cursor, selection, playback and y zoom every chart and panel reads.
  ViewState view;
  Tab request_tab = Tab::kCount;  // switch the side panel to this tab on the next frame
  bool show_ui_panels = true;

  bool jump_event(int dir);  // next/previous event (voids, detections, posts); false when none

  // Requests from the UI, handled by the main loop after rendering.
  bool want_screenshot = false;
  std::string screenshot_path;
  std::string status;  // last message shown in the transport bar

  // Geometry of the last frame (tests, headless checks).
  ChartRect chart[static_cast<int>(ChartId::kCount)];
  int chart_vertices = 0;             // vertices the chart panel's draw list held last frame
  int latency_vertices = 0;           // of which the latency chart's bands
  int tank_vertices = 0;              // and the tank level's line and bands
  bool latency_from_rows = false;     // the latency chart showed the window's rows (not the 60 s summaries)
  ValueAxis tank_axis() const;        // the tank chart's y axis last frame
  float tank_y_of(double v) const { return tank_axis().y(v); }

  const Model& model() const { return m_; }
  std::string export_selection_csv(const std::string& path);  // returns the path written
  std::string default_stem() const;

 private:
  void transport_bar(double wall_dt);
  void scrubber();
  void charts();
  void chart_interaction(const ImVec2& a, const ImVec2& b);
  void side_panel();
  void events_tab();
  void latency_tab();
  void range_tab();
  void posts_tab();
  void trace_tab();
  void tooltip(double t);
  LatencySource latency_source();  // summaries, or the window's rows once zoomed in (starts their read)
  void sync_span();  // the view's bounds follow the model's span (it grows when live)
  void keyboard();
  void export_csv_button(const char* label);  // writes the selection (or window) as CSV when clicked

  Model m_;
  ChartScratch scratch_;
  // Drag state.
  int drag_mode_ = 0;  // 0 none, 1 pan, 2 select, 3 box
  ImVec2 drag_from_{0, 0};
  double drag_t0_ = 0, drag_t1_ = 0;
  // Events table.
  std::vector<std::size_t> ev_order_;
  ImGuiTextFilter filter_;
  bool only_errors_ = false;
  int sort_col_ = 0;
  bool sort_desc_ = false;
  bool order_dirty_ = true;
  double table_cursor_ = kNoTime;
  // Range stats cache.
  RangeStats range_{};
  double range_key0_ = kNoTime, range_key1_ = kNoTime;
  void take_latency();
  struct Loaded {
    std::unique_ptr<LatencyData> data;
    std::string error;
  };
  BackgroundJob<Loaded> loader_;
  // Ingest->dashboard latency of the range, read from its rows in the background
  // when the stage latencies come from the trace's summaries.
  void range_latency(double a, double b);
  BackgroundJob<LatencyStats> range_job_;
  double range_job_a_ = kNoTime, range_job_b_ = kNoTime;
  // The latency chart's rows when zoomed in (stage_rows_view), read in the background.
  void latency_rows(double a, double b);
  std::unique_ptr<StageRowsView> rows_view_;
  BackgroundJob<std::unique_ptr<StageRowsView>> rows_job_;
  void install_rows();  // a finished rows read becomes rows_view_
  std::mutex hdf5_mu_;  // HDF5 (serial build): one background read at a time
  double last_live_check_ = -1e300;
  int idle_frames_ = 0;
};

}  // namespace peebot::viz
