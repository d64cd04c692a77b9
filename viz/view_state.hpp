// Where the viewer looks: the shared time window, the cursor, the selection,
// playback, the y zoom of the tank and latency charts, and the time <-> pixel
// map of the last frame. One object every chart, panel and key reads and
// moves (like Tracy's ViewData): PlotJuggler's shared cursor and linked zoom.
#pragma once
#include <cmath>

#include "sim/pipeline/records.hpp"  // kNoTime

namespace peebot::viz {

// A value axis drawn bottom-up inside [top, bottom] less `pad` pixels at
// each end: v0 at the bottom, v1 at the top.
struct ValueAxis {
  float top = 0, bottom = 1, pad = 0;
  double v0 = 0, v1 = 1;
  float y(double v) const { return bottom - pad - static_cast<float>((v - v0) / (v1 - v0)) * (bottom - top - 2 * pad); }
  double value(float y) const { return v0 + (bottom - pad - y) / (bottom - top - 2 * pad) * (v1 - v0); }
};

struct ViewState {
  // Seconds since the trace's epoch.
  double t0 = 0.0, t1 = 1.0;              // the shared time window
  double cursor = 0.0;
  double sel0 = kNoTime, sel1 = kNoTime;  // selection (NaN: none)
  bool playing = false;
  double speed = 60.0;                    // virtual seconds per wall second
  double t_begin = 0.0, t_end = 1.0;      // the run's span (bounds the window's width)

  // y zoom: auto-ranged from the data unless a box zoom set it.
  double tank_y0 = 0, tank_y1 = 100;      // tank chart, percent
  bool tank_y_auto = true;
  double lat_y0 = -4, lat_y1 = 1;         // latency chart, log10 seconds
  bool lat_y_auto = true;

  // The time <-> pixel map of the last frame: x pixels of t0 and t1.
  float plot_x0 = 0, plot_x1 = 1;
  float x_of(double t) const { return plot_x0 + static_cast<float>((t - t0) / (t1 - t0)) * (plot_x1 - plot_x0); }
  double t_of(float x) const { return t0 + (x - plot_x0) / (plot_x1 - plot_x0) * (t1 - t0); }
  float plot_width() const { return plot_x1 - plot_x0; }

  // The window [a, b], kept between 1 s and 1.2 run spans wide.
  void set_window(double a, double b);
  void fit_all();                     // the whole run plus 1 %, y ranges automatic again
  void center_on(double t);           // keeps the window width, centres it on t, sets the cursor
  void zoom_around(double c, double factor);  // scales the window about time c
  bool has_selection() const { return !std::isnan(sel0); }
  // The selection, else the visible window, as [a, b] with a <= b.
  void range(double& a, double& b) const;
  // Playback: moves the cursor by wall_dt x speed, stops at the end (unless
  // `live`), and pages the window to keep the cursor in sight.
  void advance(double wall_dt, bool live);
  bool window_holds(double t) const { return t >= t0 && t <= t1; }
};

}  // namespace peebot::viz
