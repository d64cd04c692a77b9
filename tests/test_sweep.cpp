// peebot sweep: grid expansion, value validation, flattening, merging, the
// CSV/HDF5 table, the chart, and end to end: the same bytes whatever --jobs and
// for --point + --merge.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cli_support.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/sweep/sweep.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

const char* const kSmall = kSmallScenario;

SweepSpec small_spec(const std::string& scenario) {
  SweepSpec s;
  s.scenario_path = scenario;
  s.axes = {parse_vary("crew.size=2,3,4"), parse_vary("pipeline.tweet.cooldown_policy=delay,drop")};
  s.seeds = {5, 6};
  return s;
}

// A report-like JSON for synthetic points.
std::string fake_report(double p, const std::string& verdict_name, bool met) {
  std::ostringstream o;
  o << "{\"scenario\": \"x\", \"matching\": {\"precision\": " << p << ", \"tp\": 3}, \"stage_latency\": "
    << "{\"ingest\": {\"p99_s\": null}}, \"note\": \"a, \\\"quoted\\\" text\", \"targets\": [{\"name\": \""
    << verdict_name << "\", \"value_s\": 1.5, \"met\": " << (met ? "true" : "false") << "}]}";
  return o.str();
}

std::vector<std::string> fake_points(const SweepSpec& s, std::vector<std::string>& names) {
  std::vector<std::string> texts;
  for (std::size_t k = 0; k < sweep_size(s); ++k) {
    texts.push_back(format_sweep_point(s, "[scenario]\nname = \"x\"\n", sweep_point(s, k),
                                       parse_json(fake_report(0.5 + 0.01 * static_cast<double>(k), "event_to_tweet_p95", k % 2))));
    names.push_back("p" + std::to_string(k) + ".json");
  }
  return texts;
}

}  // namespace

TEST_CASE("a sweep grid is every combination of the --vary values times the seeds, seed fastest", "[sweep]") {
  const std::string sc = write_file("sweep-grid.toml", kSmall);
  const SweepSpec s = small_spec(sc);
  REQUIRE(sweep_size(s) == 12);
  const SweepPoint first = sweep_point(s, 0), second = sweep_point(s, 1), third = sweep_point(s, 2),
                   last = sweep_point(s, 11);
  CHECK(first.values == std::vector<std::string>{"2", "delay"});
  CHECK(first.seed == 5);
  CHECK(second.values == std::vector<std::string>{"2", "delay"});
  CHECK(second.seed == 6);
  CHECK(third.values == std::vector<std::string>{"2", "drop"});
  CHECK(third.seed == 5);
  CHECK(last.values == std::vector<std::string>{"4", "drop"});
  CHECK(last.seed == 6);
  std::set<std::string> seen;
  for (std::size_t k = 0; k < 12; ++k) seen.insert(describe_point(s, sweep_point(s, k)));
  CHECK(seen.size() == 12);
  CHECK_THROWS_AS(sweep_point(s, 12), std::out_of_range);
  const auto ov = sweep_overrides(s, last);
  REQUIRE(ov.size() == 3);
  CHECK(ov[0] == "crew.size=4");
  CHECK(ov[1] == "pipeline.tweet.cooldown_policy=drop");
  CHECK(ov[2] == "scenario.seed=6");
  CHECK_NOTHROW(validate_sweep(s));
}

TEST_CASE("a --vary list splits on commas outside quotes and brackets and refuses empty values", "[sweep]") {
  const SweepAxis a = parse_vary("crew.periods=[1,2],[3]");
  CHECK(a.key == "crew.periods");
  CHECK(a.values == std::vector<std::string>{"[1,2]", "[3]"});
  CHECK(parse_vary("scenario.description=\"a,b\",c").values == std::vector<std::string>{"\"a,b\"", "c"});
  CHECK_THROWS_WITH(parse_vary("crew.size"), Catch::Contains("expected key.path=v1,v2"));
  CHECK_THROWS_WITH(parse_vary("crew.size=1,,2"), Catch::Contains("empty value"));
  CHECK_THROWS_WITH(parse_vary("crew.size=[1,2"), Catch::Contains("unbalanced"));
}

