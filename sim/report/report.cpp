#include "report.hpp"

#include "../pipeline/architecture.hpp"
#include "../util/text.hpp"
#include "json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <type_traits>
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

// ---------------------------------------------------------------------------
// compute_report
// ---------------------------------------------------------------------------

namespace {

// One run's verdict: the value's side of the target (n 1, no interval).
Verdict one_run_verdict(const TargetResult& t) {
  stats::Interval iv;
  iv.value = t.value_s;
  iv.n = 1;
  return stats::judge(iv, t.target_s, t.direction());
}

// An event percentile: pooled over runs from its samples.
void pool_percentile(TargetResult& t, double pct, std::vector<double> samples) {
  t.pool.pool = stats::Pool::kPercentile;
  t.pool.pct = pct;
  t.rep = stats::Replicate{};
  t.rep.samples = std::move(samples);
}

TargetResult make_target(std::string name, std::string description, double value, double target) {
  TargetResult t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.value_s = value;
  t.target_s = target;
  t.pool.pool = stats::Pool::kMean;  // a stage p99 (tens of thousands of updates a run): the runs' mean
  t.rep.x = value;
  t.verdict = one_run_verdict(t);
  return t;
}

}  // namespace

namespace {

std::string fmt_count(std::size_t n) { return std::to_string(n); }

// Throughput: the share of the updates our host received (and did not
// reject as duplicate/stale/invalid) that were persisted.
TargetResult throughput_target(const Report& r, const Trace& trace, const ReportParams& params) {
  std::size_t received = 0, persisted = 0;
  for (const StageTimes& s : trace.stages) {
    const auto f = static_cast<UpdateFate>(s.fate);
    if (f == UpdateFate::kDelivered || f == UpdateFate::kSkipped || f == UpdateFate::kDroppedHwm || f == UpdateFate::kFaultLost) {
      if (std::isnan(s.t_received_s)) continue;
      ++received;
      if (f != UpdateFate::kDroppedHwm && f != UpdateFate::kFaultLost && !std::isnan(s.t_stored_s)) ++persisted;
    }
  }
  TargetResult t;
  t.name = "throughput";
  char buf[96];
  std::snprintf(buf, sizeof buf, "keeps up at %.0f updates/s (persisted share)", params.offered_rate_per_s);
  t.description = buf;
  t.unit = "fraction";
  t.at_least = true;
  t.target_s = params.target_throughput;
  t.value_s = received ? static_cast<double>(persisted) / static_cast<double>(received) : kNoTime;
  t.pool.pool = stats::Pool::kRatio;
  t.rep.num = static_cast<double>(persisted);
  t.rep.den = static_cast<double>(received);
  t.verdict = one_run_verdict(t);
  t.evidence = fmt_count(persisted) + " of " + fmt_count(received) + " sampled updates received were persisted; dropped at the HWM " +
               fmt_count(r.updates_dropped_hwm) + ", lost to faults " + fmt_count(r.updates_fault_lost);
  return t;
}

// Counts posts of one event sent twice, updates persisted twice and level-item
// updates persisted after a newer one of their item, into r; returns the
// number of persisted rows checked.
std::size_t count_duplicates(Report& r, const Trace& trace, const std::vector<std::ptrdiff_t>& void_of_det) {
  std::vector<std::uint8_t> void_posted(trace.voids.size(), 0);
  std::unordered_map<std::uint64_t, std::size_t> det_by_id;
  for (std::size_t j = 0; j < trace.detections.size(); ++j) det_by_id.emplace(trace.detections[j].id, j);
  std::vector<double> posted_onsets;
  for (const Post& p : trace.posts) {
    if (p.outcome != PostOutcome::kSent) continue;
    const auto it = det_by_id.find(p.detection_id);
    if (it == det_by_id.end()) continue;
    const double on = trace.detections[it->second].onset_s;
    if (r.has_truth && void_of_det[it->second] >= 0) {
      auto& v = void_posted[static_cast<std::size_t>(void_of_det[it->second])];
      if (v) ++r.posts_duplicate;
      v = 1;
    } else {
      // No truth, or a detection the matching left unmatched (a second
      // detection of a matched use, e.g. re-detected after a restart): the
      // same event when its onset is within kSameEventWindowS of one already posted.
      bool dup = false;
      for (double o : posted_onsets) dup = dup || std::fabs(o - on) < kSameEventWindowS;
      if (dup) ++r.posts_duplicate;
    }
    posted_onsets.push_back(on);
  }
  std::unordered_map<std::uint64_t, std::uint32_t> stored_seq;
  std::unordered_map<std::uint32_t, std::uint64_t> newest_of_item;  // item -> highest seq persisted so far
  std::vector<std::size_t> persisted_rows;
  for (std::size_t i = 0; i < trace.stages.size(); ++i) {
    const StageTimes& s = trace.stages[i];
    if (static_cast<UpdateFate>(s.fate) != UpdateFate::kDelivered && static_cast<UpdateFate>(s.fate) != UpdateFate::kSkipped) continue;
    if (std::isnan(s.t_stored_s)) continue;
    persisted_rows.push_back(i);
    if (s.seq != 0 && stored_seq[s.seq]++ > 0) ++r.stored_duplicates;
  }
  std::stable_sort(persisted_rows.begin(), persisted_rows.end(),
                   [&](std::size_t x, std::size_t y) { return trace.stages[x].t_stored_s < trace.stages[y].t_stored_s; });
  for (std::size_t i : persisted_rows) {
    const StageTimes& s = trace.stages[i];
    if (s.item >= kFirstBackground) continue;  // background items are sampled 1 in N: their order is not observable
    auto& newest = newest_of_item[s.item];
    if (s.seq < newest) ++r.order_violations;
    newest = std::max(newest, s.seq);
  }
  return persisted_rows.size();
}

TargetResult count_target(std::string name, std::string description, std::size_t count) {
  TargetResult t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.unit = "count";
  t.target_s = 0;
  t.value_s = static_cast<double>(count);
  t.rep.x = t.value_s;
  t.verdict = one_run_verdict(t);
  return t;
}

TargetResult detection_to_tweet_target(const Trace& trace, const ReportParams& params) {
  std::unordered_map<std::uint64_t, double> emitted;
  for (const Detection& d : trace.detections) emitted.emplace(d.id, d.emitted_s);
  std::vector<double> lat;
  for (const Post& p : trace.posts) {
    if (p.outcome != PostOutcome::kSent) continue;
    const auto it = emitted.find(p.detection_id);
    if (it != emitted.end()) lat.push_back(p.t_done_s - it->second);
  }
  const LatencyStats st = latency_stats(lat);
  TargetResult t = make_target("detection_to_tweet_p95", "P95 detection -> tweet", st.p95_s, params.target_detection_to_tweet_p95_s);
  pool_percentile(t, 95, lat);
  t.evidence = fmt_count(st.count) + " sent posts, from the detection's emission";
  return t;
}

// The targets the architecture's seed document states (docs/architectures.md),
// in the table's order, each with its source and evidence: the three every
// run has gain theirs, the others are added.
void add_architecture_targets(Report& r, const Trace& trace, const ReportParams& params, const Architecture& a,
                              const std::vector<std::ptrdiff_t>& void_of_det) {
  std::size_t persisted_rows = 0;
  if (a.states(TargetId::kNoDuplicates) || a.states(TargetId::kPerItemOrder))
    persisted_rows = count_duplicates(r, trace, void_of_det);
  const auto existing = [&r](const char* name) -> TargetResult& {
    for (TargetResult& t : r.targets)
      if (t.name == name) return t;
    throw std::logic_error(std::string("report: no target ") + name);
  };
  for (const StatedTarget& st : a.targets) {
    TargetResult added;
    TargetResult* t = &added;
    switch (st.id) {
      case TargetId::kDashboardP99:
        t = &existing("ingest_to_dashboard_p99");
        t->evidence = r.stages[4].stats.count ? fmt_count(r.stages[4].stats.count) + " sampled updates reached the dashboard"
                                              : "no update reached the dashboard";
        break;
      case TargetId::kPersistedP99:
        t = &existing("ingest_to_persisted_p99");
        t->evidence = fmt_count(r.stages[5].stats.count) + " sampled updates persisted";
        break;
      case TargetId::kEventToTweetP95:
        t = &existing("event_to_tweet_p95");
        t->evidence = a.posts_tweets ? fmt_count(r.event_to_tweet.count) + " tweets of matched events"
                                     : std::string(a.seed) + " posts no tweets";
        break;
      case TargetId::kThroughput: added = throughput_target(r, trace, params); break;
      case TargetId::kNoDuplicates:
        added = count_target("no_duplicates", "no duplicate posts or persisted updates", r.posts_duplicate + r.stored_duplicates);
        added.evidence = fmt_count(r.posts_duplicate) + " events posted twice, " + fmt_count(r.stored_duplicates) +
                         " updates persisted twice, " + fmt_count(r.updates_replayed) + " replayed (reprocessed) rows";
        break;
      case TargetId::kPerItemOrder:
        added = count_target("per_item_order", "per-item order kept (level items, as persisted)", r.order_violations);
        added.evidence = fmt_count(r.order_violations) + " level-item updates persisted after a newer one of their item (" +
                         fmt_count(persisted_rows) + " persisted rows checked)";
        break;
      case TargetId::kDetectionToTweetP95: added = detection_to_tweet_target(trace, params); break;
      case TargetId::kEventToDetectionP95:
        added = make_target("event_to_detection_p95", "P95 event -> detection", r.detection_latency.p95_s,
                            params.target_event_to_detection_p95_s);
        pool_percentile(added, 95, r.detection_latencies_s);
        added.evidence = fmt_count(r.detection_latency.count) + " matched detections, from the true onset";
        break;
    }
    t->source = st.source;
    t->evidence += st.evidence_note;
    if (t == &added) r.targets.push_back(std::move(added));
  }
}

}  // namespace

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

  // Targets.
  r.targets.push_back(make_target("ingest_to_dashboard_p99", "P99 ingest -> dashboard-ready",
                                  r.stages[4].stats.p99_s, params.target_dashboard_p99_s));
  r.targets.push_back(make_target("ingest_to_persisted_p99", "P99 ingest -> persisted", r.stages[5].stats.p99_s,
                                  params.target_persist_p99_s));
  r.targets.push_back(make_target("event_to_tweet_p95", "P95 event -> tweet", r.event_to_tweet.p95_s,
                                  params.target_tweet_p95_s));
  pool_percentile(r.targets.back(), 95, r.event_to_tweet_s);
  r.architecture = params.architecture;
  r.offered_rate_per_s = params.offered_rate_per_s;
  add_architecture_targets(r, trace, params, architecture(params.architecture), void_of_det);
  return r;
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

