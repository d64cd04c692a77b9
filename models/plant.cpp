#include "plant.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "intervals.hpp"

namespace peebot {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = 1e-9;
}  // namespace

std::vector<BulkTransfer> plan_bulk(const BulkParams& p, double capacity_ml, double horizon_s, Rng& rng) {
  std::vector<BulkTransfer> out;
  const double rate_ml_per_s = p.rate_pct_per_min / 100.0 * capacity_ml / 60.0;
  if (p.per_day > 0 && rate_ml_per_s > 0) {
    double t = 0.0;
    for (;;) {
      t += rng.exponential(86400.0 / p.per_day);
      const double pct = rng.uniform(p.min_pct, std::max(p.min_pct, p.max_pct));
      if (t >= horizon_s) break;
      const double ml = pct / 100.0 * capacity_ml;
      out.push_back({t, t + ml / rate_ml_per_s, ml});
    }
  }
  for (const auto& w : p.windows)
    if (w.start_s < horizon_s && w.end_s > w.start_s) out.push_back({w.start_s, w.end_s, rate_ml_per_s * (w.end_s - w.start_s)});
  std::sort(out.begin(), out.end(), [](const BulkTransfer& a, const BulkTransfer& b) { return a.onset_s < b.onset_s; });
  return out;
}

std::vector<BulkTransfer> plan_dumps(const UpaParams& p, double capacity_ml, double horizon_s, Rng& rng) {
  std::vector<BulkTransfer> out;
  const double rate_ml_per_s = p.dump_rate_pct_per_min / 100.0 * capacity_ml / 60.0;
  if (p.dumps_per_day <= 0 || rate_ml_per_s <= 0) return out;
  if (p.dump_candidate_per_day > 0) {
    // Common random numbers: thinning a fixed-rate candidate process, every
    // candidate drawing its size and acceptance whether kept or not, so a
    // small change of dumps_per_day adds or removes a few drain-outs and
    // moves none (the same Poisson law as below).
    const double cap = std::max(p.dump_candidate_per_day, p.dumps_per_day);
    for (double t = 0.0;;) {
      t += rng.exponential(86400.0 / cap);
      const double pct = rng.uniform(p.dump_min_pct, std::max(p.dump_min_pct, p.dump_max_pct));
      const double u = rng.uniform();
      if (t >= horizon_s) break;
      if (!(u * cap < p.dumps_per_day)) continue;
      const double ml = pct / 100.0 * capacity_ml;
      out.push_back({t, t + ml / rate_ml_per_s, ml});
    }
    return out;
  }
  for (double t = 0.0;;) {
    t += rng.exponential(86400.0 / p.dumps_per_day);
    const double pct = rng.uniform(p.dump_min_pct, std::max(p.dump_min_pct, p.dump_max_pct));
    if (t >= horizon_s) break;
    const double ml = pct / 100.0 * capacity_ml;
    out.push_back({t, t + ml / rate_ml_per_s, ml});
  }
  return out;
}

std::vector<double> plan_drain_factors(const UpaParams& p, double horizon_s, Rng& rng) {
  std::vector<double> f;
  if (p.drain_sd <= 0) return f;
  // At most one processing run per hour is plenty; the list is used cyclically.
  const auto n = static_cast<std::size_t>(horizon_s / 3600.0) + 16;
  f.reserve(n);
  for (std::size_t i = 0; i < n; ++i) f.push_back(std::max(0.2, rng.normal(1.0, p.drain_sd)));
  return f;
}

std::vector<double> plan_drain_jitter(const UpaParams& p, double horizon_s, Rng& rng) {
  std::vector<double> f;
  if (p.drain_jitter <= 0 || p.drain_jitter_period_s <= 0) return f;
  const auto n = static_cast<std::size_t>(std::ceil(horizon_s / p.drain_jitter_period_s)) + 1;
  f.reserve(n);
  for (std::size_t i = 0; i < n; ++i) f.push_back(std::max(0.2, rng.normal(1.0, p.drain_jitter)));
  return f;
}

