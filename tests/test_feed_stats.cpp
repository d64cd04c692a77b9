// Feed statistics (sim/analysis/feed_stats) on hand-made series: rise events
// and the flicker guard, bulk transfers, drain steps, flicker episodes, gaps
// and LOS, per-day and hour-of-day counts, and the two-sample KS statistic.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/rng.hpp"
#include "sim/analysis/feed_stats.hpp"

using namespace peebot;
using Pairs = std::vector<std::pair<double, double>>;

namespace {

// Appends a rise from `from` to `to` (+1 every `step_s`) starting at t.
double add_rise(Pairs& s, double t, int from, int to, double step_s) {
  for (int v = from + 1; v <= to; ++v) { t += step_s; s.push_back({t, v}); }
  return t;
}

}  // namespace

TEST_CASE("KS distance is 0 for equal samples, 1 for disjoint ones, and exact with ties", "[stats]") {
  REQUIRE(ks_two_sample({1, 2, 3}, {3, 2, 1}).d == 0.0);
  REQUIRE(ks_two_sample({1, 2}, {3, 4}).d == 1.0);
  const KsResult r = ks_two_sample({1, 2, 3, 4}, {3, 4, 5, 6});
  REQUIRE(r.d == Approx(0.5));  // at x in [2, 3): F1 = 0.5, F2 = 0
  REQUIRE(r.n1 == 4);
  REQUIRE(r.n2 == 4);
  // Ties across the samples step together: at 1, F1 = 2/3 and F2 = 1/3; at 2 both are 1.
  REQUIRE(ks_two_sample({1, 1, 2}, {1, 2, 2}).d == Approx(1.0 / 3.0));
  // Different sizes: {0} vs {0, 1}: at 0, 1 vs 0.5.
  REQUIRE(ks_two_sample({0}, {0, 1}).d == Approx(0.5));
  REQUIRE(std::isnan(ks_two_sample({}, {1}).d));
  REQUIRE(std::isnan(ks_two_sample({}, {1}).p));  // compare --json prints null
  REQUIRE(ks_two_sample({NAN, 1}, {1}).n1 == 1);
}

TEST_CASE("the KS p-value follows Kolmogorov's distribution and rejects 5 % of samples of one law at 0.05", "[stats]") {
  CHECK(kolmogorov_q(0.0) == 1.0);
  CHECK(kolmogorov_q(1.0) == Approx(0.2700).margin(0.0005));
  CHECK(kolmogorov_q(1.36) == Approx(0.0494).margin(0.0005));
  CHECK(kolmogorov_q(1.63) == Approx(0.0098).margin(0.0005));
  CHECK(ks_two_sample({1, 2, 3}, {3, 2, 1}).p == 1.0);
  std::vector<double> lo, hi;
  for (int i = 0; i < 50; ++i) lo.push_back(i), hi.push_back(100 + i);
  CHECK(ks_two_sample(lo, hi).p < 1e-9);
  // Two samples of 61 from one continuous law, 1,000 times: about 5 % have p < 0.05 (binomial sd 0.7 %).
  Rng rng(5, "ks");
  int rejected = 0;
  std::vector<double> a(61), b(61);
  for (int t = 0; t < 1000; ++t) {
    for (auto& x : a) x = rng.normal();
    for (auto& x : b) x = rng.normal();
    rejected += ks_two_sample(a, b).p < 0.05 ? 1 : 0;
  }
  CHECK(rejected >= 30);
  CHECK(rejected <= 75);
}

TEST_CASE("a rise event starts with a rise outside the flicker guard and ends after rise_end without a rise",
          "[stats]") {
  Pairs s = {{0, 20}};
  double t = add_rise(s, 600, 20, 25, 4);  // +5 % over 20 s from t = 604
  s.push_back({t + 300, 25});
  // A decrease, then a rise 30 s later: inside the 60 s guard, no event.
  s.push_back({2000, 24});
  s.push_back({2030, 25});
  s.push_back({2034, 26});
  s.push_back({2038, 27});
  // The same after 61 s: an event of +2.
  s.push_back({3000, 26});
  s.push_back({3061, 27});
  s.push_back({3065, 28});
  const auto ev = extract_rise_events(rows_of(s), {});
  REQUIRE(ev.size() == 2);
  REQUIRE(ev[0].onset_s == 604);
  REQUIRE(ev[0].end_s == 620);
  REQUIRE(ev[0].size_pct() == 5);
  REQUIRE(ev[0].rises == 5);
  REQUIRE_FALSE(ev[0].bulk);
  REQUIRE(ev[1].onset_s == 3061);
  REQUIRE(ev[1].start_pct == 26);
  REQUIRE(ev[1].size_pct() == 2);
}

