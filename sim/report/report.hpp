// The run report: figures computed from a Trace (truth matching, latencies,
// update fates, posts, truth extras, seed targets), and their text and JSON
// renderings. Pure C++: no I/O besides returning strings.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "../pipeline/records.hpp"
#include "../scenario/scenario.hpp"
#include "../stats/stats.hpp"
#include "../trace/trace.hpp"

#include <nlohmann/json_fwd.hpp>

namespace peebot {

using Json = nlohmann::ordered_json;  // json.hpp: the reader and the writers' conventions

// ---------------------------------------------------------------------------
// Truth matching
// ---------------------------------------------------------------------------

// One-to-one matching of urination detections to true voids.
//
// Eligible: voids with reaches_tank (a toilet that does not feed the tank is
// invisible to the detector), and detections of kind kUrination. Bulk-transfer
// and "other" detections are not matched at all: a bulk detection matching
// nothing is not a false alarm (they are reported separately).
//
// A detection d can match a void v when
//     v.onset_s - before_s <= d.emitted_s <= v.onset_s + after_s.
//
// Assignment (greedy): detections are processed in order of emitted_s (ties:
// lower index first); each takes the earliest-onset still-unmatched eligible
// void whose window contains it.
//  - If its window contains eligible voids but all of them are already
//    matched, it is a DUPLICATE (counted in `duplicates` and in fp).
//  - If its window contains no eligible void, it is a FALSE ALARM (counted in
//    `false_alarms` and in fp). A NaN emitted_s is a false alarm.
//  - Eligible voids left unmatched are MISSES (fn). A void with a NaN onset
//    can never be matched and is a miss.
// Why greedy is right: every void's window has the same length
// (before_s + after_s), so ordering windows by onset also orders them by
// their end. Scanning points (emission times) in increasing order and giving
// each the open interval that ends first is the classic exchange-argument
// optimum for point/interval bipartite matching: it maximises tp. With one
// toilet feeding the tank, voids cannot overlap, so onsets are strictly
// ordered and the detector (which emits in feed order) produces detections in
// the same order: the greedy pairs the k-th detection with the k-th void of
// a cluster, which is also the intuitively correct pairing.
//
// Metrics (tp = pairs, fp = duplicates + false alarms, fn = misses):
//   precision = tp / (tp + fp), defined as 1 when there is no detection
//               (no claim was made, so none was wrong);
//   recall    = tp / (tp + fn), defined as 1 when there is no eligible void
//               (nothing to find, nothing missed);
//   F-beta    = (1 + b^2) P R / (b^2 P + R), defined as 0 when P = R = 0.
//   So: no voids and no detections -> P = R = F1 = F0.5 = 1; no voids but k
//   false alarms -> P = 0, R = 1, F = 0; voids but no detections -> P = 1,
//   R = 0, F = 0.
struct MatchResult {
  // (void index, detection index), indices into the vectors given to
  // match_detections, in the order the detections were processed (emitted_s).
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<std::size_t> duplicates;    // detection indices, ascending
  std::vector<std::size_t> false_alarms;  // detection indices, ascending
  std::vector<std::size_t> misses;        // void indices, ascending
  std::size_t tp = 0;
  std::size_t fp = 0;  // duplicates.size() + false_alarms.size()
  std::size_t fn = 0;  // misses.size()
  double precision = 1.0;
  double recall = 1.0;
  double f1 = 1.0;
  double f05 = 1.0;  // F-beta with beta = 0.5 (precision weighted more)
};

MatchResult match_detections(const std::vector<VoidEvent>& voids, const std::vector<Detection>& dets,
                             double before_s, double after_s);

// The detections with onset_s and onset_lo_s moved from the detector's clock
// (ISS TimeStamps, which a clock skew may put minutes off) to the truth's:
// the receive time of the last ISS item's row stamped at or before them, plus
// the remainder. Without telemetry rows, unchanged. What match_detections is
// given by compute_report.
std::vector<Detection> on_receive_clock(const Trace& trace, std::vector<Detection> dets);

// F-beta from precision and recall; 0 when both are 0.
double f_beta(double precision, double recall, double beta);

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

// Summary of a latency sample (seconds). NaN fields when count == 0.
struct LatencyStats {
  std::size_t count = 0;
  double p50_s = kNoTime;
  double p95_s = kNoTime;
  double p99_s = kNoTime;
  double max_s = kNoTime;
  double mean_s = kNoTime;
};

// Summary of the values (NaN values are skipped and not counted).
LatencyStats latency_stats(const std::vector<double>& values);

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

struct NamedLatency {
  std::string name;         // snake_case key, e.g. "feed", "ingest_to_dashboard"
  std::string description;  // e.g. "t_received - t_emit"
  LatencyStats stats;
};

// met / not met / undecided (across replications) / n/a: sim/stats/stats.hpp.
using stats::Verdict;
using stats::verdict_name;

struct TargetResult {
  std::string name;             // e.g. "ingest_to_dashboard_p99"
  std::string description;      // e.g. "P99 ingest -> dashboard-ready"
  double value_s = kNoTime;     // NaN when there is no data
  double target_s = kNoTime;
  Verdict verdict = Verdict::kNotApplicable;  // met: value < target (strict); see `at_least`
  // Seed targets of the host architectures (docs/architectures.md):
  std::string unit = "s";       // of value and target: "s", "fraction", "count"
  bool at_least = false;        // met: value >= target (a fraction that must be reached)
  std::string source;           // who states it: "seed 001", "seed 002", "issue 7" (none: the testbed's own)
  std::string evidence;         // what the figure is made of, e.g. "998 of 1000 sampled updates persisted"
  // How the figure pools over replications (docs/statistics.md) and this
  // run's raw material for it: an event percentile keeps its samples, the
  // throughput its persisted / received counts, a stage p99 or a count its value.
  stats::FigureSpec pool;
  stats::Replicate rep;
  // met when value < target, <= target (unit "count") or >= target (at_least).
  stats::Direction direction() const {
    return at_least ? stats::Direction::kAtLeast : unit == "count" ? stats::Direction::kAtMost : stats::Direction::kBelow;
  }
};

struct Report {
  bool has_truth = false;  // copied from meta; the truth-only fields are meaningful only then
  double match_before_s = 0.0;
  double match_after_s = 0.0;

