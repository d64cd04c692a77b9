// Our live client (peebot live's run_live) against peebot serve's server, in
// one process on loopback: every served update is recorded exactly once,
// through dropped connections, stalls, LOOP and END; errors are defined
// reactions; the live detections equal `peebot replay`'s.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "live_fixtures.hpp"
#include "sim/live/live.hpp"
#include "sim/live/server.hpp"

using namespace peebot;
using namespace peebot::testing;
namespace fs = std::filesystem;

namespace {

struct LiveRun {
  live::LiveResult res;
  Trace recorded;
  Trace source;
  live::ServeStats const* stats = nullptr;
  std::uint64_t served = 0, recoveries = 0, rebinds = 0;
};

LiveRun run_against_server(live::ServeOptions so, const std::string& adapter_set = "ISSLIVE") {
  const std::string src = make_trace("live-src");
  LiveRun r;
  r.source = read_trace(src);
  fs::remove(src);
  std::size_t n = 0;
  for (const auto& v : r.source.telemetry) n += v.size();
  so.port = 0;
  live::TlcpServer server(live::feed_from_trace(r.source), so);
  const unsigned short port = server.listen();
  std::thread th([&] { server.run(); });
  const std::string rec = (fs::temp_directory_path() / ("live-rec" + std::to_string(getpid()) + ".h5")).string();
  live::LiveOptions o;
  o.client.url = "ws://127.0.0.1:" + std::to_string(port) + "/lightstreamer";
  o.client.adapter_set = adapter_set;
  o.client.keepalive_s = 0.3;
  o.client.stall_grace_s = 0.3;
  o.client.backoff_s = 0.05;
  o.client.max_failures = 5;
  o.record = rec;
  o.max_updates = n;
  o.duration_s = 20;  // a bound, never reached when things work
  o.feed_year = 2025;
  o.handle_signals = false;
  o.log_format = "text";
  r.res = live::run_live(o);
  server.stop();
  th.join();
  r.served = server.stats().updates_sent.load();
  r.recoveries = server.stats().recoveries.load();
  r.rebinds = server.stats().rebinds.load();
  if (fs::exists(rec)) {
    r.recorded = read_trace(rec);
    fs::remove(rec);
  }
  return r;
}

// Each item's recorded rows are the source rows, once each, in order.
void require_each_row_once(const LiveRun& r) {
  REQUIRE(r.res.fatal.empty());
  REQUIRE(r.recorded.meta.mode == "live");
  for (int item = 0; item < kNamedItems; ++item) {
    const auto& a = r.source.telemetry[item];
    const auto& b = r.recorded.telemetry[item];
    INFO("item " << named_item(static_cast<ItemId>(item)));
    REQUIRE(b.size() == a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      REQUIRE(b[i].value == a[i].value);
      REQUIRE(b[i].iss_time_h == a[i].iss_time_h);
      REQUIRE(b[i].status == a[i].status);
    }
  }
}

}  // namespace

TEST_CASE("the live client records every served update exactly once, in order", "[live]") {
  live::ServeOptions so;
  so.speed = 0;
  const auto r = run_against_server(so);
  require_each_row_once(r);
  REQUIRE(r.res.client.sessions == 1);
  REQUIRE(r.res.duplicates == 0);
  // The stage table follows every update to the store.
  REQUIRE(r.recorded.stages.size() >= r.res.accepted);
}

TEST_CASE("a dropped connection is recovered with LS_recovery_from and nothing is lost or doubled", "[live]") {
  live::ServeOptions so;
  so.speed = 200;
  so.drop_after = 15;
  const auto r = run_against_server(so);
  require_each_row_once(r);
  REQUIRE(r.res.client.reconnects >= 1);
  REQUIRE(r.res.client.recoveries >= 1);
  REQUIRE(r.recoveries >= 1);
  REQUIRE(r.res.client.sessions == 1);
}

TEST_CASE("a stalled server trips the keepalive watchdog and the session is recovered", "[live]") {
  live::ServeOptions so;
  so.speed = 200;
  so.stall_after = 10;
  so.stall_s = 2.0;
  const auto r = run_against_server(so);
  require_each_row_once(r);
  REQUIRE(r.res.client.reconnects >= 1);
  REQUIRE(r.res.client.recoveries >= 1);
}

