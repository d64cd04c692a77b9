// peebot eval: pooling, figures, the baseline gate, and the step detector on
// small synthetic sequences of the suite's hard cases. (The matching rule
// itself, early/late/duplicate/missed/close voids, is tested in
// test_report.cpp: eval scores with the report's match_detections.)
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "cli_support.hpp"
#include "sim/eval/eval.hpp"
#include "sim/importer/importer.hpp"
#include "sim/report/json.hpp"
#include "sim/pipeline/detector.hpp"

using namespace peebot;

namespace {

// Feeds tank samples (ISS time) and a clock tick every second that is `lag`
// seconds ahead of ISS time (the ground clock runs ahead by the path latency).
// Feeds samples to a detector and keeps what it emits, stamped with the
// feed second `t` at which it came out (the test's clock).
struct DetectorRun {
  std::unique_ptr<Detector> d;
  std::vector<Detection> out, got;
  explicit DetectorRun(const DetectorParams& p) : d(make_detector(p)) {}
  void sample(const Sample& s, double t) {
    out.clear();
    d->on_sample(s, out);
    for (auto& x : out) { x.emitted_s = t; got.push_back(x); }
  }
  std::vector<Detection> finish(double until) {
    out.clear();
    d->finish(out);
    for (auto& x : out) { x.emitted_s = until; got.push_back(x); }
    return std::move(got);
  }
};

std::vector<Detection> feed(const DetectorParams& p, const std::vector<std::pair<double, double>>& tank, double until,
                            double lag = 0.0) {
  DetectorRun r(p);
  std::size_t i = 0;
  for (double t = 0; t <= until; t += 1.0) {
    for (; i < tank.size() && tank[i].first <= t; ++i) r.sample(Sample{tank[i].first, tank[i].second, kUrineTank, kStatusAos}, t);
    r.sample(Sample{t + lag, 0.0, kSignal, kStatusAos}, t);
  }
  return r.finish(until);
}

// A void: the level climbs from `from` by `by` % in 1 % steps over `dur` seconds from t0.
void add_rise(std::vector<std::pair<double, double>>& s, double t0, double from, int by, double dur) {
  for (int k = 1; k <= by; ++k) s.push_back({t0 + dur * k / by, from + k});
}

std::vector<std::pair<double, double>> flat(double level, double until, double every = 60) {
  std::vector<std::pair<double, double>> s;
  for (double t = 0; t < until; t += every) s.push_back({t, level});
  return s;
}

}  // namespace

TEST_CASE("eval pools runs by adding counts and concatenating latency samples", "[eval]") {
  EvalSample a, b;
  a.tp = 9; a.fp = 1; a.fn = 0; a.false_alarms = 1; a.days = 1; a.latency_s = {10, 20};
  b.tp = 1; b.fp = 0; b.fn = 2; b.days = 1; b.latency_s = {30};
  a.add(b);
  const EvalFigures f = eval_figures(a);
  REQUIRE(f.tp == 10);
  REQUIRE(f.precision == Approx(10.0 / 11));
  REQUIRE(f.recall == Approx(10.0 / 12));
  REQUIRE(f.false_alarms_per_day == Approx(0.5));
  REQUIRE(f.latency_p50_s == Approx(20));
  REQUIRE(f.latency_max_s == Approx(30));
}

TEST_CASE("an eval sample survives its text hand-over bit for bit", "[eval]") {
  EvalSample s;
  s.tp = 3; s.fp = 1; s.fn = 2; s.duplicates = 1; s.bulk_as_urination = 1; s.days = 1.0 / 3;
  s.latency_s = {0.1, 1e-9, NAN};
  s.post_latency_s = {12.345678901234567};
  s.latency_visible_s = {0.1};
  s.los_hidden_voids = 2;
  s.voids_by_class = {1, 0, 0, 0, 0, 0, 4};
  s.misses_by_class = {1, 0, 0, 0, 0, 0, 0};
  const EvalSample r = parse_eval_sample(format_eval_sample(s));
  REQUIRE(r.latency_visible_s == s.latency_visible_s);
  REQUIRE(r.post_latency_visible_s.empty());
  REQUIRE(r.los_hidden_voids == 2);
  REQUIRE(r.voids_by_class == s.voids_by_class);
  REQUIRE(r.misses_by_class == s.misses_by_class);
  REQUIRE(r.tp == 3);
  REQUIRE(r.duplicates == 1);
  REQUIRE(r.bulk_as_urination == 1);
  REQUIRE(r.days == s.days);
  REQUIRE(r.latency_s.size() == 3);
  REQUIRE(r.latency_s[1] == 1e-9);
  REQUIRE(std::isnan(r.latency_s[2]));
  REQUIRE(r.post_latency_s[0] == s.post_latency_s[0]);
  REQUIRE_THROWS(parse_eval_sample("garbage"));
}

