// The virtual-time runtime. Actors only move records and spend service time;
// every decision is made by a stage object from sim/pipeline/ or a model from
// models/.
//
//   iss:      downlink   world + background -> frame every network.frame_interval
//   lsserver: receiver   MERGE (publish only changed values)
//             publisher  every network.signal_period: TIME_000001 (AOS/LOS) + merged updates -> frame
//   peebot:   ingest     validate, dedupe, order; telemetry to the trace
//             detector   detections (-> trace, -> tweet queue)
//             store      batched commits
//             tweet      cooldown, attempts, retries
//             monitor    queue depths, progress; ends the run
#include "run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "../../models/iss_time.hpp"
#include "../../models/world.hpp"
#include "../pipeline/detector.hpp"
#include "../pipeline/ingest.hpp"
#include "../pipeline/poster.hpp"
#include "../pipeline/store.hpp"
#include "../trace/trace.hpp"
#include "platform.hpp"
#include "ring.hpp"

namespace peebot {

namespace sg = simgrid::s4u;

namespace {

constexpr std::uint32_t kNoTrack = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint8_t kWaitDetector = 1, kWaitStore = 2;

// An update on the wire, with its published time and its stage-record slot.
struct Wire {
  Update u;
  double t_published_s = kNoTime;
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

struct Context;
Context* g_ctx = nullptr;  // for detached-comm clean-up callbacks only

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
        store_wakeup(sg::Semaphore::create(0)) {}

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

  // Our host.
  sg::Mailbox* to_ls = nullptr;
  sg::Mailbox* to_host = nullptr;
  SimQueue<DetectorItem> detector_q;
  SimQueue<Detection> tweet_q;
  Ring<std::uint32_t> store_q;  // one entry per record awaiting commit (its stage slot or kNoTrack)
  std::size_t store_max = 0, ingest_max = 0;
  sg::SemaphorePtr store_wakeup;  // released when the batch becomes non-empty or full

