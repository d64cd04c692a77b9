// Store: records wait in a batch that commits when it is full or when the
// oldest record has waited `flush_interval`, whichever comes first.
#pragma once
#include <algorithm>
#include <cstddef>

#include "params.hpp"

namespace peebot {

class StoreBatcher {
 public:
  explicit StoreBatcher(const StoreParams& p) : p_(p) {}
  // One record joined the batch at time now_s.
  void add(double now_s) { if (pending_ == 0) oldest_s_ = now_s; ++pending_; }
  std::size_t pending() const { return pending_; }
  bool full() const { return pending_ >= static_cast<std::size_t>(p_.batch_size); }
  // When the batch must be committed at the latest (infinity when empty).
  double deadline_s() const { return pending_ ? oldest_s_ + p_.flush_interval_s : 1e300; }
  // Adds n records at once.
  void add(double now_s, std::size_t n) { if (n == 0) return; if (pending_ == 0) oldest_s_ = now_s; pending_ += n; }
  // Takes one commit's worth (at most batch_size records): returns how many,
  // and the commit's service time. Records left behind keep their deadline.
  std::size_t take(double& service_s) {
    const std::size_t n = std::min(pending_, static_cast<std::size_t>(p_.batch_size));
    service_s = p_.service_per_batch_s + p_.service_per_record_s * static_cast<double>(n);
    pending_ -= n;
    return n;
  }

 private:
  StoreParams p_;
  std::size_t pending_ = 0;
  double oldest_s_ = 0.0;
};

}  // namespace peebot