TEST_CASE("eval leaves voids whose onset is inside LOS out of the visible latency and classes misses by why", "[eval]") {
  Trace t;
  t.meta.has_truth = true;
  auto use = [&](double onset, double end) {
    VoidEvent v;
    v.onset_s = onset; v.end_s = end; v.urine_ml = 250; v.flush_ml = 120;
    t.voids.push_back(v);
  };
  use(100, 140);    // in clear sight, +4 %: detected 30 s after onset
  use(1000, 1040);  // onset inside the LOS window 990..1500: detected at AOS, 530 s after onset
  use(3000, 3040);  // +0.5 % net (the UPA drains meanwhile): missed
  use(5000, 5040);  // in clear sight, +4 %: missed
  t.los.push_back({990, 1500});
  // The true level: flat 30 %, +4 % over each of the first two uses, +0.5 % net over the third, +4 % over the fourth.
  for (auto [x, lvl] : std::vector<std::pair<double, double>>{
           {0, 30}, {100, 30}, {140, 34}, {1000, 34}, {1040, 38}, {3000, 38}, {3040, 38.5}, {5000, 38.5}, {5040, 42.5}})
    t.tank.push_back({x, lvl * 82, lvl});
  for (auto [onset, emitted] : std::vector<std::pair<double, double>>{{100, 130}, {1000, 1530}}) {
    Detection d;
    d.id = t.detections.size() + 1;
    d.onset_s = onset; d.emitted_s = emitted; d.size_pct = 4;
    t.detections.push_back(d);
  }
  const Report r = compute_report(t, ReportParams{});
  const EvalSample s = parse_eval_sample(format_eval_sample(eval_sample(r, 1.0, &t)));
  REQUIRE(s.latency_s.size() == 2);
  REQUIRE(s.latency_visible_s == std::vector<double>{30.0});
  REQUIRE(s.los_hidden_voids == 1);
  const auto n = [](const std::vector<std::size_t>& v, VoidClass c) { return v.at(static_cast<std::size_t>(c)); };
  REQUIRE(n(s.voids_by_class, VoidClass::kLos) == 1);
  REQUIRE(n(s.voids_by_class, VoidClass::kUnderQuantum) == 1);
  REQUIRE(n(s.voids_by_class, VoidClass::kClear) == 2);
  REQUIRE(n(s.misses_by_class, VoidClass::kUnderQuantum) == 1);
  REQUIRE(n(s.misses_by_class, VoidClass::kClear) == 1);
  REQUIRE(n(s.misses_by_class, VoidClass::kLos) == 0);
  const EvalFigures f = eval_figures(s);
  REQUIRE(f.latency_p95_s > 400);
  REQUIRE(f.latency_p95_visible_s == Approx(30));
  REQUIRE(f.recall == Approx(0.5));
  REQUIRE(f.recall_visible == Approx(0.5));  // of the two visible uses, one was found
  const EvalResult res = make_eval_result("step", {EvalRun{"x", 1, s}, EvalRun{"x", 2, s}});
  const std::string json = format_eval_json(res);
  REQUIRE(json.find("\"latency_p95_visible_s\": 30") != std::string::npos);
  REQUIRE(json.find("\"net_rise_under_1pct\": 2") != std::string::npos);
  REQUIRE(compare_with_baseline(res, json, "b.json").empty());
}

