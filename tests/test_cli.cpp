// End to end through the peebot binary: exit codes, determinism, the trace a
// run leaves, and the report's figures on a tiny scenario.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/report/report.hpp"
#include "sim/trace/trace.hpp"
#include "cli_support.hpp"

using namespace peebot;

namespace {

using namespace peebot::test;

// A small, fast scenario: 3 crew for 12 hours, light background.
const char* kTiny = R"(
[scenario]
name = "tiny"
start = "2025-01-06T04:00:00Z"
duration = "12h"
seed = 7

[crew]
size = 3
upa_share = 1.0

[background]
rate = 5
items = 20
)";

// Bit-identical doubles (NaN equals NaN with the same bits).
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
template <class T>
bool same(T a, T b) { return a == b; }

// Field-by-field: struct padding is not part of a record.
#define SAME_FIELDS(T, ...)                                  \
  bool same_rec(const T& a, const T& b) {                    \
    bool ok = true;                                          \
    auto f = [&](auto m) { ok = ok && same(a.*m, b.*m); };   \
    (void)f;                                                 \
    __VA_ARGS__;                                             \
    return ok;                                               \
  }
SAME_FIELDS(TelemetryRow, f(&TelemetryRow::t_s), f(&TelemetryRow::t_emit_s), f(&TelemetryRow::iss_time_h),
            f(&TelemetryRow::value), f(&TelemetryRow::seq), f(&TelemetryRow::status))
SAME_FIELDS(VoidEvent, f(&VoidEvent::onset_s), f(&VoidEvent::end_s), f(&VoidEvent::crew), f(&VoidEvent::urine_ml),
            f(&VoidEvent::flush_ml), f(&VoidEvent::reaches_tank))
SAME_FIELDS(LosWindow, f(&LosWindow::start_s), f(&LosWindow::end_s))
SAME_FIELDS(TankPoint, f(&TankPoint::t_s), f(&TankPoint::volume_ml), f(&TankPoint::level_pct))
SAME_FIELDS(UpaStateChange, f(&UpaStateChange::t_s), f(&UpaStateChange::state))
SAME_FIELDS(CrewStateChange, f(&CrewStateChange::t_s), f(&CrewStateChange::crew), f(&CrewStateChange::awake))
SAME_FIELDS(Detection, f(&Detection::id), f(&Detection::onset_s), f(&Detection::onset_lo_s), f(&Detection::end_s),
            f(&Detection::emitted_s), f(&Detection::size_pct), f(&Detection::size_ml), f(&Detection::kind),
            f(&Detection::confidence))
SAME_FIELDS(QueueSample, f(&QueueSample::t_s), f(&QueueSample::stage), f(&QueueSample::depth), f(&QueueSample::depth_max))
SAME_FIELDS(StageTimes, f(&StageTimes::seq), f(&StageTimes::item), f(&StageTimes::fate), f(&StageTimes::t_emit_s),
            f(&StageTimes::t_published_s), f(&StageTimes::t_received_s), f(&StageTimes::t_ingested_s),
            f(&StageTimes::t_detected_s), f(&StageTimes::t_stored_s))
SAME_FIELDS(Post, f(&Post::detection_id), f(&Post::t_detected_s), f(&Post::t_first_attempt_s), f(&Post::t_done_s),
            f(&Post::attempts), f(&Post::outcome), f(&Post::text))

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_rec(a[i], b[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("peebot --help and run --help list the commands and every run option", "[cli]") {
  const auto main_help = run_peebot("--help");
  REQUIRE(main_help.code == 0);
  REQUIRE_THAT(main_help.out, Catch::Contains("run") && Catch::Contains("report"));
  const auto run_help = run_peebot("run --help");
  REQUIRE(run_help.code == 0);
  for (const char* opt : {"--output", "--seed", "--duration", "--set", "--quiet", "--json"})
    REQUIRE_THAT(run_help.out, Catch::Contains(opt));
}

TEST_CASE("bad usage exits 2 and points at --help", "[cli]") {
  REQUIRE(run_peebot("").code == 2);
  REQUIRE(run_peebot("frobnicate").code == 2);
  const auto r = run_peebot("run --no-such-option x.toml");
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.out, Catch::Contains("run --help"));
  REQUIRE(run_peebot("run").code == 2);
}

TEST_CASE("a bad scenario exits 2 naming file, line and key, and writes no trace", "[cli]") {
  const std::string bad = write_file("bad.toml", "[scenario]\nname = \"x\"\nduration = \"1h\"\n[crew]\nsize = 99\n");
  const std::string out = tmp_path("bad.h5");
  const auto r = run_peebot("run " + bad + " -o " + out);
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.out, Catch::Contains("bad.toml:5") && Catch::Contains("crew.size"));
  REQUIRE_FALSE(exists(out));
  REQUIRE_FALSE(exists(out + ".tmp"));
  const auto s = run_peebot("run " + write_file("ok.toml", kTiny) + " --set crew.size=abc -o " + out);
  REQUIRE(s.code == 2);
  REQUIRE_THAT(s.out, Catch::Contains("--set crew.size=abc"));
}

