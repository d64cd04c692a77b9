// The tank level sensor as the feed shows it: the true level plus slowly
// varying read noise (AR(1)), truncated to an integer percent. Near a
// boundary the truncation turns the noise into the real feed's +-1 % flicker.
#pragma once
#include <cmath>

#include "params.hpp"
#include "rng.hpp"

namespace peebot {

class LevelSensor {
 public:
  LevelSensor(const SensorParams& p, Rng& rng)
      : p_(p), rng_(rng), a_(p.noise_tau_s > 0 ? std::exp(-p.period_s / p.noise_tau_s) : 0.0) {
    noise_ = p_.noise_pct * rng_.normal();
  }
  // One reading (call once per sensor period): integer percent in [0, 100].
  int read(double true_pct) {
    noise_ = a_ * noise_ + std::sqrt(1.0 - a_ * a_) * p_.noise_pct * rng_.normal();
    return quantize(true_pct + noise_);
  }
  static int quantize(double pct) {
    const double q = std::floor(pct);
    return q < 0.0 ? 0 : (q > 100.0 ? 100 : static_cast<int>(q));
  }

 private:
  SensorParams p_;
  Rng& rng_;
  double a_;
  double noise_ = 0.0;
};

// MERGE semantics: an item's update is published only when its value changes.
class MergeFilter {
 public:
  // True when `value` differs from the last value passed for this item (and remembers it).
  bool changed(double value) {
    if (has_ && value == last_) return false;
    has_ = true;
    last_ = value;
    return true;
  }
  void reset() { has_ = false; }

 private:
  bool has_ = false;
  double last_ = 0.0;
};

}  // namespace peebot
