// Why a void reaching the tank went unmatched: the likely causes a reader
// checks first, computed from the trace's truth and the report's matching
// (peebot-view shows them in its tooltip and events table).
#pragma once
#include <cstddef>
#include <vector>

#include "report.hpp"

namespace peebot {

struct MissCauses {
  std::size_t void_index = 0;   // into trace.voids
  bool los = false;             // a loss of signal within 60 s of the void
  bool tank_full = false;       // the tank was full during the void: the inflow spilled
  int upa_state = 0;            // the first UPA state other than NORMAL during the void (0: none)
  bool neighbour_void = false;  // another void reaching the tank within 15 min of its onset (rises merged)
  bool bulk_nearby = false;     // a bulk transfer within 10 min of the void
  // A false alarm emitted after the match window closed (at most 4 windows
  // after the onset): how long after the onset; NaN when none.
  double late_by_s = kNoTime;
  double volume_ml = 0.0;       // urine + flush
  bool small_volume = false;    // under 400 mL: near the tank level's 1 % quantum
};

// One entry per miss of `match` (match.misses order), for the voids, LOS
// windows, tank-full episodes, UPA states, bulk transfers and detections of
// `trace` that `match` was computed from (compute_report's Report::match).
std::vector<MissCauses> explain_misses(const Trace& trace, const MatchResult& match, const ReportParams& params);

}  // namespace peebot
