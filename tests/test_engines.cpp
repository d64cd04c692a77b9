// The event engine (sim/engine/feed.hpp, the closed-form direct host) against
// the reference actors engine (one SimGrid actor per stage, one comm per frame
// and hop), through the peebot binary: the same scenario and seed must give
// the same trace. Every record must match one for one; times may differ only
// by floating-point rounding (SimGrid sums its clock in steps, the event
// engine computes each time in one expression), never by a modelled delay.
// Two things differ by design (docs/architecture.md): sequence numbers (at an
// equal virtual time the actors engine lets SimGrid pick whether the ISS
// frame or TIME_000001 is numbered first, the event engine numbers the frame
// first), and the ingest queue depth (the actors engine reads SimGrid's
// mailbox, which holds ingest's own pending receive while it waits).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "sim/trace/trace.hpp"
#include "cli_support.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

constexpr double kTol = 1e-6;  // s: far below any modelled delay (the smallest is 1 us of ingest per update)

bool same_time(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= kTol;
}

Trace run_with(const std::string& scenario, const std::string& engine, const std::string& name) {
  const std::string out = tmp_path(name + "-" + engine + ".h5");
  const auto r = run_peebot("run " + scenario + " --no-report --engine " + engine + " -o " + out);
  INFO(r.out);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("engine " + engine));
  return read_trace(out);
}

void require_same(const Trace& a, const Trace& b) {
  for (int i = 0; i < kNamedItems; ++i) {
    INFO("telemetry item " << i);
    REQUIRE(a.telemetry[i].size() == b.telemetry[i].size());
    for (std::size_t k = 0; k < a.telemetry[i].size(); ++k) {
      const auto &x = a.telemetry[i][k], &y = b.telemetry[i][k];
      INFO("row " << k << " t_emit " << x.t_emit_s << " t " << x.t_s << " vs " << y.t_s);
      REQUIRE(x.value == y.value);
      REQUIRE(x.status == y.status);
      REQUIRE(x.t_emit_s == y.t_emit_s);
      REQUIRE(same_time(x.t_s, y.t_s));
    }
  }
  // Stage records: the same set (rows are written as records close, and the
  // two engines close records of one virtual instant in different orders).
  auto key = [](const StageTimes& s) {
    return std::make_tuple(s.item, s.t_emit_s, s.fate, std::isnan(s.t_published_s) ? -1.0 : s.t_published_s,
                           std::isnan(s.t_received_s) ? -1.0 : s.t_received_s);
  };
  auto sa = a.stages, sb = b.stages;
  auto by_key = [&](const StageTimes& x, const StageTimes& y) { return key(x) < key(y); };
  std::sort(sa.begin(), sa.end(), by_key);
  std::sort(sb.begin(), sb.end(), by_key);
  REQUIRE(sa.size() == sb.size());
  for (std::size_t k = 0; k < sa.size(); ++k) {
    const auto &x = sa[k], &y = sb[k];
    INFO("stage record item " << x.item << " t_emit " << x.t_emit_s << " fate " << int(x.fate) << " vs item " << y.item
                              << " t_emit " << y.t_emit_s << " fate " << int(y.fate));
    REQUIRE(x.item == y.item);
    REQUIRE(int(x.fate) == int(y.fate));
    REQUIRE(same_time(x.t_emit_s, y.t_emit_s));
    REQUIRE(same_time(x.t_published_s, y.t_published_s));
    REQUIRE(same_time(x.t_received_s, y.t_received_s));
    REQUIRE(same_time(x.t_ingested_s, y.t_ingested_s));
    REQUIRE(same_time(x.t_detected_s, y.t_detected_s));
    REQUIRE(same_time(x.t_stored_s, y.t_stored_s));
  }
  REQUIRE(a.detections.size() == b.detections.size());
  for (std::size_t k = 0; k < a.detections.size(); ++k) {
    const auto &x = a.detections[k], &y = b.detections[k];
    INFO("detection " << k);
    REQUIRE(x.id == y.id);
    REQUIRE(x.kind == y.kind);
    REQUIRE(x.size_pct == y.size_pct);
    REQUIRE(same_time(x.onset_s, y.onset_s));
    REQUIRE(same_time(x.end_s, y.end_s));
    REQUIRE(same_time(x.emitted_s, y.emitted_s));
  }
  REQUIRE(a.posts.size() == b.posts.size());
  for (std::size_t k = 0; k < a.posts.size(); ++k) {
    const auto &x = a.posts[k], &y = b.posts[k];
    INFO("post " << k);
    REQUIRE(x.detection_id == y.detection_id);
    REQUIRE(x.outcome == y.outcome);
    REQUIRE(x.attempts == y.attempts);
    REQUIRE(x.text == y.text);
    REQUIRE(same_time(x.t_detected_s, y.t_detected_s));
    REQUIRE(same_time(x.t_done_s, y.t_done_s));
  }
  REQUIRE(a.queues.size() == b.queues.size());
  for (std::size_t k = 0; k < a.queues.size(); ++k) {
    const auto &x = a.queues[k], &y = b.queues[k];
    INFO("queue sample " << k << " t " << x.t_s << " stage " << x.stage);
    REQUIRE(x.stage == y.stage);
    REQUIRE(same_time(x.t_s, y.t_s));
    if (x.stage == static_cast<std::int32_t>(Stage::kIngest)) continue;
    REQUIRE(x.depth == y.depth);
    REQUIRE(x.depth_max == y.depth_max);
  }
}

