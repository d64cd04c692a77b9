// The host pipeline architectures (pipeline.architecture; docs/architectures.md),
// each with its facts in one place: its name and the seed it models, the host
// faults it applies, whether the event engine runs it, and the targets its seed
// document states with their sources. The scenario loader, the engine and the
// report read this table; none of them branches on an architecture's name.
// Plain data: no SimGrid, no I/O.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "../../models/env/faults.hpp"

namespace peebot {

// Which host pipeline the engine builds (sim/engine/host_<name>.cpp).
enum class ArchitectureKind { kDirect, kWet, kStreaming, kPolling };

// A host fault an architecture applies: a kind, on a target ("" for kinds without one).
struct HonouredFault {
  FaultKind kind;
  const char* target;
};

// The report's targets (their names are the report's `targets[].name`).
enum class TargetId {
  kDashboardP99,         // ingest_to_dashboard_p99: every run
  kPersistedP99,         // ingest_to_persisted_p99: every run
  kEventToTweetP95,      // event_to_tweet_p95: every run
  kThroughput,           // throughput: share of the received updates persisted
  kNoDuplicates,         // no_duplicates: events posted twice + updates persisted twice
  kPerItemOrder,         // per_item_order: level-item updates persisted out of order
  kDetectionToTweetP95,  // detection_to_tweet_p95
  kEventToDetectionP95,  // event_to_detection_p95
};

// A target as an architecture states it: who states it (the report's
// `source`), and a note its evidence carries ("" for none).
struct StatedTarget {
  TargetId id;
  const char* source;
  const char* evidence_note = "";
};

struct Architecture {
  ArchitectureKind kind;
  const char* name;          // pipeline.architecture
  const char* seed;          // the seed document it models ("" for the testbed's own)
  const char* summary;       // one line, for the key's help
  bool event_engine;         // the event engine can run it (else the actors engine only)
  bool posts_tweets;         // the design posts (seed 000's does not)
  std::vector<HonouredFault> honoured;  // the host faults it applies; any other host fault is refused
  std::vector<StatedTarget> targets;    // in report order; empty: only the three targets every run has, no sources

  // Whether it applies fault `kind` on `target`.
  bool honours(FaultKind kind, std::string_view target) const;
  // Whether its seed states target `id`.
  bool states(TargetId id) const;
};

// Every architecture, "direct" (the testbed's own) first.
const std::vector<Architecture>& architectures();
// The architecture named `name`; throws std::invalid_argument naming it and the choices.
const Architecture& architecture(std::string_view name);
// The names, in order ("direct", "wet", ...).
std::vector<std::string> architecture_names();

// Two detections of one event: onsets closer than this (a replayed or
// re-detected use is the same event). The streaming consumer's replay check
// and the report's duplicate count without truth use it.
inline constexpr double kSameEventWindowS = 30.0;

}  // namespace peebot
