#include "server.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <deque>
#include <iostream>
#include <map>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "../../models/iss_time.hpp"
#include "../../models/items.hpp"
#include "../util/text.hpp"
#include "tlcp.hpp"

namespace peebot::live {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBacklogHigh = 1 << 20;  // pause the replay above this many queued bytes
constexpr std::size_t kBatchBytes = 64 * 1024;
constexpr std::size_t kLogMaxBytes = 32u << 20;  // data notifications kept for recovery
constexpr std::size_t kMaxSubscriptions = 64;     // per session
constexpr std::size_t kMaxFieldsPerSubscription = 100000;  // items x fields

struct Session;

// A stream connection (WebSocket or HTTP streaming response) a session can be bound to.
struct Sink : std::enable_shared_from_this<Sink> {
  virtual ~Sink() = default;
  virtual void send(std::string data) = 0;
  virtual void close_abrupt() = 0;       // drop the TCP connection now
  virtual void close_after_flush() = 0;  // end the stream cleanly once written
  virtual bool is_http() const = 0;
  std::size_t backlog = 0;
  std::uint64_t bytes_sent = 0;
  std::weak_ptr<Session> session;  // bound session, if any
};

}  // namespace

struct TlcpServer::Impl {
  Impl(std::vector<FeedEvent> f, const ServeOptions& o) : feed(std::move(f)), opt(o), acceptor(ioc) {}
  std::vector<FeedEvent> feed;
  ServeOptions opt;
  net::io_context ioc;
  tcp::acceptor acceptor;
  ServeStats stats;
  std::map<std::string, std::shared_ptr<Session>> sessions;
  std::uint64_t next_session = 1;
  std::uint64_t updates_total = 0;  // for the faults
  bool dropped = false, stalled = false, looped = false, ended = false, lost_signal = false;
  std::size_t finished_sessions = 0;

  void do_accept();
  void handle(const tlcp::Request& r, const std::shared_ptr<Sink>& from, std::string& reply, const std::string* http_session);
  void handle_checked(const tlcp::Request& r, const std::shared_ptr<Sink>& from, std::string& reply, const std::string* http_session);
  // Removes a session (destroyed, ended or expired): its recovery log and state are freed.
  void forget(const std::string& id) {
    sessions.erase(id);
    stats.active_sessions = sessions.size();
  }
  void maybe_exit();
  void end_poll(const std::shared_ptr<Session>& s, const std::shared_ptr<Sink>& from, std::string& reply);
};

namespace {

using Impl = TlcpServer::Impl;

struct Sub {
  int id = 0;
  std::vector<int> items;                                    // ItemId, or -1 (never updated)
  std::vector<Field> fields;
  std::vector<std::vector<std::optional<std::string>>> last;  // per item: last values sent
  std::vector<std::uint8_t> sent;                             // per item: anything sent yet
};

struct Session : std::enable_shared_from_this<Session> {
  Session(Impl& s, std::string i) : srv(s), id(std::move(i)), timer(s.ioc), probe(s.ioc), expiry(s.ioc), last_idx(kNamedItems, -1) {}
  Impl& srv;
  std::string id;
  net::steady_timer timer, probe;
  net::steady_timer expiry;  // an unbound session is discarded when this fires (ServeOptions::session_timeout_s)
  std::shared_ptr<Sink> sink;
  std::vector<Sub> subs;
  std::size_t pos = 0;
  bool started = false, done = false, waiting_drain = false, timer_armed = false;
  Clock::time_point start{}, last_write{}, stalled_until{};
  double t0 = 0.0;
  std::vector<long> last_idx;  // per named item: index of the latest feed event emitted
  std::uint64_t content_length = 0;
  double keepalive_s = 5.0;
  // Recovery log: data notifications [log_base, data_count) as text, line ends in log_ends.
  std::uint64_t data_count = 0, log_base = 0;
  std::string log;
  std::deque<std::size_t> log_ends;
  std::vector<std::optional<std::string>> scratch;
  std::string line_buf;  // the notification being encoded
  std::vector<double> last_stamp_h = std::vector<double>(kNamedItems, 0.0);  // --stamp-now: last TimeStamp per item
  bool in_los = false;       // the injected LOS window is under way
  double los_until_t = 0.0;  // feed time it ends