  bool tracked(const Update& u) const {
    return u.item < kFirstBackground || u.seq % static_cast<std::uint64_t>(sc.trace.background_sample_every) == 0;
  }
  void lose(const Wire& w) {
    ++stats.updates_lost;
    if (w.track != kNoTrack) {
      book.at(w.track).fate = static_cast<std::uint8_t>(UpdateFate::kLost);
      book.close(w.track);
    }
  }
};

double frame_bytes(const NetworkParams& n, std::size_t updates) {
  return n.frame_header_bytes + n.update_bytes * static_cast<double>(updates);
}

// Sends a frame without waiting for it (detached). If the comm fails (LOS
// began while the frame was in flight), its updates are recorded as lost.
void send_frame(Context* c, sg::Mailbox* to, Frame* f) {
  ++c->stats.frames;
  to->put_init(f, static_cast<std::uint64_t>(frame_bytes(c->sc.network, f->w.size())))
      ->detach([](void* p) {
        auto* fr = static_cast<Frame*>(p);
        if (g_ctx) {
          for (const auto& w : fr->w) g_ctx->lose(w);
          g_ctx->recycle(fr);
        } else {
          delete fr;  // the run is over
        }
      });
}

// ---- ISS ------------------------------------------------------------------

void downlink_actor(Context* c) {
  const double F = c->sc.network.frame_interval_s;
  const double end = c->sc.duration_s;
  std::vector<Update> scratch;
  bool need_snapshot = false;
  const bool skew = c->faults.any(FaultKind::kClockSkew);
  double t = 0.0;
  while (t < end) {
    const double t_next = std::min(end, t + F);
    sg::this_actor::sleep_until(t_next);
    scratch.clear();
    if (need_snapshot && c->pf.iss_tdrs->is_on()) c->world.snapshot(t_next, scratch, c->next_seq);
    c->world.advance(t_next, scratch, c->next_seq);
    c->background.generate(t, t_next, scratch, c->next_seq);
    t = t_next;
    if (scratch.empty()) continue;
    c->stats.updates_emitted += scratch.size();
    Frame* f = c->new_frame();
    f->w.reserve(scratch.size());
    for (const auto& u : scratch) {
      Wire w;
      w.u = u;
      if (c->tracked(u)) w.track = c->book.open(u);  // stage t_emit: true time
      // clock_skew: the ISS TimeStamp is off by the fault's offset (docs/faults.md).
      if (skew && w.u.item != kSignal) w.u.t_emit_s += c->faults.clock_offset(u.t_emit_s);
      f->w.push_back(w);
    }
    if (!c->pf.iss_tdrs->is_on()) {  // LOS: nothing reaches the ground
      for (const auto& w : f->w) c->lose(w);
      c->recycle(f);
      need_snapshot = true;
      continue;
    }
    need_snapshot = false;
    send_frame(c, c->to_ls, f);
  }
}

// ---- Lightstreamer server ---------------------------------------------------

void receiver_actor(Context* c) {
  for (;;) {
    Frame* f = nullptr;
    try {
      f = c->to_ls->get<Frame>();
    } catch (const simgrid::NetworkFailureException&) {
      continue;  // the frame died with the link (LOS); the sender's clean-up counts it lost
    }
    c->last_iss_rx_s = sg::Engine::get_clock();
    if (!c->outbox) c->outbox = c->new_frame();
    for (const auto& w : f->w) {
      double& last = c->last_published[w.u.item];
      if (last == w.u.value) {  // MERGE: unchanged values are not sent
        if (w.track != kNoTrack) {
          c->book.at(w.track).fate = static_cast<std::uint8_t>(UpdateFate::kMerged);
          c->book.close(w.track);
        }
        continue;
      }
      last = w.u.value;
      c->outbox->w.push_back(w);
    }
    c->recycle(f);
  }
}

void publisher_actor(Context* c) {
  const double P = c->sc.network.signal_period_s;
  const double end = c->sc.duration_s + c->opt.drain_s;
  // Network faults on the Lightstreamer -> host path (docs/faults.md).
  const bool dup = c->faults.any(FaultKind::kDuplicate), reorder = c->faults.any(FaultKind::kReorder);
  const bool partition = c->faults.any(FaultKind::kPartition);
  std::vector<std::pair<double, Wire>> held;  // (release time, update): re-sent copies and held-back updates
  for (double t = P; t <= end; t += P) {
    sg::this_actor::sleep_until(t);
    if (!c->outbox) c->outbox = c->new_frame();
    // TIME_000001: the ground's clock, with the signal status as Status.Class.
    Wire clock;
    clock.u.t_emit_s = t;
    clock.u.item = kSignal;
    clock.u.seq = c->next_seq++;
    clock.u.value = iss_timestamp_hours(c->sc.epoch_unix_s + t);
    const bool aos = t <= c->sc.duration_s && t - c->last_iss_rx_s <= c->sc.network.los_detect_s;
    clock.u.status = aos ? kStatusAos : kStatusLos;
    if (c->tracked(clock.u)) clock.track = c->book.open(clock.u);
    ++c->stats.updates_emitted;
    c->outbox->w.push_back(clock);
    Frame* f = c->outbox;
    c->outbox = nullptr;
    if (dup || reorder) {
      std::size_t keep = 0;
      for (std::size_t i = 0; i < f->w.size(); ++i) {
        Wire w = f->w[i];
        if (dup && c->faults.duplicate(t)) {  // sent again one publish period later
          Wire copy = w;
          copy.track = w.track != kNoTrack ? c->book.open(w.u) : kNoTrack;
          ++c->stats.updates_emitted;
          held.push_back({t + P, copy});
        }
        if (reorder) {
          if (const auto d = c->faults.reorder_delay(t)) {  // held back: newer updates overtake it
            held.push_back({t + *d, w});
            continue;
          }
        }
        f->w[keep++] = w;
      }
      f->w.resize(keep);
    }
    if (!held.empty()) {  // release what is due (everything at the last period)
      const bool last = t + P > end;
      std::size_t keep = 0;
      for (std::size_t i = 0; i < held.size(); ++i) {
        if (last || held[i].first <= t) f->w.push_back(held[i].second);
        else held[keep++] = held[i];
      }
      held.resize(keep);
    }
    for (auto& w : f->w) {
      w.t_published_s = t;
      if (w.track != kNoTrack) c->book.at(w.track).t_published_s = t;
    }
    // partition: the host link is down now or before the frame would arrive: the frame is lost
    // (checked before sending, so that no comm fails under the host's receiver).
    if (partition) {
      const double transfer = c->sc.network.ls_host_latency_s +
                              frame_bytes(c->sc.network, f->w.size()) / c->sc.network.ls_host_bw_Bps + 1e-6;
      if (c->faults.overlaps(FaultKind::kPartition, "", t, t + transfer) || !c->pf.ls_host->is_on()) {
        for (const auto& w : f->w) c->lose(w);
        c->recycle(f);
        continue;
      }
    }
    send_frame(c, c->to_host, f);
  }
}

// ---- our host -----------------------------------------------------------------

void ingest_actor(Context* c) {
  for (;;) {
    c->ingest_max = std::max(c->ingest_max, c->to_host->size());
    Frame* f = c->to_host->get<Frame>();
    const double t_rx = sg::Engine::get_clock();
    sg::this_actor::sleep_for(c->ingest.service_time_s(f->w.size()));
    const double t_done = sg::Engine::get_clock();
    c->stats.updates_ingested += f->w.size();
    std::size_t to_store = 0;
    const bool store_was_empty = c->store.pending() == 0;
    for (const auto& w : f->w) {
      const UpdateFate fate = c->ingest.accept(w.u);
      const bool delivered = fate == UpdateFate::kDelivered;
      if (w.track != kNoTrack) {
        StageTimes& st = c->book.at(w.track);
        st.fate = static_cast<std::uint8_t>(fate);
        st.t_received_s = t_rx;
        st.t_ingested_s = t_done;
      }
      if (!delivered) {
        if (w.track != kNoTrack) c->book.close(w.track);
        continue;
      }
      if (w.u.item < kFirstBackground) {
        TelemetryRow row;
        row.t_s = t_rx;
        row.t_emit_s = w.u.t_emit_s;
        row.iss_time_h = iss_timestamp_hours(c->sc.epoch_unix_s + w.u.t_emit_s);
        row.value = w.u.value;
        row.seq = w.u.seq;
        row.status = w.u.status;
        c->trace.telemetry(w.u.item, row);
        // Clock-only samples matter to the detector only while an event is open.
        if (w.u.item != kSignal || c->detector->event_open()) {
          DetectorItem di;
          di.s = Sample{w.u.t_emit_s, w.u.value, w.u.item, w.u.status};
          di.track = w.track;
          if (w.track != kNoTrack) c->book.expect(w.track, kWaitDetector);
          c->detector_q.push(di);
        }
      }
      if (w.track != kNoTrack) c->book.expect(w.track, kWaitStore);
      c->store_q.push(w.track);
      ++to_store;
    }
    c->recycle(f);
    if (to_store) {
      c->store.add(t_done, to_store);
      c->store_max = std::max(c->store_max, c->store_q.size());
      if (store_was_empty || c->store.full()) c->store_wakeup->release();
    }
  }
}

void detector_actor(Context* c) {
  std::vector<Detection> out;
  for (;;) {
    DetectorItem di = c->detector_q.pop();
    sg::this_actor::sleep_for(c->sc.pipeline.detector.service_per_sample_s);
    const double now = sg::Engine::get_clock();
    out.clear();
    c->detector->on_sample(di.s, out);
    if (di.track != kNoTrack) {
      c->book.at(di.track).t_detected_s = now;
      c->book.done(di.track, kWaitDetector);
    }
    for (auto& d : out) {
      d.emitted_s = now;
      c->trace.detection(d);
      ++c->stats.detections;
      c->tweet_q.push(d);
    }
  }
}

void store_actor(Context* c) {
  for (;;) {
    // Wake-ups may be spurious (a release per notification): re-check each time.
    while (c->store.pending() == 0) c->store_wakeup->acquire();
    while (!c->store.full() && sg::Engine::get_clock() < c->store.deadline_s())
      c->store_wakeup->acquire_timeout(c->store.deadline_s() - sg::Engine::get_clock());
    double service = 0.0;
    const std::size_t n = c->store.take(service);
    sg::this_actor::sleep_for(service);
    const double now = sg::Engine::get_clock();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t track = c->store_q.pop();
      if (track != kNoTrack) {
        c->book.at(track).t_stored_s = now;
        c->book.done(track, kWaitStore);
      }
    }
  }
}

void tweet_actor(Context* c) {
  const TweetParams& tp = c->sc.pipeline.tweet;
  for (;;) {
    Detection d = c->tweet_q.pop();
    Post p;
    p.detection_id = d.id;
    p.t_detected_s = sg::Engine::get_clock();
    PostOutcome outcome = PostOutcome::kSent;
    const auto when = c->poster.schedule(d, p.t_detected_s, outcome);
    if (!when) {
      p.outcome = outcome;
      c->trace.post(p);
      continue;
    }
    sg::this_actor::sleep_until(*when);
    p.text = c->poster.compose(d, c->sc.epoch_unix_s);
    sg::this_actor::sleep_for(tp.compose_s);
    for (;;) {
      ++p.attempts;
      if (p.attempts == 1) p.t_first_attempt_s = sg::Engine::get_clock();
      sg::this_actor::sleep_for(c->tweet_rng.exponential(tp.api_latency_s));
      const bool ok = !c->tweet_rng.bernoulli(tp.failure_probability);
      if (ok) {
        p.outcome = PostOutcome::kSent;
        p.t_done_s = sg::Engine::get_clock();
        c->poster.on_sent(p.t_done_s);
        ++c->stats.posts;
        break;
      }
      const auto delay = c->poster.retry_delay(p.attempts);
      if (!delay) {
        p.outcome = PostOutcome::kFailed;
        p.t_done_s = sg::Engine::get_clock();
        break;
      }
      sg::this_actor::sleep_for(*delay);
    }
    c->trace.post(p);
  }
}

void draw_progress(double virt, double total, double wall, bool final) {
  const int width = 30;
  const double frac = total > 0 ? std::min(1.0, virt / total) : 1.0;
  const int fill = static_cast<int>(frac * width);
  char bar[width + 1];
  for (int i = 0; i < width; ++i) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  const double speed = wall > 0 ? virt / wall : 0.0;
  const double eta = speed > 0 ? (total - virt) / speed : 0.0;
  std::fprintf(stderr, "\r[%s] %5.1f%%  %s / %s  x%.0f  ETA %s   %s", bar, 100 * frac, format_duration(virt).c_str(),
               format_duration(total).c_str(), speed, format_duration(std::max(0.0, eta)).c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

// Samples queue depths and draws progress; its end ends the run (the others are daemons).
void monitor_actor(Context* c) {
  const double period = c->sc.trace.queue_sample_period_s;
  const double end = c->sc.duration_s + c->opt.drain_s;
  const auto wall0 = std::chrono::steady_clock::now();
  auto last_draw = wall0;
  for (double t = period; t <= end + 1e-9; t += period) {
    sg::this_actor::sleep_until(std::min(t, end));
    const double now = sg::Engine::get_clock();
    auto sample = [&](Stage s, std::size_t depth, std::size_t max) {
      QueueSample q;
      q.t_s = now;
      q.stage = static_cast<std::int32_t>(s);
      q.depth = static_cast<std::int32_t>(depth);
      q.depth_max = static_cast<std::int32_t>(std::max(max, depth));
      c->trace.queue(q);
    };
    sample(Stage::kIngest, c->to_host->size(), c->ingest_max);
    c->ingest_max = 0;
    sample(Stage::kDetector, c->detector_q.size(), c->detector_q.take_max());
    sample(Stage::kStore, c->store_q.size(), c->store_max);
    c->store_max = 0;
    sample(Stage::kTweet, c->tweet_q.size(), c->tweet_q.take_max());
    if (c->opt.progress) {
      const auto w = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(w - last_draw).count() >= 0.2) {
        last_draw = w;
        draw_progress(std::min(now, c->sc.duration_s), c->sc.duration_s, std::chrono::duration<double>(w - wall0).count(), false);
      }
    }
  }
  if (c->opt.progress)
    draw_progress(c->sc.duration_s, c->sc.duration_s,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(), true);
}

void write_truth(Context& c) {
  const double horizon = c.sc.duration_s;
  for (const auto& v : c.world.crew().voids) c.trace.truth_void(v);
  for (const auto& s : c.world.crew().transitions) c.trace.truth_crew(s);
  for (const auto& w : c.world.los()) c.trace.truth_los(w);
  const auto& pt = c.world.plant().truth();
  for (const auto& p : pt.tank)
    if (p.t_s <= horizon) c.trace.truth_tank(p);
  for (const auto& s : pt.upa_states)
    if (s.t_s <= horizon) c.trace.truth_upa(s);
  for (const auto& e : pt.tank_full) c.trace.truth_tank_full(e);
  for (const auto& b : c.world.bulk()) c.trace.truth_bulk(b);
}

}  // namespace

long peak_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

RunStats run_simulation(const Scenario& sc, const RunOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  TraceMeta meta;
  meta.mode = "sim";
  meta.seed = sc.seed;
  meta.scenario_name = sc.name;
  meta.scenario_toml = sc.source_text;
  meta.overrides = sc.overrides;
  meta.epoch_utc = format_utc(sc.epoch_unix_s);
  meta.epoch_unix_s = sc.epoch_unix_s;
  meta.duration_s = sc.duration_s;
  meta.created_utc = format_utc(static_cast<double>(std::time(nullptr)));
  meta.has_truth = true;
  meta.detector = sc.pipeline.detector.kind;
  TraceWriter trace(opt.trace_path, meta);

  sg::Engine& e = make_engine();
  configure_exact_network(e);

  auto ctx = std::make_unique<Context>(sc, trace, opt);
  Context* c = ctx.get();
  g_ctx = c;
  c->pf = build_platform(e, sc.network, c->world.los(), c->faults.windows(FaultKind::kPartition));
  c->to_ls = sg::Mailbox::by_name("lsserver");
  c->to_host = sg::Mailbox::by_name("peebot");

  {
    std::vector<std::string> names;
    for (int i = 0; i < c->dict.size(); ++i) names.push_back(item_name(static_cast<ItemId>(i)));
    trace.set_item_names(names);
  }

  sg::Actor::create("downlink", c->pf.iss, downlink_actor, c);
  auto receiver = sg::Actor::create("receiver", c->pf.lsserver, receiver_actor, c);
  receiver->daemonize();
  sg::Actor::create("publisher", c->pf.lsserver, publisher_actor, c);
  auto ingest = sg::Actor::create("ingest", c->pf.peebot, ingest_actor, c);
  ingest->daemonize();
  // Permanent receivers: a frame starts crossing the network when it is sent,
  // not when the receiver asks for it (no rendez-vous serialising the path).
  c->to_ls->set_receiver(receiver);
  c->to_host->set_receiver(ingest);
  sg::Actor::create("detector", c->pf.peebot, detector_actor, c)->daemonize();
  sg::Actor::create("store", c->pf.peebot, store_actor, c)->daemonize();
  sg::Actor::create("tweet", c->pf.peebot, tweet_actor, c)->daemonize();
  sg::Actor::create("monitor", c->pf.peebot, monitor_actor, c);
  e.run();

  // Close what the stream left open, then the ground truth.
  {
    std::vector<Detection> out;
    c->detector->finish(out);
    for (auto& d : out) {
      d.emitted_s = sg::Engine::get_clock();
      trace.detection(d);
      ++c->stats.detections;
    }
  }
  c->book.close_all();
  write_truth(*c);
  trace.finish();

  RunStats st = c->stats;
  st.virtual_s = sc.duration_s;
  st.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  g_ctx = nullptr;
  for (Frame* f : c->frame_pool) delete f;
  c->frame_pool.clear();
  ctx.reset();  // while the engine (which owns the kernel side of its mutexes) is alive
  return st;
}

}  // namespace peebot
