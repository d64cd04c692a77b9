// The world models: crew plan, urine plant, sensor, LOS, ISS time.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/crew.hpp"
#include "models/iss_time.hpp"
#include "models/los.hpp"
#include "models/plant.hpp"
#include "models/sensor.hpp"
#include "models/world.hpp"

using namespace peebot;

namespace {
constexpr double kDay = 86400.0;
constexpr double kEpoch = 1736121600.0;  // 2025-01-06T00:00:00Z, a GMT midnight

VoidEvent make_void(double onset, double dur, double urine, double flush) {
  VoidEvent v;
  v.onset_s = onset;
  v.end_s = onset + dur;
  v.urine_ml = urine;
  v.flush_ml = flush;
  return v;
}
// Two worlds simulated for a day with one seed emit the same updates.
void require_same_updates(const WorldParams& w1, const WorldParams& w2, std::uint64_t seed) {
  World x(w1, kEpoch, kDay, seed), y(w2, kEpoch, kDay, seed);
  std::vector<Update> ox, oy;
  std::uint64_t sx = 1, sy = 1;
  x.advance(kDay, ox, sx);
  y.advance(kDay, oy, sy);
  REQUIRE(ox.size() == oy.size());
  for (std::size_t i = 0; i < ox.size(); ++i) {
    REQUIRE(ox[i].t_emit_s == oy[i].t_emit_s);
    REQUIRE(ox[i].value == oy[i].value);
  }
}
}  // namespace

TEST_CASE("tank volume equals inflow minus drain minus spill at every step", "[models][plant]") {
  WorldParams w;
  w.crew.size = 7;
  Rng rng(42, "crew");
  const auto plan = plan_crew(w.crew, kEpoch, 3 * kDay, rng);
  UrinePlant plant(w.tank, w.upa, plan.voids);
  for (double t = 0; t <= 3 * kDay; t += 997.0) {
    plant.advance(t);
    const double expect = plant.initial_ml() + plant.inflow_ml() - plant.drained_ml() - plant.spilled_ml();
    REQUIRE(plant.volume_ml() == Approx(expect).margin(1e-6));
    REQUIRE(plant.volume_ml() >= 0.0);
    REQUIRE(plant.volume_ml() <= w.tank.capacity_ml);
  }
  double in = 0;
  for (const auto& v : plan.voids)
    if (v.reaches_tank && v.end_s <= 3 * kDay) in += v.urine_ml + v.flush_ml;
  REQUIRE(plant.inflow_ml() >= in - 1e-6);
}

TEST_CASE("a full tank spills the excess and records a tank-full episode", "[models][plant]") {
  TankParams tank;
  tank.capacity_ml = 1000;
  tank.initial_pct = 90;  // 900 mL
  UpaParams upa;
  upa.start_pct = 99.5;   // stays in STANDBY until nearly full
  upa.stop_pct = 10;
  upa.drain_pct_per_min = 0.0;
  std::vector<VoidEvent> voids{make_void(10, 40, 300, 100)};  // 400 mL at 10 mL/s
  UrinePlant plant(tank, upa, voids);
  plant.advance(100);
  REQUIRE(plant.volume_ml() == Approx(1000.0));
  REQUIRE(plant.spilled_ml() == Approx(300.0).margin(1e-6));
  REQUIRE(plant.truth().tank_full.size() == 1);
  const auto& ep = plant.truth().tank_full.front();
  REQUIRE(ep.start_s == Approx(20.0));  // 100 mL of room at 10 mL/s
  REQUIRE(ep.end_s == Approx(50.0));
  REQUIRE(ep.spilled_ml == Approx(300.0).margin(1e-6));
  REQUIRE(plant.initial_ml() + plant.inflow_ml() - plant.drained_ml() - plant.spilled_ml() == Approx(plant.volume_ml()));
}

