// pipeline.architecture = "polling" (seed 002, Django + TimescaleDB + Celery):
//
//   ingest   validate, enrich, dedupe, order (Ingest; DRF serializers: a
//            per-update cost) -> the insert buffer
//   writer   TimescaleDB batch inserts (StoreBatcher: batch_rows or
//            flush_interval): t_stored_s = committed; each commit is pushed
//            to the dashboards over WebSockets: t_detected_s = pushed
//            (dashboard-ready)
//   celery   Celery beat every `period`: the PeeBot task reads the rows with
//            a timestamp after last_processed_at (ProcessorState), runs the
//            detector over them in insertion order, stores DetectedEvents
//            (with confidence) and hands them to the tweet stage; then moves
//            last_processed_at to the last row's timestamp, per channel
//            ("last_row"), or to the task's start ("now"). A row committed
//            after the task read past its timestamp is never analysed (fate
//            skipped). The watermark is kept per channel because the channels
//            do not share a clock: TIME_000001 is stamped with ground time when
//            published, the ISS items with ISS time ~5 s earlier, so one
//            watermark over both would pass the ISS rows still in the insert
//            buffer (one channel's rows commit in timestamp order: with a
//            per-channel watermark only a clock_skew can skip a row).
//
// Faults: crash of `ingest` (frames reaching the host while it is down are
// lost, with the rows in its insert buffer), crash/outage of `db` (inserts
// fail and are retried every db_retry; the task fails and waits for the next
// beat), slow_disk on `db` (inserts take factor x), crash of `worker` (beats
// in the window run nothing; the next one resumes from last_processed_at).
#include <algorithm>
#include <array>
#include <cmath>

#include "../../models/iss_time.hpp"
#include "context.hpp"

namespace peebot::engine {

namespace {

constexpr std::uint8_t kWaitWriter = 1, kWaitTask = 2;

std::array<double, kNamedItems> filled(double v) {
  std::array<double, kNamedItems> a;
  a.fill(v);
  return a;
}

// The TimescaleDB insert buffer batches as the direct store does.
StoreParams insert_params(const PollingParams& p) {
  StoreParams s;  // by name: three of its four fields are seconds, which positional initialisation would let swap unnoticed
  s.batch_size = p.batch_rows;
  s.flush_interval_s = p.flush_interval_s;
  s.service_per_batch_s = p.insert_per_batch_s;
  s.service_per_record_s = p.insert_per_row_s;
  return s;
}

class PollingHost final : public HostPipeline {
 public:
  explicit PollingHost(const Scenario& sc) : p_(sc.pipeline.polling), batcher_(insert_params(sc.pipeline.polling)) {}

  void sample_queues(Context* c, double now) override {
    sample_ingest(c, now);
    c->queue_sample(now, Stage::kDetector, rows_.size(), rows_max_);  // committed rows awaiting the task
    rows_max_ = 0;
    c->queue_sample(now, Stage::kStore, buffer_.size(), buffer_max_);  // rows awaiting an insert
    buffer_max_ = 0;
    sample_tweet(c, now);
  }

 private:
  sg::ActorPtr start_processes(Context* c) override {
    wake_ = sg::Semaphore::create(0);
    auto ingest = daemon("ingest", c->pf.peebot, [this, c] { ingest_actor(c); });
    daemon("writer", c->pf.peebot, [this, c] { writer_actor(c); });
    daemon("celery", c->pf.peebot, [this, c] { celery_actor(c); });
    return ingest;
  }

  bool db_down(const Context* c, double t) const {
    return c->faults.is_active(FaultKind::kCrash, "db", t) || c->faults.is_active(FaultKind::kOutage, "db", t);
  }

  void ingest_actor(Context* c) {
    for (;;) {
      Frame* f = receive_frame(c);
      const double t_rx = sg::Engine::get_clock();
      c->stats.updates_ingested += f->w.size();
      if (const FaultSpec* cr = c->faults.active(FaultKind::kCrash, "ingest", t_rx)) {
        for (const auto& w : f->w) c->close_as(w, UpdateFate::kFaultLost);
        c->recycle(f);
        if (cr->start_s > last_crash_s_) {  // the insert buffer died with the process
          last_crash_s_ = cr->start_s;
          while (!buffer_.empty()) c->close_as(buffer_.pop(), UpdateFate::kFaultLost);
          batcher_ = StoreBatcher(insert_params(p_));
        }
        continue;
      }
      sg::this_actor::sleep_for(c->ingest.service_time_s(f->w.size()) + p_.ingest_per_update_s * static_cast<double>(f->w.size()));
      const double t_done = sg::Engine::get_clock();
      std::size_t added = 0;
      const bool was_empty = batcher_.pending() == 0;
      for (const auto& w : f->w) {
        if (!c->admit(w, t_rx, t_done)) continue;
        if (w.u.item < kFirstBackground) {
          if (w.track != kNoTrack) c->book.expect(w.track, kWaitTask);
        }
        if (w.track != kNoTrack) c->book.expect(w.track, kWaitWriter);
        buffer_.push(w);
        ++added;
      }
      c->recycle(f);
      if (added) {
        batcher_.add(t_done, added);
        buffer_max_ = std::max(buffer_max_, buffer_.size());
        if (was_empty || batcher_.full()) wake_->release();
      }
    }
  }

