// pipeline.architecture = "streaming" (seed 001, Kafka):
//
//   ingest    validate, enrich, dedupe, per-item order (Ingest) -> producer
//   producer  Kafka record accumulator (ProducerAccumulator: batch size,
//             linger) -> broker; key = item, so one item, one partition
//   broker    append (+ fsync) per batch, a FifoServer; records become
//             visible to consumers when appended, the producer's ack follows
//             after acks_latency
//   peebot    consumer group "peebot" (pipeline.streaming.consumers, the
//             partitions shared out): polls, detects (dashboard-ready =
//             processed here: t_detected_s), commits offsets every
//             commit_interval; the tweet stage posts with cooldown and retries
//   storage   consumer group "storage": batched writes (t_stored_s)
//
// Faults: crash of `ingest` (frames reaching the host while it is down are
// lost), crash/outage of `broker` (the producer holds batches and retries;
// a batch older than delivery_timeout is lost), slow_disk on `broker` and on
// `store`, crash of `consumer` (the Pee-Bot: restarts from the committed
// offsets, rebuilds its detector by replaying the level-item records of
// replay_lookback before them, and does not post again what its durable last
// decision covers; a post sent but not yet durable is re-detected by the
// replay and posted twice), crash of `store` (the storage consumer: replays
// from its committed offsets; writes are idempotent on the enriched event id).
#include <algorithm>
#include <cmath>
#include <deque>

#include "../../models/iss_time.hpp"
#include "../../models/env/transport.hpp"
#include "../pipeline/architecture.hpp"
#include "context.hpp"

namespace peebot::engine {

namespace {

constexpr std::uint8_t kWaitConsumer = 1, kWaitStorage = 2;

// A level-item record the Pee-Bot processed: what a restart replays to rebuild its detector.
struct Seen {
  std::uint64_t offset = 0;
  std::uint64_t order = 0;  // processing order across partitions
  Wire w;
};

// One partition's log: records by offset (t_s: when visible to consumers);
// the ring holds offsets [base, base + size).
struct PartitionLog {
  Ring<TimedWire> recs;
  std::uint64_t base = 0;
  std::uint64_t end() const { return base + recs.size(); }
};

// A consumer group's view: its position and committed offset per partition.
struct Group {
  std::vector<std::uint64_t> pos, committed;
  sg::SemaphorePtr wake;
};

class StreamingHost final : public HostPipeline {
 public:
  explicit StreamingHost(const Scenario& sc)
      : p_(sc.pipeline.streaming), acc_(p_.partitions, static_cast<std::size_t>(p_.batch_records), p_.linger_s),
        logs_(static_cast<std::size_t>(p_.partitions)), pending_(static_cast<std::size_t>(p_.partitions)),
        seen_(static_cast<std::size_t>(p_.partitions)) {}

 private:
  sg::ActorPtr start_processes(Context* c) override {
    const auto P = static_cast<std::size_t>(p_.partitions);
    peebot_.resize(static_cast<std::size_t>(p_.consumers));
    for (auto& g : peebot_) init(g, P);
    init(storage_, P);
    high_.assign(P, 0);
    shigh_.assign(P, 0);
    auto ingest = daemon("ingest", c->pf.peebot, [this, c] { ingest_actor(c); });
    daemon("producer", c->pf.peebot, [this, c] { producer_actor(c); });
    for (int i = 0; i < p_.consumers; ++i) daemon("peebot_consumer", c->pf.peebot, [this, c, i] { consumer_actor(c, i); });
    daemon("storage", c->pf.peebot, [this, c] { storage_actor(c); });
    return ingest;
  }
  void on_posted(const Detection& d, const Post& p) override { decided_.push_back({d.onset_s, p.t_done_s}); }

 public:
  void sample_queues(Context* c, double now) override {
    sample_ingest(c, now);
    std::size_t lag = 0, slag = 0;
    for (std::size_t p = 0; p < logs_.size(); ++p) {
      lag += logs_[p].end() - peebot_[p % peebot_.size()].pos[p];
      slag += logs_[p].end() - storage_.pos[p];
    }
    c->queue_sample(now, Stage::kDetector, lag, lag);   // consumer lag of group "peebot" (records)
    c->queue_sample(now, Stage::kStore, slag, slag);    // consumer lag of group "storage"
    sample_tweet(c, now);
  }

