// compute_report: a trace's truth matching, stage latencies, update fates and
// posts (its targets: targets.cpp; its text and JSON: report_text.cpp,
// report_json.cpp; replications: replications.cpp).
#include "report.hpp"

#include "targets.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace peebot {
// ---------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------

double f_beta(double precision, double recall, double beta) {
  const double b2 = beta * beta;
  const double den = b2 * precision + recall;
  if (!(den > 0.0)) return 0.0;
  return (1.0 + b2) * precision * recall / den;
}

MatchResult match_detections(const std::vector<VoidEvent>& voids, const std::vector<Detection>& dets,
                             double before_s, double after_s) {
  MatchResult r;

  // Eligible voids with a usable onset, sorted by onset (ties: index).
  std::vector<std::size_t> vorder;
  std::vector<bool> eligible_void(voids.size(), false);
  for (std::size_t i = 0; i < voids.size(); ++i) {
    if (!voids[i].reaches_tank) continue;
    eligible_void[i] = true;
    if (std::isfinite(voids[i].onset_s)) vorder.push_back(i);
  }
  std::stable_sort(vorder.begin(), vorder.end(),
                   [&](std::size_t a, std::size_t b) { return voids[a].onset_s < voids[b].onset_s; });
  std::vector<double> onsets(vorder.size());
  for (std::size_t k = 0; k < vorder.size(); ++k) onsets[k] = voids[vorder[k]].onset_s;
  std::vector<bool> taken(vorder.size(), false);

  // Urination detections in emission order (ties: index); NaN emissions last.
  std::vector<std::size_t> dorder;
  for (std::size_t j = 0; j < dets.size(); ++j)
    if (dets[j].kind == DetectionKind::kUrination) dorder.push_back(j);
  std::stable_sort(dorder.begin(), dorder.end(), [&](std::size_t a, std::size_t b) {
    const double ea = dets[a].emitted_s, eb = dets[b].emitted_s;
    if (std::isnan(ea) || std::isnan(eb)) return !std::isnan(ea) && std::isnan(eb);
    return ea < eb;
  });

  for (std::size_t j : dorder) {
    const double e = dets[j].emitted_s;
    if (std::isnan(e)) {
      r.false_alarms.push_back(j);
      continue;
    }
    // Voids whose window contains e: onset in [e - after_s, e + before_s],
    // and not before the detection's own earliest possible onset less
    // before_s (onset_lo_s: the onset itself, or the start of the hole a rise
    // was explained across): no credit for a void the detector could not
    // have seen (a use before the hole; an earlier use it missed).
    double from = e - after_s;
    if (std::isfinite(dets[j].onset_lo_s)) from = std::max(from, dets[j].onset_lo_s - before_s);
    auto lo = std::lower_bound(onsets.begin(), onsets.end(), from);
    auto hi = std::upper_bound(onsets.begin(), onsets.end(), e + before_s);
    // A hostile trace's onset_lo_s can lie after e + before_s: an empty window
    // (lo past hi), not a walk off the end (found by scripts/fuzz.sh trace).
    if (hi < lo) hi = lo;
    bool any = false, matched = false;
    for (auto it = lo; it != hi; ++it) {
      any = true;
      const std::size_t k = static_cast<std::size_t>(it - onsets.begin());
      if (!taken[k]) {
        taken[k] = true;
        r.pairs.emplace_back(vorder[k], j);
        matched = true;
        break;
      }
    }
    if (!matched) (any ? r.duplicates : r.false_alarms).push_back(j);
  }

  std::vector<bool> void_matched(voids.size(), false);
  for (const auto& pr : r.pairs) void_matched[pr.first] = true;
  for (std::size_t i = 0; i < voids.size(); ++i)
    if (eligible_void[i] && !void_matched[i]) r.misses.push_back(i);
  std::sort(r.duplicates.begin(), r.duplicates.end());
  std::sort(r.false_alarms.begin(), r.false_alarms.end());

  r.tp = r.pairs.size();
  r.fp = r.duplicates.size() + r.false_alarms.size();
  r.fn = r.misses.size();
  r.precision = (r.tp + r.fp) ? static_cast<double>(r.tp) / static_cast<double>(r.tp + r.fp) : 1.0;
  r.recall = (r.tp + r.fn) ? static_cast<double>(r.tp) / static_cast<double>(r.tp + r.fn) : 1.0;
  r.f1 = f_beta(r.precision, r.recall, 1.0);
  r.f05 = f_beta(r.precision, r.recall, 0.5);
  return r;
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

LatencyStats latency_stats(const std::vector<double>& values) {
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  LatencyStats s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50_s = percentile(v, 50);
  s.p95_s = percentile(v, 95);
  s.p99_s = percentile(v, 99);
  s.max_s = v.back();
  s.mean_s = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return s;
}
std::vector<Detection> on_receive_clock(const Trace& trace, std::vector<Detection> dets) {
  // (ISS TimeStamp, receive time) of the ISS items' rows, by TimeStamp.
  std::vector<std::pair<double, double>> clock;
  for (ItemId k : {kUrineTank, kUpaState, kWasteWater, kCleanWater})
    for (const TelemetryRow& row : trace.telemetry[k])
      if (std::isfinite(row.t_emit_s) && std::isfinite(row.t_s)) clock.emplace_back(row.t_emit_s, row.t_s);
  if (clock.empty()) return dets;
  std::sort(clock.begin(), clock.end());
  auto place = [&](double x) {
    if (!std::isfinite(x)) return x;
    auto it = std::upper_bound(clock.begin(), clock.end(), std::pair<double, double>{x, INFINITY});
    if (it == clock.begin()) return x;
    --it;  // the last row stamped at or before x: x is that far after its arrival
    return it->second + (x - it->first);
  };
  for (Detection& d : dets) {
    d.onset_s = place(d.onset_s);
    d.onset_lo_s = place(d.onset_lo_s);
  }
  return dets;
}

Report compute_report(const Trace& trace, const ReportParams& params) {
  Report r;
  r.has_truth = trace.meta.has_truth;
  r.match_before_s = params.match_before_s;
  r.match_after_s = params.match_after_s;

  // Detections by kind.
  r.detections_total = trace.detections.size();
  for (const Detection& d : trace.detections) {
    switch (d.kind) {
      case DetectionKind::kUrination: ++r.detections_urination; break;
      case DetectionKind::kBulkTransfer: ++r.detections_bulk; break;
      default: ++r.detections_other; break;
    }
  }

  // Truth: voids, matching, detection latency, extras.
  std::vector<std::ptrdiff_t> void_of_det(trace.detections.size(), -1);
  if (r.has_truth) {
    r.voids_total = trace.voids.size();
    for (const VoidEvent& v : trace.voids) r.voids_reaching_tank += v.reaches_tank ? 1 : 0;
    const std::vector<Detection> placed = on_receive_clock(trace, trace.detections);
    r.match = match_detections(trace.voids, placed, params.match_before_s, params.match_after_s);
    std::vector<double> lat;
    lat.reserve(r.match.pairs.size());
    for (const auto& [vi, di] : r.match.pairs) {
      lat.push_back(trace.detections[di].emitted_s - trace.voids[vi].onset_s);
      void_of_det[di] = static_cast<std::ptrdiff_t>(vi);
    }
    r.detection_latency = latency_stats(lat);
    r.detection_latencies_s = lat;
    for (const BulkTransfer& b : trace.bulk) {
      for (std::size_t di = 0; di < trace.detections.size(); ++di) {
        const Detection& d = placed[di];
        if (d.kind != DetectionKind::kUrination || void_of_det[di] >= 0) continue;
        // Its onset interval [onset_lo_s, onset_s] (a hole, for a rise explained across one) meets the transfer.
        const double lo = std::isfinite(d.onset_lo_s) ? std::min(d.onset_lo_s, d.onset_s) : d.onset_s;
        if (d.onset_s >= b.onset_s - params.match_before_s && lo <= b.end_s) { ++r.bulk_as_urination; break; }
      }
    }

    r.los_windows = trace.los.size();
    for (const LosWindow& w : trace.los)
      if (std::isfinite(w.end_s - w.start_s)) r.los_total_s += w.end_s - w.start_s;
    r.tank_full_episodes = trace.tank_full.size();
    for (const TankFullEpisode& e : trace.tank_full)
      if (std::isfinite(e.spilled_ml)) r.tank_full_spilled_ml += e.spilled_ml;
    r.upa_state_changes = trace.upa_states.size();
    r.bulk_transfers = trace.bulk.size();
  }

  // Stages (kStageLatencies, pipeline/records.hpp) and update fates.
  std::vector<double> samples[kStageQuantities];
  r.updates_sampled = trace.stages.size();
  for (const StageTimes& s : trace.stages) {
    switch (static_cast<UpdateFate>(s.fate)) {
      case UpdateFate::kDelivered: ++r.updates_delivered; break;
      case UpdateFate::kDuplicate: ++r.updates_duplicate; break;
      case UpdateFate::kStale: ++r.updates_stale; break;
      case UpdateFate::kInvalid: ++r.updates_invalid; break;
      case UpdateFate::kLost: ++r.updates_lost; break;
      case UpdateFate::kMerged: ++r.updates_merged; break;
      case UpdateFate::kDroppedHwm: ++r.updates_dropped_hwm; break;
      case UpdateFate::kFaultLost: ++r.updates_fault_lost; break;
      case UpdateFate::kReplayed: ++r.updates_replayed; break;
      case UpdateFate::kSkipped: ++r.updates_skipped; break;
      default: ++r.updates_other; break;
    }
    // Skipped rows went through ingest and store like delivered ones (only the analytics never read them).
    if (static_cast<UpdateFate>(s.fate) != UpdateFate::kDelivered && static_cast<UpdateFate>(s.fate) != UpdateFate::kSkipped) continue;
    double d[kStageQuantities];
    stage_latencies(s, d);
    for (int k = 0; k < kStageQuantities; ++k)
      if (!std::isnan(d[k])) samples[k].push_back(d[k]);
  }
  for (int k = 0; k < kStageQuantities; ++k)
    r.stages.push_back({kStageLatencies[k].name, kStageLatencies[k].formula, latency_stats(samples[k])});

  // Posts.
  std::unordered_map<std::uint64_t, std::size_t> det_by_id;
  for (std::size_t j = 0; j < trace.detections.size(); ++j) det_by_id.emplace(trace.detections[j].id, j);
  r.posts_total = trace.posts.size();
  r.event_to_tweet_from_truth = r.has_truth;
  double attempts_sum = 0.0;
  std::size_t attempted = 0;
  std::vector<double> tweet_lat;
  for (const Post& p : trace.posts) {
    switch (p.outcome) {
      case PostOutcome::kSent: ++r.posts_sent; break;
      case PostOutcome::kFailed: ++r.posts_failed; break;
      case PostOutcome::kSuppressed: ++r.posts_suppressed; break;
      case PostOutcome::kSkipped: ++r.posts_skipped; break;
    }
    if (p.outcome == PostOutcome::kSent || p.outcome == PostOutcome::kFailed) {
      attempts_sum += p.attempts;
      ++attempted;
    }
    if (p.outcome != PostOutcome::kSent) continue;
    const auto it = det_by_id.find(p.detection_id);
    if (r.has_truth) {
      if (it == det_by_id.end() || void_of_det[it->second] < 0) {
        ++r.posts_sent_unmatched;
        continue;
      }
      tweet_lat.push_back(p.t_done_s - trace.voids[static_cast<std::size_t>(void_of_det[it->second])].onset_s);
      r.event_to_tweet_void.push_back(static_cast<std::size_t>(void_of_det[it->second]));
    } else if (it != det_by_id.end()) {
      tweet_lat.push_back(p.t_done_s - trace.detections[it->second].onset_s);
    }
  }
  if (attempted) r.posts_mean_attempts = attempts_sum / static_cast<double>(attempted);
  r.event_to_tweet = latency_stats(tweet_lat);
  r.event_to_tweet_s = tweet_lat;

  // Targets (targets.cpp).
  r.architecture = params.architecture;
  r.offered_rate_per_s = params.offered_rate_per_s;
  add_targets(r, trace, params, void_of_det);
  return r;
}

}  // namespace peebot