  void log_data(std::string_view line, std::string& out) {
    out.append(line);
    out.append("\r\n");
    log.append(line);
    log.append("\r\n");
    log_ends.push_back(log.size());
    ++data_count;
    if (log.size() > kLogMaxBytes) {  // forget the older half
      const std::size_t drop = log_ends[log_ends.size() / 2];
      const std::size_t n = log_ends.size() / 2 + 1;
      log.erase(0, drop);
      for (std::size_t i = 0; i < n; ++i) log_ends.pop_front();
      for (auto& e : log_ends) e -= drop;
      log_base += n;
    }
  }
  // Resends the data notifications from count n; false when they are gone.
  bool resend_from(std::uint64_t n, std::string& out) {
    if (n > data_count || n < log_base) return false;
    if (n == data_count) return true;
    const std::size_t off = n == log_base ? 0 : log_ends[static_cast<std::size_t>(n - log_base - 1)];
    out.append(log, off, std::string::npos);
    return true;
  }

  void write(std::string s) {
    if (!sink || s.empty()) return;
    sink->bytes_sent += s.size();
    sink->send(std::move(s));
    last_write = Clock::now();
  }

  void bind(const std::shared_ptr<Sink>& s) {
    if (sink && sink != s) {
      sink->session.reset();
      sink->close_after_flush();
    }
    if (auto other = s->session.lock(); other && other.get() != this) other->unbind();
    sink = s;
    s->session = weak_from_this();
    last_write = Clock::now();
    expiry.cancel();
    arm_probe();
  }
  void unbind() {
    if (sink) sink->session.reset();
    sink.reset();
    // Unbound, the session keeps its recovery log (up to 32 MB) for a rebind; a client that never
    // comes back (dropped without a destroy) must not keep it forever.
    if (done && !srv.sessions.count(id)) return;
    std::weak_ptr<Session> w = weak_from_this();
    expiry.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(srv.opt.session_timeout_s)));
    expiry.async_wait([w](const beast::error_code& ec) {
      auto self = w.lock();
      if (ec || !self || self->sink) return;
      std::cerr << "serve: session " << self->id << " expired: no stream connection for " << self->srv.opt.session_timeout_s
                << " s\n";
      ++self->srv.stats.expired;
      self->timer.cancel();
      self->probe.cancel();
      if (!self->done) { self->done = true; ++self->srv.finished_sessions; }
      self->srv.forget(self->id);
      self->srv.maybe_exit();
    });
  }

  void arm_probe() {
    auto self = shared_from_this();
    probe.expires_after(std::chrono::milliseconds(static_cast<long>(keepalive_s * 1000 / 2) + 1));
    probe.async_wait([self](const beast::error_code& ec) {
      if (ec || !self->sink) return;
      const auto now = Clock::now();
      if (now >= self->stalled_until && now - self->last_write >= std::chrono::duration<double>(self->keepalive_s))
        self->write("PROBE\r\n");
      self->arm_probe();
    });
  }

  void emit(const FeedEvent& e, std::string& out, bool from_feed = true) {
    if (from_feed) last_idx[static_cast<std::size_t>(e.item)] = static_cast<long>(pos);
    for (auto& sub : subs) {
      for (std::size_t k = 0; k < sub.items.size(); ++k) {
        if (sub.items[k] != e.item) continue;
        emit_to(sub, k, e, out);
      }
    }
  }
  void emit_to(Sub& sub, std::size_t k, const FeedEvent& e, std::string& out) {
    // Field values and the line are built in reused strings: no allocation per update once warm.
    scratch.resize(sub.fields.size());
    for (std::size_t f = 0; f < sub.fields.size(); ++f) {
      auto& v = scratch[f];
      if (!v) v.emplace();
      if (!field_value_into(e, sub.fields[f], *v)) v.reset();
    }
    if (sub.sent[k] && scratch == sub.last[k]) return;  // MERGE: nothing changed
    std::string& line = line_buf;
    line.assign("U,");
    char num[24];
    line.append(num, std::to_chars(num, num + sizeof num, sub.id).ptr);
    line += ',';
    line.append(num, std::to_chars(num, num + sizeof num, k + 1).ptr);
    line += ',';
    tlcp::encode_update_values(sub.sent[k] ? &sub.last[k] : nullptr, scratch, line);
    sub.last[k] = scratch;  // element by element: the strings keep their capacity
    sub.sent[k] = 1;
    log_data(line, out);
    ++srv.stats.updates_sent;
    ++srv.updates_total;
  }

  // When feed event i is due, s after the start: evenly at --rate updates/s, else at --speed; 0 = now.
  double due_s(std::size_t i) const {
    if (srv.opt.rate > 0) return static_cast<double>(i) / srv.opt.rate;
    return srv.opt.speed > 0 ? (srv.feed[i].t_s - t0) / srv.opt.speed : 0.0;
  }
  // Sends what is due; schedules the next wake-up.
  void pump() {
    if (!sink || done || !started) return;
    const auto now = Clock::now();
    if (now < stalled_until) { arm(stalled_until); return; }
    if (sink->backlog > kBacklogHigh) { waiting_drain = true; return; }
    const double elapsed = std::chrono::duration<double>(now - start).count();
    std::string batch;
    // HTTP streaming with LS_content_length: stop at the length (at most one notification beyond it), then LOOP.
    const std::uint64_t room = sink->is_http() && content_length ? content_length - std::min(content_length, sink->bytes_sent)
                                                                 : std::uint64_t(-1);
    while (pos < srv.feed.size() && batch.size() < kBatchBytes && batch.size() < room) {
      const FeedEvent& e = srv.feed[pos];
      if (due_s(pos) > elapsed) break;
      if (in_los && e.t_s >= los_until_t) {  // acquisition of signal: the items resume
        in_los = false;
        // AOS stamped with this event's own TimeStamp and sent before it: no item value is
        // stamped inside the LOS window (a +1 ms stamp here put the resumed value 1 ms before AOS).
        if (e.item != kSignal) emit(signal_event(e, kStatusAos, 0.0), batch, false);
      }
      if (in_los) {  // only the clock item updates, reporting LOS
        if (e.item == kSignal) {
          FeedEvent l = e;
          l.status = 0;
          emit(l, batch);
        } else {
          ++srv.stats.withheld_in_los;
        }
        ++pos;
        continue;
      }
      if (srv.opt.stamp_now) {
        // Two updates of one item sent within the same microsecond would carry the same TimeStamp at the
        // client's resolution (its sequence number is the feed time in whole microseconds) and the second
        // would be dropped as a duplicate: keep each item's stamps at least 2 us apart (the conversion
        // to Unix seconds can move a stamp by 0.24 us, so 1 us apart could still round to one number).
        FeedEvent now = e;
        double& last = last_stamp_h[static_cast<std::size_t>(e.item)];
        now.iss_time_h = std::max(iss_timestamp_hours(std::chrono::duration<double>(
                                      std::chrono::system_clock::now().time_since_epoch()).count()),
                                  last + 2e-6 / 3600.0);
        last = now.iss_time_h;
        emit(now, batch);
      } else {
        emit(e, batch);
      }
      ++pos;
      if (fault(batch)) return;
    }
    write(std::move(batch));
    if (sink && sink->is_http() && content_length && sink->bytes_sent >= content_length) {
      write("LOOP,0\r\n");
      sink->close_after_flush();
      unbind();
      ++srv.stats.rebinds;
      return;
    }
    if (pos >= srv.feed.size()) {
      done = true;
      ++srv.finished_sessions;
      srv.maybe_exit();
      return;
    }
    if (sink && sink->backlog > kBacklogHigh) { waiting_drain = true; return; }
    const double due = due_s(pos);
    arm(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(due)));
  }
  // A TIME_000001 update with the given status, after_s (feed time) after event e.
  static FeedEvent signal_event(const FeedEvent& e, int status, double after_s) {
    FeedEvent s;
    s.t_s = e.t_s + after_s;
    s.iss_time_h = e.iss_time_h + after_s / 3600.0;
    s.value = s.iss_time_h;
    s.status = status;
    s.item = kSignal;
    return s;
  }
  // Injected faults; true when the pump must stop.
  bool fault(std::string& batch) {
    const auto& o = srv.opt;
    if (o.los_after && !srv.lost_signal && srv.updates_total >= o.los_after) {
      srv.lost_signal = true;
      const FeedEvent& e = srv.feed[pos - 1];
      std::cerr << "serve: fault: loss of signal on session " << id << " for " << o.los_s << " s of feed time\n";
      const FeedEvent los = signal_event(e, 0, 1e-3);  // 1 ms after the last value before the loss
      emit(los, batch, false);
      in_los = true;
      los_until_t = los.t_s + o.los_s;  // the window lasts los_s from the LOS stamp
      return false;
    }
    if (o.drop_after && !srv.dropped && srv.updates_total >= o.drop_after) {
      srv.dropped = true;
      write(std::move(batch));
      batch.clear();
      std::cerr << "serve: fault: dropping the connection of session " << id << " after " << srv.updates_total << " updates\n";
      sink->close_abrupt();
      unbind();
      return true;
    }
    if (o.stall_after && !srv.stalled && srv.updates_total >= o.stall_after) {
      srv.stalled = true;
      write(std::move(batch));
      batch.clear();
      std::cerr << "serve: fault: stalling session " << id << " for " << o.stall_s << " s\n";
      stalled_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.stall_s));
      // The replay clock stops too: shift the start so nothing is skipped.
      start += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.stall_s));
      arm(stalled_until);
      return true;
    }
    if (o.loop_after && !srv.looped && srv.updates_total >= o.loop_after) {
      srv.looped = true;
      batch += "LOOP,0\r\n";
      write(std::move(batch));
      batch.clear();
      std::cerr << "serve: fault: LOOP on session " << id << "\n";
      if (sink->is_http()) sink->close_after_flush();
      unbind();
      ++srv.stats.rebinds;
      return true;
    }
    if (o.end_after && !srv.ended && srv.updates_total >= o.end_after) {
      srv.ended = true;
      batch += "END,48,Maximum session duration reached\r\n";
      write(std::move(batch));
      batch.clear();
      std::cerr << "serve: fault: END on session " << id << "\n";
      sink->close_after_flush();
      unbind();
      done = true;
      srv.forget(id);
      return true;
    }
    return false;
  }
  void arm(Clock::time_point when) {
    if (timer_armed) return;
    timer_armed = true;
    timer.expires_at(when);
    auto self = shared_from_this();
    timer.async_wait([self](const beast::error_code& ec) {
      self->timer_armed = false;
      if (!ec) self->pump();
    });
  }
  void on_drain() {
    if (waiting_drain) { waiting_drain = false; pump(); }
  }
};