  void finish(Context* c) override { c->flush_detector(id_base_); }

 private:
  static void init(Group& g, std::size_t P) {
    g.pos.assign(P, 0);
    g.committed.assign(P, 0);
    g.wake = sg::Semaphore::create(0);
  }

  void ingest_actor(Context* c) {
    for (;;) {
      Frame* f = receive_frame(c);
      const double t_rx = sg::Engine::get_clock();
      c->stats.updates_ingested += f->w.size();
      if (c->faults.is_active(FaultKind::kCrash, "ingest", t_rx)) {  // the ingestion service is down
        for (const auto& w : f->w) c->close_as(w, UpdateFate::kFaultLost);
        c->recycle(f);
        continue;
      }
      sg::this_actor::sleep_for(c->ingest.service_time_s(f->w.size()));
      const double t_done = sg::Engine::get_clock();
      Frame* out = c->new_frame();
      for (const auto& w : f->w) {
        if (!c->admit(w, t_rx, t_done)) continue;
        if (w.track != kNoTrack) c->book.expect(w.track, kWaitConsumer | kWaitStorage);
        out->w.push_back(w);
      }
      c->recycle(f);
      if (out->w.empty()) { c->recycle(out); continue; }
      prod_q_.push(out);
    }
  }

  // Sends ready batches to the broker at t.
  void send(Context* c, const std::vector<ProducerAccumulator::Ready>& ready, double t) {
    for (const auto& r : ready) {
      auto& pend = pending_[static_cast<std::size_t>(r.partition)];
      double at = t;
      // Broker down: the producer retries until it is back, or gives the batch up.
      for (const FaultKind k : {FaultKind::kCrash, FaultKind::kOutage})
        if (const FaultSpec* f = c->faults.active(k, "broker", at)) at = std::max(at, f->end_s);
      const bool lost = at - r.opened_s > p_.delivery_timeout_s;
      FifoServer::Batch b;
      if (!lost) {
        const double slow = c->faults.slowdown("broker", at);
        b = broker_.offer(at, r.n, p_.broker_per_record_s * slow, p_.broker_per_batch_s * slow);
      }
      PartitionLog& log = logs_[static_cast<std::size_t>(r.partition)];
      for (std::size_t k = 0; k < r.n; ++k) {
        Wire w = pend.pop();
        if (lost) {
          c->close_as(w, UpdateFate::kFaultLost);
          continue;
        }
        log.recs.push(TimedWire{w, b.end_s()});  // visible when the batch is appended
      }
    }
    if (!ready.empty()) {
      for (auto& g : peebot_) g.wake->release();
      storage_.wake->release();
    }
  }

  void producer_actor(Context* c) {
    std::vector<ProducerAccumulator::Ready> ready;
    for (;;) {
      const double deadline = acc_.next_deadline_s();
      Frame* f = nullptr;
      bool got;
      if (std::isinf(deadline)) { f = prod_q_.pop(); got = true; }
      else got = prod_q_.pop_timeout(f, std::max(0.0, deadline - sg::Engine::get_clock()));
      const double now = sg::Engine::get_clock();
      ready.clear();
      acc_.expire(now, ready);
      send(c, ready, now);
      if (!got) continue;
      ready.clear();
      for (const auto& w : f->w) {
        const int p = kafka_partition(w.u.item, p_.partitions);
        pending_[static_cast<std::size_t>(p)].push(w);
        acc_.add(now, p, 1, ready);
      }
      c->recycle(f);
      send(c, ready, now);
    }
  }

  // The next record of the group's partitions (owner i of n) visible at or
  // after now: its visibility time, or infinity when there is none yet.
  double next_visible(const Group& g, int i, int n) const {
    double t = 1e300;
    for (std::size_t p = 0; p < logs_.size(); ++p) {
      if (static_cast<int>(p) % n != i) continue;
      const PartitionLog& log = logs_[p];
      if (g.pos[p] < log.end()) t = std::min(t, rec(p, g.pos[p]).t_s);
    }
    return t;
  }
  const TimedWire& rec(std::size_t p, std::uint64_t off) const {
    const PartitionLog& log = logs_[p];
    return log.recs.at(static_cast<std::size_t>(off - log.base));
  }