  // Truth: voids.
  std::size_t voids_total = 0;
  std::size_t voids_reaching_tank = 0;

  // Detections by kind.
  std::size_t detections_total = 0;
  std::size_t detections_urination = 0;
  std::size_t detections_bulk = 0;
  std::size_t detections_other = 0;

  // Truth: matching (urination detections vs voids reaching the tank) and
  // detection latency (emitted_s - void onset_s over matched pairs).
  MatchResult match;
  LatencyStats detection_latency;
  std::vector<double> detection_latencies_s;  // the samples, in match order (for pooling, e.g. peebot eval)
  // True bulk transfers called a urination: a urination detection that matched
  // no void has its onset_s within [bulk onset - match_before, bulk end].
  std::size_t bulk_as_urination = 0;

  // Per-stage latency over delivered updates (fate 0) of /pipeline/stages, in
  // this order: feed, ingest, detector, store, ingest_to_dashboard,
  // ingest_to_persisted. Rows where either time is NaN are skipped.
  std::vector<NamedLatency> stages;

  // Update fates in the stage sample.
  std::size_t updates_sampled = 0;
  std::size_t updates_delivered = 0;
  std::size_t updates_duplicate = 0;
  std::size_t updates_stale = 0;
  std::size_t updates_invalid = 0;
  std::size_t updates_lost = 0;    // never reached our host (LOS)
  std::size_t updates_merged = 0;  // not published: value unchanged (MERGE)
  std::size_t updates_dropped_hwm = 0;  // wet: dropped by ZeroMQ PUB/SUB at the high-water mark
  std::size_t updates_fault_lost = 0;   // lost to a host-side fault (crash, refused write, producer timeout)
  std::size_t updates_replayed = 0;     // extra rows: processed again after a restart
  std::size_t updates_skipped = 0;      // polling: stored, never read by the analytics task
  std::size_t updates_other = 0;   // an unknown fate code

  // Posts.
  std::size_t posts_total = 0;
  std::size_t posts_sent = 0;
  std::size_t posts_failed = 0;
  std::size_t posts_suppressed = 0;
  std::size_t posts_skipped = 0;
  double posts_mean_attempts = kNoTime;  // over sent + failed posts; NaN when none
  // Sent posts whose detection matched no void (truth only): tweets of false alarms.
  std::size_t posts_sent_unmatched = 0;
  // Event -> tweet: sent post t_done_s minus the matched void's onset (truth;
  // posts of unmatched detections are skipped) or minus the detection's
  // onset_s (no truth). Posts whose detection_id is not in the trace are skipped.
  LatencyStats event_to_tweet;
  std::vector<double> event_to_tweet_s;  // the samples, in post order
  // With truth: the matched void (index into trace.voids) of each sample of event_to_tweet_s.
  std::vector<std::size_t> event_to_tweet_void;
  bool event_to_tweet_from_truth = false;

