#include "targets.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <unordered_map>

#include "../pipeline/architecture.hpp"

namespace peebot {

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

void add_targets(Report& r, const Trace& trace, const ReportParams& params, const std::vector<std::ptrdiff_t>& void_of_det) {
  r.targets.push_back(make_target("ingest_to_dashboard_p99", "P99 ingest -> dashboard-ready",
                                  r.stages[4].stats.p99_s, params.target_dashboard_p99_s));
  r.targets.push_back(make_target("ingest_to_persisted_p99", "P99 ingest -> persisted", r.stages[5].stats.p99_s,
                                  params.target_persist_p99_s));
  r.targets.push_back(make_target("event_to_tweet_p95", "P95 event -> tweet", r.event_to_tweet.p95_s,
                                  params.target_tweet_p95_s));
  pool_percentile(r.targets.back(), 95, r.event_to_tweet_s);
  add_architecture_targets(r, trace, params, architecture(params.architecture), void_of_det);
}

}  // namespace peebot
