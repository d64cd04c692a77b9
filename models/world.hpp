// The simulated ISS as a telemetry source: crew plan + urine plant (with bulk
// transfers and UPA outages) + level sensor produce the ISS-side updates
// (NODE3000005 tank %, NODE3000004 UPA state), the water system produces
// NODE3000008/09 every water.period, and the background generator stands for
// the other ~300 items.
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
#include "water.hpp"

namespace peebot {

class World {
 public:
  World(const WorldParams& p, double epoch_unix_s, double horizon_s, std::uint64_t seed);

  // Advances to t_s (monotone) and appends, in time order, the updates the ISS
  // emitted in (previous t, t_s]: tank readings that changed, UPA state changes
  // and water tank readings that changed.
  void advance(double t_s, std::vector<Update>& out, std::uint64_t& next_seq);
  // The current value of every ISS item (a full snapshot, e.g. after LOS).
  void snapshot(double t_s, std::vector<Update>& out, std::uint64_t& next_seq) const;

  const CrewPlan& crew() const { return crew_; }
  const UrinePlant& plant() const { return plant_; }
  const std::vector<BulkTransfer>& bulk() const { return bulk_; }
  const std::vector<UpaOutage>& outages() const { return outages_; }
  const WaterSystem& water() const { return water_; }
  const std::vector<LosWindow>& los() const { return los_; }

 private:
  void step_water(double t_s, std::vector<Update>& out, std::uint64_t& next_seq);

  WorldParams p_;
  Rng crew_rng_, sensor_rng_, los_rng_, bulk_rng_, upa_rng_, water_rng_;
  CrewPlan crew_;
  std::vector<LosWindow> los_;
  std::vector<BulkTransfer> bulk_;
  std::vector<UpaOutage> outages_;
  std::vector<double> drain_factors_;
  Rng dump_rng_;
  std::vector<BulkTransfer> dumps_;
  Rng jitter_rng_;
  std::vector<double> drain_jitter_;
  UrinePlant plant_;
  LevelSensor sensor_;
  WaterSystem water_;
  std::vector<double> noise_day_;  // sensor.noise_day_sd: read-noise multiplier per UTC day (empty when off)
  double day0_s_ = 0.0;            // run time of the UTC midnight at or before t = 0
  std::size_t noise_day_at_ = 0;   // the day whose factor the sensor holds
  double next_read_s_ = 0.0;
  double next_water_s_ = 0.0;
  double water_drained_ml_ = 0.0;  // UPA throughput already handed to the water system
  double last_waste_ = -1.0, last_clean_ = -1.0;  // last reported NODE3000008/09
  std::size_t upa_emitted_ = 0;  // UPA state changes already emitted
  int last_reading_ = -1;
};

// Background updates of the other feed items: Poisson arrivals at `rate_per_s`
// spread over [t0, t1), items uniform over the background ids.
class BackgroundLoad {
 public:
  BackgroundLoad(const BackgroundParams& p, std::uint64_t seed)
      : p_(p), rng_(seed, "background"), item_of_(static_cast<std::uint64_t>(p.items > 0 ? p.items : 0)) {}
  void generate(double t0_s, double t1_s, std::vector<Update>& out, std::uint64_t& next_seq);

 private:
  BackgroundParams p_;
  Rng rng_;
  FixedModulo item_of_;  // rng_.below(items) without its division per update
};

}  // namespace peebot
