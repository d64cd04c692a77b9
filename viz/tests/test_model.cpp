// What the viewer derives from a trace (no display): scoring and event -> tweet
// as the report computes them, import and live traces, stage summaries and the
// rows read for a window, refused traces, and the interactive loop's idle wait.
#include "view_fixtures.hpp"

using namespace peebot;
using namespace peebot::viz;
using namespace peebot::viz::testing;

TEST_CASE("A sim trace loads with hits, false alarms and misses scored like the report", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  const Model m = load_model(p);
  REQUIRE(m.tank.size() == 334);
  REQUIRE(m.detections.size() == 2);
  CHECK(m.det_kind[0] == EventKind::kDetFalseAlarm);
  CHECK(m.det_kind[1] == EventKind::kDetHit);
  CHECK(m.det_void[1] == 0);
  CHECK(m.void_kind[0] == EventKind::kVoid);
  CHECK(m.void_kind[1] == EventKind::kVoidMissed);
  CHECK(m.miss_reason[1].find("small volume") != std::string::npos);
  CHECK(m.match.tp == 1);
  CHECK(m.los.size() == 1);
  REQUIRE(m.crew.size() == 2);
  CHECK(m.crew[0].back().value == 0);
  CHECK(m.hist[4].stats.count == 334);
  // Stage latency over time, by arrival: detector latency of the sample at 3000 s is 10 ms + 3000 mod 7 ms.
  REQUIRE(m.stage_latency[2].size() == 334);
  REQUIRE(m.dashboard_latency.size() == 334);
  double v = 0, st = 0;
  REQUIRE(m.dashboard_latency.value_at(3000, v, st));
  CHECK(v == Approx(0.01 + 0.001 * std::fmod(3000.0, 7)).margin(1e-9));
  CHECK(m.stage_latency[2].value_at(3000, v, st));
  CHECK(v == Approx(std::log10(0.008 + 0.001 * std::fmod(3000.0, 7))).margin(1e-6));
  CHECK(range_stats(m, 2990, 3010).dashboard.count == 1);
  CHECK(m.hist[4].peak > 0);
  CHECK(m.hist[4].target_s == 1.0);
  CHECK(m.hist[6].stats.count == 1);  // event -> tweet: one sent post of a matched detection
  CHECK(m.hist[6].stats.p50_s == Approx(kPostT - 4900));
  // The figures are the report's: the same matching and event -> tweet as `peebot report`.
  const Report report = compute_report(read_trace(p), m.params);
  CHECK(m.match.pairs == report.match.pairs);
  CHECK(m.match.misses == report.match.misses);
  CHECK(m.hist[6].stats.count == report.event_to_tweet.count);
  CHECK(m.hist[6].stats.p95_s == report.event_to_tweet.p95_s);
  CHECK(m.miss_reason[1] == "small volume (350 mL, under the 1% level quantum?)");
  const bool sorted = std::is_sorted(m.events.begin(), m.events.end(), [](const Event& a, const Event& b) { return a.t < b.t; });
  CHECK(sorted);

  const RangeStats all = range_stats(m, 0, 10000);
  CHECK(all.voids == 2);
  CHECK(all.hits == 1);
  CHECK(all.misses == 1);
  CHECK(all.false_alarms == 1);
  CHECK(all.precision == Approx(0.5));
  CHECK(all.recall == Approx(0.5));
  CHECK(all.los_s == Approx(300));
  const RangeStats late = range_stats(m, 4000, 6100);
  CHECK(late.voids == 1);
  CHECK(late.precision == 1.0);
  CHECK(late.recall == 1.0);
  CHECK(late.los_s == Approx(100));
  CHECK(late.tank_min == 40);
  CHECK(late.tank_max == 60);

  const std::string csv = d.file("range.csv");
  export_csv(m, 4950, 5040, csv);
  const std::string text = slurp(csv);
  CHECK(text.rfind("t_s,utc,series,value,detail\n", 0) == 0);
  CHECK(text.find("4980.000000,2025-01-06T01:23:00.000Z,NODE3000005,40,") != std::string::npos);
  CHECK(text.find("5010.000000,2025-01-06T01:23:30.000Z,NODE3000005,60,") != std::string::npos);
  CHECK(text.find("detection hit") != std::string::npos);
  CHECK(text.find("4920.000000") == std::string::npos);  // outside the range
  CHECK_THROWS_WITH(export_csv(m, 0, 1, d.file("no/such/dir.csv")), Catch::Contains("no/such/dir.csv"));
}

