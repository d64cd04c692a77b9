#include "crew.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/special_functions/gamma.hpp>

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

bool is_weekend(double unix_s) {
  const auto days = static_cast<long long>(std::floor(unix_s / 86400.0));
  const long long wd = ((days + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  return wd == 0 || wd == 6;
}

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
    // Weekends: later wake, same bed time (a shorter day).
    const double delay = p.weekend_wake_delay_s > 0 && is_weekend(epoch_unix_s + day + 43200.0) ? p.weekend_wake_delay_s : 0.0;
    const double wake = day + p.wake_s + person_shift_s + jitter_w + delay;
    const double sleep = wake + std::max(3600.0, sleep_len + jitter_s - jitter_w - delay);
    if (sleep <= 0.0 || wake >= horizon_s) continue;
    if (!out.empty() && wake <= out.back().sleep_s) {  // jitter made two days touch: merge
      out.back().sleep_s = std::max(out.back().sleep_s, sleep);
      continue;
    }
    out.push_back({wake, sleep});
  }
  return out;
}

bool in_windows(const std::vector<LosWindow>& w, double t) {
  for (const auto& x : w)
    if (t >= x.start_s && t < x.end_s) return true;
  return false;
}

}  // namespace

int crew_size_at(const CrewParams& p, double t_s) {
  int size = p.size;
  for (const auto& per : p.periods)
    if (per.start_s <= t_s) size = per.size;
  return size;
}

int crew_roster_size(const CrewParams& p) {
  int n = p.periods.empty() || p.periods.front().start_s > 0.0 ? p.size : 0;
  for (const auto& per : p.periods) n = std::max(n, per.size);
  return n;
}

bool crew_aboard(const CrewParams& p, int person, double t_s) { return person < crew_size_at(p, t_s); }

bool crew_on_eva(const CrewParams& p, int person, double t_s) {
  return person < p.eva_crew && in_windows(p.eva, t_s);
}