// ---- connections ------------------------------------------------------------------

class WsConn final : public Sink {
 public:
  WsConn(Impl& s, tcp::socket&& sock) : srv_(s), ws_(std::move(sock)) {}
  void start(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::sec_websocket_protocol, tlcp::kSubprotocol);
      res.set(http::field::server, "peebot serve");
    }));
    ws_.text(true);
    auto self = std::static_pointer_cast<WsConn>(shared_from_this());
    ws_.async_accept(req, [self](const beast::error_code& ec) {
      if (ec) return;
      self->read();
    });
  }
  void send(std::string data) override {
    backlog += data.size();
    if (q_.size() >= 2) q_.back() += data;  // coalesce behind the frame being written
    else q_.push_back(std::move(data));
    if (!writing_) write();
  }
  void close_abrupt() override {
    closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
  }
  void close_after_flush() override {
    close_when_flushed_ = true;
    if (!writing_) finish_close();
  }
  bool is_http() const override { return false; }

 private:
  void finish_close() {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();
    ws_.async_close(websocket::close_code::normal, [self](const beast::error_code&) {});
  }
  void read() {
    auto self = std::static_pointer_cast<WsConn>(shared_from_this());
    ws_.async_read(buf_, [self](const beast::error_code& ec, std::size_t) {
      if (ec) { self->on_closed(); return; }
      const std::string frame = beast::buffers_to_string(self->buf_.data());
      self->buf_.consume(self->buf_.size());
      std::string reply;
      try {
        for (const auto& r : tlcp::parse_ws_requests(frame)) self->srv_.handle(r, self, reply, nullptr);
      } catch (const tlcp::ProtocolError& e) {
        std::cerr << "serve: bad request frame: " << e.what() << "\n";  // outside bytes in it are escaped (tlcp quote)
        reply += "ERROR,67,Malformed request\r\n";
      }
      if (!reply.empty()) self->send(std::move(reply));
      if (!self->closed_) self->read();
    });
  }
  void on_closed() {
    closed_ = true;
    if (auto s = session.lock())
      if (s->sink.get() == this) s->unbind();
  }
  void write() {
    if (q_.empty() || closed_) {
      writing_ = false;
      if (close_when_flushed_) finish_close();
      return;
    }
    writing_ = true;
    auto self = std::static_pointer_cast<WsConn>(shared_from_this());
    ws_.async_write(net::buffer(q_.front()), [self](const beast::error_code& ec, std::size_t) {
      self->backlog -= self->q_.front().size();
      self->q_.pop_front();
      if (ec) { self->writing_ = false; self->q_.clear(); self->backlog = 0; self->on_closed(); return; }
      self->write();
      if (self->backlog < kBacklogHigh / 2)
        if (auto s = self->session.lock()) s->on_drain();
    });
  }

  Impl& srv_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::string> q_;
  bool writing_ = false, closed_ = false, close_when_flushed_ = false;
};

