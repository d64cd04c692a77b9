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
#include "../trace/player.hpp"
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

struct Context;

struct Frame {
  std::vector<Wire> w;
  // While the frame is in a detached comm (FrameSender, actors engine): the
  // run's liveness cell, so that the comm's clean-up knows whether the run is
  // still on. Set the first time this frame object is sent; a pooled frame
  // keeps it, so a send counts no reference.
  std::shared_ptr<Context*> live;
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

// The run's shared state: scenario, trace, the world model, the stage book,
// the faults and the stage objects every host architecture uses. The
// processes' own state lives in their classes (ground.hpp, actors.hpp, the
// HostPipeline implementations, TweetStage).
struct Context {
  Context(const Scenario& s, TraceWriter& t, const RunOptions& o)
      : sc(s), opt(o), trace(t),
        world(s.world, s.epoch_unix_s, s.duration_s, s.seed),
        background(s.world.background, s.seed),
        dict(s.world.background.items),
        ingest(s.pipeline.ingest, dict),
        detector(make_detector(s.pipeline.detector)),
        faults(s.faults, s.seed),
        book(t),
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

  // The mailbox Lightstreamer -> our host (actors engine).
  sg::Mailbox* to_host = nullptr;

  // Whether an update's stage times are followed: every named item's, and
  // every trace.background_sample_every-th background update in emission
  // order (a countdown: no division per update, and the sample does not
  // depend on how the ground's TIME_000001 numbers interleave with the ISS's).
  bool tracked(const Update& u) {
    if (u.item < kFirstBackground) return true;
    if (--bg_countdown != 0) return false;
    bg_countdown = static_cast<std::uint32_t>(sc.trace.background_sample_every);
    return true;
  }
  std::uint32_t bg_countdown = 0;  // set by the constructor
  void lose(const Wire& w) {
    ++stats.updates_lost;
    close_as(w, UpdateFate::kLost);
  }
  // A named item's update as the host received it at t_rx, to the trace.
  void record_telemetry(const Update& u, double t_rx) {
    trace.telemetry(u.item, received_row(u, t_rx, iss_timestamp_hours(sc.epoch_unix_s + u.t_emit_s), u.status));
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
  // A followed update's record ends with `fate` (a host fault lost it, ...).
  void close_as(const Wire& w, UpdateFate fate) {
    if (w.track == kNoTrack) return;
    book.at(w.track).fate = static_cast<std::uint8_t>(fate);
    book.close(w.track);
  }
  // A followed update processed again after a restart (a replay): its own
  // stage record, fate replayed, with `stamp` (t_detected_s or t_stored_s) at now.
  void record_replay(const Wire& w, double StageTimes::*stamp, double now) {
    const std::uint32_t t = book.open(w.u);
    StageTimes& st = book.at(t);
    st.fate = static_cast<std::uint8_t>(UpdateFate::kReplayed);
    st.*stamp = now;
    book.close(t);
    ++stats.updates_replayed;
  }
  // At the end of the run: the detections the detector still holds, emitted now
  // (their ids offset by `id_base`, as a restarted Pee-Bot numbers them).
  void flush_detector(std::uint64_t id_base = 0) {
    std::vector<Detection> out;
    detector->finish(out);
    for (auto& d : out) {
      d.id += id_base;
      emit_detection(d, sg::Engine::get_clock());
    }
  }
};

// A wire record with a time: when a row was committed, a log record became visible, ...
struct TimedWire {
  Wire w;
  double t_s = 0.0;
};

// Creates a daemon actor running `main` (a process's loop that never ends by
// itself: the run's end kills it).
template <class F>
sg::ActorPtr daemon(const char* name, sg::Host* host, F&& main) {
  sg::ActorPtr a = sg::Actor::create(name, host, std::forward<F>(main));
  a->daemonize();
  return a;
}

// The tweet stage every architecture shares, a process with its queue and
// state: cooldown, attempts with the API's latency and failures, retries
// with backoff (Poster), and the faults tweet_outage (every attempt fails)
// and rate_limit (an attempt waits for the next window). main() runs
// forever: start it as a daemon. on_sent (may be empty) is told of every
// post the API accepted.
class TweetStage {
 public:
  using OnSent = std::function<void(const Detection&, const Post&)>;
  explicit TweetStage(Context& c, OnSent on_sent = {});
  // Starts main() as the daemon "tweet" on our host.
  void start();
  void main();
  SimQueue<Detection>& queue() { return q_; }
  // Writes the queue's depth sample.
  void sample(double now) { c_.queue_sample(now, Stage::kTweet, q_.size(), q_.take_max()); }

