// `peebot live`: the TLCP client feeding the pipeline stages in wall time,
// recording an SWMR trace, with /healthz and /metrics. Blocks until stopped
// (signal, --duration, --max-updates, or a fatal error).
#pragma once
#include <cstdint>
#include <string>

#include "../pipeline/params.hpp"
#include "../tlcp/client.hpp"
#include "posting.hpp"

namespace peebot::live {

struct LiveOptions {
  ClientOptions client;
  PipelineParams pipeline;
  std::string record;                // trace path ("" = no recording)
  std::string post = "dry-run";      // dry-run | mastodon | x
  std::string post_url;              // API base URL (mastodon: the instance; x: default https://api.x.com)
  Credentials credentials;           // from load_credentials (environment or a mode-600 file)
  std::string post_state;            // the last posted detection is kept here ("" = not kept)
  double post_timeout_s = 10.0;      // bound of one HTTP request to the API
  double duration_s = 0;             // stop after this long (0 = until a signal)
  std::uint64_t max_updates = 0;     // stop after this many updates accepted by ingest (0 = no limit)
  double idle_exit_s = 0;            // stop after this long without an update, once one arrived (0 = never)
  // /healthz is unhealthy after this long without an update (or since the SUBOK when none came yet):
  // longer than the feed is ever quiet. -1: the default, 60 s when TIME_000001 (the ground clock,
  // about one update a second) is subscribed, else 6 h (the tank alone stays flat for hours); 0: never.
  double max_quiet_s = -1;
  int feed_year = 0;                 // year of the feed's TimeStamps (0 = the current UTC year)
  double flush_interval_s = 1.0;     // SWMR flush period
  // Store flush policy: a batch is committed when full (pipeline.store.batch_size) or once its oldest
  // record has waited this long (or pipeline.store.flush_interval when shorter), at the end of a read or
  // by a timer if no read comes. 0 (the default): what each read brought is committed at its end.
  double store_max_wait_s = 0.0;
  int metrics_port = -1;             // -1 = no ops endpoints; 0 = any free port
  std::string log_format = "text";   // "text" | "json"
  bool status_line = false;          // one-line status on stderr (a terminal)
  bool handle_signals = true;
};

struct LiveResult {
  std::uint64_t updates = 0, accepted = 0, duplicates = 0, stale = 0, detections = 0, posts_sent = 0, posts_failed = 0,
                posts_already = 0;
  ClientCounters client;
  std::string fatal;                 // non-empty: the client gave up (why)
  double wall_s = 0;
  double stream_s = 0;               // first to last update received
  // CPU time (user + sys, getrusage) of this process: in all until the trace
  // was finished, and from the first update received until then (the pipeline's
  // share: decode, ingest, detect, store, without start-up).
  double cpu_total_s = 0;
  double cpu_stream_s = 0;
};

LiveResult run_live(const LiveOptions& o);

}  // namespace peebot::live
