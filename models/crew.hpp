// Crew schedule and toilet use: who is awake when, and every void with its
// onset, duration and volume. Pure: the whole horizon is planned up front
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

// Voids per person per hour at time-of-day offset `since_wake_s` into an awake
// period of `awake_s` seconds (the diurnal profile: a burst after waking).
double void_rate_per_s(const CrewParams& p, double since_wake_s, double awake_s);

}  // namespace peebot
