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

#include "../../models/iss_time.hpp"
#include "context.hpp"

namespace peebot::engine {

namespace {

constexpr std::uint8_t kWaitDetector = 1, kWaitStore = 2;

class DirectHost final : public HostPipeline {
 public:
  sg::ActorPtr start(Context* c) override {
    store_wakeup_ = sg::Semaphore::create(0);
    auto ingest = sg::Actor::create("ingest", c->pf.peebot, [this, c] { ingest_actor(c); });
    ingest->daemonize();
    sg::Actor::create("detector", c->pf.peebot, [this, c] { detector_actor(c); })->daemonize();
    sg::Actor::create("store", c->pf.peebot, [this, c] { store_actor(c); })->daemonize();
    sg::Actor::create("tweet", c->pf.peebot, [this, c] { tweet_loop(c, tweet_q_); })->daemonize();
    return ingest;
  }

  void sample_queues(Context* c, double now) override {
    c->queue_sample(now, Stage::kIngest, c->to_host->size(), ingest_max_);
    ingest_max_ = 0;
    c->queue_sample(now, Stage::kDetector, detector_q_.size(), detector_q_.take_max());
    c->queue_sample(now, Stage::kStore, store_q_.size(), store_max_);
    store_max_ = 0;
    c->queue_sample(now, Stage::kTweet, tweet_q_.size(), tweet_q_.take_max());
  }

  void finish(Context* c) override {
    std::vector<Detection> out;
    c->detector->finish(out);
    for (auto& d : out) c->emit_detection(d, sg::Engine::get_clock());
  }

 private:
  void ingest_actor(Context* c) {
    for (;;) {
      ingest_max_ = std::max(ingest_max_, c->to_host->size());
      Frame* f = c->to_host->get<Frame>();
      const double t_rx = sg::Engine::get_clock();
      sg::this_actor::sleep_for(c->ingest.service_time_s(f->w.size()));
      const double t_done = sg::Engine::get_clock();
      c->stats.updates_ingested += f->w.size();
      std::size_t to_store = 0;
      const bool store_was_empty = c->store.pending() == 0;
      for (const auto& w : f->w) {
        if (!c->admit(w, t_rx, t_done)) continue;
        if (w.u.item < kFirstBackground) {
          // Clock-only samples matter to the detector only while an event is open.
          if (w.u.item != kSignal || c->detector->event_open()) {
            DetectorItem di;
            di.s = Sample{w.u.t_emit_s, w.u.value, w.u.item, w.u.status};
            di.track = w.track;
            if (w.track != kNoTrack) c->book.expect(w.track, kWaitDetector);
            detector_q_.push(di);
          }
        }
        if (w.track != kNoTrack) c->book.expect(w.track, kWaitStore);
        store_q_.push(w.track);
        ++to_store;
      }
      c->recycle(f);
      if (to_store) {
        c->store.add(t_done, to_store);
        store_max_ = std::max(store_max_, store_q_.size());
        if (store_was_empty || c->store.full()) store_wakeup_->release();
      }
    }
  }

  void detector_actor(Context* c) {
    std::vector<Detection> out;
    for (;;) {
      DetectorItem di = detector_q_.pop();
      sg::this_actor::sleep_for(c->sc.pipeline.detector.service_per_sample_s);
      const double now = sg::Engine::get_clock();
      out.clear();
      c->detector->on_sample(di.s, out);
      if (di.track != kNoTrack) {
        c->book.at(di.track).t_detected_s = now;
        c->book.done(di.track, kWaitDetector);
      }
      for (auto& d : out) {
        c->emit_detection(d, now);
        tweet_q_.push(d);
      }
    }
  }

  void store_actor(Context* c) {
    for (;;) {
      // Wake-ups may be spurious (a release per notification): re-check each time.
      while (c->store.pending() == 0) store_wakeup_->acquire();
      while (!c->store.full() && sg::Engine::get_clock() < c->store.deadline_s())
        store_wakeup_->acquire_timeout(c->store.deadline_s() - sg::Engine::get_clock());
      double service = 0.0;
      const std::size_t n = c->store.take(service);
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

  SimQueue<DetectorItem> detector_q_;
  SimQueue<Detection> tweet_q_;
  Ring<std::uint32_t> store_q_;  // one entry per record awaiting commit (its stage slot or kNoTrack)
  std::size_t store_max_ = 0, ingest_max_ = 0;
  sg::SemaphorePtr store_wakeup_;  // released when the batch becomes non-empty or full
};

}  // namespace

std::unique_ptr<HostPipeline> make_direct_host() { return std::make_unique<DirectHost>(); }

}  // namespace peebot::engine
