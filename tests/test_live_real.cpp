// Done-means of live mode on real data: `peebot serve` replays a raw real
// recording (pisslog-2025, imported in memory) at high speed, `peebot live`
// follows it over WebSocket through the whole pipeline into an SWMR trace,
// and the detections equal those of `peebot replay` of the same recording
// offline. Skipped with a message when ../shared/data/real is absent.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "cli_support.hpp"
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

}  // namespace

TEST_CASE("a pisslog-2025 recording served at high speed gives the same detections live as peebot replay offline",
          "[live][replay][real]") {
  const std::string dir = shared_data_dir();
  if (dir.empty()) {
    WARN("SKIPPED: the real recordings are absent (no folder " << shared_data_path()
         << "; set PEEBOT_SHARED_DATA to their folder)");
    return;
  }
  const std::string csv = dir + "/pisslog-2025/pisslog.csv";
  const std::string offline = tmp_path("pisslog-replay.h5"), live_rec = tmp_path("pisslog-live.h5");

  const Result rep = run_peebot("replay " + csv + " -o " + offline);
  INFO(rep.out);
  REQUIRE(rep.code == 0);
  const Trace off = read_trace(offline);
  REQUIRE(off.detections.size() >= 10);  // a real quarter of a year has many

  // 85 days of recording at 10^6 trace seconds per wall second: about 7 s.
  ServeProcess srv(csv + " --speed 1000000");
  INFO(srv.first_line);
  REQUIRE(srv.port > 0);
  const Result live = run_peebot("live --server ws://127.0.0.1:" + std::to_string(srv.port) +
                                 "/lightstreamer --feed-year 2024 --record " + live_rec +
                                 " --idle-exit 3 --max-failures 3 --duration 60");
  INFO(live.out);
  REQUIRE(live.code == 0);
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