TEST_CASE("a trace that cannot be written is a runtime failure (exit 1)", "[cli]") {
  // /proc exists but takes no new files: the failure comes when the writer creates its file.
  const auto r = run_peebot("run " + write_file("tiny.toml", kTiny) + " --quiet -o /proc/peebot-x.h5");
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.out, Catch::Contains("/proc/peebot-x.h5"));
  // A folder that does not exist is bad usage, found before the run (exit 2).
  const auto u = run_peebot("run " + write_file("tiny.toml", kTiny) + " --quiet -o /nonexistent-dir/x.h5");
  REQUIRE(u.code == 2);
  REQUIRE_THAT(u.out, Catch::Contains("/nonexistent-dir"));
}

TEST_CASE("report on a missing or non-trace file exits 2 naming the file", "[cli]") {
  const auto r = run_peebot("report " + tmp_path("missing.h5"));
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.out, Catch::Contains("missing.h5"));
  const auto t = run_peebot("report " + write_file("not-a-trace.h5", "hello"));
  REQUIRE(t.code == 2);
}

TEST_CASE("the same scenario and seed give identical traces, and another seed does not", "[cli][determinism]") {
  const std::string sc = write_file("det.toml", kTiny);
  const std::string a = tmp_path("a.h5"), b = tmp_path("b.h5"), c = tmp_path("c.h5");
  REQUIRE(run_peebot("run " + sc + " -q -o " + a).code == 0);
  REQUIRE(run_peebot("run " + sc + " -q -o " + b).code == 0);
  REQUIRE(run_peebot("run " + sc + " -q --seed 8 -o " + c).code == 0);
  const Trace ta = read_trace(a), tb = read_trace(b), tc = read_trace(c);
  for (int i = 0; i < kNamedItems; ++i) REQUIRE(same_bytes(ta.telemetry[i], tb.telemetry[i]));
  REQUIRE(same_bytes(ta.voids, tb.voids));
  REQUIRE(same_bytes(ta.los, tb.los));
  REQUIRE(same_bytes(ta.tank, tb.tank));
  REQUIRE(same_bytes(ta.upa_states, tb.upa_states));
  REQUIRE(same_bytes(ta.crew, tb.crew));
  REQUIRE(same_bytes(ta.detections, tb.detections));
  REQUIRE(same_bytes(ta.queues, tb.queues));
  REQUIRE(same_bytes(ta.stages, tb.stages));
  REQUIRE(same_bytes(ta.posts, tb.posts));
  REQUIRE(ta.meta.scenario_toml == tb.meta.scenario_toml);
  REQUIRE_FALSE(same_bytes(ta.voids, tc.voids));
}