namespace {

// A run of 20 uses: `missed` of them missed, `fa` false alarms, latencies around 40 s (+ shift).
EvalSample run_of(std::size_t missed, std::size_t fa, double shift = 0) {
  EvalSample s;
  s.tp = 20 - missed;
  s.fn = missed;
  s.fp = fa;
  s.false_alarms = fa;
  s.days = 1;
  for (std::size_t k = 0; k < s.tp; ++k) s.latency_s.push_back(30 + static_cast<double>((k * 7) % 20) + shift);
  s.post_latency_s = s.latency_s;
  return s;
}

bool names(const std::vector<std::string>& lines, const std::string& figure) {
  for (const auto& l : lines)
    if (l.rfind(figure + ":", 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("the baseline gate (paired on seeds) passes the same runs, ignores noise, fails a real regression by name", "[eval]") {
  std::vector<EvalRun> base_runs;
  for (long seed = 1; seed <= 6; ++seed) {
    base_runs.push_back(EvalRun{"nominal", seed, run_of(seed % 3 == 0 ? 1 : 0, 0)});
    base_runs.push_back(EvalRun{"flicker", seed, run_of(1, seed % 2)});
  }
  const EvalResult base = make_eval_result("step", base_runs);
  const std::string json = format_eval_json(base);
  const Json pooled = parse_json(json).at("pooled");
  REQUIRE(pooled.at("post_latency_p95_s").contains("value"));
  bool any_interval = false;
  for (const auto& [name, f] : pooled.items()) any_interval = any_interval || (f.is_object() && f.contains("ci95") && f.at("ci95").is_array());
  REQUIRE(any_interval);
  REQUIRE(compare_with_baseline(base, json, "b.json").empty());
  // Deterministic: the same runs give the same file.
  REQUIRE(format_eval_json(make_eval_result("step", base_runs)) == json);

  // Within the noise: one seed misses one more use, another one fewer.
  auto noisy_runs = base_runs;
  noisy_runs[0].sample = run_of(1, 0);   // nominal seed 1: one more miss
  noisy_runs[4].sample = run_of(0, 0);   // nominal seed 3: one fewer
  noisy_runs[3].sample = run_of(2, 0);   // flicker seed 2: one more miss
  const auto noisy = compare_with_baseline(make_eval_result("step", noisy_runs), json, "b.json");
  INFO((noisy.empty() ? std::string() : noisy[0]));
  REQUIRE(noisy.empty());

  // A real regression: every seed of both scenarios misses 4 more uses and detects 5 s later.
  auto worse_runs = base_runs;
  for (auto& r : worse_runs) r.sample = run_of(r.sample.fn + 4, r.sample.false_alarms, 5);
  const auto worse = compare_with_baseline(make_eval_result("step", worse_runs), json, "b.json");
  REQUIRE(names(worse, "pooled.recall"));
  REQUIRE(names(worse, "pooled.f1"));
  REQUIRE(names(worse, "nominal.recall"));
  REQUIRE_FALSE(names(worse, "pooled.precision"));
  REQUIRE_FALSE(names(worse, "pooled.false_alarms_per_day"));

  // A baseline scenario missing from the run is refused by name.
  std::vector<EvalRun> only_nominal;
  for (const auto& r : base_runs)
    if (r.scenario == "nominal") only_nominal.push_back(r);
  const auto missing = compare_with_baseline(make_eval_result("step", only_nominal), json, "b.json");
  REQUIRE(missing.size() == 1);
  REQUIRE(missing[0].find("flicker") != std::string::npos);
  REQUIRE(missing[0].find("missing") != std::string::npos);
  // Too few seeds in common for an interval: the tolerance alone decides (the worse runs' recall drop is beyond it).
  std::vector<EvalRun> two = {worse_runs[0], worse_runs[1], worse_runs[2], worse_runs[3]};
  const auto few = compare_with_baseline(make_eval_result("step", two), json, "b.json");
  REQUIRE(names(few, "nominal.recall"));
  REQUIRE(few.front().find("too few for an interval") != std::string::npos);
  // No seed in common, an old baseline without runs, malformed JSON: errors naming the file.
  std::vector<EvalRun> other_seeds = {EvalRun{"nominal", 99, run_of(0, 0)}, EvalRun{"flicker", 99, run_of(0, 0)}};
  REQUIRE_THROWS_WITH(compare_with_baseline(make_eval_result("step", other_seeds), json, "b.json"), Catch::Contains("no seed in common"));
  REQUIRE_THROWS_WITH(compare_with_baseline(base, "{\"pooled\": {}}", "b.json"), Catch::Contains("regenerate"));
  REQUIRE_THROWS_WITH(compare_with_baseline(base, "{\"pooled\": [", "b.json"), Catch::Contains("b.json"));
  REQUIRE_THROWS_WITH(compare_with_baseline(base, "{\"pooled\": {}, \"runs\": [{\"seed\": 1e999}]}", "b.json"),
                      Catch::Contains("b.json") && Catch::Contains("number overflow"));
  REQUIRE_THROWS_WITH(compare_with_baseline(base, "{\"pooled\": {}, \"runs\": [{\"scenario\": \"nominal\", \"seed\": 1.5, "
                                                  "\"sample\": \"\"}]}", "b.json"),
                      Catch::Contains("b.json: runs[0]: expected"));
  REQUIRE_THROWS_WITH(compare_with_baseline(base, std::string(100, '['), "b.json"), Catch::Contains("b.json") && Catch::Contains("nested"));
}

TEST_CASE("step: a urination is emitted before its rise ends, with the size so far", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(30, 1000);
  add_rise(s, 1000, 30, 5, 50);  // +5 % over 50 s
  const auto out = feed(p, s, 1300);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[0].emitted_s - 1000 <= 45);
  REQUIRE(out[0].size_pct >= 2);
}

TEST_CASE("step: heavy flicker (+-1 %, hopping every second) never triggers", "[eval][detector]") {
  DetectorParams p;
  std::vector<std::pair<double, double>> s;
  for (int i = 0; i < 20000; ++i) s.push_back({double(i), 40.0 + ((i * 7919) % 3) - 1});  // 39, 40, 41
  REQUIRE(feed(p, s, 20000).empty());
}

TEST_CASE("step: a one-sample spike of 2 % that falls back emits nothing", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(40, 600);
  s.push_back({600, 42});
  s.push_back({601, 40});
  s.push_back({900, 40});
  REQUIRE(feed(p, s, 1200).empty());
}

TEST_CASE("step: a bulk transfer (1 % every 3 s, +30 %) is a bulk transfer, never a urination", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(20, 500);
  add_rise(s, 500, 20, 30, 90);
  // A pause then a second part of the same transfer: its tail, still bulk.
  add_rise(s, 700, 50, 5, 15);
  const auto out = feed(p, s, 1500);
  REQUIRE(!out.empty());
  for (const auto& d : out) REQUIRE(d.kind == DetectionKind::kBulkTransfer);
}

TEST_CASE("step: two uses a minute apart are told apart", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(30, 1000);
  add_rise(s, 1000, 30, 4, 30);
  add_rise(s, 1090, 34, 4, 30);
  const auto out = feed(p, s, 1500);
  REQUIRE(out.size() == 2);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[1].kind == DetectionKind::kUrination);
}

TEST_CASE("step: a rise straddling an LOS gap is found once, its onset window spanning the gap", "[eval][detector]") {
  DetectorParams p;
  std::vector<std::pair<double, double>> s{{0, 30}, {100, 30}, {1300, 34}};
  const auto out = feed(p, s, 1700);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].onset_lo_s == Approx(100));
  REQUIRE(out[0].onset_s == Approx(1300));
}

