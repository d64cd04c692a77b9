// Records the pipeline stages produce; the trace stores them as they are.
// Times are seconds since the run's epoch.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "../../models/items.hpp"

namespace peebot {

inline constexpr double kNoTime = std::numeric_limits<double>::quiet_NaN();

// The life of one update through the pipeline (kept for the detector's items
// and a sample of the background). A stage it never reached stays NaN.
struct StageTimes {
  std::uint64_t seq = 0;          // the update's sequence number
  ItemId item = 0;
  std::uint8_t fate = 0;          // UpdateFate
  double t_emit_s = kNoTime;      // sampled/emitted at the source (ISS or ground)
  double t_published_s = kNoTime; // published by the Lightstreamer server
  double t_received_s = kNoTime;  // frame received by our host (ingest input)
  double t_ingested_s = kNoTime;  // validated, enriched, forwarded by ingest
  double t_detected_s = kNoTime;  // processed by the detector (dashboard-ready, docs/architecture.md)
  double t_stored_s = kNoTime;    // committed by the store
};

// The six stage latencies of an update, defined once (the report's names and
// the trace's stage summaries): `to - from`, s, NaN where a stage was not reached.
struct StageLatencyDef {
  const char* name;
  const char* formula;
  double StageTimes::*to;
  double StageTimes::*from;
};
inline constexpr int kStageQuantities = 6;
inline constexpr StageLatencyDef kStageLatencies[kStageQuantities] = {
    {"feed", "t_received - t_emit", &StageTimes::t_received_s, &StageTimes::t_emit_s},
    {"ingest", "t_ingested - t_received", &StageTimes::t_ingested_s, &StageTimes::t_received_s},
    {"detector", "t_detected - t_ingested", &StageTimes::t_detected_s, &StageTimes::t_ingested_s},
    {"store", "t_stored - t_ingested", &StageTimes::t_stored_s, &StageTimes::t_ingested_s},
    {"ingest_to_dashboard", "t_detected - t_received", &StageTimes::t_detected_s, &StageTimes::t_received_s},
    {"ingest_to_persisted", "t_stored - t_received", &StageTimes::t_stored_s, &StageTimes::t_received_s},
};
inline void stage_latencies(const StageTimes& s, double out[kStageQuantities]) {
  for (int k = 0; k < kStageQuantities; ++k) out[k] = s.*(kStageLatencies[k].to) - s.*(kStageLatencies[k].from);
}

enum class UpdateFate : std::uint8_t {
  kDelivered = 0,   // went through every stage it was meant for
  kDuplicate = 1,   // dropped by ingest: already seen
  kStale = 2,       // dropped by ingest: older than what was already applied (per-item order)
  kInvalid = 3,     // dropped by ingest: failed dictionary validation
  kLost = 4,        // never reached our host (LOS, or the link failed under it)
  kMerged = 5,      // not published by the Lightstreamer server: value unchanged (MERGE)
  // 6 is reserved for the `reorder` fault (docs/faults.md).
  // Host architectures (docs/architectures.md):
  kDroppedHwm = 7,  // wet: dropped by ZeroMQ PUB/SUB, the subscriber's queue was at its high-water mark
  kFaultLost = 8,   // lost to a host-side fault: a crashed service's memory, a refused write, a producer timeout
  kReplayed = 9,    // a second processing of an update after a restart (its own row, same seq): duplicated work
  kSkipped = 10,    // polling: stored, but never read by the analytics task (behind last_processed_at)
};

enum class DetectionKind : std::int32_t {
  kUrination = 1,
  kBulkTransfer = 2,
  kOther = 3,
  kWaterLowAlert = 4,  // wet: ViewPort's "planet recommendation" (clean water below water.low_pct); emitted_s = shown
  kManualFlush = 5,    // wet: a flush pressed on ViewPort; onset_s = pressed, emitted_s = shown on ViewPort
  kManualRefill = 6,   // wet: a water refill pressed on ViewPort; same times
};

struct Detection {
  std::uint64_t id = 0;
  double onset_s = kNoTime;       // estimated onset (feed time of the first rise)
  double onset_lo_s = kNoTime;    // earliest possible onset (spans a gap when the rise straddles one)
  double end_s = kNoTime;         // estimated end (last rise seen when emitted; may grow)
  double emitted_s = kNoTime;     // when the detector emitted it (virtual/wall time)
  double size_pct = 0.0;
  double size_ml = 0.0;
  DetectionKind kind = DetectionKind::kUrination;
  float confidence = 0.0f;
};

enum class PostOutcome : std::int32_t {
  kSent = 0,        // the API accepted it
  kFailed = 1,      // every attempt failed
  kSuppressed = 2,  // dropped by the cooldown policy "drop"
  kSkipped = 3,     // not a urination: never posted
};

struct Post {
  std::uint64_t detection_id = 0;
  double t_detected_s = kNoTime;  // detection reached the poster
  double t_first_attempt_s = kNoTime;
  double t_done_s = kNoTime;      // accepted (sent) or given up
  std::int32_t attempts = 0;
  PostOutcome outcome = PostOutcome::kSent;
  std::string text;
};

// Queue depth seen at one stage's input over a sampling period.
struct QueueSample {
  double t_s = 0.0;
  std::int32_t stage = 0;          // Stage
  std::int32_t depth = 0;          // depth at the sample time (messages)
  std::int32_t depth_max = 0;      // maximum since the previous sample
};

enum class Stage : std::int32_t { kIngest = 0, kDetector = 1, kStore = 2, kTweet = 3 };

}  // namespace peebot
