// Replications through the binary: peebot run --seeds writes one trace per
// seed and pools them; peebot report pools a run directory the same way;
// --until-ci stops; bad --seeds / --jobs (docs/statistics.md).
#include <filesystem>
#include <string>

#include "cli_support.hpp"
#include "sim/report/json.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

const char* kTiny =
    "[scenario]\nname = \"tiny\"\nstart = \"2025-01-06T05:00:00Z\"\nduration = \"6h\"\nseed = 1\n"
    "[crew]\nsize = 5\nupa_share = 1.0\n[background]\nrate = 2\nitems = 10\n";

std::size_t traces_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".h5";
  return n;
}

}  // namespace

TEST_CASE("run --seeds writes one trace per replication and pools every target with interval, n and verdict", "[cli][replications]") {
  const std::string sc = write_file("tiny.toml", kTiny);
  const std::string dir = tmp_path("reps");
  const Result r = run_peebot("run " + sc + " --seeds 1..5 --jobs 2 -o " + dir + " --json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  REQUIRE(traces_in(dir) == 5);
  const Json j = parse_json(r.out.substr(r.out.find('{')));
  REQUIRE(j.at("n") == 5);
  const Json& figs = j.at("figures");
  for (const char* name : {"ingest_to_dashboard_p99", "ingest_to_persisted_p99", "event_to_tweet_p95", "precision",
                           "recall", "f1", "detection_latency_p95"}) {
    INFO(name);
    REQUIRE(figs.contains(name));
    const Json& f = figs.at(name);
    REQUIRE(f.contains("value"));
    REQUIRE(f.at("ci95").is_array());
    REQUIRE(f.at("n") == 5);
    REQUIRE(f.contains("verdict"));
  }
  const std::string v = figs.at("event_to_tweet_p95").at("verdict").get<std::string>();
  REQUIRE((v == "met" || v == "not met" || v == "undecided"));
  // The interval holds the value.
  const Json& e = figs.at("event_to_tweet_p95");
  REQUIRE(e.at("ci95")[0].get<double>() <= e.at("value").get<double>());
  REQUIRE(e.at("value").get<double>() <= e.at("ci95")[1].get<double>());

  // peebot report of the run directory pools the same traces to the same figures.
  const Result rep = run_peebot("report " + dir + " --json");
  REQUIRE(rep.code == 0);
  REQUIRE(rep.out == r.out.substr(r.out.find('{')));
  const Result text = run_peebot("report " + dir);
  REQUIRE(text.code == 0);
  REQUIRE(text.out.find("Pooled over 5 replications") != std::string::npos);
  REQUIRE(text.out.find("95 % interval") != std::string::npos);

  // One trace is n 1: no interval, the value's side.
  const Result one = run_peebot("report " + dir + "/tiny-seed1.h5 --json");
  REQUIRE(one.code == 0);
  REQUIRE(one.out.find("\"n\": 1") != std::string::npos);
  REQUIRE(one.out.find("\"ci95\": null") != std::string::npos);

  // The same seed twice, or traces of another scenario, do not pool.
  const Result twice = run_peebot("report " + dir + "/tiny-seed1.h5 " + dir + "/tiny-seed1.h5");
  REQUIRE(twice.code == 2);
  REQUIRE(twice.out.find("seed 1") != std::string::npos);
  const Result other = run_peebot("run " + sc + " --seed 9 --set crew.size=3 --quiet -o " + tmp_path("other.h5"));
  REQUIRE(other.code == 0);
  const Result mixed = run_peebot("report " + dir + "/tiny-seed1.h5 " + tmp_path("other.h5"));
  REQUIRE(mixed.code == 2);
  REQUIRE(mixed.out.find("not a replication") != std::string::npos);
}

TEST_CASE("run --until-ci stops once every verdict is decided, and says which figure needed the most", "[cli][replications]") {
  const std::string sc = write_file("tiny-ci.toml", kTiny);
  const std::string dir = tmp_path("reps-ci");
  // Targets far from the values: every verdict is decided after a few replications.
  const Result r = run_peebot("run " + sc + " --set report.target_tweet_p95=\\\"1d\\\" --seeds 1..2 --until-ci 5% "
                              "--max-seeds 12 --jobs 2 -o " + dir);
  INFO(r.out);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("until-ci 5 %: every verdict figure decided or within 5 % after") != std::string::npos);
  REQUIRE(r.out.find("the one that needed the most: ") != std::string::npos);
  REQUIRE(traces_in(dir) < 12);

  // A relative width no interval reaches: it stops at --max-seeds and names what is still open, unless
  // every target is decided by then (then it says so as above).
  const std::string dir2 = tmp_path("reps-ci2");
  const Result m = run_peebot("run " + sc + " --seeds 1..2 --until-ci 0.001% --max-seeds 3 --jobs 2 -o " + dir2);
  INFO(m.out);
  REQUIRE(m.code == 0);
  REQUIRE(traces_in(dir2) <= 3);
  const bool open = m.out.find("NOT settled at --max-seeds 3:") != std::string::npos;
  const bool decided = m.out.find("every verdict figure decided or within") != std::string::npos;
  REQUIRE(open != decided);
  if (open) REQUIRE(traces_in(dir2) == 3);

  // Bad use: exit 2 before any run.
  REQUIRE(run_peebot("run " + sc + " --until-ci 5%").code == 2);                    // no --max-seeds
  REQUIRE(run_peebot("run " + sc + " --until-ci 150% --max-seeds 4").code == 2);    // not a relative width
  REQUIRE(run_peebot("run " + sc + " --seeds 1..3 --seed 2").code == 2);
  REQUIRE(run_peebot("run " + sc + " --seeds=-1").code == 2);
}