  // Truth extras.
  std::size_t los_windows = 0;
  double los_total_s = 0.0;
  std::size_t tank_full_episodes = 0;
  double tank_full_spilled_ml = 0.0;
  std::size_t upa_state_changes = 0;
  std::size_t bulk_transfers = 0;

  // Seed targets, in this order: ingest_to_dashboard_p99,
  // ingest_to_persisted_p99, event_to_tweet_p95; then the others the
  // architecture's seed states (sim/pipeline/architecture.hpp: throughput,
  // no_duplicates, per_item_order, detection_to_tweet_p95,
  // event_to_detection_p95), each with its source and evidence
  // (docs/architectures.md). The counts below are made only for an
  // architecture that states no_duplicates or per_item_order (0 otherwise).
  std::string architecture = "direct";
  double offered_rate_per_s = kNoTime;  // the scenario's background.rate
  std::size_t posts_duplicate = 0;      // sent posts of an event that already had a sent post
  std::size_t stored_duplicates = 0;    // delivered rows persisted with a seq already persisted (same item)
  std::size_t order_violations = 0;     // delivered rows persisted before an older update of their item
  std::vector<TargetResult> targets;
};

Report compute_report(const Trace& trace, const ReportParams& params);

// A compact human-readable report (aligned columns, units).
std::string format_report_text(const Report& report, const TraceMeta& meta);

// The same figures as one JSON object (snake_case keys with units; NaN and
// infinities written as null; truth-only sections are null without truth).
Json report_json(const Report& report, const TraceMeta& meta);
std::string format_report_json(const Report& report, const TraceMeta& meta);  // dump_json of the above


// ---------------------------------------------------------------------------
// Replications (docs/statistics.md)
// ---------------------------------------------------------------------------

// One verdict figure of one run, with what pooling it over runs needs.
struct RunFigure {
  std::string name;         // "event_to_tweet_p95", "precision", ...
  std::string description;  // "P95 event -> tweet"
  std::string unit;         // "s", "fraction", "count"
  double target = kNoTime;  // NaN: no target, no verdict
  stats::Direction direction = stats::Direction::kBelow;
  std::string source;       // who states the target
  stats::FigureSpec spec;
  stats::Replicate rep;
};

// The figures of a run that carry a target or a verdict: every target, then
// (with truth) precision, recall, F1 and the detection latency p50 and p95,
// and the detections counted twice (match duplicates).
std::vector<RunFigure> run_figures(const Report& r);

// The hand-over of a run's figures between processes (sweep point files):
// a JSON array, numbers written to round-trip; parse_run_figures reads it back
// (throws std::runtime_error saying what is malformed).
Json run_figures_json(const std::vector<RunFigure>& figs);
std::string format_run_figures_json(const std::vector<RunFigure>& figs);  // dump_json of the above
std::vector<RunFigure> parse_run_figures(const Json& v);

struct PooledFigure {
  std::string name, description, unit, source;
  double target = kNoTime;
  stats::Direction direction = stats::Direction::kBelow;
  stats::Interval iv;  // value and 95 % interval over the runs
  Verdict verdict = Verdict::kNotApplicable;
};

// Runs of one scenario pooled: per figure (by name, in the first run's order)
// its value, 95 % interval, n and verdict (sim/stats). A figure a run lacks
// counts as no data in that run.
struct PooledReport {
  std::string scenario;
  std::vector<long> seeds;
  std::vector<PooledFigure> figures;
  const PooledFigure* find(const std::string& name) const;
};
PooledReport pool_runs(const std::vector<std::vector<RunFigure>>& runs);

// --until-ci: a figure is settled when its verdict is met or not met, or its
// interval's half-width is within rel of |value| (a figure without a target:
// the half-width only). A figure with no value is settled (nothing to wait for).
bool figure_settled(const PooledFigure& f, double rel);

// Text: one line per figure "value [lo, hi]  n  target  verdict"; JSON: an
// object {"scenario", "n", "seeds", "figures": {name: {"value", "ci95", "n",
// "verdict", "target", "unit", "description"}}}.
std::string format_pooled_text(const PooledReport& p);
std::string format_pooled_json(const PooledReport& p);

}  // namespace peebot
