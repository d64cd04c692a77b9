#include "feed.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>


namespace peebot::engine {

namespace {

// A time as the link state profile holds it: printed "%.9g" (los_profile_text)
// and read back.
double as_profile(double t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", t);
  return std::strtod(buf, nullptr);
}

// At equal virtual times the downlink runs before the publisher: the updates
// of the ISS frame of second t are numbered before TIME_000001 of tick t.
// (The actors engine has SimGrid wake the two in whichever order its action
// heap yields, which alternates from second to second: so its sequence
// numbers differ from these by the one number of a tick, nothing else.)
constexpr bool kDownlinkFirst = true;

}  // namespace

LinkOff::LinkOff(const std::vector<LosWindow>& windows) {
  w_.reserve(windows.size());
  for (const auto& w : windows) w_.push_back({as_profile(w.start_s), as_profile(w.end_s)});
}

bool LinkOff::off(double t) {
  while (i_ < w_.size() && w_[i_].second <= t) ++i_;
  return i_ < w_.size() && w_[i_].first <= t;
}

bool LinkOff::starts_in(double t0, double t1) {
  while (j_ < w_.size() && w_[j_].first <= t0) ++j_;
  return j_ < w_.size() && w_[j_].first <= t1;
}

FeedPath::FeedPath(Context* c)
    : c_(c),
      F_(c->sc.network.frame_interval_s),
      P_(c->sc.network.signal_period_s),
      dur_(c->sc.duration_s),
      end_(c->sc.duration_s + c->opt.drain_s),
      iss_lat_(c->sc.network.iss_tdrs_latency_s + c->sc.network.tdrs_ground_latency_s + c->sc.network.ground_ls_latency_s),
      iss_bw_(std::min({c->sc.network.iss_tdrs_bw_Bps, c->sc.network.tdrs_ground_bw_Bps, c->sc.network.ground_ls_bw_Bps})),
      host_lat_(c->sc.network.ls_host_latency_s),
      host_bw_(c->sc.network.ls_host_bw_Bps),
      iss_(*c),
      los_(c->world.los()),
      pub_t_(c->sc.network.signal_period_s),
      partition_(c->faults.any(FaultKind::kPartition)),
      partitions_(c->faults.windows(FaultKind::kPartition)),
      ls_(*c) {
  // The publisher's ticks: P, 2P, ... while <= end (the reference loop's own sums).
  last_tick_ = 0.0;
  for (double t = P_; t <= end_; t += P_) last_tick_ = t;
}

FeedPath::~FeedPath() {
  while (!to_ls_.empty()) c_->recycle(to_ls_.pop().f);
}

std::string FeedPath::unsupported(const Scenario& sc) {
  const NetworkParams& n = sc.network;
  const double iss_bw = std::min({n.iss_tdrs_bw_Bps, n.tdrs_ground_bw_Bps, n.ground_ls_bw_Bps});
  // A generous bound on the updates of one frame: the background's Poisson
  // count far in its tail, plus everything else the ISS and the ground add.
  auto bound = [&](double span_s) {
    const double m = sc.world.background.rate_per_s * span_s;
    return 2.0 * m + 12.0 * std::sqrt(m) + 64.0 + 16.0 * span_s;
  };
  const double iss_tx = frame_bytes(n, static_cast<std::size_t>(bound(n.frame_interval_s))) / iss_bw;
  // A publisher frame carries what arrived in one period (frames of up to
  // ceil(P / F) + 1 downlink periods), doubled for duplicates and held updates.
  const double per_pub = (std::ceil(n.signal_period_s / n.frame_interval_s) + 1.0) * n.frame_interval_s;
  const double host_tx = frame_bytes(n, static_cast<std::size_t>(2.0 * bound(per_pub))) / n.ls_host_bw_Bps;
  char buf[256];
  if (iss_tx >= 0.5 * n.frame_interval_s) {
    std::snprintf(buf, sizeof buf, "a downlink frame could take %.3g s on the ISS path, more than half of network.frame_interval", iss_tx);
    return buf;
  }
  if (host_tx >= 0.5 * n.signal_period_s) {
    std::snprintf(buf, sizeof buf, "a published frame could take %.3g s to our host, more than half of network.signal_period", host_tx);
    return buf;
  }
  return {};
}

// One wake-up of the reference downlink actor (actors.cpp, Downlink).
void FeedPath::iss_step() {
  Context* c = c_;
  const double t_next = std::min(dur_, iss_.t() + F_);
  const bool off = los_.off(t_next);
  Frame* f = iss_.tick(t_next, !off);
  if (!f) return;
  ++c->stats.frames;
  const double tx = frame_bytes(c->sc.network, f->w.size()) / iss_bw_;
  const double start_tx = t_next + iss_lat_;
  if (start_tx < iss_free_)
    throw std::runtime_error("event engine: two downlink frames would share the ISS path at t=" + std::to_string(t_next) +
                             " s; run with --engine actors");
  iss_free_ = start_tx + tx;
  const double arrive = start_tx + tx;
  if (los_.starts_in(t_next, arrive)) {  // LOS began while it was in flight: the comm fails
    for (const auto& w : f->w) c->lose(w);
    c->recycle(f);
    return;
  }
  to_ls_.push({f, arrive});
}

// The reference receiver actor: each frame that has arrived by `upto`, MERGEd
// into the publisher's outbox (unchanged values are not sent).
void FeedPath::deliver_to_ls(double upto) {
  while (!to_ls_.empty() && to_ls_.front().t_s <= upto) {
    const HostFrame hf = to_ls_.pop();
    ls_.receive(hf.f, hf.t_s);
  }
}

// One tick of the publisher, as the actors engine's (LightstreamerServer),
// and the frame's arrival at our host.
bool FeedPath::publish(double t, HostFrame& out) {
  Context* c = c_;
  Frame* f = ls_.publish(t, t + P_ > end_, partition_ && partitions_.off(t));
  if (!f) return false;
  ++c->stats.frames;
  const double tx = frame_bytes(c->sc.network, f->w.size()) / host_bw_;
  const double start_tx = t + host_lat_;
  if (start_tx < host_free_)
    throw std::runtime_error("event engine: two published frames would share the link to our host at t=" +
                             std::to_string(t) + " s; run with --engine actors");
  host_free_ = start_tx + tx;
  out.f = f;
  out.t_s = start_tx + tx;
  if (out.t_s < last_arrival_)
    throw std::runtime_error("event engine: published frames would reach our host out of order at t=" +
                             std::to_string(t) + " s; run with --engine actors");
  last_arrival_ = out.t_s;
  return true;
}

void FeedPath::finish(double t_end) {
  deliver_to_ls(t_end);
  while (!to_ls_.empty()) {
    Frame* f = to_ls_.pop().f;
    for (const auto& w : f->w) c_->lose(w);
    c_->recycle(f);
  }
}

bool FeedPath::next(HostFrame& out) {
  while (pub_t_ <= end_) {
    const double t = pub_t_;
    pub_t_ += P_;
    // The downlink's wake-ups up to this tick.
    while (iss_.t() < dur_ && (kDownlinkFirst ? std::min(dur_, iss_.t() + F_) <= t : std::min(dur_, iss_.t() + F_) < t))
      iss_step();
    deliver_to_ls(t);
    if (publish(t, out)) return true;
  }
  return false;
}

}  // namespace peebot::engine
