// The network faults the engine applies on the Lightstreamer -> host path and
// the ISS clock (docs/faults.md: partition, duplicate, reorder, clock_skew),
// end to end through the peebot binary: the trace records the losses,
// duplicates, stale drops and skewed stamps they cause, inside their windows
// only, and the architectures' verdicts show what each design does with them.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "cli_support.hpp"
#include "sim/pipeline/records.hpp"
#include "sim/report/report.hpp"
#include "sim/trace/trace.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

// 3 h from 06:00, no LOS (so every loss is the fault's), 1 in 5 background updates followed.
std::string net_scenario(const std::string& arch, const std::string& faults) {
  return "[scenario]\nname = \"net-" + arch + "\"\nstart = \"2025-01-06T06:00:00Z\"\nduration = \"3h\"\nseed = 3\n"
         "[crew]\nsize = 7\n[los]\nenabled = false\n[background]\nrate = 70\n"
         "[trace]\nbackground_sample_every = 5\n[pipeline]\narchitecture = \"" + arch + "\"\n" + faults;
}

Trace run_net(const std::string& name, const std::string& toml) {
  const std::string path = tmp_path(name + ".h5");
  const auto r = run_peebot("run " + write_file(name + ".toml", toml) + " -q -o " + path);
  INFO(r.out);
  REQUIRE(r.code == 0);
  return read_trace(path);
}

bool has_fate(const StageTimes& s, UpdateFate f) { return s.fate == static_cast<std::uint8_t>(f); }

const TargetResult* target(const Report& r, const std::string& name) {
  for (const auto& t : r.targets)
    if (t.name == name) return &t;
  return nullptr;
}

Report report_of(const Trace& t, const std::string& arch) {
  ReportParams rp;
  rp.architecture = arch;
  rp.offered_rate_per_s = 70;
  return compute_report(t, rp);
}

constexpr double kFrom = 3600, kTo = 7200;  // every fault window below: 1 h .. 2 h

}  // namespace

TEST_CASE("partition: every update published while the host link is cut is recorded lost, and only those", "[faults][network]") {
  const Trace t = run_net("net-partition", net_scenario("direct", "[[faults]]\nkind = \"partition\"\nstart = \"1h\"\nend = \"1h10min\"\n"));
  std::size_t lost = 0, delivered_in = 0;
  for (const auto& s : t.stages) {
    // (The last clock tick, published as the run ends, is lost in flight in every run.)
    if (has_fate(s, UpdateFate::kLost) && s.t_published_s < 3 * 3600) {
      ++lost;
      REQUIRE(s.t_published_s >= kFrom - 1.0);  // a frame still in flight when it opens is lost too
      REQUIRE(s.t_published_s < kFrom + 600);
      REQUIRE(std::isnan(s.t_received_s));
    }
    if (has_fate(s, UpdateFate::kDelivered) && s.t_published_s >= kFrom && s.t_published_s < kFrom + 600) ++delivered_in;
  }
  CHECK(delivered_in == 0);
  // 600 s of TIME_000001 ticks alone are 600 followed updates.
  CHECK(lost > 600);
  CHECK(report_of(t, "direct").updates_lost == lost + 1);
}

TEST_CASE("duplicate: the copies are recorded as duplicates of a delivered update, and only the designs without dedupe persist them twice", "[faults][network]") {
  const std::string dup = "[[faults]]\nkind = \"duplicate\"\nstart = \"1h\"\nend = \"2h\"\nprobability = 0.2\n";
  for (const std::string arch : {"direct", "wet"}) {
    INFO(arch);
    const Trace t = run_net("net-dup-" + arch, net_scenario(arch, dup));
    std::unordered_map<std::uint64_t, double> first_published;
    std::size_t in_window = 0;
    for (const auto& s : t.stages)
      if (has_fate(s, UpdateFate::kDelivered)) {
        auto it = first_published.find(s.seq);
        if (it == first_published.end() || s.t_published_s < it->second) first_published[s.seq] = s.t_published_s;
        in_window += s.t_published_s >= kFrom && s.t_published_s < kTo;
      }
    const Report r = report_of(t, arch);
    if (arch == "direct") {
      std::size_t dups = 0;
      for (const auto& s : t.stages) {
        if (!has_fate(s, UpdateFate::kDuplicate)) continue;
        ++dups;
        const auto it = first_published.find(s.seq);
        REQUIRE(it != first_published.end());             // a copy of an update that was delivered
        REQUIRE(s.t_published_s - it->second == Approx(1.0));  // sent again one publish period later
        REQUIRE(it->second >= kFrom);
        REQUIRE(it->second < kTo);
      }
      // About 20 % of the deliveries in the window.
      CHECK(dups > 0.15 * static_cast<double>(in_window));
      CHECK(dups < 0.25 * static_cast<double>(in_window));
      CHECK(r.updates_duplicate == dups);
      CHECK(r.stored_duplicates == 0);  // ingest dropped every copy
    } else {
      // W.E.T. has no dedupe: the copy is delivered and stored again.
      CHECK(r.updates_duplicate == 0);
      CHECK(r.stored_duplicates > 0.15 * static_cast<double>(in_window) / 1.2);
      REQUIRE(target(r, "no_duplicates") != nullptr);
      CHECK(target(r, "no_duplicates")->verdict == Verdict::kNotMet);
    }
  }
}

