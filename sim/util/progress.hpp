// A command's progress on stderr, and what it cost the process: the bar
// `peebot run --progress` draws over virtual time, and the peak resident set
// size the CLI reports.
#pragma once
#include <chrono>

namespace peebot {

// "[####......]  42.0%  3d / 7d  x1200  ETA 5min": virtual seconds done of a
// total, with the speed over wall time. Redrawn at most five times a second;
// finish() draws the full bar and ends the line.
class ProgressBar {
 public:
  explicit ProgressBar(double total_s);
  // Done up to `done_s` virtual seconds (capped at the total).
  void update(double done_s);
  void finish();

 private:
  void draw(double done_s, double wall_s, bool final) const;
  double total_s_;
  std::chrono::steady_clock::time_point wall0_, last_draw_;
};

// Peak resident set size of this process so far, in kB (from /proc/self/status; -1 when unknown).
long peak_rss_kb();

}  // namespace peebot
