// The host pipeline architectures by name (pipeline.architecture).
#include <stdexcept>

#include "context.hpp"

namespace peebot::engine {

std::unique_ptr<HostPipeline> make_host_pipeline(const Scenario& sc) {
  const std::string& a = sc.pipeline.architecture;
  if (a == "direct") return make_direct_host();
  if (a == "wet") return make_wet_host(sc);
  if (a == "streaming") return make_streaming_host(sc);
  if (a == "polling") return make_polling_host(sc);
  throw std::invalid_argument("unknown pipeline.architecture \"" + a + "\"");
}

}  // namespace peebot::engine

namespace peebot::engine {

namespace {

struct Honoured {
  FaultKind kind;
  const char* target;  // "" for kinds without one
};

const std::vector<Honoured>& honoured_by(const std::string& a) {
  static const std::vector<Honoured> direct = {{FaultKind::kTweetOutage, ""}, {FaultKind::kRateLimit, ""}};
  static const std::vector<Honoured> wet = {
      {FaultKind::kCrash, "consumer"}, {FaultKind::kCrash, "db"}, {FaultKind::kOutage, "db"}, {FaultKind::kSlowDisk, "db"}};
  static const std::vector<Honoured> streaming = {
      {FaultKind::kCrash, "ingest"},    {FaultKind::kCrash, "consumer"},  {FaultKind::kCrash, "store"},
      {FaultKind::kCrash, "broker"},    {FaultKind::kOutage, "broker"},   {FaultKind::kSlowDisk, "broker"},
      {FaultKind::kSlowDisk, "store"},  {FaultKind::kTweetOutage, ""},    {FaultKind::kRateLimit, ""}};
  static const std::vector<Honoured> polling = {
      {FaultKind::kCrash, "ingest"},  {FaultKind::kCrash, "db"},     {FaultKind::kCrash, "worker"}, {FaultKind::kOutage, "db"},
      {FaultKind::kSlowDisk, "db"},   {FaultKind::kTweetOutage, ""}, {FaultKind::kRateLimit, ""}};
  if (a == "wet") return wet;
  if (a == "streaming") return streaming;
  if (a == "polling") return polling;
  return direct;
}

bool host_side(FaultKind k) {
  return k == FaultKind::kCrash || k == FaultKind::kOutage || k == FaultKind::kSlowDisk || k == FaultKind::kTweetOutage ||
         k == FaultKind::kRateLimit;
}

}  // namespace

std::string unhonoured_host_faults(const Scenario& sc) {
  std::string out;
  const auto& ok = honoured_by(sc.pipeline.architecture);
  for (const FaultSpec& f : sc.faults) {
    if (!host_side(f.kind)) continue;
    bool honoured = false;
    for (const Honoured& h : ok) honoured = honoured || (h.kind == f.kind && f.target == h.target);
    if (honoured) continue;
    if (!out.empty()) out += "; ";
    out += (f.where.empty() ? std::string() : f.where + ": ") + "faults: " + std::string(fault_kind_name(f.kind)) +
           (f.target.empty() ? "" : " on " + f.target) + " is not modelled by pipeline.architecture \"" +
           sc.pipeline.architecture + "\" (docs/architectures.md lists what each architecture applies)";
  }
  return out;
}

}  // namespace peebot::engine
