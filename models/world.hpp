// The simulated ISS as a telemetry source: crew plan + urine plant + level
// sensor produce the ISS-side updates (NODE3000005 tank %, NODE3000004 UPA
// state), and the background generator stands for the other ~300 items.
// Pure and deterministic: same parameters and seed, same updates.
#pragma once
#include <cstdint>
#include <vector>

#include "crew.hpp"
#include "los.hpp"
#include "plant.hpp"
#include "records.hpp"
#include "rng.hpp"
#include "sensor.hpp"

namespace peebot {

class World {
 public:
  World(const WorldParams& p, double epoch_unix_s, double horizon_s, std::uint64_t seed);

  // Advances to t_s (monotone) and appends, in time order, the updates the ISS
  // emitted in (previous t, t_s]: tank readings that changed and UPA state changes.
  void advance(double t_s, std::vector<Update>& out, std::uint64_t& next_seq);
  // The current value of every ISS item (a full snapshot, e.g. after LOS).
  void snapshot(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) const;

  const CrewPlan& crew() const { return crew_; }
  const UrinePlant& plant() const { return plant_; }
  const std::vector<LosWindow>& los() const { return los_; }
  int last_reading_pct() const { return last_reading_; }

 private:
  WorldParams p_;
  Rng crew_rng_, sensor_rng_, los_rng_;
  CrewPlan crew_;
  std::vector<LosWindow> los_;
  UrinePlant plant_;
  LevelSensor sensor_;
  double next_read_s_ = 0.0;
  std::size_t upa_emitted_ = 0;  // UPA state changes already emitted
  int last_reading_ = -1;
};

// Background updates of the other feed items: Poisson arrivals at `rate_per_s`
// spread over [t0, t1), items uniform over the background ids.
class BackgroundLoad {
 public:
  BackgroundLoad(const BackgroundParams& p, std::uint64_t seed) : p_(p), rng_(seed, "background") {}
  void generate(double t0_s, double t1_s, std::vector<Update>& out, std::uint64_t& next_seq);

 private:
  BackgroundParams p_;
  Rng rng_;
};

}  // namespace peebot
