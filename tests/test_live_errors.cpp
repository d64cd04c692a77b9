// Our TLCP client (sim/live/client.*) against a scripted server that sends
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

#include "sim/live/client.hpp"
#include "sim/live/tlcp.hpp"

using namespace peebot;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Answers each request of a connection (numbered from 0) with the script's text.
using Script = std::function<std::string(const tlcp::Request& r, int connection)>;

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
            const std::string out = script_(r, n);
            if (!out.empty()) ws.write(net::buffer(out));
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
