#include "client.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace peebot::live {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

Url parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("wss://", 0) == 0) { u.tls = true; rest = url.substr(6); }
  else if (url.rfind("ws://", 0) == 0) { rest = url.substr(5); }
  else if (url.rfind("https://", 0) == 0) { u.tls = true; rest = url.substr(8); }
  else if (url.rfind("http://", 0) == 0) { rest = url.substr(7); }
  else throw std::invalid_argument("server URL \"" + url + "\" must start with ws://, wss://, http:// or https://");
  const std::size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/lightstreamer" : rest.substr(slash);
  if (u.path == "/") u.path = "/lightstreamer";
  if (hostport.find('@') != std::string::npos)
    throw std::invalid_argument("server URL \"" + url + "\": user information (user:password@) is not supported");
  std::string port;
  bool has_port = false;
  if (!hostport.empty() && hostport[0] == '[') {  // an IPv6 literal: [::1] or [::1]:8080 (RFC 3986)
    const std::size_t close = hostport.find(']');
    if (close == std::string::npos) throw std::invalid_argument("server URL \"" + url + "\" has a '[' without ']'");
    u.host = hostport.substr(1, close - 1);
    const std::string after = hostport.substr(close + 1);
    if (!after.empty() && after[0] != ':')
      throw std::invalid_argument("server URL \"" + url + "\": expected ':PORT' or nothing after ']'");
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    boost::system::error_code ec;
    (void)net::ip::make_address_v6(u.host, ec);
    if (ec) throw std::invalid_argument("server URL \"" + url + "\": \"" + u.host + "\" in brackets is not an IPv6 address");
  } else {
    const std::size_t colon = hostport.find(':');
    if (colon != std::string::npos && hostport.find(':', colon + 1) != std::string::npos)
      throw std::invalid_argument("server URL \"" + url + "\": an IPv6 address must be in brackets ([::1]:8080)");
    u.host = hostport.substr(0, colon);
    has_port = colon != std::string::npos;
    if (has_port) port = hostport.substr(colon + 1);
  }
  if (u.host.empty()) throw std::invalid_argument("server URL \"" + url + "\" has no host");
  if (has_port) {
    unsigned long p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || p < 1 || p > 65535)
      throw std::invalid_argument("server URL \"" + url + "\" has a bad port \"" + port + "\" (expected 1..65535)");
    u.port = std::to_string(p);
  } else {
    u.port = u.tls ? "443" : "80";
  }
  return u;
}

std::string Url::authority() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

namespace {

// A number sent by the server ("1e15", "0.25"): whole, finite.
bool parse_number(std::string_view a, double& v) {
  const auto r = std::from_chars(a.data(), a.data() + a.size(), v);
  return !a.empty() && r.ec == std::errc{} && r.ptr == a.data() + a.size() && std::isfinite(v);
}
// Server text for the log: percent-decoded when it decodes, else as sent (a bad escape in a message
// must not throw out of the event loop). Whoever prints it escapes control bytes (run_live's log).
std::string decoded(std::string_view s) {
  try {
    return tlcp::percent_decode(s.substr(0, 400));
  } catch (const tlcp::ProtocolError&) {
    return std::string(s.substr(0, 400));
  }
}

// A transport: one WebSocket connection, or HTTP streaming (a stream
// connection plus one short connection per control request); plain or TLS.
class Link : public std::enable_shared_from_this<Link> {
 public:
  std::function<void(std::string_view)> on_frame;     // stream data (WebSocket: whole messages; HTTP: any piece)
  std::function<void(std::string_view)> on_reply;     // HTTP: the whole body answering a control request
  std::function<void(const std::string&)> on_error;  // the connection is gone
  std::function<void()> on_open;                      // the transport works (WebSocket handshake / HTTP 200)
  virtual ~Link() = default;
  virtual void open(const Url& u) = 0;
  virtual void send(const tlcp::Request& r) = 0;
  virtual void close() = 0;
  virtual bool whole_messages() const = 0;  // on_frame data ends at a line end
};

void set_tls_host(beast::ssl_stream<beast::tcp_stream>& s, const std::string& host, beast::error_code& ec) {
  boost::system::error_code not_ip;
  (void)net::ip::make_address(host, not_ip);
  // SNI names a host, never an IP literal (RFC 6066 3); the certificate check takes either.
  if (not_ip && !SSL_set_tlsext_host_name(s.native_handle(), host.c_str())) {
    ec = beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
    return;
  }
  s.set_verify_callback(ssl::host_name_verification(host));
}

// "certificate verify failed" and the like, with the verification result when there is one.
std::string tls_error(const beast::error_code& ec, SSL* ssl) {
  std::string m = ec.message();
  if (ssl) {
    const long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK) m += std::string(" (") + X509_verify_cert_error_string(v) + ")";
  }
  return m;
}

