// `peebot serve`: a TLCP 2.5 server (WebSocket and HTTP streaming) that
// replays a feed as an ISSLIVE-like Lightstreamer adapter set: MERGE
// subscriptions with snapshot, PROBE when idle, LOOP, SYNC, session recovery
// (LS_recovery_from) and injectable faults. One thread, Boost.Asio/Beast.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "feed.hpp"

namespace peebot::live {

struct ServeOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;        // 0: pick a free port (printed)
  double speed = 60.0;               // trace seconds per wall second; 0 = as fast as the client reads
  double rate = 0.0;                 // > 0: send the feed's events evenly at this many per second instead (latency benchmarks)
  std::string adapter_set = "ISSLIVE";
  double keepalive_s = 5.0;          // PROBE after this long without a notification
  // A session left without a stream connection (dropped, never destroyed) is discarded after this
  // long, with its recovery log (up to 32 MB): a rebind later gets CONERR 20.
  double session_timeout_s = 30.0;
  std::size_t max_sessions = 64;     // more at once are refused (CONERR 7)
  // Faults (each happens once per server run, counted in updates sent on a session).
  std::uint64_t drop_after = 0;      // close the stream connection abruptly (no END)
  std::uint64_t stall_after = 0;     // stop sending anything (no PROBE either) for stall_s
  double stall_s = 0.0;
  std::uint64_t loop_after = 0;      // send LOOP,0 and unbind the session (client must rebind)
  std::uint64_t end_after = 0;       // send END,48 (session closed) and close
  std::uint64_t los_after = 0;       // loss of signal: TIME_000001 turns to Status.Class 0 and the other
  double los_s = 0.0;                //   items stop for los_s seconds of feed time, then AOS resumes
  bool stamp_now = false;            // TimeStamp = the wall-clock time each update is sent (latency benchmarks)
  bool no_websocket = false;         // refuse WebSocket upgrades (HTTP 403), as a proxy that blocks them: HTTP streaming only
  bool exit_when_done = false;       // stop the server once every session has sent the whole feed
  bool handle_signals = false;       // SIGINT/SIGTERM stop the server (the CLI)
};

struct ServeStats {
  std::atomic<std::uint64_t> sessions{0}, updates_sent{0}, recoveries{0}, rebinds{0}, withheld_in_los{0};
  std::atomic<std::uint64_t> active_sessions{0};  // sessions the server holds now
  std::atomic<std::uint64_t> expired{0};          // sessions discarded after session_timeout_s unbound
};

class TlcpServer {
 public:
  TlcpServer(std::vector<FeedEvent> feed, const ServeOptions& o);
  ~TlcpServer();
  // Binds; returns the port (useful with port 0). Throws std::runtime_error.
  unsigned short listen();
  // Runs until stop() (or, with exit_when_done, until the feed is fully sent).
  void run();
  void stop();  // thread-safe
  const ServeStats& stats() const;
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace peebot::live
