#include "live.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>

#include <sys/resource.h>

#include <boost/asio.hpp>

#include "../../models/iss_time.hpp"
#include "../report/json.hpp"
#include "../scenario/scenario.hpp"
#include "../util/text.hpp"
#include "../tlcp/feed.hpp"
#include "ops.hpp"
#include "post_state.hpp"
#include "runner.hpp"

namespace peebot::live {

namespace net = boost::asio;

namespace {

// User + system CPU seconds of this process so far.
double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double wall_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool parse_double(const std::optional<std::string>& s, double& out) {
  if (!s || s->empty()) return false;
  // std::from_chars rounds as strtod does and is several times faster; what it
  // does not take whole ("+1", " 1", hex, out of range) goes to strtod as before.
  const char* b = s->data();
  const char* e = b + s->size();
  if (const auto r = std::from_chars(b, e, out); r.ec == std::errc{} && r.ptr == e) return std::isfinite(out);
  char* end = nullptr;
  out = std::strtod(s->c_str(), &end);
  return end == s->c_str() + s->size() && std::isfinite(out);
}

}  // namespace

LiveResult run_live(const LiveOptions& o) {
  const auto wall0 = std::chrono::steady_clock::now();
  net::io_context ioc;
  const double epoch = std::floor(wall_unix());
  int year = o.feed_year;
  if (year == 0) {
    std::int64_t y; unsigned m, d;
    civil_from_days(static_cast<std::int64_t>(std::floor(epoch / 86400.0)), y, m, d);
    year = static_cast<int>(y);
  }
  // Every log line, whatever its source (the server's messages, an API's error body), goes out with
  // the configured secrets redacted and control bytes escaped (docs/security.md).
  const Redactor redact(o.credentials);
  auto log = [&](const char* level, const std::string& msg) {
    const std::string safe = printable(redact(msg));
    if (o.log_format == "json")
      std::fputs(dump_json(Json{{"t", format_utc(wall_unix(), true)}, {"level", level}, {"msg", safe}}, -1).c_str(), stdout),
          std::fflush(stdout);
    else
      std::fprintf(stderr, "%speebot live: %s%s\n", o.status_line ? "\r\033[K" : "", level[0] == 'e' ? "error: " : "", safe.c_str());
  };

  std::unique_ptr<TraceWriter> trace;
  if (!o.record.empty()) {
    TraceMeta m;
    m.mode = "live";
    m.scenario_name = "live " + redact(o.client.url);
    m.epoch_unix_s = epoch;
    m.epoch_utc = format_utc(epoch);
    m.detector = o.pipeline.detector.kind;
    TraceWriter::Options to;
    to.swmr = true;
    trace = std::make_unique<TraceWriter>(o.record, m, to);
    log("info", "recording to " + o.record + " (SWMR: readers open " + o.record + ".tmp while the run lasts)");
  }
  std::unique_ptr<PostSink> sink;
  if (o.post == "dry-run") sink = std::make_unique<DryRunSink>(o.log_format != "json");
  else sink = make_http_sink(o.post, o.post_url, o.credentials, o.post_timeout_s);
  std::unique_ptr<PostState> post_state;
  if (!o.post_state.empty()) post_state = std::make_unique<PostState>(o.post_state);
  PipelineParams pipeline = o.pipeline;
  pipeline.store.flush_interval_s = std::min(pipeline.store.flush_interval_s, o.store_max_wait_s);
  Runner runner(pipeline, trace.get(), epoch, sink.get(), o.flush_interval_s);
  runner.set_state(post_state.get());
  if (post_state && post_state->has_posted())
    log("info", "post state " + o.post_state + ": " + std::to_string(post_state->posted()) + " posted so far, the last " +
                    post_state->last_key() + "; detections up to it are skipped");
  runner.on_log = [&](const char* level, const std::string& msg) { log(level, msg); };
  if (o.post == "dry-run" && o.log_format == "json")
    runner.on_post = [&](const Post& p) {
      if (p.outcome == PostOutcome::kSent) log("info", "[dry-run] post: " + p.text);
    };
  runner.on_detection = [&](const Detection& d) {
    char b[160];
    std::snprintf(b, sizeof b, "detection #%llu: +%.0f %% (%.0f mL), %s", static_cast<unsigned long long>(d.id), d.size_pct,
                  d.size_ml, d.kind == DetectionKind::kUrination ? "urination" : "bulk transfer");
    log("info", b);
  };

  // Subscription layout: item index -> ItemId; field positions.
  std::vector<int> item_ids;
  for (const auto& name : o.client.items) {
    int id = -1;
    for (int i = 0; i < kNamedItems; ++i)
      if (named_item(static_cast<ItemId>(i)) == name) id = i;
    item_ids.push_back(id);
  }
  int f_ts = -1, f_val = -1, f_status = -1;
  for (std::size_t i = 0; i < o.client.fields.size(); ++i) {
    if (o.client.fields[i] == "TimeStamp") f_ts = static_cast<int>(i);
    if (o.client.fields[i] == "Value") f_val = static_cast<int>(i);
    if (o.client.fields[i] == "Status.Class") f_status = static_cast<int>(i);
  }
  if (f_ts < 0 || f_val < 0) throw std::invalid_argument("the field list must contain TimeStamp and Value");

  LiveResult res;
  std::uint64_t bad_values = 0;
  bool warned_year = false;  // the feed-year warning is given once
  FeedClock feed_clock(year);
  FeedSequencer sequencer;  // which updates are new, which resent (see feed.hpp)
  std::unique_ptr<TlcpClient> client;
  bool stopping = false;
  net::steady_timer ticker(ioc);
  net::steady_timer commit_timer(ioc);  // the store's deadline when no read comes before it
  double commit_armed_for = 1e300;      // the deadline commit_timer waits for (1e300: none)
  auto stop_all = [&]() {
    if (stopping) return;
    stopping = true;
    if (client) client->stop();
    ticker.cancel();
    commit_timer.cancel();
    ioc.stop();
  };

  ClientHandler h;
  h.on_log = [&](const std::string& s) { log("info", s); };
  h.on_fatal = [&](const std::string& s) { res.fatal = printable(redact(s)); log("error", s); stop_all(); };
  h.on_new_session = [&] { sequencer.new_session(); };
  // Group commit: what one read brought is committed when the store's flush interval says so, not 100 ms later.
  // ...and a batch left waiting is committed by a timer at its deadline (store_max_wait_s), not by the 100 ms tick.
  std::function<void()> arm_commit = [&]() {
    const double due = runner.commit_due_s();
    if (stopping || due >= commit_armed_for) return;
    commit_armed_for = due;
    const double wait_s = std::max(0.0, due - (wall_unix() - epoch));
    commit_timer.expires_after(std::chrono::microseconds(static_cast<long>(wait_s * 1e6) + 1));
    commit_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;  // re-armed for an earlier deadline, or stopping
      commit_armed_for = 1e300;
      if (stopping) return;
      runner.tick(wall_unix() - epoch);
      arm_commit();
    });
  };
  h.on_batch = [&]() {
    runner.tick(wall_unix() - epoch);
    arm_commit();
  };
  double cpu_first = -1;  // process CPU time at the first update
  h.on_update = [&](int item, const tlcp::ItemState& st, int item1) {
    if (cpu_first < 0) cpu_first = process_cpu_s();
    const double now = wall_unix() - epoch;
    if (item < 0 || item >= static_cast<int>(item_ids.size()) || item_ids[static_cast<std::size_t>(item)] < 0) return;
    double ts = 0, value = 0, status = kStatusAos;
    if (!parse_double(st.value(item1, f_ts), ts) || !parse_double(st.value(item1, f_val), value)) {
      if (bad_values++ < 10) log("warn", "update of " + o.client.items[static_cast<std::size_t>(item)] + " without a numeric TimeStamp/Value: skipped");
      return;
    }
    if (f_status >= 0) parse_double(st.value(item1, f_status), status);
    const double emit_unix = feed_clock.unix_of(ts);
    if (feed_clock.past_year_end() && !warned_year) {
      warned_year = true;
      log("warn", "TimeStamp " + readable_number(ts) + " h is past the end of " + std::to_string(feed_clock.year()) +
                      ": the feed is not of that year, its times are off by a day or more and updates may be "
                      "dropped as stale; give --feed-year (the year of the feed's first TimeStamp)");
    }
    const double t_emit = emit_unix - epoch;
    const int id = item_ids[static_cast<std::size_t>(item)];
    const auto seq = sequencer.next(id, FeedClock::seq_of(emit_unix), value);
    runner.on_update(static_cast<ItemId>(id), now, t_emit, ts, value,
                     static_cast<int>(status), seq);
    if (o.max_updates && runner.counters().accepted >= o.max_updates) stop_all();
  };
  client = std::make_unique<TlcpClient>(ioc, o.client, h);

  // Health: connected, the subscription confirmed, and data no older than the feed's quiet time.
  double quiet_limit_s = o.max_quiet_s;
  if (quiet_limit_s < 0) {
    quiet_limit_s = 6 * 3600.0;
    for (const auto& it : o.client.items)
      if (it == "TIME_000001") quiet_limit_s = 60.0;
  }
  double subscribed_since = -1;  // when the current subscription was first seen confirmed (s since epoch)
  bool quiet_logged = false;
  auto quiet_for = [&](double now) {
    const double last = std::max(subscribed_since, runner.counters().last_update_s);
    return subscribed_since < 0 ? 0.0 : now - last;
  };
  std::unique_ptr<OpsServer> ops;
  if (o.metrics_port >= 0) {
    ops = std::make_unique<OpsServer>(
        ioc, "127.0.0.1", static_cast<unsigned short>(o.metrics_port),
        [&](std::string& why) {
          if (!client->connected()) { why = "not connected to " + printable(redact(o.client.url)); return false; }
          if (!client->subscribed()) { why = "connected, but the server has not confirmed the subscription (no SUBOK)"; return false; }
          const double q = quiet_for(wall_unix() - epoch);
          if (quiet_limit_s > 0 && q > quiet_limit_s) {
            why = "no update for " + std::to_string(static_cast<long long>(q)) + " s, longer than the feed is quiet (" +
                  std::to_string(static_cast<long long>(quiet_limit_s)) + " s, --max-quiet)";
            return false;
          }
          return true;
        },
        [&]() {
          const auto& c = runner.counters();
          const auto& cc = client->counters();
          std::string m;
          m.reserve(4096);
          prometheus_metric(m, "peebot_updates_received_total", "counter", "Updates of subscribed items received", c.updates);
          prometheus_metric(m, "peebot_updates_accepted_total", "counter", "Updates accepted by ingest", c.accepted);
          prometheus_metric(m, "peebot_updates_duplicate_total", "counter", "Updates dropped as duplicates", c.duplicates);
          prometheus_metric(m, "peebot_updates_resent_skipped_total", "counter",
                            "Data notifications a recovery resent before the point asked for (PROG), skipped", cc.resent_skipped);
          prometheus_metric(m, "peebot_lag_seconds", "gauge", "Receive time minus feed TimeStamp of the last update", c.lag_s);
          prometheus_metric(m, "peebot_seconds_since_data", "gauge",
                            "Seconds since the last update (or since the SUBOK when none came yet)", quiet_for(wall_unix() - epoch));
          prometheus_metric(m, "peebot_reconnects_total", "counter", "Connections lost or refused", cc.reconnects);
          prometheus_metric(m, "peebot_recoveries_total", "counter", "Sessions recovered after a drop", cc.recoveries);
          prometheus_metric(m, "peebot_sessions_total", "counter", "Sessions created", cc.sessions);
          prometheus_metric(m, "peebot_connected", "gauge", "1 while connected", std::uint64_t{client->connected()});
          prometheus_metric(m, "peebot_subscribed", "gauge", "1 while the subscription is confirmed (SUBOK)",
                            std::uint64_t{client->subscribed()});
          prometheus_metric(m, "peebot_los", "gauge", "1 while TIME_000001 reports loss of signal", std::uint64_t{c.los});
          prometheus_metric(m, "peebot_detections_total", "counter", "Detections emitted", c.detections);
          prometheus_metric(m, "peebot_posts_sent_total", "counter", "Posts accepted by the API", c.posts_sent);
          prometheus_metric(m, "peebot_posts_failed_total", "counter", "Posts given up", c.posts_failed);
          prometheus_metric(m, "peebot_post_retries_total", "counter", "Failed post attempts that were retried", c.post_retries);
          prometheus_metric(m, "peebot_posts_already_posted_total", "counter",
                            "Detections not posted again: posted before a restart", c.posts_already);
          prometheus_metric(m, "peebot_queue_depth", "gauge", "Records awaiting commit plus posts waiting",
                            std::uint64_t{runner.queue_depth()});
          return m;
        });
    log("info", "ops endpoints on http://127.0.0.1:" + std::to_string(ops->port()) + "/healthz and /metrics");
  }

  net::signal_set signals(ioc);
  if (o.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (!ec) { log("info", std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM")); stop_all(); }
    });
  }
  std::function<void()> tick = [&]() {
    ticker.expires_after(std::chrono::milliseconds(100));
    ticker.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      const double now = wall_unix() - epoch;
      runner.tick(now);
      if (o.duration_s > 0 && now >= o.duration_s) { stop_all(); return; }
      if (!client->subscribed()) subscribed_since = -1;
      else if (subscribed_since < 0) subscribed_since = now;
      const bool quiet = quiet_limit_s > 0 && quiet_for(now) > quiet_limit_s;
      if (quiet && !quiet_logged)
        log("warn", "no update for " + std::to_string(static_cast<long long>(quiet_for(now))) +
                        " s while connected and subscribed: longer than the feed is quiet (--max-quiet " +
                        std::to_string(static_cast<long long>(quiet_limit_s)) + " s); /healthz reports unhealthy");
      else if (!quiet && quiet_logged && client->subscribed())
        log("info", "updates again after a quiet stretch");
      quiet_logged = quiet;
      if (o.idle_exit_s > 0 && runner.counters().updates && now - runner.counters().last_update_s >= o.idle_exit_s) {
        log("info", "no update for " + std::to_string(o.idle_exit_s) + " s: stopping (--idle-exit)");
        stop_all();
        return;
      }
      if (o.status_line) {
        const auto& c = runner.counters();
        std::fprintf(stderr, "\r\033[K%s  %s  updates %llu  last %s  detections %llu  posts %llu",
                     client->connected() ? "connected" : "DISCONNECTED", c.los ? "LOS" : "AOS",
                     static_cast<unsigned long long>(c.updates),
                     c.last_update_s < 0 ? "never" : (std::to_string(static_cast<long>(now - c.last_update_s)) + " s ago").c_str(),
                     static_cast<unsigned long long>(c.detections), static_cast<unsigned long long>(c.posts_sent));
        std::fflush(stderr);
      }
      tick();
    });
  };
  tick();
  client->start();
  ioc.run();
  if (o.status_line) std::fprintf(stderr, "\n");
  const double end = wall_unix() - epoch;
  runner.finish(end);
  if (trace) {
    trace->set_duration(end);
    trace->finish();
  }
  const auto& c = runner.counters();
  res.updates = c.updates;
  res.accepted = c.accepted;
  res.duplicates = c.duplicates;
  res.stale = c.stale;
  res.detections = c.detections;
  res.posts_sent = c.posts_sent;
  res.posts_failed = c.posts_failed;
  res.posts_already = c.posts_already;
  res.stream_s = c.updates ? c.last_update_s - c.first_update_s : 0.0;
  res.client = client->counters();
  res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  res.cpu_total_s = process_cpu_s();
  res.cpu_stream_s = cpu_first < 0 ? 0.0 : res.cpu_total_s - cpu_first;
  return res;
}

}  // namespace peebot::live
