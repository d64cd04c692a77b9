// The ISS and the Lightstreamer server as both engines run them: what the
// downlink emits each frame period, and the server's MERGE, TIME_000001 and
// network faults each publish period. The actors engine moves their frames
// with SimGrid comms (actors.hpp); the event engine in closed form (feed.hpp).
#pragma once
#include <utility>
#include <vector>

#include "context.hpp"

namespace peebot::engine {

// The bytes of a frame of `updates` updates on the wire (network.frame_header + update each).
inline double frame_bytes(const NetworkParams& n, std::size_t updates) {
  return n.frame_header_bytes + n.update_bytes * static_cast<double>(updates);
}

// The ISS downlink: the world model and the background telemetry, one frame per period.
class Iss {
 public:
  explicit Iss(Context& c);
  // What the ISS emits up to t_next (after the previous call's t_next), as a
  // frame to send (nullptr when there is nothing to send). `link_on`: the
  // ISS -> TDRS link is up at t_next; when it is off the frame's updates are
  // lost and the next frame after LOS starts with a snapshot of every item.
  Frame* tick(double t_next, bool link_on);
  // The t_next of the last tick (0 before the first): how far the downlink has emitted.
  double t() const { return t_; }

 private:
  Context& c_;
  const bool skew_;
  double t_ = 0.0;
  bool need_snapshot_ = false;
  std::vector<Update> scratch_;
};

// The Lightstreamer server: frames from the ISS are MERGEd into the outbox;
// every network.signal_period the publisher sends the outbox with
// TIME_000001 (AOS/LOS), the duplicate and reorder faults applied.
class LightstreamerServer {
 public:
  explicit LightstreamerServer(Context& c);
  ~LightstreamerServer();
  LightstreamerServer(const LightstreamerServer&) = delete;
  LightstreamerServer& operator=(const LightstreamerServer&) = delete;

  // A frame from the ISS arrived at t: MERGEd into the outbox (an unchanged
  // value is not sent: its record closes as merged); f is recycled.
  void receive(Frame* f, double t);
  // One publisher tick at t: the frame to send, or nullptr when a partition
  // takes it (`host_link_off`: the link to our host is down now), its updates
  // lost. Re-sent and held-back updates wait inside, released when due or at
  // the `last` tick.
  Frame* publish(double t, bool last, bool host_link_off);

 private:
  Context& c_;
  std::vector<double> last_published_;  // MERGE: last value sent per item (NaN: none)
  Frame* outbox_ = nullptr;
  double last_iss_rx_s_ = -1e300;
  std::vector<std::pair<double, Wire>> held_;  // (release time, update): re-sent copies and held-back updates
};

}  // namespace peebot::engine
