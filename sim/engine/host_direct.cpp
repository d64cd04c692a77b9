// pipeline.architecture = "direct": the testbed's own Pee-Bot, one process on
// our host with in-process queues.
//
//   ingest    validate, dedupe, order; telemetry to the trace
//   detector  detections (-> trace, -> tweet queue)
//   store     batched commits
//   tweet     cooldown, attempts, retries
//
// Dashboard-ready = processed by the detector (t_detected_s).
#include <algorithm>
#include <optional>

#include "../util/progress.hpp"
#include "context.hpp"
#include "feed.hpp"

namespace peebot::engine {

namespace {

constexpr std::uint8_t kWaitDetector = 1, kWaitStore = 2;

// Ingest's work on one frame received at t_rx and done at t_done (both
// engines): verdicts and telemetry, the detector's items, the store's
// records (their stage slots or kNoTrack). Returns the records for the store.
template <class ToDetector, class ToStore>
std::size_t ingest_frame(Context* c, const Frame* f, double t_rx, double t_done, ToDetector&& to_detector,
                         ToStore&& to_store) {
  c->stats.updates_ingested += f->w.size();
  std::size_t n = 0;
  for (const auto& w : f->w) {
    if (!c->admit(w, t_rx, t_done)) continue;
    // Clock-only samples matter to the detector only while an event is open.
    if (w.u.item < kFirstBackground && (w.u.item != kSignal || c->detector->event_open())) {
      DetectorItem di;
      di.s = Sample{w.u.t_emit_s, w.u.value, w.u.item, w.u.status};
      di.track = w.track;
      if (w.track != kNoTrack) c->book.expect(w.track, kWaitDetector);
      to_detector(di);
    }
    if (w.track != kNoTrack) c->book.expect(w.track, kWaitStore);
    to_store(w.track);
    ++n;
  }
  return n;
}

// The detector's work on one item at `now` (both engines): the stage time,
// and the detections it completes in `out`.
inline void detect(Context* c, const DetectorItem& di, double now, std::vector<Detection>& out) {
  out.clear();
  c->detector->on_sample(di.s, out);
  if (di.track != kNoTrack) {
    c->book.at(di.track).t_detected_s = now;
    c->book.done(di.track, kWaitDetector);
  }
}

class DirectHost final : public HostPipeline {
 public:
  explicit DirectHost(const Scenario& sc) : store_(sc.pipeline.store) {}

  void sample_queues(Context* c, double now) override {
    sample_ingest(c, now);
    c->queue_sample(now, Stage::kDetector, detector_q_.size(), detector_q_.take_max());
    c->queue_sample(now, Stage::kStore, store_q_.size(), store_max_);
    store_max_ = 0;
    sample_tweet(c, now);
  }

 private:
  sg::ActorPtr start_processes(Context* c) override {
    store_wakeup_ = sg::Semaphore::create(0);
    auto ingest = daemon("ingest", c->pf.peebot, [this, c] { ingest_actor(c); });
    daemon("detector", c->pf.peebot, [this, c] { detector_actor(c); });
    daemon("store", c->pf.peebot, [this, c] { store_actor(c); });
    return ingest;
  }

  void ingest_actor(Context* c) {
    for (;;) {
      Frame* f = receive_frame(c);
      const double t_rx = sg::Engine::get_clock();
      sg::this_actor::sleep_for(c->ingest.service_time_s(f->w.size()));
      const double t_done = sg::Engine::get_clock();
      const bool store_was_empty = store_.pending() == 0;
      const std::size_t to_store = ingest_frame(
          c, f, t_rx, t_done, [this](const DetectorItem& di) { detector_q_.push(di); },
          [this](std::uint32_t track) { store_q_.push(track); });
      c->recycle(f);
      if (to_store) {
        store_.add(t_done, to_store);
        store_max_ = std::max(store_max_, store_q_.size());
        if (store_was_empty || store_.full()) store_wakeup_->release();
      }
    }
  }

  void detector_actor(Context* c) {
    std::vector<Detection> out;
    for (;;) {
      DetectorItem di = detector_q_.pop();
      sg::this_actor::sleep_for(c->sc.pipeline.detector.service_per_sample_s);
      const double now = sg::Engine::get_clock();
      detect(c, di, now, out);
      for (auto& d : out) {
        c->emit_detection(d, now);
        tweet_->queue().push(d);
      }
    }
  }

  void store_actor(Context* c) {
    for (;;) {
      // Wake-ups may be spurious (a release per notification): re-check each time.
      while (store_.pending() == 0) store_wakeup_->acquire();
      while (!store_.full() && sg::Engine::get_clock() < store_.deadline_s())
        store_wakeup_->acquire_timeout(store_.deadline_s() - sg::Engine::get_clock());
      double service = 0.0;
      const std::size_t n = store_.take(service);
      sg::this_actor::sleep_for(service);
      const double now = sg::Engine::get_clock();
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t track = store_q_.pop();
        if (track != kNoTrack) {
          c->book.at(track).t_stored_s = now;
          c->book.done(track, kWaitStore);
        }
      }
    }
  }