std::vector<UpaOutage> plan_outages(const UpaParams& p, double horizon_s, Rng& rng) {
  std::vector<UpaOutage> w;
  const auto maint = static_cast<std::int32_t>(UpaState::kMaintenance);
  const auto random_state = static_cast<std::int32_t>(p.outage_shutdown ? UpaState::kShutdown : UpaState::kMaintenance);
  for (const auto& m : p.maintenance)
    if (m.start_s < horizon_s && m.end_s > m.start_s) w.push_back({m.start_s, m.end_s, maint});
  if (p.outages_per_day > 0 && p.outage_mean_s > 0) {
    double t = 0.0;
    for (;;) {
      t += rng.exponential(86400.0 / p.outages_per_day);
      const double len = std::max(60.0, rng.exponential(p.outage_mean_s));
      if (t >= horizon_s) break;
      w.push_back({t, t + len, random_state});
    }
  }
  return merge_windows(std::move(w));
}

UrinePlant::UrinePlant(const TankParams& tank, const UpaParams& upa, const std::vector<VoidEvent>& voids,
                       const std::vector<BulkTransfer>& bulk, const std::vector<UpaOutage>& outages,
                       const std::vector<double>& drain_factors, const std::vector<BulkTransfer>& dumps,
                       const std::vector<double>& drain_jitter)
    : capacity_ml_(tank.capacity_ml),
      upa_(upa),
      drain_ml_per_s_(upa.drain_pct_per_min / 100.0 * tank.capacity_ml / 60.0),
      base_drain_ml_per_s_(drain_ml_per_s_),
      drain_factors_(drain_factors),
      drain_jitter_(drain_jitter),
      dumps_(dumps),
      dump_ml_per_s_(upa.dump_rate_pct_per_min / 100.0 * tank.capacity_ml / 60.0),
      volume_ml_(std::clamp(tank.initial_pct, 0.0, 100.0) / 100.0 * tank.capacity_ml),
      initial_ml_(volume_ml_),
      state_(upa.start_processing ? UpaState::kNormal : UpaState::kStandby) {
  for (const auto& v : voids)
    if (v.reaches_tank && v.end_s > v.onset_s) voids_.push_back(v);
  for (const auto& b : bulk) {
    if (!(b.end_s > b.onset_s)) continue;
    VoidEvent v;
    v.onset_s = b.onset_s;
    v.end_s = b.end_s;
    v.crew = -1;
    v.urine_ml = b.volume_ml;
    v.flush_ml = 0.0;
    voids_.push_back(v);
  }
  if (!bulk.empty())
    std::stable_sort(voids_.begin(), voids_.end(), [](const VoidEvent& a, const VoidEvent& b) { return a.onset_s < b.onset_s; });
  outages_ = outages;
  update_mode(0.0);
  truth_.upa_states.clear();  // the state at t = 0 is the initial one, whatever led to it
  truth_.upa_states.push_back({0.0, static_cast<std::int32_t>(state_)});
  record_point(0.0);
}

void UrinePlant::update_mode(double t) {
  const double start_ml = upa_.start_pct / 100.0 * capacity_ml_;
  const double stop_ml = upa_.stop_pct / 100.0 * capacity_ml_;
  while (next_outage_ < outages_.size() && outages_[next_outage_].end_s <= t + kEps) {
    if (in_outage_) {  // back from an outage: STANDBY, then the thresholds decide
      in_outage_ = false;
      set_state(t, UpaState::kStandby);
    }
    ++next_outage_;
  }
  if (!in_outage_ && next_outage_ < outages_.size() && outages_[next_outage_].start_s <= t + kEps) {
    in_outage_ = true;
    set_state(t, static_cast<UpaState>(outages_[next_outage_].state));
  }
  if (in_outage_) return;
  const bool waiting = state_ == UpaState::kStandby || state_ == UpaState::kIdle;
  if (waiting && volume_ml_ >= start_ml - kEps) set_state(t, UpaState::kNormal);
  else if (state_ == UpaState::kNormal && volume_ml_ <= stop_ml + kEps) set_state(t, UpaState::kStandby);
  if (state_ == UpaState::kStandby && upa_.idle_after_s > 0 && t >= standby_since_ + upa_.idle_after_s - kEps)
    set_state(t, UpaState::kIdle);
}

