// What the actors of one run share: the records on the wire, the stage book
// (per-update stage times), in-process queues, the run's Context, and the
// interface every host pipeline architecture implements (sim/engine/host_*.cpp).
// SimGrid-side only: decisions stay in sim/pipeline/.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <simgrid/s4u.hpp>

#include "../../models/iss_time.hpp"
#include "../../models/world.hpp"
#include "../pipeline/detector.hpp"
#include "../../models/env/faults.hpp"
#include "../pipeline/ingest.hpp"
#include "../pipeline/poster.hpp"
#include "../pipeline/store.hpp"
#include "../trace/trace.hpp"
#include "platform.hpp"
#include "ring.hpp"
#include "run.hpp"

namespace peebot::engine {

namespace sg = simgrid::s4u;

inline constexpr std::uint32_t kNoTrack = std::numeric_limits<std::uint32_t>::max();

// An update on the wire, with its stage-record slot (its publish time, when
// followed, is in the stage book).
struct Wire {
  Update u;
  std::uint32_t track = kNoTrack;
};

struct Frame {
  std::vector<Wire> w;
};

// Stage records of the updates being followed, written to the trace once
// every stage they were meant for has stamped them.
class StageBook {
 public:
  explicit StageBook(TraceWriter& t) : trace_(t) {}
  std::uint32_t open(const Update& u) {
    std::uint32_t i;
    if (!free_.empty()) { i = free_.back(); free_.pop_back(); }
    else { i = static_cast<std::uint32_t>(slots_.size()); slots_.emplace_back(); }
    Slot& s = slots_[i];
    s.st = StageTimes{};
    s.st.seq = u.seq;
    s.st.item = u.item;
    s.st.t_emit_s = u.t_emit_s;
    s.waiting = 0;
    return i;
  }
  StageTimes& at(std::uint32_t i) { return slots_[i].st; }
  void expect(std::uint32_t i, std::uint8_t bits) { slots_[i].waiting |= bits; }
  // A stage is done with it; writes it when nothing else waits.
  void done(std::uint32_t i, std::uint8_t bit) {
    Slot& s = slots_[i];
    s.waiting &= static_cast<std::uint8_t>(~bit);
    if (s.waiting == 0) close(i);
  }
  void close(std::uint32_t i) {
    trace_.stage(slots_[i].st);
    free_.push_back(i);
  }
  // At the end of the run: write what is still under way (its later stages stay NaN).
  void close_all() {
    std::vector<std::uint8_t> is_free(slots_.size(), 0);
    for (auto i : free_) is_free[i] = 1;
    for (std::uint32_t i = 0; i < slots_.size(); ++i)
      if (!is_free[i]) close(i);
  }

 private:
  struct Slot { StageTimes st; std::uint8_t waiting = 0; };
  TraceWriter& trace_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
};

// A FIFO between two actors of one host (an in-process queue), with the
// depth a monitor reads. A semaphore counts the items: unlike a condition
// variable it needs no lock, so an actor killed while waiting (daemons are,
// at the end of a run) unwinds without a simcall.
template <class T>
class SimQueue {
 public:
  SimQueue() : items_(sg::Semaphore::create(0)) {}
  void push(T v) {
    q_.push(std::move(v));
    max_ = std::max(max_, q_.size());
    items_->release();
  }
  T pop() {
    items_->acquire();
    return q_.pop();
  }
  // Waits at most timeout_s; false (nothing taken) when it expired.
  bool pop_timeout(T& out, double timeout_s) {
    if (items_->acquire_timeout(timeout_s)) return false;  // SimGrid: true means timed out
    out = q_.pop();
    return true;
  }
  std::size_t size() const { return q_.size(); }
  std::size_t take_max() { const std::size_t m = std::max(max_, q_.size()); max_ = q_.size(); return m; }

