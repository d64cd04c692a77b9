#include "world.hpp"

#include <algorithm>
#include <cmath>

namespace peebot {

namespace {
// Appends one update with the next sequence number.
void push_update(std::vector<Update>& out, std::uint64_t& next_seq, ItemId item, double t_s, double value) {
  Update u;
  u.t_emit_s = t_s;
  u.value = value;
  u.seq = next_seq++;
  u.item = item;
  out.push_back(u);
}
}  // namespace

World::World(const WorldParams& p, double epoch_unix_s, double horizon_s, std::uint64_t seed)
    : p_(p),
      crew_rng_(seed, "crew"),
      sensor_rng_(seed, "sensor"),
      los_rng_(seed, "los"),
      bulk_rng_(seed, "bulk"),
      upa_rng_(seed, "upa"),
      water_rng_(seed, "water"),
      crew_(plan_crew(p.crew, epoch_unix_s, horizon_s, crew_rng_)),
      los_(plan_los(p.los, horizon_s, los_rng_)),
      bulk_(plan_bulk(p.bulk, p.tank.capacity_ml, horizon_s, bulk_rng_)),
      outages_(plan_outages(p.upa, horizon_s, upa_rng_)),
      drain_factors_(plan_drain_factors(p.upa, horizon_s, upa_rng_)),
      dump_rng_(seed, "dump"),
      dumps_(plan_dumps(p.upa, p.tank.capacity_ml, horizon_s, dump_rng_)),
      jitter_rng_(seed, "drain_jitter"),
      drain_jitter_(plan_drain_jitter(p.upa, horizon_s, jitter_rng_)),
      plant_(p.tank, p.upa, crew_.voids, bulk_, outages_, drain_factors_, dumps_, drain_jitter_),
      sensor_(p.sensor, sensor_rng_),
      water_(p.water) {
  // Flicker-heavy and quiet days: one read-noise factor per UTC day, from
  // its own stream, drawn only when asked for (existing scenarios unchanged).
  day0_s_ = std::floor(epoch_unix_s / 86400.0) * 86400.0 - epoch_unix_s;
  if (p.sensor.noise_day_sd > 0) {
    Rng r(seed, "sensor_day");
    const auto days = static_cast<std::size_t>(std::ceil((horizon_s - day0_s_) / 86400.0)) + 1;
    noise_day_.reserve(days);
    for (std::size_t d = 0; d < days; ++d) noise_day_.push_back(r.lognormal_mean_sd(1.0, p.sensor.noise_day_sd));
    sensor_.set_noise_scale(noise_day_[0]);
  }
}

// One water step at t_s: the UPA's throughput since the last step feeds the
// waste water tank; resupplies due in (t - period, t] arrive; changed readings are emitted.
void World::step_water(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) {
  const double dt = p_.water.period_s;
  if (t_s > 0.0) {
    const double drained = plant_.drained_ml();
    water_.step(dt, crew_size_at(p_.crew, t_s), drained - water_drained_ml_);
    water_drained_ml_ = drained;
    const double every = p_.water.resupply_every_s;
    if (every > 0 && std::floor(t_s / every) > std::floor((t_s - dt) / every)) water_.resupply();
  }
  auto emit = [&](ItemId item, double pct, double& last) {
    const double v = WaterSystem::report(pct, p_.water.noise_pct, water_rng_);
    if (v == last) return;
    last = v;
    push_update(out, next_seq, item, t_s, v);
  };
  emit(kWasteWater, water_.waste_pct(), last_waste_);
  emit(kCleanWater, water_.clean_pct(), last_clean_);
}

void World::advance(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) {
  const auto& states = plant_.truth().upa_states;
  auto emit_states = [&]() {
    for (; upa_emitted_ < states.size(); ++upa_emitted_)
      push_update(out, next_seq, kUpaState, states[upa_emitted_].t_s, states[upa_emitted_].state);
  };
  const bool water = p_.water.enabled && p_.water.period_s > 0;
  auto water_until = [&](double t) {
    if (!water) return;
    for (; next_water_s_ <= t; next_water_s_ += p_.water.period_s) {
      plant_.advance(next_water_s_);
      emit_states();
      step_water(next_water_s_, out, next_seq);
    }
  };
  while (next_read_s_ <= t_s) {
    water_until(next_read_s_);
    plant_.advance(next_read_s_);
    emit_states();
    if (!noise_day_.empty()) {
      const auto d = std::min(noise_day_.size() - 1,
                              static_cast<std::size_t>(std::max(0.0, std::floor((next_read_s_ - day0_s_) / 86400.0))));
      if (d != noise_day_at_) sensor_.set_noise_scale(noise_day_[noise_day_at_ = d]);
    }
    const int reading = sensor_.read(plant_.level_pct(), plant_.state() == UpaState::kNormal);
    if (reading != last_reading_) {
      last_reading_ = reading;
      push_update(out, next_seq, kUrineTank, next_read_s_, reading);
    }
    next_read_s_ += p_.sensor.period_s;
  }
  water_until(t_s);
  plant_.advance(t_s);
  emit_states();
}

void World::snapshot(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) const {
  push_update(out, next_seq, kUrineTank, t_s,
              last_reading_ < 0 ? LevelSensor::quantize(plant_.level_pct()) : last_reading_);
  push_update(out, next_seq, kUpaState, t_s, static_cast<double>(plant_.state()));
  if (last_waste_ >= 0.0) {
    push_update(out, next_seq, kWasteWater, t_s, last_waste_);
    push_update(out, next_seq, kCleanWater, t_s, last_clean_);
  }
}

void BackgroundLoad::generate(double t0_s, double t1_s, std::vector<Update>& out, std::uint64_t& next_seq) {
  if (p_.rate_per_s <= 0.0 || p_.items <= 0 || t1_s <= t0_s) return;
  const std::uint64_t n = rng_.poisson(p_.rate_per_s * (t1_s - t0_s));
  const double step = (t1_s - t0_s) / static_cast<double>(n ? n : 1);
  const std::size_t base = out.size();
  out.resize(base + n);
  Update* o = out.data() + base;
  for (std::uint64_t i = 0; i < n; ++i) {
    Update& u = o[i];
    u.t_emit_s = t0_s + (static_cast<double>(i) + rng_.uniform()) * step;
    u.item = static_cast<ItemId>(kFirstBackground + item_of_.of(rng_.next_u64()));  // = rng_.below(items)
    // floor() of a value in [0, 1000): truncation gives the same number without a libm call.
    u.value = static_cast<double>(static_cast<std::int64_t>(rng_.uniform(0.0, 1000.0))) / 10.0;
    u.seq = next_seq++;
    u.status = kStatusAos;
  }
}

}  // namespace peebot
