// Detectors: fed telemetry samples in time order (any item; TIME_000001 ticks
// act as the feed's clock), they emit detections. No I/O, no clock of their
// own: the runtime stamps Detection::emitted_s with its time of emission.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "../../models/items.hpp"
#include "params.hpp"
#include "records.hpp"

namespace peebot {

struct Sample {
  double t_s = 0.0;      // feed time of the sample (the ISS TimeStamp, in run seconds)
  double value = 0.0;
  ItemId item = 0;
  std::int16_t status = kStatusAos;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  // Feeds one sample; appends any detection completed by it.
  virtual void on_sample(const Sample& s, std::vector<Detection>& out) = 0;
  // End of stream: closes an open event, if any.
  virtual void finish(std::vector<Detection>& out) = 0;
  // True while an event is open, i.e. while clock-only samples (TIME_000001)
  // can still close it. A runtime may skip clock-only samples otherwise.
  virtual bool event_open() const = 0;
};

// "step" or "rule"; throws std::invalid_argument for another kind.
std::unique_ptr<Detector> make_detector(const DetectorParams& p);

// A fixed-capacity-growth ring of (time, value) pairs: no allocation per sample once warm.
class SampleWindow {
 public:
  void push(double t, double v);
  void drop_before(double t);  // forget samples no longer in force at t (keeps the one in force)
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  double min_value() const;
  double time_at(std::size_t i) const { return t_[(head_ + i) & (cap_ - 1)]; }
  double value_at(std::size_t i) const { return v_[(head_ + i) & (cap_ - 1)]; }
  void clear() { head_ = size_ = 0; }

 private:
  std::vector<double> t_, v_;
  std::size_t head_ = 0, size_ = 0, cap_ = 0;
};

}  // namespace peebot
