// Actors more than one host architecture uses, and what both engines share
// of the ISS and the Lightstreamer server.
#include "../../models/iss_time.hpp"
#include "context.hpp"

namespace peebot::engine {

namespace {
double frame_bytes(const NetworkParams& n, std::size_t updates) {
  return n.frame_header_bytes + n.update_bytes * static_cast<double>(updates);
}
}  // namespace

Frame* Context::frame_of(const std::vector<Update>& us, bool skew) {
  stats.updates_emitted += us.size();
  Frame* f = new_frame();
  f->w.reserve(us.size());
  for (const auto& u : us) {
    Wire w;
    w.u = u;
    if (tracked(u)) w.track = book.open(u);  // stage t_emit: true time
    // clock_skew: the ISS TimeStamp is off by the fault's offset (docs/faults.md).
    if (skew && w.u.item != kSignal) w.u.t_emit_s += faults.clock_offset(u.t_emit_s);
    f->w.push_back(w);
  }
  return f;
}

void Context::merge_to_outbox(Frame* f) {
  // With no outbox yet (the usual case: one ISS frame per tick), f is MERGEd
  // in place and becomes the outbox: no copy of the updates it keeps.
  const bool in_place = outbox == nullptr;
  std::vector<Wire>& ob = in_place ? f->w : outbox->w;
  std::size_t keep = 0;
  for (const auto& w : f->w) {
    double& last = last_published[w.u.item];
    if (last == w.u.value) {  // MERGE: unchanged values are not sent
      if (w.track != kNoTrack) {
        book.at(w.track).fate = static_cast<std::uint8_t>(UpdateFate::kMerged);
        book.close(w.track);
      }
      continue;
    }
    last = w.u.value;
    if (in_place) ob[keep++] = w;
    else ob.push_back(w);
  }
  if (in_place) {
    f->w.resize(keep);
    outbox = f;
  } else {
    recycle(f);
  }
}

Frame* Context::publish_tick(double t, std::vector<std::pair<double, Wire>>& held, bool last, bool host_link_off) {
  const double P = sc.network.signal_period_s;
  if (!outbox) outbox = new_frame();
  // TIME_000001: the ground's clock, with the signal status as Status.Class.
  Wire clock;
  clock.u.t_emit_s = t;
  clock.u.item = kSignal;
  clock.u.seq = next_seq++;
  clock.u.value = iss_timestamp_hours(sc.epoch_unix_s + t);
  const bool aos = t <= sc.duration_s && t - last_iss_rx_s <= sc.network.los_detect_s;
  clock.u.status = aos ? kStatusAos : kStatusLos;
  if (tracked(clock.u)) clock.track = book.open(clock.u);
  ++stats.updates_emitted;
  outbox->w.push_back(clock);
  Frame* f = outbox;
  outbox = nullptr;
  // Network faults on the Lightstreamer -> host path (docs/faults.md).
  const bool dup = faults.any(FaultKind::kDuplicate), reorder = faults.any(FaultKind::kReorder);
  if (dup || reorder) {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < f->w.size(); ++i) {
      Wire w = f->w[i];
      if (dup && faults.duplicate(t)) {  // sent again one publish period later
        Wire copy = w;
        copy.track = w.track != kNoTrack ? book.open(w.u) : kNoTrack;
        ++stats.updates_emitted;
        held.push_back({t + P, copy});
      }
      if (reorder) {
        if (const auto d = faults.reorder_delay(t)) {  // held back: newer updates overtake it
          held.push_back({t + *d, w});
          continue;
        }
      }
      f->w[keep++] = w;
    }
    f->w.resize(keep);
  }
  if (!held.empty()) {  // release what is due (everything at the last period)
    std::size_t keep = 0;
    for (std::size_t i = 0; i < held.size(); ++i) {
      if (last || held[i].first <= t) f->w.push_back(held[i].second);
      else held[keep++] = held[i];
    }
    held.resize(keep);
  }
  for (const auto& w : f->w)
    if (w.track != kNoTrack) book.at(w.track).t_published_s = t;
  // partition: the host link is down now or before the frame would arrive: the frame is lost
  // (checked before sending, so that no comm fails under the host's receiver).
  if (faults.any(FaultKind::kPartition)) {
    const double transfer = sc.network.ls_host_latency_s + frame_bytes(sc.network, f->w.size()) / sc.network.ls_host_bw_Bps + 1e-6;
    if (faults.overlaps(FaultKind::kPartition, "", t, t + transfer) || host_link_off) {
      for (const auto& w : f->w) lose(w);
      recycle(f);
      return nullptr;
    }
  }
  return f;
}

void tweet_loop(Context* c, SimQueue<Detection>& q, const std::function<void(const Detection&, const Post&)>& on_sent) {
  const TweetParams& tp = c->sc.pipeline.tweet;
  const bool outages = c->faults.any(FaultKind::kTweetOutage);
  const bool limits = c->faults.any(FaultKind::kRateLimit);
  for (;;) {
    Detection d = q.pop();
    Post p;
    p.detection_id = d.id;
    p.t_detected_s = sg::Engine::get_clock();
    PostOutcome outcome = PostOutcome::kSent;
    const auto when = c->poster.schedule(d, p.t_detected_s, outcome);
    if (!when) {
      p.outcome = outcome;
      c->trace.post(p);
      continue;
    }
    sg::this_actor::sleep_until(*when);
    p.text = c->poster.compose(d, c->sc.epoch_unix_s);
    sg::this_actor::sleep_for(tp.compose_s);
    for (;;) {
      if (limits) {  // rate_limit: the API refuses beyond the window's budget; wait for the next window
        const double now = sg::Engine::get_clock();
        const double admit = c->faults.rate_limit_admit(now);
        if (admit > now) sg::this_actor::sleep_until(admit);
      }
      ++p.attempts;
      if (p.attempts == 1) p.t_first_attempt_s = sg::Engine::get_clock();
      const bool down = outages && c->faults.is_active(FaultKind::kTweetOutage, "", sg::Engine::get_clock());
      sg::this_actor::sleep_for(c->tweet_rng.exponential(tp.api_latency_s));
      const bool ok = !down && !c->tweet_rng.bernoulli(tp.failure_probability);
      if (ok) {
        p.outcome = PostOutcome::kSent;
        p.t_done_s = sg::Engine::get_clock();
        c->poster.on_sent(p.t_done_s);
        ++c->stats.posts;
        if (on_sent) on_sent(d, p);
        break;
      }
      const auto delay = c->poster.retry_delay(p.attempts);
      if (!delay) {
        p.outcome = PostOutcome::kFailed;
        p.t_done_s = sg::Engine::get_clock();
        break;
      }
      sg::this_actor::sleep_for(*delay);
    }
    c->trace.post(p);
  }
}

}  // namespace peebot::engine
