#include "ground.hpp"

#include <limits>

#include "../../models/iss_time.hpp"

namespace peebot::engine {

// ---- ISS ------------------------------------------------------------------

Iss::Iss(Context& c) : c_(c), skew_(c.faults.any(FaultKind::kClockSkew)) {}

Frame* Iss::tick(double t_next, bool link_on) {
  Context& c = c_;
  scratch_.clear();
  if (need_snapshot_ && link_on) c.world.snapshot(t_next, scratch_, c.next_seq);
  c.world.advance(t_next, scratch_, c.next_seq);
  c.background.generate(t_, t_next, scratch_, c.next_seq);
  t_ = t_next;
  if (scratch_.empty()) return nullptr;
  // The frame: counted, the followed updates opened in the stage book (true
  // t_emit), clock_skew applied to the rest.
  c.stats.updates_emitted += scratch_.size();
  Frame* f = c.new_frame();
  f->w.reserve(scratch_.size());
  for (const auto& u : scratch_) {
    Wire w;
    w.u = u;
    if (c.tracked(u)) w.track = c.book.open(u);  // stage t_emit: true time
    // clock_skew: the ISS TimeStamp is off by the fault's offset (docs/faults.md).
    if (skew_ && w.u.item != kSignal) w.u.t_emit_s += c.faults.clock_offset(u.t_emit_s);
    f->w.push_back(w);
  }
  if (!link_on) {  // LOS: nothing reaches the ground
    for (const auto& w : f->w) c.lose(w);
    c.recycle(f);
    need_snapshot_ = true;
    return nullptr;
  }
  need_snapshot_ = false;
  return f;
}

// ---- Lightstreamer server ---------------------------------------------------

LightstreamerServer::LightstreamerServer(Context& c)
    : c_(c), last_published_(static_cast<std::size_t>(c.dict.size()), std::numeric_limits<double>::quiet_NaN()) {}

LightstreamerServer::~LightstreamerServer() {
  if (outbox_) c_.recycle(outbox_);
}

void LightstreamerServer::receive(Frame* f, double t) {
  last_iss_rx_s_ = t;
  // With no outbox yet (the usual case: one ISS frame per tick), f is MERGEd
  // in place and becomes the outbox: no copy of the updates it keeps.
  const bool in_place = outbox_ == nullptr;
  std::vector<Wire>& ob = in_place ? f->w : outbox_->w;
  std::size_t keep = 0;
  for (const auto& w : f->w) {
    double& last = last_published_[w.u.item];
    if (last == w.u.value) {  // MERGE: unchanged values are not sent
      c_.close_as(w, UpdateFate::kMerged);
      continue;
    }
    last = w.u.value;
    if (in_place) ob[keep++] = w;
    else ob.push_back(w);
  }
  if (in_place) {
    f->w.resize(keep);
    outbox_ = f;
  } else {
    c_.recycle(f);
  }
}

Frame* LightstreamerServer::publish(double t, bool last, bool host_link_off) {
  Context& c = c_;
  const Scenario& sc = c.sc;
  const double P = sc.network.signal_period_s;
  if (!outbox_) outbox_ = c.new_frame();
  // TIME_000001: the ground's clock, with the signal status as Status.Class.
  Wire clock;
  clock.u.t_emit_s = t;
  clock.u.item = kSignal;
  clock.u.seq = c.next_seq++;
  clock.u.value = iss_timestamp_hours(sc.epoch_unix_s + t);
  const bool aos = t <= sc.duration_s && t - last_iss_rx_s_ <= sc.network.los_detect_s;
  clock.u.status = aos ? kStatusAos : kStatusLos;
  if (c.tracked(clock.u)) clock.track = c.book.open(clock.u);
  ++c.stats.updates_emitted;
  outbox_->w.push_back(clock);
  Frame* f = outbox_;
  outbox_ = nullptr;
  // Network faults on the Lightstreamer -> host path (docs/faults.md).
  const bool dup = c.faults.any(FaultKind::kDuplicate), reorder = c.faults.any(FaultKind::kReorder);
  if (dup || reorder) {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < f->w.size(); ++i) {
      Wire w = f->w[i];
      if (dup && c.faults.duplicate(t)) {  // sent again one publish period later
        Wire copy = w;
        copy.track = w.track != kNoTrack ? c.book.open(w.u) : kNoTrack;
        ++c.stats.updates_emitted;
        held_.push_back({t + P, copy});
      }
      if (reorder) {
        if (const auto d = c.faults.reorder_delay(t)) {  // held back: newer updates overtake it
          held_.push_back({t + *d, w});
          continue;
        }
      }
      f->w[keep++] = w;
    }
    f->w.resize(keep);
  }
  if (!held_.empty()) {  // release what is due (everything at the last period)
    std::size_t keep = 0;
    for (std::size_t i = 0; i < held_.size(); ++i) {
      if (last || held_[i].first <= t) f->w.push_back(held_[i].second);
      else held_[keep++] = held_[i];
    }
    held_.resize(keep);
  }
  for (const auto& w : f->w)
    if (w.track != kNoTrack) c.book.at(w.track).t_published_s = t;
  // partition: the host link is down now or before the frame would arrive: the frame is lost
  // (checked before sending, so that no comm fails under the host's receiver).
  if (c.faults.any(FaultKind::kPartition)) {
    const double transfer = sc.network.ls_host_latency_s + frame_bytes(sc.network, f->w.size()) / sc.network.ls_host_bw_Bps + 1e-6;
    if (c.faults.overlaps(FaultKind::kPartition, "", t, t + transfer) || host_link_off) {
      for (const auto& w : f->w) c.lose(w);
      c.recycle(f);
      return nullptr;
    }
  }
  return f;
}

}  // namespace peebot::engine
