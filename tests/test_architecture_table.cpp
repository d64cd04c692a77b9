// The architecture table (sim/pipeline/architecture.hpp) is what the engine,
// the scenario loader and the report go by: its honoured faults are the ones a
// run accepts, its event_engine flag decides the engine, and its stated
// targets are the ones the report states, with their sources, at the
// report.* target values.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "sim/engine/context.hpp"
#include "sim/engine/run.hpp"
#include "sim/pipeline/architecture.hpp"
#include "sim/report/report.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

bool host_side(FaultKind k) {
  return k == FaultKind::kCrash || k == FaultKind::kOutage || k == FaultKind::kSlowDisk || k == FaultKind::kTweetOutage ||
         k == FaultKind::kRateLimit;
}

Scenario with_fault(const std::string& arch, FaultKind k, const std::string& target) {
  Scenario sc;
  sc.pipeline.architecture = arch;
  FaultSpec f;
  f.kind = k;
  f.target = target;
  f.start_s = 60;
  f.end_s = 120;
  f.where = "arch.toml:7";
  sc.faults.push_back(f);
  return sc;
}

const char* target_name(TargetId id) {
  switch (id) {
    case TargetId::kDashboardP99: return "ingest_to_dashboard_p99";
    case TargetId::kPersistedP99: return "ingest_to_persisted_p99";
    case TargetId::kEventToTweetP95: return "event_to_tweet_p95";
    case TargetId::kThroughput: return "throughput";
    case TargetId::kNoDuplicates: return "no_duplicates";
    case TargetId::kPerItemOrder: return "per_item_order";
    case TargetId::kDetectionToTweetP95: return "detection_to_tweet_p95";
    case TargetId::kEventToDetectionP95: return "event_to_detection_p95";
  }
  return "?";
}

Trace empty_trace() {
  Trace t;
  t.meta.scenario_name = "table";
  t.meta.mode = "sim";
  t.meta.has_truth = true;
  return t;
}

}  // namespace

TEST_CASE("architectures are found by name, direct first, and an unknown name lists the choices", "[architectures][table]") {
  REQUIRE(architecture_names() == std::vector<std::string>{"direct", "wet", "streaming", "polling"});
  CHECK(architecture("streaming").kind == ArchitectureKind::kStreaming);
  try {
    architecture("kafka");
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "unknown pipeline.architecture \"kafka\"; expected one of \"direct\", \"wet\", \"streaming\", \"polling\"");
  }
}

// The cases below check that the engine, the loader and the report go by the
// table; this one checks the table itself against what docs/architectures.md
// states (its "Faults on the host side" and "Verdicts" tables, and the event
// engine's "direct" only), so that a wrong entry fails here and not only in a
// scenario that happens to use it.
TEST_CASE("the table holds what docs/architectures.md states: the faults each architecture applies, its engine, its tweets, its targets",
          "[architectures][table]") {
  struct Expected {
    const char* name;
    std::set<std::string> honoured;  // "kind on target" ("kind" for kinds without one)
    bool event_engine, posts_tweets;
    std::vector<TargetId> targets;
  };
  using T = TargetId;
  const std::vector<T> wet_targets = {T::kDashboardP99, T::kPersistedP99, T::kEventToTweetP95,
                                      T::kThroughput,   T::kNoDuplicates, T::kPerItemOrder};
  std::vector<T> streaming_targets = wet_targets;
  streaming_targets.push_back(T::kDetectionToTweetP95);
  std::vector<T> polling_targets = streaming_targets;
  polling_targets.push_back(T::kEventToDetectionP95);
  const std::vector<Expected> expected = {
      {"direct", {"tweet_outage", "rate_limit"}, true, true, {}},
      {"wet", {"crash on consumer", "crash on db", "outage on db", "slow_disk on db"}, false, false, wet_targets},
      {"streaming",
       {"crash on ingest", "crash on consumer", "crash on store", "crash on broker", "outage on broker", "slow_disk on broker",
        "slow_disk on store", "tweet_outage", "rate_limit"},
       false,
       true,
       streaming_targets},
      {"polling",
       {"crash on ingest", "crash on db", "crash on worker", "outage on db", "slow_disk on db", "tweet_outage", "rate_limit"},
       false,
       true,
       polling_targets},
  };
  REQUIRE(architectures().size() == expected.size());
  for (const Expected& e : expected) {
    INFO(e.name);
    const Architecture& a = architecture(e.name);
    std::set<std::string> honoured;
    for (const HonouredFault& h : a.honoured)
      honoured.insert(std::string(fault_kind_name(h.kind)) + (std::string(h.target).empty() ? "" : std::string(" on ") + h.target));
    CHECK(honoured == e.honoured);
    CHECK(a.honoured.size() == e.honoured.size());  // no entry twice
    CHECK(a.event_engine == e.event_engine);
    CHECK(a.posts_tweets == e.posts_tweets);
    std::vector<std::string> targets, want;
    for (const StatedTarget& t : a.targets) targets.emplace_back(target_name(t.id));
    for (TargetId id : e.targets) want.emplace_back(target_name(id));
    CHECK(targets == want);
    for (const StatedTarget& t : a.targets) CHECK_FALSE(std::string(t.source).empty());
  }
}