TEST_CASE("a bad --vary value is refused before any run, naming the key, the value and what was expected", "[sweep]") {
  const std::string sc = write_file("sweep-bad.toml", kSmall);
  SweepSpec s = small_spec(sc);
  s.axes[0] = parse_vary("crew.size=3,-1");
  CHECK_THROWS_WITH(validate_sweep(s), Catch::Contains("crew.size") && Catch::Contains("-1") &&
                                           Catch::Contains("expected"));
  s = small_spec(sc);
  s.axes[1] = parse_vary("pipeline.tweet.cooldown_policy=delay,sometimes");
  CHECK_THROWS_WITH(validate_sweep(s), Catch::Contains("sometimes") && Catch::Contains("delay"));
  s = small_spec(sc);
  s.axes.push_back(parse_vary("crew.size=5"));
  CHECK_THROWS_WITH(validate_sweep(s), Catch::Contains("varied twice"));
  s = small_spec(sc);
  s.axes.push_back(parse_vary("scenario.seed=1,2"));
  CHECK_THROWS_WITH(validate_sweep(s), Catch::Contains("--seeds"));
  // Cross-key rules are checked per combination: backoff must not exceed backoff_max.
  s = small_spec(sc);
  s.axes = {parse_vary("pipeline.tweet.backoff=1s,30s"), parse_vary("pipeline.tweet.backoff_max=20s,1h")};
  CHECK_THROWS_WITH(validate_sweep(s), Catch::Contains("backoff=30s") && Catch::Contains("backoff_max=20s"));

  // Through the binary: exit 2, the message, and no output file.
  const std::string out = tmp_path("sweep-bad.csv");
  const auto r = run_peebot("sweep " + sc + " --vary crew.size=3,-1 -o " + out);
  CHECK(r.code == 2);
  CHECK(r.out.find("crew.size") != std::string::npos);
  CHECK(r.out.find("sweep:") == std::string::npos);  // nothing started
  CHECK_FALSE(exists(out));
  CHECK(run_peebot("sweep " + sc + " --vary no.such.key=1,2 -o " + out).code == 2);
}

TEST_CASE("sweep usage errors exit 2 before running: outputs, chart, figure, point", "[sweep][cli]") {
  const std::string sc = write_file("sweep-usage.toml", kSmall);
  const std::string v = " --vary crew.size=2,3 ";
  auto code = [&](const std::string& a) { return run_peebot("sweep " + sc + v + a).code; };
  CHECK(code("-o " + tmp_path("x.txt")) == 2);
  CHECK(code("") == 2);
  CHECK(code("-o " + tmp_path("x.csv") + " --chart " + tmp_path("c.html")) == 2);
  CHECK(code("-o " + tmp_path("x.csv") + " --chart " + tmp_path("c.png") + " --figure posts.sent") == 2);
  const auto unknown = run_peebot("sweep " + sc + v + "-o " + tmp_path("x.csv") + " --chart " + tmp_path("c.html") +
                                  " --figure posts.nope");
  CHECK(unknown.code == 2);
  CHECK(unknown.out.find("matching.precision") != std::string::npos);  // lists the columns there are
  CHECK_FALSE(exists(tmp_path("x.csv")));
  CHECK(code("--point 2 -o " + tmp_path("p.json")) == 2);
  CHECK(code("--point 0 -o " + tmp_path("p.csv")) == 2);
  CHECK(run_peebot("sweep --merge " + tmp_path("none") + " -o " + tmp_path("m.csv")).code == 2);
  const auto help = run_peebot("--help");
  CHECK(help.out.find("sweep") != std::string::npos);
  CHECK(help.out.find("eval-run") == std::string::npos);  // internal commands are hidden
}

TEST_CASE("a report flattens into columns: object keys joined by dots, named array elements by name", "[sweep]") {
  SweepCells cells;
  flatten_json(parse_json(fake_report(0.25, "ingest_to_dashboard_p99", true)), "", cells);
  std::vector<std::string> names;
  for (const auto& [k, v] : cells) names.push_back(k);
  CHECK(names == std::vector<std::string>{"scenario", "matching.precision", "matching.tp", "stage_latency.ingest.p99_s",
                                          "note", "targets.ingest_to_dashboard_p99.value_s",
                                          "targets.ingest_to_dashboard_p99.met"});
  CHECK(json_double(cells[1].second) == 0.25);
  CHECK(cells[3].second.is_null());
  CHECK(json_double(cells[6].second) == 1.0);
  SweepCells plain;
  flatten_json(parse_json("{\"a\": [10, 20]}"), "", plain);
  REQUIRE(plain.size() == 2);
  CHECK(plain[1].first == "a.1");
}