TEST_CASE("rises 21 s apart are two events, and a +1 event is below min_rise_pct", "[stats]") {
  Pairs s = {{0, 10}, {100, 11}, {104, 12}, {125, 13}, {500, 14}};
  const auto ev = extract_rise_events(rows_of(s), {});
  // 100..104 is +2 (event), 125 is 21 s after the last rise: a new event of +1 (dropped), 500 likewise.
  REQUIRE(ev.size() == 1);
  REQUIRE(ev[0].size_pct() == 2);
  FeedStatsParams p;
  p.min_rise_pct = 1;
  REQUIRE(extract_rise_events(rows_of(s), {}, p).size() == 3);
}

TEST_CASE("a fast rise of 15 % or more is a bulk transfer, kept out of rise sizes and rises per day", "[stats]") {
  Pairs s = {{0, 13}};
  double t = add_rise(s, 1000, 13, 71, 3);  // the issp-2023-09 07:15 transfer: +58 % at 1 % / 3 s
  t = add_rise(s, t + 3000, 71, 75, 5);      // a urination: +4 %
  s.push_back({86400, 75});
  const FeedStats st = compute_feed_stats(rows_of(s), {}, {}, 0.0);
  REQUIRE(st.rise_events.size() == 2);
  REQUIRE(st.rise_events[0].bulk);
  REQUIRE(st.rise_events[0].size_pct() == 58);
  REQUIRE(st.bulk_transfers == 1);
  REQUIRE(st.rise_size_pct.values == std::vector<double>{4});
  REQUIRE(st.rises_per_day.values == std::vector<double>{1});
  // The same +58 % spread over an hour is not a bulk transfer (too slow).
  Pairs slow = {{0, 13}};
  add_rise(slow, 1000, 13, 71, 15);
  const auto ev = extract_rise_events(rows_of(slow), {});
  REQUIRE(ev.size() == 1);
  REQUIRE_FALSE(ev[0].bulk);
}

TEST_CASE("drain steps are new lows while the UPA is NORMAL, and flicker at each boundary does not add steps",
          "[stats]") {
  // 60 % draining 1 % every 270 s, each new level flickering back once 5 s later.
  Pairs s = {{0, 60}};
  for (int k = 1; k <= 10; ++k) {
    const double t = 270.0 * k;
    s.push_back({t, 60 - k});
    s.push_back({t + 5, 61 - k});
    s.push_back({t + 9, 60 - k});
  }
  const FeedStats st = compute_feed_stats(rows_of(s), {}, {}, 0.0);
  REQUIRE(st.drain_step_s.count() == 9);
  for (double d : st.drain_step_s.values) REQUIRE(d == 270);
  // Each counted step's UTC hour of day (steps 2..10, at 270 k s), shifted by the epoch.
  REQUIRE(st.drain_step_hour.count() == 9);
  REQUIRE(st.drain_step_hour.values.front() == Approx(540.0 / 3600));
  const FeedStats late = compute_feed_stats(rows_of(s), {}, {}, 23.5 * 3600);  // epoch at 23:30 UTC
  REQUIRE(late.drain_step_hour.values.front() == Approx(23.5 + 540.0 / 3600));
  REQUIRE(late.drain_step_hour.values.back() == Approx(2700.0 / 3600 - 0.5));  // past midnight: 00:15
  REQUIRE(st.flicker_episodes == 10);  // one -1/+1/-1 episode per boundary
  REQUIRE(st.rise_events.empty());     // +1 flickers are not rise events

  // UPA in STANDBY (32) for the first half: steps there do not count.
  const auto upa = rows_of({{0, 32}, {270.0 * 5 + 100, 16}});
  const FeedStats half = compute_feed_stats(rows_of(s), upa, {}, 0.0);
  REQUIRE(half.drain_step_s.count() == 4);  // steps 6..10 while NORMAL: 4 intervals
}