  StoreBatcher store_;
  SimQueue<DetectorItem> detector_q_;
  Ring<std::uint32_t> store_q_;  // one entry per record awaiting commit (its stage slot or kNoTrack)
  std::size_t store_max_ = 0;
  sg::SemaphorePtr store_wakeup_;  // released when the batch becomes non-empty or full
};

// The same host in closed form (engine "event", feed.hpp): ingest, detector
// and store are single FIFO servers with deterministic service, so the times
// their actors would spend follow from the arrival times (Lindley recursion;
// the store's batch deadline as its actor waits for it). One actor replays
// their events in time order and wakes in SimGrid only where SimGrid has work:
// a detection handed to the tweet actor at its emission time, and a queue
// sample every trace.queue_sample_period (it also takes the monitor's place).
// Events at one virtual time are taken in the order store, arrival, ingest,
// detector. (Ties are common: frames of equal size are ingested exactly one
// second apart, at the very deadline of the batch the earlier one opened; the
// store commits that batch first.)
class DirectEvents final : public HostPipeline {
 public:
  DirectEvents(FeedPath& feed, const Scenario& sc) : feed_(feed), store_(sc.pipeline.store) {}

  // No mailbox receiver: frames come from the feed. The "pipeline" actor is
  // not a daemon: its end (the reference run's end) ends the run.
  sg::ActorPtr start(Context* c) override {
    c_ = c;
    det_svc_ = c->sc.pipeline.detector.service_per_sample_s;
    make_tweet_stage(c);
    tweet_->start();
    sg::Actor::create("pipeline", c->pf.peebot, [this] { pipeline_actor(); });
    return nullptr;
  }

  void sample_queues(Context*, double) override {}  // the pipeline actor samples at its own times

  void finish(Context*) override {
    c_->flush_detector();
    // A frame still on its way to the host is lost (its comm dies with the run).
    if (have_next_) {
      for (const auto& w : next_.f->w) c_->lose(w);
      c_->recycle(next_.f);
      have_next_ = false;
    }
    feed_.finish(sg::Engine::get_clock());
    if (ing_busy_) { c_->recycle(cur_.f); ing_busy_ = false; }
    while (!mailbox_.empty()) c_->recycle(mailbox_.pop().f);
  }

 private:
  static constexpr double kNever = 1e300;
  enum class StoreState { kIdle, kWaiting, kServing };

  void pipeline_actor() {
    Context* c = c_;
    have_next_ = feed_.next(next_);
    const double period = c->sc.trace.queue_sample_period_s;
    const double end = c->sc.duration_s + c->opt.drain_s;
    std::optional<ProgressBar> bar;
    if (c->opt.progress) bar.emplace(c->sc.duration_s);
    double last_sample = 0.0;
    for (double t = period; t <= end + 1e-9; t += period) {  // the reference monitor's loop
      last_sample = std::min(t, end);
      run_until(last_sample);
      sg::this_actor::sleep_until(last_sample);
      sample_queues(sg::Engine::get_clock());
      if (bar) bar->update(last_sample);
    }
    if (bar) bar->finish();
    // The reference run ends with its last non-daemon actor: the monitor, the
    // publisher (last tick) or the downlink (scenario end).
    const double final_t = std::max({last_sample, feed_.last_tick_s(), c->sc.duration_s});
    run_until(final_t);
    sg::this_actor::sleep_until(final_t);
  }

  // Processes every event at or before t, in time order.
  void run_until(double t) {
    for (;;) {
      const double ta = have_next_ ? next_.t_s : kNever;
      const double ti = ing_busy_ ? ing_done_ : kNever;
      const double td = det_busy_ ? det_done_ : kNever;
      const double ts = store_state_ == StoreState::kWaiting ? store_take_ : store_state_ == StoreState::kServing ? store_done_ : kNever;
      const double m = std::min({ta, ti, td, ts});
      if (m > t) return;
      if (ts == m) on_store_event();
      else if (ta == m) on_arrival();
      else if (ti == m) on_ingest_done();
      else on_detector_done();
    }
  }

  // A frame reaches the host's mailbox; ingest takes it at once when idle.
  void on_arrival() {
    const HostFrame hf = next_;
    have_next_ = feed_.next(next_);
    if (ing_busy_) { mailbox_.push(hf); return; }
    ingest_take(hf, hf.t_s);
  }

  void ingest_take(const HostFrame& hf, double now) {
    cur_ = hf;
    ing_rx_ = now;
    ing_done_ = now + c_->ingest.service_time_s(hf.f->w.size());
    ing_busy_ = true;
  }

