#include "water.hpp"

#include <algorithm>
#include <cmath>

namespace peebot {

WaterSystem::WaterSystem(const WaterParams& p)
    : p_(p),
      waste_pct_(std::clamp(p.waste_initial_pct, 0.0, 100.0)),
      clean_pct_(std::clamp(p.clean_initial_pct, 0.0, 100.0)) {}

void WaterSystem::step(double dt_s, int crew, double urine_processed_ml) {
  const double pct_per_ml = 100.0 / p_.tank_ml;
  const double day = dt_s / 86400.0;
  waste_pct_ += (p_.condensate_ml_per_person_day * crew * day + p_.upa_recovery * urine_processed_ml) * pct_per_ml;
  if (!processing_ && waste_pct_ >= p_.wpa_start_pct) processing_ = true;
  if (processing_) {
    const double moved = std::min(waste_pct_, p_.wpa_rate_ml_per_h * dt_s / 3600.0 * pct_per_ml);
    waste_pct_ -= moved;
    clean_pct_ += moved;
    if (waste_pct_ <= p_.wpa_stop_pct) processing_ = false;
  }
  clean_pct_ -= p_.consumption_ml_per_person_day * crew * day * pct_per_ml;
  waste_pct_ = std::clamp(waste_pct_, 0.0, 100.0);
  clean_pct_ = std::clamp(clean_pct_, 0.0, 100.0);
}

void WaterSystem::resupply() { clean_pct_ = std::min(100.0, clean_pct_ + p_.resupply_pct); }

double WaterSystem::report(double pct, double noise_pct, Rng& rng) {
  const double v = pct + (noise_pct > 0 ? rng.normal(0.0, noise_pct) : 0.0);
  return std::clamp(std::round(v * 100.0) / 100.0, 0.0, 100.0);
}

}  // namespace peebot
