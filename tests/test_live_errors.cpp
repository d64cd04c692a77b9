// Our TLCP client (sim/tlcp/client.*) against a scripted server that sends
// what `peebot serve` never does: malformed lines, truncated updates, a wrong
// SUBOK count, REQERR, CONERR and END codes, SYNC, bad HTTP statuses. Each
// gives a logged error and a defined reaction (a new session, a retry with
// backoff, or a fatal error naming the cause), never a crash or a stall.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "live_fixtures.hpp"
#include "sim/tlcp/client.hpp"
#include "sim/wallclock/live.hpp"
#include "sim/tlcp/tlcp.hpp"

using namespace peebot;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Answers each request of a connection (numbered from 0) with the script's text. Text ending in
// kDrop closes the connection once the rest is written; text ending in kProbes is followed by a
// PROBE every 100 ms until the client goes away (a server that keeps a session alive and says nothing).
using Script = std::function<std::string(const tlcp::Request& r, int connection)>;
const std::string kDrop = "<drop>";
const std::string kProbes = "<probes>";
bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A blocking TLCP-over-WebSocket server on 127.0.0.1 in its own thread; with
// http_status != 0 it answers every plain HTTP request with that status instead.
class ScriptedServer {
 public:
  explicit ScriptedServer(Script s, unsigned http_status = 0)
      : script_(std::move(s)), status_(http_status), acc_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    th_ = std::thread([this] { loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    beast::error_code ec;
    acc_.close(ec);
    // Wake a blocking accept.
    try {
      net::io_context io;
      tcp::socket s(io);
      s.connect({net::ip::make_address("127.0.0.1"), port_});
    } catch (...) {
    }
    th_.join();
  }
  unsigned short port() const { return port_; }
  int connections() const { return conn_; }

 private:
  void loop() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      beast::error_code ec;
      acc_.accept(sock, ec);
      if (ec || stop_) return;
      const int n = conn_++;
      try {
        if (status_) {
          serve_http(sock);
          continue;
        }
        websocket::stream<tcp::socket> ws(std::move(sock));
        ws.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, tlcp::kSubprotocol); }));
        ws.accept();
        ws.text(true);
        for (;;) {
          beast::flat_buffer buf;
          ws.read(buf);
          const std::string frame = beast::buffers_to_string(buf.data());
          if (frame == "wsok") { ws.write(net::buffer(std::string("WSOK\r\n"))); continue; }
          for (const auto& r : tlcp::parse_ws_requests(frame)) {
            std::string out = script_(r, n);
            const bool drop = ends_with(out, kDrop), probes = ends_with(out, kProbes);
            if (drop) out.resize(out.size() - kDrop.size());
            if (probes) out.resize(out.size() - kProbes.size());
            if (!out.empty()) ws.write(net::buffer(out));
            if (drop) throw std::runtime_error("drop");
            while (probes && !stop_) {
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
              ws.write(net::buffer(std::string("PROBE\r\n")));
            }
          }
        }
      } catch (...) {
        // The client closed the connection: wait for the next.
      }
    }
  }
  void serve_http(tcp::socket& sock) {
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(sock, buf, req);
    if (websocket::is_upgrade(req)) {
      http::response<http::string_body> res{static_cast<http::status>(status_), req.version()};
      res.body() = "no\r\n";
      res.prepare_payload();
      http::write(sock, res);
      return;
    }
    http::response<http::string_body> res{static_cast<http::status>(status_), req.version()};
    res.body() = "Service Unavailable\r\n";
    res.prepare_payload();
    http::write(sock, res);
  }

  Script script_;
  unsigned status_;
  net::io_context ioc_;
  tcp::acceptor acc_;
  unsigned short port_ = acc_.local_endpoint().port();
  std::atomic<bool> stop_{false};
  std::atomic<int> conn_{0};
  std::thread th_;
};

struct Outcome {
  std::vector<std::string> logs;
  std::string fatal;
  std::uint64_t updates = 0;
  live::ClientCounters counters;
  bool timed_out = false;
};