  void on_ingest_done() {
    Context* c = c_;
    Frame* f = cur_.f;
    const double t_rx = ing_rx_, t_done = ing_done_;
    ing_busy_ = false;
    const bool store_was_empty = store_.pending() == 0;
    const std::size_t to_store = ingest_frame(
        c, f, t_rx, t_done,
        [this, t_done](const DetectorItem& di) {
          det_q_.push(di);
          det_max_ = std::max(det_max_, det_q_.size());
          detector_start(t_done);  // an idle detector takes it at once (its queue's depth counted it first)
        },
        [this](std::uint32_t track) {
          if (track != kNoTrack) store_tracked_.push({store_pushed_, track});
          ++store_pushed_;
        });
    c->recycle(f);
    if (to_store) {
      store_.add(t_done, to_store);
      store_max_ = std::max(store_max_, static_cast<std::size_t>(store_pushed_ - store_popped_));
      if (store_was_empty || store_.full()) store_wake(t_done);
    }
    // Ingest asks its mailbox for the next frame.
    ingest_max_ = std::max(ingest_max_, mailbox_.size());
    if (!mailbox_.empty()) ingest_take(mailbox_.pop(), t_done);
  }

  // The detector takes its next sample when idle.
  void detector_start(double now) {
    if (det_busy_ || det_q_.empty()) return;
    det_cur_ = det_q_.pop();
    det_done_ = now + det_svc_;
    det_busy_ = true;
  }

  void on_detector_done() {
    Context* c = c_;
    const double now = det_done_;
    det_busy_ = false;
    detect(c, det_cur_, now, out_);
    if (!out_.empty()) {
      sg::this_actor::sleep_until(now);  // the tweet actor learns of it at its emission time
      for (auto& d : out_) {
        c->emit_detection(d, now);
        tweet_->queue().push(d);
      }
    }
    detector_start(now);
  }

  // The store actor re-checks its batch (woken by ingest, a timeout or the end of a commit).
  void store_wake(double now) {
    if (store_state_ == StoreState::kServing) return;
    if (store_.pending() == 0) { store_state_ = StoreState::kIdle; return; }
    store_state_ = StoreState::kWaiting;
    store_take_ = store_.full() ? now : std::max(now, store_.deadline_s());
  }

  void on_store_event() {
    Context* c = c_;
    if (store_state_ == StoreState::kWaiting) {
      double service = 0.0;
      store_n_ = store_.take(service);
      store_done_ = store_take_ + service;
      store_state_ = StoreState::kServing;
      return;
    }
    const double now = store_done_;
    store_popped_ += store_n_;
    while (!store_tracked_.empty() && store_tracked_.front().pos < store_popped_) {
      const std::uint32_t track = store_tracked_.pop().track;
      c->book.at(track).t_stored_s = now;
      c->book.done(track, kWaitStore);
    }
    store_state_ = StoreState::kIdle;
    store_wake(now);
  }

  void sample_queues(double now) {
    Context* c = c_;
    // The mailbox holds the frames that arrived while ingest was busy.
    c->queue_sample(now, Stage::kIngest, mailbox_.size(), ingest_max_);
    ingest_max_ = 0;
    c->queue_sample(now, Stage::kDetector, det_q_.size(), std::max(det_max_, det_q_.size()));
    det_max_ = det_q_.size();
    const auto stored = static_cast<std::size_t>(store_pushed_ - store_popped_);
    c->queue_sample(now, Stage::kStore, stored, store_max_);
    store_max_ = 0;
    sample_tweet(c, now);
  }

  struct StoreTracked {
    std::uint64_t pos;     // the record's place in the store's queue (records pushed before it)
    std::uint32_t track;
  };

  Context* c_ = nullptr;
  FeedPath& feed_;
  double det_svc_ = 0.0;
  HostFrame next_;
  bool have_next_ = false;
  Ring<HostFrame> mailbox_;
  // ingest
  bool ing_busy_ = false;
  HostFrame cur_;
  double ing_rx_ = 0.0, ing_done_ = 0.0;
  // detector
  Ring<DetectorItem> det_q_;
  bool det_busy_ = false;
  DetectorItem det_cur_;
  double det_done_ = 0.0;
  std::size_t det_max_ = 0;
  std::vector<Detection> out_;
  // store: records are counted, only the followed ones are kept
  StoreState store_state_ = StoreState::kIdle;
  double store_take_ = 0.0, store_done_ = 0.0;
  std::size_t store_n_ = 0;
  std::uint64_t store_pushed_ = 0, store_popped_ = 0;
  Ring<StoreTracked> store_tracked_;
  std::size_t store_max_ = 0;
  StoreBatcher store_;
};

}  // namespace

std::unique_ptr<HostPipeline> make_direct_host(const Scenario& sc) { return std::make_unique<DirectHost>(sc); }

std::unique_ptr<HostPipeline> make_direct_events_host(FeedPath& feed, const Scenario& sc) {
  return std::make_unique<DirectEvents>(feed, sc);
}

}  // namespace peebot::engine
