#include "progress.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "time.hpp"

namespace peebot {

ProgressBar::ProgressBar(double total_s)
    : total_s_(total_s), wall0_(std::chrono::steady_clock::now()), last_draw_(wall0_) {}

void ProgressBar::update(double done_s) {
  const auto w = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(w - last_draw_).count() < 0.2) return;
  last_draw_ = w;
  draw(std::min(done_s, total_s_), std::chrono::duration<double>(w - wall0_).count(), false);
}

void ProgressBar::finish() {
  draw(total_s_, std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0_).count(), true);
}

void ProgressBar::draw(double virt, double wall, bool final) const {
  const double total = total_s_;
  const int width = 30;
  const double frac = total > 0 ? std::min(1.0, virt / total) : 1.0;
  const int fill = static_cast<int>(frac * width);
  char bar[width + 1];
  for (int i = 0; i < width; ++i) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  const double speed = wall > 0 ? virt / wall : 0.0;
  const double eta = speed > 0 ? (total - virt) / speed : 0.0;
  std::fprintf(stderr, "\r[%s] %5.1f%%  %s / %s  x%.0f  ETA %s   %s", bar, 100 * frac, format_duration(virt).c_str(),
               format_duration(total).c_str(), speed, format_duration(std::max(0.0, eta)).c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

long peak_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace peebot
