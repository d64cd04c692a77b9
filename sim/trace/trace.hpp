// The HDF5 trace: one file per run, whatever made it (sim, import, live).
// Layout, dtypes and units: docs/trace-format.md. The writer is the one
// interface that the simulator, the importer and live mode all write through;
// TraceReader (opened once) gives the whole trace, chosen tables, ranges of
// rows and the stage summaries back, and follows a trace still being written.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../models/records.hpp"
#include "../pipeline/records.hpp"

namespace peebot {

inline constexpr int kTraceFormatVersion = 1;
// Minor version: additions readers may rely on when present (root attribute
// `format_minor`; absent = 0). 1: /pipeline/stage_hist and /pipeline/stage_series.
// 2: the enumerated columns (fate, kind, outcome, stage, state) are HDF5 enum
// types; older traces' bare integers are still read.
inline constexpr int kTraceFormatMinor = 2;

// What the reader accepts (docs/security.md): a trace is input like any other
// file. Every reader function checks these when it opens a trace and throws a
// TraceError naming the attribute, or the dataset, row and field, that is out
// of bounds, so no consumer sizes bins, lanes or axes by a hostile number.
inline constexpr double kTraceMaxSpanS = 3660.0 * 86400.0;     // ~10 years: duration_s, and |t| of every time column
inline constexpr double kTraceMinEpochUnixS = -62135596800.0;  // epoch_unix_s from 0001-01-01T00:00:00Z ...
inline constexpr double kTraceMaxEpochUnixS = 253402300799.0;  // ... to 9999-12-31T23:59:59Z
inline constexpr int kTraceMaxCrew = 64;                       // crew indices 0 .. 63

struct TraceMeta {
  int format_version = kTraceFormatVersion;
  std::string mode = "sim";            // "sim" | "import" | "live"
  std::uint64_t seed = 0;
  std::string scenario_name;
  std::string scenario_toml;           // the scenario file's text (with overrides listed below)
  std::vector<std::string> overrides;  // "--set" overrides, "key=value"
  std::string epoch_utc;               // ISO 8601 UTC of t = 0
  double epoch_unix_s = 0.0;
  double duration_s = 0.0;             // span covered by the trace
  std::string created_utc;             // wall-clock creation time (the one attribute that differs between identical runs)
  std::string generator = "peebot 0.1.0";
  bool has_truth = false;              // ground truth groups are filled
  std::string detector;                // detector kind that produced /pipeline/detections
};

// One telemetry update as it arrived at our host (or as a recording logged it).
struct TelemetryRow {
  double t_s = 0.0;          // received by our host (sim, live) or logged (import); seconds since epoch
  double t_emit_s = 0.0;     // emitted at the source (sim); NaN where unknown
  double iss_time_h = 0.0;   // the feed's TimeStamp field (hours since Dec 31 of the previous year); NaN where unknown
  double value = 0.0;
  std::uint64_t seq = 0;     // update sequence number (sim, live); line number (import)
  std::int32_t status = 24;  // Status.Class
};

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TraceWriter {
 public:
  struct Options {
    bool swmr = false;                 // single-writer/multiple-reader (live mode)
    std::size_t chunk_bytes = 64 * 1024;  // target chunk size (32..256 KiB)
    int deflate = 1;                   // 0 disables compression
    // Deflate on a second thread while the caller fills the next chunks (not
    // with swmr). The file is the same bit for bit either way; HDF5 is only
    // called from the caller's thread.
    bool background = true;
  };
  // Creates `path + ".tmp"` with every group and dataset declared; finish()
  // renames it to `path`. Destroying an unfinished writer removes the temp file.
  TraceWriter(const std::string& path, const TraceMeta& meta, const Options& options);
  explicit TraceWriter(const std::string& path, const TraceMeta& meta) : TraceWriter(path, meta, Options{}) {}
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Telemetry of the named items (kUrineTank .. kSignal); other ids are ignored.
  void telemetry(ItemId item, const TelemetryRow& row);
  void stage(const StageTimes& s);
  void detection(const Detection& d);
  void post(const Post& p);
  void queue(const QueueSample& q);
  void truth_void(const VoidEvent& v);
  void truth_upa(const UpaStateChange& u);
  void truth_los(const LosWindow& w);
  void truth_tank_full(const TankFullEpisode& e);
  void truth_tank(const TankPoint& p);
  void truth_crew(const CrewStateChange& c);
  void truth_bulk(const BulkTransfer& b);
  // Item dictionary (names by ItemId), written once; default: the named items.
  void set_item_names(const std::vector<std::string>& names);
  // Updates the duration attribute (e.g. when a run ends early).
  void set_duration(double seconds);

  void flush();   // writes every buffered record (SWMR: readers see them after this)
  void finish();  // flush, close, rename to the final path

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Everything in a trace, in memory.
struct Trace {
  TraceMeta meta;
  std::vector<std::string> item_names;
  std::vector<TelemetryRow> telemetry[kNamedItems];  // indexed by ItemId
  std::vector<StageTimes> stages;
  std::vector<Detection> detections;
  std::vector<Post> posts;
  std::vector<QueueSample> queues;
  std::vector<VoidEvent> voids;
  std::vector<UpaStateChange> upa_states;
  std::vector<LosWindow> los;
  std::vector<TankFullEpisode> tank_full;
  std::vector<TankPoint> tank;
  std::vector<CrewStateChange> crew;
  std::vector<BulkTransfer> bulk;
};

// ---- Per-stage latency summaries (format 1.1, docs/trace-format.md) ----
// TraceWriter keeps them as stage rows are written and stores them at
// finish(), so a reader gets every stage's latency distribution and its
// course over time without reading /pipeline/stages.
// The quantities are the six stage latencies (kStageLatencies, pipeline/records.hpp).
inline constexpr double kStageBucketS = 60.0;       // stage_series bucket width (by t_received)
inline constexpr int kStageHistBinsPerDecade = 50;  // stage_hist: 1 us .. 1e5 s, plus under/overflow
inline constexpr int kStageHistLog10Lo = -6, kStageHistLog10Hi = 5;
inline constexpr int kStageHistBins = (kStageHistLog10Hi - kStageHistLog10Lo) * kStageHistBinsPerDecade + 2;
int stage_hist_bin(double seconds);  // 0: below 1 us (and <= 0); kStageHistBins - 1: 1e5 s and above
double stage_hist_edge(int bin);     // lower edge of bin (-inf for 0); edge(kStageHistBins) = +inf

struct StageHistBin {
  int quantity = 0;
  double lo_s = 0.0, hi_s = 0.0;  // [lo, hi)
  std::uint64_t count = 0;
};
struct StageBucket {
  double t_s = 0.0;  // bucket start (t_received), bucket_s wide
  int quantity = 0;
  std::uint32_t count = 0;
  double min_s = 0.0, max_s = 0.0, mean_s = 0.0;
  std::uint64_t row_first = 0, row_last = 0;  // /pipeline/stages rows of the bucket's updates lie in [first, last]
};
struct StageSummary {
  bool present = false;  // false: an older trace, or one whose writer has not finished (read the rows)
  double bucket_s = kStageBucketS;
  std::uint64_t stage_rows = 0;        // /pipeline/stages rows summarised
  std::vector<StageHistBin> hist;      // non-empty bins, by quantity then bin
  std::vector<StageBucket> buckets;    // by t_s then quantity
};

// Which tables TraceReader::read reads; the others stay empty. All by default.
struct TraceSelection {
  bool telemetry[kNamedItems] = {true, true, true, true, true};  // indexed by ItemId
  bool stages = true;
  bool detections = true;
  bool posts = true;
  bool queues = true;
  bool truth = true;  // every /truth table
  // The metadata and the telemetry only (what the feed statistics need:
  // compare, calibrate, import's trace inputs).
  static TraceSelection telemetry_only() {
    TraceSelection s;
    s.stages = s.detections = s.posts = s.queues = s.truth = false;
    return s;
  }
};

// The one trace reader: opens a trace once (the report, compare, eval, serve,
// replay and the viewer all read through it) and gives its metadata, whole
// tables, ranges of rows and the stage summaries. It checks what it reads
// (docs/security.md) and throws TraceError naming the file and the attribute,
// or the dataset, row and field, that is missing or out of bounds.
// A trace that a SWMR writer (Options::swmr: live mode) still holds is opened
// for SWMR reading (H5F_ACC_SWMR_READ); refresh() then sees new rows through
// H5Drefresh, without reopening the file or re-reading what was read.
// HDF5 is used from one thread at a time: do not read the same process's
// traces from another thread meanwhile.
class TraceReader {
 public:
  enum class Mode {
    read,    // a plain read-only open; SWMR read when the writer still holds the file
    follow,  // SWMR read first (a live trace to follow with refresh()); a plain open otherwise
  };
  explicit TraceReader(const std::string& path, Mode mode = Mode::read);  // throws TraceError
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  const std::string& path() const;
  bool swmr() const;  // opened in SWMR-read mode
  TraceMeta meta();   // the root attributes
  // Refreshes every table (H5Drefresh when SWMR); true when one has more rows than before.
  bool refresh();
  // Rows of a table ("/telemetry/NODE3000005", "/pipeline/stages", ...) as of the open or the last refresh.
  std::uint64_t rows(const std::string& table);
  // The chosen tables, whole (as of the open or the last refresh()).
  Trace read(const TraceSelection& which = {});
  // Appends the t_s and value columns of one telemetry table, rows [first,
  // first + count) clamped to its rows(), to t and v (16 bytes a row, not a
  // whole TelemetryRow). Returns the number of rows read.
  std::uint64_t telemetry_columns(ItemId item, std::vector<double>& t, std::vector<double>& v, std::uint64_t first = 0,
                                  std::uint64_t count = ~std::uint64_t{0});
  // Rows [first, first + count) of /pipeline/stages, clamped to its rows().
  std::vector<StageTimes> stage_rows(std::uint64_t first, std::uint64_t count);
  // The /pipeline/stages rows received in [t0, t1] (any fate), handed to
  // `each` a block at a time (at most 2^18 rows read per block), reading only
  // the rows that the stage summary's buckets overlapping the range point to
  // (every row when the trace has no summary yet). Returns the rows read.
  std::uint64_t stage_rows_received(double t0, double t1,
                                    const std::function<void(const std::vector<StageTimes>&)>& each);
  // The stage summaries; present == false (and no error) when the trace has
  // none or they do not cover every stage row yet. Read once; valid until the
  // next refresh() that sees rows come.
  const StageSummary& stage_summary();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A whole trace (or the chosen tables) in one go: TraceReader(path).read(which).
Trace read_trace(const std::string& path, const TraceSelection& which = {});

}  // namespace peebot
