// What the viewer shows, derived once from a trace: decimatable series
// (tank, UPA, water tanks, per-stage latency), intervals (LOS, UPA states,
// crew sleep, tank full), scored events (truth voids, detections, posts) and
// latency samples for the histograms. Pure C++ (no GL), so tests can check it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "series.hpp"
#include "sim/report/misses.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/trace/trace.hpp"

namespace peebot::viz {

enum class EventKind : int {
  kVoid,            // a true void the detector found (hit)
  kVoidMissed,      // a true void reaching the tank that no detection matched
  kVoidNoTank,      // a true void that does not feed the tank (invisible, not scored)
  kDetHit,          // detection matched to a void
  kDetFalseAlarm,   // detection with no void in its window
  kDetDuplicate,    // second detection of an already matched void
  kDetBulk,         // bulk-transfer detection
  kDetOther,        // "other" detection
  kDetUnscored,     // urination detection, trace without truth
  kPostSent,
  kPostFailed,
  kPostSuppressed,
  kPostSkipped,
  kLos,             // loss of signal window
  kUpaChange,
  kTankFull,
  kBulk,            // a true bulk transfer
  kCount
};
const char* event_kind_name(EventKind k);

struct Event {
  double t = 0.0;      // marker time (void onset, detection emission, post done, window start)
  double t_end = 0.0;  // end of the interval (== t for instants)
  EventKind kind = EventKind::kVoid;
  std::size_t index = 0;  // into the matching vector (voids, detections, posts, ...)
  std::string detail;     // one line for the events table and tooltips
};

struct Interval {
  double t0 = 0.0, t1 = 0.0;
  int value = 0;  // UPA state, awake flag, ...
};

// Latency quantities, in the report's order, then event -> tweet.
inline constexpr int kLatencyKinds = 7;  // the six stage latencies (kStageLatencies), then event -> tweet
// The stage latency that range statistics and the dashboard series show.
inline constexpr int kDashboardLatency = 4;
static_assert(std::string_view(kStageLatencies[kDashboardLatency].name) == "ingest_to_dashboard");
extern const char* const kLatencyNames[kLatencyKinds];
// Stages drawn over time (by t_received): feed, ingest, detector, store.
inline constexpr int kStageSeries = 4;

struct Histogram {
  double log_lo = -4, log_hi = 1;   // bin edges in log10(seconds)
  std::vector<std::uint32_t> bins;  // counts
  std::uint32_t peak = 0;
  LatencyStats stats;               // the report's figures
  double target_s = kNoTime;        // the seed target (dashboard/persist p99, tweet p95)
  const char* target_label = "";
};

// Per-stage latency from /pipeline/stages: the one big table, loaded apart
// (in the background by the viewer) so a trace opens fast.
struct LatencyData {
  Series stage_latency[kStageSeries];  // log10(seconds) by t_received (delivered updates), one shared time vector
  Series dashboard_latency;            // ingest -> dashboard-ready in seconds, same times: range statistics
  Histogram hist[kStageQuantities];    // kLatencyNames[0..5]
  std::uint64_t rows = 0;
};
LatencyData load_latency(TraceReader& reader, std::uint64_t chunk_rows = 1u << 20);
// The samples behind LatencyData, in row order: load_latency adds every
// row's; the live tail adds new rows as they come.
struct LatencyRows {
  std::vector<double> samples[kStageQuantities];
  std::vector<double> t;                 // t_received of delivered updates
  std::vector<float> lat[kStageSeries];  // log10 s, same rows as t
  std::vector<double> dash;
  std::uint64_t rows = 0;                // /pipeline/stages rows added
  void add(const std::vector<StageTimes>& rows);
};
LatencyData build_latency(LatencyRows rows);
// The same from the trace's stage summaries (format 1.1; TraceReader::stage_summary):
// histograms re-binned from the stored 50-per-decade bins, percentiles
// interpolated within a bin (at most one bin, 4.7 %, from the exact figure), count, mean and
// max exact; each stage's series holds its min and max per 60 s bucket.
// dashboard_latency stays empty (range statistics read the range's rows).
LatencyData latency_from_summary(const StageSummary& s);
// p-th percentile (0..100) of a quantity from the summary's histogram (NaN when empty).
double summary_percentile(const StageSummary& s, int quantity, double p);

struct Model {
  std::string path;
  // The trace, opened once by load_model (for SWMR reading when it is a live
  // `.tmp`): every later read (background latency, range rows, the live tail)
  // goes through it. HDF5 from one thread at a time.
  std::shared_ptr<TraceReader> reader;
  TraceMeta meta;
  ReportParams params;
  MatchResult match;  // the report's matching (compute_report with the scenario's report parameters)
  double t_begin = 0.0, t_end = 0.0;  // span to show (s since epoch)
  double open_seconds = 0.0;          // wall time load_model took
  double pyramid_seconds = 0.0;       // of which building the telemetry series' min/max pyramids