TEST_CASE("An import trace without truth opens, with LOS from TIME_000001's status", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("import.h5");
  write_demo(p, false);
  const Model m = load_model(p);
  CHECK_FALSE(m.meta.has_truth);
  CHECK(m.voids.empty());
  REQUIRE(m.los.size() == 1);
  CHECK(m.los[0].t0 == 6000);
  CHECK(m.los[0].t1 == 6300);
  CHECK(m.det_kind[0] == EventKind::kDetUnscored);
  CHECK(m.hist[6].stats.count == 1);  // from the detection's onset without truth
}

// Issue 14: a hand-made trace (one tank t_s of 1e300, a duration of 1e12 s,
// a NaN epoch) took 6 GB and then SIGSEGV, or a raw basic_string::substr error.
// It is refused at open, naming the dataset and row; the viewer exits 2. A
// trace at the bounds opens, with a bounded memory footprint.
TEST_CASE("A trace with an out-of-range time, span or epoch is refused at open with its row named; one at the bounds opens", "[viz-model]") {
  TempDir d;
  const std::string bin = PEEBOT_VIEW_BINARY;
  const auto tweaked = [&](const std::string& name, double t_last, double duration, double epoch) {
    const std::string p = d.file(name);
    TraceMeta m = demo_meta(true);
    m.duration_s = duration;
    m.epoch_unix_s = epoch;
    TraceWriter w(p, m);
    for (int i = 0; i < 4; ++i) {
      TelemetryRow r;
      r.t_s = i == 3 ? t_last : 100.0 * i;
      r.value = 40 + i;
      w.telemetry(kUrineTank, r);
    }
    w.finish();
    return p;
  };
  const double ok_epoch = demo_meta(true).epoch_unix_s;
  struct Bad { const char* name; double t, dur, epoch; const char* says; };
  for (const Bad& b : {Bad{"t1e300.h5", 1e300, 10000, ok_epoch, "/telemetry/NODE3000005 row 3: t_s = 1.0000000000000001e+300"},
                       Bad{"tinf.h5", -HUGE_VAL, 10000, ok_epoch, "/telemetry/NODE3000005 row 3: t_s = -inf"},
                       Bad{"dur.h5", 300, 1e12, ok_epoch, "attribute 'duration_s' = 1000000000000"},
                       Bad{"epoch.h5", 300, 10000, NAN, "attribute 'epoch_unix_s' = nan"}}) {
    INFO(b.name);
    const std::string p = tweaked(b.name, b.t, b.dur, b.epoch);
    std::string msg;
    try {
      (void)load_model(p);
    } catch (const TraceError& e) {
      msg = e.what();
    }
    CHECK(msg.find(b.says) != std::string::npos);
    const std::string err = d.file("err.txt");
    // Under a 2 GB address-space limit (not with ASan, which reserves more): the old viewer grew to 6 GB first.
    CHECK(run(std::string(kMemoryLimit) + bin + " " + p + " --frames 1 2> " + err) == 2);
    CHECK(slurp(err).find(b.says) != std::string::npos);
  }
  // At the bounds: 10 years either side of an epoch in year 9999.
  const std::string edge = tweaked("edge.h5", kTraceMaxSpanS, kTraceMaxSpanS, kTraceMaxEpochUnixS - kTraceMaxSpanS);
  const Model m = load_model(edge);
  CHECK(m.t_end == kTraceMaxSpanS);
  CHECK(m.tank.size() == 4);
}

