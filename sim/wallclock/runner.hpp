// The pipeline stages of sim/pipeline (Ingest, a detector from make_detector,
// StoreBatcher, Poster) driven by a clock the caller gives: wall time in
// `peebot live`, the recorded time in `peebot replay`. Records telemetry,
// stage times, detections and posts to a trace.
#pragma once
#include <cstdint>
#include <deque>
#include <future>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../pipeline/detector.hpp"
#include "../pipeline/ingest.hpp"
#include "../pipeline/params.hpp"
#include "../pipeline/poster.hpp"
#include "../pipeline/store.hpp"
#include "../trace/trace.hpp"
#include "post_state.hpp"
#include "posting.hpp"

namespace peebot::live {

struct RunnerCounters {
  std::uint64_t updates = 0, accepted = 0, duplicates = 0, stale = 0, invalid = 0, detections = 0, posts_sent = 0,
                posts_failed = 0, posts_skipped = 0, commits = 0, flushes = 0;
  std::uint64_t posts_already = 0;   // urinations posted before a restart (PostState): skipped
  std::uint64_t post_retries = 0;    // failed attempts that were retried
  double first_update_s = -1; // receive time of the first update (s since epoch), -1: none
  double last_update_s = -1;  // receive time of the last update (s since epoch), -1: none
  double lag_s = 0;           // receive time - feed time (TimeStamp) of the last update
  bool los = false;           // TIME_000001 says loss of signal
};

class Runner {
 public:
  // trace may be null (no recording). flush_every_s: SWMR flush period (live).
  Runner(const PipelineParams& p, TraceWriter* trace, double epoch_unix_s, PostSink* sink, double flush_every_s);
  // One update of a named item received at now_s (s since epoch). t_emit_s:
  // feed time of the value (s since epoch); seq orders one item's updates.
  void on_update(ItemId item, double now_s, double t_emit_s, double iss_time_h, double value, int status, std::uint64_t seq);
  // Commits due batches and due posts.
  void tick(double now_s);
  // Closes an open event, commits and sends what is pending.
  void finish(double now_s);
  const RunnerCounters& counters() const { return c_; }
  // When the store's current batch must be committed at the latest (s since epoch; 1e300: nothing pending).
  double commit_due_s() const { return store_.pending() ? store_.deadline_s() : 1e300; }
  std::size_t queue_depth() const { return pending_.size() + posts_.size() + (in_flight_ ? 1 : 0); }
  // Persists each accepted post there and skips detections posted before (a
  // restart); also restores the cooldown. Call before the first update.
  void set_state(PostState* state);
  // Detections emitted, in order (for tests and `peebot replay`).
  const std::vector<Detection>& detections() const { return all_detections_; }
  // Called for each detection as it is emitted.
  std::function<void(const Detection&)> on_detection;
  std::function<void(const Post&)> on_post;
  // Posting errors and retries ("warn", "error") and accepted posts ("info").
  std::function<void(const char* level, const std::string& msg)> on_log;

 private:
  void commit(double now_s);
  void post_due(double now_s);
  struct Pending;
  void on_result(Pending pd, const PostResult& r, double now_s);
  void record_detection(Detection& d, double now_s);
  void log(const char* level, const std::string& msg) { if (on_log) on_log(level, msg); }

  PipelineParams p_;
  TraceWriter* trace_;
  double epoch_;
  PostSink* sink_;
  double flush_every_s_;
  double last_flush_s_ = -1e300;
  ItemDictionary dict_;
  Ingest ingest_;
  std::unique_ptr<Detector> detector_;
  StoreBatcher store_;
  Poster poster_;
  std::vector<StageTimes> pending_;  // awaiting the store's commit
  std::vector<Detection> out_, all_detections_;
  struct Pending { Detection d; Post p; double due_s; };
  std::deque<Pending> posts_;
  PostState* state_ = nullptr;
  // A post whose HTTP request runs on a worker thread (a blocking sink).
  std::optional<Pending> in_flight_;
  std::future<PostResult> in_flight_result_;
  RunnerCounters c_;
};

// Plays a trace's telemetry through `runner` as `peebot replay` does: in
// receive order (feed_from_trace), each update timed and numbered by its
// TimeStamp (FeedClock from the year of the trace's epoch; FeedSequencer, one
// session) and followed by a tick at its receive time. Returns the last
// receive time (0 when the trace has no telemetry); finish() is the caller's.
double replay_trace(Runner& runner, const Trace& t);

}  // namespace peebot::live
