#include "ops.hpp"

#include <cmath>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "../util/text.hpp"

namespace peebot::live {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
void metric_head(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
}
}  // namespace

void prometheus_metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value) {
  metric_head(out, name, type, help);
  out += std::to_string(value);
  out += '\n';
}

void prometheus_metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  metric_head(out, name, type, help);
  if (std::isnan(value)) out += "NaN";
  else if (std::isinf(value)) out += value > 0 ? "+Inf" : "-Inf";
  else out += shortest_number(value);
  out += '\n';
}

struct OpsServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(net::io_context& i, std::function<bool(std::string&)> h, std::function<std::string()> m)
      : ioc(i), acceptor(i), healthz(std::move(h)), metrics(std::move(m)) {}
  net::io_context& ioc;
  tcp::acceptor acceptor;
  std::function<bool(std::string&)> healthz;
  std::function<std::string()> metrics;

  void accept() {
    std::weak_ptr<Impl> w = weak_from_this();
    acceptor.async_accept([w](const beast::error_code& ec, tcp::socket sock) {
      auto self = w.lock();
      if (ec || !self) return;
      self->serve(std::make_shared<tcp::socket>(std::move(sock)));
      self->accept();
    });
  }
  void serve(std::shared_ptr<tcp::socket> sock) {
    auto buf = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    std::weak_ptr<Impl> w = weak_from_this();
    http::async_read(*sock, *buf, *req, [w, sock, buf, req](const beast::error_code& ec, std::size_t) {
      auto self = w.lock();
      if (ec || !self) return;
      auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req->version());
      res->keep_alive(false);
      const std::string target(req->target());
      if (req->method() != http::verb::get) {
        res->result(http::status::method_not_allowed);
        res->body() = "GET only\n";
      } else if (target == "/healthz") {
        std::string why;
        const bool ok = self->healthz(why);
        res->result(ok ? http::status::ok : http::status::service_unavailable);
        res->set(http::field::content_type, "text/plain; charset=utf-8");
        res->body() = (ok ? "ok" : "unhealthy") + (why.empty() ? std::string() : ": " + why) + "\n";
      } else if (target == "/metrics") {
        res->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res->body() = self->metrics();
      } else {
        res->result(http::status::not_found);
        res->body() = "not found (try /healthz or /metrics)\n";
      }
      res->prepare_payload();
      http::async_write(*sock, *res, [sock, res](const beast::error_code&, std::size_t) {
        beast::error_code e2;
        sock->shutdown(tcp::socket::shutdown_both, e2);
      });
    });
  }
};

OpsServer::OpsServer(net::io_context& ioc, const std::string& address, unsigned short port,
                     std::function<bool(std::string&)> healthz, std::function<std::string()> metrics)
    : impl_(std::make_shared<Impl>(ioc, std::move(healthz), std::move(metrics))) {
  const tcp::endpoint ep(net::ip::make_address(address), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept();
}

OpsServer::~OpsServer() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

unsigned short OpsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace peebot::live