TEST_CASE("the UPA starts at the start threshold and drains to the stop threshold", "[models][plant]") {
  TankParams tank;
  tank.capacity_ml = 8200;
  tank.initial_pct = 40;
  UpaParams upa;
  upa.start_pct = 45;
  upa.stop_pct = 12;
  upa.drain_pct_per_min = 0.25;
  std::vector<VoidEvent> voids{make_void(100, 50, 400, 100)};  // +500 mL = +6.1 %
  UrinePlant plant(tank, upa, voids);
  plant.advance(145);
  REQUIRE(plant.state() == UpaState::kNormal);
  const auto& st = plant.truth().upa_states;
  REQUIRE(st.size() == 2);
  // 40 % (3280 mL) + 10 mL/s reaches 45 % (3690 mL) 41 s into the void.
  REQUIRE(st[1].t_s == Approx(141.0));
  // Drain from ~46 % to 12 % at 0.25 %/min takes ~136 min.
  plant.advance(150 + 200 * 60);
  REQUIRE(plant.state() == UpaState::kStandby);
  REQUIRE(plant.level_pct() == Approx(12.0).margin(1e-6));
  REQUIRE(plant.truth().upa_states.back().state == static_cast<int>(UpaState::kStandby));
}

TEST_CASE("the sensor truncates to integer percent and flickers near a boundary", "[models][sensor]") {
  REQUIRE(LevelSensor::quantize(41.999) == 41);
  REQUIRE(LevelSensor::quantize(42.0) == 42);
  REQUIRE(LevelSensor::quantize(-0.3) == 0);
  REQUIRE(LevelSensor::quantize(100.7) == 100);
  SensorParams p;
  p.noise_pct = 0.05;
  p.noise_tau_s = 5;
  Rng rng(7, "sensor");
  LevelSensor s(p, rng);
  int changes_near = 0, changes_far = 0, last_near = -1, last_far = -1;
  for (int i = 0; i < 3600; ++i) {
    const int near = s.read(42.0);  // right on a boundary: flickers 41/42
    const int far = s.read(42.5);   // 10 sd away from either boundary: steady
    if (last_near >= 0 && near != last_near) ++changes_near;
    if (last_far >= 0 && far != last_far) ++changes_far;
    REQUIRE((near == 41 || near == 42));
    last_near = near;
    last_far = far;
  }
  REQUIRE(changes_near > 50);
  REQUIRE(changes_far == 0);
}

TEST_CASE("MERGE publishes a value only when it changes", "[models][sensor]") {
  MergeFilter m;
  REQUIRE(m.changed(12));
  REQUIRE_FALSE(m.changed(12));
  REQUIRE(m.changed(13));
  REQUIRE(m.changed(12));
  REQUIRE_FALSE(m.changed(12));
  m.reset();
  REQUIRE(m.changed(12));
}

TEST_CASE("the world emits tank updates only when the reading changes", "[models][world]") {
  WorldParams w;
  w.los.enabled = false;
  World world(w, kEpoch, kDay, 3);
  std::vector<Update> out;
  std::uint64_t seq = 1;
  world.advance(kDay, out, seq);
  int last = -1;
  std::uint64_t last_seq = 0;
  double last_t = -1;
  int tank_updates = 0;
  for (const auto& u : out) {
    REQUIRE(u.seq > last_seq);
    REQUIRE(u.t_emit_s >= last_t);
    last_seq = u.seq;
    last_t = u.t_emit_s;
    if (u.item != kUrineTank) continue;
    REQUIRE(static_cast<int>(u.value) != last);
    last = static_cast<int>(u.value);
    ++tank_updates;
  }
  REQUIRE(tank_updates > 10);
  REQUIRE(tank_updates < 86400 / 2);  // far fewer than one per sensor read
}

