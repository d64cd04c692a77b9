#include "actors.hpp"

#include <algorithm>
#include <optional>

#include "../util/progress.hpp"

namespace peebot::engine {

void FrameSender::send(sg::Mailbox* to, Frame* f) {
  Context& c = **live_;
  ++c.stats.frames;
  if (f->live != live_) f->live = live_;
  // A clean-up that captures nothing: std::function holds it without an allocation.
  to->put_init(f, static_cast<std::uint64_t>(frame_bytes(c.sc.network, f->w.size())))->detach([](void* p) {
    auto* fr = static_cast<Frame*>(p);
    if (Context* c = *fr->live) {
      for (const auto& w : fr->w) c->lose(w);
      c->recycle(fr);
    } else {
      delete fr;  // the run is over
    }
  });
}

void Downlink::main() {
  const double F = c_.sc.network.frame_interval_s;
  const double end = c_.sc.duration_s;
  while (iss_.t() < end) {
    const double t_next = std::min(end, iss_.t() + F);
    sg::this_actor::sleep_until(t_next);
    if (Frame* f = iss_.tick(t_next, c_.pf.iss_tdrs->is_on())) out_.send(to_, f);
  }
}

void LsReceiver::main() {
  for (;;) {
    Frame* f = nullptr;
    try {
      f = from_->get<Frame>();
    } catch (const simgrid::NetworkFailureException&) {
      continue;  // the frame died with the link (LOS); the sender's clean-up counts it lost
    }
    ls_.receive(f, sg::Engine::get_clock());
  }
}

void LsPublisher::main() {
  const double P = c_.sc.network.signal_period_s;
  const double end = c_.sc.duration_s + c_.opt.drain_s;
  for (double t = P; t <= end; t += P) {
    sg::this_actor::sleep_until(t);
    if (Frame* f = ls_.publish(t, t + P > end, !c_.pf.ls_host->is_on())) out_.send(to_, f);
  }
}

void Monitor::main() {
  const double period = c_.sc.trace.queue_sample_period_s;
  const double end = c_.sc.duration_s + c_.opt.drain_s;
  std::optional<ProgressBar> bar;
  if (c_.opt.progress) bar.emplace(c_.sc.duration_s);
  for (double t = period; t <= end + 1e-9; t += period) {
    sg::this_actor::sleep_until(std::min(t, end));
    const double now = sg::Engine::get_clock();
    host_.sample_queues(&c_, now);
    if (bar) bar->update(now);
  }
  if (bar) bar->finish();
}

}  // namespace peebot::engine
