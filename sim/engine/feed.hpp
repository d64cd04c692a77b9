// The feed from the ISS to our host in closed form (the "event" engine,
// docs/architecture.md "Where a simulated second goes"): the downlink, the
// Lightstreamer server (MERGE, TIME_000001, publisher) and the two network
// hops, computed frame by frame in the order the reference actors of actors.cpp
// (engine "actors") move them, without one SimGrid activity per frame.
//
// What makes that exact: both hops are fixed routes that carry one frame at
// a time (a frame's transfer, size / bottleneck bandwidth, ends before the
// next frame's starts; checked for every frame), so CM02 delivers a frame in
// route latency + size / bottleneck bandwidth. The ISS -> TDRS link is off
// during the LOS windows of the platform's state profile (the same windows,
// rounded to the profile's "%.9g" as SimGrid reads them): a frame is not sent
// while it is off and dies in flight when LOS begins before it arrives.
// Partitions of the Lightstreamer -> host link are checked by the publisher
// before it sends, as in the reference engine.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ground.hpp"

namespace peebot::engine {

// A frame as it reaches our host, at t_s.
struct HostFrame {
  Frame* f = nullptr;
  double t_s = 0.0;
};

// Half-open windows [start, end) during which a link is off, as SimGrid's
// state profile holds them; queried with non-decreasing times.
class LinkOff {
 public:
  explicit LinkOff(const std::vector<LosWindow>& windows);
  bool off(double t);                      // t must not decrease between calls
  bool starts_in(double t0, double t1);    // a window starts in (t0, t1]; t0 must not decrease

 private:
  std::vector<std::pair<double, double>> w_;
  std::size_t i_ = 0, j_ = 0;
};

class FeedPath {
 public:
  explicit FeedPath(Context* c);
  ~FeedPath();
  FeedPath(const FeedPath&) = delete;
  FeedPath& operator=(const FeedPath&) = delete;

  // Why this scenario's feed cannot be computed in closed form (a hop could
  // carry two frames at once: bandwidth shared, which SimGrid must solve);
  // empty when it can.
  static std::string unsupported(const Scenario& sc);

  // The next frame that reaches our host, in arrival order; false once the
  // publisher has made its last tick (everything after is never delivered).
  bool next(HostFrame& out);
  // When the publisher makes its last tick (scenario end + drain).
  double last_tick_s() const { return last_tick_; }
  // The run ended at t_end: frames that reached the Lightstreamer server by
  // then are MERGEd (never published); those still in flight are lost, as
  // the actors engine's detached comms are when the simulation stops.
  void finish(double t_end);

 private:
  void iss_step();             // one downlink period
  void deliver_to_ls(double upto);  // the receiver: frames arrived by `upto`, MERGEd into the outbox
  bool publish(double t, HostFrame& out);  // one publisher tick; false when nothing was sent

  Context* c_;
  double F_, P_, dur_, end_;
  double iss_lat_, iss_bw_, host_lat_, host_bw_;
  // ISS downlink
  Iss iss_;
  LinkOff los_;
  double iss_free_ = -1e300;  // when the ISS path finishes transmitting its last frame
  Ring<HostFrame> to_ls_;     // frames in flight to the Lightstreamer server, in arrival order
  // Lightstreamer server
  double pub_t_;              // next tick
  double last_tick_;
  bool partition_;
  LinkOff partitions_;
  LightstreamerServer ls_;
  double host_free_ = -1e300;
  double last_arrival_ = -1e300;
};

}  // namespace peebot::engine
