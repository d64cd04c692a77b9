// peebot live [--record TRACE.h5] [--server URL] [--adapter-set ISSLIVE] [--items ...] [--post dry-run|mastodon|x]
#include <cmath>
#include <iostream>

#include "../wallclock/live.hpp"
#include "../wallclock/post_state.hpp"
#include "../pipeline/detector.hpp"
#include "../scenario/scenario.hpp"
#include "cli.hpp"

namespace peebot::cli {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ') { if (!cur.empty()) out.push_back(cur); cur.clear(); }
    else cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

int cmd_live(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot live [--record TRACE.h5] [--server URL] [--adapter-set ISSLIVE]\n"
      "                   [--items A,B,...] [--post dry-run|mastodon|x] [options]\n\n"
      "Follows the ISS urine tank on a Lightstreamer server in real time (TLCP 2.5 over\n"
      "WebSocket, or HTTP streaming as the fallback; TLS with wss:// or https://) and runs the pipeline's ingest -> detect -> store ->\n"
      "post stages, the same code as the simulator, in wall time. The real feed:\n"
      "  peebot live --server wss://push.lightstreamer.com/lightstreamer --adapter-set ISSLIVE --record live.h5\n"
      "The trace is written with SWMR: `peebot-view` and h5py can follow LIVE.h5.tmp\n"
      "while the run lasts; it is renamed to LIVE.h5 on a clean stop (SIGINT/SIGTERM).\n"
      "Dropped connections are recovered (LS_recovery_from); failing that, a new session\n"
      "is opened with capped exponential backoff and jitter; resent values are dropped\n"
      "by ingest as duplicates.\n\n"
      "Posting (--post): dry-run prints and records each post; mastodon POSTs to\n"
      "--post-url/api/v1/statuses (token: PEEBOT_MASTODON_TOKEN), x to /2/tweets with\n"
      "OAuth 1.0a (PEEBOT_X_API_KEY, PEEBOT_X_API_SECRET, PEEBOT_X_ACCESS_TOKEN,\n"
      "PEEBOT_X_ACCESS_SECRET). Credentials come from the environment or --credentials\n"
      "FILE (NAME=VALUE lines, mode 600), never from scenarios; they are never logged.\n"
      "The last posted detection is kept in --post-state: a restarted run does not\n"
      "post it, or anything before it, again.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("server", po::value<std::string>()->default_value("wss://push.lightstreamer.com/lightstreamer"), "server URL (ws://, wss://, http:// or https://)")
      ("adapter-set", po::value<std::string>()->default_value("ISSLIVE"), "adapter set")
      ("items", po::value<std::string>()->default_value("NODE3000005,NODE3000004,NODE3000008,NODE3000009,TIME_000001"),
       "items to subscribe (comma-separated)")
      ("fields", po::value<std::string>()->default_value("TimeStamp,Value,Status.Class"), "fields (must include TimeStamp and Value)")
      ("record", po::value<std::string>(), "record a trace (HDF5, SWMR) to this file")
      ("scenario", po::value<std::string>(), "take the pipeline settings ([pipeline.*]) from this scenario file")
      ("detector", po::value<std::string>(), "detector kind (step|rule; default: the scenario's, else step)")
      ("post", po::value<std::string>()->default_value("dry-run"), "posting: dry-run (print and record), mastodon or x")
      ("post-url", po::value<std::string>(), "API base URL (mastodon: https://YOUR.INSTANCE, required; x: default https://api.x.com)")
      ("credentials", po::value<std::string>(), "read the poster's credentials from this file (mode 600) instead of the environment")
      ("post-state", po::value<std::string>(), "file keeping the last posted detection (default for mastodon/x: peebot-post.state; dry-run: none)")
      ("post-timeout", po::value<double>()->default_value(10.0), "bound of one API request, s")
      ("duration", po::value<double>()->default_value(0), "stop after this many seconds (0: run until SIGINT/SIGTERM)")
      ("max-updates", po::value<long long>()->default_value(0), "stop after this many updates accepted by ingest (0: no limit)")
      ("idle-exit", po::value<double>()->default_value(0), "stop after this many seconds without an update, once one arrived (0: never)")
      ("max-quiet", po::value<double>(),
       "/healthz turns unhealthy after this many seconds without an update (default: 60 with TIME_000001 subscribed, "
       "else 21600; 0: never)")
      ("feed-year", po::value<int>()->default_value(0), "year of the feed's TimeStamps (0: the current UTC year)")
      ("flush-interval", po::value<double>()->default_value(1.0), "SWMR flush period, s: a crash loses at most this much")
      ("store-max-wait", po::value<double>()->default_value(0.0),
       "store flush policy: commit a batch when full or once its oldest record has waited this long, s "
       "(or the scenario's shorter pipeline.store.flush_interval); 0: at the end of each read")
      ("keepalive", po::value<double>()->default_value(5.0), "keepalive to ask of the server, s (the stall watchdog fires after it + 3 s)")
      ("metrics-port", po::value<int>()->default_value(-1), "serve /healthz and /metrics on 127.0.0.1:PORT (0: any free port; -1: off)")
      ("log-format", po::value<std::string>()->default_value("text"), "text (stderr) or json (one object per line on stdout)")
      ("max-failures", po::value<int>()->default_value(-1), "give up after this many consecutive failed connections (-1: never)")
      ("transport", po::value<std::string>()->default_value("auto"),
       "auto (WebSocket, falling back to HTTP streaming when it cannot be opened), ws or http")
      ("ca-file", po::value<std::string>(), "TLS: trust the PEM certificates in this file instead of the system's");
  po::positional_options_description pos;
  const auto vm = parse_args("live", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  live::LiveOptions o;
  o.client.url = vm["server"].as<std::string>();
  try {
    (void)live::parse_url(o.client.url);
  } catch (const std::invalid_argument& e) {
    throw UsageError("live", std::string("--server: ") + e.what());
  }
  o.client.adapter_set = vm["adapter-set"].as<std::string>();
  o.client.items = split_list(vm["items"].as<std::string>());
  o.client.fields = split_list(vm["fields"].as<std::string>());
  if (o.client.items.empty()) throw UsageError("live", "--items is empty");
  bool has_ts = false, has_val = false;
  for (const auto& f : o.client.fields) { has_ts |= f == "TimeStamp"; has_val |= f == "Value"; }
  if (!has_ts || !has_val) throw UsageError("live", "--fields must include TimeStamp and Value");
  o.client.keepalive_s = vm["keepalive"].as<double>();
  if (!(o.client.keepalive_s > 0) || o.client.keepalive_s > 3600)
    throw UsageError("live", "--keepalive must be > 0 and at most 3600 (seconds)");
  o.client.max_failures = vm["max-failures"].as<int>();
  if (o.client.max_failures < -1) throw UsageError("live", "--max-failures must be >= 0, or -1 for never");
  o.client.transport = vm["transport"].as<std::string>();
  if (o.client.transport != "auto" && o.client.transport != "ws" && o.client.transport != "http")
    throw UsageError("live", "--transport must be auto, ws or http (got \"" + o.client.transport + "\")");
  if (vm.count("ca-file")) o.client.ca_file = vm["ca-file"].as<std::string>();
  if (vm.count("scenario")) o.pipeline = load_scenario(vm["scenario"].as<std::string>()).pipeline;
  if (vm.count("detector")) o.pipeline.detector.kind = vm["detector"].as<std::string>();
  if (o.pipeline.detector.kind != "step" && o.pipeline.detector.kind != "rule") {
    try { (void)make_detector(o.pipeline.detector); } catch (const std::invalid_argument& e) { throw UsageError("live", e.what()); }
  }
  o.post = vm["post"].as<std::string>();
  if (o.post != "dry-run" && o.post != "mastodon" && o.post != "x")
    throw UsageError("live", "--post must be dry-run, mastodon or x (got \"" + o.post + "\")");
  if (vm.count("post-url")) o.post_url = vm["post-url"].as<std::string>();
  o.post_timeout_s = vm["post-timeout"].as<double>();
  if (!(o.post_timeout_s > 0) || o.post_timeout_s > 3600) throw UsageError("live", "--post-timeout must be > 0 and at most 3600 (seconds)");
  if (vm.count("post-state")) o.post_state = vm["post-state"].as<std::string>();
  if (o.post != "dry-run") {
    const std::string file = vm.count("credentials") ? vm["credentials"].as<std::string>() : "";
    try {
      o.credentials = live::load_credentials(o.post, file);
    } catch (const std::invalid_argument& e) {
      if (!file.empty()) throw InputError(e.what());
      throw UsageError("live", e.what());
    }
    try {
      (void)live::make_http_sink(o.post, o.post_url, o.credentials);
    } catch (const std::invalid_argument& e) {
      throw UsageError("live", e.what());
    }
    if (o.post_state.empty()) o.post_state = "peebot-post.state";
  } else if (vm.count("credentials") || vm.count("post-url")) {
    throw UsageError("live", "--credentials and --post-url are for --post mastodon or x");
  }
  if (!o.post_state.empty()) {
    try {
      (void)live::PostState(o.post_state);
    } catch (const std::invalid_argument& e) {
      throw InputError(e.what());
    }
  }
  if (vm.count("record")) o.record = vm["record"].as<std::string>();
  // Every number is checked here (a negative or NaN --duration, --max-updates -1 read as 2^64-1, ...).
  auto check_s = [&](const char* name, double v, bool zero_ok) {
    if (!std::isfinite(v) || v < 0 || (!zero_ok && v == 0))
      throw UsageError("live", std::string("--") + name + " must be a finite number of seconds " + (zero_ok ? ">= 0" : "> 0"));
    return v;
  };
  o.duration_s = check_s("duration", vm["duration"].as<double>(), true);
  const long long max_updates = vm["max-updates"].as<long long>();
  if (max_updates < 0) throw UsageError("live", "--max-updates must be >= 0 (0: no limit)");
  o.max_updates = static_cast<std::uint64_t>(max_updates);
  o.feed_year = vm["feed-year"].as<int>();
  if (o.feed_year != 0 && (o.feed_year < 1970 || o.feed_year > 9999))
    throw UsageError("live", "--feed-year must be a year from 1970 to 9999 (0: the current UTC year)");
  o.idle_exit_s = check_s("idle-exit", vm["idle-exit"].as<double>(), true);
  if (vm.count("max-quiet")) o.max_quiet_s = check_s("max-quiet", vm["max-quiet"].as<double>(), true);
  o.flush_interval_s = check_s("flush-interval", vm["flush-interval"].as<double>(), false);
  o.store_max_wait_s = vm["store-max-wait"].as<double>();
  if (!(o.store_max_wait_s >= 0) || !std::isfinite(o.store_max_wait_s))
    throw UsageError("live", "--store-max-wait must be >= 0 (seconds)");
  o.metrics_port = vm["metrics-port"].as<int>();
  if (o.metrics_port < -1 || o.metrics_port > 65535)
    throw UsageError("live", "--metrics-port must be a TCP port 0..65535 (0: any free one), or -1 for none");
  o.log_format = vm["log-format"].as<std::string>();
  if (o.log_format != "text" && o.log_format != "json") throw UsageError("live", "--log-format must be text or json");
  o.status_line = o.log_format == "text" && stderr_is_tty();
  const live::LiveResult r = live::run_live(o);
  std::fprintf(stderr,
               "peebot live: %llu updates (%llu accepted, %llu duplicates, %llu stale), %llu sessions, %llu recoveries, "
               "%llu reconnects, %llu detections, %llu posts (%llu failed, %llu posted before a restart)\n",
               static_cast<unsigned long long>(r.updates), static_cast<unsigned long long>(r.accepted),
               static_cast<unsigned long long>(r.duplicates), static_cast<unsigned long long>(r.stale),
               static_cast<unsigned long long>(r.client.sessions), static_cast<unsigned long long>(r.client.recoveries),
               static_cast<unsigned long long>(r.client.reconnects), static_cast<unsigned long long>(r.detections),
               static_cast<unsigned long long>(r.posts_sent), static_cast<unsigned long long>(r.posts_failed),
               static_cast<unsigned long long>(r.posts_already));
  if (r.stream_s > 0)
    std::fprintf(stderr, "peebot live: %.0f updates/s from the first update to the last (%.3f s)\n",
                 static_cast<double>(r.updates) / r.stream_s, r.stream_s);
  if (r.cpu_stream_s > 0)
    std::fprintf(stderr,
                 "peebot live: %.0f updates per CPU-second from the first update to the end (%.3f s user+sys; "
                 "%.3f s for the whole process)\n",
                 static_cast<double>(r.updates) / r.cpu_stream_s, r.cpu_stream_s, r.cpu_total_s);
  if (!r.fatal.empty()) {
    std::fprintf(stderr, "peebot live: gave up: %s\n", r.fatal.c_str());  // redacted and escaped by run_live
    return 1;
  }
  return 0;
}

}  // namespace

PEEBOT_COMMAND("live", "follow the real feed (TLCP over WebSocket) through the pipeline in wall time", cmd_live);

}  // namespace peebot::cli
