// Scheduled faults: the [[faults]] tables of a scenario (loading and every
// class of error) and FaultPlan's answers (windows, slowdown, clock offset,
// seeded duplicate/reorder decisions, the tweet rate limit).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "models/env/faults.hpp"
#include "sim/pipeline/ingest.hpp"
#include "sim/scenario/scenario.hpp"

using namespace peebot;
using Catch::Matchers::Contains;

namespace {

const char* kMinimal = R"([scenario]
name = "mini"
duration = "1d"
)";

std::string load_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(text, "f.toml", overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

Update upd(ItemId item, std::uint64_t seq, double value) {
  Update u;
  u.item = item;
  u.seq = seq;
  u.value = value;
  return u;
}

FaultSpec spec(FaultKind k, double start, double end, std::string target = "") {
  FaultSpec f;
  f.kind = k;
  f.start_s = start;
  f.end_s = end;
  f.target = std::move(target);
  return f;
}

}  // namespace

TEST_CASE("[[faults]] tables load with their kind-specific numbers and where they were written", "[faults][scenario]") {
  const Scenario s = parse_scenario(std::string(kMinimal) + R"(
[[faults]]
kind = "slow_disk"
target = "store"
start = "1h"
end = "2h"
factor = 8

[[faults]]
kind = "clock_skew"
start = "3h"
end = "5h"
offset = "-90s"
drift_ppm = 200

[[faults]]
kind = "reorder"
start = "0s"
end = "1d"
probability = 0.25
max_delay = "20s"

[[faults]]
kind = "rate_limit"
start = "6h"
end = "7h"
limit_per_window = 3
window = "15min"

[[faults]]
kind = "crash"
target = "detector"
start = "2h"
end = "2h5min"
)", "f.toml");
  REQUIRE(s.faults.size() == 5);
  CHECK(s.faults[0].kind == FaultKind::kSlowDisk);
  CHECK(s.faults[0].target == "store");
  CHECK(s.faults[0].start_s == 3600);
  CHECK(s.faults[0].end_s == 7200);
  CHECK(s.faults[0].factor == 8);
  CHECK(s.faults[0].where == "f.toml:5");
  CHECK(s.faults[1].kind == FaultKind::kClockSkew);
  CHECK(s.faults[1].offset_s == -90);
  CHECK(s.faults[1].drift_ppm == 200);
  CHECK(s.faults[2].probability == 0.25);
  CHECK(s.faults[2].max_delay_s == 20);
  CHECK(s.faults[3].limit_per_window == 3);
  CHECK(s.faults[3].window_s == 900);
  CHECK(s.faults[4].kind == FaultKind::kCrash);
  CHECK(s.faults[4].target == "detector");
  CHECK(parse_scenario(kMinimal, "f.toml").faults.empty());
}

TEST_CASE("a bad fault names file, line, key and what was expected", "[faults][scenario]") {
  const std::string base = std::string(kMinimal) + "\n[[faults]]\n";  // the table starts on line 5
  CHECK_THAT(load_error(base + "kind = \"meteor\"\nstart = \"1h\"\nend = \"2h\"\n"),
             Contains("f.toml:6: faults: fault 1: kind: \"meteor\" is not a fault kind, expected one of \"crash\""));
  CHECK_THAT(load_error(base + "kind = \"crash\"\ntarget = \"iss\"\nstart = \"1h\"\nend = \"2h\"\n"),
             Contains("f.toml:7: faults: fault 1: target: \"iss\" is not a target of crash, expected one of \"ingest\""));
  CHECK_THAT(load_error(base + "kind = \"crash\"\nstart = \"1h\"\nend = \"2h\"\n"),
             Contains("f.toml:6: faults: fault 1: missing target, expected target = one of"));
  CHECK_THAT(load_error(base + "kind = \"partition\"\ntarget = \"store\"\nstart = \"1h\"\nend = \"2h\"\n"),
             Contains("f.toml:7: faults: fault 1: partition takes no target"));
  CHECK_THAT(load_error(base + "kind = \"partition\"\nstart = \"2h\"\nend = \"1h\"\n"),
             Contains("f.toml:5: faults: fault 1: end \"1h\" is not after start \"2h\", expected start < end"));
  CHECK_THAT(load_error(base + "kind = \"partition\"\nstart = \"2h\"\n"), Contains("fault 1: missing end"));
  CHECK_THAT(load_error(base + "kind = \"slow_disk\"\ntarget = \"db\"\nstart = \"1h\"\nend = \"2h\"\nfactor = 0.5\n"),
             Contains("f.toml:10: faults: fault 1: factor: 0.5 is out of range, expected a number in 1 .. 1000"));
  CHECK_THAT(load_error(base + "kind = \"slow_disk\"\ntarget = \"db\"\nstart = \"1h\"\nend = \"2h\"\n"),
             Contains("fault 1: missing factor for slow_disk"));
  CHECK_THAT(load_error(base + "kind = \"crash\"\ntarget = \"db\"\nstart = \"1h\"\nend = \"2h\"\nfactor = 2\n"),
             Contains("f.toml:10: faults: fault 1: factor does not apply to crash"));
  CHECK_THAT(load_error(base + "kind = \"duplicate\"\nstart = \"1h\"\nend = \"2h\"\nprobability = 1.5\n"),
             Contains("fault 1: probability: 1.5 is out of range, expected a number in 0 .. 1"));
  CHECK_THAT(load_error(base + "kind = \"reorder\"\nstart = \"1h\"\nend = \"2h\"\nprobability = 0.1\nmax_delay = 5\n"),
             Contains("f.toml:10: faults: fault 1: max_delay: got the integer 5"));
  CHECK_THAT(load_error(base + "kind = \"clock_skew\"\nstart = \"1h\"\nend = \"2h\"\n"),
             Contains("clock_skew without offset or drift_ppm"));
  CHECK_THAT(load_error(base + "kind = \"clock_skew\"\nstart = \"1h\"\nend = \"2h\"\noffset = \"-2d\"\n"),
             Contains("fault 1: offset: \"-2d\" is out of range, expected a signed duration in -1d .. +1d"));
  CHECK_THAT(load_error(base + "kind = \"partition\"\nstart = \"1h\"\nend = \"2h\"\nwhen = 3\n"),
             Contains("f.toml:9: faults: fault 1: unknown key \"when\", expected one of kind, target, start, end"));
  CHECK_THAT(load_error(base + "start = \"1h\"\nend = \"2h\"\n"), Contains("f.toml:5: faults: fault 1: missing kind"));
  CHECK_THAT(load_error(std::string(kMinimal) + "[faults]\nkind = \"crash\"\n"),
             Contains("faults: got a table, expected [[faults]] tables"));
}

