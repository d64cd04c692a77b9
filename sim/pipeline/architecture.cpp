#include "architecture.hpp"

#include <algorithm>
#include <stdexcept>

namespace peebot {

const std::vector<Architecture>& architectures() {
  using K = FaultKind;
  using T = TargetId;
  using A = ArchitectureKind;
  static const std::vector<Architecture> all = {
      {A::kDirect, "direct", "", "the testbed's own", true, true, {{K::kTweetOutage, ""}, {K::kRateLimit, ""}}, {}},
      {A::kWet,
       "wet",
       "seed 000",
       "seed 000: ZeroMQ, SQLite, polling GUI",
       false,
       false,
       {{K::kCrash, "consumer"}, {K::kCrash, "db"}, {K::kOutage, "db"}, {K::kSlowDisk, "db"}},
       {{T::kDashboardP99, "seed 000 states none; seed 001's figure", " (ViewPort poll answered)"},
        {T::kPersistedP99, "seed 000 states none; seed 001's figure"},
        {T::kEventToTweetP95, "issue 7 (from the true onset)"},
        {T::kThroughput, "seed 001's 70 and 10,000 msg/s (seed 000 states none)"},
        {T::kNoDuplicates, "issue 7 (seed 000 states none)"},
        {T::kPerItemOrder, "issue 7"}}},
      {A::kStreaming,
       "streaming",
       "seed 001",
       "seed 001: Kafka",
       false,
       true,
       {{K::kCrash, "ingest"}, {K::kCrash, "consumer"}, {K::kCrash, "store"}, {K::kCrash, "broker"}, {K::kOutage, "broker"},
        {K::kSlowDisk, "broker"}, {K::kSlowDisk, "store"}, {K::kTweetOutage, ""}, {K::kRateLimit, ""}},
       {{T::kDashboardP99, "seed 001", " (processed by the Pee-Bot consumer; dashboards are a later phase of seed 001)"},
        {T::kPersistedP99, "seed 001"},
        {T::kEventToTweetP95, "issue 7 (from the true onset)"},
        {T::kThroughput, "seed 001 (BO-4)"},
        {T::kNoDuplicates, "seed 001 (BO-1)"},
        {T::kPerItemOrder, "seed 001 (BO-1)"},
        {T::kDetectionToTweetP95, "seed 001 (posting within 2 min, P95, of detection)"}}},
      {A::kPolling,
       "polling",
       "seed 002",
       "seed 002: TimescaleDB + Celery beat",
       false,
       true,
       {{K::kCrash, "ingest"}, {K::kCrash, "db"}, {K::kCrash, "worker"}, {K::kOutage, "db"}, {K::kSlowDisk, "db"},
        {K::kTweetOutage, ""}, {K::kRateLimit, ""}},
       {{T::kDashboardP99, "seed 002", " (WebSocket push after the TimescaleDB commit)"},
        {T::kPersistedP99, "seed 002"},
        {T::kEventToTweetP95, "issue 7 (from the true onset)"},
        {T::kThroughput, "seed 002"},
        {T::kNoDuplicates, "seed 002 (event_id unique)"},
        {T::kPerItemOrder, "issue 7"},
        {T::kDetectionToTweetP95, "seed 002 (external actions)"},
        {T::kEventToDetectionP95, "seed 002 (analytics detection < 2 min; no percentile stated, P95 taken)"}}},
  };
  return all;
}

bool Architecture::honours(FaultKind k, std::string_view target) const {
  return std::any_of(honoured.begin(), honoured.end(), [&](const HonouredFault& h) { return h.kind == k && target == h.target; });
}

bool Architecture::states(TargetId id) const {
  return std::any_of(targets.begin(), targets.end(), [&](const StatedTarget& t) { return t.id == id; });
}

std::vector<std::string> architecture_names() {
  std::vector<std::string> out;
  for (const Architecture& a : architectures()) out.emplace_back(a.name);
  return out;
}

const Architecture& architecture(std::string_view name) {
  for (const Architecture& a : architectures())
    if (name == a.name) return a;
  std::string choices;
  for (const Architecture& a : architectures()) choices += std::string(choices.empty() ? "" : ", ") + "\"" + a.name + "\"";
  throw std::invalid_argument("unknown pipeline.architecture \"" + std::string(name) + "\"; expected one of " + choices);
}

}  // namespace peebot