TEST_CASE("step: a slow drain with flicker at each step never triggers", "[eval][detector]") {
  DetectorParams p;
  std::vector<std::pair<double, double>> s;
  for (int i = 0; i < 30; ++i) {
    s.push_back({i * 270.0, 45.0 - i});
    s.push_back({i * 270.0 + 2, 46.0 - i});
    s.push_back({i * 270.0 + 5, 45.0 - i});
  }
  REQUIRE(feed(p, s, 30 * 270).empty());
}

TEST_CASE("step: a ground clock 25 s ahead of ISS time (path latency, skew) does not split a use", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(30, 1000);
  add_rise(s, 1000, 30, 6, 60);  // a step every 10 s
  REQUIRE(feed(p, s, 1400, 25.0).size() == 1);
}

TEST_CASE("step: the tank at 100 % (spilling) shows no rise and emits nothing", "[eval][detector]") {
  DetectorParams p;
  REQUIRE(feed(p, flat(100, 5000, 10), 5000).empty());
}

TEST_CASE("step: a second use starting 15 s after an early-emitted one ends is a use of its own", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(30, 1000);
  add_rise(s, 1000, 30, 5, 30);  // emitted early, at confirmation
  add_rise(s, 1045, 35, 4, 30);  // the next crew member, a toilet turnaround later
  s.push_back({1400, 39});
  const auto out = feed(p, s, 1600);
  REQUIRE(out.size() == 2);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[1].kind == DetectionKind::kUrination);
  REQUIRE(out[1].onset_s >= 1045);
  REQUIRE(out[1].emitted_s - 1045 <= 60);
}