TEST_CASE("a run's trace holds telemetry, truth and pipeline records that agree with each other", "[cli][trace]") {
  const std::string path = tmp_path("tiny.h5");
  const auto r = run_peebot("run " + write_file("tiny2.toml", kTiny) + " --no-report -o " + path);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("simulated 12h"));
  const Trace t = read_trace(path);
  REQUIRE(t.meta.mode == "sim");
  REQUIRE(t.meta.seed == 7);
  REQUIRE(t.meta.has_truth);
  REQUIRE(t.meta.duration_s == Approx(12 * 3600));
  REQUIRE_THAT(t.meta.scenario_toml, Catch::Contains("name = \"tiny\""));
  REQUIRE(t.meta.epoch_utc == "2025-01-06T04:00:00Z");
  const auto& tank = t.telemetry[kUrineTank];
  REQUIRE(tank.size() > 5);
  for (std::size_t i = 1; i < tank.size(); ++i) {
    REQUIRE(tank[i].t_s >= tank[i - 1].t_s);          // time-sorted
    REQUIRE(tank[i].value != tank[i - 1].value);       // MERGE: only changes
    REQUIRE(tank[i].t_s > tank[i].t_emit_s);           // it took time to arrive
    REQUIRE(tank[i].value == std::floor(tank[i].value));  // integer percent
  }
  REQUIRE(!t.telemetry[kSignal].empty());
  REQUIRE(!t.voids.empty());
  REQUIRE(!t.tank.empty());
  REQUIRE(!t.upa_states.empty());
  REQUIRE(!t.crew.empty());
  REQUIRE(!t.queues.empty());
  // Nothing reaches the host during LOS: no tank update was emitted inside a window.
  for (const auto& u : tank)
    for (const auto& w : t.los) REQUIRE_FALSE((u.t_emit_s > w.start_s + 1.0 && u.t_emit_s < w.end_s));
  // The reading follows the true level (within flicker), where truth is known.
  std::size_t j = 0;
  for (const auto& u : tank) {
    while (j + 1 < t.tank.size() && t.tank[j + 1].t_s <= u.t_emit_s) ++j;
    if (j + 1 >= t.tank.size()) break;
    const double a = t.tank[j].level_pct, b = t.tank[j + 1].level_pct;
    const double lo = std::min(a, b), hi = std::max(a, b);
    REQUIRE(u.value >= std::floor(lo) - 1);
    REQUIRE(u.value <= std::floor(hi) + 1);
  }
  // Posts refer to detections of the trace.
  for (const auto& p : t.posts) {
    bool found = false;
    for (const auto& d : t.detections) found |= d.id == p.detection_id;
    REQUIRE(found);
  }
}

TEST_CASE("the trace a run writes opens in h5py and h5dump", "[cli][trace]") {
  const std::string path = tmp_path("h5py.h5");
  REQUIRE(run_peebot("run " + write_file("tiny3.toml", kTiny) + " -q -o " + path).code == 0);
  REQUIRE(std::system(("h5dump -H " + path + " > /dev/null").c_str()) == 0);
  const std::string py =
      "/usr/bin/python3 -c \"import h5py,sys; f=h5py.File(sys.argv[1],'r'); "
      "t=f['telemetry/NODE3000005']; v=f['truth/voids']; "
      "assert f.attrs['format']=='peebot-trace' or f.attrs['format']==b'peebot-trace'; "
      "assert len(t)>0 and 'iss_time_h' in t.dtype.names and len(v)>0; "
      "assert (t['t_s'][1:]>=t['t_s'][:-1]).all(); print('ok')\" " + path;
  REQUIRE(std::system(py.c_str()) == 0);
}

TEST_CASE("run prints a report whose figures match the trace's truth", "[cli][report]") {
  const std::string path = tmp_path("rep.h5");
  const auto r = run_peebot("run " + write_file("tiny4.toml", kTiny) + " --json -o " + path);
  REQUIRE(r.code == 0);
  const Trace t = read_trace(path);
  std::size_t reaching = 0;
  for (const auto& v : t.voids) reaching += v.reaches_tank ? 1 : 0;
  REQUIRE_THAT(r.out, Catch::Contains("\"urination\"") || Catch::Contains("urination"));
  const Report rep = compute_report(t, ReportParams{});
  REQUIRE(rep.voids_reaching_tank == reaching);
  REQUIRE(rep.match.tp + rep.match.fn == reaching);
  REQUIRE(rep.detections_total == t.detections.size());
  // The JSON the command printed is the same report.
  REQUIRE_THAT(r.out, Catch::Contains(std::to_string(t.detections.size())));
  const auto again = run_peebot("report " + path);
  REQUIRE(again.code == 0);
  REQUIRE_THAT(again.out, Catch::Contains("precision") && Catch::Contains("P99 ingest -> persisted"));
}

