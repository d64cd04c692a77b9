// `peebot live`: the TLCP client feeding the pipeline stages in wall time,
// recording an SWMR trace, with /healthz and /metrics. Blocks until stopped
// (signal, --duration, --max-updates, or a fatal error).
#pragma once
#include <cstdint>
#include <string>

#include "../pipeline/params.hpp"
#include "client.hpp"

namespace peebot::live {

struct LiveOptions {
  ClientOptions client;
  PipelineParams pipeline;
  std::string record;                // trace path ("" = no recording)
  std::string post = "dry-run";      // only dry-run is built
  double duration_s = 0;             // stop after this long (0 = until a signal)
  std::uint64_t max_updates = 0;     // stop after this many updates accepted by ingest (0 = no limit)
  double idle_exit_s = 0;            // stop after this long without an update, once one arrived (0 = never)
  int feed_year = 0;                 // year of the feed's TimeStamps (0 = the current UTC year)
  double flush_interval_s = 1.0;     // SWMR flush period
  int metrics_port = -1;             // -1 = no ops endpoints; 0 = any free port
  std::string log_format = "text";   // "text" | "json"
  bool status_line = false;          // one-line status on stderr (a terminal)
  bool handle_signals = true;
};

struct LiveResult {
  std::uint64_t updates = 0, accepted = 0, duplicates = 0, stale = 0, detections = 0, posts_sent = 0;
  ClientCounters client;
  std::string fatal;                 // non-empty: the client gave up (why)
  double wall_s = 0;
  double stream_s = 0;               // first to last update received
};

LiveResult run_live(const LiveOptions& o);

}  // namespace peebot::live