void require_engines_agree(const std::string& name, const std::string& toml) {
  const std::string sc = write_file(name + ".toml", toml);
  const Trace actors = run_with(sc, "actors", name);
  const Trace event = run_with(sc, "event", name);
  require_same(actors, event);
}

}  // namespace

TEST_CASE("the event engine writes the actors engine's trace: LOS, MERGE, water, background", "[engine][events]") {
  require_engines_agree("eq-los", R"(
[scenario]
name = "eq-los"
start = "2025-01-06T05:00:00Z"
duration = "8h"
seed = 3
[crew]
size = 7
[los]
probability = 1.0
gap_mean = "6min"
# fixed windows on whole seconds: a frame sent at the edge, as SimGrid's link state has it
windows = [["1h", "1h10min"], ["5h", "5h0min30s"]]
[background]
rate = 70
items = 293
[trace]
background_sample_every = 7
)");
}

TEST_CASE("the event engine writes the actors engine's trace: network faults, tweet outage", "[engine][events][faults]") {
  require_engines_agree("eq-faults", R"(
[scenario]
name = "eq-faults"
start = "2025-01-06T06:00:00Z"
duration = "6h"
seed = 5
[crew]
size = 7
[background]
rate = 20
items = 50
[[faults]]
kind = "clock_skew"
start = "1h"
end = "2h"
offset = "+3s"
drift_ppm = 50
[[faults]]
kind = "duplicate"
start = "2h"
end = "3h"
probability = 0.2
[[faults]]
kind = "reorder"
start = "3h"
end = "4h"
probability = 0.2
max_delay = "4s"
[[faults]]
kind = "partition"
start = "4h"
end = "4h5min"
[[faults]]
kind = "tweet_outage"
start = "0s"
end = "5h"
)");
}

TEST_CASE("the event engine writes the actors engine's trace: 10,000 updates/s, store batches full", "[engine][events][load]") {
  require_engines_agree("eq-load", R"(
[scenario]
name = "eq-load"
start = "2025-01-06T06:00:00Z"
duration = "10min"
seed = 2
[crew]
size = 7
[background]
rate = 10000
items = 293
[network]
ls_host_bandwidth_mbps = 100
[trace]
background_sample_every = 1000
)");
}

TEST_CASE("the event engine (--engine event) refuses what it cannot compute, naming why", "[engine][events][cli]") {
  const std::string sc = write_file("eq-wet.toml", R"(
[scenario]
name = "eq-wet"
duration = "1h"
[pipeline]
architecture = "wet"
)");
  const auto r = run_peebot("run " + sc + " --no-report --engine event -o " + tmp_path("eq-wet.h5"));
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.out, Catch::Contains("architecture") && Catch::Contains("wet"));
  const auto a = run_peebot("run " + sc + " --no-report -o " + tmp_path("eq-wet-auto.h5"));
  REQUIRE(a.code == 0);
  REQUIRE_THAT(a.out, Catch::Contains("engine actors"));
}