TEST_CASE("faults of one kind and target must not overlap, and other targets may", "[faults][scenario]") {
  const std::string two = std::string(kMinimal) +
                          "[[faults]]\nkind = \"crash\"\ntarget = \"store\"\nstart = \"1h\"\nend = \"3h\"\n"
                          "[[faults]]\nkind = \"crash\"\ntarget = \"TARGET\"\nstart = \"2h\"\nend = \"4h\"\n";
  auto with = [&](const std::string& target) {
    std::string t = two;
    t.replace(t.find("TARGET"), 6, target);
    return t;
  };
  CHECK_THAT(load_error(with("store")), Contains("f.toml:9: faults: fault 2: crash on store 2h .. 4h overlaps fault 1 (line 4"));
  CHECK(parse_scenario(with("tweet"), "f.toml").faults.size() == 2);
}

TEST_CASE("a fault that starts after the run ends is rejected at the faults key", "[faults][scenario]") {
  const std::string e =
      load_error(std::string(kMinimal) + "[[faults]]\nkind = \"partition\"\nstart = \"2d\"\nend = \"3d\"\n");
  CHECK_THAT(e, Contains("faults: fault 1 (partition, f.toml:4) starts at 2d, not before the end of the run (1d)"));
  CHECK_THAT(e, Contains("expected every fault's start < scenario.duration"));
}

TEST_CASE("faults given with --set go through the same validation", "[faults][scenario]") {
  const Scenario s = parse_scenario(
      kMinimal, "f.toml", {"faults=[{kind = \"partition\", start = \"1h\", end = \"1h10min\"}]"});
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].kind == FaultKind::kPartition);
  CHECK(s.faults[0].end_s == 4200);
  CHECK_THAT(s.faults[0].where, Contains("--set faults="));
  CHECK_THAT(load_error(kMinimal, {"faults=[{kind = \"partition\", start = \"1h\", end = \"1h\"}]"}),
             Contains("--set faults=[{kind = \"partition\", start = \"1h\", end = \"1h\"}]: faults: fault 1: end"));
}

TEST_CASE("every fault kind has a name that maps back to it", "[faults]") {
  REQUIRE(static_cast<int>(fault_kinds().size()) == kFaultKinds);
  for (int i = 0; i < kFaultKinds; ++i) {
    const auto k = static_cast<FaultKind>(i);
    INFO(fault_kind_name(k));
    CHECK(fault_kind_info(k).kind == k);
    CHECK(fault_kind_from_name(fault_kind_name(k)) == k);
  }
  CHECK_FALSE(fault_kind_from_name("earthquake").has_value());
}