TEST_CASE("drain-step intervals do not span a rise event or exceed drain_max_interval", "[stats]") {
  Pairs s = {{0, 40}, {300, 39}, {600, 38}};
  double t = add_rise(s, 700, 38, 43, 4);  // urination to 43
  s.push_back({t + 300, 42});                // first new low after the event: no interval yet
  s.push_back({t + 600, 41});                // 300 s
  s.push_back({t + 600 + 4000, 40});         // too long after: not an interval
  const FeedStats st = compute_feed_stats(rows_of(s), {}, {}, 0.0);
  REQUIRE(st.drain_step_s.values == std::vector<double>{300, 300});
}

TEST_CASE("flicker episodes are runs of +-1 reversals within the window, counted per covered hour", "[stats]") {
  Pairs s = {{0, 30}};
  s.push_back({100, 31});
  s.push_back({103, 30});
  s.push_back({105, 31});  // one episode (three changes)
  s.push_back({200, 30});  // 95 s later: not a reversal within 60 s
  s.push_back({4000, 31});
  s.push_back({4010, 30});  // a second episode, in hour 1
  s.push_back({7200, 30});
  const FeedStats st = compute_feed_stats(rows_of(s), {}, {}, 0.0);
  REQUIRE(st.flicker_episodes == 2);
  REQUIRE(st.covered_hours == 2);
  REQUIRE(st.flicker_per_hour.values == std::vector<double>{1, 1});
}

TEST_CASE("LOS windows come from TIME_000001 status, and gaps and inter-update times respect them", "[stats]") {
  std::vector<TelemetryRow> sig = rows_of({{1000, 0}, {1500, 0}, {1600, 0}, {5000, 0}, {5100, 0}});
  sig[0].status = 0;  // LOS 1000..1500
  sig[1].status = 24;
  sig[3].status = 0;  // LOS 5000..5100
  const auto los = los_windows_of(sig);
  REQUIRE(los.size() == 2);
  REQUIRE(los[0].start_s == 1000);
  REQUIRE(los[0].end_s == 1500);
  REQUIRE(los[1].start_s == 5000);
  REQUIRE(los[1].end_s == 5100);

  const auto tank = rows_of({{900, 10}, {1600, 11}, {1700, 10}, {4000, 11}});
  const FeedStats st = compute_feed_stats(tank, {}, {los[0]}, 0.0);
  // 900 -> 1600 spans the LOS window, 1700 -> 4000 is longer than gap_s: not inter-update times.
  REQUIRE(st.inter_update_s.values == std::vector<double>{100});
  // Gaps: the LOS window (500 s) and the silent 1700 -> 4000 (> 600 s).
  REQUIRE(st.gap_s.values == std::vector<double>{500, 2300});
  // A rise across the LOS window is not a rise event.
  FeedStatsParams p;
  p.min_rise_pct = 1;
  const auto tank2 = rows_of({{900, 10}, {1600, 12}});
  REQUIRE(extract_rise_events(tank2, {los[0]}, p).empty());
  REQUIRE(extract_rise_events(tank2, {}, p).size() == 1);
}

TEST_CASE("rises per covered UTC day and the hour-of-day profile use the trace epoch", "[stats]") {
  const double epoch = 1736121600.0;  // 2025-01-06T00:00:00Z
  Pairs s = {{0, 10}};
  add_rise(s, 8 * 3600.0, 10, 13, 4);             // day 0, 08:00
  add_rise(s, 20 * 3600.0, 13, 16, 4);            // day 0, 20:00
  add_rise(s, 86400 + 8.5 * 3600.0, 16, 19, 4);   // day 1, 08:30
  s.push_back({3 * 86400.0, 19});                  // day 2: nothing
  const FeedStats st = compute_feed_stats(rows_of(s), {}, {}, epoch);
  REQUIRE(st.covered_days == 3);
  REQUIRE(st.rises_per_day.values == std::vector<double>{2, 1, 0});
  REQUIRE(st.hour_profile[8] == 2);
  REQUIRE(st.hour_profile[20] == 1);
  REQUIRE(st.rise_onset_hour.values[0] == Approx(8.0 + 4.0 / 3600));
  // The epoch shifts the hours: an epoch at 02:00 UTC moves every onset 2 h later.
  const FeedStats shifted = compute_feed_stats(rows_of(s), {}, {}, epoch + 7200);
  REQUIRE(shifted.hour_profile[10] == 2);
  REQUIRE(shifted.hour_profile[22] == 1);
  // A long gap over day 2 leaves it uncovered.
  const FeedStats gapped = compute_feed_stats(rows_of(s), {}, {{2 * 86400.0 + 100, 2 * 86400.0 + 100 + 4 * 3600}}, epoch);
  REQUIRE(gapped.covered_days == 2);
}