  Series tank, tank_truth, upa, waste, clean;
  Series stage_latency[kStageSeries];  // see LatencyData (empty until latency_ready)
  Series dashboard_latency;
  Histogram hist[kLatencyKinds];       // [6]: event -> tweet, filled at load
  bool latency_ready = false;
  bool latency_exact = false;          // from the rows (else from the trace's stage summaries)
  StageSummary stage_summary;          // present: rows of a time range can be found without a scan
  std::shared_ptr<LatencyRows> live_latency;  // samples kept by follow() (live tail only)

  std::vector<Interval> los, upa_states, tank_full;
  std::vector<std::vector<Interval>> crew;  // per crew member: awake (1) / asleep (0) spans
  std::vector<VoidEvent> voids;
  std::vector<Detection> detections;
  std::vector<Post> posts;
  std::vector<BulkTransfer> bulk;
  std::vector<EventKind> void_kind, det_kind, post_kind;
  std::vector<std::string> miss_reason;  // per void: why it was missed, from the report's explain_misses ("" unless missed)
  std::vector<std::size_t> det_void;     // per detection: matched void index or SIZE_MAX
  std::vector<Event> events;             // sorted by t
  std::uint64_t rows_total = 0;          // rows of the tables read
};

// Loads a trace (also a live `.tmp` being written). Throws TraceError. With
// with_latency false, the stage latencies come from the trace's stage
// summaries when it has them (latency_ready, not latency_exact), else
// /pipeline/stages is left for load_latency + install.
Model load_model(const std::string& path, bool with_latency = true);
void install(Model& m, LatencyData&& d, bool exact = true);
// Live tail: refreshes the SWMR-open trace (TraceReader::refresh, H5Drefresh)
// and, when it grew, appends the new telemetry and stage rows and re-derives
// the small tables (detections, posts, truth). False when nothing grew.
bool follow(Model& m);
// Ingest -> dashboard-ready latency of the updates received in [t0, t1], read
// from the rows that the stage summary's buckets point to (no full scan).
LatencyStats range_dashboard_from_rows(TraceReader& reader, double t0, double t1);

// Per-stage latencies (log10 s by t_received, delivered updates) of the
// updates received in [t0, t1], read from only the rows the summary's buckets
// point to: the latency chart at full resolution when zoomed in.
struct StageRowsView {
  double t0 = kNoTime, t1 = kNoTime;   // the range read
  Series lat[kStageSeries];            // one shared time vector
  std::uint64_t rows = 0;              // /pipeline/stages rows read
};
StageRowsView stage_rows_view(TraceReader& reader, double t0, double t1);
// Delivered updates received in the buckets overlapping [t0, t1] (the feed
// quantity's counts): what stage_rows_view would read, without reading it.
// Counting stops past `limit`.
std::uint64_t summary_updates_in(const StageSummary& s, double t0, double t1, std::uint64_t limit = UINT64_MAX);

// Counts and precision/recall of the events inside [t0, t1].
struct RangeStats {
  double t0 = 0.0, t1 = 0.0;
  std::size_t voids = 0, hits = 0, misses = 0, false_alarms = 0, duplicates = 0, detections = 0, posts_sent = 0;
  std::size_t tank_samples = 0;
  double precision = 1.0, recall = 1.0;
  double los_s = 0.0;
  double tank_min = kNoTime, tank_max = kNoTime;
  LatencyStats dashboard;  // ingest -> dashboard-ready of updates received in the range
};
RangeStats range_stats(const Model& m, double t0, double t1);

// Writes the selected range as CSV (telemetry samples and events, by time).
// Throws std::runtime_error naming the file when it cannot be written.
void export_csv(const Model& m, double t0, double t1, const std::string& out_path);

// A duration as in scenario files ("2d3h", "6h", "90min", "1h30min", "45s",
// "1.5d") or bare seconds ("3600"). Throws std::invalid_argument naming what
// was expected.
double parse_duration(const std::string& s);
std::string format_duration(double s);          // "2d 03:00:00", "5m 12.3s", "850 ms"
const char* upa_state_name(int code);

}  // namespace peebot::viz