TEST_CASE("crew members never void while asleep and void more right after waking", "[models][crew]") {
  CrewParams p;
  p.size = 6;
  p.upa_share = 1.0;
  p.voids_per_day = 8;
  p.toilet_turnaround_s = 0;
  Rng rng(11, "crew");
  const double horizon = 20 * kDay;
  const auto plan = plan_crew(p, kEpoch, horizon, rng);
  // Rebuild each person's awake intervals from the transitions.
  std::vector<std::vector<std::pair<double, double>>> awake(static_cast<std::size_t>(p.size));
  std::vector<double> since(static_cast<std::size_t>(p.size), -1);
  for (const auto& c : plan.transitions) {
    auto& s = since[static_cast<std::size_t>(c.crew)];
    if (c.awake && s < 0) s = c.t_s;
    if (!c.awake && s >= 0) { awake[static_cast<std::size_t>(c.crew)].push_back({s, c.t_s}); s = -1; }
  }
  for (int i = 0; i < p.size; ++i)
    if (since[static_cast<std::size_t>(i)] >= 0) awake[static_cast<std::size_t>(i)].push_back({since[static_cast<std::size_t>(i)], horizon});
  int first_hour = 0, other_hours = 0;
  double awake_total = 0;
  for (const auto& v : plan.voids) {
    bool inside = false;
    for (const auto& [a, b] : awake[static_cast<std::size_t>(v.crew)]) {
      if (v.onset_s >= a && v.onset_s < b) {
        inside = true;
        (v.onset_s - a < 3600 ? first_hour : other_hours)++;
      }
    }
    REQUIRE(inside);
  }
  for (const auto& per : awake) for (const auto& [a, b] : per) awake_total += b - a;
  const double per_day = plan.voids.size() / (horizon / kDay) / p.size;
  REQUIRE(per_day == Approx(8.0).epsilon(0.1));
  // The first hour has wake_burst_factor (2.5x) the rate of the rest of the ~15.5 h day.
  const double rate_first = first_hour / (p.size * 20.0 * 1.0);
  const double rate_other = other_hours / (awake_total / 3600.0 - p.size * 20.0);
  REQUIRE(rate_first / rate_other == Approx(2.5).epsilon(0.25));
}

TEST_CASE("uses of the UPA toilet never overlap", "[models][crew]") {
  CrewParams p;
  p.size = 11;
  p.upa_share = 1.0;
  p.voids_per_day = 12;
  Rng rng(5, "crew");
  const auto plan = plan_crew(p, kEpoch, 5 * kDay, rng);
  double free_at = -1e9;
  for (const auto& v : plan.voids) {
    REQUIRE(v.onset_s >= free_at);
    free_at = v.end_s + p.toilet_turnaround_s;
  }
}

TEST_CASE("the same seed plans the same crew and LOS, another seed does not", "[models][determinism]") {
  WorldParams w;
  auto voids_of = [&](std::uint64_t seed) {
    Rng r(seed, "crew");
    return plan_crew(w.crew, kEpoch, 2 * kDay, r).voids;
  };
  const auto a = voids_of(9), b = voids_of(9), c = voids_of(10);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i].onset_s == b[i].onset_s);
  REQUIRE((a.size() != c.size() || a.front().onset_s != c.front().onset_s));
}

TEST_CASE("LOS windows are sorted, disjoint and as frequent as configured", "[models][los]") {
  LosParams p;
  p.probability = 0.5;
  p.gap_mean_s = 600;
  p.gap_sd_s = 60;
  p.extra.push_back({1000, 5000});
  Rng rng(1, "los");
  const double horizon = 30 * kDay;
  const auto w = plan_los(p, horizon, rng);
  double total = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    REQUIRE(w[i].end_s > w[i].start_s);
    if (i) REQUIRE(w[i].start_s > w[i - 1].end_s);
    total += w[i].end_s - w[i].start_s;
  }
  const double orbits = horizon / p.orbit_period_s;
  REQUIRE(total / orbits == Approx(0.5 * 600).epsilon(0.15));
  REQUIRE(in_los(w, 3000));
  REQUIRE_FALSE(in_los(w, w.back().end_s + 1));
}

TEST_CASE("ISS TimeStamp counts hours from Dec 31 of the previous year", "[models][time]") {
  // 2025-01-01T00:00:00Z is 24 h after 2024-12-31T00:00:00Z.
  REQUIRE(iss_timestamp_hours(1735689600.0) == Approx(24.0));
  // 2018, hour 6846.85802749998 (an ISS-Mimic recording) -> Oct 12, 06:51:28.9 UTC.
  const double u = unix_from_iss_timestamp(2018, 6846.85802749998);
  REQUIRE(iss_timestamp_hours(u) == Approx(6846.85802749998).epsilon(1e-12));
  REQUIRE(u == Approx(1539302400.0 + 6.85802749998 * 3600).margin(0.01));  // 2018-10-12T00:00Z + 6.858 h
}

