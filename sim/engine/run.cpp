// The virtual-time runtime. Actors only move records and spend service time;
// every decision is made by a stage object from sim/pipeline/ or a model from
// models/. The processes (actors engine):
//
//   iss:      Downlink     world + background -> frame every network.frame_interval
//   lsserver: LsReceiver   MERGE (publish only changed values)
//             LsPublisher  every network.signal_period: TIME_000001 (AOS/LOS) + merged updates -> frame
//   peebot:   the host pipeline of pipeline.architecture (host_<name>.cpp,
//             HostPipeline in context.hpp): ingest, detector, store, tweet, ...
//             Monitor      queue depths, progress; ends the run
// (actors.hpp; the ISS and the Lightstreamer server's logic, which the
// event engine shares, in ground.hpp).
#include "run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "../../models/iss_time.hpp"
#include "../pipeline/architecture.hpp"
#include "../util/files.hpp"
#include "actors.hpp"
#include "feed.hpp"

namespace peebot {

namespace sg = simgrid::s4u;
using namespace engine;

namespace {

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
  c->pf = build_platform(e, sc.network, c->world.los(), c->faults.windows(FaultKind::kPartition));
  sg::Mailbox* to_ls = sg::Mailbox::by_name("lsserver");
  c->to_host = sg::Mailbox::by_name("peebot");

  {
    std::vector<std::string> names;
    for (int i = 0; i < c->dict.size(); ++i) names.push_back(item_name(static_cast<ItemId>(i)));
    trace.set_item_names(names);
  }

  // The processes (actors.hpp, ground.hpp, the host's); they outlive e.run().
  std::unique_ptr<FeedPath> feed;
  std::unique_ptr<HostPipeline> host;
  std::unique_ptr<FrameSender> sender;
  std::unique_ptr<LightstreamerServer> ls;
  std::unique_ptr<Downlink> downlink;
  std::unique_ptr<LsReceiver> receiver;
  std::unique_ptr<LsPublisher> publisher;
  std::unique_ptr<Monitor> monitor;
  if (events) {  // the feed and the host in closed form (feed.hpp, host_direct.cpp)
    feed = std::make_unique<FeedPath>(c);
    host = make_direct_events_host(*feed, sc);
    host->start(c);
  } else {
    sender = std::make_unique<FrameSender>(*c);
    ls = std::make_unique<LightstreamerServer>(*c);
    downlink = std::make_unique<Downlink>(*c, *sender, to_ls);
    receiver = std::make_unique<LsReceiver>(*ls, to_ls);
    publisher = std::make_unique<LsPublisher>(*c, *ls, *sender, c->to_host);
    sg::Actor::create("downlink", c->pf.iss, [d = downlink.get()] { d->main(); });
    auto rx = daemon("receiver", c->pf.lsserver, [r = receiver.get()] { r->main(); });
    sg::Actor::create("publisher", c->pf.lsserver, [p = publisher.get()] { p->main(); });
    // Permanent receivers: a frame starts crossing the network when it is sent,
    // not when the receiver asks for it (no rendez-vous serialising the path).
    to_ls->set_receiver(rx);
    host = make_host_pipeline(sc);
    c->to_host->set_receiver(host->start(c));
    monitor = std::make_unique<Monitor>(*c, *host);
    sg::Actor::create("monitor", c->pf.peebot, [m = monitor.get()] { m->main(); });
  }
  e.run();

  // Close what the stream left open, then the ground truth.
  host->finish(c);
  feed.reset();
  ls.reset();
  c->book.close_all();
  write_truth(*c);
  trace.finish();

  RunStats st = c->stats;
  st.engine = events ? "event" : "actors";
  st.virtual_s = sc.duration_s;
  st.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  sender.reset();  // frames still in flight are freed by their comms' clean-up, not counted
  for (Frame* f : c->frame_pool) delete f;
  c->frame_pool.clear();
  ctx.reset();  // while the engine (which owns the kernel side of its mutexes) is alive
  return st;
}

}  // namespace peebot
