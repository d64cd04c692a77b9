// Records the world emits: telemetry updates (what the ISS and the ground
// publish) and ground truth (what really happened). Times are seconds since
// the run's epoch (UTC); volumes in mL; levels in percent.
#pragma once
#include <cstdint>

#include "items.hpp"

namespace peebot {

// One telemetry update as emitted at its source (ISS, or the ground for TIME_000001).
struct Update {
  double t_emit_s = 0.0;    // when the value was sampled/emitted at its source
  double value = 0.0;       // value in the item's unit (percent, enum, hours)
  std::uint64_t seq = 0;    // per-run sequence number, unique per emitted update
  ItemId item = 0;
  std::int16_t status = kStatusAos;  // Status.Class: 24 = nominal/AOS
};

// One use of a toilet by one crew member.
struct VoidEvent {
  double onset_s = 0.0;     // urine starts flowing into the tank
  double end_s = 0.0;       // flow (urine + flush water) ends
  std::int32_t crew = 0;    // crew member index
  double urine_ml = 0.0;
  double flush_ml = 0.0;
  bool reaches_tank = true; // false: a use of a toilet that does not feed the UPA tank
};

struct UpaStateChange {
  double t_s = 0.0;
  std::int32_t state = 0;   // UpaState value
};

struct LosWindow {
  double start_s = 0.0;
  double end_s = 0.0;
};

// An episode during which the tank was full and inflow spilled (went to the
// toilet's backup container instead of the tank).
struct TankFullEpisode {
  double start_s = 0.0;
  double end_s = 0.0;
  double spilled_ml = 0.0;
};

// The true tank volume at a breakpoint of its piecewise-linear trajectory.
struct TankPoint {
  double t_s = 0.0;
  double volume_ml = 0.0;
  double level_pct = 0.0;
};

struct CrewStateChange {
  double t_s = 0.0;
  std::int32_t crew = 0;
  std::int32_t awake = 0;   // 1 awake, 0 asleep
};

// A bulk transfer of urine into the tank (not one person; must not be tweeted).
struct BulkTransfer {
  double onset_s = 0.0;
  double end_s = 0.0;
  double volume_ml = 0.0;
};

}  // namespace peebot