TEST_CASE("Stage summaries stored by the writer give every stage's latencies at open, close to the rows' figures", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("summary.h5");
  write_summary_trace(p);
  const StageSummary sum = TraceReader(p).stage_summary();
  REQUIRE(sum.present);
  CHECK(sum.bucket_s == kStageBucketS);
  const Model fast = load_model(p, false);  // what the viewer opens with
  const Model exact = load_model(p, true);  // every row read
  REQUIRE(fast.latency_ready);
  CHECK_FALSE(fast.latency_exact);
  CHECK(exact.latency_exact);
  for (int k = 0; k < 6; ++k) {
    INFO(kLatencyNames[k]);
    const LatencyStats& a = fast.hist[k].stats;
    const LatencyStats& b = exact.hist[k].stats;
    CHECK(a.count == b.count);
    CHECK(a.p50_s == Approx(b.p50_s).epsilon(0.047));
    CHECK(a.p95_s == Approx(b.p95_s).epsilon(0.047));
    CHECK(a.p99_s == Approx(b.p99_s).epsilon(0.047));
    CHECK(a.max_s == Approx(b.max_s).epsilon(1e-12));
    CHECK(a.mean_s == Approx(b.mean_s).epsilon(1e-9));
    CHECK(fast.hist[k].peak > 0);
  }
  // The series: each 60 s bucket's min and max, as a scan of the exact series finds them.
  for (int k = 0; k < kStageSeries; ++k) {
    const Series& s = fast.stage_latency[k];
    REQUIRE(s.size() == 2 * static_cast<std::size_t>(std::ceil(20000 / kStageBucketS)));
    for (std::size_t i = 0; i < s.size(); i += 2 * 37) {
      const double t = s.t()[i];
      const Series& e = exact.stage_latency[k];
      double mn = 0, mx = 0;
      REQUIRE(e.range_minmax(e.lower(t), e.lower(t + kStageBucketS), mn, mx));
      CHECK(s.v()[i] == Approx(mn).margin(1e-6));
      CHECK(s.v()[i + 1] == Approx(mx).margin(1e-6));
    }
  }
  // Range statistics read only the range's rows, and agree with the full read.
  const LatencyStats r = range_dashboard_from_rows(*fast.reader, 3000, 4500);
  const LatencyStats re = range_stats(exact, 3000, 4500).dashboard;
  CHECK(r.count == re.count);
  CHECK(r.count > 2000);
  CHECK(r.p50_s == re.p50_s);
  CHECK(r.p99_s == re.p99_s);
}

TEST_CASE("When zoomed in the latency chart's rows are read for the window only and equal the full read", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("summary.h5");
  write_summary_trace(p);
  const StageSummary sum = TraceReader(p).stage_summary();
  REQUIRE(sum.present);
  const Model exact = load_model(p, true);
  const double a = 7000, b = 7900;
  const StageRowsView v = stage_rows_view(*exact.reader, a, b);
  CHECK(v.t0 == a);
  CHECK(v.t1 == b);
  // Lazy: only the rows the window's buckets point to (about 1/20 of the run).
  CHECK(v.rows > 0);
  CHECK(v.rows < sum.stage_rows / 10);
  const Series& e0 = exact.stage_latency[0];
  const std::size_t i0 = e0.lower(a), i1 = e0.lower(std::nextafter(b, 1e300));
  REQUIRE(v.lat[0].size() == i1 - i0);
  REQUIRE(v.lat[0].size() > 1000);
  for (int k = 0; k < kStageSeries; ++k) {
    INFO("stage " << k);
    const Series& e = exact.stage_latency[k];
    for (std::size_t i = 0; i < v.lat[k].size(); i += 17) {
      CHECK(v.lat[k].t()[i] == e.t()[i0 + i]);
      if (std::isnan(e.v()[i0 + i])) CHECK(std::isnan(v.lat[k].v()[i]));
      else CHECK(v.lat[k].v()[i] == Approx(e.v()[i0 + i]).margin(1e-6));  // the exact series holds floats
    }
  }
  // What the viewer counts before deciding to read: the delivered updates of the overlapping buckets.
  const std::uint64_t n = summary_updates_in(sum, a, b);
  CHECK(n >= v.lat[0].size());
  CHECK(n <= v.lat[0].size() + 2 * 90);
  CHECK(summary_updates_in(sum, a, b, 100) <= 100 + 90);  // stops counting past the limit
}