TEST_CASE("two clearly different feeds are far apart by KS and a feed is at distance 0 from itself", "[stats]") {
  // A: rises of +3 % at 3 s steps every 2 h; B: rises of +8 % at 6 s steps every 30 min.
  Pairs a = {{0, 10}}, b = {{0, 10}};
  int va = 10, vb = 10;
  for (double t = 1000; t < 86400 * 2; t += 7200) {
    add_rise(a, t, va, va + 3, 3);
    va = va + 3 > 90 ? 10 : va + 3;
    a.push_back({t + 3600, va});
  }
  for (double t = 1000; t < 86400 * 2; t += 1800) {
    add_rise(b, t, vb, vb + 8, 6);
    vb = vb + 8 > 90 ? 10 : vb + 8;
    b.push_back({t + 900, vb});
  }
  const FeedStats sa = compute_feed_stats(rows_of(a), {}, {}, 0.0);
  const FeedStats sb = compute_feed_stats(rows_of(b), {}, {}, 0.0);
  for (const auto& nd : compared_distributions()) {
    const auto& d = sa.*(nd.member);
    if (d.count()) REQUIRE(ks_two_sample(d.values, d.values).d == 0.0);
  }
  REQUIRE(ks_two_sample(sa.rise_size_pct.values, sb.rise_size_pct.values).d == 1.0);
  REQUIRE(ks_two_sample(sa.rises_per_day.values, sb.rises_per_day.values).d == 1.0);
  REQUIRE(sa.rises_per_day.p50() == 12);
  REQUIRE(sb.rises_per_day.p50() == 48);
}

TEST_CASE("a trace's observed span is [0, duration] when simulated and first..last row when imported", "[stats]") {
  Trace t;
  t.meta.epoch_unix_s = 0;
  t.meta.duration_s = 2 * 86400;
  Pairs s = {{30, 10}};
  add_rise(s, 8 * 3600.0, 10, 13, 4);
  s.push_back({2 * 86400 - 30.0, 13});
  t.telemetry[kUrineTank] = rows_of(s);
  t.meta.mode = "sim";
  const FeedStats sim = compute_feed_stats(t);
  REQUIRE(sim.covered_days == 2);
  REQUIRE(sim.rises_per_day.values == std::vector<double>{1, 0});
  t.meta.mode = "import";  // the first and last rows are 30 s inside the days: neither is covered
  REQUIRE(compute_feed_stats(t).covered_days == 0);
  t.telemetry[kCleanWater] = rows_of({{0, 50}, {2 * 86400.0, 51}});  // any item counts
  REQUIRE(compute_feed_stats(t).covered_days == 2);
}

TEST_CASE("feed statistics read times at 1-s resolution, as a logger stamps them", "[stats]") {
  // Arrival times jittered around whole seconds (a simulation's network), as a
  // 1-s logger would stamp them: 100, 101, 102, 104, 105.
  const Pairs s = {{100.0002, 40}, {100.9998 + 0.0003, 41}, {102.4, 40}, {104.9, 41}, {105.01, 40}};
  const FeedStats st = compute_feed_stats(rows_of(s), {}, {}, 0.0);
  REQUIRE(st.inter_update_s.values == std::vector<double>{1, 1, 2, 1});
  FeedStatsParams exact;
  exact.time_resolution_s = 0;
  const FeedStats ex = compute_feed_stats(rows_of(s), {}, {}, 0.0, exact);
  REQUIRE(ex.inter_update_s.count() == 4);
  REQUIRE(ex.inter_update_s.values[0] == Approx(0.9999).margin(1e-9));
  REQUIRE(ex.inter_update_s.values[2] == Approx(2.5).margin(1e-9));
}

