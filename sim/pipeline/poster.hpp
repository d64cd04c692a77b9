// Poster: turns urination detections into tweets, with a cooldown between
// posts (policy "delay": wait for it; "drop": suppress), retries with
// exponential backoff, and the text. Bulk transfers are never posted.
#pragma once
#include <optional>
#include <string>

#include "params.hpp"
#include "records.hpp"

namespace peebot {

class Poster {
 public:
  explicit Poster(const TweetParams& p) : p_(p) {}
  // A detection reaches the poster at now_s: when to make the first attempt,
  // or nothing if it is not to be posted (outcome says why).
  std::optional<double> schedule(const Detection& d, double now_s, PostOutcome& outcome) const;
  // After `attempts` failed attempts: the delay before the next, or nothing to
  // give up. server_wait_s: the API's own wait (Retry-After, a rate-limit
  // reset), honoured when longer than the backoff (-1: none).
  std::optional<double> retry_delay(int attempts, double server_wait_s = -1) const;
  void on_sent(double t_s) { last_sent_s_ = t_s; has_sent_ = true; }
  // The tweet. epoch_unix_s places the detection on the UTC clock.
  std::string compose(const Detection& d, double epoch_unix_s) const;

 private:
  TweetParams p_;
  double last_sent_s_ = 0.0;
  bool has_sent_ = false;
};

}  // namespace peebot