template <bool Tls>
class WsLink final : public Link {
  using Next = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  WsLink(net::io_context& ioc, ssl::context* ctx) : res_(ioc), ws_(make(ioc, ctx)) {}
  void open(const Url& u) override {
    url_ = u;
    auto self = std::static_pointer_cast<WsLink>(shared_from_this());
    res_.async_resolve(u.host, u.port, [self](const beast::error_code& ec, tcp::resolver::results_type r) {
      if (ec) return self->fail("resolve " + self->url_.host + ": " + ec.message());
      beast::get_lowest_layer(self->ws_).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(self->ws_).async_connect(r, [self](const beast::error_code& ec2, const tcp::endpoint&) {
        if (ec2) return self->fail("connect " + self->url_.authority() + ": " + ec2.message());
        beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
        if constexpr (Tls) {
          auto& s = self->ws_.next_layer();
          beast::error_code sni;
          set_tls_host(s, self->url_.host, sni);
          if (sni) return self->fail("TLS: cannot set the SNI host name: " + sni.message());
          s.async_handshake(ssl::stream_base::client, [self](const beast::error_code& ec3) {
            if (ec3)
              return self->fail("TLS handshake with " + self->url_.authority() + " failed: " +
                                tls_error(ec3, self->ws_.next_layer().native_handle()));
            self->ws_handshake();
          });
        } else {
          self->ws_handshake();
        }
      });
    });
  }
  void send(const tlcp::Request& r) override {
    q_.push_back(r.name == "wsok" ? std::string("wsok") : tlcp::encode_ws_request(r));
    if (!writing_ && open_) write();
  }
  bool whole_messages() const override { return true; }
  void close() override {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  static websocket::stream<Next> make(net::io_context& ioc, ssl::context* ctx) {
    if constexpr (Tls) return websocket::stream<Next>(ioc, *ctx);
    else return websocket::stream<Next>(ioc);
  }
  void ws_handshake() {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(10), websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, tlcp::kSubprotocol);
      req.set(beast::http::field::user_agent, "peebot live");
    }));
    ws_.read_message_max(64u << 20);
    auto self = std::static_pointer_cast<WsLink>(shared_from_this());
    const std::string hostport = url_.authority();
    ws_.async_handshake(res_type_, hostport, url_.path, [self](const beast::error_code& ec) {
      if (ec) {
        const unsigned st = self->res_type_.result_int();
        return self->fail("WebSocket handshake with " + self->url_.authority() + self->url_.path + " failed: " +
                          ec.message() + (st && st != 101 ? " (HTTP status " + std::to_string(st) + ")" : std::string()));
      }
      const auto proto = self->res_type_[beast::http::field::sec_websocket_protocol];
      if (proto != tlcp::kSubprotocol)
        return self->fail("the server did not accept subprotocol " + std::string(tlcp::kSubprotocol) + " (answered \"" +
                          std::string(proto) + "\")");
      self->ws_.text(true);
      self->open_ = true;
      if (self->on_open) self->on_open();
      if (!self->q_.empty() && !self->writing_) self->write();
      self->read();
    });
  }
  void read() {
    auto self = std::static_pointer_cast<WsLink>(shared_from_this());
    ws_.async_read(buf_, [self](const beast::error_code& ec, std::size_t) {
      if (self->closed_) return;
      if (ec) return self->fail("connection lost: " + ec.message());
      const auto data = self->buf_.cdata();
      const std::string_view frame(static_cast<const char*>(data.data()), data.size());
      if (self->on_frame) self->on_frame(frame);
      self->buf_.consume(self->buf_.size());
      if (!self->closed_) self->read();
    });
  }
  void write() {
    if (q_.empty() || closed_) { writing_ = false; return; }
    writing_ = true;
    auto self = std::static_pointer_cast<WsLink>(shared_from_this());
    ws_.async_write(net::buffer(q_.front()), [self](const beast::error_code& ec, std::size_t) {
      self->q_.pop_front();
      if (ec) { self->writing_ = false; return self->fail("write: " + ec.message()); }
      self->write();
    });
  }
  void fail(const std::string& why) {
    if (closed_) return;
    close();
    if (on_error) on_error(why);
  }

  tcp::resolver res_;
  websocket::stream<Next> ws_;
  websocket::response_type res_type_;
  beast::flat_buffer buf_;
  std::deque<std::string> q_;
  Url url_;
  bool writing_ = false, open_ = false, closed_ = false;
};