TEST_CASE("reorder: held-back updates overtaken by a newer one of their item are recorded stale, the rest arrive late, in the window only", "[faults][network]") {
  const Trace t = run_net("net-reorder", net_scenario("direct",
      "[[faults]]\nkind = \"reorder\"\nstart = \"1h\"\nend = \"2h\"\nprobability = 0.1\nmax_delay = \"20s\"\n"));
  std::size_t stale = 0, late = 0;
  for (const auto& s : t.stages) {
    if (has_fate(s, UpdateFate::kStale)) {
      ++stale;
      REQUIRE(s.t_published_s >= kFrom);
      REQUIRE(s.t_published_s <= kTo + 20);
    }
    // Without the fault an update is published at most 22 s after its emission (this scenario's feed path).
    if (has_fate(s, UpdateFate::kDelivered) && s.item != kSignal && s.t_published_s - s.t_emit_s > 22.5) {
      ++late;
      REQUIRE(s.t_published_s >= kFrom);
      REQUIRE(s.t_published_s <= kTo + 20);
    }
  }
  CHECK(stale > 0);
  CHECK(late > 0);
  const Report r = report_of(t, "direct");
  CHECK(r.updates_stale == stale);
  CHECK(r.order_violations == 0);  // ingest kept per-item order
}

TEST_CASE("clock_skew: the ISS TimeStamps in the window carry the offset and drift, and polling skips the rows stamped behind its watermark when the clock jumps back", "[faults][network]") {
  const std::string skew = "[[faults]]\nkind = \"clock_skew\"\nstart = \"1h\"\nend = \"2h\"\noffset = \"+2min\"\ndrift_ppm = 100\n";
  const Trace t = run_net("net-skew", net_scenario("direct", skew));
  std::unordered_map<std::uint64_t, double> true_emit;
  for (const auto& s : t.stages) true_emit[s.seq] = s.t_emit_s;
  std::size_t inside = 0;
  for (const auto& row : t.telemetry[kUrineTank]) {
    const auto it = true_emit.find(row.seq);
    REQUIRE(it != true_emit.end());
    const double te = it->second;
    const double expected = te >= kFrom && te < kTo ? 120 + 100e-6 * (te - kFrom) : 0.0;
    REQUIRE(row.t_emit_s - te == Approx(expected).margin(1e-6));
    inside += te >= kFrom && te < kTo;
  }
  CHECK(inside > 0);
  for (const auto& row : t.telemetry[kSignal]) {  // ground time is not skewed
    const auto it = true_emit.find(row.seq);
    if (it != true_emit.end()) REQUIRE(row.t_emit_s == it->second);
  }

  // Polling keys rows by the ISS TimeStamp: after the window the stamps fall
  // back by 2 min 0.36 s, behind last_processed_at, and those rows are never analysed.
  const Trace p = run_net("net-skew-poll", net_scenario("polling", skew));
  std::size_t skipped = 0;
  for (const auto& s : p.stages) {
    if (!has_fate(s, UpdateFate::kSkipped)) continue;
    ++skipped;
    REQUIRE(s.item != kSignal);
    REQUIRE(s.t_emit_s >= kTo);
    REQUIRE(s.t_emit_s < kTo + 120.36 + 1e-6);
  }
  CHECK(skipped > 0);
  const Trace base = run_net("net-skew-poll-base", net_scenario("polling", ""));
  std::size_t base_skipped = 0;
  for (const auto& s : base.stages) base_skipped += has_fate(s, UpdateFate::kSkipped);
  CHECK(base_skipped == 0);
}