 private:
  sg::SemaphorePtr items_;
  Ring<T> q_;
  std::size_t max_ = 0;
};

struct DetectorItem {
  Sample s;
  std::uint32_t track = kNoTrack;
};

// The run's shared state: scenario, trace, world, the ISS/ground side's state
// and the stage objects every host architecture uses.
struct Context {
  Context(const Scenario& s, TraceWriter& t, const RunOptions& o)
      : sc(s), opt(o), trace(t),
        world(s.world, s.epoch_unix_s, s.duration_s, s.seed),
        background(s.world.background, s.seed),
        dict(s.world.background.items),
        ingest(s.pipeline.ingest, dict),
        detector(make_detector(s.pipeline.detector)),
        store(s.pipeline.store),
        poster(s.pipeline.tweet),
        tweet_rng(s.seed, "tweet"),
        faults(s.faults, s.seed),
        book(t),
        last_published(static_cast<std::size_t>(dict.size()), std::numeric_limits<double>::quiet_NaN()),
        bg_countdown(static_cast<std::uint32_t>(s.trace.background_sample_every)) {}

  const Scenario& sc;
  const RunOptions& opt;
  TraceWriter& trace;
  Platform pf;
  World world;
  BackgroundLoad background;
  ItemDictionary dict;
  Ingest ingest;
  std::unique_ptr<Detector> detector;
  StoreBatcher store;
  Poster poster;
  Rng tweet_rng;
  FaultPlan faults;  // [[faults]] (docs/faults.md)
  StageBook book;
  std::uint64_t next_seq = 1;
  RunStats stats;

  std::vector<Frame*> frame_pool;
  Frame* new_frame() {
    if (frame_pool.empty()) return new Frame();
    Frame* f = frame_pool.back();
    frame_pool.pop_back();
    f->w.clear();
    return f;
  }
  void recycle(Frame* f) { frame_pool.push_back(f); }

  // Lightstreamer server state.
  std::vector<double> last_published;  // MERGE: last value sent per item (NaN: none)
  Frame* outbox = nullptr;
  double last_iss_rx_s = -1e300;

  // Mailboxes: ISS -> Lightstreamer, Lightstreamer -> our host.
  sg::Mailbox* to_ls = nullptr;
  sg::Mailbox* to_host = nullptr;

  // Whether an update's stage times are followed: every named item's, and
  // every trace.background_sample_every-th background update in emission
  // order (a countdown: no division per update, and the sample does not
  // depend on how the ground's TIME_000001 numbers interleave with the ISS's).
  // What both engines share of the ISS and the Lightstreamer server (host_common.cpp):
  // The downlink's frame of `us` (emitted now): counted, the followed updates
  // opened in the stage book (true t_emit), clock_skew applied to the rest.
  Frame* frame_of(const std::vector<Update>& us, bool skew);
  // The receiver: MERGEs f into the outbox (an unchanged value is not sent:
  // its record closes as merged); recycles f.
  void merge_to_outbox(Frame* f);
  // One publisher tick at t: TIME_000001 (AOS/LOS status), the duplicate and
  // reorder faults (re-sent and held-back updates wait in `held`, released
  // when due or at the `last` tick), the publish stamps. Returns the frame to
  // send, or nullptr when a partition takes it (`host_link_off`: the link to
  // our host is down now), its updates lost.
  Frame* publish_tick(double t, std::vector<std::pair<double, Wire>>& held, bool last, bool host_link_off);