// HTTP streaming (TLCP over HTTP/1.1): create_session and bind_session are
// POSTed on a stream connection whose chunked response carries the
// notifications; each control request goes on its own short connection and
// its answer (REQOK/REQERR) comes back as the response body. Boost.Beast's
// HTTP client rather than libcurl: the WebSocket transport already uses
// Beast and Asio on the client's one io_context (same event loop, TLS set-up,
// timers and cancellation), where libcurl would need its multi interface
// bridged onto Asio's sockets for no gain.
template <bool Tls>
class HttpLink final : public Link {
  using Stream = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;
  struct Conn {
    Conn(net::io_context& ioc, ssl::context* ctx) : res(ioc), s(make(ioc, ctx)) {}
    static Stream make(net::io_context& ioc, ssl::context* ctx) {
      if constexpr (Tls) return Stream(ioc, *ctx);
      else return Stream(ioc);
    }
    tcp::resolver res;
    Stream s;
    beast::flat_buffer buf;
    beast::http::request<beast::http::string_body> req;
    beast::http::response_parser<beast::http::buffer_body> stream_parser;  // stream connection
    beast::http::response<beast::http::string_body> reply;                 // control connection
    char chunk[64 * 1024];
  };

 public:
  HttpLink(net::io_context& ioc, ssl::context* ctx) : ioc_(ioc), ctx_(ctx) {}
  void open(const Url& u) override { url_ = u; }
  void send(const tlcp::Request& r) override {
    if (closed_ || r.name == "wsok") return;
    if (r.name == "create_session" || r.name == "bind_session") start_stream(r);
    else control(r);
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    if (stream_) shut(*stream_);
    stream_.reset();
  }
  bool whole_messages() const override { return false; }