namespace {

// A stretch of one person's day with its use rate: awake (the diurnal
// profile of void_rate_per_s) or asleep (a constant rate); exercise window of its day.
struct Segment {
  double start_s, end_s;
  bool awake;
  double rate_per_s;  // asleep: the constant rate; awake: unused (the profile)
  double ex_start_s, ex_end_s;
};

// Log-normal with the given mean and sd from a standard normal draw z
// (Rng::lognormal_mean_sd with the draw made by the caller, so that the
// stream's use does not depend on sd).
double lognormal_of(double z, double mean, double sd) {
  if (sd <= 0.0) return mean;
  const double s2 = std::log1p((sd * sd) / (mean * mean));
  return std::exp(std::log(mean) - 0.5 * s2 + std::sqrt(s2) * z);
}

// One awake period's wake and sleep transitions (when aboard then); notes
// whether the person is awake at t = 0. Returns the start of the day's
// exercise session (staggered: wake + 2 h + 2.5 h x (person mod 4)).
double open_period(const CrewParams& p, int person, const Period& per, double horizon_s, CrewPlan& plan,
                   bool& awake_at_start) {
  if (per.wake_s <= 0.0 && per.sleep_s > 0.0) awake_at_start = true;
  if (per.wake_s > 0.0 && crew_aboard(p, person, per.wake_s)) plan.transitions.push_back({per.wake_s, person, 1});
  if (per.sleep_s < horizon_s && crew_aboard(p, person, per.sleep_s)) plan.transitions.push_back({per.sleep_s, person, 0});
  return per.wake_s + 2 * 3600.0 + (person % 4) * 2.5 * 3600.0;
}

// One person's draws that do not depend on the use-rate parameters: the
// schedule (shift, multipliers, wake and sleep) from a stream of its own.
struct PersonSchedule {
  std::vector<Segment> segs;  // awake periods and nights, in time order
  double peak = 0.0;          // the highest use rate of any segment (1/s)
  double vol_mult = 1.0;      // the person's volume multiplier
  CrewParams pp;              // the awake profile's parameters (voids_per_day of the awake part)
};

PersonSchedule person_schedule(const CrewParams& p, int person, double epoch_unix_s, double horizon_s, Rng& sched,
                               CrewPlan& plan) {
  PersonSchedule ps;
  const double shift = sched.normal(0.0, p.person_shift_sd_s);
  const double rate_draw = sched.normal(), vol_draw = sched.normal();  // drawn whether or not used
  const double rate_mult = p.person_rate_sd > 0 ? std::max(0.2, 1.0 + p.person_rate_sd * rate_draw) : 1.0;
  ps.vol_mult = p.person_volume_sd > 0 ? std::max(0.2, 1.0 + p.person_volume_sd * vol_draw) : 1.0;
  ps.pp = p;
  ps.pp.voids_per_day = p.voids_per_day * rate_mult * (1.0 - p.night_share);
  const double night_per_day = p.voids_per_day * rate_mult * p.night_share;
  const auto periods = awake_periods(p, epoch_unix_s, horizon_s, shift, sched);
  bool awake_at_start = false;
  for (std::size_t k = 0; k < periods.size(); ++k) {
    const auto& per = periods[k];
    const double ex_start = open_period(p, person, per, horizon_s, plan, awake_at_start);
    const double awake = per.sleep_s - per.wake_s;
    ps.segs.push_back({per.wake_s, per.sleep_s, true, 0.0, ex_start, ex_start + p.exercise_s});
    ps.peak = std::max(ps.peak, void_rate_per_s(ps.pp, 0.0, awake));
    if (night_per_day > 0.0) {
      const double next_wake = k + 1 < periods.size() ? periods[k + 1].wake_s : per.sleep_s + std::max(3600.0, 86400.0 - awake);
      const double night = next_wake - per.sleep_s;
      if (night > 0.0) {
        ps.segs.push_back({per.sleep_s, next_wake, false, night_per_day / night, ex_start, ex_start + p.exercise_s});
        ps.peak = std::max(ps.peak, night_per_day / night);
      }
    }
  }
  plan.transitions.push_back({0.0, person, awake_at_start && crew_aboard(p, person, 0.0) ? 1 : 0});
  return ps;
}

// A use at time t of segment sg (taken unless the person is away): the
// exercise session defers it; not aboard, past the horizon or on EVA drops it.
void add_use(const CrewParams& p, int person, const Segment& sg, double t, double horizon_s, double z, double dur,
             bool upa, double vol_mult, CrewPlan& plan) {
  double onset = t;
  if (p.exercise_s > 0 && sg.awake && onset >= sg.ex_start_s && onset < sg.ex_end_s) onset = sg.ex_end_s;
  if (!crew_aboard(p, person, onset) || onset >= horizon_s || crew_on_eva(p, person, onset)) return;
  VoidEvent v;
  v.onset_s = onset;
  v.end_s = onset + dur;
  v.crew = person;
  v.urine_ml = std::max(30.0, lognormal_of(z, p.urine_mean_ml * vol_mult, p.urine_sd_ml * vol_mult));
  v.flush_ml = p.flush_ml;
  v.reaches_tank = upa;
  plan.voids.push_back(v);
}

// Common random numbers (crew.candidate_rate > 0): one person's uses by
// thinning a homogeneous candidate process at a fixed rate over the whole
// horizon. Every candidate draws the same four numbers (volume, duration,
// toilet, acceptance) from the person's own use stream, and the schedule
// (shift, per-person multipliers, wake and sleep) comes from a stream of its
// own, so no parameter of the use rate or the volume moves a draw: a small
// change of voids_per_day adds or removes the few candidates whose uniform
// lies near the acceptance probability. The law is that of plan_crew's
// default (a Poisson process of the same intensity), not its realisation.
void plan_person_crn(const CrewParams& p, int person, double epoch_unix_s, double horizon_s, Rng& rng, CrewPlan& plan) {
  Rng sched(rng.next_u64(), "crew_schedule");
  Rng uses(rng.next_u64(), "crew_uses");
  const PersonSchedule ps = person_schedule(p, person, epoch_unix_s, horizon_s, sched, plan);
  const double cap = std::max(p.candidate_per_day / 86400.0, ps.peak);
  if (!(cap > 0.0)) return;
  std::size_t seg = 0;
  for (double t = 0.0;;) {
    t += uses.exponential(1.0 / cap);
    const double z = uses.normal();
    const double dur = std::max(5.0, uses.normal(p.void_duration_mean_s, p.void_duration_sd_s));
    const bool upa = uses.bernoulli(p.upa_share);
    const double u = uses.uniform();
    if (t >= horizon_s) break;
    while (seg < ps.segs.size() && ps.segs[seg].end_s <= t) ++seg;
    if (seg == ps.segs.size()) break;
    const Segment& sg = ps.segs[seg];
    if (t < sg.start_s) continue;  // between segments: no use
    const double rate = sg.awake ? void_rate_per_s(ps.pp, t - sg.start_s, sg.end_s - sg.start_s) : sg.rate_per_s;
    if (!(u * cap < rate)) continue;
    add_use(p, person, sg, t, horizon_s, z, dur, upa, ps.vol_mult, plan);
  }
}

// The share of `person`'s uses that reach the UPA tank: upa_share for every
// use ("per_use"), or whole persons ("per_person": upa_share x roster persons
// from person 0 on, the last one for the fractional part).
double upa_share_of(const CrewParams& p, int person) {
  if (p.toilet_choice != "per_person") return p.upa_share;
  return std::clamp(p.upa_share * crew_roster_size(p) - person, 0.0, 1.0);
}

// A gamma(shape) variate of mean 1 from one uniform (its quantile: smooth in
// the shape and in u, one draw a variate whatever the shape).
double gamma_mean1(double shape, double u) {
  return boost::math::gamma_p_inv(shape, std::clamp(u, 1e-300, 1.0 - 1e-16)) / shape;
}

// Regular uses (crew.interval_shape != 1, or crew.toilet_choice
// "per_person"): one person's uses are a renewal process in the person's own
// clock, the integral of the use rate (the awake profile and the night
// rate), with gamma intervals of mean 1 and shape interval_shape: the rate
// profile and voids_per_day keep their meaning, and a shape k gives a count
// over a long stretch a variance/mean near 1/k (k = 1: the Poisson process
// of the default planners, in law). It starts in equilibrium (the first
// interval is u x a length-biased gamma) at t = 0. Streams: the schedule, the
// intervals and the uses' attributes (volume, duration, toilet) each their
// own, so no rate parameter moves a draw: a larger voids_per_day pulls every
// use a little earlier (common random numbers by time change; candidate_rate
// is not used).
void plan_person_renewal(const CrewParams& p, int person, double epoch_unix_s, double horizon_s, Rng& rng,
                         CrewPlan& plan) {
  Rng sched(rng.next_u64(), "crew_schedule");
  Rng gaps(rng.next_u64(), "crew_intervals");
  Rng uses(rng.next_u64(), "crew_uses");
  const PersonSchedule ps = person_schedule(p, person, epoch_unix_s, horizon_s, sched, plan);
  const double k = p.interval_shape, q_upa = upa_share_of(p, person);
  // Pieces of constant rate: the awake profile is the burst, then the base rate.
  struct Piece { double start_s, end_s, rate; std::size_t seg; };
  std::vector<Piece> pieces;
  for (std::size_t i = 0; i < ps.segs.size(); ++i) {
    const Segment& sg = ps.segs[i];
    if (!sg.awake) { pieces.push_back({sg.start_s, sg.end_s, sg.rate_per_s, i}); continue; }
    const double len = sg.end_s - sg.start_s;
    const double burst = std::min(p.wake_burst_s, len);
    if (burst > 0) pieces.push_back({sg.start_s, sg.start_s + burst, void_rate_per_s(ps.pp, 0.0, len), i});
    if (burst < len) pieces.push_back({sg.start_s + burst, sg.end_s, void_rate_per_s(ps.pp, burst, len), i});
  }
  if (pieces.empty()) return;
  // From t = 0 (no draw before it, so a rate change moves no draw) with the
  // first interval in equilibrium: u times a length-biased interval (gamma
  // k + 1, mean (k + 1) / k); the renewal is stationary in the person's clock.
  std::size_t at = 0;
  double t = 0.0;
  double need = gaps.uniform() * gamma_mean1(k + 1.0, gaps.uniform()) * (k + 1.0) / k;
  for (;;) {
    // Advance the clock by `need` units of the person's own time.
    while (at < pieces.size()) {
      const Piece& pc = pieces[at];
      t = std::max(t, pc.start_s);
      const double room = (pc.end_s - t) * pc.rate;
      if (pc.rate > 0 && need <= room) { t += need / pc.rate; break; }
      need -= std::max(0.0, room);
      ++at;
    }
    if (at == pieces.size() || t >= horizon_s) break;
    const double z = uses.normal();
    const double dur = std::max(5.0, uses.normal(p.void_duration_mean_s, p.void_duration_sd_s));
    const bool upa = uses.uniform() < q_upa;
    add_use(p, person, ps.segs[pieces[at].seg], t, horizon_s, z, dur, upa, ps.vol_mult, plan);
    need = gamma_mean1(k, gaps.uniform());
  }
}

}  // namespace

