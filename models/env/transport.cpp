#include "transport.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace peebot {

void FifoServer::expire(double t_s) {
  while (head_ < segs_.size()) {
    Seg& s = segs_[head_];
    // Items of this batch departed by t: done(k) = first_done + k * per_item <= t.
    std::size_t gone = 0;
    if (t_s >= s.first_done_s) {
      // (a relative 1e-9 so that an item due exactly at t counts as departed despite rounding)
      gone = s.per_item_s > 0 ? static_cast<std::size_t>(std::floor((t_s - s.first_done_s) / s.per_item_s + 1e-9)) + 1 : s.n;
      gone = std::min(gone, s.n);
    }
    if (gone == 0) break;
    queued_ -= gone;
    s.first_done_s += static_cast<double>(gone) * s.per_item_s;
    s.n -= gone;
    if (s.n > 0) break;
    ++head_;
  }
  if (head_ == segs_.size()) { segs_.clear(); head_ = 0; }
  else if (head_ > 64 && head_ * 2 > segs_.size()) { segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(head_)); head_ = 0; }
}

std::size_t FifoServer::in_system(double t_s) {
  expire(t_s);
  return queued_;
}

FifoServer::Batch FifoServer::offer(double t_s, std::size_t n, double per_item_s, double overhead_s) {
  Batch b;
  b.offered = n;
  b.arrival_s = t_s;
  b.per_item_s = per_item_s;
  b.overhead_s = overhead_s;
  std::size_t room = n;
  if (capacity_ > 0) {
    const std::size_t in = in_system(t_s);
    room = in >= capacity_ ? 0 : std::min(n, capacity_ - in);
  } else {
    expire(t_s);
  }
  b.accepted = room;
  b.start_s = std::max(t_s, free_at_);
  dropped_ += n - room;
  if (room == 0) return b;
  accepted_ += room;
  segs_.push_back(Seg{b.done_s(0), per_item_s, room});
  queued_ += room;
  free_at_ = b.end_s();
  busy_ += overhead_s + static_cast<double>(room) * per_item_s;
  return b;
}

double Poller::next_at(double t_s) const {
  if (t_s <= phase_) return phase_;
  const double k = std::ceil((t_s - phase_) / period_);
  double at = phase_ + k * period_;
  if (at < t_s) at += period_;  // rounding
  return at;
}

ProducerAccumulator::ProducerAccumulator(int partitions, std::size_t batch_records, double linger_s)
    : open_(static_cast<std::size_t>(std::max(1, partitions))), batch_records_(std::max<std::size_t>(1, batch_records)),
      linger_s_(linger_s) {}

void ProducerAccumulator::add(double t_s, int p, std::size_t n, std::vector<Ready>& out) {
  Open& o = open_[static_cast<std::size_t>(p)];
  while (n > 0) {
    if (o.n == 0) o.opened_s = t_s;
    const std::size_t take = std::min(n, batch_records_ - o.n);
    o.n += take;
    n -= take;
    if (o.n == batch_records_) {
      out.push_back(Ready{p, o.n, o.opened_s});
      o.n = 0;
    }
  }
}

void ProducerAccumulator::expire(double t_s, std::vector<Ready>& out) {
  for (std::size_t p = 0; p < open_.size(); ++p) {
    Open& o = open_[p];
    if (o.n > 0 && o.opened_s + linger_s_ <= t_s) {
      out.push_back(Ready{static_cast<int>(p), o.n, o.opened_s});
      o.n = 0;
    }
  }
}

double ProducerAccumulator::next_deadline_s() const {
  double d = std::numeric_limits<double>::infinity();
  for (const Open& o : open_)
    if (o.n > 0) d = std::min(d, o.opened_s + linger_s_);
  return d;
}

std::size_t ProducerAccumulator::pending_total() const {
  std::size_t n = 0;
  for (const Open& o : open_) n += o.n;
  return n;
}

}  // namespace peebot
