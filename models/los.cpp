#include "los.hpp"

#include <algorithm>
#include <utility>

#include "intervals.hpp"

namespace peebot {

std::vector<LosWindow> plan_los(const LosParams& p, double horizon_s, Rng& rng) {
  std::vector<LosWindow> w;
  if (p.enabled && p.orbit_period_s > 0) {
    for (double orbit = 0.0; orbit < horizon_s; orbit += p.orbit_period_s) {
      // Draw all three numbers every orbit so the stream does not depend on the outcome.
      const bool gap = rng.bernoulli(p.probability);
      const double len = std::max(p.gap_min_s, rng.normal(p.gap_mean_s, p.gap_sd_s));
      const double phase = rng.uniform();
      if (!gap) continue;
      const double room = std::max(0.0, p.orbit_period_s - len);
      const double start = orbit + phase * room;
      if (start >= horizon_s) continue;
      w.push_back({start, std::min(horizon_s, start + len)});
    }
  }
  for (const auto& e : p.extra)
    if (e.start_s < horizon_s && e.end_s > e.start_s) w.push_back({e.start_s, std::min(horizon_s, e.end_s)});
  return merge_windows(std::move(w));
}

bool in_los(const std::vector<LosWindow>& windows, double t_s) {
  auto it = std::upper_bound(windows.begin(), windows.end(), t_s,
                             [](double t, const LosWindow& w) { return t < w.start_s; });
  if (it == windows.begin()) return false;
  --it;
  return t_s < it->end_s;
}

}  // namespace peebot
