// The actors engine's processes besides the host pipeline's (run.cpp starts
// them): the ISS downlink, the Lightstreamer server's receiver and
// publisher, and the monitor. Each is a small class that owns its state and
// has one main() that SimGrid runs (the WRENCH daemon pattern); what they
// share is the run's Context and the Lightstreamer server's state.
#pragma once
#include <memory>

#include "ground.hpp"

namespace peebot::engine {

// Sends frames without waiting for them (detached comms). A frame whose comm
// fails (LOS began while it was in flight) has its updates recorded as lost;
// once the sender is gone (the run is over) such a frame is only freed.
class FrameSender {
 public:
  explicit FrameSender(Context& c) : live_(std::make_shared<Context*>(&c)) {}
  ~FrameSender() { *live_ = nullptr; }
  FrameSender(const FrameSender&) = delete;
  FrameSender& operator=(const FrameSender&) = delete;
  void send(sg::Mailbox* to, Frame* f);

 private:
  std::shared_ptr<Context*> live_;  // shared with the frames it sent (Frame::live), for their comms' clean-up
};

// The ISS: every network.frame_interval the world's and the background's
// updates, as a frame to the Lightstreamer server (none while the ISS -> TDRS link is off).
class Downlink {
 public:
  Downlink(Context& c, FrameSender& out, sg::Mailbox* to) : c_(c), iss_(c), out_(out), to_(to) {}
  void main();

 private:
  Context& c_;
  Iss iss_;
  FrameSender& out_;
  sg::Mailbox* to_;
};

// The Lightstreamer server's receiver: every frame from the ISS into the outbox.
class LsReceiver {
 public:
  LsReceiver(LightstreamerServer& ls, sg::Mailbox* from) : ls_(ls), from_(from) {}
  void main();

 private:
  LightstreamerServer& ls_;
  sg::Mailbox* from_;
};

// The Lightstreamer server's publisher: every network.signal_period the
// outbox, with TIME_000001, to our host.
class LsPublisher {
 public:
  LsPublisher(Context& c, LightstreamerServer& ls, FrameSender& out, sg::Mailbox* to) : c_(c), ls_(ls), out_(out), to_(to) {}
  void main();

 private:
  Context& c_;
  LightstreamerServer& ls_;
  FrameSender& out_;
  sg::Mailbox* to_;
};

// Samples the host's queue depths every trace.queue_sample_period and draws
// the progress bar; its end ends the run (the other processes are daemons).
class Monitor {
 public:
  Monitor(Context& c, HostPipeline& host) : c_(c), host_(host) {}
  void main();

 private:
  Context& c_;
  HostPipeline& host_;
};

}  // namespace peebot::engine