TEST_CASE("a --jobs far above the CPUs is capped with a warning", "[cli][replications]") {
  const std::string sc = write_file("tiny-jobs.toml", kTiny);
  const Result r = run_peebot("run " + sc + " --seeds 1..2 --jobs 4096 -o " + tmp_path("reps-jobs"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("warning: --jobs 4096 is more than the") != std::string::npos);
}

TEST_CASE("fidelity-floor.sh compares pairs of seeds of one scenario and counts the pairs within each goal", "[cli][replications][fidelity]") {
  // Three days (compare needs covered days for rises per day), a light feed.
  const std::string sc = write_file(
      "floor.toml",
      "[scenario]\nname = \"floor\"\nstart = \"2025-01-06T00:00:00Z\"\nduration = \"3d\"\nseed = 1\n"
      "[crew]\nsize = 4\n[water]\nenabled = false\n[background]\nrate = 2\nitems = 10\n");
  const std::string script = std::string(PEEBOT_SOURCE_DIR) + "/scripts/fidelity-floor.sh";
  const std::string env = "PEEBOT=" + std::string(PEEBOT_BINARY) + " KEEP_DIR=" + tmp_path("floor");
  const Result r = run_shell("env " + env + " " + script + " " + sc + " 2 2>/dev/null");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(exists(tmp_path("floor/self-1.json")));
  CHECK(exists(tmp_path("floor/self-2.json")));
  CHECK_FALSE(exists(tmp_path("floor/sim-1.h5")));  // the runs are removed once compared
  CHECK(r.out.find("KS D, mean of 2 seeds") != std::string::npos);
  CHECK(r.out.find("seeds within the goal |") != std::string::npos);
  // Every goal row ends with its count over the two pairs.
  for (const char* row : {"| rise size (%) |", "| rises per day |", "| tank updates per day |"}) {
    INFO(row);
    const auto at = r.out.find(row);
    REQUIRE(at != std::string::npos);
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    CHECK(line.find(" of 2 |") != std::string::npos);
  }
  // Bad input: exit 2 with the reason.
  const Result one = run_shell("env " + env + " " + script + " " + sc + " 1");
  CHECK(one.code == 2);
  CHECK(one.out.find("expected an integer >= 2") != std::string::npos);
  const Result missing = run_shell("env " + env + " " + script + " " + tmp_path("none.toml"));
  CHECK(missing.code == 2);
  CHECK(missing.out.find("cannot read the scenario") != std::string::npos);
}

TEST_CASE("fidelity-table.py --within counts the seeds whose own figure meets each goal", "[cli][replications][fidelity]") {
  // Two hand-made compares: every KS distance 0.05 and +5 % in one, 0.15 and +20 % in the other.
  auto compare_json = [](double d, double rel, bool with_hours) {
    std::string dist;
    for (const char* k : {"rise_size", "inter_update", "drain_step", "rise_onset_hour", "rises_per_day",
                          "flicker_per_hour", "gap", "drain_step_hour"}) {
      if (!with_hours && std::string(k) == "drain_step_hour") continue;
      dist += std::string(dist.empty() ? "" : ",") + "\"" + k + "\": {\"a\": {\"count\": 10, \"p50\": 1}, " +
              "\"b\": {\"count\": 10, \"p50\": 1}, \"ks_d\": " + std::to_string(d) + ", \"ks_p\": 0.5}";
    }
    const std::string r = std::to_string(rel);
    return "{\"distributions\": {" + dist + "}, \"rises_per_day_median\": {\"a\": 19, \"b\": 19, " +
           "\"rel_diff_b_vs_a\": " + r + "}, \"tank_updates_per_day\": {\"a\": 1000, \"b\": 1000, " +
           "\"rel_diff_b_vs_a\": " + r + "}}";
  };
  const std::string near = write_file("near.json", compare_json(0.05, 0.05, true));
  const std::string far = write_file("far.json", compare_json(0.15, 0.20, true));
  const std::string table = "python3 " + std::string(PEEBOT_SOURCE_DIR) + "/scripts/fidelity-table.py ";
  const Result r = run_shell(table + "--within " + near + " " + far);
  INFO(r.out);
  REQUIRE(r.code == 0);
  for (const char* row : {"| rise size (%) |", "| drain-step interval (s) |", "| rises per day |",
                          "| rises per day, median |", "| tank updates per day |"}) {
    INFO(row);
    const auto at = r.out.find(row);
    REQUIRE(at != std::string::npos);
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    CHECK(line.find("| 1 of 2 |") != std::string::npos);
  }
  const auto hours = r.out.find("| hour of day of drain steps (h UTC) |");
  REQUIRE(hours != std::string::npos);
  CHECK(r.out.substr(hours, r.out.find('\n', hours) - hours).find("| – |") != std::string::npos);  // no goal
  // Both near: 2 of 2; without --within no count column.
  const Result both = run_shell(table + "--within " + near + " " + near);
  CHECK(both.out.find("| 2 of 2 |") != std::string::npos);
  CHECK(run_shell(table + near + " " + far).out.find(" of 2 |") == std::string::npos);
  // A compare from before drain_step_hour: that row is left out, with a note; the others stay.
  const std::string old = write_file("old.json", compare_json(0.05, 0.05, false));
  const Result mixed = run_shell(table + old + " " + far);
  CHECK(mixed.code == 0);
  CHECK(mixed.out.find("hour of day of drain steps") == std::string::npos);
  CHECK(mixed.out.find("no drain_step_hour row") != std::string::npos);
  CHECK(mixed.out.find("| rise size (%) |") != std::string::npos);
  // Not a compare: exit 2 naming the file; an unknown option: exit 2.
  const std::string bad = write_file("bad.json", "{\"distributions\": {}}");
  const Result notcmp = run_shell(table + bad + " " + far);
  CHECK(notcmp.code == 2);
  CHECK(notcmp.out.find("bad.json") != std::string::npos);
  CHECK(run_shell(table + "--bogus " + near + " " + far).code == 2);
}
