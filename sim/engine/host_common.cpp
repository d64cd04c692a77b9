// Actors more than one host architecture uses.
#include "context.hpp"

namespace peebot::engine {

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