TEST_CASE("step: a bulk transfer into a nearly full tank that stops at 100 % is a bulk transfer and not an early urination", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(86, 1000, 10);
  add_rise(s, 1000, 86, 14, 42);  // 1 % every 3 s (20 %/min) until the tank is full
  for (int k = 0; k < 40; ++k) s.push_back({1045.0 + 2 * k, k % 2 ? 100.0 : 99.0});  // full: 99/100 flicker
  const auto out = feed(p, s, 1400);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kBulkTransfer);
  REQUIRE(out[0].size_pct >= 10);
}

TEST_CASE("step: a slow use whose level stalls on a flicker high across the early emission is one detection", "[eval][detector]") {
  DetectorParams p;
  auto s = flat(40, 1000, 10);
  // 41, 42 (trigger), then 41/42 flicker with no new high for 22 s (emitted
  // early at 1028), then the same use goes on to 44 and settles with flicker.
  for (auto [t, v] : std::vector<std::pair<double, double>>{{1000, 41}, {1008, 42}, {1017, 41}, {1018, 42}, {1021, 41},
                                                            {1023, 42}, {1030, 43}, {1035, 44}}) s.push_back({t, v});
  for (int k = 0; k < 60; ++k) s.push_back({1040.0 + 3 * k, k % 3 ? 44.0 : 43.0});
  const auto out = feed(p, s, 1500);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[0].emitted_s - 1000 <= 40);
}

TEST_CASE("step: without a feed clock, other ISS items' samples move its time on", "[eval][detector]") {
  DetectorParams p;
  DetectorRun r(p);
  auto tank = flat(30, 1000);
  add_rise(tank, 1000, 30, 4, 20);
  std::size_t i = 0;
  for (double t = 0; t <= 1200; t += 5) {  // a water tank sample every 5 s, no TIME_000001
    for (; i < tank.size() && tank[i].first <= t; ++i) r.sample(Sample{tank[i].first, tank[i].second, kUrineTank, kStatusAos}, t);
    r.sample(Sample{t, 50.0, kWasteWater, kStatusAos}, t);
  }
  const std::vector<Detection>& got = r.got;  // what came out while fed (no finish())
  REQUIRE(got.size() == 1);
  REQUIRE(got[0].emitted_s - 1000 <= 60);
}

// A feed with holes: every second the clock (status LOS inside `los`, nothing
// at all inside `partition`), a water-tank sample every 10 s (the ISS
// heartbeat; nothing in LOS or the partition) and the tank samples given.
struct Window { double from, to; };
std::vector<Detection> feed_holes(const DetectorParams& p, const std::vector<std::pair<double, double>>& tank,
                                  double until, Window los, Window partition) {
  DetectorRun r(p);
  std::size_t i = 0;
  auto in = [](const Window& w, double t) { return t >= w.from && t < w.to; };
  for (double t = 0; t <= until; t += 1.0) {
    const bool cut = in(partition, t), dark = in(los, t);
    for (; i < tank.size() && tank[i].first <= t; ++i) {
      REQUIRE_FALSE((cut || dark));  // the test's tank samples lie outside the holes
      r.sample(Sample{tank[i].first, tank[i].second, kUrineTank, kStatusAos}, t);
    }
    if (cut) continue;
    if (!dark && static_cast<long>(t) % 10 == 0) r.sample(Sample{t, 30.0 + t * 1e-4, kWasteWater, kStatusAos}, t);
    r.sample(Sample{t, 0.0, kSignal, dark ? kStatusLos : kStatusAos}, t);
  }
  return r.finish(until);
}

std::vector<Detection> urinations(const std::vector<Detection>& v) {
  std::vector<Detection> u;
  for (const auto& d : v)
    if (d.kind == DetectionKind::kUrination) u.push_back(d);
  return u;
}