TEST_CASE("every architecture accepts exactly its honoured host faults and refuses every other, naming where it was written",
          "[architectures][table][faults]") {
  for (const Architecture& a : architectures()) {
    for (const FaultKindInfo& info : fault_kinds()) {
      if (!host_side(info.kind)) continue;
      std::vector<std::string> targets(info.targets.begin(), info.targets.end());
      if (targets.empty()) targets.push_back("");
      for (const std::string& target : targets) {
        INFO(a.name << ": " << info.name << " on '" << target << "'");
        const std::string why = engine::unhonoured_host_faults(with_fault(a.name, info.kind, target));
        if (a.honours(info.kind, target)) {
          CHECK(why.empty());
        } else {
          CHECK(why == "arch.toml:7: faults: " + std::string(info.name) + (target.empty() ? "" : " on " + target) +
                           " is not modelled by pipeline.architecture \"" + a.name +
                           "\" (docs/architectures.md lists what each architecture applies)");
        }
      }
    }
    // Every honoured fault is a host-side kind with a valid target.
    for (const HonouredFault& h : a.honoured) {
      INFO(a.name << ": " << fault_kind_name(h.kind) << " on '" << h.target << "'");
      CHECK(host_side(h.kind));
      const auto& valid = fault_kind_info(h.kind).targets;
      CHECK((std::string(h.target).empty() ? valid.empty()
                                           : std::find(valid.begin(), valid.end(), std::string_view(h.target)) != valid.end()));
    }
  }
}

TEST_CASE("a run refuses a host fault its architecture does not model, with exit 2 and the fault's file and line",
          "[architectures][table][faults][cli]") {
  const std::string toml = "[scenario]\nname = \"unhonoured\"\nduration = \"1h\"\n[pipeline]\narchitecture = \"wet\"\n"
                           "[[faults]]\nkind = \"crash\"\ntarget = \"broker\"\nstart = \"10min\"\nend = \"20min\"\n";
  const std::string path = write_file("unhonoured.toml", toml);
  const auto r = run_peebot("run " + path + " -q -o " + tmp_path("unhonoured.h5"));
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("unhonoured.toml:6: faults: crash on broker is not modelled by pipeline.architecture \"wet\""));
}

TEST_CASE("only an architecture the table marks for the event engine runs on it", "[architectures][table][engines]") {
  for (const Architecture& a : architectures()) {
    INFO(a.name);
    Scenario sc;
    sc.pipeline.architecture = a.name;
    const std::string why = event_engine_unsupported(sc);
    if (a.event_engine) CHECK(why.empty());
    else CHECK(why == "pipeline.architecture \"" + std::string(a.name) + "\" runs on the actors engine only");
  }
}