  void writer_actor(Context* c) {
    for (;;) {
      while (batcher_.pending() == 0) wake_->acquire();
      while (!batcher_.full() && sg::Engine::get_clock() < batcher_.deadline_s())
        wake_->acquire_timeout(batcher_.deadline_s() - sg::Engine::get_clock());
      if (batcher_.pending() == 0) continue;  // the buffer died with an ingest crash
      // Database down: the insert fails; retried every db_retry.
      while (db_down(c, sg::Engine::get_clock())) sg::this_actor::sleep_for(p_.db_retry_s);
      double service = 0.0;
      const std::size_t n = batcher_.take(service);
      sg::this_actor::sleep_for(service * c->faults.slowdown("db", sg::Engine::get_clock()));
      const double now = sg::Engine::get_clock();
      const double pushed = now + p_.ws_push_s;
      for (std::size_t i = 0; i < n && !buffer_.empty(); ++i) {
        const Wire w = buffer_.pop();
        if (w.u.item < kFirstBackground) {
          rows_.push(TimedWire{w, now});  // committed now
          rows_max_ = std::max(rows_max_, rows_.size());
        }
        if (w.track == kNoTrack) continue;
        StageTimes& st = c->book.at(w.track);
        st.t_stored_s = now;
        st.t_detected_s = pushed;
        c->book.done(w.track, kWaitWriter);
      }
    }
  }

  void celery_actor(Context* c) {
    std::vector<TimedWire> batch;
    std::vector<Detection> out;
    const double end = c->sc.duration_s + c->opt.drain_s;
    for (double t = p_.period_s; t <= end; t += p_.period_s) {
      sg::this_actor::sleep_until(t);
      if (c->faults.is_active(FaultKind::kCrash, "worker", t)) continue;  // no worker: the beat runs nothing
      if (db_down(c, t)) continue;                                        // the task fails; next beat
      // SELECT ... WHERE timestamp > last_processed_at: the rows committed by now.
      batch.clear();
      while (!rows_.empty() && rows_.front().t_s <= t) batch.push_back(rows_.pop());
      sg::this_actor::sleep_for(p_.query_base_s + p_.query_per_row_s * static_cast<double>(batch.size()));
      const double now = sg::Engine::get_clock();
      // In insertion (id) order, which per channel is timestamp order: the
      // detector reads clock ticks against the tank sample inserted before
      // them (StepDetector learns the feed lag so); sorting the channels
      // together by timestamp would put each tick ~5 s early among the ISS rows.
      newest_ = last_processed_s_;
      for (const TimedWire& r : batch) {
        const Wire& w = r.w;
        if (w.u.t_emit_s <= last_processed_s_[w.u.item]) {  // behind its channel's watermark: never analysed
          ++c->stats.updates_skipped;
          if (w.track != kNoTrack) {
            c->book.at(w.track).fate = static_cast<std::uint8_t>(UpdateFate::kSkipped);
            c->book.done(w.track, kWaitTask);
          }
          continue;
        }
        newest_[w.u.item] = std::max(newest_[w.u.item], w.u.t_emit_s);
        out.clear();
        // Clock-only rows matter to the detector only while an event is open (as in every architecture).
        if (w.u.item != kSignal || c->detector->event_open())
          c->detector->on_sample(Sample{w.u.t_emit_s, w.u.value, w.u.item, w.u.status}, out);
        for (auto& d : out) {
          c->emit_detection(d, now);  // a DetectedEvent (confidence in the record)
          tweet_->queue().push(d);
        }
        if (w.track != kNoTrack) c->book.done(w.track, kWaitTask);
      }
      if (p_.watermark == "now") last_processed_s_.fill(t);
      else last_processed_s_ = newest_;
    }
  }

  PollingParams p_;
  StoreBatcher batcher_;
  Ring<Wire> buffer_;  // rows awaiting an insert, in order
  Ring<TimedWire> rows_;  // committed named-item rows (t_s: committed) the task has not read yet
  sg::SemaphorePtr wake_;
  // ProcessorState.last_processed_at (feed time) per channel (named item), and the run's newest row per channel.
  std::array<double, kNamedItems> last_processed_s_ = filled(-1e300), newest_ = filled(-1e300);
  double last_crash_s_ = -1e300;
  std::size_t rows_max_ = 0, buffer_max_ = 0;
};

}  // namespace

std::unique_ptr<HostPipeline> make_polling_host(const Scenario& sc) { return std::make_unique<PollingHost>(sc); }

}  // namespace peebot::engine
