#include "misses.hpp"

#include <cmath>

#include "models/items.hpp"

namespace peebot {

namespace {

// Some [start, end] of `spans` meets [a, b].
template <class T, class Start, class End>
bool any_meets(const std::vector<T>& spans, double a, double b, Start start, End end) {
  for (const T& x : spans)
    if (start(x) <= b && end(x) >= a) return true;
  return false;
}

}  // namespace

std::vector<MissCauses> explain_misses(const Trace& trace, const MatchResult& match, const ReportParams& params) {
  std::vector<bool> false_alarm(trace.detections.size(), false);
  for (std::size_t j : match.false_alarms) false_alarm[j] = true;
  const int normal = static_cast<int>(UpaState::kNormal);
  std::vector<MissCauses> out;
  out.reserve(match.misses.size());
  for (std::size_t vi : match.misses) {
    const VoidEvent& v = trace.voids[vi];
    MissCauses c;
    c.void_index = vi;
    c.los = any_meets(trace.los, v.onset_s - 60, v.end_s + 60, [](const LosWindow& w) { return w.start_s; },
                      [](const LosWindow& w) { return w.end_s; });
    c.tank_full = any_meets(trace.tank_full, v.onset_s, v.end_s, [](const TankFullEpisode& e) { return e.start_s; },
                            [](const TankFullEpisode& e) { return e.end_s; });
    // A state holds from its change to the next one (the last one to the end of the run).
    const auto& upa = trace.upa_states;
    for (std::size_t i = 0; i < upa.size(); ++i) {
      const double until = i + 1 < upa.size() ? upa[i + 1].t_s : INFINITY;
      if (upa[i].t_s <= v.end_s && until >= v.onset_s && upa[i].state != normal) {
        c.upa_state = upa[i].state;
        break;
      }
    }
    for (std::size_t k = 0; k < trace.voids.size() && !c.neighbour_void; ++k)
      c.neighbour_void = k != vi && trace.voids[k].reaches_tank && std::fabs(trace.voids[k].onset_s - v.onset_s) < 900;
    c.bulk_nearby = any_meets(trace.bulk, v.onset_s - 600, v.end_s + 600, [](const BulkTransfer& b) { return b.onset_s; },
                              [](const BulkTransfer& b) { return b.end_s; });
    for (std::size_t j = 0; j < trace.detections.size(); ++j) {
      const double e = trace.detections[j].emitted_s;
      if (false_alarm[j] && e > v.onset_s + params.match_after_s && e < v.onset_s + 4 * params.match_after_s) {
        c.late_by_s = e - v.onset_s;
        break;
      }
    }
    c.volume_ml = v.urine_ml + v.flush_ml;
    c.small_volume = c.volume_ml < 400;
    out.push_back(c);
  }
  return out;
}

}  // namespace peebot