 private:
  static void shut(Conn& c) {
    beast::error_code ec;
    beast::get_lowest_layer(c.s).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(c.s).socket().close(ec);
  }
  void prepare(Conn& c, const tlcp::Request& r) {
    namespace http = beast::http;
    c.req = {};
    c.req.method(http::verb::post);
    c.req.target(url_.path + "/" + r.name + ".txt?LS_protocol=" + tlcp::kProtocolParam);
    c.req.version(11);
    c.req.set(http::field::host, url_.authority());
    c.req.set(http::field::user_agent, "peebot live");
    c.req.set(http::field::content_type, "text/plain; charset=utf-8");
    c.req.body() = tlcp::encode_params(r.params);
    c.req.prepare_payload();
  }
  // Resolves, connects and (TLS) handshakes, then then().
  void connect(const std::shared_ptr<Conn>& c, const std::string& what, std::function<void()> then) {
    auto self = std::static_pointer_cast<HttpLink>(shared_from_this());
    c->res.async_resolve(url_.host, url_.port, [self, c, what, then](const beast::error_code& ec, tcp::resolver::results_type r) {
      if (self->closed_) return;
      if (ec) return self->fail("HTTP " + what + ": resolve " + self->url_.host + ": " + ec.message());
      beast::get_lowest_layer(c->s).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(c->s).async_connect(r, [self, c, what, then](const beast::error_code& ec2, const tcp::endpoint&) {
        if (self->closed_) return;
        if (ec2) return self->fail("HTTP " + what + ": connect " + self->url_.authority() + ": " + ec2.message());
        beast::get_lowest_layer(c->s).socket().set_option(tcp::no_delay(true));
        if constexpr (Tls) {
          beast::error_code sni;
          set_tls_host(c->s, self->url_.host, sni);
          if (sni) return self->fail("TLS: cannot set the SNI host name: " + sni.message());
          c->s.async_handshake(ssl::stream_base::client, [self, c, what, then](const beast::error_code& ec3) {
            if (self->closed_) return;
            if (ec3)
              return self->fail("TLS handshake with " + self->url_.authority() + " failed: " +
                                tls_error(ec3, c->s.native_handle()));
            then();
          });
        } else {
          then();
        }
      });
    });
  }
  void start_stream(const tlcp::Request& r) {
    namespace http = beast::http;
    if (stream_) shut(*stream_);  // a rebind replaces the stream connection
    auto c = std::make_shared<Conn>(ioc_, ctx_);
    stream_ = c;
    // No limit on the endless stream. Not body_limit(boost::none): in Boost 1.74 that fails every response
    // with a Content-Length ("body limit exceeded", boostorg/beast#2070, fixed in 1.75), e.g. a 503 with a body.
    c->stream_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    prepare(*c, r);
    auto self = std::static_pointer_cast<HttpLink>(shared_from_this());
    const std::string what = r.name;
    connect(c, what, [self, c, what] {
      if (self->stream_ != c) return;
      http::async_write(c->s, c->req, [self, c, what](const beast::error_code& ec, std::size_t) {
        if (self->closed_ || self->stream_ != c) return;
        if (ec) return self->fail("HTTP " + what + ": sending the request: " + ec.message());
        http::async_read_header(c->s, c->buf, c->stream_parser, [self, c, what](const beast::error_code& ec2, std::size_t) {
          if (self->closed_ || self->stream_ != c) return;
          if (ec2) return self->fail("HTTP " + what + ": reading the response header: " + ec2.message());
          const unsigned st = c->stream_parser.get().result_int();
          if (st != 200) return self->fail("HTTP " + what + " answered HTTP status " + std::to_string(st) + " (expected 200)");
          beast::get_lowest_layer(c->s).expires_never();
          if (self->on_open) self->on_open();
          self->read_stream(c);
        });
      });
    });
  }
  void read_stream(const std::shared_ptr<Conn>& c) {
    namespace http = beast::http;
    if (c->stream_parser.is_done()) return fail("the server ended the HTTP stream");
    c->stream_parser.get().body().data = c->chunk;
    c->stream_parser.get().body().size = sizeof c->chunk;
    auto self = std::static_pointer_cast<HttpLink>(shared_from_this());
    http::async_read_some(c->s, c->buf, c->stream_parser, [self, c](beast::error_code ec, std::size_t) {
      if (self->closed_ || self->stream_ != c) return;
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t n = sizeof c->chunk - c->stream_parser.get().body().size;
      if (n && self->on_frame) self->on_frame(std::string_view(c->chunk, n));
      if (self->closed_ || self->stream_ != c) return;
      if (ec) return self->fail("HTTP stream lost: " + ec.message());
      self->read_stream(c);
    });
  }
  void control(const tlcp::Request& r) {
    namespace http = beast::http;
    auto c = std::make_shared<Conn>(ioc_, ctx_);
    prepare(*c, r);
    auto self = std::static_pointer_cast<HttpLink>(shared_from_this());
    const std::string what = r.name;
    connect(c, what, [self, c, what] {
      http::async_write(c->s, c->req, [self, c, what](const beast::error_code& ec, std::size_t) {
        if (self->closed_) return;
        if (ec) return self->fail("HTTP " + what + ": sending the request: " + ec.message());
        http::async_read(c->s, c->buf, c->reply, [self, c, what](const beast::error_code& ec2, std::size_t) {
          shut(*c);
          if (self->closed_) return;
          if (ec2) return self->fail("HTTP " + what + ": reading the answer: " + ec2.message());
          const unsigned st = c->reply.result_int();
          if (st != 200) return self->fail("HTTP " + what + " answered HTTP status " + std::to_string(st) + " (expected 200)");
          if (self->on_reply) self->on_reply(c->reply.body());
        });
      });
    });
  }
  void fail(const std::string& why) {
    if (closed_) return;
    close();
    if (on_error) on_error(why);
  }

  net::io_context& ioc_;
  ssl::context* ctx_;
  Url url_;
  std::shared_ptr<Conn> stream_;
  bool closed_ = false;
};

}  // namespace

