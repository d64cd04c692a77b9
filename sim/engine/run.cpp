// The virtual-time runtime. Actors only move records and spend service time;
// every decision is made by a stage object from sim/pipeline/ or a model from
// models/.
//
//   iss:      downlink   world + background -> frame every network.frame_interval
//   lsserver: receiver   MERGE (publish only changed values)
//             publisher  every network.signal_period: TIME_000001 (AOS/LOS) + merged updates -> frame
//   peebot:   the host pipeline of pipeline.architecture (host_<name>.cpp,
//             HostPipeline in context.hpp): ingest, detector, store, tweet, ...
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
#include "../pipeline/architecture.hpp"
#include "../util/files.hpp"
#include "context.hpp"
#include "feed.hpp"

namespace peebot {

namespace sg = simgrid::s4u;
using namespace engine;

namespace {

Context* g_ctx = nullptr;  // for detached-comm clean-up callbacks only
HostPipeline* g_host = nullptr;  // the host architecture the monitor samples

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
    Frame* f = c->frame_of(scratch, skew);
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
    c->merge_to_outbox(f);
  }
}

void publisher_actor(Context* c) {
  const double P = c->sc.network.signal_period_s;
  const double end = c->sc.duration_s + c->opt.drain_s;
  std::vector<std::pair<double, Wire>> held;  // (release time, update): re-sent copies and held-back updates
  for (double t = P; t <= end; t += P) {
    sg::this_actor::sleep_until(t);
    Frame* f = c->publish_tick(t, held, t + P > end, !c->pf.ls_host->is_on());
    if (f) send_frame(c, c->to_host, f);
  }
}

}  // namespace

void engine::draw_progress(double virt, double total, double wall, bool final) {
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

namespace {

// Samples queue depths and draws progress; its end ends the run (the others are daemons).
void monitor_actor(Context* c) {
  const double period = c->sc.trace.queue_sample_period_s;
  const double end = c->sc.duration_s + c->opt.drain_s;
  const auto wall0 = std::chrono::steady_clock::now();
  auto last_draw = wall0;
  for (double t = period; t <= end + 1e-9; t += period) {
    sg::this_actor::sleep_until(std::min(t, end));
    const double now = sg::Engine::get_clock();
    g_host->sample_queues(c, now);
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

std::string event_engine_unsupported(const Scenario& sc) {
  if (!architecture(sc.pipeline.architecture).event_engine)
    return "pipeline.architecture \"" + sc.pipeline.architecture + "\" runs on the actors engine only";
  return FeedPath::unsupported(sc);
}

RunStats run_simulation(const Scenario& sc, const RunOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  // A host fault the architecture does not model must not run as if absent.
  // (Every other kind is a network kind, which the engine applies whatever
  // the architecture: partition, duplicate, reorder, clock_skew.)
  if (const std::string bad = unhonoured_host_faults(sc); !bad.empty()) throw ScenarioError(bad);
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
  bool events = opt.engine != EngineKind::kActors;
  if (events) {
    const std::string why = event_engine_unsupported(sc);
    if (!why.empty() && opt.engine == EngineKind::kEvent) throw ScenarioError("--engine event: " + why);
    events = why.empty();
  }
  install_interrupt_cleanup();  // again below, once SimGrid has set its own
  TraceWriter trace(opt.trace_path, meta);

  sg::Engine& e = make_engine();
  configure_exact_network(e);
  // SIGINT / SIGTERM: remove the unfinished trace temporary, say so, exit
  // 130 / 143 (after the engine: SimGrid sets handlers of its own).
  install_interrupt_cleanup();

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

  std::unique_ptr<FeedPath> feed;
  std::unique_ptr<HostPipeline> host;
  if (events) {  // the feed and the host in closed form (feed.hpp, host_direct.cpp)
    feed = std::make_unique<FeedPath>(c);
    host = make_direct_events_host(*feed);
    g_host = host.get();
    host->start(c);
  } else {
    sg::Actor::create("downlink", c->pf.iss, downlink_actor, c);
    auto receiver = sg::Actor::create("receiver", c->pf.lsserver, receiver_actor, c);
    receiver->daemonize();
    sg::Actor::create("publisher", c->pf.lsserver, publisher_actor, c);
    // Permanent receivers: a frame starts crossing the network when it is sent,
    // not when the receiver asks for it (no rendez-vous serialising the path).
    c->to_ls->set_receiver(receiver);
    host = make_host_pipeline(sc);
    g_host = host.get();
    c->to_host->set_receiver(host->start(c));
    sg::Actor::create("monitor", c->pf.peebot, monitor_actor, c);
  }
  e.run();

  // Close what the stream left open, then the ground truth.
  host->finish(c);
  feed.reset();
  c->book.close_all();
  write_truth(*c);
  trace.finish();

  RunStats st = c->stats;
  st.engine = events ? "event" : "actors";
  st.virtual_s = sc.duration_s;
  st.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  g_ctx = nullptr;
  g_host = nullptr;
  for (Frame* f : c->frame_pool) delete f;
  c->frame_pool.clear();
  ctx.reset();  // while the engine (which owns the kernel side of its mutexes) is alive
  return st;
}

}  // namespace peebot
