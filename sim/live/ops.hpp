// Operations endpoints of `peebot live`: GET /healthz and GET /metrics
// (Prometheus text format) on a local port, served on the caller's io_context.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace peebot::live {

class OpsServer {
 public:
  // healthz(): true = healthy ("ok"); metrics(): the Prometheus text body.
  OpsServer(boost::asio::io_context& ioc, const std::string& address, unsigned short port,
            std::function<bool(std::string&)> healthz, std::function<std::string()> metrics);
  ~OpsServer();
  unsigned short port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace peebot::live