TEST_CASE("step: a rise across a partition is a use with the hole as its onset interval, and the use after it is detected", "[eval][detector][hole]") {
  DetectorParams p;
  // 40 % until a 10-minute partition at 1000 s; a use (+5) inside it. The
  // server does not resend the level: it shows at its next change, the first
  // step of the next use (46 at 1800), which climbs on to 50.
  auto s = flat(40, 1000);
  add_rise(s, 1795, 45, 5, 25);  // 46 at 1800 ... 50 at 1820
  const auto out = feed_holes(p, s, 2400, {-1, -1}, {1000, 1600});
  const auto u = urinations(out);
  REQUIRE(out.size() == 2);  // no bulk transfer: the old detector called the 10 % from 40 one
  REQUIRE(u.size() == 2);
  // The use inside the hole: onset somewhere in [the feed last heard, its level seen].
  REQUIRE(u[0].onset_lo_s == Approx(999));
  REQUIRE(u[0].onset_s == Approx(1800));
  REQUIRE(u[0].size_pct == Approx(6));
  REQUIRE(u[0].emitted_s == Approx(1800));
  // The use after the hole: over the level at its first step, detected as any use.
  REQUIRE(u[1].onset_s == Approx(1805));
  REQUIRE(u[1].onset_lo_s == Approx(1805));  // no hole before it: a point onset
  REQUIRE(u[1].emitted_s <= 1830);  // early (confirm after its trigger at 48 %), as a use in clear sight
}

TEST_CASE("step: a level higher at AOS is a use during the LOS, and a use in progress at AOS is the same event", "[eval][detector][hole]") {
  DetectorParams p;
  // LOS 1000-1600 s; at AOS the level (snapshot) is 44, then it climbs to 46
  // (the use began inside the LOS and is still pouring).
  auto s = flat(40, 1000);
  s.push_back({1600, 44});
  s.push_back({1605, 45});
  s.push_back({1611, 46});
  auto out = feed_holes(p, s, 2200, {1000, 1600}, {-1, -1});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[0].onset_lo_s == Approx(999));
  REQUIRE(out[0].onset_s == Approx(1600));
  REQUIRE(out[0].emitted_s <= 1621);  // at confirm, not at the end of a fast rise
}

TEST_CASE("step: a bulk-sized rise across a hole, or one still rising at a bulk's pace after it, stays a bulk transfer", "[eval][detector][hole]") {
  DetectorParams p;
  SECTION("size: +22 % across a partition") {
    auto s = flat(20, 1000);
    s.push_back({1700, 42});
    const auto out = feed_holes(p, s, 2400, {-1, -1}, {1000, 1600});
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].kind == DetectionKind::kBulkTransfer);
  }
  SECTION("rate: +6 % at AOS, then 1 % every 3 s for 10 % more") {
    auto s = flat(20, 1000);
    s.push_back({1600, 26});
    add_rise(s, 1600, 26, 10, 30);
    const auto out = feed_holes(p, s, 2400, {1000, 1600}, {-1, -1});
    REQUIRE(!out.empty());
    for (const auto& d : out) REQUIRE(d.kind == DetectionKind::kBulkTransfer);
  }
}

TEST_CASE("step: a bulk transfer cut by LOS 22 s after its onset is not emitted early as a urination", "[eval][detector][hole]") {
  DetectorParams p;
  // bulk-transfers seed 15: +4 % in 15 s (1 % every ~4 s), then LOS; the
  // transfer goes on inside it (the level is 48 % at AOS).
  auto s = flat(20, 1000);
  add_rise(s, 1000, 20, 4, 15);
  s.push_back({1500, 48});
  const auto out = feed_holes(p, s, 2400, {1022, 1500}, {-1, -1});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kBulkTransfer);
  REQUIRE(out[0].size_pct == Approx(28));
  REQUIRE(out[0].onset_s == Approx(1003.75));
}

TEST_CASE("step: a partition with the level unchanged explains nothing and the next use is found as usual", "[eval][detector][hole]") {
  DetectorParams p;
  auto s = flat(40, 1000);
  add_rise(s, 1900, 40, 5, 30);
  const auto out = feed_holes(p, s, 2500, {-1, -1}, {1000, 1600});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[0].onset_s == Approx(1906));
}

