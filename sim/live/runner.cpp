#include "runner.hpp"

#include <cstdio>

namespace peebot::live {

bool DryRunSink::post(const std::string& text, std::string&) {
  if (print_) std::printf("[dry-run] post: %s\n", text.c_str()), std::fflush(stdout);
  return true;
}

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
  if (trace_) {
    TelemetryRow row;
    row.t_s = now_s;
    row.t_emit_s = t_emit_s;
    row.iss_time_h = iss_time_h;
    row.value = value;
    row.seq = seq;
    row.status = status;
    trace_->telemetry(item, row);
  }
  if (item != kSignal || detector_->event_open()) {
    out_.clear();
    detector_->on_sample(Sample{t_emit_s, value, item, static_cast<std::int16_t>(status)}, out_);
    st.t_detected_s = now_s;
    for (auto& d : out_) {
      d.emitted_s = now_s;
      ++c_.detections;
      all_detections_.push_back(d);
      if (trace_) trace_->detection(d);
      if (on_detection) on_detection(d);
      Pending pd{d, Post{}, 0.0};
      pd.p.detection_id = d.id;
      pd.p.t_detected_s = now_s;
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

void Runner::post_due(double now_s) {
  while (!posts_.empty() && posts_.front().due_s <= now_s) {
    Pending pd = std::move(posts_.front());
    posts_.pop_front();
    if (pd.p.attempts == 0) pd.p.t_first_attempt_s = now_s;
    ++pd.p.attempts;
    std::string err;
    const bool ok = sink_ ? sink_->post(pd.p.text, err) : true;
    if (ok) {
      pd.p.outcome = PostOutcome::kSent;
      pd.p.t_done_s = now_s;
      poster_.on_sent(now_s);
      ++c_.posts_sent;
    } else {
      const auto delay = poster_.retry_delay(pd.p.attempts);
      if (delay) {
        pd.due_s = now_s + *delay;
        // Keep the queue ordered by due time.
        auto it = posts_.begin();
        while (it != posts_.end() && it->due_s <= pd.due_s) ++it;
        posts_.insert(it, std::move(pd));
        continue;
      }
      pd.p.outcome = PostOutcome::kFailed;
      pd.p.t_done_s = now_s;
      ++c_.posts_failed;
    }
    if (trace_) trace_->post(pd.p);
    if (on_post) on_post(pd.p);
  }
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
  for (auto& d : out_) {
    d.emitted_s = now_s;
    ++c_.detections;
    all_detections_.push_back(d);
    if (trace_) trace_->detection(d);
    if (on_detection) on_detection(d);
  }
  while (store_.pending()) {
    double service = 0;
    store_.take(service);
  }
  for (auto& st : pending_) {
    st.t_stored_s = now_s;
    if (trace_) trace_->stage(st);
  }
  pending_.clear();
  // Posts still waiting for their cooldown are recorded as not sent.
  for (auto& pd : posts_) {
    pd.p.outcome = PostOutcome::kFailed;
    if (trace_) trace_->post(pd.p);
  }
  posts_.clear();
}

}  // namespace peebot::live
