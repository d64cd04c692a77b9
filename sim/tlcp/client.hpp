// Our TLCP 2.5 client over WebSocket or HTTP streaming (plain or TLS with
// OpenSSL; HTTP streaming is the automatic fallback): session
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
  // "auto": WebSocket, falling back to HTTP streaming when a WebSocket cannot be
  // opened (and back again when that fails too); "ws" or "http": only that one.
  std::string transport = "auto";
  std::uint64_t http_content_length = 0;  // HTTP streaming: LS_content_length (0: not sent; the server's default)
  std::string ca_file;           // TLS: trust these PEM certificates instead of the system's
  double sync_lag_warn_s = 5.0;  // SYNC: warn when the client is this far behind the server's clock
  // No SUBOK this long after the subscription was asked for (a server that confirms the session and
  // then only sends PROBEs): logged, and a new session with backoff.
  double subscribe_timeout_s = 10.0;
  // The keepalive a server grants in CONOK is clamped to [0.05 s, this]: the stall watchdog fires after
  // it + stall_grace_s, so a huge one (1e15 ms) must not switch the watchdog off.
  double max_keepalive_s = 60.0;
};

struct ClientCounters {
  std::uint64_t updates = 0, sessions = 0, reconnects = 0, recoveries = 0, rebinds = 0, probes = 0,
                errors = 0, data_notifications = 0, fallbacks = 0, syncs = 0;
  std::uint64_t resent_skipped = 0;  // data notifications a recovery resent before the point asked for (PROG): skipped
  double sync_lag_s = 0;      // last SYNC: server seconds since the session started minus ours (> 0: we lag)
  std::string transport;      // "ws" or "http": the transport in use (or last tried)
};

// What the client reports.
struct ClientHandler {
  // One decoded update: item index (0-based in ClientOptions::items) and its current field values.
  std::function<void(int item, const tlcp::ItemState& st, int item1)> on_update;
  // The end of a piece of stream data (a WebSocket message, an HTTP read): the
  // updates it held were all reported; a good moment to commit them as a batch.
  std::function<void()> on_batch;
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
  // Throws std::invalid_argument for a URL that is not ws://, wss://, http:// or https://,
  // or a transport other than auto|ws|http.
  void start();
  void stop();
  const ClientCounters& counters() const;
  bool connected() const;
  // The subscription is confirmed (SUBOK) on the current session.
  bool subscribed() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// ws[s]://host[:port][/path] -> parts; throws std::invalid_argument naming the URL. An IPv6
// address is written in brackets (ws://[::1]:8080/); host holds it without them. port: 1..65535.
struct Url {
  bool tls = false;
  std::string host, port, path;
  std::string authority() const;  // "host:port", an IPv6 host in brackets (the Host header)
};
Url parse_url(const std::string& url);

}  // namespace peebot::live
