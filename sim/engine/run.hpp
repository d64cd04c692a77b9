// Runs a scenario in virtual time on SimGrid and writes its trace.
// One run per process: SimGrid's engine is a process-wide singleton.
#pragma once
#include <cstdint>
#include <string>

#include "../scenario/scenario.hpp"

namespace peebot {

// Which runtime moves the feed (docs/architecture.md, "Where a simulated second goes").
enum class EngineKind {
  kAuto,    // "event" where it applies (architecture direct, no shared network hop), else "actors"
  kEvent,   // the feed and the host pipeline in closed form, SimGrid for tweets, samples and the run's clock
  kActors,  // the reference: one SimGrid actor per stage, one comm per frame and hop
};

struct RunOptions {
  std::string trace_path;     // where the trace goes (written as .tmp, renamed when complete)
  bool progress = false;      // draw a progress bar on stderr
  double drain_s = 900;       // virtual time after the scenario's end to let in-flight work finish
  EngineKind engine = EngineKind::kAuto;
};

struct RunStats {
  double virtual_s = 0.0;          // simulated span (scenario duration)
  double wall_s = 0.0;             // wall-clock time of the run
  std::uint64_t updates_emitted = 0;   // by the ISS, the background and the ground
  std::uint64_t updates_lost = 0;      // in LOS or killed in flight
  std::uint64_t updates_ingested = 0;  // received by our host's ingest
  std::uint64_t frames = 0;            // SimGrid sends of update frames
  std::uint64_t detections = 0;
  std::uint64_t posts = 0;
  std::uint64_t updates_replayed = 0;  // processed again after a restart (host architectures, docs/architectures.md)
  std::uint64_t restarts = 0;          // host services restarted after a crash
  std::uint64_t updates_skipped = 0;   // polling: stored but behind last_processed_at, never analysed
  const char* engine = "actors";       // the engine that ran: "event" or "actors"
};

// Why the event engine cannot run this scenario (its architecture, or a
// network hop that could carry two frames at once); empty when it can.
std::string event_engine_unsupported(const Scenario& sc);

RunStats run_simulation(const Scenario& sc, const RunOptions& opt);

}  // namespace peebot