TEST_CASE("rule: +-1 % flicker outside the guard is called a use (why it is the baseline to beat)", "[eval][detector]") {
  DetectorParams p;
  p.kind = "rule";
  std::vector<std::pair<double, double>> s{{0, 40}, {100, 41}, {200, 40}, {300, 41}};
  REQUIRE(!feed(p, s, 600).empty());
  p.kind = "step";
  REQUIRE(feed(p, s, 600).empty());
}

namespace {
// An ISS-Mimic recording made up here: the tank flat at 30 %, a use at +600 s
// (30 -> 35, 1 % every 5 s), a rise of 3 % at +3000 s, a water tank sample
// every 10 s; imported into a trace.
std::string labelled_trace() {
  const double h0 = 6846.0;  // 2018-10-12 06:00:00 UTC
  std::string tank, water;
  char line[64];
  auto row = [&](std::string& to, double t, double v) {
    std::snprintf(line, sizeof line, "%.8f %g\n", h0 + t / 3600.0, v);
    to += line;
  };
  row(tank, 0, 30);
  for (int k = 1; k <= 5; ++k) row(tank, 600 + 5 * k, 30 + k);
  for (int k = 1; k <= 3; ++k) row(tank, 3000 + 5 * k, 35 + k);
  for (double t = 0; t <= 4000; t += 10) row(water, t, 50 + std::fmod(t, 20) / 10);
  const ImportResult r = import_texts({{"NODE3000005.txt", tank}, {"NODE3000008.txt", water}}, ImportOptions{});
  const std::string path = test::tmp_path("labels.h5");
  write_import(r, path);
  return path;
}

std::string labels_file(const std::string& second_kind) {
  const std::string path = test::tmp_path("labels.toml");
  std::ofstream(path) << "[[label]]\nonset = \"2018-10-12T06:10:05Z\"\nkind = \"urination\"\n"
                         "[[label]]\nonset = \"2018-10-12T06:50:05Z\"\nkind = \"" << second_kind << "\"\n";
  return path;
}
}  // namespace

TEST_CASE("labels: a detection of an uncertain rise is set aside, of a not-a-use rise a false alarm", "[eval][labels]") {
  const std::string trace = labelled_trace();
  DetectorParams p;
  LabelCounts lc;
  const EvalSample unsure = eval_labelled(labels_file("uncertain"), trace, p, &lc);
  REQUIRE(lc.urination == 1);
  REQUIRE(lc.uncertain == 1);
  REQUIRE(lc.set_aside == 1);
  REQUIRE(unsure.tp == 1);
  REQUIRE(unsure.fp == 0);
  REQUIRE(unsure.fn == 0);
  const EvalSample no = eval_labelled(labels_file("not-a-use"), trace, p, &lc);
  REQUIRE(lc.set_aside == 0);
  REQUIRE(no.tp == 1);
  REQUIRE(no.fp == 1);
  REQUIRE_THROWS_WITH(eval_labelled(labels_file("maybe"), trace, p), Catch::Contains("label 2"));
  std::remove(trace.c_str());
}

TEST_CASE("labels: the hand-labelled iss-mimic-2018 recording, step beats rule on F1", "[eval][labels][real]") {
  const std::string rec = test::shared_data_path() + "/iss-mimic-2018/";
  if (!std::ifstream(rec + "NODE3000005.txt")) {
    test::skip_test("the real recordings are absent (no " + rec + "NODE3000005.txt; set PEEBOT_SHARED_DATA)");
    return;
  }
  std::vector<std::string> files;
  for (const char* n : {"NODE3000004.txt", "NODE3000005.txt", "NODE3000008.txt", "NODE3000009.txt"}) files.push_back(rec + n);
  const std::string trace = "/tmp/peebot-test-mimic-" + std::to_string(::getpid()) + ".h5";
  write_import(import_files(files, ImportOptions{}), trace);
  const std::string labels = std::string(PEEBOT_SOURCE_DIR) + "/data/labels/iss-mimic-2018.toml";
  DetectorParams step, rule;
  rule.kind = "rule";
  const EvalFigures fs = eval_figures(eval_labelled(labels, trace, step));
  const EvalFigures fr = eval_figures(eval_labelled(labels, trace, rule));
  std::remove(trace.c_str());
  INFO("step F1 " << fs.f1 << " (P " << fs.precision << ", R " << fs.recall << "), rule F1 " << fr.f1 << " (P "
                  << fr.precision << ", R " << fr.recall << ")");
  REQUIRE(fs.f1 > fr.f1);
  REQUIRE(fs.bulk_as_urination <= fr.bulk_as_urination);
}

