// Done-means of live mode on real data: `peebot serve` replays a raw real
// recording (pisslog-2025, imported in memory) at high speed, `peebot live`
// follows it over WebSocket through the whole pipeline into an SWMR trace,
// and the detections equal those of `peebot replay` of the same recording
// offline; the issp-2023-09 recording (two values of the tank in one second)
// comes out of serve -> live value by value, also across a new session that
// resends everything. Skipped (ctest: skipped) when ../shared/data/real is absent.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "cli_support.hpp"
#include "sim/tlcp/feed.hpp"
#include "sim/trace/trace.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

// `peebot serve ARGS --port 0` in a child process; its port from the first line it prints.
struct ServeProcess {
  pid_t pid = -1;
  int port = 0;
  std::string first_line;
  explicit ServeProcess(const std::string& args) {
    int fd[2];
    REQUIRE(pipe(fd) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(fd[1], 1);
      close(fd[0]);
      close(fd[1]);
      const std::string cmd = "exec " + std::string(PEEBOT_BINARY) + " serve " + args + " --port 0 2>/dev/null";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fd[1]);
    FILE* f = fdopen(fd[0], "r");
    char line[512] = {};
    if (f && std::fgets(line, sizeof line, f)) first_line = line;
    if (f) std::fclose(f);
    const std::size_t at = first_line.find("127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(first_line.c_str() + at + 10);
  }
  ~ServeProcess() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
  }
};

// `peebot serve SERVE_ARGS` in a child process and `peebot live --server` (its port) LIVE_ARGS: live's result.
Result serve_to_live(const std::string& serve_args, const std::string& live_args) {
  ServeProcess srv(serve_args);
  INFO(srv.first_line);
  REQUIRE(srv.port > 0);
  const Result live =
      run_peebot("live --server ws://127.0.0.1:" + std::to_string(srv.port) + "/lightstreamer --max-failures 3 " + live_args);
  INFO(live.out);
  REQUIRE(live.code == 0);
  return live;
}

}  // namespace

TEST_CASE("a pisslog-2025 recording served at high speed gives the same detections live as peebot replay offline",
          "[live][replay][real]") {
  const std::string dir = shared_data_or_skip();
  if (dir.empty()) return;
  const std::string csv = dir + "/pisslog-2025/pisslog.csv";
  const std::string offline = tmp_path("pisslog-replay.h5"), live_rec = tmp_path("pisslog-live.h5");

  const Result rep = run_peebot("replay " + csv + " -o " + offline);
  INFO(rep.out);
  REQUIRE(rep.code == 0);
  const Trace off = read_trace(offline);
  REQUIRE(off.detections.size() >= 10);  // a real quarter of a year has many

  // 85 days of recording at 10^6 trace seconds per wall second: about 7 s.
  serve_to_live(csv + " --speed 1000000", "--feed-year 2024 --record " + live_rec + " --idle-exit 3 --duration 60");
  const Trace on = read_trace(live_rec);
  REQUIRE(on.meta.mode == "live");
  REQUIRE(on.telemetry[kUrineTank].size() == off.telemetry[kUrineTank].size());

  REQUIRE(on.detections.size() == off.detections.size());
  for (std::size_t i = 0; i < off.detections.size(); ++i) {
    const auto& a = off.detections[i];
    const auto& b = on.detections[i];
    INFO("detection " << i);
    // Absolute onset and end (the two traces' epochs differ), size and kind.
    REQUIRE(std::fabs((b.onset_s + on.meta.epoch_unix_s) - (a.onset_s + off.meta.epoch_unix_s)) < 1e-3);
    REQUIRE(std::fabs((b.end_s + on.meta.epoch_unix_s) - (a.end_s + off.meta.epoch_unix_s)) < 1e-3);
    REQUIRE(b.size_pct == a.size_pct);
    REQUIRE(b.kind == a.kind);
  }
}

// Issue 14 item 3: two updates of NODE3000005 in one second with different values (01:25:51 12, then
// 11) were one to `peebot live`: the second was dropped as a duplicate (its sequence number was its
// TimeStamp in microseconds), so the recorded tank stayed at 12.
TEST_CASE("the issp-2023-09 recording served to peebot live is recorded value by value, same-second changes included, "
          "and a new session's resent values are dropped",
          "[live][real]") {
  const std::string dir = shared_data_or_skip();
  if (dir.empty()) return;
  const std::string d = dir + "/issp-2023-09/";
  const std::string src = tmp_path("issp-src.h5");
  const Result imp = run_peebot("import " + d + "NODE3000005.txt " + d + "NODE3000005-continued.txt " + d +
                                "NODE3000004.txt -o " + src);
  INFO(imp.out);
  REQUIRE(imp.code == 0);
  const Trace source = read_trace(src);
  const auto& tank = source.telemetry[kUrineTank];
  // The pair the issue names is in the recording: 12 then 11, both at 2023-09-19 01:25:51 UTC.
  const double at = 1695086751.0;  // 2023-09-19T01:25:51Z
  std::size_t pair = tank.size();
  for (std::size_t i = 0; i + 1 < tank.size(); ++i)
    if (tank[i].t_s + source.meta.epoch_unix_s == at && tank[i + 1].t_s + source.meta.epoch_unix_s == at) pair = i;
  REQUIRE(pair < tank.size());
  REQUIRE(tank[pair].value == 12);
  REQUIRE(tank[pair + 1].value == 11);
  // Where the 12 is in the served order: END right after it makes the next session resend everything
  // (peebot serve replays from the start), the 12 included, and the 11 comes only in that session.
  const auto feed = live::feed_from_trace(source);
  std::size_t twelve = feed.size();
  for (std::size_t i = 0; i < feed.size(); ++i)
    if (feed[i].item == kUrineTank && feed[i].t_s == tank[pair].t_s && feed[i].value == 12) twelve = i;
  REQUIRE(twelve < feed.size());

  for (const std::string& fault : {std::string(), " --end-after " + std::to_string(twelve + 1)}) {
    INFO("serve fault:" << fault);
    const std::string rec = tmp_path("issp-live.h5");
    const Result live = serve_to_live(src + " --speed 1000000" + fault,
                                      "--feed-year 2023 --record " + rec + " --idle-exit 2 --duration 60 --keepalive 1");
    INFO(live.out);
    const Trace on = read_trace(rec);
    if (!fault.empty()) REQUIRE_THAT(live.out, Catch::Contains("2 sessions"));
    // Every item's recorded rows are the source rows, once each, in order, value by value.
    for (int item = 0; item < kNamedItems; ++item) {
      const auto& a = source.telemetry[item];
      const auto& b = on.telemetry[item];
      INFO(named_item(static_cast<ItemId>(item)));
      REQUIRE(b.size() == a.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("row " << i);
        REQUIRE(b[i].value == a[i].value);
        REQUIRE(b[i].status == a[i].status);
        REQUIRE(std::fabs((b[i].t_emit_s + on.meta.epoch_unix_s) - (a[i].t_s + source.meta.epoch_unix_s)) < 1e-3);
      }
    }
  }
}
