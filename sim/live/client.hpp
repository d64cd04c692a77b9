// Our TLCP 2.5 client over WebSocket (ws:// and wss:// with OpenSSL): session
// creation, one MERGE subscription with snapshot, update decoding, a
// keepalive watchdog, LOOP rebind, recovery after a dropped connection
// (LS_recovery_from), and new sessions with capped exponential backoff and
// jitter when recovery fails. Runs on the caller's io_context (one thread).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "tlcp.hpp"

namespace peebot::live {

struct ClientOptions {
  std::string url = "wss://push.lightstreamer.com/lightstreamer";
  std::string adapter_set = "ISSLIVE";
  std::vector<std::string> items{"NODE3000005", "NODE3000004", "NODE3000008", "NODE3000009", "TIME_000001"};
  std::vector<std::string> fields{"TimeStamp", "Value", "Status.Class"};
  double keepalive_s = 5.0;      // asked of the server (LS_keepalive_millis)
  double stall_grace_s = 3.0;    // silence beyond the keepalive this long = a dead connection
  double backoff_s = 0.5;        // first reconnection delay
  double backoff_max_s = 30.0;   // cap
  int max_failures = -1;         // consecutive failed attempts before giving up (-1: never)
  std::uint64_t seed = 1;        // jitter
};

struct ClientCounters {
  std::uint64_t updates = 0, sessions = 0, reconnects = 0, recoveries = 0, rebinds = 0, probes = 0,
                errors = 0, data_notifications = 0;
};

// What the client reports.
struct ClientHandler {
  // One decoded update: item index (0-based in ClientOptions::items) and its current field values.
  std::function<void(int item, const tlcp::ItemState& st, int item1)> on_update;
  // A new session (not a recovery): item states start over, resent values follow.
  std::function<void()> on_new_session;
  // Status changes and errors, as one human-readable line.
  std::function<void(const std::string&)> on_log;
  // Connected (true) or not (false).
  std::function<void(bool)> on_connected;
  // The client gave up (fatal error: bad adapter set, rejected subscription...).
  std::function<void(const std::string&)> on_fatal;
};

class TlcpClient {
 public:
  TlcpClient(boost::asio::io_context& ioc, const ClientOptions& o, ClientHandler h);
  ~TlcpClient();
  // Throws std::invalid_argument for a URL that is not ws:// or wss://.
  void start();
  void stop();
  const ClientCounters& counters() const;
  bool connected() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// ws[s]://host[:port][/path] -> parts; throws std::invalid_argument naming the URL.
struct Url {
  bool tls = false;
  std::string host, port, path;
};
Url parse_url(const std::string& url);

}  // namespace peebot::live