// An HTTP connection: one request at a time; a create_session/bind_session
// request turns it into a streaming sink (chunked response).
class HttpConn final : public Sink {
 public:
  HttpConn(Impl& s, tcp::socket&& sock) : srv_(s), stream_(std::move(sock)) {}
  void start() { read(); }
  void send(std::string data) override {
    if (!streaming_) return;
    backlog += data.size();
    if (q_.size() >= 2) q_.back() += data;
    else q_.push_back(std::move(data));
    if (!writing_) write();
  }
  void close_abrupt() override {
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }
  void close_after_flush() override {
    close_when_flushed_ = true;
    if (!writing_) write();
  }
  bool is_http() const override { return true; }

 private:
  void read() {
    req_ = {};
    auto self = std::static_pointer_cast<HttpConn>(shared_from_this());
    http::async_read(stream_, buf_, req_, [self](const beast::error_code& ec, std::size_t) {
      if (ec) { self->closed_ = true; return; }
      self->on_request();
    });
  }
  void reply(http::status st, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(st, req_.version());
    res->set(http::field::server, "peebot serve");
    res->set(http::field::content_type, "text/enriched; charset=UTF-8");
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(req_.keep_alive());
    res->body() = std::move(body);
    res->prepare_payload();
    auto self = std::static_pointer_cast<HttpConn>(shared_from_this());
    http::async_write(stream_, *res, [self, res](const beast::error_code& ec, std::size_t) {
      if (ec || !res->keep_alive()) { self->close_abrupt(); return; }
      self->read();
    });
  }
  void on_request() {
    if (websocket::is_upgrade(req_)) {
      if (srv_.opt.no_websocket) {
        reply(http::status::forbidden, "WebSocket is disabled on this server (--no-websocket)\r\n");
        return;
      }
      const auto proto = req_[http::field::sec_websocket_protocol];
      if (proto.find(tlcp::kSubprotocol) == beast::string_view::npos) {
        reply(http::status::bad_request, "WebSocket subprotocol must be TLCP-2.5.0.lightstreamer.com\r\n");
        return;
      }
      auto ws = std::make_shared<WsConn>(srv_, stream_.release_socket());
      ws->start(std::move(req_));
      return;
    }
    const std::string target(req_.target());
    const std::size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    std::vector<std::pair<std::string, std::string>> query;
    try {
      if (q != std::string::npos) query = tlcp::parse_params(std::string_view(target).substr(q + 1));
    } catch (const tlcp::ProtocolError& e) {
      reply(http::status::bad_request, std::string(e.what()) + "\r\n");
      return;
    }
    const std::string prefix = "/lightstreamer/";
    const std::string suffix = ".txt";
    if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size() + suffix.size() ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
      reply(http::status::not_found, "not a TLCP request path (expected /lightstreamer/<request>.txt)\r\n");
      return;
    }
    const std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    const std::string* http_session = nullptr;
    for (const auto& [k, v] : query)
      if (k == "LS_session") http_session = &v;
    std::string out;
    // The body: one request's parameters per line (control requests may be batched).
    std::vector<tlcp::Request> reqs;
    try {
      std::string_view body = req_.body();
      std::size_t start = 0;
      while (start <= body.size()) {
        std::size_t nl = body.find('\n', start);
        if (nl == std::string_view::npos) nl = body.size();
        std::string_view line = body.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty() || reqs.empty()) {
          tlcp::Request r;
          r.name = name;
          r.params = tlcp::parse_params(line);
          reqs.push_back(std::move(r));
        }
        start = nl + 1;
      }
    } catch (const tlcp::ProtocolError& e) {
      reply(http::status::ok, "ERROR,67," + tlcp::percent_encode(e.what()) + "\r\n");
      return;
    }
    const bool stream = name == "create_session" || name == "bind_session";
    if (stream) {
      streaming_ = true;
      auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, req_.version());
      res->set(http::field::server, "peebot serve");
      res->set(http::field::content_type, "text/enriched; charset=UTF-8");
      res->set(http::field::cache_control, "no-store");
      res->chunked(true);
      auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
      writing_ = true;
      auto self = std::static_pointer_cast<HttpConn>(shared_from_this());
      http::async_write_header(stream_, *sr, [self, res, sr](const beast::error_code& ec, std::size_t) {
        if (ec) { self->closed_ = true; self->writing_ = false; return; }
        self->write();
      });
    }
    for (const auto& r : reqs) srv_.handle(r, shared_from_this(), out, http_session);
    if (stream) {
      if (!out.empty()) send(std::move(out));
    } else {
      reply(http::status::ok, std::move(out));
    }
  }
  void write() {
    if (closed_) { writing_ = false; return; }
    if (q_.empty()) {
      writing_ = false;
      if (close_when_flushed_) {
        closed_ = true;
        auto self = shared_from_this();
        net::async_write(stream_, http::make_chunk_last(), [self](const beast::error_code&, std::size_t) {
          beast::error_code ec2;
          static_cast<HttpConn*>(self.get())->stream_.socket().shutdown(tcp::socket::shutdown_send, ec2);
        });
      }
      return;
    }
    writing_ = true;
    auto self = std::static_pointer_cast<HttpConn>(shared_from_this());
    net::async_write(stream_, http::make_chunk(net::buffer(q_.front())), [self](const beast::error_code& ec, std::size_t) {
      self->backlog -= self->q_.front().size();
      self->q_.pop_front();
      if (ec) {
        self->closed_ = true; self->writing_ = false; self->q_.clear(); self->backlog = 0;
        if (auto s = self->session.lock())
          if (s->sink.get() == self.get()) s->unbind();
        return;
      }
      self->write();
      if (self->backlog < kBacklogHigh / 2)
        if (auto s = self->session.lock()) s->on_drain();
    });
  }

  Impl& srv_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  std::deque<std::string> q_;
  bool streaming_ = false, writing_ = false, closed_ = false, close_when_flushed_ = false;
};