TEST_CASE("feed-hours.py puts long flicker episodes in their hour of the UTC day and band of the level, and compare counts drain steps by hour", "[cli][fidelity]") {
  // One day, change-only: level 30 from midnight, flicker 30 <-> 31 every
  // 3 s from 10:00 to 11:00 (an episode of 1199 reversals: the first
  // reading of 31 follows 10 h of quiet, a logger gap), a rise to 32, a
  // drain run of 10 new lows 5 min apart from 20:05, and a rise at the
  // next midnight.
  std::string csv = "time,item,value\n2025-01-06T00:00:00Z,NODE3000005,30\n";
  char line[96];
  auto at = [&](int s, int v) {
    std::snprintf(line, sizeof line, "2025-01-06T%02d:%02d:%02dZ,NODE3000005,%d\n", s / 3600, s / 60 % 60, s % 60, v);
    csv += line;
  };
  for (int k = 1; k <= 1201; ++k) at(10 * 3600 + 3 * k, k % 2 ? 31 : 30);
  at(11 * 3600 + 6, 32);
  for (int k = 1; k <= 10; ++k) at(20 * 3600 + 300 * k, 30 - k);
  csv += "2025-01-07T00:00:00Z,NODE3000005,25\n";
  const std::string src = write_file("hours.csv", csv), trace = tmp_path("hours.h5");
  REQUIRE(run_peebot("import " + src + " -o " + trace).code == 0);
  const std::string script = "/usr/bin/python3 " + std::string(PEEBOT_SOURCE_DIR) + "/scripts/feed-hours.py ";
  const Result r = run_shell(script + trace);
  INFO(r.out);
  REQUIRE(r.code == 0);
  // 1214 updates, 1199 of them inside the episode: 15 outside it over the day.
  CHECK_THAT(r.out, Catch::Contains("1214 tank updates over 1.0 days, 15 a day outside long episodes; "
                                    "1 long flicker episodes, 1 h, longest 1.0 h"));
  // The numbers after a row's label (the nth row with that label).
  auto row = [&](const std::string& label, int nth) {
    std::size_t pos = r.out.find(label);
    for (int i = 0; i < nth && pos != std::string::npos; ++i) pos = r.out.find(label, pos + 1);
    REQUIRE(pos != std::string::npos);
    const std::size_t from = pos + label.size();
    std::istringstream in(r.out.substr(from, r.out.find('\n', from) - from));
    std::vector<double> v;
    for (double x; in >> x;) v.push_back(x);
    return v;
  };
  const auto by_hour = row("long flicker h", 0), by_level = row("long flicker h", 1), at_level = row("hours at level", 0);
  REQUIRE(by_hour.size() == 8);
  REQUIRE(by_level.size() == 8);
  REQUIRE(at_level.size() == 8);
  for (std::size_t b = 0; b < 8; ++b) {
    INFO("3-h bin " << b << ", level band " << b);
    CHECK(by_hour[b] == Approx(b == 3 ? 1.0 : 0.0));  // 09-12 UTC
    CHECK(by_level[b] == Approx(b == 3 ? 1.0 : 0.0));  // 30-40 %
    // The hour of flicker at 30-31 %, and 20:05 to midnight at 20-29 % (the 10 h and 9 h of quiet are gaps).
    CHECK(at_level[b] == (b == 3 ? 1.0 : b == 2 ? 4.0 : 0.0));
  }
  // compare's drain steps by hour (drain_step_hour_profile): all at 20 h UTC, 8 of them (the import
  // reads the 9 h of quiet before 20:05 as a gap, so compare's floor restarts at 29 and the steps
  // count from 28, 20:10, to 20, 20:50).
  const Result cmp = run_peebot("compare " + trace + " " + trace + " --json");
  REQUIRE(cmp.code == 0);
  const Json j = parse_json(cmp.out.substr(cmp.out.find('{')));
  const Json& profile = j.at("counts").at("a").at("drain_step_hour_profile");
  REQUIRE(profile.size() == 24);
  for (std::size_t h = 0; h < 24; ++h) {
    INFO("hour " << h);
    CHECK(profile[h].get<int>() == (h == 20 ? 8 : 0));
  }
  CHECK_THAT(cmp.out, !Catch::Contains("drain steps by UTC hour"));  // the text table's profile is not in --json
  CHECK_THAT(run_peebot("compare " + trace + " " + trace).out, Catch::Contains("drain steps by UTC hour of day"));
  // Bad input: exit 2 naming the file.
  const Result bad = run_shell(script + tmp_path("none.h5"));
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("none.h5"));
}
