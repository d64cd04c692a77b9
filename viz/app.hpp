// The viewer's UI: transport, charts sharing one time window / cursor /
// selection, and the side panels. Drawn with Dear ImGui (1.86) + ImDrawList.
// App::frame() is called between ImGui::NewFrame() and ImGui::Render().
#pragma once
#include <cmath>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <imgui.h>

#include "model.hpp"

namespace peebot::viz {

enum class ChartId : int { kAxis, kTank, kMarkers, kUpa, kWater, kCrew, kLatency, kCount };
enum class Tab : int { kEvents, kLatency, kRange, kPosts, kTrace, kCount };

struct ChartRect {
  ImVec2 min{0, 0}, max{0, 0};
};

class App {
 public:
  // Starts loading the stage latencies in the background when the model has none yet.
  explicit App(Model model);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;
  bool latency_loading() const { return loader_.joinable(); }
  // Range statistics' ingest->dashboard figures being read from the range's rows (summary traces).
  bool range_loading() const { return range_job_.joinable(); }
  void wait_range();  // blocks until they are in (tests)
  // Blocks until the background latency load is installed (bench, tests).
  void wait_latency();

  void frame(double wall_dt);  // builds this frame's UI; wall_dt: seconds since the previous frame
  void poll_live(double wall_now);  // live tail: follows a SWMR trace as it grows (looks at most once a second)

  // View state (seconds since epoch).
  double t0 = 0.0, t1 = 1.0;   // the shared time window
  double cursor = 0.0;
  double sel0 = kNoTime, sel1 = kNoTime;  // selection (NaN: none)
  bool playing = false;
  double speed = 60.0;         // virtual seconds per wall second
  Tab request_tab = Tab::kCount;  // switch the side panel to this tab on the next frame
  bool show_ui_panels = true;

  void set_window(double a, double b);
  void fit_all();
  void center_on(double t);  // keeps the window width, centres it on t, sets the cursor
  bool jump_event(int dir);  // next/previous event (voids, detections, posts); false when none

  // Requests from the UI, handled by the main loop after rendering.
  bool want_screenshot = false;
  std::string screenshot_path;
  std::string status;  // last message shown in the transport bar

  // Geometry of the last frame (tests, headless checks).
  ChartRect chart[static_cast<int>(ChartId::kCount)];
  float plot_x0 = 0, plot_x1 = 1;     // x pixels of t0 and t1
  double tank_y0 = 0, tank_y1 = 100;  // the tank chart's y range (percent) last frame
  int chart_vertices = 0;             // vertices the chart panel's draw list held last frame
  float x_of(double t) const { return plot_x0 + static_cast<float>((t - t0) / (t1 - t0)) * (plot_x1 - plot_x0); }
  double t_of(float x) const { return t0 + (x - plot_x0) / (plot_x1 - plot_x0) * (t1 - t0); }
  float tank_y_of(double v) const;

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
  void keyboard();

  Model m_;
  std::vector<M4Column> cols_;  // scratch (no per-frame allocation once sized)
  std::vector<ImVec2> pts_;
  bool tank_y_auto_ = true, lat_y_auto_ = true;
  double lat_y0_ = -4, lat_y1_ = 1;
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
  std::thread loader_;
  std::mutex loader_mu_;
  std::unique_ptr<LatencyData> loaded_;
  std::string loader_error_;
  std::atomic<bool> loader_done_{false};
  // Ingest->dashboard latency of the range, read from its rows in the background
  // when the stage latencies come from the trace's summaries.
  void range_latency(double a, double b);
  std::thread range_job_;
  std::atomic<bool> range_done_{false};
  LatencyStats range_job_result_{};
  double range_job_a_ = kNoTime, range_job_b_ = kNoTime;
  double last_live_check_ = -1e300;
  std::unique_ptr<TraceTail> tail_;  // live tail: the trace held open for SWMR reading
};

}  // namespace peebot::viz