// A client's request with a parameter that is not what TLCP says it is: answered with ERROR.
struct BadParam : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A client-given number: absent -> dflt; else whole decimal text, finite, >= 0, clamped to [lo, hi].
// "nan", "inf", "-5", "1e999", "12abc" are refused (a NaN keepalive once gave ~800 PROBE/s and a
// CONOK keepalive of -9223372036854775808).
double param_number(const tlcp::Request& r, const char* key, double dflt, double lo, double hi) {
  const std::string* v = r.get(key);
  if (!v) return dflt;
  double x = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || res.ec != std::errc{} || res.ptr != v->data() + v->size() || !std::isfinite(x) || x < 0)
    throw BadParam(std::string(key) + " must be a number >= 0 (got \"" + printable(*v, 40) + "\")");
  return std::min(std::max(x, lo), hi);
}
// A client-given whole number (LS_recovery_from, LS_subId): digits only, at most `hi`.
std::uint64_t param_count(const tlcp::Request& r, const char* key, std::uint64_t dflt, std::uint64_t hi) {
  const std::string* v = r.get(key);
  if (!v) return dflt;
  std::uint64_t x = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || res.ec != std::errc{} || res.ptr != v->data() + v->size() || x > hi)
    throw BadParam(std::string(key) + " must be a whole number <= " + std::to_string(hi) + " (got \"" + printable(*v, 40) + "\")");
  return x;
}

}  // namespace