TEST_CASE("without the UPA state every new low is a drain step (use_upa_state off)", "[stats]") {
  Pairs s = {{0, 60}};
  for (int k = 1; k <= 10; ++k) s.push_back({270.0 * k, 60 - k});
  const auto upa = rows_of({{0, 32}, {270.0 * 5 + 100, 16}});
  REQUIRE(compute_feed_stats(rows_of(s), upa, {}, 0.0).drain_step_s.count() == 4);
  FeedStatsParams p;
  p.use_upa_state = false;
  const FeedStats all = compute_feed_stats(rows_of(s), upa, {}, 0.0, p);
  REQUIRE(all.drain_step_s.count() == 9);
}

TEST_CASE("a range keeps the rows inside it, clips LOS windows and cuts the observed span, and halves split at a midnight",
          "[stats][range]") {
  // Four simulated days, a rise at 08:00 each day, a 6-h LOS window across
  // the second midnight, tank updates every 10 min (flat level otherwise).
  Trace t;
  t.meta.mode = "sim";
  t.meta.epoch_unix_s = 1736121600.0;  // 2025-01-06T00:00:00Z
  t.meta.duration_s = 4 * 86400;
  Pairs s;
  int v = 10;
  for (int d = 0; d < 4; ++d) {
    for (double x = d * 86400.0 + 60; x < (d + 1) * 86400.0; x += 600) s.push_back({x, v + (static_cast<int>(x / 600) % 2)});
    Pairs rise;
    add_rise(rise, d * 86400.0 + 8 * 3600.0 + 5, v + 1, v + 4, 4);
    s.insert(s.end(), rise.begin(), rise.end());
  }
  std::sort(s.begin(), s.end());
  t.telemetry[kUrineTank] = rows_of(s);
  t.telemetry[kSignal] = rows_of({{2 * 86400.0 - 3 * 3600, 0}, {2 * 86400.0 + 3 * 3600, 0}});
  t.telemetry[kSignal][0].status = 0;
  // Halves: the tank series runs 00:01 day 0 .. ~23:51 day 3; its middle is near the second midnight.
  const TimeRange first = resolve_range("first-half", t), second = resolve_range("second-half", t);
  REQUIRE(first.to_unix_s == t.meta.epoch_unix_s + 2 * 86400);
  REQUIRE(second.from_unix_s == first.to_unix_s);
  REQUIRE(first.from_unix_s < -1e299);
  REQUIRE(second.to_unix_s > 1e299);
  const FeedStats all = compute_feed_stats(t), a = compute_feed_stats(t, {}, &first),
                  b = compute_feed_stats(t, {}, &second);
  REQUIRE(a.tank_updates + b.tank_updates == all.tank_updates);
  REQUIRE(a.rise_events.size() == 2);
  REQUIRE(b.rise_events.size() == 2);
  // The LOS window is cut at the split: 3 h on each side, each half observes 2 days minus 3 h.
  REQUIRE(a.observed_days == Approx(2.0 - 3.0 / 24));
  REQUIRE(b.observed_days == Approx(2.0 - 3.0 / 24));
  REQUIRE(all.observed_days == Approx(4.0 - 6.0 / 24));
  // Covered days: the 3-h LOS touches day 1 (first half) and day 2 (second half).
  REQUIRE(a.covered_days == 1);
  REQUIRE(b.covered_days == 1);
  REQUIRE(b.tank_updates_per_day() == Approx(static_cast<double>(b.tank_updates) / b.observed_days));
  // An explicit range in ISO 8601 UTC; an open end; bad forms name what was expected.
  const TimeRange r = resolve_range("2025-01-07T00:00:00Z..2025-01-08T00:00:00Z", t);
  REQUIRE(compute_feed_stats(t, {}, &r).rise_events.size() == 1);
  REQUIRE(resolve_range("2025-01-07T00:00:00Z..", t).to_unix_s > 1e299);
  REQUIRE_THROWS_WITH(resolve_range("middle", t), Catch::Contains("expected first-half, second-half"));
  REQUIRE_THROWS_WITH(resolve_range("2025-01-08T00:00:00Z..2025-01-07T00:00:00Z", t),
                      Catch::Contains("START before END"));
  Trace tiny = t;
  tiny.telemetry[kUrineTank] = rows_of({{60, 10}, {3600, 11}});
  REQUIRE_THROWS_WITH(resolve_range("first-half", tiny), Catch::Contains("less than a day"));
}