CrewPlan plan_crew(const CrewParams& p, double epoch_unix_s, double horizon_s, Rng& rng) {
  CrewPlan plan;
  const int roster = crew_roster_size(p);
  for (int person = 0; person < roster; ++person) {
    if (p.interval_shape != 1.0 || p.toilet_choice == "per_person") {
      plan_person_renewal(p, person, epoch_unix_s, horizon_s, rng, plan);
      continue;
    }
    if (p.candidate_per_day > 0) {
      plan_person_crn(p, person, epoch_unix_s, horizon_s, rng, plan);
      continue;
    }
    const double shift = rng.normal(0.0, p.person_shift_sd_s);
    // Per-person physiology: drawn only when asked for, so that a scenario
    // without it keeps the stream (and the plan) of earlier versions.
    const double rate_mult = p.person_rate_sd > 0 ? std::max(0.2, rng.normal(1.0, p.person_rate_sd)) : 1.0;
    const double vol_mult = p.person_volume_sd > 0 ? std::max(0.2, rng.normal(1.0, p.person_volume_sd)) : 1.0;
    CrewParams pp = p;
    // A night_share of the uses falls in the sleep period (uniformly); the rest follows the awake profile.
    pp.voids_per_day = p.voids_per_day * rate_mult * (1.0 - p.night_share);
    const double night_per_day = p.voids_per_day * rate_mult * p.night_share;
    const auto periods = awake_periods(p, epoch_unix_s, horizon_s, shift, rng);
    // One candidate use at t (taken or not): draws every attribute either way
    // so the stream's use does not depend on the outcome.
    double ex_start = 0.0, ex_end = 0.0;
    auto candidate = [&](double t, bool take) {
      const double urine = std::max(30.0, rng.lognormal_mean_sd(p.urine_mean_ml * vol_mult, p.urine_sd_ml * vol_mult));
      const double dur = std::max(5.0, rng.normal(p.void_duration_mean_s, p.void_duration_sd_s));
      const bool upa = rng.bernoulli(p.upa_share);
      if (!take || t < 0.0 || t >= horizon_s) return;
      double onset = t;
      if (p.exercise_s > 0 && onset >= ex_start && onset < ex_end) onset = ex_end;
      if (!crew_aboard(p, person, onset) || onset >= horizon_s) return;
      // On EVA the suit collects it: no use of a toilet at all.
      if (crew_on_eva(p, person, onset)) return;
      VoidEvent v;
      v.onset_s = onset;
      v.end_s = onset + dur;
      v.crew = person;
      v.urine_ml = urine;
      v.flush_ml = p.flush_ml;
      v.reaches_tank = upa;
      plan.voids.push_back(v);
    };
    bool awake_at_start = false;
    for (std::size_t k = 0; k < periods.size(); ++k) {
      const auto& per = periods[k];
      // Exercise: one session a day, staggered across the crew; uses due during it wait for its end.
      ex_start = open_period(p, person, per, horizon_s, plan, awake_at_start);
      // Non-homogeneous Poisson process by thinning against the burst rate.
      const double awake = per.sleep_s - per.wake_s;
      const double rate_max = void_rate_per_s(pp, 0.0, awake);
      ex_end = ex_start + p.exercise_s;
      for (double t = per.wake_s; rate_max > 0.0;) {
        t += rng.exponential(1.0 / rate_max);
        if (t >= per.sleep_s) break;
        const double accept = void_rate_per_s(pp, t - per.wake_s, awake) / rate_max;
        candidate(t, rng.uniform() < accept);
      }
      if (night_per_day > 0.0) {
        const double next_wake = k + 1 < periods.size() ? periods[k + 1].wake_s : per.sleep_s + std::max(3600.0, 86400.0 - awake);
        const double night = next_wake - per.sleep_s;
        for (double t = per.sleep_s; night > 0.0;) {
          t += rng.exponential(night / night_per_day);
          if (t >= next_wake) break;
          candidate(t, true);
        }
      }
    }
    // Everyone's state at t = 0 is recorded so the lanes start defined.
    plan.transitions.push_back({0.0, person, awake_at_start && crew_aboard(p, person, 0.0) ? 1 : 0});
  }
  // Departures at a handover: those who leave are no longer awake aboard.
  for (std::size_t i = 0; i < p.periods.size(); ++i) {
    const double t = p.periods[i].start_s;
    if (t <= 0.0 || t >= horizon_s) continue;
    const int before = crew_size_at(p, t - 1e-6);
    for (int person = p.periods[i].size; person < before; ++person) plan.transitions.push_back({t, person, 0});
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
                                  [&](const VoidEvent& v) {
                                    // The toilet queue may push a use past the horizon or into an EVA.
                                    return v.onset_s >= horizon_s || crew_on_eva(p, v.crew, v.onset_s);
                                  }),
                   plan.voids.end());
  std::stable_sort(plan.voids.begin(), plan.voids.end(),
                   [](const VoidEvent& a, const VoidEvent& b) { return a.onset_s < b.onset_s; });
  std::stable_sort(plan.transitions.begin(), plan.transitions.end(),
                   [](const CrewStateChange& a, const CrewStateChange& b) { return a.t_s < b.t_s || (a.t_s == b.t_s && a.crew < b.crew); });
  return plan;
}

}  // namespace peebot
