// pipeline.architecture = "wet" (seed 000, the W.E.T. System):
//
//   simulator  receives the feed (t_received), publishes every update over
//              ZeroMQ PUB (t_ingested); PUB/SUB drops what finds the
//              subscriber's queue at its high-water mark (fate dropped_hwm)
//   livetrack  the SUB: per event its own work, then a blocking HTTP POST to
//              WaterLog (Flask + SQLite, one writer: t_stored = committed);
//              runs the detector on the level items
//   viewport   the GUI polls GET /events every viewport_poll: an event is
//              dashboard-ready (t_detected_s) when the first poll after its
//              commit has answered; the planet recommendation (clean water
//              below water.low_pct) and manual flush/refill presses are shown then
//
// LiveTrack + POST + WaterLog is one FIFO server (FifoServer): LiveTrack waits
// for each answer, so WaterLog never sees two of its writes at once. Faults:
// crash of `consumer` (LiveTrack: what it held and what is published while it
// is down is lost, as PUB/SUB does), crash/outage of `db` (WaterLog: POSTs are
// refused, their events lost), slow_disk on `db` (the commit takes factor x).
// No tweets: seed 000 posts nothing.
#include <algorithm>
#include <cmath>

#include "../../models/iss_time.hpp"
#include "../../models/env/transport.hpp"
#include "context.hpp"

namespace peebot::engine {

namespace {

struct WetBatch {
  Frame* f = nullptr;           // the accepted messages, in order
  FifoServer::Batch b;          // their schedule through LiveTrack + WaterLog
  std::size_t lost_from = 0;    // messages from this index on die with a LiveTrack crash
};

struct Manual {
  double t_s;
  DetectionKind kind;
};

class WetHost final : public HostPipeline {
 public:
  explicit WetHost(const Scenario& sc)
      : p_(sc.pipeline.wet), server_(static_cast<std::size_t>(sc.pipeline.wet.hwm)),
        poll_(sc.pipeline.wet.viewport_poll_s), alert_(sc.world.water.low_pct) {}

  void sample_queues(Context* c, double now) override {
    sample_ingest(c, now);
    const std::size_t zq = server_.in_system(now);
    c->queue_sample(now, Stage::kDetector, zq, std::max(zq, zmq_max_));  // the subscriber's queue (LiveTrack)
    zmq_max_ = 0;
    c->queue_sample(now, Stage::kStore, 0, 0);
    sample_tweet(c, now);  // seed 000 posts nothing
  }

 private:
  sg::ActorPtr start_processes(Context* c) override {
    auto sim = daemon("simulator", c->pf.peebot, [this, c] { simulator_actor(c); });
    daemon("livetrack", c->pf.peebot, [this, c] { livetrack_actor(c); });
    // Manual presses, in time order.
    auto add = [&](const std::vector<LosWindow>& ws, DetectionKind k) {
      for (const auto& w : ws)
        for (double t = w.start_s; t < w.end_s; t += p_.manual_every_s) manual_.push_back({t, k});
    };
    add(p_.manual_flushes, DetectionKind::kManualFlush);
    add(p_.manual_refills, DetectionKind::kManualRefill);
    std::stable_sort(manual_.begin(), manual_.end(), [](const Manual& a, const Manual& b) { return a.t_s < b.t_s; });
    if (!manual_.empty()) daemon("viewport_user", c->pf.peebot, [this, c] { user_actor(c); });
    return sim;
  }


  // Service of one event through LiveTrack, the POST and WaterLog's commit at t.
  double service_s(const Context* c, double t) const {
    return p_.livetrack_per_event_s + p_.http_rtt_s + p_.waterlog_per_request_s + p_.sqlite_commit_s * c->faults.slowdown("db", t);
  }
  bool waterlog_down(const Context* c, double t) const {
    return c->faults.is_active(FaultKind::kCrash, "db", t) || c->faults.is_active(FaultKind::kOutage, "db", t);
  }
  // When an event processed at done_s (LiveTrack got WaterLog's answer) shows on ViewPort.
  double shown_at(double stored_s) const {
    return poll_.next_at(stored_s) + p_.viewport_query_s + p_.http_rtt_s;
  }

  // Publishes the frame's messages at t through ZeroMQ to LiveTrack.
  void publish(Context* c, Frame* f, double t) {
    // A LiveTrack crash in force: no subscriber, PUB/SUB discards everything.
    if (c->faults.is_active(FaultKind::kCrash, "consumer", t)) {
      for (const auto& w : f->w) { ++lost_; c->close_as(w, UpdateFate::kFaultLost); }
      c->recycle(f);
      return;
    }
    if (t >= reset_at_s_) {  // LiveTrack restarted after a crash: an empty queue
      server_ = FifoServer(static_cast<std::size_t>(p_.hwm));
      reset_at_s_ = 1e300;
    }
    WetBatch wb;
    wb.b = server_.offer(t, f->w.size(), service_s(c, t));
    zmq_max_ = std::max(zmq_max_, server_.in_system(t));
    for (std::size_t k = wb.b.accepted; k < f->w.size(); ++k) { ++dropped_; c->close_as(f->w[k], UpdateFate::kDroppedHwm); }
    f->w.resize(wb.b.accepted);
    wb.lost_from = f->w.size();
    // A LiveTrack crash before the batch is through: what it still holds then is lost.
    if (const FaultSpec* cr = c->faults.next(FaultKind::kCrash, "consumer", t); cr && cr->start_s < wb.b.end_s()) {
      std::size_t k = 0;
      while (k < f->w.size() && wb.b.done_s(k) <= cr->start_s) ++k;
      wb.lost_from = k;
      reset_at_s_ = cr->end_s;
    }
    if (f->w.empty()) { c->recycle(f); return; }
    wb.f = f;
    q_.push(wb);
  }

