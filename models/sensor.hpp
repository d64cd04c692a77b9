// The tank level sensor as the feed shows it: the true level plus slowly
// varying read noise (AR(1)) plus, when enabled, burst noise, truncated to an
// integer percent. Near a boundary the truncation turns the noise into the
// real feed's +-1 % flicker.
#pragma once
#include <cmath>
#include <optional>

#include "params.hpp"
#include "rng.hpp"

namespace peebot {

// Burst noise: white (independent per read) Gaussian noise whose amplitude
// varies slowly, so that flicker comes in episodes. Read k gives
//   e_k = burst_pct * g_k * h_k * N(0, 1),
// g_k = (X_k^2 + Y_k^2) / 2 with X, Y independent unit AR(1) processes of
// coefficient exp(-period / (2 burst_tau)): g is exponential with mean 1 and
// its autocorrelation at lag t is exp(-t / burst_tau). h_k is the same with
// burst_fast_tau (h = 1 when that is 0). Why this shape (pisslog-2025): the
// number of 1-s excursions at a drain crossing is about geometric (39 % of
// crossings have none), which a Poisson count whose mean is exponentially
// distributed gives; successive crossings are correlated (P(flicker | flicker
// at the previous crossing) 0.74 vs 0.42 after none), which the slow g gives;
// docs/models.md ("Burst noise"). Off (no draws at all) while burst_pct is 0.
class BurstNoise {
 public:
  BurstNoise(const SensorParams& p, Rng& rng)
      : amp_(p.burst_pct),
        a_slow_(coefficient(p.period_s, p.burst_tau_s)),
        a_fast_(coefficient(p.period_s, p.burst_fast_tau_s)),
        fast_(p.burst_fast_tau_s > 0),
        rng_(rng) {
    if (!enabled()) return;
    x_ = rng_.normal();
    y_ = rng_.normal();
    if (fast_) u_ = rng_.normal(), v_ = rng_.normal();
  }
  bool enabled() const { return amp_ > 0; }
  // The noise of the next read (% of the tank); 0 without any draw when disabled.
  double sample() {
    if (!enabled()) return 0.0;
    step(a_slow_, x_, y_);
    double amp = 0.5 * (x_ * x_ + y_ * y_);
    if (fast_) {
      step(a_fast_, u_, v_);
      amp *= 0.5 * (u_ * u_ + v_ * v_);
    }
    amplitude_ = amp;
    return amp_ * amp * rng_.normal();
  }
  // The amplitude multiplier (g * h) of the last sample, for tests.
  double amplitude() const { return amplitude_; }

 private:
  // AR(1) coefficient for the pair whose squared sum decorrelates in tau: the
  // square of a unit AR(1) with coefficient a has autocorrelation a^(2 lag).
  static double coefficient(double period_s, double tau_s) { return tau_s > 0 ? std::exp(-period_s / (2.0 * tau_s)) : 0.0; }
  void step(double a, double& x, double& y) {
    const double b = std::sqrt(1.0 - a * a);
    x = a * x + b * rng_.normal();
    y = a * y + b * rng_.normal();
  }
  double amp_, a_slow_, a_fast_;
  bool fast_;
  Rng& rng_;
  double x_ = 0.0, y_ = 0.0, u_ = 0.0, v_ = 0.0, amplitude_ = 0.0;
};

// The reading: true level + AR(1) read noise (noise_pct, noise_tau) + burst
// noise (when on) + drift (when on), truncated. The drift is a second, slow
// AR(1) offset (drift_pct, drift_tau): it moves the time at which a falling
// level is first read below a boundary by about drift / drain rate, so the
// intervals between drain steps vary within a run with negative lag-1
// correlation (a crossing read late makes the next interval short), and it
// stretches flicker at a crossing over tens of seconds. Why (pisslog-2025):
// docs/models.md, "Drift". Off (no draws at all) while drift_pct is 0.
class LevelSensor {
 public:
  LevelSensor(const SensorParams& p, Rng& rng)
      : p_(p),
        rng_(rng),
        a_(p.noise_tau_s > 0 ? std::exp(-p.period_s / p.noise_tau_s) : 0.0),
        drift_a_(p.drift_tau_s > 0 ? std::exp(-p.period_s / p.drift_tau_s) : 0.0) {
    noise_ = p_.noise_pct * rng_.normal();
    if (p_.burst_pct > 0) burst_.emplace(p_, rng_);  // after the AR(1) draw: without burst noise the stream is unchanged
    if (drift_on()) drift_ = p_.drift_pct * rng_.normal();  // likewise: without drift no draw
  }
  // One reading (call once per sensor period): integer percent in [0, 100].
  // `processing`: the UPA is processing (NORMAL); with drift_processing_only
  // the drift keeps evolving but is added only then.
  int read(double true_pct, bool processing = true) {
    noise_ = a_ * noise_ + std::sqrt(1.0 - a_ * a_) * p_.noise_pct * rng_.normal();
    const double burst = burst_ ? burst_->sample() : 0.0;
    if (drift_on()) drift_ = drift_a_ * drift_ + std::sqrt(1.0 - drift_a_ * drift_a_) * p_.drift_pct * rng_.normal();
    const double drift = (processing || !p_.drift_processing_only) ? drift_ : 0.0;
    return quantize(true_pct + noise_scale_ * noise_ + burst + drift);
  }
  // Multiplies the AR(1) read noise from the next reading on (sensor.noise_day_sd:
  // the day's factor); its state evolves unchanged, and 1 leaves the reading as it was.
  void set_noise_scale(double s) { noise_scale_ = s; }
  // The drift offset of the last reading (% of the tank; 0 when off), for tests.
  double drift() const { return drift_; }
  static int quantize(double pct) {
    const double q = std::floor(pct);
    return q < 0.0 ? 0 : (q > 100.0 ? 100 : static_cast<int>(q));
  }

 private:
  SensorParams p_;
  Rng& rng_;
  bool drift_on() const { return p_.drift_pct > 0; }
  double a_, drift_a_;
  double noise_ = 0.0, drift_ = 0.0, noise_scale_ = 1.0;
  std::optional<BurstNoise> burst_;
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