TEST_CASE("a fault is active in its half-open window, for its own kind and target only", "[faults]") {
  const FaultPlan plan({spec(FaultKind::kCrash, 100, 200, "store"), spec(FaultKind::kCrash, 300, 400, "store"),
                        spec(FaultKind::kCrash, 150, 250, "tweet"), spec(FaultKind::kPartition, 50, 60)},
                       1);
  CHECK(plan.active(FaultKind::kCrash, "store", 99.9) == nullptr);
  REQUIRE(plan.active(FaultKind::kCrash, "store", 100) != nullptr);
  CHECK(plan.active(FaultKind::kCrash, "store", 150)->end_s == 200);
  CHECK(plan.active(FaultKind::kCrash, "store", 200) == nullptr);
  CHECK(plan.active(FaultKind::kCrash, "store", 350)->start_s == 300);
  CHECK(plan.active(FaultKind::kCrash, "tweet", 220)->end_s == 250);
  CHECK_FALSE(plan.is_active(FaultKind::kCrash, "ingest", 150));
  CHECK_FALSE(plan.is_active(FaultKind::kOutage, "store", 150));
  CHECK(plan.is_active(FaultKind::kPartition, "", 55));
  CHECK(plan.next(FaultKind::kCrash, "store", 250)->start_s == 300);
  CHECK(plan.next(FaultKind::kCrash, "store", 150)->start_s == 100);
  CHECK(plan.next(FaultKind::kCrash, "store", 400) == nullptr);
  CHECK(plan.overlaps(FaultKind::kPartition, "", 59, 70));
  CHECK_FALSE(plan.overlaps(FaultKind::kPartition, "", 60, 70));
  CHECK(plan.of(FaultKind::kCrash).size() == 3);
  CHECK(plan.of(FaultKind::kCrash, "store").size() == 2);
  const auto w = plan.windows(FaultKind::kPartition);
  REQUIRE(w.size() == 1);
  CHECK(w[0].start_s == 50);
  CHECK(w[0].end_s == 60);
  CHECK(plan.any(FaultKind::kCrash));
  CHECK_FALSE(plan.any(FaultKind::kReorder));
  CHECK(FaultPlan().empty());
}

TEST_CASE("slowdown is the active slow_disk factor of the target, 1 elsewhere", "[faults]") {
  FaultSpec f = spec(FaultKind::kSlowDisk, 10, 20, "db");
  f.factor = 6;
  const FaultPlan plan({f}, 1);
  CHECK(plan.slowdown("db", 9) == 1);
  CHECK(plan.slowdown("db", 10) == 6);
  CHECK(plan.slowdown("store", 15) == 1);
  CHECK(plan.slowdown("db", 20) == 1);
}

TEST_CASE("the clock offset is the offset plus the drift since the window opened, 0 outside", "[faults]") {
  FaultSpec f = spec(FaultKind::kClockSkew, 1000, 2000);
  f.offset_s = -30;
  f.drift_ppm = 500;
  const FaultPlan plan({f}, 1);
  CHECK(plan.clock_offset(999) == 0);
  CHECK(plan.clock_offset(1000) == -30);
  CHECK(plan.clock_offset(1500) == Approx(-30 + 500e-6 * 500));
  CHECK(plan.clock_offset(2000) == 0);
}

TEST_CASE("duplicate decisions follow the probability inside the window only and repeat for a seed", "[faults]") {
  FaultSpec f = spec(FaultKind::kDuplicate, 100, 200);
  f.probability = 0.3;
  FaultPlan a({f}, 7), b({f}, 7), c({f}, 8);
  int hits = 0, differ = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const bool da = a.duplicate(150), db = b.duplicate(150), dc = c.duplicate(150);
    REQUIRE(da == db);
    hits += da;
    differ += da != dc;
  }
  CHECK(hits == Approx(0.3 * n).margin(4 * std::sqrt(n * 0.3 * 0.7)));
  CHECK(differ > 0);
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(a.duplicate(99));
  // Outside the window nothing is drawn: the stream continues where it was.
  FaultPlan d({f}, 7), e({f}, 7);
  for (int i = 0; i < 100; ++i) (void)d.duplicate(300);
  for (int i = 0; i < 100; ++i) REQUIRE(d.duplicate(150) == e.duplicate(150));
}

TEST_CASE("reorder delays come with the probability and lie between 0 and max_delay", "[faults]") {
  FaultSpec f = spec(FaultKind::kReorder, 0, 100);
  f.probability = 0.5;
  f.max_delay_s = 20;
  FaultPlan plan({f}, 3);
  int held = 0;
  double lo = 1e9, hi = 0;
  const int n = 10000;
  for (int i = 0; i < n; ++i) {
    if (auto d = plan.reorder_delay(50)) {
      ++held;
      lo = std::min(lo, *d);
      hi = std::max(hi, *d);
    }
  }
  CHECK(held == Approx(0.5 * n).margin(4 * std::sqrt(n * 0.25)));
  CHECK(lo > 0);
  CHECK(lo < 1);
  CHECK(hi <= 20);
  CHECK(hi > 19);
  CHECK_FALSE(plan.reorder_delay(100).has_value());
}

