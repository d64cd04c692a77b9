// The host pipeline of a scenario's architecture (sim/pipeline/architecture.hpp),
// and the host faults it does not apply.
#include <stdexcept>

#include "../pipeline/architecture.hpp"
#include "context.hpp"

namespace peebot::engine {

std::unique_ptr<HostPipeline> make_host_pipeline(const Scenario& sc) {
  switch (architecture(sc.pipeline.architecture).kind) {
    case ArchitectureKind::kDirect: return make_direct_host(sc);
    case ArchitectureKind::kWet: return make_wet_host(sc);
    case ArchitectureKind::kStreaming: return make_streaming_host(sc);
    case ArchitectureKind::kPolling: return make_polling_host(sc);
  }
  throw std::logic_error("make_host_pipeline: an architecture without a host");
}

namespace {

bool host_side(FaultKind k) {
  return k == FaultKind::kCrash || k == FaultKind::kOutage || k == FaultKind::kSlowDisk || k == FaultKind::kTweetOutage ||
         k == FaultKind::kRateLimit;
}

}  // namespace

std::string unhonoured_host_faults(const Scenario& sc) {
  std::string out;
  const Architecture& a = architecture(sc.pipeline.architecture);
  for (const FaultSpec& f : sc.faults) {
    if (!host_side(f.kind) || a.honours(f.kind, f.target)) continue;
    if (!out.empty()) out += "; ";
    out += (f.where.empty() ? std::string() : f.where + ": ") + "faults: " + std::string(fault_kind_name(f.kind)) +
           (f.target.empty() ? "" : " on " + f.target) + " is not modelled by pipeline.architecture \"" +
           sc.pipeline.architecture + "\" (docs/architectures.md lists what each architecture applies)";
  }
  return out;
}

}  // namespace peebot::engine
