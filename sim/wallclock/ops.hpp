// Operations endpoints of `peebot live`: GET /healthz and GET /metrics
// (Prometheus text format) on a local port, served on the caller's io_context.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace peebot::live {

// One metric in the Prometheus text format ("# HELP", "# TYPE", then "name value"). A count is
// printed as an exact integer (12345678, not 1.23457e+07: rate() over a rounded counter is wrong),
// a gauge as the shortest decimal that reads back as the same double (NaN, +Inf, -Inf as Prometheus spells them).
void prometheus_metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value);
void prometheus_metric(std::string& out, const char* name, const char* type, const char* help, double value);

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
