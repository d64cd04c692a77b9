#include "world.hpp"

#include <cmath>

namespace peebot {

World::World(const WorldParams& p, double epoch_unix_s, double horizon_s, std::uint64_t seed)
    : p_(p),
      crew_rng_(seed, "crew"),
      sensor_rng_(seed, "sensor"),
      los_rng_(seed, "los"),
      crew_(plan_crew(p.crew, epoch_unix_s, horizon_s, crew_rng_)),
      los_(plan_los(p.los, horizon_s, los_rng_)),
      plant_(p.tank, p.upa, crew_.voids),
      sensor_(p.sensor, sensor_rng_) {}

void World::advance(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) {
  const auto& states = plant_.truth().upa_states;
  auto emit_states = [&]() {
    for (; upa_emitted_ < states.size(); ++upa_emitted_) {
      Update u;
      u.t_emit_s = states[upa_emitted_].t_s;
      u.value = states[upa_emitted_].state;
      u.seq = next_seq++;
      u.item = kUpaState;
      out.push_back(u);
    }
  };
  while (next_read_s_ <= t_s) {
    plant_.advance(next_read_s_);
    emit_states();
    const int reading = sensor_.read(plant_.level_pct());
    if (reading != last_reading_) {
      last_reading_ = reading;
      Update u;
      u.t_emit_s = next_read_s_;
      u.value = reading;
      u.seq = next_seq++;
      u.item = kUrineTank;
      out.push_back(u);
    }
    next_read_s_ += p_.sensor.period_s;
  }
  plant_.advance(t_s);
  emit_states();
}

void World::snapshot(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) const {
  Update tank;
  tank.t_emit_s = t_s;
  tank.value = last_reading_ < 0 ? LevelSensor::quantize(plant_.level_pct()) : last_reading_;
  tank.seq = next_seq++;
  tank.item = kUrineTank;
  out.push_back(tank);
  Update upa;
  upa.t_emit_s = t_s;
  upa.value = static_cast<double>(plant_.state());
  upa.seq = next_seq++;
  upa.item = kUpaState;
  out.push_back(upa);
}

void BackgroundLoad::generate(double t0_s, double t1_s, std::vector<Update>& out, std::uint64_t& next_seq) {
  if (p_.rate_per_s <= 0.0 || p_.items <= 0 || t1_s <= t0_s) return;
  const std::uint64_t n = rng_.poisson(p_.rate_per_s * (t1_s - t0_s));
  const double step = (t1_s - t0_s) / static_cast<double>(n ? n : 1);
  for (std::uint64_t i = 0; i < n; ++i) {
    Update u;
    u.t_emit_s = t0_s + (static_cast<double>(i) + rng_.uniform()) * step;
    u.item = static_cast<ItemId>(kFirstBackground + rng_.below(static_cast<std::uint64_t>(p_.items)));
    u.value = std::floor(rng_.uniform(0.0, 1000.0)) / 10.0;
    u.seq = next_seq++;
    out.push_back(u);
  }
}

}  // namespace peebot