 private:
  Context& c_;
  Poster poster_;
  Rng rng_;
  SimQueue<Detection> q_;
  OnSent on_sent_;
};

// Our host's side of the pipeline, one implementation per
// `pipeline.architecture` (host_direct.cpp, host_wet.cpp, ...). What every
// host shares is here: the ingest queue's depth, the tweet stage (for an
// architecture that posts, sim/pipeline/architecture.hpp) and the end of the run.
class HostPipeline {
 public:
  virtual ~HostPipeline() = default;
  // Creates the host's processes (on c->pf.peebot and any host the
  // architecture adds): start_processes(), then the tweet stage. Returns the
  // actor that receives frames from c->to_host, which becomes that mailbox's
  // permanent receiver.
  virtual sg::ActorPtr start(Context* c);
  // Called by the monitor every trace.queue_sample_period: one queue sample per stage.
  virtual void sample_queues(Context* c, double now) = 0;
  // After the simulation ended: close what the stream left open (by default
  // the detections the detector still holds).
  virtual void finish(Context* c) { c->flush_detector(); }

 protected:
  // The architecture's own processes; returns the frames' receiver.
  virtual sg::ActorPtr start_processes(Context*) { return nullptr; }
  // A post the tweet API accepted.
  virtual void on_posted(const Detection&, const Post&) {}
  // Creates the tweet stage when the architecture posts (start() does).
  void make_tweet_stage(Context* c);
  // The next frame from c->to_host (its queue's depth noted for the sample).
  Frame* receive_frame(Context* c) {
    ingest_max_ = std::max(ingest_max_, c->to_host->size());
    return c->to_host->get<Frame>();
  }
  void sample_ingest(Context* c, double now) {
    c->queue_sample(now, Stage::kIngest, c->to_host->size(), ingest_max_);
    ingest_max_ = 0;
  }
  // The tweet stage's sample (depth 0 for an architecture that does not post).
  void sample_tweet(Context* c, double now) {
    if (tweet_) tweet_->sample(now);
    else c->queue_sample(now, Stage::kTweet, 0, 0);
  }

  std::unique_ptr<TweetStage> tweet_;  // null when the architecture does not post
  std::size_t ingest_max_ = 0;
};

std::unique_ptr<HostPipeline> make_direct_host(const Scenario& sc);
class FeedPath;
// pipeline.architecture "direct" on the event engine (feed.hpp): the whole
// host in closed form, fed by `feed`; it samples its own queues and draws the
// progress bar (no monitor actor), and its start() returns no receiver.
std::unique_ptr<HostPipeline> make_direct_events_host(FeedPath& feed, const Scenario& sc);
std::unique_ptr<HostPipeline> make_wet_host(const Scenario& sc);
std::unique_ptr<HostPipeline> make_streaming_host(const Scenario& sc);
std::unique_ptr<HostPipeline> make_polling_host(const Scenario& sc);

// By sc.pipeline.architecture: "direct" (default), "wet", "streaming",
// "polling"; throws std::invalid_argument otherwise.
std::unique_ptr<HostPipeline> make_host_pipeline(const Scenario& sc);
// The host-side faults (crash, outage, slow_disk, tweet_outage, rate_limit) of
// the scenario that its architecture does not apply, named with their
// file:line for an error message; empty when all are applied.
std::string unhonoured_host_faults(const Scenario& sc);

}  // namespace peebot::engine
