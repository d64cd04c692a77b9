// The water side of the ECLSS: the waste water tank (NODE3000008), the water
// processor (WPA) and the clean (potable) water tank (NODE3000009).
//
//   condensate (per person aboard) + UPA distillate (processed urine x recovery) -> waste water
//   WPA (hysteresis wpa_start_pct / wpa_stop_pct, fixed throughput): waste water -> clean water
//   crew consumption (per person aboard) drains clean water; resupplies refill it
//
// Levels are percent of each tank and always stay in [0, 100] (overflow of the
// waste tank and a dry clean tank are clamped and counted). "Water low" is
// not a separate record: it is NODE3000009 below water.low_pct, derivable from
// the telemetry (and from clean_pct() here). Stepped every water.period with
// its own random stream (read noise only): the dynamics are deterministic.
#pragma once
#include <cstdint>

#include "params.hpp"
#include "rng.hpp"

namespace peebot {

class WaterSystem {
 public:
  explicit WaterSystem(const WaterParams& p);

  // Advances by dt_s with `crew` persons aboard and `urine_processed_ml` processed by the UPA during the step.
  void step(double dt_s, int crew, double urine_processed_ml);
  // Resupply: adds water.resupply_pct to the clean tank (capped at 100 %).
  void resupply();

  double waste_pct() const { return waste_pct_; }
  double clean_pct() const { return clean_pct_; }
  bool processing() const { return processing_; }
  bool low() const { return clean_pct_ < p_.low_pct; }
  // What the sensors report: level + read noise, rounded to 0.01 % and kept in [0, 100].
  static double report(double pct, double noise_pct, Rng& rng);

 private:
  WaterParams p_;
  double waste_pct_, clean_pct_;
  bool processing_ = false;
};

}  // namespace peebot
