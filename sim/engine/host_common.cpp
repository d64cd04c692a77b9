// What every host architecture shares: the tweet stage and the start of its processes.
#include "../pipeline/architecture.hpp"
#include "context.hpp"

namespace peebot::engine {

void HostPipeline::make_tweet_stage(Context* c) {
  if (architecture(c->sc.pipeline.architecture).posts_tweets)
    tweet_ = std::make_unique<TweetStage>(*c, [this](const Detection& d, const Post& p) { on_posted(d, p); });
}

sg::ActorPtr HostPipeline::start(Context* c) {
  make_tweet_stage(c);
  sg::ActorPtr receiver = start_processes(c);
  if (tweet_) tweet_->start();
  return receiver;
}

TweetStage::TweetStage(Context& c, OnSent on_sent)
    : c_(c), poster_(c.sc.pipeline.tweet), rng_(c.sc.seed, "tweet"), on_sent_(std::move(on_sent)) {}

void TweetStage::start() { daemon("tweet", c_.pf.peebot, [this] { main(); }); }

void TweetStage::main() {
  Context* c = &c_;
  const TweetParams& tp = c->sc.pipeline.tweet;
  const bool outages = c->faults.any(FaultKind::kTweetOutage);
  const bool limits = c->faults.any(FaultKind::kRateLimit);
  for (;;) {
    Detection d = q_.pop();
    Post p;
    p.detection_id = d.id;
    p.t_detected_s = sg::Engine::get_clock();
    PostOutcome outcome = PostOutcome::kSent;
    const auto when = poster_.schedule(d, p.t_detected_s, outcome);
    if (!when) {
      p.outcome = outcome;
      c->trace.post(p);
      continue;
    }
    sg::this_actor::sleep_until(*when);
    p.text = poster_.compose(d, c->sc.epoch_unix_s);
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
      sg::this_actor::sleep_for(rng_.exponential(tp.api_latency_s));
      const bool ok = !down && !rng_.bernoulli(tp.failure_probability);
      if (ok) {
        p.outcome = PostOutcome::kSent;
        p.t_done_s = sg::Engine::get_clock();
        poster_.on_sent(p.t_done_s);
        ++c->stats.posts;
        if (on_sent_) on_sent_(d, p);
        break;
      }
      const auto delay = poster_.retry_delay(p.attempts);
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