struct TlcpClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(net::io_context& i, const ClientOptions& o, ClientHandler h)
      : ioc(i), opt(o), handler(std::move(h)), watchdog(i), retry(i), subok_timer(i), rng(o.seed) {}
  net::io_context& ioc;
  ClientOptions opt;
  ClientHandler handler;
  Url url;
  std::unique_ptr<ssl::context> tls;
  std::shared_ptr<Link> link;
  net::steady_timer watchdog, retry, subok_timer;
  std::mt19937_64 rng;
  ClientCounters c;
  std::string session;       // current session id ("" = none)
  std::uint64_t prog = 0;    // data notifications received in this session
  std::uint64_t skip_resent = 0;  // after a PROG lower than asked: data notifications to skip (already received)
  double keepalive_s = 5.0;  // as granted by CONOK
  int failures = 0;
  bool stopped = false, is_connected = false, subscribed = false, recovering = false;
  bool use_http = false;     // the transport of the current or next connection
  bool link_opened = false;  // the current link's transport worked (WebSocket handshake / HTTP 200)
  std::chrono::steady_clock::time_point session_start{};
  std::uint64_t sync_warnings = 0;
  std::unique_ptr<tlcp::ItemState> state;
  tlcp::LineSplitter lines;
  tlcp::Notification note;   // the line being handled; its argument list is reused
  std::uint64_t cid = 0;

  void log(const std::string& s) { if (handler.on_log) handler.on_log(s); }
  void set_connected(bool v) {
    if (v == is_connected) return;
    is_connected = v;
    if (handler.on_connected) handler.on_connected(v);
  }

  void connect() {
    if (stopped) return;
    if (link) link->close();
    lines.clear();
    skip_resent = 0;
    std::shared_ptr<Link> l;
    if (url.tls && !tls) {
      tls = std::make_unique<ssl::context>(ssl::context::tls_client);
      beast::error_code ec;
      if (opt.ca_file.empty()) tls->set_default_verify_paths(ec);
      else tls->load_verify_file(opt.ca_file, ec);
      if (ec) {
        tls.reset();
        return fatal("TLS: cannot load the trusted certificates" +
                     (opt.ca_file.empty() ? std::string() : " from " + opt.ca_file) + ": " + ec.message());
      }
      tls->set_verify_mode(ssl::verify_peer);
    }
    if (use_http) {
      if (url.tls) l = std::make_shared<HttpLink<true>>(ioc, tls.get());
      else l = std::make_shared<HttpLink<false>>(ioc, nullptr);
    } else {
      if (url.tls) l = std::make_shared<WsLink<true>>(ioc, tls.get());
      else l = std::make_shared<WsLink<false>>(ioc, nullptr);
    }
    c.transport = use_http ? "http" : "ws";
    link_opened = false;
    link = l;
    std::weak_ptr<Impl> w = weak_from_this();
    std::weak_ptr<Link> wl = l;
    l->on_frame = [w, wl](std::string_view f) {
      auto s = w.lock();
      if (s && s->link == wl.lock()) s->on_frame(f);
    };
    l->on_reply = [w, wl](std::string_view body) {
      auto s = w.lock();
      if (s && s->link == wl.lock()) s->on_reply(body);
    };
    l->on_error = [w, wl](const std::string& why) {
      auto s = w.lock();
      if (s && s->link == wl.lock()) s->on_lost(why);
    };
    l->on_open = [w, wl]() {
      auto s = w.lock();
      if (s && s->link == wl.lock()) s->link_opened = true;
    };
    l->open(url);
    // The opening requests: wsok, then a new session or a recovery of the current one.
    l->send(tlcp::Request{"wsok", {}});
    if (!session.empty()) {
      recovering = true;
      send_bind(true);
      log("recovering session " + session + " from notification " + std::to_string(prog) + " over " +
          (use_http ? "HTTP streaming" : "WebSocket"));
    } else {
      send_create();
    }
    arm_watchdog(10.0);
  }
  void send_bind(bool recovery) {
    tlcp::Request r{"bind_session", {{"LS_session", session},
                                     {"LS_keepalive_millis", std::to_string(static_cast<long>(opt.keepalive_s * 1000))}}};
    if (recovery) r.params.emplace_back("LS_recovery_from", std::to_string(prog));
    if (use_http && opt.http_content_length) r.params.emplace_back("LS_content_length", std::to_string(opt.http_content_length));
    link->send(r);
  }
  // An HTTP control answer: its lines, one by one.
  void on_reply(std::string_view body) {
    std::size_t a = 0;
    while (a < body.size() && link) {
      std::size_t b = body.find('\n', a);
      if (b == std::string_view::npos) b = body.size();
      std::string_view line = body.substr(a, b - a);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) on_line(line);
      a = b + 1;
    }
  }
  void send_create() {
    tlcp::Request r{"create_session", {{"LS_cid", "peebot-live-" + std::to_string(++cid)},
                                       {"LS_adapter_set", opt.adapter_set},
                                       {"LS_keepalive_millis", std::to_string(static_cast<long>(opt.keepalive_s * 1000))},
                                       {"LS_send_sync", "true"}}};
    if (use_http && opt.http_content_length) r.params.emplace_back("LS_content_length", std::to_string(opt.http_content_length));
    link->send(r);
    subscribed = false;
    recovering = false;
  }
  void subscribe() {
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) { if (!s.empty()) s += ' '; s += x; }
      return s;
    };
    tlcp::Request r{"control", {{"LS_reqId", "1"}, {"LS_op", "add"}, {"LS_subId", "1"}, {"LS_mode", "MERGE"},
                                {"LS_group", join(opt.items)}, {"LS_schema", join(opt.fields)}, {"LS_snapshot", "true"}}};
    if (use_http) r.params.emplace_back("LS_session", session);  // a control connection is not bound to the session
    link->send(r);
    arm_subok();
  }
  // A server that confirms the session but never the subscription (and keeps it alive with PROBEs)
  // would leave us connected with no data: the SUBOK is awaited this long.
  void arm_subok() {
    subok_timer.expires_after(std::chrono::milliseconds(static_cast<long>(clamp_s(opt.subscribe_timeout_s) * 1000)));
    std::weak_ptr<Impl> w = weak_from_this();
    subok_timer.async_wait([w](const beast::error_code& ec) {
      if (ec) return;
      auto s = w.lock();
      if (!s || s->subscribed || s->stopped) return;
      ++s->c.errors;
      s->session.clear();  // its subscription state is unknown: a fresh session
      s->prog = 0;
      s->on_lost("the server confirmed the session but not the subscription within " +
                 std::to_string(s->opt.subscribe_timeout_s).substr(0, 5) + " s (no SUBOK)");
    });
  }
  // A timer length in seconds, bounded (a server-given or absurd value must not overflow or disable it).
  static double clamp_s(double s) { return std::isfinite(s) ? std::min(std::max(s, 0.001), 1e6) : 1e6; }

  void arm_watchdog(double seconds) {
    watchdog.expires_after(std::chrono::milliseconds(static_cast<long>(clamp_s(seconds) * 1000)));
    std::weak_ptr<Impl> w = weak_from_this();
    watchdog.async_wait([w](const beast::error_code& ec) {
      if (ec) return;
      if (auto s = w.lock()) s->on_lost("no data and no PROBE for longer than the keepalive: the connection is stalled");
    });
  }

  void on_frame(std::string_view f) {
    arm_watchdog(keepalive_s + opt.stall_grace_s);
    lines.feed(f, [this](std::string_view line) {
      if (!line.empty()) on_line(line);
    });
    // A WebSocket message holds whole lines (the last CRLF may be missing); HTTP data may end anywhere.
    if (link && link->whole_messages() && !f.empty() && f.back() != '\n')
      lines.feed("\r\n", [this](std::string_view line) { if (!line.empty()) on_line(line); });
    if (handler.on_batch && !stopped) handler.on_batch();
  }

  void on_line(std::string_view line) {
    if (stopped || !link) return;
    tlcp::Notification& n = note;
    try {
      tlcp::parse_notification(line, n);
    } catch (const tlcp::ProtocolError& e) {
      return protocol_error(e.what());
    }
    if (tlcp::is_data_notification(n.tag)) {
      ++prog;
      ++c.data_notifications;
      // TLCP recovery: a PROG lower than asked resends notifications we already have; they are skipped
      // until the point asked for (other notifications are obeyed as usual).
      if (skip_resent) { --skip_resent; ++c.resent_skipped; return; }
    }
    switch (n.tag) {
      case tlcp::Tag::kUpdate: {
        if (!state) return protocol_error("update before SUBOK: " + std::string(line.substr(0, 80)));
        if (n.args[0] != "1") return;  // not ours
        int item = 0;
        const std::string_view ia = n.args[1];
        const auto ir = std::from_chars(ia.data(), ia.data() + ia.size(), item);  // the usual case, no allocation
        if (ir.ec != std::errc{} || ir.ptr != ia.data() + ia.size())
          try { item = std::stoi(std::string(ia)); } catch (...) { return protocol_error("bad item index in " + std::string(line.substr(0, 80))); }
        try {
          state->apply(item, n.args[2]);
        } catch (const tlcp::ProtocolError& e) {
          return protocol_error(e.what());
        }
        ++c.updates;
        failures = 0;
        if (handler.on_update) handler.on_update(item - 1, *state, item);
        return;
      }
      case tlcp::Tag::kConok: {
        const bool same = std::string(n.args[0]) == session;
        session = std::string(n.args[0]);
        double ka_ms = 0;
        if (!parse_number(n.args[2], ka_ms) || ka_ms < 0)
          return protocol_error("bad keepalive in CONOK: " + std::string(line.substr(0, 80)));
        keepalive_s = std::min(std::max(0.05, ka_ms / 1000.0), opt.max_keepalive_s);
        if (keepalive_s != ka_ms / 1000.0)
          log("the server's keepalive of " + std::string(n.args[2]) + " ms is out of range: the stall watchdog uses " +
              std::to_string(keepalive_s).substr(0, 6) + " s");
        set_connected(true);
        if (!(recovering && same)) session_start = std::chrono::steady_clock::now();
        if (recovering && same) {
          ++c.recoveries;
          log("session " + session + " recovered");
          if (!subscribed) arm_subok();  // the SUBOK may still be owed (resent by the recovery, or never)
        } else {
          ++c.sessions;
          prog = 0;
          skip_resent = 0;
          subscribed = false;
          state.reset();
          if (handler.on_new_session) handler.on_new_session();
          log("session " + session + " created");
          subscribe();
        }
        recovering = false;
        arm_watchdog(keepalive_s + opt.stall_grace_s);
        return;
      }
      case tlcp::Tag::kConerr: {
        const std::string code = std::string(n.args[0]);
        log("CONERR " + code + ": " + decoded(n.args[1]));
        if (recovering) {  // the session is gone: start a new one on this connection
          session.clear();
          prog = 0;
          send_create();
          return;
        }
        if (code == "1" || code == "2" || code == "3" || code == "8" || code == "11")
          return fatal("the server refused the session (CONERR " + code + ")");
        return on_lost("session creation refused (CONERR " + code + ")");
      }
      case tlcp::Tag::kProg: {
        std::uint64_t from = 0;
        const std::string_view a = n.args[0];
        const auto r = std::from_chars(a.data(), a.data() + a.size(), from);
        if (a.empty() || r.ec != std::errc{} || r.ptr != a.data() + a.size())
          return protocol_error("bad PROG: " + std::string(line.substr(0, 80)));
        if (from > prog)  // the server would resume beyond what we received: notifications lost
          return protocol_error("PROG " + std::to_string(from) + " is beyond the " + std::to_string(prog) +
                                " data notifications received (some would be lost)");
        skip_resent = prog - from;
        prog = from;
        if (skip_resent) log("recovery resends from notification " + std::to_string(from) + ": skipping " +
                             std::to_string(skip_resent) + " already received");
        return;
      }
      case tlcp::Tag::kSubok: {
        const int ni = std::atoi(std::string(n.args[1]).c_str()), nf = std::atoi(std::string(n.args[2]).c_str());
        if (ni != static_cast<int>(opt.items.size()) || nf != static_cast<int>(opt.fields.size()))
          return fatal("SUBOK with " + std::to_string(ni) + " items and " + std::to_string(nf) + " fields, expected " +
                       std::to_string(opt.items.size()) + " and " + std::to_string(opt.fields.size()));
        state = std::make_unique<tlcp::ItemState>(ni, nf);
        subscribed = true;
        subok_timer.cancel();
        failures = 0;  // the attempt worked: data flows
        return;
      }
      case tlcp::Tag::kReqerr:
        return fatal("request " + std::string(n.args[0]) + " refused: REQERR " + std::string(n.args[1]) + " " +
                     decoded(n.args[2]));
      case tlcp::Tag::kError:
        return fatal("ERROR " + std::string(n.args[0]) + " " + decoded(n.args[1]));
      case tlcp::Tag::kLoop: {
        ++c.rebinds;
        log("LOOP: rebinding session " + session);
        recovering = true;
        send_bind(true);
        return;
      }
      case tlcp::Tag::kEnd: {
        log("END " + std::string(n.args[0]) + ": " + decoded(n.args[1]) + "; opening a new session");
        session.clear();
        prog = 0;
        return on_lost("session ended by the server");
      }
      case tlcp::Tag::kProbe: ++c.probes; return;
      case tlcp::Tag::kSync: {
        // SYNC,<seconds since the session started, by the server's clock>: if
        // ours is far behind, we are reading the stream late (a slow consumer).
        double server_s = 0;
        if (!parse_number(n.args[0], server_s) || server_s < 0)
          return protocol_error("bad SYNC: " + std::string(line.substr(0, 80)));
        ++c.syncs;
        const double ours = std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();
        c.sync_lag_s = ours - server_s;
        if (c.sync_lag_s > opt.sync_lag_warn_s && sync_warnings++ < 10)
          log("SYNC: this client reads the stream " + std::to_string(c.sync_lag_s).substr(0, 6) +
              " s behind the server (a slow consumer or a slow network)");
        return;
      }
      case tlcp::Tag::kUnsub:
        return fatal("the server removed the subscription (UNSUB)");
      default: return;  // WSOK, SERVNAME, CLIENTIP, CONS, REQOK, CONF, SYNC, NOOP, unknown tags
    }
  }

  void protocol_error(const std::string& what) {
    ++c.errors;
    log("protocol error: " + what + "; reconnecting");
    // What we decoded may be inconsistent: start a fresh session.
    session.clear();
    prog = 0;
    on_lost("protocol error");
  }
  void fatal(const std::string& what) {
    ++c.errors;
    stop();
    if (handler.on_fatal) handler.on_fatal(what);
  }
  void on_lost(const std::string& why) {
    if (stopped) return;
    if (link) { link->close(); link.reset(); }
    watchdog.cancel();
    subok_timer.cancel();
    set_connected(false);
    ++failures;
    ++c.reconnects;
    if (opt.max_failures >= 0 && failures > opt.max_failures)
      return fatal("giving up after " + std::to_string(failures) + " failed attempts (last: " + why + ")");
    if (opt.transport == "auto" && !link_opened) {
      // The transport itself failed (refused upgrade, proxy, bad status): try the other one.
      use_http = !use_http;
      ++c.fallbacks;
      log(std::string(use_http ? "WebSocket" : "HTTP streaming") + " failed (" + why + "); trying " +
          (use_http ? "HTTP streaming" : "WebSocket"));
    }
    const double cap = std::min(opt.backoff_max_s, opt.backoff_s * std::pow(2.0, std::min(failures - 1, 30)));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const double delay = failures == 1 ? 0.0 : cap * jitter(rng);  // the first retry is immediate
    log(why + "; reconnecting in " + std::to_string(delay).substr(0, 5) + " s");
    retry.expires_after(std::chrono::milliseconds(static_cast<long>(delay * 1000)));
    std::weak_ptr<Impl> w = weak_from_this();
    retry.async_wait([w](const beast::error_code& ec) {
      if (ec) return;
      if (auto s = w.lock()) s->connect();
    });
  }
  void stop() {
    stopped = true;
    watchdog.cancel();
    retry.cancel();
    subok_timer.cancel();
    if (link) { link->close(); link.reset(); }
    set_connected(false);
  }
};

TlcpClient::TlcpClient(net::io_context& ioc, const ClientOptions& o, ClientHandler h)
    : impl_(std::make_shared<Impl>(ioc, o, std::move(h))) {}
TlcpClient::~TlcpClient() { impl_->stop(); }

void TlcpClient::start() {
  impl_->url = parse_url(impl_->opt.url);
  const std::string& tr = impl_->opt.transport;
  if (tr != "auto" && tr != "ws" && tr != "http")
    throw std::invalid_argument("transport \"" + tr + "\" must be auto, ws or http");
  impl_->use_http = tr == "http";
  if (impl_->opt.items.empty() || impl_->opt.fields.empty()) throw std::invalid_argument("no items or no fields to subscribe");
  impl_->connect();
}
void TlcpClient::stop() { impl_->stop(); }
const ClientCounters& TlcpClient::counters() const { return impl_->c; }
bool TlcpClient::connected() const { return impl_->is_connected; }
bool TlcpClient::subscribed() const { return impl_->is_connected && impl_->subscribed; }

}  // namespace peebot::live