// Runs our client against the server until it gives up, `stop_after` updates
// arrived, or 15 s passed (a stall: reported as timed_out).
Outcome run_client(unsigned short port, std::uint64_t stop_after, std::function<void(live::ClientOptions&)> tweak = {}) {
  net::io_context ioc;
  live::ClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port) + "/lightstreamer";
  o.items = {"NODE3000005", "TIME_000001"};
  o.fields = {"TimeStamp", "Value"};
  o.keepalive_s = 1.0;
  o.stall_grace_s = 0.5;
  o.backoff_s = 0.02;
  o.max_failures = 3;
  o.transport = "ws";
  if (tweak) tweak(o);
  Outcome out;
  live::ClientHandler h;
  h.on_log = [&](const std::string& s) { out.logs.push_back(s); };
  h.on_fatal = [&](const std::string& s) {
    out.fatal = s;
    ioc.stop();
  };
  h.on_update = [&](int, const tlcp::ItemState&, int) {
    if (++out.updates >= stop_after) ioc.stop();
  };
  live::TlcpClient client(ioc, o, h);
  client.start();
  const auto n = ioc.run_for(std::chrono::seconds(15));
  (void)n;
  out.timed_out = !ioc.stopped();
  out.counters = client.counters();
  client.stop();
  return out;
}

bool logged(const Outcome& o, const std::string& what) {
  for (const auto& l : o.logs)
    if (l.find(what) != std::string::npos) return true;
  return false;
}

std::string conok(int connection) { return "CONOK,S" + std::to_string(connection) + ",50000,1000,*\r\n"; }

// A well-behaved session: CONOK, then on subscription SUBOK and two updates.
std::string good(const tlcp::Request& r, int connection) {
  if (r.name == "create_session" || r.name == "bind_session") return conok(connection);
  if (r.name == "control") return "REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,1.5|40\r\nU,1,2,1.5|1.5\r\n";
  return "";
}

}  // namespace

TEST_CASE("a malformed line drops the session: logged, and a new session is created", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (c == 0 && r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nU,1,x,1|2\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 2);
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(o.fatal.empty());
  REQUIRE(logged(o, "protocol error"));
  REQUIRE(o.counters.sessions == 2);
  REQUIRE(o.updates == 2);
}

TEST_CASE("a truncated update (fewer fields than subscribed) drops the session and a new one follows", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (c == 0 && r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,1.5");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 2);
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(logged(o, "protocol error"));
  REQUIRE(o.counters.sessions == 2);
  REQUIRE(o.updates == 2);
}

TEST_CASE("a bad percent escape in an update is a logged protocol error and a new session", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (c == 0 && r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,1.5|4%G0\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 2);
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(logged(o, "protocol error"));
  REQUIRE(o.counters.sessions == 2);
}

TEST_CASE("a SUBOK with another item or field count than asked is fatal, naming both counts", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,3,2\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1);
  REQUIRE_THAT(o.fatal, Catch::Contains("SUBOK with 3 items and 2 fields, expected 2 and 2"));
  REQUIRE(o.updates == 0);
}

TEST_CASE("a REQERR answering the subscription is fatal with the server's code and message", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "control") return std::string("REQERR,1,19,Specified%20data%20adapter%20not%20found\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1);
  REQUIRE_THAT(o.fatal, Catch::Contains("REQERR 19") && Catch::Contains("Specified data adapter not found"));
}

TEST_CASE("a CONERR the client can retry is retried with backoff, then it gives up naming the code", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "create_session") return std::string("CONERR,7,Licensed%20maximum%20number%20of%20sessions%20reached\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1, [](live::ClientOptions& c) { c.max_failures = 2; });
  REQUIRE_THAT(o.fatal, Catch::Contains("giving up after 3 failed attempts") && Catch::Contains("CONERR 7"));
  REQUIRE(logged(o, "Licensed maximum number of sessions reached"));
  REQUIRE(srv.connections() == 3);
}

TEST_CASE("END with a cause code is logged with the code and a new session follows", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (c == 0 && r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nEND,41,Session%20closed\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 2);
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(logged(o, "END 41"));
  REQUIRE(o.counters.sessions == 2);
  REQUIRE(o.updates == 2);
}

TEST_CASE("ERROR from the server is fatal with its code", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "create_session") return std::string("ERROR,65,Unsupported%20protocol\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1);
  REQUIRE_THAT(o.fatal, Catch::Contains("ERROR 65"));
}

TEST_CASE("a silent server after CONOK trips the watchdog: a logged stall and a retry, never a hang", "[live][errors]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "control") return std::string();  // no REQOK, no SUBOK, no PROBE: silence
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1, [](live::ClientOptions& c) { c.max_failures = 1; });
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(logged(o, "stalled"));
  REQUIRE_THAT(o.fatal, Catch::Contains("giving up after 2 failed attempts"));
}

