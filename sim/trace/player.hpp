// The one player of recorded telemetry, and the one conversion of a received
// update into the row the trace records. `peebot serve` (feed_from_trace),
// `peebot replay` (the wall-clock Runner fed by feed_from_trace) and `peebot
// eval` (replay_detector) play a trace's telemetry through it; the simulator
// and the Runner record what they receive through received_row.
#pragma once
#include <cstddef>
#include <cstdint>

#include "trace.hpp"

namespace peebot {

// A named item's update as our host received it at t_rx, as the trace
// records it: iss_time_h is the feed's TimeStamp, status its Status.Class as
// the feed gave it.
inline TelemetryRow received_row(const Update& u, double t_rx, double iss_time_h, std::int32_t status) {
  TelemetryRow row;
  row.t_s = t_rx;
  row.t_emit_s = u.t_emit_s;
  row.iss_time_h = iss_time_h;
  row.value = u.value;
  row.seq = u.seq;
  row.status = status;
  return row;
}

// Calls fn(item, row) for every telemetry row of the named items in receive
// order: by t_s, ties to the lower item id, each item's rows in their order
// (a merge of the per-item tables; nothing is allocated).
template <class Fn>
void play_received(const Trace& t, Fn&& fn) {
  std::size_t at[kNamedItems] = {};
  for (;;) {
    int next = -1;
    for (int k = 0; k < kNamedItems; ++k) {
      const auto& rows = t.telemetry[k];
      if (at[k] < rows.size() && (next < 0 || rows[at[k]].t_s < t.telemetry[next][at[next]].t_s)) next = k;
    }
    if (next < 0) return;
    fn(static_cast<ItemId>(next), t.telemetry[next][at[next]++]);
  }
}

}  // namespace peebot