#ifdef PEEBOT_BINARY
namespace {
int run_sh(const std::string& cmd, std::string& out) {
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  out.clear();
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  const int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
}  // namespace

TEST_CASE("the eval gate fails when the detector is deliberately weakened, naming the figures", "[eval][cli]") {
  const std::string dir = "/tmp/peebot-test-eval-" + std::to_string(::getpid());
  std::string out;
  REQUIRE(run_sh("mkdir -p " + dir, out) == 0);
  {
    std::ofstream f(dir + "/tiny.toml");
    f << "[scenario]\nname = \"tiny\"\nstart = \"2025-01-06T05:00:00Z\"\nduration = \"6h\"\nseed = 1\n"
         "[crew]\nsize = 5\nupa_share = 1.0\n[background]\nrate = 2\nitems = 10\n";
  }
  const std::string bin = PEEBOT_BINARY;
  const std::string base = bin + " eval " + dir + "/tiny.toml --seeds 1..2";
  REQUIRE(run_sh(base + " --jobs 2 --json " + dir + "/b.json", out) == 0);
  INFO(out);
  REQUIRE(out.find("pooled") != std::string::npos);
  // Same detector, same seeds, one job: identical figures, the gate passes.
  REQUIRE(run_sh(base + " --jobs 1 --json " + dir + "/c.json --baseline " + dir + "/b.json", out) == 0);
  std::string b, c;
  REQUIRE(run_sh("cat " + dir + "/b.json", b) == 0);
  REQUIRE(run_sh("cat " + dir + "/c.json", c) == 0);
  REQUIRE(b == c);
  // Weakened: needs a 6 % rise, so most uses are missed.
  REQUIRE(run_sh(base + " --set pipeline.detector.min_rise_pct=6 --baseline " + dir + "/b.json", out) == 1);
  REQUIRE(out.find("WORSE") != std::string::npos);
  REQUIRE(out.find("pooled.recall") != std::string::npos);
  // Bad input is exit 2, before any run starts (a negative seed, a seed twice).
  REQUIRE(run_sh(base + " --seeds 5..1", out) == 2);
  REQUIRE(run_sh(bin + " eval " + dir + "/tiny.toml --seeds=-1", out) == 2);
  REQUIRE(out.find("--seeds") != std::string::npos);
  REQUIRE(out.find("eval: 1 / ") == std::string::npos);
  REQUIRE(run_sh(bin + " eval " + dir + "/tiny.toml --seeds 1,2,1", out) == 2);
  REQUIRE(out.find("twice") != std::string::npos);
  REQUIRE(run_sh(bin + " sweep " + dir + "/tiny.toml --vary crew.size=3,4 --seeds=-1 -o " + dir + "/s.csv", out) == 2);
  REQUIRE(out.find("--seeds") != std::string::npos);
  // A baseline scenario the run does not have is refused before any run, naming it.
  REQUIRE(run_sh("cp " + dir + "/tiny.toml " + dir + "/other.toml", out) == 0);
  REQUIRE(run_sh(bin + " eval " + dir + "/other.toml --seeds 1..2 --baseline " + dir + "/b.json", out) == 2);
  REQUIRE(out.find("baseline scenario \"tiny\" is not among the scenarios") != std::string::npos);
  REQUIRE(run_sh(bin + " eval " + dir + "/none.toml", out) == 2);
  run_sh("rm -rf " + dir, out);
}
#endif

TEST_CASE("the committed accuracy baseline (CI's gate) reads through the JSON reader: every run of every scenario", "[eval]") {
  const std::string path = std::string(PEEBOT_SOURCE_DIR) + "/data/accuracy-baseline.json";
  const std::vector<EvalRun> runs = parse_eval_baseline(peebot::test::slurp(path), path);
  REQUIRE(runs.size() >= 14);  // at least one seed of each scenario of scenarios/eval
  for (const EvalRun& r : runs) CHECK(!r.scenario.empty());
}