TEST_CASE("SYNC showing the client behind the server's clock is logged as a slow consumer", "[live][errors][sync]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "control") {
      // The server says 0 s of session have passed, ours says about 1 s: we read late.
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nSYNC,0\r\nU,1,1,1.5|40\r\n");
    }
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1, [](live::ClientOptions& c) { c.sync_lag_warn_s = 0.5; });
  REQUIRE(o.updates == 1);
  REQUIRE(o.counters.syncs == 1);
  REQUIRE(o.counters.sync_lag_s >= 0.5);
  REQUIRE(logged(o, "behind the server"));
}

TEST_CASE("a malformed SYNC is a protocol error, not a crash", "[live][errors][sync]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (c == 0 && r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nSYNC,soon\r\n");
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 2);
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(logged(o, "bad SYNC"));
  REQUIRE(o.counters.sessions == 2);
}

// Over HTTP the 503 has a Content-Length body: Boost 1.74's body_limit(none) read it as "body limit exceeded".
TEST_CASE("a bad HTTP status is a logged error with the status, retried, then fatal, over either transport", "[live][errors][http]") {
  for (const char* transport : {"ws", "http"}) {
    INFO(transport);
    ScriptedServer srv(good, 503);
    const auto o = run_client(srv.port(), 1, [&](live::ClientOptions& c) {
      c.transport = transport;
      c.max_failures = 1;
    });
    REQUIRE_THAT(o.fatal, Catch::Contains("HTTP status 503") && Catch::Contains("giving up after 2 failed attempts"));
    REQUIRE(srv.connections() == 2);
  }
}

// --- Recovery: TLCP's progressive counter ---------------------------------------------------

// TLCP: PROG may be lower than LS_recovery_from asked; the notifications before the point asked for
// are resent and must be skipped, or the same update arrives twice.
TEST_CASE("a recovery whose PROG is lower than asked skips the resent notifications: each update once", "[live][errors][dedupe]") {
  std::atomic<int> asked{-1};
  ScriptedServer srv([&](const tlcp::Request& r, int c) {
    if (r.name == "create_session") return conok(0);
    if (c == 0 && r.name == "control")  // 4 data notifications (SUBOK, 3 updates), then the connection drops
      return "REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,1.5|40\r\nU,1,1,1.6|41\r\nU,1,1,1.7|42\r\n" + kDrop;
    if (r.name == "bind_session") {
      asked = r.get("LS_recovery_from") ? std::stoi(*r.get("LS_recovery_from")) : -1;
      // The server kept less than asked: it resumes from 2 (after SUBOK and the first update), resending 2 updates.
      return conok(0) + "PROG,2\r\nU,1,1,1.6|41\r\nU,1,1,1.7|42\r\nU,1,1,1.8|43\r\n";
    }
    return std::string();
  });
  std::vector<std::string> values;
  const auto o = run_client(srv.port(), 4, [](live::ClientOptions&) {});
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(o.fatal.empty());
  REQUIRE(asked == 4);
  REQUIRE(o.counters.recoveries == 1);
  REQUIRE(o.counters.resent_skipped == 2);
  REQUIRE(o.updates == 4);  // 40, 41, 42, 43: not 41 and 42 twice
  REQUIRE(logged(o, "skipping 2 already received"));
}

TEST_CASE("a PROG beyond what was received, or not a number, is a protocol error and a new session", "[live][errors][dedupe]") {
  for (const std::string prog : {"PROG,9", "PROG,-1", "PROG,1e3"}) {
    INFO(prog);
    ScriptedServer srv([&](const tlcp::Request& r, int c) {
      if (r.name == "create_session") return conok(c);
      if (c == 0 && r.name == "control") return "REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,1.5|40\r\n" + kDrop;
      if (r.name == "bind_session") return conok(0) + prog + "\r\n";
      return good(r, c);
    });
    const auto o = run_client(srv.port(), 3);
    REQUIRE_FALSE(o.timed_out);
    REQUIRE(logged(o, "protocol error"));
    REQUIRE(o.counters.sessions == 2);
  }
}

// --- Stalls that PROBEs hide (issue 14 item 4) --------------------------------------------------

