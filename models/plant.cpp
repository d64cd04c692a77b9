#include "plant.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace peebot {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = 1e-9;
}  // namespace

UrinePlant::UrinePlant(const TankParams& tank, const UpaParams& upa, const std::vector<VoidEvent>& voids)
    : capacity_ml_(tank.capacity_ml),
      upa_(upa),
      drain_ml_per_s_(upa.drain_pct_per_min / 100.0 * tank.capacity_ml / 60.0),
      volume_ml_(std::clamp(tank.initial_pct, 0.0, 100.0) / 100.0 * tank.capacity_ml),
      initial_ml_(volume_ml_),
      state_(upa.start_processing ? UpaState::kNormal : UpaState::kStandby) {
  for (const auto& v : voids)
    if (v.reaches_tank && v.end_s > v.onset_s) voids_.push_back(v);
  truth_.upa_states.push_back({0.0, static_cast<std::int32_t>(state_)});
  record_point(0.0);
}

double UrinePlant::inflow_rate(double t) const {
  double r = 0.0;
  for (std::size_t i = first_active_; i < voids_.size() && voids_[i].onset_s <= t; ++i) {
    const auto& v = voids_[i];
    if (t >= v.onset_s && t < v.end_s) r += (v.urine_ml + v.flush_ml) / (v.end_s - v.onset_s);
  }
  return r;
}

double UrinePlant::next_void_boundary(double t) const {
  double b = kInf;
  for (std::size_t i = first_active_; i < voids_.size(); ++i) {
    const auto& v = voids_[i];
    if (v.onset_s > t) { b = std::min(b, v.onset_s); break; }
    if (v.end_s > t) b = std::min(b, v.end_s);
  }
  return b;
}

void UrinePlant::record_point(double t) {
  if (!truth_.tank.empty() && truth_.tank.back().t_s == t) truth_.tank.pop_back();
  truth_.tank.push_back({t, volume_ml_, level_pct()});
}

void UrinePlant::set_state(double t, UpaState s) {
  if (s == state_) return;
  state_ = s;
  truth_.upa_states.push_back({t, static_cast<std::int32_t>(s)});
}

void UrinePlant::advance(double t_end) {
  const double start_ml = upa_.start_pct / 100.0 * capacity_ml_;
  const double stop_ml = upa_.stop_pct / 100.0 * capacity_ml_;
  while (now_s_ < t_end) {
    while (first_active_ < voids_.size() && voids_[first_active_].end_s <= now_s_) ++first_active_;
    const double t = now_s_;
    const double in = inflow_rate(t);
    const double out = (state_ == UpaState::kNormal && volume_ml_ > kEps) ? drain_ml_per_s_ : 0.0;
    const double net = in - out;
    // A full tank with net inflow spills the excess (to the toilet's backup container).
    const bool spill_now = volume_ml_ >= capacity_ml_ - kEps && net > 0;
    if (spill_now != spilling_) {
      if (spill_now) truth_.tank_full.push_back({t, t, 0.0});
      else truth_.tank_full.back().end_s = t;
      spilling_ = spill_now;
    }
    double seg_end = std::min(t_end, next_void_boundary(t));
    // Events inside the segment: full, empty, UPA threshold crossings.
    enum { kNone, kFull, kEmpty, kStart, kStop } ev = kNone;
    auto consider = [&](double when, decltype(ev) what) {
      if (when > t && when < seg_end) { seg_end = when; ev = what; }
    };
    if (!spilling_ && net > 0) consider(t + (capacity_ml_ - volume_ml_) / net, kFull);
    if (net < 0) consider(t + volume_ml_ / -net, kEmpty);
    if (state_ == UpaState::kStandby && net > 0 && volume_ml_ < start_ml) consider(t + (start_ml - volume_ml_) / net, kStart);
    if (state_ == UpaState::kNormal && net < 0 && volume_ml_ > stop_ml) consider(t + (volume_ml_ - stop_ml) / -net, kStop);

    const double dt = seg_end - t;
    inflow_ml_ += in * dt;
    drained_ml_ += out * dt;
    if (spilling_) {
      spilled_ml_ += net * dt;
      truth_.tank_full.back().spilled_ml += net * dt;
    } else {
      volume_ml_ += net * dt;
    }
    now_s_ = seg_end;
    // Snap to the exact crossing so that rounding cannot re-trigger it.
    switch (ev) {
      case kFull: volume_ml_ = capacity_ml_; break;
      case kEmpty: volume_ml_ = 0.0; break;
      case kStart: volume_ml_ = start_ml; break;
      case kStop: volume_ml_ = stop_ml; break;
      case kNone: break;
    }
    volume_ml_ = std::clamp(volume_ml_, 0.0, capacity_ml_);
    if (state_ == UpaState::kStandby && volume_ml_ >= start_ml - kEps) set_state(now_s_, UpaState::kNormal);
    else if (state_ == UpaState::kNormal && volume_ml_ <= stop_ml + kEps) set_state(now_s_, UpaState::kStandby);
    if (ev != kNone || seg_end != t_end) record_point(now_s_);
  }
}

}  // namespace peebot
