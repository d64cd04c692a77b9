// The world models: crew plan, urine plant, sensor, LOS, ISS time.
#include <catch2/catch.hpp>

#include <cmath>

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