  void simulator_actor(Context* c) {
    for (;;) {
      Frame* f = receive_frame(c);
      const double t_rx = sg::Engine::get_clock();
      sg::this_actor::sleep_for(p_.publish_per_message_s * static_cast<double>(f->w.size()));
      const double t_pub = sg::Engine::get_clock();
      c->stats.updates_ingested += f->w.size();
      for (const auto& w : f->w) {
        if (w.track != kNoTrack) {
          StageTimes& st = c->book.at(w.track);
          st.fate = static_cast<std::uint8_t>(UpdateFate::kDelivered);
          st.t_received_s = t_rx;
          st.t_ingested_s = t_pub;
        }
        if (w.u.item < kFirstBackground) {
          c->record_telemetry(w.u, t_rx);
        }
      }
      publish(c, f, t_pub);
    }
  }

  void user_actor(Context* c) {
    for (const Manual& m : manual_) {
      sg::this_actor::sleep_until(m.t_s);
      Frame* f = c->new_frame();
      Wire w;  // a manual event (seq 0): no feed item; only its Detection record follows it
      w.u.item = kSignal;
      w.u.t_emit_s = m.t_s;
      w.u.seq = 0;
      w.u.value = static_cast<double>(m.kind);
      f->w.push_back(w);
      publish(c, f, m.t_s);
    }
  }

  void livetrack_actor(Context* c) {
    std::vector<Detection> out;
    for (;;) {
      WetBatch wb = q_.pop();
      sg::this_actor::sleep_until(wb.b.end_s());
      Frame* f = wb.f;
      for (std::size_t k = 0; k < f->w.size(); ++k) {
        const Wire& w = f->w[k];
        if (k >= wb.lost_from) { ++lost_; c->close_as(w, UpdateFate::kFaultLost); continue; }
        const double done = wb.b.done_s(k);
        if (w.u.seq == 0) {  // a manual press
          const auto kind = static_cast<DetectionKind>(static_cast<int>(w.u.value));
          if (waterlog_down(c, done - 0.5 * p_.http_rtt_s)) continue;
          if (kind == DetectionKind::kManualRefill) alert_ = LevelAlert(c->sc.world.water.low_pct);  // refilled: re-arm
          Detection d;
          d.id = next_id_++;
          d.kind = kind;
          d.onset_s = d.onset_lo_s = d.end_s = w.u.t_emit_s;
          d.confidence = 1.0f;
          c->emit_detection(d, shown_at(done - 0.5 * p_.http_rtt_s));
          continue;
        }
        const double stored = done - 0.5 * p_.http_rtt_s;
        const bool refused = waterlog_down(c, stored);
        if (w.u.item < kFirstBackground && (w.u.item != kSignal || c->detector->event_open())) {
          out.clear();
          c->detector->on_sample(Sample{w.u.t_emit_s, w.u.value, w.u.item, w.u.status}, out);
          for (auto& d : out) c->emit_detection(d, done);
        }
        if (refused) { ++lost_; c->close_as(w, UpdateFate::kFaultLost); continue; }
        if (w.u.item == kCleanWater && alert_.on_sample(w.u.value)) {
          Detection d;
          d.id = next_id_++;
          d.kind = DetectionKind::kWaterLowAlert;
          d.onset_s = d.onset_lo_s = d.end_s = w.u.t_emit_s;
          d.size_pct = w.u.value;
          d.confidence = 1.0f;
          c->emit_detection(d, shown_at(stored));
        }
        if (w.track != kNoTrack) {
          StageTimes& st = c->book.at(w.track);
          st.t_stored_s = stored;
          st.t_detected_s = shown_at(stored);
          c->book.close(w.track);
        }
      }
      c->recycle(f);
    }
  }

  WetParams p_;
  FifoServer server_;
  Poller poll_;
  LevelAlert alert_;
  SimQueue<WetBatch> q_;
  std::vector<Manual> manual_;
  double reset_at_s_ = 1e300;  // LiveTrack's queue is empty again from then (after a crash)
  std::size_t zmq_max_ = 0;
  std::uint64_t dropped_ = 0, lost_ = 0;
  std::uint64_t next_id_ = 1u << 30;  // alert / manual records: ids apart from the detector's
};

}  // namespace

std::unique_ptr<HostPipeline> make_wet_host(const Scenario& sc) { return std::make_unique<WetHost>(sc); }

}  // namespace peebot::engine
