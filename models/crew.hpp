// Crew schedule and toilet use: who is aboard (the crew timeline) and awake
// when, EVAs, exercise, weekends, and every void with its onset, duration and
// volume (per-person rate and volume). Pure: the whole horizon is planned up front
// from the crew's own random stream.
#pragma once
#include <vector>

#include "params.hpp"
#include "records.hpp"
#include "rng.hpp"

namespace peebot {

struct CrewPlan {
  std::vector<VoidEvent> voids;              // sorted by onset; uses of one toilet never overlap
  std::vector<CrewStateChange> transitions;  // sorted by time
};

// Plans the crew's days over [0, horizon_s). epoch_unix_s places t = 0 on the
// GMT clock, so wake/sleep times of day are honoured.
CrewPlan plan_crew(const CrewParams& p, double epoch_unix_s, double horizon_s, Rng& rng);

// The crew timeline: persons aboard at t (crew.size, then the [[crew.periods]] in force).
int crew_size_at(const CrewParams& p, double t_s);
// Persons on the roster over the whole run (the largest crew of the timeline).
int crew_roster_size(const CrewParams& p);
bool crew_aboard(const CrewParams& p, int person, double t_s);
// True while `person` is outside on an EVA (crew.eva windows, persons 0 .. eva_crew-1).
bool crew_on_eva(const CrewParams& p, int person, double t_s);

// Voids per person per hour at time-of-day offset `since_wake_s` into an awake
// period of `awake_s` seconds (the diurnal profile: a burst after waking).
double void_rate_per_s(const CrewParams& p, double since_wake_s, double awake_s);

}  // namespace peebot