TEST_CASE("the report states each architecture's targets in the table's order, with their sources and the report.* values",
          "[architectures][table][report]") {
  const Trace t = empty_trace();
  for (const Architecture& a : architectures()) {
    INFO(a.name);
    ReportParams rp;
    rp.architecture = a.name;
    rp.target_throughput = 0.75;
    rp.target_detection_to_tweet_p95_s = 45;
    rp.target_event_to_detection_p95_s = 66;
    const Report r = compute_report(t, rp);
    if (a.targets.empty()) {  // the three every run has, no sources
      REQUIRE(r.targets.size() == 3);
      for (const TargetResult& tr : r.targets) CHECK(tr.source.empty());
      CHECK_THAT(format_report_text(r, t.meta), !Catch::Contains("source and evidence"));
      continue;
    }
    REQUIRE(r.targets.size() == a.targets.size());
    for (std::size_t i = 0; i < a.targets.size(); ++i) {
      CHECK(r.targets[i].name == target_name(a.targets[i].id));
      CHECK(r.targets[i].source == a.targets[i].source);
      CHECK_FALSE(r.targets[i].evidence.empty());
      const std::string note = a.targets[i].evidence_note;
      if (!note.empty()) CHECK(r.targets[i].evidence.size() > note.size());
      if (!note.empty()) CHECK(r.targets[i].evidence.substr(r.targets[i].evidence.size() - note.size()) == note);
      if (a.targets[i].id == TargetId::kThroughput) CHECK(r.targets[i].target_s == 0.75);
      if (a.targets[i].id == TargetId::kDetectionToTweetP95) CHECK(r.targets[i].target_s == 45);
      if (a.targets[i].id == TargetId::kEventToDetectionP95) CHECK(r.targets[i].target_s == 66);
    }
    const std::string text = format_report_text(r, t.meta);
    CHECK_THAT(text, Catch::Contains("Architecture \"" + std::string(a.name) + "\" (docs/architectures.md): source and evidence"));
    for (const StatedTarget& st : a.targets)
      CHECK_THAT(text, Catch::Contains(std::string("  ") + target_name(st.id) + ": " + st.source + "; "));
    if (!a.posts_tweets)
      for (const TargetResult& tr : r.targets)
        if (tr.name == "event_to_tweet_p95") CHECK(tr.evidence == std::string(a.seed) + " posts no tweets");
  }
}

TEST_CASE("the stated targets are report.* scenario keys whose defaults are the seeds' values", "[architectures][table][scenario]") {
  const std::string text = "[scenario]\nname = \"t\"\nduration = \"1h\"\n";
  const Scenario d = parse_scenario(text, "t.toml");
  CHECK(d.report.target_throughput == 0.999);
  CHECK(d.report.target_detection_to_tweet_p95_s == 120);
  CHECK(d.report.target_event_to_detection_p95_s == 120);
  const Scenario s = parse_scenario(text + "[report]\ntarget_throughput = 0.99\ntarget_detection_to_tweet_p95 = \"1min\"\n", "t.toml",
                                    {"report.target_event_to_detection_p95=\"5min\""});
  CHECK(s.report.target_throughput == 0.99);
  CHECK(s.report.target_detection_to_tweet_p95_s == 60);
  CHECK(s.report.target_event_to_detection_p95_s == 300);
  try {
    parse_scenario(text + "[report]\ntarget_throughput = 1.5\n", "t.toml");
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("t.toml:5") && Catch::Contains("report.target_throughput"));
  }
}

TEST_CASE("pipeline.architecture takes exactly the table's names, and its help lists each with its summary", "[architectures][table][scenario]") {
  const std::string text = "[scenario]\nname = \"t\"\nduration = \"1h\"\n[pipeline]\narchitecture = ";
  for (const Architecture& a : architectures())
    CHECK(parse_scenario(text + "\"" + a.name + "\"\n", "t.toml").pipeline.architecture == a.name);
  CHECK_THROWS_AS(parse_scenario(text + "\"kafka\"\n", "t.toml"), ScenarioError);
  const std::string md = scenario_reference_markdown();
  for (const Architecture& a : architectures())
    CHECK_THAT(md, Catch::Contains("\"" + std::string(a.name) + "\" (" + a.summary + ")"));
}