TEST_CASE("a server that confirms the session but never the subscription, sending PROBEs, is a logged failure, not a silent stall",
          "[live][errors][stall]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "control") return "REQOK,1\r\n" + kProbes;  // no SUBOK, ever; PROBEs keep the watchdog fed
    return good(r, c);
  });
  const auto o = run_client(srv.port(), 1, [](live::ClientOptions& c) {
    c.max_failures = 1;
    c.subscribe_timeout_s = 0.5;
  });
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(o.updates == 0);
  REQUIRE(o.counters.probes >= 2);
  REQUIRE(logged(o, "not the subscription within 0.5"));
  REQUIRE_THAT(o.fatal, Catch::Contains("giving up after 2 failed attempts") && Catch::Contains("no SUBOK"));
  REQUIRE(srv.connections() == 2);
}

TEST_CASE("a CONOK keepalive of 1e15 ms is clamped: the stall watchdog still fires", "[live][errors][stall]") {
  ScriptedServer srv([](const tlcp::Request& r, int c) {
    if (r.name == "create_session" || r.name == "bind_session") return "CONOK,S" + std::to_string(c) + ",50000,1e15,*\r\n";
    if (r.name == "control") return std::string("REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,1.5|40\r\n");  // then silence
    return std::string();
  });
  // One update per session: the second arrives only if the watchdog found the first session stalled.
  const auto o = run_client(srv.port(), 2, [](live::ClientOptions& c) { c.max_keepalive_s = 0.5; });
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(o.updates == 2);
  REQUIRE(logged(o, "keepalive of 1e15 ms is out of range"));
  REQUIRE(logged(o, "stalled"));
}

namespace {

// GET http://127.0.0.1:port/target -> status (0: no answer).
unsigned http_status(unsigned short port, const std::string& target, std::string* body = nullptr) {
  try {
    net::io_context io;
    tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    if (body) *body = res.body();
    return res.result_int();
  } catch (...) {
    return 0;
  }
}

unsigned short free_port() {
  net::io_context io;
  tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// run_live against the scripted server in a thread, its /healthz polled from here.
struct LiveInThread {
  live::LiveOptions o;
  live::LiveResult res;
  std::thread th;
  LiveInThread(unsigned short server_port, double duration_s, double max_quiet_s) {
    o.client.url = "ws://127.0.0.1:" + std::to_string(server_port) + "/lightstreamer";
    o.client.items = {"NODE3000005", "TIME_000001"};
    o.client.fields = {"TimeStamp", "Value"};
    o.client.keepalive_s = 1.0;
    o.client.transport = "ws";
    o.client.subscribe_timeout_s = 30;  // the health check must see it first
    o.duration_s = duration_s;
    o.max_quiet_s = max_quiet_s;
    o.metrics_port = free_port();
    o.handle_signals = false;
    o.feed_year = 2025;
    th = std::thread([this] { res = live::run_live(o); });
  }
  ~LiveInThread() { th.join(); }
  unsigned short port() const { return static_cast<unsigned short>(o.metrics_port); }
};

}  // namespace

TEST_CASE("/healthz is unhealthy while the subscription is unconfirmed, and when no update came for longer than --max-quiet",
          "[live][errors][stall][ops]") {
  SECTION("CONOK and PROBEs, never a SUBOK") {
    ScriptedServer srv([](const tlcp::Request& r, int c) {
      if (r.name == "control") return "REQOK,1\r\n" + kProbes;
      return good(r, c);
    });
    LiveInThread live(srv.port(), 3.0, 60);
    std::string body;
    REQUIRE(peebot::testing::eventually([&] { return http_status(live.port(), "/healthz", &body) == 503 && body.find("SUBOK") != std::string::npos; }, 2.5));
    REQUIRE_THAT(body, Catch::Contains("not confirmed the subscription"));
  }
  SECTION("SUBOK and one update, then only PROBEs") {
    ScriptedServer srv([](const tlcp::Request& r, int c) {
      if (r.name == "control") return "REQOK,1\r\nSUBOK,1,2,2\r\nU,1,1,8760.5|40\r\n" + kProbes;
      return good(r, c);
    });
    LiveInThread live(srv.port(), 4.0, 1.0);
    REQUIRE(peebot::testing::eventually([&] { return http_status(live.port(), "/healthz") == 200; }, 2.0));
    std::string body;
    REQUIRE(peebot::testing::eventually([&] { return http_status(live.port(), "/healthz", &body) == 503; }, 2.5));
    REQUIRE_THAT(body, Catch::Contains("no update for") && Catch::Contains("--max-quiet"));
    std::string metrics;
    REQUIRE(http_status(live.port(), "/metrics", &metrics) == 200);
    REQUIRE_THAT(metrics, Catch::Contains("\npeebot_subscribed 1\n"));
  }
}