TEST_CASE("burst noise is off by default and then draws no random numbers", "[models][sensor][burst]") {
  const SensorParams defaults;
  REQUIRE(defaults.burst_pct == 0.0);
  REQUIRE(UpaParams{}.drain_jitter == 0.0);
  SensorParams p;
  p.burst_tau_s = 30;  // irrelevant while burst_pct is 0
  Rng a(11, "sensor"), b(11, "sensor");
  BurstNoise off(p, a);
  REQUIRE_FALSE(off.enabled());
  for (int i = 0; i < 100; ++i) REQUIRE(off.sample() == 0.0);
  REQUIRE(a.uniform() == b.uniform());  // the stream is where it was
  // A world whose only change is a burst parameter other than burst_pct emits the same updates.
  WorldParams w1, w2;
  w1.los.enabled = w2.los.enabled = false;
  w2.sensor.burst_tau_s = 99;
  w2.upa.drain_jitter_period_s = 17;
  require_same_updates(w1, w2, 5);
}

TEST_CASE("sensor drift is off by default and then draws no random numbers", "[models][sensor][drift]") {
  const SensorParams defaults;
  REQUIRE(defaults.drift_pct == 0.0);
  REQUIRE_FALSE(defaults.drift_processing_only);
  SensorParams p;
  p.drift_tau_s = 45;  // irrelevant while drift_pct is 0
  p.drift_processing_only = true;
  Rng a(12, "sensor"), b(12, "sensor");
  LevelSensor off(p, a), plain(SensorParams{}, b);
  for (int i = 0; i < 1000; ++i) {
    const double level = 40.0 + 0.001 * i;
    REQUIRE(off.read(level, i % 2 == 0) == plain.read(level));
    REQUIRE(off.drift() == 0.0);
  }
  REQUIRE(a.uniform() == b.uniform());  // both streams are at the same place
  // A world whose only change is a drift parameter other than drift_pct emits the same updates.
  WorldParams w1, w2;
  w1.los.enabled = w2.los.enabled = false;
  w2.sensor.drift_tau_s = 999;
  w2.sensor.drift_processing_only = true;
  require_same_updates(w1, w2, 6);
}

TEST_CASE("sensor drift is an AR(1) offset with sd drift_pct and correlation time drift_tau", "[models][sensor][drift]") {
  SensorParams p;
  p.noise_pct = 0;  // the reading is floor(level + drift) alone
  p.drift_pct = 0.2;
  p.drift_tau_s = 40;
  Rng rng(4, "sensor");
  LevelSensor s(p, rng);
  const int N = 400000;
  std::vector<double> d(N);
  double sum = 0, sq = 0;
  for (int i = 0; i < N; ++i) {
    const int r = s.read(50.5);
    d[i] = s.drift();
    REQUIRE(r == static_cast<int>(std::floor(50.5 + d[i])));
    sum += d[i];
    sq += d[i] * d[i];
  }
  const double mean = sum / N, sd = std::sqrt(sq / N - mean * mean);
  // 400k reads with a 40-s correlation time: ~5000 independent ones.
  CHECK(std::fabs(mean) < 0.02);
  CHECK(sd == Approx(0.2).epsilon(0.05));
  auto corr = [&](int lag) {
    double c = 0;
    for (int i = 0; i + lag < N; ++i) c += (d[i] - mean) * (d[i + lag] - mean);
    return c / (N - lag) / (sd * sd);
  };
  CHECK(corr(40) == Approx(std::exp(-1.0)).margin(0.05));
  CHECK(corr(200) < 0.05);
}