TEST_CASE("merging points sorts them by index and refuses missing, repeated or foreign points", "[sweep]") {
  const std::string sc = write_file("sweep-merge.toml", kSmall);
  const SweepSpec s = small_spec(sc);
  std::vector<std::string> names;
  std::vector<std::string> texts = fake_points(s, names);
  // Any order gives the same table.
  std::vector<std::string> rt(texts.rbegin(), texts.rend()), rn(names.rbegin(), names.rend());
  const SweepTable a = merge_sweep_points(texts, names), b = merge_sweep_points(rt, rn);
  CHECK(format_sweep_csv(a) == format_sweep_csv(b));
  REQUIRE(a.rows == 12);
  REQUIRE(a.column("point"));
  CHECK(a.column("point")->type == SweepColumn::Type::kInt);
  CHECK(a.column("point")->num[11] == 11);
  CHECK(a.column("crew.size")->type == SweepColumn::Type::kInt);
  CHECK(a.column("pipeline.tweet.cooldown_policy")->text[2] == "drop");
  CHECK(a.column("matching.precision")->num[3] == Approx(0.53));
  CHECK(std::isnan(a.column("stage_latency.ingest.p99_s")->num[0]));
  CHECK(a.column("report.scenario") == nullptr);
  CHECK(a.axis_keys == std::vector<std::string>{"crew.size", "pipeline.tweet.cooldown_policy"});

  auto without = [&](std::size_t k) {
    std::vector<std::string> t = texts, n = names;
    t.erase(t.begin() + static_cast<long>(k));
    n.erase(n.begin() + static_cast<long>(k));
    return std::make_pair(t, n);
  };
  const auto [t7, n7] = without(7);
  CHECK_THROWS_WITH(merge_sweep_points(t7, n7), Catch::Contains("missing: 7"));
  std::vector<std::string> dup = texts, dupn = names;
  dup.push_back(texts[4]);
  dupn.push_back("again.json");
  CHECK_THROWS_WITH(merge_sweep_points(dup, dupn), Catch::Contains("point 4"));
  SweepSpec other = s;
  other.seeds = {5, 7};
  std::vector<std::string> mixed = texts;
  mixed[3] = format_sweep_point(other, "[scenario]\nname = \"x\"\n", sweep_point(other, 3), parse_json(fake_report(0.1, "t", true)));
  CHECK_THROWS_WITH(merge_sweep_points(mixed, names), Catch::Contains("p3.json") && Catch::Contains("another sweep"));
  CHECK_THROWS_WITH(merge_sweep_points(std::vector<std::string>{"{\"a\": 1}"}, {"z.json"}), Catch::Contains("z.json") &&
                                                                       Catch::Contains("not a sweep point"));
}

TEST_CASE("a sweep table round-trips through CSV and HDF5 (read back with h5py)", "[sweep]") {
  const std::string sc = write_file("sweep-rt.toml", kSmall);
  const SweepSpec s = small_spec(sc);
  std::vector<std::string> names;
  const SweepTable t = merge_sweep_points(fake_points(s, names), names);
  const std::string csv = tmp_path("rt.csv"), h5 = tmp_path("rt.h5");
  write_sweep_table(t, csv);
  write_sweep_table(t, h5);
  CHECK_FALSE(exists(csv + ".tmp"));
  CHECK_FALSE(exists(h5 + ".tmp"));
  CHECK(slurp(csv) == format_sweep_csv(t));
  const std::string cmd = "/usr/bin/python3 " + std::string(PEEBOT_SOURCE_DIR) + "/tests/check_sweep.py " + h5 + " " +
                          csv + " --expect 'note:1=a, \"quoted\" text' --expect matching.precision:2=0.52" +
                          " --expect targets.event_to_tweet_p95.met:3=1 --expect stage_latency.ingest.p99_s:0=" +
                          " --expect pipeline.tweet.cooldown_policy:2=drop";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  // And the check itself fails on a wrong expectation.
  REQUIRE(std::system((cmd + " --expect crew.size:0=3 > /dev/null 2>&1").c_str()) != 0);
}

TEST_CASE("the sweep chart is self-contained HTML or SVG with one line per value of the second key", "[sweep]") {
  const std::string sc = write_file("sweep-chart.toml", kSmall);
  const SweepSpec s = small_spec(sc);
  std::vector<std::string> names;
  const SweepTable t = merge_sweep_points(fake_points(s, names), names);
  const std::string html = sweep_chart(t, "matching.precision", true);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  std::size_t lines = 0;
  for (std::size_t p = html.find("<polyline"); p != std::string::npos; p = html.find("<polyline", p + 1)) ++lines;
  CHECK(lines == 2);  // cooldown_policy = delay, drop
  CHECK(html.find("pipeline.tweet.cooldown_policy = drop") != std::string::npos);
  // Point (crew.size=3, drop) pools seeds 5 and 6: rows 6 and 7, precision 0.56 and 0.57.
  CHECK(html.find("0.565 (0.56 &ndash; 0.57, n=2)") != std::string::npos);
  const std::string svg = sweep_chart(t, "matching.precision", false);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK_THROWS_WITH(sweep_chart(t, "note", false), Catch::Contains("not a numeric column"));
  CHECK_THROWS_WITH(sweep_chart(t, "nope", false), Catch::Contains("matching.precision"));
}