  // Waits until the group has a visible record.
  void wait_visible(Group& g, int i, int n) {
    for (;;) {
      const double t = next_visible(g, i, n);
      const double now = sg::Engine::get_clock();
      if (t <= now) return;
      if (t >= 1e299) g.wake->acquire();
      else sg::this_actor::sleep_until(t);
    }
  }

  // Takes up to max records visible at now from the group's partitions, in partition order.
  void take(Group& g, int i, int n, std::size_t max, std::vector<std::pair<std::size_t, std::uint64_t>>& out) {
    const double now = sg::Engine::get_clock();
    out.clear();
    for (std::size_t p = 0; p < logs_.size() && out.size() < max; ++p) {
      if (static_cast<int>(p) % n != i) continue;
      while (out.size() < max && g.pos[p] < logs_[p].end() && rec(p, g.pos[p]).t_s <= now) out.push_back({p, g.pos[p]++});
    }
  }

  // A crash of `target` starting before `until`: the fault, else nullptr.
  const FaultSpec* crash_before(Context* c, const char* target, double from, double until) const {
    const FaultSpec* f = c->faults.next(FaultKind::kCrash, target, from);
    return f && f->start_s < until ? f : nullptr;
  }

  // Spends `service` on a poll's records unless a crash of `target` (checked
  // since last_check) comes first: then waits for the crash's start and returns
  // it (the process dies with the poll unprocessed). last_check moves on.
  const FaultSpec* serve_poll(Context* c, const char* target, double service, double& last_check) {
    const double t0 = sg::Engine::get_clock();
    if (const FaultSpec* f = crash_before(c, target, last_check, t0 + service)) {
      if (f->start_s > t0) sg::this_actor::sleep_until(f->start_s);
      last_check = f->end_s;
      return f;
    }
    sg::this_actor::sleep_for(service);
    last_check = sg::Engine::get_clock();
    return nullptr;
  }

  // Whether offset `off` of partition p was processed before (a replay after
  // a restart); `high` holds each partition's first offset never processed.
  static bool seen_before(std::vector<std::uint64_t>& high, std::size_t p, std::uint64_t off) {
    if (off < high[p]) return true;
    high[p] = off + 1;
    return false;
  }

  void restart(Group& g, const FaultSpec& f) {
    sg::this_actor::sleep_until(f.end_s);
    g.pos = g.committed;  // resume from the committed offsets
  }

  // Partition p's committed offset (its consumer's).
  std::uint64_t committed_of(std::size_t p) const { return peebot_[p % peebot_.size()].committed[p]; }
  // The newest feed time among partition p's processed level-item records before `committed`.
  double newest_seen(std::size_t p, std::uint64_t committed) const {
    double newest = -1e300;
    for (const Seen& s : seen_[p])
      if (s.offset < committed) newest = std::max(newest, s.w.u.t_emit_s);
    return newest;
  }