TEST_CASE("with drift_processing_only the drift moves the reading only while the UPA processes", "[models][sensor][drift]") {
  SensorParams p;
  p.noise_pct = 0;
  p.drift_pct = 0.5;  // large: at 50.5 % it crosses a boundary often
  p.drift_tau_s = 5;
  p.drift_processing_only = true;
  Rng rng(8, "sensor");
  LevelSensor s(p, rng);
  int moved_processing = 0;
  for (int i = 0; i < 20000; ++i) {
    const bool processing = (i / 1000) % 2 == 1;
    const int r = s.read(50.5, processing);
    if (!processing) REQUIRE(r == 50);
    else moved_processing += r != 50 ? 1 : 0;
  }
  CHECK(moved_processing > 1000);  // P(|drift| > 0.5) ~ 0.32 of 10000 processing reads
}

TEST_CASE("burst noise amplitude is exponential with mean 1 and decorrelates over burst_tau", "[models][sensor][burst]") {
  SensorParams p;
  p.burst_pct = 0.02;
  p.burst_tau_s = 50;
  Rng rng(3, "sensor");
  BurstNoise n(p, rng);
  REQUIRE(n.enabled());
  const int N = 400000;
  std::vector<double> g(N);
  double sum = 0, above = 0, noise_sq = 0;
  for (int i = 0; i < N; ++i) {
    const double e = n.sample();
    g[i] = n.amplitude();
    REQUIRE(g[i] >= 0.0);
    sum += g[i];
    above += g[i] > 1.0 ? 1 : 0;
    noise_sq += e * e;
  }
  const double mean = sum / N;
  // 400k samples with a 50-s correlation time: ~4000 independent ones, mean within ~3 %.
  CHECK(mean == Approx(1.0).epsilon(0.08));
  CHECK(above / N == Approx(std::exp(-1.0)).margin(0.03));     // P(g > 1) of Exp(1)
  CHECK(std::sqrt(noise_sq / N) == Approx(0.02 * std::sqrt(2.0)).epsilon(0.15));  // E[g^2] = 2 for Exp(1)
  auto corr = [&](int lag) {
    double c = 0, v = 0;
    for (int i = 0; i + lag < N; ++i) c += (g[i] - mean) * (g[i + lag] - mean);
    for (int i = 0; i < N; ++i) v += (g[i] - mean) * (g[i] - mean);
    return c / v * N / (N - lag);
  };
  CHECK(corr(50) == Approx(std::exp(-1.0)).margin(0.08));
  CHECK(corr(250) < 0.08);
}

TEST_CASE("burst noise flickers at a boundary in episodes and never beyond the next percent", "[models][sensor][burst]") {
  SensorParams p;
  p.noise_pct = 0;
  p.burst_pct = 0.02;
  p.burst_tau_s = 300;
  Rng rng(9, "sensor");
  LevelSensor s(p, rng);
  // 0.01 % below a boundary: readings are 41 or 42; flicker is switched on and off by the slow amplitude.
  int last = -1, changes = 0, quiet_minutes = 0, busy_minutes = 0, in_minute = 0;
  for (int i = 1; i <= 6 * 3600; ++i) {
    const int r = s.read(41.99);
    REQUIRE((r == 41 || r == 42));
    if (last >= 0 && r != last) ++changes, ++in_minute;
    last = r;
    if (i % 60 == 0) {
      (in_minute == 0 ? quiet_minutes : busy_minutes) += 1;
      in_minute = 0;
    }
  }
  CHECK(changes > 100);
  CHECK(quiet_minutes > 20);  // episodes, not a steady rate
  CHECK(busy_minutes > 20);
  // Far from a boundary it does not flicker at all at this scale.
  Rng rng2(9, "sensor");
  LevelSensor far(p, rng2);
  for (int i = 0; i < 3600; ++i) REQUIRE(far.read(42.5) == 42);
}