TEST_CASE("The interactive loop waits for input when idle and polls while reading or live but never waits while playing", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  App app(load_model(p));
  REQUIRE_FALSE(app.latency_loading());
  app.view.playing = true;
  CHECK(app.idle_wait() == 0.0);
  CHECK(app.idle_wait() == 0.0);
  app.view.playing = false;
  // One more frame after an event, then wait for the next one.
  CHECK(app.idle_wait() == 0.0);
  CHECK(app.idle_wait() == HUGE_VAL);
  CHECK(app.idle_wait() == 0.0);
  CHECK(app.idle_wait() == HUGE_VAL);
  // A trace still being written: look again within a second.
  TraceMeta meta = demo_meta(false);
  meta.mode = "live";
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(d.file("live.h5"), meta, o);
  w.telemetry(kUrineTank, TelemetryRow{0, 0, 0, 40, 1, 24});
  w.flush();
  App live(load_model(d.file("live.h5.tmp")));
  CHECK(live.idle_wait() == 0.5);
  CHECK(live.idle_wait() == 0.5);
  w.finish();
}

TEST_CASE("A trace whose writer has not finished has no stage summaries yet and the viewer reads the rows", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("unfinished.h5");
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(p, demo_meta(true), o);
  for (int i = 0; i < 500; ++i) {
    StageTimes st;
    st.seq = static_cast<std::uint64_t>(i);
    st.t_emit_s = i - 1.0;
    st.t_received_s = i;
    st.t_ingested_s = st.t_detected_s = st.t_stored_s = i + 0.01;
    w.stage(st);
  }
  w.flush();
  CHECK_FALSE(TraceReader(p + ".tmp").stage_summary().present);
  const Model m = load_model(p + ".tmp", false);
  CHECK_FALSE(m.latency_ready);
  App app(load_model(p + ".tmp", false));  // falls back to the background read
  app.wait_latency();
  CHECK(app.model().latency_exact);
  CHECK(app.model().hist[0].stats.count == 500);
  w.finish();
  CHECK(TraceReader(p).stage_summary().present);
  CHECK(TraceReader(p).stage_summary().stage_rows == 500);
}

TEST_CASE("A live SWMR trace opens while written and shows new rows on reload", "[viz-model]") {
  TempDir d;
  const std::string p = d.file("live.h5");
  TraceMeta meta = demo_meta(false);
  meta.mode = "live";
  meta.duration_s = 0;  // grows with the data
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(p, meta, o);
  for (int i = 0; i < 100; ++i) w.telemetry(kUrineTank, TelemetryRow{i * 10.0, i * 10.0, 0, 40.0 + i % 3, static_cast<std::uint64_t>(i), 24});
  w.flush();
  const Model a = load_model(p + ".tmp");
  CHECK(a.tank.size() == 100);
  for (int i = 100; i < 250; ++i) w.telemetry(kUrineTank, TelemetryRow{i * 10.0, i * 10.0, 0, 41, static_cast<std::uint64_t>(i), 24});
  w.flush();
  App app(load_model(p + ".tmp"));
  CHECK(app.model().tank.size() == 250);
  // The viewer's live tail: poll_live re-reads when the tables grew, and keeps the window at the end.
  app.view.set_window(2000, 2490);
  for (int i = 250; i < 400; ++i) w.telemetry(kUrineTank, TelemetryRow{i * 10.0, i * 10.0, 0, 42, static_cast<std::uint64_t>(i), 24});
  w.flush();
  app.poll_live(1000.0);
  CHECK(app.model().tank.size() == 400);
  CHECK(app.view.t1 >= 3990 - 1e-6);
  app.poll_live(1000.5);  // at most once a second
  w.finish();
  // Finished: the .tmp is renamed; the tail follows the final file.
  app.poll_live(1002.0);
  CHECK(app.model().path == p);
  CHECK(app.model().tank.size() == 400);
}

// ============================================================= under Xvfb