  // After a Pee-Bot restart (once per crash, by the first consumer back): the
  // fresh detector is fed the level-item records of replay_lookback before the
  // committed offsets, in the order it processed them (startup replay from
  // the last decision; the detector reads a clock tick against the tank
  // sample processed before it). What it re-detects goes through decide(): the durable last
  // decision filters what was posted; anything else is posted (again).
  void warm_up(Context* c) {
    warm_pending_ = false;
    std::vector<const Seen*> ws;
    double newest = -1e300;
    for (std::size_t p = 0; p < seen_.size(); ++p) newest = std::max(newest, newest_seen(p, committed_of(p)));
    for (std::size_t p = 0; p < seen_.size(); ++p) {
      const std::uint64_t committed = committed_of(p);
      for (const Seen& s : seen_[p])
        if (s.offset < committed && s.w.u.t_emit_s >= newest - p_.replay_lookback_s) ws.push_back(&s);
    }
    std::sort(ws.begin(), ws.end(), [](const Seen* a, const Seen* b) { return a->order < b->order; });
    // Fed at once (before any other consumer of the group processes a record), then the time it takes.
    const double now = sg::Engine::get_clock() + p_.consumer_per_record_s * static_cast<double>(ws.size());
    std::vector<Detection> out;
    for (const Seen* s : ws) {
      const Wire* w = &s->w;
      if (w->u.item == kSignal && !c->detector->event_open()) continue;
      out.clear();
      c->detector->on_sample(Sample{w->u.t_emit_s, w->u.value, w->u.item, w->u.status}, out);
      for (auto& d : out) decide(c, d, now);
      if (w->track != kNoTrack) c->record_replay(*w, &StageTimes::t_detected_s, now);  // processed a second time
    }
    sg::this_actor::sleep_until(now);
  }

  // Forgets the processed level-item records of partition p older than
  // replay_lookback before its committed offset (no restart can need them).
  void trim_seen(std::size_t p, std::uint64_t committed) {
    auto& q = seen_[p];
    const double newest = newest_seen(p, committed);
    while (!q.empty() && q.front().offset < committed && q.front().w.u.t_emit_s < newest - p_.replay_lookback_s) q.pop_front();
  }

  void consumer_actor(Context* c, int i) {
    Group& g = peebot_[static_cast<std::size_t>(i)];
    const int n = p_.consumers;
    std::vector<std::pair<std::size_t, std::uint64_t>> batch;
    std::vector<Detection> out;
    double next_commit = p_.commit_interval_s;
    double last_check = 0.0;
    for (;;) {
      wait_visible(g, i, n);
      take(g, i, n, static_cast<std::size_t>(p_.max_poll_records), batch);
      const double service = p_.consumer_per_poll_s + p_.consumer_per_record_s * static_cast<double>(batch.size());
      if (const FaultSpec* f = serve_poll(c, "consumer", service, last_check)) {
        // The Pee-Bot died with this poll (and anything it held) unprocessed.
        crash_peebot(c, *f);
        restart(g, *f);
        if (warm_pending_) warm_up(c);
        next_commit = f->end_s + p_.commit_interval_s;
        continue;
      }
      const double now = sg::Engine::get_clock();
      for (const auto& [p, off] : batch) {
        const Wire& w = rec(p, off).w;
        const bool replay = seen_before(high_, p, off);
        if (!replay && w.u.item < kFirstBackground && p_.replay_lookback_s > 0) seen_[p].push_back(Seen{off, seen_order_++, w});
        if (w.u.item < kFirstBackground && (w.u.item != kSignal || c->detector->event_open())) {
          out.clear();
          c->detector->on_sample(Sample{w.u.t_emit_s, w.u.value, w.u.item, w.u.status}, out);
          for (auto& d : out) decide(c, d, now);
        }
        if (w.track == kNoTrack) continue;
        if (replay) {
          c->record_replay(w, &StageTimes::t_detected_s, now);  // processed a second time: its own row
          continue;
        }
        c->book.at(w.track).t_detected_s = now;
        c->book.done(w.track, kWaitConsumer);
      }
      if (now >= next_commit) {  // auto-commit: what has been processed so far
        g.committed = g.pos;
        next_commit = now + p_.commit_interval_s;
        for (std::size_t p = 0; p < seen_.size(); ++p)
          if (static_cast<int>(p) % n == i) trim_seen(p, g.committed[p]);
        trim();
      }
    }
  }

  // A detection of the Pee-Bot at now: posted unless its last decision covers it.
  void decide(Context* c, Detection& d, double now) {
    // A replay re-detects what the durable last decision covers: already decided, dropped.
    if (d.kind == DetectionKind::kUrination && d.onset_s <= durable_onset_s_ + kSameEventWindowS) return;
    d.id += id_base_;
    c->emit_detection(d, now);
    tweet_->queue().push(d);
  }