TEST_CASE("LOOP is answered by a rebind of the same session", "[live]") {
  live::ServeOptions so;
  so.speed = 200;
  so.loop_after = 12;
  const auto r = run_against_server(so);
  require_each_row_once(r);
  REQUIRE(r.res.client.rebinds == 1);
  REQUIRE(r.res.client.sessions == 1);
  REQUIRE(r.res.client.reconnects == 0);
}

TEST_CASE("END opens a new session whose resent values ingest drops as stale or duplicate", "[live]") {
  live::ServeOptions so;
  so.speed = 0;
  so.end_after = 20;
  const auto r = run_against_server(so);
  require_each_row_once(r);
  REQUIRE(r.res.client.sessions == 2);
  REQUIRE(r.res.stale + r.res.duplicates >= 19);
}

TEST_CASE("a refused adapter set is a fatal error with the server's reason, not a retry loop", "[live]") {
  live::ServeOptions so;
  so.speed = 0;
  const auto r = run_against_server(so, "NOPE");
  REQUIRE_THAT(r.res.fatal, Catch::Contains("CONERR 2"));
  REQUIRE(r.res.updates == 0);
}

TEST_CASE("live mode on a served trace gives the same detections as peebot replay offline", "[live][replay]") {
  live::ServeOptions so;
  so.speed = 0;
  const auto r = run_against_server(so);
  require_each_row_once(r);
  // Offline replay of the same source through the CLI.
  const std::string src = make_trace("replay-src");
  const std::string cmd = std::string(PEEBOT_BINARY) + " replay " + src + " --json 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  std::size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  const int st = pclose(p);
  fs::remove(src);
  INFO(out);
  REQUIRE(WEXITSTATUS(st) == 0);
  REQUIRE(r.recorded.detections.size() >= 1);
  // Same count, and each detection's size and absolute onset (the clocks' epochs differ).
  std::size_t count = 0;
  for (std::size_t pos = 0; (pos = out.find("\"size_pct\"", pos)) != std::string::npos; ++pos) ++count;
  REQUIRE(count == r.recorded.detections.size());
  for (const auto& d : r.recorded.detections) {
    char want[96];
    std::snprintf(want, sizeof want, "\"onset_s\": %.3f, ", d.onset_s + r.recorded.meta.epoch_unix_s - r.source.meta.epoch_unix_s);
    REQUIRE_THAT(out, Catch::Contains(want));
    std::snprintf(want, sizeof want, "\"size_pct\": %.3f", d.size_pct);
    REQUIRE_THAT(out, Catch::Contains(want));
  }
}

TEST_CASE("live, serve and replay: --help, and bad usage or input exits 2 with a message naming it", "[live][cli]") {
  auto run = [](const std::string& args, std::string& out) {
    const std::string cmd = std::string(PEEBOT_BINARY) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    out.clear();
    char buf[4096];
    std::size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  std::string out;
  for (const char* c : {"live", "serve", "replay"}) {
    REQUIRE(run(std::string(c) + " --help", out) == 0);
    REQUIRE_THAT(out, Catch::Contains("Usage: peebot"));
  }
  REQUIRE(run("live --server ftp://example.org", out) == 2);
  REQUIRE_THAT(out, Catch::Contains("must start with ws://"));
  REQUIRE(run("live --post mastodon", out) == 2);
  REQUIRE_THAT(out, Catch::Contains("PEEBOT_MASTODON_TOKEN"));
  REQUIRE(run("live --fields Value", out) == 2);
  REQUIRE_THAT(out, Catch::Contains("TimeStamp"));
  REQUIRE(run("serve /nonexistent/trace.h5 --port 0", out) == 2);
  REQUIRE_THAT(out, Catch::Contains("/nonexistent/trace.h5"));
  REQUIRE(run("replay /nonexistent/trace.h5", out) == 2);
  const std::string src = make_trace("replay-bad");
  REQUIRE(run("replay " + src + " --detector bogus", out) == 2);
  REQUIRE_THAT(out, Catch::Contains("bogus"));
  fs::remove(src);
}