namespace {

std::string printf_str(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Seconds with a precision that suits the magnitude; "-" for NaN.
std::string fmt_s(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0.0) return "0";
  const double a = std::fabs(v);
  if (a < 1e-4) return printf_str("%.1e", v);
  if (a < 1) return printf_str("%.4f", v);
  if (a < 10) return printf_str("%.3f", v);
  if (a < 100) return printf_str("%.2f", v);
  if (a < 1e4) return printf_str("%.1f", v);
  return printf_str("%.0f", v);
}

std::string fmt_g(double v) { return printf_str("%g", v); }
std::string fmt_ratio(double v) { return std::isnan(v) ? "-" : printf_str("%.3f", v); }
std::string fmt_n(std::size_t n) { return std::to_string(n); }

// Rows of cells aligned in columns: align[c] is 'l' or 'r' (default: the
// first column left, the others right). A row with one cell is a free line
// (section title) that does not size columns.
class Table {
 public:
  explicit Table(std::string align = "") : align_(std::move(align)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void line(std::string text) { rows_.push_back({std::move(text)}); }
  std::string render(const std::string& indent = "  ") const {
    std::vector<std::size_t> w;
    for (const auto& r : rows_) {
      if (r.size() < 2) continue;
      if (w.size() < r.size()) w.resize(r.size(), 0);
      for (std::size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], r[c].size());
    }
    std::string out;
    for (const auto& r : rows_) {
      if (r.size() < 2) {
        out += (r.empty() ? std::string() : r[0]) + "\n";
        continue;
      }
      std::string s = indent;
      for (std::size_t c = 0; c < r.size(); ++c) {
        const char a = c < align_.size() ? align_[c] : (c == 0 ? 'l' : 'r');
        const std::string pad(w[c] - r[c].size(), ' ');
        if (c > 0) s += "  ";
        s += a == 'l' ? r[c] + pad : pad + r[c];
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      out += s + "\n";
    }
    return out;
  }

 private:
  std::string align_;
  std::vector<std::vector<std::string>> rows_;
};

void latency_row(Table& t, const std::string& label, const LatencyStats& s) {
  t.row({label, fmt_n(s.count), fmt_s(s.p50_s), fmt_s(s.p95_s), fmt_s(s.p99_s), fmt_s(s.max_s)});
}

}  // namespace

std::string format_report_text(const Report& r, const TraceMeta& meta) {
  std::string out;
  out += "PeeBot run report: scenario \"" + printable(meta.scenario_name) + "\", mode " + printable(meta.mode) + ", seed " +
         std::to_string(meta.seed) + ", " + printf_str("%.2f", meta.duration_s / 86400.0) + " days";
  if (!meta.detector.empty()) out += ", detector " + meta.detector;
  out += "\n\n";

  Table counts("lrl");
  counts.line("Detections");
  counts.row({"urination", fmt_n(r.detections_urination)});
  counts.row({"bulk transfer", fmt_n(r.detections_bulk)});
  counts.row({"other", fmt_n(r.detections_other)});
  counts.row({"total", fmt_n(r.detections_total)});
  counts.line("");
  if (r.has_truth) {
    counts.line("Truth matching (a detection emitted from onset - " + fmt_g(r.match_before_s) +
                " s to onset + " + fmt_g(r.match_after_s) + " s matches)");
    counts.row({"voids", fmt_n(r.voids_total), "(" + fmt_n(r.voids_reaching_tank) + " reach the tank)"});
    counts.row({"true positives", fmt_n(r.match.tp)});
    counts.row({"false positives", fmt_n(r.match.fp),
                "(false alarms " + fmt_n(r.match.false_alarms.size()) + ", duplicates " +
                    fmt_n(r.match.duplicates.size()) + ")"});
    counts.row({"misses", fmt_n(r.match.fn)});
    counts.row({"precision", fmt_ratio(r.match.precision)});
    counts.row({"recall", fmt_ratio(r.match.recall)});
    counts.row({"F1", fmt_ratio(r.match.f1)});
    counts.row({"F0.5", fmt_ratio(r.match.f05)});
  } else {
    counts.line("Truth matching: no ground truth");
  }
  counts.line("");
  counts.line("Updates (stage sample)");
  counts.row({"sampled", fmt_n(r.updates_sampled)});
  counts.row({"delivered", fmt_n(r.updates_delivered)});
  counts.row({"duplicate", fmt_n(r.updates_duplicate)});
  counts.row({"stale", fmt_n(r.updates_stale)});
  counts.row({"invalid", fmt_n(r.updates_invalid)});
  counts.row({"lost (LOS)", fmt_n(r.updates_lost)});
  counts.row({"merged (unchanged)", fmt_n(r.updates_merged)});
  if (r.updates_dropped_hwm) counts.row({"dropped at the ZeroMQ HWM", fmt_n(r.updates_dropped_hwm)});
  if (r.updates_fault_lost) counts.row({"lost to a host fault", fmt_n(r.updates_fault_lost)});
  if (r.updates_replayed) counts.row({"replayed after a restart (extra rows)", fmt_n(r.updates_replayed)});
  if (r.updates_skipped) counts.row({"skipped by the analytics (watermark)", fmt_n(r.updates_skipped)});
  if (r.updates_other) counts.row({"unknown fate", fmt_n(r.updates_other)});
  counts.line("");
  counts.line("Posts");
  counts.row({"sent", fmt_n(r.posts_sent)});
  counts.row({"failed", fmt_n(r.posts_failed)});
  counts.row({"suppressed", fmt_n(r.posts_suppressed)});
  counts.row({"skipped", fmt_n(r.posts_skipped)});
  counts.row({"mean attempts", std::isnan(r.posts_mean_attempts) ? "-" : printf_str("%.2f", r.posts_mean_attempts)});
  if (r.has_truth) counts.row({"sent, no matching void", fmt_n(r.posts_sent_unmatched)});
  if (r.has_truth) {
    counts.line("");
    counts.line("Truth extras");
    counts.row({"LOS windows", fmt_n(r.los_windows), fmt_s(r.los_total_s) + " s in total"});
    counts.row({"tank-full episodes", fmt_n(r.tank_full_episodes), printf_str("%.0f", r.tank_full_spilled_ml) + " mL spilled"});
    counts.row({"UPA state changes", fmt_n(r.upa_state_changes)});
    counts.row({"bulk transfers", fmt_n(r.bulk_transfers)});
    counts.row({"bulk called urination", fmt_n(r.bulk_as_urination)});
  }
  out += counts.render();
  out += "\n";

  Table lat;
  lat.row({"Latency [s]", "n", "p50", "p95", "p99", "max"});
  if (r.has_truth) latency_row(lat, "detection (emitted - void onset)", r.detection_latency);
  for (const NamedLatency& s : r.stages) {
    std::string label = s.name;
    std::replace(label.begin(), label.end(), '_', ' ');
    latency_row(lat, label + " (" + s.description + ")", s.stats);
  }
  latency_row(lat, r.event_to_tweet_from_truth ? "event -> tweet (from void onset)"
                                               : "event -> tweet (from detection onset)",
              r.event_to_tweet);
  out += lat.render("");
  out += "\n";

  Table tg("lrrl");
  tg.row({"Targets", "value [s]", "target [s]", "verdict"});
  for (const TargetResult& t : r.targets) {
    const std::string v = t.unit == "s" ? fmt_s(t.value_s) : std::isnan(t.value_s) ? std::string("-") : fmt_g(t.value_s);
    const std::string unit = t.unit == "s" ? "" : " " + t.unit;
    tg.row({t.description, v + unit, (t.at_least ? ">= " : t.unit == "count" ? "= " : "< ") + fmt_g(t.target_s), verdict_name(t.verdict)});
  }
  out += tg.render("");
  out += "(one run: n 1, no interval; several seeds pooled with intervals: peebot run --seeds, docs/statistics.md)\n";
  if (std::any_of(r.targets.begin(), r.targets.end(), [](const TargetResult& t) { return !t.source.empty(); })) {
    out += "\nArchitecture \"" + r.architecture + "\" (docs/architectures.md): source and evidence of each target\n";
    for (const TargetResult& t : r.targets) out += "  " + t.name + ": " + t.source + "; " + t.evidence + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

namespace {

// Doubles through json_number (null for NaN, integers written as integers), counts as they are.
Json latency_json(const LatencyStats& s) {
  return Json{{"count", s.count},         {"p50_s", json_number(s.p50_s)}, {"p95_s", json_number(s.p95_s)},
              {"p99_s", json_number(s.p99_s)}, {"max_s", json_number(s.max_s)}, {"mean_s", json_number(s.mean_s)}};
}

}  // namespace

std::string format_report_json(const Report& r, const TraceMeta& meta) { return dump_json(report_json(r, meta)); }

Json report_json(const Report& r, const TraceMeta& meta) {
  Json j = Json::object();
  j["scenario"] = meta.scenario_name;
  j["mode"] = meta.mode;
  j["seed"] = meta.seed;
  j["duration_s"] = json_number(meta.duration_s);
  j["duration_days"] = json_number(meta.duration_s / 86400.0);
  j["detector"] = meta.detector;
  j["has_truth"] = r.has_truth;
  j["detections"] = Json{{"total", r.detections_total},
                         {"urination", r.detections_urination},
                         {"bulk_transfer", r.detections_bulk},
                         {"other", r.detections_other}};
  if (r.has_truth) {
    j["voids"] = Json{{"total", r.voids_total}, {"reaching_tank", r.voids_reaching_tank}};
    j["matching"] = Json{{"match_before_s", json_number(r.match_before_s)},
                         {"match_after_s", json_number(r.match_after_s)},
                         {"tp", r.match.tp},
                         {"fp", r.match.fp},
                         {"fn", r.match.fn},
                         {"duplicates", r.match.duplicates.size()},
                         {"false_alarms", r.match.false_alarms.size()},
                         {"misses", r.match.misses.size()},
                         {"precision", json_number(r.match.precision)},
                         {"recall", json_number(r.match.recall)},
                         {"f1", json_number(r.match.f1)},
                         {"f05", json_number(r.match.f05)}};
    j["detection_latency"] = latency_json(r.detection_latency);
  } else {
    j["voids"] = nullptr;
    j["matching"] = nullptr;
    j["detection_latency"] = nullptr;
  }
  Json& stages = j["stage_latency"] = Json::object();
  for (const NamedLatency& s : r.stages) stages[s.name] = latency_json(s.stats);
  j["updates"] = Json{{"sampled", r.updates_sampled},
                      {"delivered", r.updates_delivered},
                      {"duplicate", r.updates_duplicate},
                      {"stale", r.updates_stale},
                      {"invalid", r.updates_invalid},
                      {"lost", r.updates_lost},
                      {"merged", r.updates_merged},
                      {"dropped_hwm", r.updates_dropped_hwm},
                      {"fault_lost", r.updates_fault_lost},
                      {"replayed", r.updates_replayed},
                      {"skipped", r.updates_skipped},
                      {"stored_twice", r.stored_duplicates},
                      {"unknown_fate", r.updates_other}};
  Json& posts = j["posts"] = Json{{"total", r.posts_total},
                                  {"sent", r.posts_sent},
                                  {"failed", r.posts_failed},
                                  {"suppressed", r.posts_suppressed},
                                  {"skipped", r.posts_skipped},
                                  {"mean_attempts", json_number(r.posts_mean_attempts)},
                                  // sent posts of an event that already had one (posted twice)
                                  {"duplicate", r.posts_duplicate}};
  posts["sent_unmatched"] = r.has_truth ? Json(r.posts_sent_unmatched) : Json(nullptr);
  posts["event_to_tweet_reference"] = r.event_to_tweet_from_truth ? "void_onset" : "detection_onset";
  posts["event_to_tweet"] = latency_json(r.event_to_tweet);
  if (r.has_truth)
    j["truth"] = Json{{"los_windows", r.los_windows},
                      {"los_total_s", json_number(r.los_total_s)},
                      {"tank_full_episodes", r.tank_full_episodes},
                      {"tank_full_spilled_ml", json_number(r.tank_full_spilled_ml)},
                      {"upa_state_changes", r.upa_state_changes},
                      {"bulk_transfers", r.bulk_transfers},
                      {"bulk_as_urination", r.bulk_as_urination}};
  else
    j["truth"] = nullptr;
  Json& targets = j["targets"] = Json::array();
  for (const TargetResult& t : r.targets) {
    Json o = {{"name", t.name},
              {"description", t.description},
              {"value_s", json_number(t.value_s)},
              {"target_s", json_number(t.target_s)}};
    if (!t.source.empty()) {
      o["unit"] = t.unit;
      o["source"] = t.source;
      o["evidence"] = t.evidence;
    }
    o["met"] = t.verdict == Verdict::kNotApplicable ? Json(nullptr) : Json(t.verdict == Verdict::kMet);
    // One run: n 1 and no interval (docs/statistics.md); pooled runs: peebot report of several traces.
    o["n"] = 1;
    o["ci95"] = nullptr;
    o["verdict"] = verdict_name(t.verdict);
    targets.push_back(std::move(o));
  }
  return j;
}

}  // namespace peebot

// ---------------------------------------------------------------------------
// Replications
// ---------------------------------------------------------------------------

namespace peebot {

namespace {

RunFigure truth_ratio(const char* name, const char* description, double num, double den) {
  RunFigure f;
  f.name = name;
  f.description = description;
  f.unit = "fraction";
  f.spec.pool = stats::Pool::kRatio;
  f.spec.empty = 1.0;  // the report's conventions: no detection -> precision 1, no void -> recall 1
  f.rep.num = num;
  f.rep.den = den;
  return f;
}

const char* pool_name(stats::Pool p) {
  switch (p) {
    case stats::Pool::kMean: return "mean";
    case stats::Pool::kSum: return "sum";
    case stats::Pool::kRatio: return "ratio";
    case stats::Pool::kPercentile: return "percentile";
  }
  return "?";
}

const char* direction_name(stats::Direction d) {
  switch (d) {
    case stats::Direction::kBelow: return "below";
    case stats::Direction::kAtMost: return "at_most";
    case stats::Direction::kAtLeast: return "at_least";
  }
  return "?";
}

const char* direction_sign(stats::Direction d) {
  return d == stats::Direction::kAtLeast ? ">= " : d == stats::Direction::kAtMost ? "<= " : "< ";
}

}  // namespace

std::vector<RunFigure> run_figures(const Report& r) {
  std::vector<RunFigure> out;
  for (const TargetResult& t : r.targets) {
    RunFigure f;
    f.name = t.name;
    f.description = t.description;
    f.unit = t.unit;
    f.target = t.target_s;
    f.direction = t.direction();
    f.source = t.source;
    f.spec = t.pool;
    f.rep = t.rep;
    out.push_back(std::move(f));
  }
  if (r.has_truth) {
    const double tp = static_cast<double>(r.match.tp), fp = static_cast<double>(r.match.fp),
                 fn = static_cast<double>(r.match.fn);
    out.push_back(truth_ratio("precision", "precision (urination detections vs voids)", tp, tp + fp));
    out.push_back(truth_ratio("recall", "recall", tp, tp + fn));
    out.push_back(truth_ratio("f1", "F1", 2 * tp, 2 * tp + fp + fn));  // = 2PR / (P + R)
    for (double pct : {50.0, 95.0}) {
      RunFigure f;
      f.name = pct == 50 ? "detection_latency_p50" : "detection_latency_p95";
      f.description = pct == 50 ? "P50 event -> detection" : "P95 event -> detection";
      f.unit = "s";
      f.spec.pool = stats::Pool::kPercentile;
      f.spec.pct = pct;
      f.rep.samples = r.detection_latencies_s;
      out.push_back(std::move(f));
    }
    RunFigure d;
    d.name = "duplicate_detections";
    d.description = "detections of a use already detected, per run";
    d.unit = "count";
    d.rep.x = static_cast<double>(r.match.duplicates.size());
    out.push_back(std::move(d));
  }
  return out;
}

std::string format_run_figures_json(const std::vector<RunFigure>& figs) { return dump_json(run_figures_json(figs)); }

Json run_figures_json(const std::vector<RunFigure>& figs) {
  Json a = Json::array();
  for (const RunFigure& f : figs) {
    Json samples = Json::array();
    for (double v : f.rep.samples) samples.push_back(json_number(v));
    a.push_back(Json{{"name", f.name},
                     {"description", f.description},
                     {"unit", f.unit},
                     {"target", json_number(f.target)},
                     {"direction", direction_name(f.direction)},
                     {"source", f.source},
                     {"pool", pool_name(f.spec.pool)},
                     {"pct", json_number(f.spec.pct)},
                     {"empty", json_number(f.spec.empty)},
                     {"x", json_number(f.rep.x)},
                     {"num", json_number(f.rep.num)},
                     {"den", json_number(f.rep.den)},
                     {"samples", std::move(samples)}});
  }
  return a;
}

std::vector<RunFigure> parse_run_figures(const Json& v) {
  auto bad = [](const std::string& what) { return std::runtime_error("run figures: " + what); };
  if (!v.is_array()) throw bad("expected an array of figures");
  std::vector<RunFigure> out;
  for (const Json& o : v) {
    if (!o.is_object()) throw bad("expected an object per figure");
    auto text = [&](const char* k) {
      const Json* m = json_find(o, k);
      if (!m || !m->is_string()) throw bad(std::string("`") + k + "` missing or not a string");
      return m->get<std::string>();
    };
    auto number = [&](const char* k) {
      const Json* m = json_find(o, k);
      if (!m || (!m->is_number() && !m->is_null())) throw bad(std::string("`") + k + "` missing or not a number");
      return m->is_null() ? stats::kNaN : m->get<double>();
    };
    RunFigure f;
    f.name = text("name");
    f.description = text("description");
    f.unit = text("unit");
    f.source = text("source");
    f.target = number("target");
    const std::string dir = text("direction"), pool = text("pool");
    if (dir == "below") f.direction = stats::Direction::kBelow;
    else if (dir == "at_most") f.direction = stats::Direction::kAtMost;
    else if (dir == "at_least") f.direction = stats::Direction::kAtLeast;
    else throw bad(f.name + ": `direction` \"" + dir + "\": expected below, at_most or at_least");
    if (pool == "mean") f.spec.pool = stats::Pool::kMean;
    else if (pool == "sum") f.spec.pool = stats::Pool::kSum;
    else if (pool == "ratio") f.spec.pool = stats::Pool::kRatio;
    else if (pool == "percentile") f.spec.pool = stats::Pool::kPercentile;
    else throw bad(f.name + ": `pool` \"" + pool + "\": expected mean, sum, ratio or percentile");
    f.spec.pct = number("pct");
    f.spec.empty = number("empty");
    f.rep.x = number("x");
    f.rep.num = number("num");
    f.rep.den = number("den");
    const Json* s = json_find(o, "samples");
    if (!s || !s->is_array()) throw bad(f.name + ": `samples` missing or not an array");
    f.rep.samples.reserve(s->size());
    for (const Json& x : *s) {
      if (!x.is_number() && !x.is_null()) throw bad(f.name + ": `samples`: expected numbers or null");
      f.rep.samples.push_back(x.is_null() ? stats::kNaN : x.get<double>());
    }
    out.push_back(std::move(f));
  }
  return out;
}

const PooledFigure* PooledReport::find(const std::string& name) const {
  for (const PooledFigure& f : figures)
    if (f.name == name) return &f;
  return nullptr;
}

PooledReport pool_runs(const std::vector<std::vector<RunFigure>>& runs) {
  PooledReport p;
  std::vector<std::string> names;
  for (const auto& run : runs)
    for (const RunFigure& f : run)
      if (std::find(names.begin(), names.end(), f.name) == names.end()) names.push_back(f.name);
  for (const std::string& name : names) {
    const RunFigure* first = nullptr;
    std::vector<stats::Replicate> reps(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i)
      for (const RunFigure& f : runs[i])
        if (f.name == name) {
          if (!first) first = &f;
          reps[i] = f.rep;
        }
    PooledFigure pf;
    pf.name = name;
    pf.description = first->description;
    pf.unit = first->unit;
    pf.source = first->source;
    pf.target = first->target;
    pf.direction = first->direction;
    pf.iv = stats::estimate(first->spec, reps);
    pf.verdict = stats::judge(pf.iv, pf.target, pf.direction);
    p.figures.push_back(std::move(pf));
  }
  return p;
}

bool figure_settled(const PooledFigure& f, double rel) {
  if (std::isnan(f.iv.value)) return true;
  if (!f.iv.has_ci()) return false;
  if (!std::isnan(f.target) && (f.verdict == Verdict::kMet || f.verdict == Verdict::kNotMet)) return true;
  return f.iv.half_width() <= rel * std::fabs(f.iv.value);
}

std::string format_pooled_text(const PooledReport& p) {
  std::string out = "Pooled over " + std::to_string(p.seeds.size()) + " replications of \"" + p.scenario + "\" (seeds";
  for (std::size_t i = 0; i < p.seeds.size() && i < 12; ++i) out += " " + std::to_string(p.seeds[i]);
  if (p.seeds.size() > 12) out += " ... " + std::to_string(p.seeds.back());
  out += "): value, 95 % interval (docs/statistics.md), n, target, verdict\n\n";
  Table t("lrlrrl");
  t.row({"figure", "value", "95 % interval", "n", "target", "verdict"});
  for (const PooledFigure& f : p.figures) {
    const bool s = f.unit == "s";
    auto num = [&](double v) { return s ? fmt_s(v) : std::isnan(v) ? std::string("-") : printf_str("%.4g", v); };
    const std::string unit = s ? " s" : f.unit == "fraction" ? "" : " " + f.unit;
    t.row({f.description, num(f.iv.value) + unit,
           f.iv.has_ci() ? "[" + num(f.iv.lo) + ", " + num(f.iv.hi) + "]" : std::string("(no interval)"),
           fmt_n(f.iv.n), std::isnan(f.target) ? std::string("-") : direction_sign(f.direction) + fmt_g(f.target),
           std::isnan(f.target) ? std::string("-") : std::string(verdict_name(f.verdict))});
  }
  out += t.render("");
  return out;
}

std::string format_pooled_json(const PooledReport& p) {
  Json figures = Json::object();
  for (const PooledFigure& f : p.figures) {
    Json o = {{"value", json_number(f.iv.value)},
              {"ci95", f.iv.has_ci() ? Json{json_number(f.iv.lo), json_number(f.iv.hi)} : Json(nullptr)},
              {"n", f.iv.n},
              {"verdict", std::isnan(f.target) ? Json(nullptr) : Json(verdict_name(f.verdict))},
              {"target", json_number(f.target)},
              {"direction", direction_name(f.direction)},
              {"unit", f.unit},
              {"description", f.description}};
    if (!f.source.empty()) o["source"] = f.source;
    figures[f.name] = std::move(o);
  }
  return dump_json(Json{{"scenario", p.scenario}, {"n", p.seeds.size()}, {"seeds", p.seeds}, {"figures", std::move(figures)}});
}

}  // namespace peebot