  // The Pee-Bot process dies: its detector state, queued tweets and
  // undurable decisions are gone. Every consumer of the group meets the same
  // crash; the process dies once.
  void crash_peebot(Context* c, const FaultSpec& f) {
    if (f.start_s == crashed_at_s_) return;
    crashed_at_s_ = f.start_s;
    warm_pending_ = p_.replay_lookback_s > 0;
    const double t = f.start_s;
    for (const auto& dd : decided_)
      if (dd.second + p_.decision_commit_s <= t) durable_onset_s_ = std::max(durable_onset_s_, dd.first);
    decided_.clear();
    while (tweet_->queue().size() > 0) tweet_->queue().pop();
    c->detector = make_detector(c->sc.pipeline.detector);
    id_base_ += 1000000000ull;
    ++c->stats.restarts;
  }

  void storage_actor(Context* c) {
    Group& g = storage_;
    std::vector<std::pair<std::size_t, std::uint64_t>> batch;
    const auto max = static_cast<std::size_t>(p_.storage_batch);
    double last_check = 0.0;
    for (;;) {
      wait_visible(g, 0, 1);
      // A batch: full, or the oldest visible record has waited storage_flush.
      const double first = sg::Engine::get_clock();
      for (;;) {
        std::size_t avail = 0;
        const double now = sg::Engine::get_clock();
        for (std::size_t p = 0; p < logs_.size() && avail < max; ++p)
          for (std::uint64_t o = g.pos[p]; o < logs_[p].end() && avail < max && rec(p, o).t_s <= now; ++o) ++avail;
        if (avail >= max || now >= first + p_.storage_flush_s) break;
        g.wake->acquire_timeout(first + p_.storage_flush_s - now);  // woken by appends
      }
      take(g, 0, 1, max, batch);
      const double slow = c->faults.slowdown("store", sg::Engine::get_clock());
      const double service = (p_.storage_per_batch_s + p_.storage_per_record_s * static_cast<double>(batch.size())) * slow;
      if (const FaultSpec* f = serve_poll(c, "store", service, last_check)) {
        restart(g, *f);
        continue;
      }
      const double now = sg::Engine::get_clock();
      for (const auto& [p, off] : batch) {
        const Wire& w = rec(p, off).w;
        const bool replay = seen_before(shigh_, p, off);
        if (w.track == kNoTrack) continue;
        if (replay) {
          c->record_replay(w, &StageTimes::t_stored_s, now);  // written again (an idempotent upsert on the event id)
          continue;
        }
        c->book.at(w.track).t_stored_s = now;
        c->book.done(w.track, kWaitStorage);
      }
      g.committed = g.pos;  // commits after each write (at-least-once)
      trim();
    }
  }

  // Forgets records every group has committed.
  void trim() {
    for (std::size_t p = 0; p < logs_.size(); ++p) {
      std::uint64_t low = storage_.committed[p];
      low = std::min(low, committed_of(p));
      PartitionLog& log = logs_[p];
      while (log.base < low && !log.recs.empty()) { log.recs.pop(); ++log.base; }
    }
  }

  StreamingParams p_;
  ProducerAccumulator acc_;
  FifoServer broker_;
  std::vector<PartitionLog> logs_;
  std::vector<Ring<Wire>> pending_;  // per partition: records in the producer's open batches, in order
  std::vector<Group> peebot_;
  Group storage_;
  std::vector<std::uint64_t> high_, shigh_;  // per partition: first offset never processed (lower ones are replays)
  SimQueue<Frame*> prod_q_;
  std::vector<std::pair<double, double>> decided_;  // posts sent: (onset, sent at), durable decision_commit later
  double durable_onset_s_ = -1e300;
  double crashed_at_s_ = -1e300;            // the crash crash_peebot last handled
  bool warm_pending_ = false;               // the detector is to be rebuilt at the restart
  std::vector<std::deque<Seen>> seen_;      // per partition: processed level-item records (replay_lookback)
  std::uint64_t seen_order_ = 0;
  std::uint64_t id_base_ = 0;
};

}  // namespace

std::unique_ptr<HostPipeline> make_streaming_host(const Scenario& sc) { return std::make_unique<StreamingHost>(sc); }

}  // namespace peebot::engine
