#include "view_state.hpp"

#include <algorithm>

namespace peebot::viz {

void ViewState::set_window(double a, double b) {
  if (!(b > a)) b = a + 1e-3;
  const double span = b - a;
  const double min_span = 1.0, max_span = (t_end - t_begin) * 1.2 + 60;
  if (span < min_span) { const double c = (a + b) / 2; a = c - min_span / 2; b = c + min_span / 2; }
  if (span > max_span) { const double c = (a + b) / 2; a = c - max_span / 2; b = c + max_span / 2; }
  t0 = a;
  t1 = b;
}

void ViewState::fit_all() {
  const double pad = (t_end - t_begin) * 0.01;
  set_window(t_begin - pad, t_end + pad);
  tank_y_auto = lat_y_auto = true;
}

void ViewState::center_on(double t) {
  const double w = t1 - t0;
  set_window(t - w / 2, t + w / 2);
  cursor = t;
}

void ViewState::zoom_around(double c, double factor) { set_window(c - (c - t0) * factor, c + (t1 - c) * factor); }

void ViewState::range(double& a, double& b) const {
  if (has_selection()) {
    a = std::min(sel0, sel1);
    b = std::max(sel0, sel1);
  } else {
    a = t0;
    b = t1;
  }
}

void ViewState::advance(double wall_dt, bool live) {
  if (!playing) return;
  cursor += wall_dt * speed;
  if (cursor >= t_end) {
    cursor = t_end;
    if (!live) playing = false;
  }
  if (cursor > t1 || cursor < t0) {
    const double w = t1 - t0;
    set_window(cursor - 0.1 * w, cursor + 0.9 * w);
  }
}

}  // namespace peebot::viz
