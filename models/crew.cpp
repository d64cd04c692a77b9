#include "crew.hpp"

#include <algorithm>
#include <cmath>

namespace peebot {

double void_rate_per_s(const CrewParams& p, double since_wake_s, double awake_s) {
  if (since_wake_s < 0.0 || since_wake_s >= awake_s || awake_s <= 0.0) return 0.0;
  // Normalise so that a full awake period yields voids_per_day uses on average.
  const double burst = std::min(p.wake_burst_s, awake_s);
  const double weighted = (awake_s - burst) + p.wake_burst_factor * burst;
  const double base = p.voids_per_day / weighted;
  return since_wake_s < burst ? base * p.wake_burst_factor : base;
}

namespace {

struct Period { double wake_s, sleep_s; };

// Awake periods of one person, in run time. Days start at the GMT midnight at or before t = 0.
std::vector<Period> awake_periods(const CrewParams& p, double epoch_unix_s, double horizon_s,
                                  double person_shift_s, Rng& rng) {
  std::vector<Period> out;
  const double day0 = std::floor(epoch_unix_s / 86400.0) * 86400.0 - epoch_unix_s;  // run time of that midnight
  double sleep_len = p.sleep_s - p.wake_s;
  if (sleep_len <= 0) sleep_len += 86400.0;  // bed time after midnight
  for (double day = day0 - 86400.0; day < horizon_s + 86400.0; day += 86400.0) {
    const double jitter_w = rng.normal(0.0, p.daily_jitter_sd_s);
    const double jitter_s = rng.normal(0.0, p.daily_jitter_sd_s);
    const double wake = day + p.wake_s + person_shift_s + jitter_w;
    const double sleep = wake + std::max(3600.0, sleep_len + jitter_s - jitter_w);
    if (sleep <= 0.0 || wake >= horizon_s) continue;
    if (!out.empty() && wake <= out.back().sleep_s) {  // jitter made two days touch: merge
      out.back().sleep_s = std::max(out.back().sleep_s, sleep);
      continue;
    }
    out.push_back({wake, sleep});
  }
  return out;
}

}  // namespace

CrewPlan plan_crew(const CrewParams& p, double epoch_unix_s, double horizon_s, Rng& rng) {
  CrewPlan plan;
  for (int person = 0; person < p.size; ++person) {
    const double shift = rng.normal(0.0, p.person_shift_sd_s);
    const auto periods = awake_periods(p, epoch_unix_s, horizon_s, shift, rng);
    bool awake_at_start = false;
    for (const auto& per : periods) {
      if (per.wake_s <= 0.0 && per.sleep_s > 0.0) awake_at_start = true;
      if (per.wake_s > 0.0) plan.transitions.push_back({per.wake_s, person, 1});
      if (per.sleep_s < horizon_s) plan.transitions.push_back({per.sleep_s, person, 0});
      // Non-homogeneous Poisson process by thinning against the burst rate.
      const double awake = per.sleep_s - per.wake_s;
      const double rate_max = void_rate_per_s(p, 0.0, awake);
      if (rate_max <= 0.0) continue;
      double t = per.wake_s;
      while (true) {
        t += rng.exponential(1.0 / rate_max);
        if (t >= per.sleep_s) break;
        const double accept = void_rate_per_s(p, t - per.wake_s, awake) / rate_max;
        const bool take = rng.uniform() < accept;
        // Draw every attribute for every candidate so the stream's use does not depend on the window.
        const double urine = std::max(30.0, rng.lognormal_mean_sd(p.urine_mean_ml, p.urine_sd_ml));
        const double dur = std::max(5.0, rng.normal(p.void_duration_mean_s, p.void_duration_sd_s));
        const bool upa = rng.bernoulli(p.upa_share);
        if (!take || t < 0.0 || t >= horizon_s) continue;
        VoidEvent v;
        v.onset_s = t;
        v.end_s = t + dur;
        v.crew = person;
        v.urine_ml = urine;
        v.flush_ml = p.flush_ml;
        v.reaches_tank = upa;
        plan.voids.push_back(v);
      }
    }
    // Everyone's state at t = 0 is recorded so the lanes start defined.
    plan.transitions.push_back({0.0, person, awake_at_start ? 1 : 0});
  }
  std::sort(plan.voids.begin(), plan.voids.end(),
            [](const VoidEvent& a, const VoidEvent& b) { return a.onset_s < b.onset_s || (a.onset_s == b.onset_s && a.crew < b.crew); });
  // One toilet feeds the UPA tank: its uses queue behind each other. The other
  // toilet's uses are independent of it (and of each other, for the tank's sake).
  double toilet_free = -1e300;
  for (auto& v : plan.voids) {
    if (!v.reaches_tank) continue;
    if (v.onset_s < toilet_free) {
      const double d = toilet_free - v.onset_s;
      v.onset_s += d;
      v.end_s += d;
    }
    toilet_free = v.end_s + p.toilet_turnaround_s;
  }
  plan.voids.erase(std::remove_if(plan.voids.begin(), plan.voids.end(),
                                  [&](const VoidEvent& v) { return v.onset_s >= horizon_s; }),
                   plan.voids.end());
  std::stable_sort(plan.voids.begin(), plan.voids.end(),
                   [](const VoidEvent& a, const VoidEvent& b) { return a.onset_s < b.onset_s; });
  std::stable_sort(plan.transitions.begin(), plan.transitions.end(),
                   [](const CrewStateChange& a, const CrewStateChange& b) { return a.t_s < b.t_s || (a.t_s == b.t_s && a.crew < b.crew); });
  return plan;
}

}  // namespace peebot