TEST_CASE("the rate limit admits limit_per_window attempts per window and says when the next is admitted", "[faults]") {
  FaultSpec f = spec(FaultKind::kRateLimit, 100, 350);
  f.limit_per_window = 2;
  f.window_s = 100;
  FaultPlan plan({f}, 1);
  CHECK(plan.rate_limit_admit(50) == 50);    // before the fault: always
  CHECK(plan.rate_limit_admit(100) == 100);  // window [100, 200)
  CHECK(plan.rate_limit_admit(150) == 150);
  CHECK(plan.rate_limit_admit(160) == 200);  // third: wait for the next window
  CHECK(plan.rate_limit_admit(200) == 200);  // window [200, 300)
  CHECK(plan.rate_limit_admit(210) == 210);
  CHECK(plan.rate_limit_admit(220) == 300);
  CHECK(plan.rate_limit_admit(300) == 300);  // window [300, 350): cut by the fault's end
  CHECK(plan.rate_limit_admit(301) == 301);
  CHECK(plan.rate_limit_admit(302) == 350);
  CHECK(plan.rate_limit_admit(350) == 350);  // the fault is over
  FaultSpec zero = f;
  zero.limit_per_window = 0;
  FaultPlan none({zero}, 1);
  CHECK(none.rate_limit_admit(120) == 200);
}

TEST_CASE("unhonoured_faults names the faults a runtime does not apply, with where they were written", "[faults]") {
  FaultSpec crash = spec(FaultKind::kCrash, 1, 2, "store");
  crash.where = "s.toml:12";
  const FaultPlan plan({crash, spec(FaultKind::kPartition, 1, 2)}, 1);
  CHECK(unhonoured_faults(plan, {FaultKind::kCrash, FaultKind::kPartition}).empty());
  CHECK(unhonoured_faults(plan, {FaultKind::kPartition}) == "crash on store (s.toml:12)");
}

TEST_CASE("ingest drops a copy that arrives after newer updates of its item as a duplicate, not as stale", "[faults][ingest]") {
  Ingest in(IngestParams{}, ItemDictionary(0));
  REQUIRE(in.accept(upd(kUrineTank, 10, 40)) == UpdateFate::kDelivered);
  REQUIRE(in.accept(upd(kUrineTank, 12, 41)) == UpdateFate::kDelivered);
  CHECK(in.accept(upd(kUrineTank, 10, 40)) == UpdateFate::kDuplicate);  // a re-sent copy, one update late
  CHECK(in.accept(upd(kUrineTank, 11, 42)) == UpdateFate::kStale);      // held back, overtaken: never applied
  CHECK(in.accept(upd(kUrineTank, 11, 42)) == UpdateFate::kStale);      // still not applied
  CHECK(in.accept(upd(kUpaState, 9, 16)) == UpdateFate::kDelivered);    // late, but the newest of its item
  CHECK(in.accept(upd(kUpaState, 9, 16)) == UpdateFate::kDuplicate);
  CHECK(in.counters().duplicates == 2);
  CHECK(in.counters().stale == 2);
  CHECK(in.counters().accepted == 3);
}

TEST_CASE("ingest remembers 2^23 sequence numbers: older ones count as stale", "[faults][ingest]") {
  Ingest in(IngestParams{}, ItemDictionary(0));
  const std::uint64_t reach = std::uint64_t{1} << 23;
  REQUIRE(in.accept(upd(kUrineTank, 100, 40)) == UpdateFate::kDelivered);
  REQUIRE(in.accept(upd(kUrineTank, 200, 41)) == UpdateFate::kDelivered);
  REQUIRE(in.accept(upd(kUpaState, reach + 15, 16)) == UpdateFate::kDelivered);  // the window now starts at 64
  CHECK(in.accept(upd(kUrineTank, 100, 40)) == UpdateFate::kDuplicate);  // still within reach
  REQUIRE(in.accept(upd(kUpaState, reach + 150, 16)) == UpdateFate::kDelivered);  // now starts at 192
  CHECK(in.accept(upd(kUrineTank, 100, 40)) == UpdateFate::kStale);  // beyond reach: dropped all the same
  CHECK(in.accept(upd(kUrineTank, 200, 41)) == UpdateFate::kDuplicate);  // the last of its item
  REQUIRE(in.accept(upd(kUpaState, 5 * reach, 16)) == UpdateFate::kDelivered);  // a jump past the whole window
  CHECK(in.accept(upd(kUpaState, reach + 150, 16)) == UpdateFate::kStale);
  CHECK(in.accept(upd(kUpaState, 5 * reach, 16)) == UpdateFate::kDuplicate);
}