double UrinePlant::next_mode_boundary(double t) const {
  double b = kInf;
  if (next_outage_ < outages_.size())
    b = in_outage_ ? outages_[next_outage_].end_s : outages_[next_outage_].start_s;
  if (!in_outage_ && state_ == UpaState::kStandby && upa_.idle_after_s > 0)
    b = std::min(b, standby_since_ + upa_.idle_after_s);
  if (!drain_jitter_.empty() && state_ == UpaState::kNormal) {
    const double period = upa_.drain_jitter_period_s;
    b = std::min(b, (std::floor(t / period + kEps) + 1.0) * period);
  }
  return b > t ? b : kInf;
}

double UrinePlant::drain_rate(double t) const {
  if (drain_jitter_.empty()) return drain_ml_per_s_;
  const auto k = static_cast<std::size_t>(std::max(0.0, std::floor(t / upa_.drain_jitter_period_s + kEps)));
  return drain_ml_per_s_ * drain_jitter_[std::min(k, drain_jitter_.size() - 1)];
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
  if (s == UpaState::kStandby) standby_since_ = t;
  if (s == UpaState::kNormal && !drain_factors_.empty())
    drain_ml_per_s_ = base_drain_ml_per_s_ * drain_factors_[next_factor_++ % drain_factors_.size()];
  truth_.upa_states.push_back({t, static_cast<std::int32_t>(s)});
}

void UrinePlant::advance(double t_end) {
  const double start_ml = upa_.start_pct / 100.0 * capacity_ml_;
  const double stop_ml = upa_.stop_pct / 100.0 * capacity_ml_;
  while (now_s_ < t_end) {
    while (first_active_ < voids_.size() && voids_[first_active_].end_s <= now_s_) ++first_active_;
    const double t = now_s_;
    const UpaState before = state_;
    update_mode(t);
    if (state_ != before) record_point(t);  // the drain rate changes here
    const double in = inflow_rate(t);
    while (next_dump_ < dumps_.size() && dumps_[next_dump_].end_s <= t) ++next_dump_;
    const bool dumping = next_dump_ < dumps_.size() && dumps_[next_dump_].onset_s <= t && volume_ml_ > stop_ml + kEps;
    const double out = ((state_ == UpaState::kNormal && volume_ml_ > kEps) ? drain_rate(t) : 0.0) +
                       (dumping ? dump_ml_per_s_ : 0.0);
    const double net = in - out;
    // A full tank with net inflow spills the excess (to the toilet's backup container).
    const bool spill_now = volume_ml_ >= capacity_ml_ - kEps && net > 0;
    if (spill_now != spilling_) {
      if (spill_now) truth_.tank_full.push_back({t, t, 0.0});
      else truth_.tank_full.back().end_s = t;
      spilling_ = spill_now;
    }
    double seg_end = std::min({t_end, next_void_boundary(t), next_mode_boundary(t)});
    if (next_dump_ < dumps_.size()) seg_end = std::min(seg_end, dumps_[next_dump_].onset_s > t ? dumps_[next_dump_].onset_s : dumps_[next_dump_].end_s);
    // Events inside the segment: full, empty, UPA threshold crossings.
    enum { kNone, kFull, kEmpty, kStart, kStop, kDumpFloor } ev = kNone;
    auto consider = [&](double when, decltype(ev) what) {
      if (when > t && when < seg_end) { seg_end = when; ev = what; }
    };
    if (!spilling_ && net > 0) consider(t + (capacity_ml_ - volume_ml_) / net, kFull);
    if (net < 0) consider(t + volume_ml_ / -net, kEmpty);
    if ((state_ == UpaState::kStandby || state_ == UpaState::kIdle) && net > 0 && volume_ml_ < start_ml) consider(t + (start_ml - volume_ml_) / net, kStart);
    if (state_ == UpaState::kNormal && net < 0 && volume_ml_ > stop_ml) consider(t + (volume_ml_ - stop_ml) / -net, kStop);
    if (dumping && net < 0 && volume_ml_ > stop_ml) consider(t + (volume_ml_ - stop_ml) / -net, kDumpFloor);

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
      case kStop:
      case kDumpFloor: volume_ml_ = stop_ml; break;
      case kNone: break;
    }
    volume_ml_ = std::clamp(volume_ml_, 0.0, capacity_ml_);
    update_mode(now_s_);
    if (ev != kNone || seg_end != t_end) record_point(now_s_);
  }
}

}  // namespace peebot