void Impl::maybe_exit() {
  if (opt.exit_when_done && finished_sessions > 0 && finished_sessions >= sessions.size()) {
    // Let the last writes go out, then stop.
    auto t = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(300));
    t->async_wait([this, t](const beast::error_code&) { ioc.stop(); });
  }
}

// A polling request (the official client's HTTP transport opens its session
// with one): answer, then LOOP and end the response; the client rebinds.
void Impl::end_poll(const std::shared_ptr<Session>& s, const std::shared_ptr<Sink>& from, std::string& reply) {
  reply += "LOOP,0\r\n";
  s->unbind();
  from->close_after_flush();
}

void Impl::do_accept() {
  acceptor.async_accept([this](const beast::error_code& ec, tcp::socket sock) {
    if (ec) return;
    sock.set_option(tcp::no_delay(true));
    std::make_shared<HttpConn>(*this, std::move(sock))->start();
    do_accept();
  });
}

void Impl::handle(const tlcp::Request& r, const std::shared_ptr<Sink>& from, std::string& reply, const std::string* http_session) {
  try {
    handle_checked(r, from, reply, http_session);
  } catch (const BadParam& e) {
    std::cerr << "serve: refused a " << printable(r.name, 40) << " request: " << e.what() << "\n";
    reply += "ERROR,67," + tlcp::percent_encode(e.what()) + "\r\n";
  }
}