  bool tracked(const Update& u) {
    if (u.item < kFirstBackground) return true;
    if (--bg_countdown != 0) return false;
    bg_countdown = static_cast<std::uint32_t>(sc.trace.background_sample_every);
    return true;
  }
  std::uint32_t bg_countdown = 0;  // set by the constructor
  void lose(const Wire& w) {
    ++stats.updates_lost;
    if (w.track != kNoTrack) {
      book.at(w.track).fate = static_cast<std::uint8_t>(UpdateFate::kLost);
      book.close(w.track);
    }
  }
  // A named item's update as the host received it at t_rx, to the trace.
  void record_telemetry(const Update& u, double t_rx) {
    TelemetryRow row;
    row.t_s = t_rx;
    row.t_emit_s = u.t_emit_s;
    row.iss_time_h = iss_timestamp_hours(sc.epoch_unix_s + u.t_emit_s);
    row.value = u.value;
    row.seq = u.seq;
    row.status = u.status;
    trace.telemetry(u.item, row);
  }
  // Ingest's verdict on an update received at t_rx and ingested at t_done:
  // stamps its stage record, closes the record when the update is not
  // delivered, records a named item's telemetry. True when delivered.
  bool admit(const Wire& w, double t_rx, double t_done) {
    const UpdateFate fate = ingest.accept(w.u);
    if (w.track != kNoTrack) {
      StageTimes& st = book.at(w.track);
      st.fate = static_cast<std::uint8_t>(fate);
      st.t_received_s = t_rx;
      st.t_ingested_s = t_done;
    }
    if (fate != UpdateFate::kDelivered) {
      if (w.track != kNoTrack) book.close(w.track);
      return false;
    }
    if (w.u.item < kFirstBackground) record_telemetry(w.u, t_rx);
    return true;
  }
  // Writes one queue-depth sample to the trace.
  void queue_sample(double now, Stage s, std::size_t depth, std::size_t max) {
    QueueSample q;
    q.t_s = now;
    q.stage = static_cast<std::int32_t>(s);
    q.depth = static_cast<std::int32_t>(depth);
    q.depth_max = static_cast<std::int32_t>(std::max(max, depth));
    trace.queue(q);
  }
  // A detection leaves a detector at `now`: stamped, traced, counted.
  void emit_detection(Detection& d, double now) {
    d.emitted_s = now;
    trace.detection(d);
    ++stats.detections;
  }
};

// Our host's side of the pipeline, one implementation per
// `pipeline.architecture` (host_direct.cpp, host_wet.cpp, ...).
class HostPipeline {
 public:
  virtual ~HostPipeline() = default;
  // Creates the host's actors (on c->pf.peebot and any host the architecture
  // adds); returns the actor that receives frames from c->to_host, which
  // becomes that mailbox's permanent receiver.
  virtual sg::ActorPtr start(Context* c) = 0;
  // Called by the monitor every trace.queue_sample_period: one queue sample per stage.
  virtual void sample_queues(Context* c, double now) = 0;
  // After the simulation ended: close what the stream left open.
  virtual void finish(Context* c) = 0;
};

// The tweet stage every architecture shares: cooldown, attempts with the API's
// latency and failures, retries with backoff (Poster), and the faults
// tweet_outage (every attempt fails) and rate_limit (an attempt waits for the
// next window). Runs forever: create it as a daemon.
// on_sent (may be empty) is told of every post the API accepted.
void tweet_loop(Context* c, SimQueue<Detection>& q,
                const std::function<void(const Detection&, const Post&)>& on_sent = {});

std::unique_ptr<HostPipeline> make_direct_host();
class FeedPath;
// pipeline.architecture "direct" on the event engine (feed.hpp): the whole
// host in closed form, fed by `feed`; it samples its own queues and draws the
// progress bar (no monitor actor), and its start() returns no receiver.
std::unique_ptr<HostPipeline> make_direct_events_host(FeedPath& feed);
std::unique_ptr<HostPipeline> make_wet_host(const Scenario& sc);
std::unique_ptr<HostPipeline> make_streaming_host(const Scenario& sc);
std::unique_ptr<HostPipeline> make_polling_host(const Scenario& sc);
// The progress bar on stderr (virtual time done of total, at wall seconds).
void draw_progress(double virt, double total, double wall, bool final);

// By sc.pipeline.architecture: "direct" (default), "wet", "streaming",
// "polling"; throws std::invalid_argument otherwise.
std::unique_ptr<HostPipeline> make_host_pipeline(const Scenario& sc);
// The host-side faults (crash, outage, slow_disk, tweet_outage, rate_limit) of
// the scenario that its architecture does not apply, named with their
// file:line for an error message; empty when all are applied.
std::string unhonoured_host_faults(const Scenario& sc);

}  // namespace peebot::engine