TEST_CASE("sweep results are the same bytes whatever --jobs", "[sweep][cli]") {
  const std::string sc = write_file("sweep-jobs.toml", kSmall);
  const std::string args = "sweep " + sc + " --vary crew.size=2,4 --seeds 1..2 ";
  const auto one = run_peebot(args + "--jobs 1 -o " + tmp_path("j1.csv") + " -o " + tmp_path("j1.h5") + " --chart " +
                              tmp_path("j1.html") + " --figure matching.recall");
  INFO(one.out);
  REQUIRE(one.code == 0);
  const auto two = run_peebot(args + "--jobs 2 -o " + tmp_path("j2.csv") + " -o " + tmp_path("j2.h5"));
  INFO(two.out);
  REQUIRE(two.code == 0);
  const std::string csv = slurp(tmp_path("j1.csv"));
  CHECK(csv == slurp(tmp_path("j2.csv")));
  CHECK(slurp(tmp_path("j1.h5")) == slurp(tmp_path("j2.h5")));
  // 4 rows in grid order, every input and the report's figures.
  std::istringstream in(csv);
  std::string header, line;
  std::getline(in, header);
  CHECK(header.rfind("point,crew.size,seed,", 0) == 0);
  CHECK(header.find("matching.precision") != std::string::npos);
  CHECK(header.find("stage_latency.ingest_to_persisted.p99_s") != std::string::npos);
  CHECK(header.find("targets.event_to_tweet_p95.met") != std::string::npos);
  std::vector<std::string> rows;
  while (std::getline(in, line)) rows.push_back(line.substr(0, line.find(',', line.find(',', line.find(',') + 1) + 1)));
  CHECK(rows == std::vector<std::string>{"0,2,1", "1,2,2", "2,4,1", "3,4,2"});
  CHECK(slurp(tmp_path("j1.html")).find("<svg") != std::string::npos);
  const std::string cmd = "/usr/bin/python3 " + std::string(PEEBOT_SOURCE_DIR) + "/tests/check_sweep.py " +
                          tmp_path("j1.h5") + " " + tmp_path("j1.csv") + " --expect crew.size:2=4";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("the --point runs of every --list entry merged with --merge equal a one-shot sweep", "[sweep][cli]") {
  const std::string sc = write_file("sweep-point.toml", kSmall);
  const std::string grid = sc + " --vary pipeline.tweet.cooldown=1min,30min --seeds 3,4";
  const auto oneshot = run_peebot("sweep " + grid + " --jobs 2 -o " + tmp_path("one.csv") + " -o " + tmp_path("one.h5"));
  INFO(oneshot.out);
  REQUIRE(oneshot.code == 0);
  const auto list = run_peebot("sweep " + grid + " --list");
  REQUIRE(list.code == 0);
  std::istringstream in(list.out);
  std::string line;
  std::size_t n = 0;
  const std::string dir = tmp_path("points");
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  while (std::getline(in, line)) {
    REQUIRE(line.rfind(std::to_string(n) + "\t", 0) == 0);
    const auto p = run_peebot("sweep " + grid + " --point " + std::to_string(n) + " -o " + dir + "/" +
                              std::to_string(n) + ".json");
    INFO(p.out);
    REQUIRE(p.code == 0);
    ++n;
  }
  REQUIRE(n == 4);
  CHECK(list.out.find("pipeline.tweet.cooldown=30min seed=4") != std::string::npos);
  const auto merged = run_peebot("sweep --merge " + dir + " -o " + tmp_path("merged.csv") + " -o " + tmp_path("merged.h5"));
  INFO(merged.out);
  REQUIRE(merged.code == 0);
  CHECK(slurp(tmp_path("merged.csv")) == slurp(tmp_path("one.csv")));
  CHECK(slurp(tmp_path("merged.h5")) == slurp(tmp_path("one.h5")));
  // A missing point is named.
  std::remove((dir + "/2.json").c_str());
  const auto gap = run_peebot("sweep --merge " + dir + " -o " + tmp_path("gap.csv"));
  CHECK(gap.code == 2);
  CHECK(gap.out.find("missing: 2") != std::string::npos);
}
