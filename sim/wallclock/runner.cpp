#include "runner.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "../../models/iss_time.hpp"
#include "../tlcp/feed.hpp"
#include "../trace/player.hpp"

namespace peebot::live {

Runner::Runner(const PipelineParams& p, TraceWriter* trace, double epoch_unix_s, PostSink* sink, double flush_every_s)
    : p_(p), trace_(trace), epoch_(epoch_unix_s), sink_(sink), flush_every_s_(flush_every_s), dict_(0),
      ingest_(p.ingest, dict_), detector_(make_detector(p.detector)), store_(p.store), poster_(p.tweet) {}

void Runner::on_update(ItemId item, double now_s, double t_emit_s, double iss_time_h, double value, int status,
                       std::uint64_t seq) {
  if (c_.updates++ == 0) c_.first_update_s = now_s;
  c_.last_update_s = now_s;
  c_.lag_s = now_s - t_emit_s;
  Update u;
  u.item = item;
  u.t_emit_s = t_emit_s;
  u.value = value;
  u.seq = seq;
  u.status = static_cast<std::int16_t>(status);
  StageTimes st;
  st.seq = seq;
  st.item = item;
  st.t_emit_s = t_emit_s;
  st.t_received_s = now_s;
  const UpdateFate fate = ingest_.accept(u);
  st.fate = static_cast<std::uint8_t>(fate);
  st.t_ingested_s = now_s;
  if (fate != UpdateFate::kDelivered) {
    if (fate == UpdateFate::kDuplicate) ++c_.duplicates;
    else if (fate == UpdateFate::kStale) ++c_.stale;
    else ++c_.invalid;
    if (trace_) trace_->stage(st);
    return;
  }
  ++c_.accepted;
  if (item == kSignal) c_.los = status != kStatusAos;
  if (trace_) trace_->telemetry(item, received_row(u, now_s, iss_time_h, status));
  if (item != kSignal || detector_->event_open()) {
    out_.clear();
    detector_->on_sample(Sample{t_emit_s, value, item, static_cast<std::int16_t>(status)}, out_);
    st.t_detected_s = now_s;
    for (auto& d : out_) {
      record_detection(d, now_s);
      Pending pd{d, Post{}, 0.0};
      pd.p.detection_id = d.id;
      pd.p.t_detected_s = now_s;
      if (d.kind == DetectionKind::kUrination && state_ && state_->already_posted(epoch_ + d.onset_s)) {
        // Posted by an earlier run (restart): replay from the last decision.
        pd.p.outcome = PostOutcome::kSkipped;
        pd.p.text = "already posted before a restart (" + detection_key(epoch_ + d.onset_s) + ")";
        ++c_.posts_already;
        log("info", "detection #" + std::to_string(d.id) + " " + pd.p.text + ": not posted again");
        if (trace_) trace_->post(pd.p);
        if (on_post) on_post(pd.p);
        continue;
      }
      PostOutcome outcome = PostOutcome::kSent;
      const auto when = poster_.schedule(d, now_s, outcome);
      if (!when) {
        pd.p.outcome = outcome;
        if (outcome == PostOutcome::kSkipped) ++c_.posts_skipped;
        if (trace_) trace_->post(pd.p);
        if (on_post) on_post(pd.p);
        continue;
      }
      pd.due_s = *when;
      pd.p.text = poster_.compose(d, epoch_);
      posts_.push_back(std::move(pd));
    }
  }
  pending_.push_back(st);
  store_.add(now_s);
  if (store_.full()) commit(now_s);
  post_due(now_s);
}

void Runner::commit(double now_s) {
  while (store_.pending() > 0) {
    double service = 0;
    const std::size_t n = store_.take(service);
    ++c_.commits;
    // The oldest n records are committed now.
    for (std::size_t i = 0; i < n && i < pending_.size(); ++i) {
      pending_[i].t_stored_s = now_s;
      if (trace_) trace_->stage(pending_[i]);
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(std::min(n, pending_.size())));
    if (!store_.full()) break;
  }
  if (trace_ && now_s - last_flush_s_ >= flush_every_s_) {
    trace_->flush();
    last_flush_s_ = now_s;
    ++c_.flushes;
  }
}

void Runner::set_state(PostState* state) {
  state_ = state;
  // The cooldown runs on across a restart.
  if (state_ && state_->has_posted()) poster_.on_sent(state_->last_sent_unix() - epoch_);
}

void Runner::post_due(double now_s) {
  if (in_flight_) {
    if (in_flight_result_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    Pending pd = std::move(*in_flight_);
    in_flight_.reset();
    on_result(std::move(pd), in_flight_result_.get(), now_s);
  }
  while (!in_flight_ && !posts_.empty() && posts_.front().due_s <= now_s) {
    Pending pd = std::move(posts_.front());
    posts_.pop_front();
    if (pd.p.attempts == 0) {
      // The cooldown again, now: a post sent since this one was scheduled counts.
      PostOutcome outcome = PostOutcome::kSent;
      const auto when = poster_.schedule(pd.d, now_s, outcome);
      if (!when) {
        pd.p.outcome = outcome;
        pd.p.text.clear();
        if (trace_) trace_->post(pd.p);
        if (on_post) on_post(pd.p);
        continue;
      }
      if (*when > now_s) {
        pd.due_s = *when;
        auto it = posts_.begin();
        while (it != posts_.end() && it->due_s <= pd.due_s) ++it;
        posts_.insert(it, std::move(pd));
        continue;
      }
      pd.p.t_first_attempt_s = now_s;
    }
    ++pd.p.attempts;
    PostRequest req{pd.p.text, detection_key(epoch_ + pd.d.onset_s)};
    if (sink_ && sink_->blocking()) {
      // The HTTP request runs on its own thread: the feed keeps being read.
      in_flight_ = std::move(pd);
      PostSink* sink = sink_;
      in_flight_result_ = std::async(std::launch::async, [sink, req] { return sink->post(req); });
      return;
    }
    on_result(std::move(pd), sink_ ? sink_->post(req) : PostResult{}, now_s);
  }
}

void Runner::on_result(Pending pd, const PostResult& r, double now_s) {
  const std::string what = "post of detection #" + std::to_string(pd.d.id) + " (attempt " + std::to_string(pd.p.attempts) + ")";
  if (r.kind == PostResult::kSent) {
    pd.p.outcome = PostOutcome::kSent;
    pd.p.t_done_s = now_s;
    poster_.on_sent(now_s);
    ++c_.posts_sent;
    if (state_) {
      try {
        state_->record(detection_key(epoch_ + pd.d.onset_s), epoch_ + pd.d.onset_s, epoch_ + now_s, r.remote_id);
      } catch (const std::exception& e) {
        log("error", std::string("posted, but the post state could not be saved (a restart may post it again): ") + e.what());
      }
    }
    if (sink_ && sink_->blocking()) log("info", what + " accepted" + (r.remote_id.empty() ? "" : " as id " + r.remote_id));
  } else {
    const auto delay = r.kind == PostResult::kRetry ? poster_.retry_delay(pd.p.attempts, r.retry_after_s) : std::nullopt;
    if (delay) {
      ++c_.post_retries;
      char b[64];
      std::snprintf(b, sizeof b, "; retry in %.1f s", *delay);
      log("warn", what + " failed: " + r.error + b);
      pd.due_s = now_s + *delay;
      // Keep the queue ordered by due time.
      auto it = posts_.begin();
      while (it != posts_.end() && it->due_s <= pd.due_s) ++it;
      posts_.insert(it, std::move(pd));
      return;
    }
    log("error", what + " failed: " + r.error + (r.kind == PostResult::kRetry ? "; out of retries, given up" : "; given up"));
    pd.p.outcome = PostOutcome::kFailed;
    pd.p.t_done_s = now_s;
    ++c_.posts_failed;
  }
  if (trace_) trace_->post(pd.p);
  if (on_post) on_post(pd.p);
}

// A detection the detector emitted at now_s: stamped, counted, kept, recorded and announced.
void Runner::record_detection(Detection& d, double now_s) {
  d.emitted_s = now_s;
  ++c_.detections;
  all_detections_.push_back(d);
  if (trace_) trace_->detection(d);
  if (on_detection) on_detection(d);
}

void Runner::tick(double now_s) {
  if (store_.pending() && now_s >= store_.deadline_s()) commit(now_s);
  else if (trace_ && flush_every_s_ > 0 && now_s - last_flush_s_ >= flush_every_s_ && store_.pending() == 0 && c_.updates) {
    trace_->flush();
    last_flush_s_ = now_s;
    ++c_.flushes;
  }
  post_due(now_s);
}

void Runner::finish(double now_s) {
  out_.clear();
  detector_->finish(out_);
  for (auto& d : out_) record_detection(d, now_s);
  while (store_.pending()) {
    double service = 0;
    store_.take(service);
  }
  for (auto& st : pending_) {
    st.t_stored_s = now_s;
    if (trace_) trace_->stage(st);
  }
  pending_.clear();
  // A request in flight is waited for (its timeout bounds the wait).
  if (in_flight_) {
    Pending pd = std::move(*in_flight_);
    in_flight_.reset();
    on_result(std::move(pd), in_flight_result_.get(), now_s);
  }
  // Posts still waiting for their cooldown or a retry are recorded as not sent.
  for (auto& pd : posts_) {
    pd.p.outcome = PostOutcome::kFailed;
    if (trace_) trace_->post(pd.p);
  }
  posts_.clear();
}

double replay_trace(Runner& runner, const Trace& t) {
  const auto feed = feed_from_trace(t);
  std::int64_t year;
  unsigned month, day;
  civil_from_days(static_cast<std::int64_t>(std::floor(t.meta.epoch_unix_s / 86400.0)), year, month, day);
  FeedClock clock(static_cast<int>(year));
  FeedSequencer sequencer;  // one session: every row is new, also two in one second
  for (const auto& e : feed) {
    const double emit_unix = clock.unix_of(e.iss_time_h);
    const auto seq = sequencer.next(e.item, FeedClock::seq_of(emit_unix), e.value);
    runner.on_update(static_cast<ItemId>(e.item), e.t_s, emit_unix - t.meta.epoch_unix_s, e.iss_time_h, e.value,
                     e.status, seq);
    runner.tick(e.t_s);
  }
  return feed.empty() ? 0.0 : feed.back().t_s;
}

}  // namespace peebot::live