void Impl::handle_checked(const tlcp::Request& r, const std::shared_ptr<Sink>& from, std::string& reply,
                          const std::string* http_session) {
  const std::string reqid = r.get("LS_reqId") ? *r.get("LS_reqId") : std::string();
  // LS_reqId is echoed in REQOK/REQERR: letters and digits only (TLCP), or a client could write
  // notification lines of its own into the stream (a CR LF in it).
  if (reqid.size() > 64 || reqid.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos)
    throw BadParam("LS_reqId must be letters and digits (at most 64)");
  auto reqerr = [&](int code, const std::string& msg) {
    reply += "REQERR," + reqid + "," + std::to_string(code) + "," + tlcp::percent_encode(msg) + "\r\n";
  };
  if (r.name == "wsok") { reply += "WSOK\r\n"; return; }
  if (r.name == "heartbeat") { if (!reqid.empty()) reply += "REQOK," + reqid + "\r\n"; return; }
  if (r.name == "create_session") {
    const std::string* as = r.get("LS_adapter_set");
    if (as && *as != opt.adapter_set) {
      reply += "CONERR,2,Requested Adapter Set not available\r\n";
      return;
    }
    if (!r.get("LS_cid")) { reply += "CONERR,11,Missing LS_cid\r\n"; return; }
    // Client-given numbers, checked before anything is created.
    const double keepalive_s = param_number(r, "LS_keepalive_millis", opt.keepalive_s * 1000, 100, 120000) / 1000.0;
    const auto content_length = static_cast<std::uint64_t>(param_number(r, "LS_content_length", 0, 0, 1e12));
    if (sessions.size() >= opt.max_sessions) {
      reply += "CONERR,7,Licensed maximum number of sessions reached\r\n";
      return;
    }
    char id[32];
    std::snprintf(id, sizeof id, "S%016llx", static_cast<unsigned long long>(0x5eed0000ull + next_session++));
    auto s = std::make_shared<Session>(*this, id);
    s->keepalive_s = keepalive_s;
    s->content_length = content_length;
    sessions[s->id] = s;
    stats.active_sessions = sessions.size();
    ++stats.sessions;
    s->bind(from);
    reply += "CONOK," + s->id + ",50000," + std::to_string(static_cast<long>(s->keepalive_s * 1000)) + ",*\r\n";
    reply += "SERVNAME,peebot serve\r\nCLIENTIP,127.0.0.1\r\nCONS,unlimited\r\n";
    if (const std::string* poll = r.get("LS_polling"); poll && *poll == "true") end_poll(s, from, reply);
    return;
  }
  const std::string* sid = r.get("LS_session");
  if (!sid) sid = http_session;
  std::shared_ptr<Session> s;
  if (sid) {
    const auto it = sessions.find(*sid);
    if (it != sessions.end()) s = it->second;
  } else if (auto bound = from->session.lock()) {
    s = bound;
  }
  if (r.name == "bind_session") {
    const auto content_length = static_cast<std::uint64_t>(param_number(r, "LS_content_length", 0, 0, 1e12));
    const std::uint64_t recovery_from = param_count(r, "LS_recovery_from", 0, std::uint64_t{1} << 62);
    (void)param_number(r, "LS_keepalive_millis", 0, 0, 0);  // checked; the session keeps its keepalive
    if (!s) { reply += "CONERR,20,Session not found\r\n"; return; }
    s->bind(from);
    if (r.get("LS_content_length")) s->content_length = content_length;
    reply += "CONOK," + s->id + ",50000," + std::to_string(static_cast<long>(s->keepalive_s * 1000)) + ",*\r\n";
    reply += "SERVNAME,peebot serve\r\nCLIENTIP,127.0.0.1\r\n";
    if (r.get("LS_recovery_from")) {
      const std::uint64_t n = recovery_from;
      std::string resend;
      if (!s->resend_from(n, resend)) {
        reply.clear();
        reply += "CONERR,4,Recovery not possible\r\n";
        s->unbind();
        return;
      }
      ++stats.recoveries;
      reply += "PROG," + std::to_string(n) + "\r\n" + resend;
    }
    if (const std::string* poll = r.get("LS_polling"); poll && *poll == "true") { end_poll(s, from, reply); return; }
    // Resume the replay after the reply is queued.
    net::post(ioc, [s]() { s->pump(); });
    return;
  }
  if (r.name == "control") {
    if (!s) { reqerr(20, "Session not found"); return; }
    const std::string* op = r.get("LS_op");
    if (!op) { reqerr(15, "Missing LS_op"); return; }
    if (*op == "add") {
      const std::string* sub = r.get("LS_subId");
      const std::string* mode = r.get("LS_mode");
      const std::string* group = r.get("LS_group");
      const std::string* schema = r.get("LS_schema");
      if (!sub || !mode || !group || !schema) { reqerr(15, "add needs LS_subId, LS_mode, LS_group and LS_schema"); return; }
      if (*mode != "MERGE") { reqerr(24, "only MERGE subscriptions are served"); return; }
      Sub sb;
      sb.id = static_cast<int>(param_count(r, "LS_subId", 0, 0x7fffffff));
      if (s->subs.size() >= kMaxSubscriptions) { reqerr(22, "too many subscriptions on this session"); return; }
      auto split = [](const std::string& s) {
        std::vector<std::string> out;
        std::size_t a = 0;
        while (a < s.size()) {
          std::size_t b = s.find(' ', a);
          if (b == std::string::npos) b = s.size();
          if (b > a) out.push_back(s.substr(a, b - a));
          a = b + 1;
        }
        return out;
      };
      for (const auto& name : split(*group)) {
        int id = -1;
        for (int i = 0; i < kNamedItems; ++i)
          if (named_item(static_cast<ItemId>(i)) == name) id = i;
        sb.items.push_back(id);
      }
      for (const auto& f : split(*schema)) sb.fields.push_back(field_of(f));
      if (sb.items.empty() || sb.fields.empty()) { reqerr(22, "empty item group or field schema"); return; }
      if (sb.items.size() * sb.fields.size() > kMaxFieldsPerSubscription) { reqerr(22, "too many items x fields"); return; }
      sb.last.resize(sb.items.size());
      sb.sent.assign(sb.items.size(), 0);
      reply += "REQOK," + reqid + "\r\n";
      std::string out;
      const std::string sub_id = std::to_string(sb.id);
      s->log_data("SUBOK," + sub_id + "," + std::to_string(sb.items.size()) + "," + std::to_string(sb.fields.size()), out);
      s->log_data("CONF," + sub_id + ",unlimited,filtered", out);
      s->subs.push_back(std::move(sb));
      // MERGE snapshot: the current state of each item already under way.
      const bool snapshot = !r.get("LS_snapshot") || *r.get("LS_snapshot") != "false";
      Sub& added = s->subs.back();
      if (snapshot)
        for (std::size_t k = 0; k < added.items.size(); ++k)
          if (added.items[k] >= 0 && s->last_idx[static_cast<std::size_t>(added.items[k])] >= 0)
            s->emit_to(added, k, feed[static_cast<std::size_t>(s->last_idx[static_cast<std::size_t>(added.items[k])])], out);
      if (from->is_http() && from->session.lock() != s) s->write(std::move(out));
      else reply += out;
      if (!s->started) {
        s->started = true;
        s->start = Clock::now();
        s->t0 = feed.empty() ? 0.0 : feed.front().t_s;
        if (feed.empty()) { s->done = true; ++finished_sessions; maybe_exit(); }
      }
      net::post(ioc, [s]() { s->pump(); });
      return;
    }
    if (*op == "delete") {
      const std::string* sub = r.get("LS_subId");
      const int id = static_cast<int>(param_count(r, "LS_subId", 0, 0x7fffffff));  // checked before any answer
      reply += "REQOK," + reqid + "\r\n";
      if (sub) {
        s->subs.erase(std::remove_if(s->subs.begin(), s->subs.end(), [id](const Sub& x) { return x.id == id; }), s->subs.end());
        std::string out;
        s->log_data("UNSUB," + std::to_string(id), out);
        if (from->is_http() && from->session.lock() != s) s->write(std::move(out));
        else reply += out;
      }
      return;
    }
    if (*op == "destroy") {
      reply += "REQOK," + reqid + "\r\n";
      s->write("END,31,Destroyed by the client\r\n");
      if (s->sink) s->sink->close_after_flush();
      s->unbind();
      if (!s->done) { s->done = true; ++finished_sessions; }
      s->expiry.cancel();
      forget(s->id);
      maybe_exit();
      return;
    }
    if (*op == "force_rebind") {
      reply += "REQOK," + reqid + "\r\n";
      s->write("LOOP,0\r\n");
      if (s->sink && s->sink->is_http()) s->sink->close_after_flush();
      s->unbind();
      return;
    }
    reply += "REQOK," + reqid + "\r\n";  // constrain and the like: accepted, no effect
    return;
  }
  if (r.name == "msg") { reqerr(17, "messages are not served"); return; }
  reply += "ERROR,67,Unsupported request " + tlcp::percent_encode(r.name) + "\r\n";
}

TlcpServer::TlcpServer(std::vector<FeedEvent> feed, const ServeOptions& o) : impl_(std::make_unique<Impl>(std::move(feed), o)) {}
TlcpServer::~TlcpServer() = default;

unsigned short TlcpServer::listen() {
  auto& a = impl_->acceptor;
  const tcp::endpoint ep(net::ip::make_address(impl_->opt.address), impl_->opt.port);
  a.open(ep.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen();
  impl_->do_accept();
  if (impl_->opt.handle_signals) {
    auto sig = std::make_shared<net::signal_set>(impl_->ioc, SIGINT, SIGTERM);
    sig->async_wait([this, sig](const beast::error_code& ec, int) { if (!ec) impl_->ioc.stop(); });
  }
  return a.local_endpoint().port();
}

void TlcpServer::run() { impl_->ioc.run(); }
void TlcpServer::stop() { impl_->ioc.stop(); }
const ServeStats& TlcpServer::stats() const { return impl_->stats; }

}  // namespace peebot::live