TEST_CASE("drain jitter varies the drain rate within a processing run and keeps the mass balance", "[models][plant][burst]") {
  TankParams tank;
  tank.initial_pct = 90;
  UpaParams upa;
  upa.start_processing = true;
  upa.stop_pct = 5;
  upa.drain_pct_per_min = 0.2;
  upa.drain_jitter = 0.3;
  upa.drain_jitter_period_s = 60;
  Rng rng(4, "drain_jitter");
  const auto jitter = plan_drain_jitter(upa, kDay, rng);
  REQUIRE(jitter.size() >= static_cast<std::size_t>(kDay / 60));
  for (double f : jitter) REQUIRE(f >= 0.2);
  UrinePlant plant(tank, upa, {}, {}, {}, {}, {}, jitter);
  // One slot at a time: each slot drains at base rate x its own multiplier.
  double prev = plant.volume_ml(), sum = 0, sum_sq = 0;
  const double base = upa.drain_pct_per_min / 100.0 * tank.capacity_ml;  // mL per minute
  int n = 0;
  for (int k = 1; k <= 200; ++k) {
    plant.advance(60.0 * k);
    REQUIRE(plant.state() == UpaState::kNormal);
    const double factor = (prev - plant.volume_ml()) / base;
    REQUIRE(factor == Approx(jitter[static_cast<std::size_t>(k - 1)]).epsilon(1e-9));
    sum += factor, sum_sq += factor * factor, ++n;
    prev = plant.volume_ml();
    REQUIRE(plant.volume_ml() == Approx(plant.initial_ml() + plant.inflow_ml() - plant.drained_ml() - plant.spilled_ml()).margin(1e-6));
  }
  const double mean = sum / n, sd = std::sqrt(sum_sq / n - mean * mean);
  CHECK(mean == Approx(1.0).margin(0.08));
  CHECK(sd == Approx(0.3).margin(0.06));
  // Without jitter the same plant drains at one rate.
  upa.drain_jitter = 0;
  UrinePlant flat(tank, upa, {});
  flat.advance(600);
  CHECK(plant.initial_ml() - flat.volume_ml() == Approx(10 * base).epsilon(1e-9));
}

TEST_CASE("the same seed gives the same feed with burst noise and drain jitter on", "[models][determinism][burst]") {
  WorldParams w;
  w.los.enabled = false;
  w.sensor.noise_pct = 0;
  w.sensor.burst_pct = 0.015;
  w.sensor.burst_fast_tau_s = 20;
  w.upa.drain_jitter = 0.25;
  auto run = [&](std::uint64_t seed) {
    World world(w, kEpoch, 2 * kDay, seed);
    std::vector<Update> out;
    std::uint64_t seq = 1;
    world.advance(2 * kDay, out, seq);
    return out;
  };
  const auto a = run(8), b = run(8), c = run(9);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].t_emit_s == b[i].t_emit_s);
    REQUIRE(a[i].value == b[i].value);
    REQUIRE(a[i].item == b[i].item);
  }
  bool differs = a.size() != c.size();
  for (std::size_t i = 0; !differs && i < a.size(); ++i) differs = a[i].value != c[i].value || a[i].t_emit_s != c[i].t_emit_s;
  CHECK(differs);
}

TEST_CASE("FixedModulo gives a % d exactly, for any 64-bit a and divisor", "[models][rng]") {
  Rng rng(42, "fixed-modulo");
  const std::uint64_t divisors[] = {1, 2, 3, 7, 10, 293, 1000, 1000003, (std::uint64_t{1} << 32) + 15,
                                    (std::uint64_t{1} << 63) + 1, ~std::uint64_t{0} - 1, ~std::uint64_t{0}};
  for (const std::uint64_t d : divisors) {
    const FixedModulo m(d);
    INFO("d = " << d);
    for (const std::uint64_t a : {std::uint64_t{0}, std::uint64_t{1}, d - 1, d, d + 1, 2 * d - 1, ~std::uint64_t{0},
                                  ~std::uint64_t{0} - 1, std::uint64_t{1} << 63})
      REQUIRE(m.of(a) == a % d);
    for (int i = 0; i < 20000; ++i) {
      const std::uint64_t a = rng.next_u64() >> (i % 64);
      REQUIRE(m.of(a) == a % d);
    }
  }
  // The background generator's use: the same items as Rng::below.
  Rng a(7, "background"), b(7, "background");
  const FixedModulo items(293);
  for (int i = 0; i < 10000; ++i) REQUIRE(items.of(a.next_u64()) == b.below(293));
}
