#include "detector.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace peebot {

void SampleWindow::push(double t, double v) {
  if (size_ == cap_) {
    const std::size_t ncap = cap_ ? cap_ * 2 : 64;
    std::vector<double> nt(ncap), nv(ncap);
    for (std::size_t i = 0; i < size_; ++i) { nt[i] = time_at(i); nv[i] = value_at(i); }
    t_.swap(nt); v_.swap(nv); head_ = 0; cap_ = ncap;
  }
  const std::size_t at = (head_ + size_) & (cap_ - 1);
  t_[at] = t; v_[at] = v; ++size_;
}

void SampleWindow::drop_before(double t) {
  // Keep the last sample at or before t: under MERGE its value holds until the next one.
  while (size_ > 1 && time_at(1) <= t) { head_ = (head_ + 1) & (cap_ - 1); --size_; }
}

double SampleWindow::min_value() const {
  double m = INFINITY;
  for (std::size_t i = 0; i < size_; ++i) m = std::min(m, value_at(i));
  return m;
}

namespace {

double ml_of(const DetectorParams& p, double pct) { return pct / 100.0 * p.tank_capacity_ml; }

// Step detector (first version): a rise of at least min_rise_pct over the
// minimum of the last `window` seconds confirms a use; ±1 % flicker never
// does. The event grows while new highs arrive and ends after `quiet`
// seconds without one; its size is peak − baseline. Large events are bulk
// transfers. onset_lo is the last sample at the baseline, so a rise that
// straddles a gap gets an onset window spanning the gap.
class StepDetector final : public Detector {
 public:
  explicit StepDetector(const DetectorParams& p) : p_(p) {}
  std::string_view name() const override { return "step"; }

  void on_sample(const Sample& s, std::vector<Detection>& out) override {
    maybe_close(s.t_s, out);
    if (s.item != kUrineTank) return;
    if (!in_event_) {
      window_.drop_before(s.t_s - p_.window_s);
      const double base = window_.empty() ? s.value : std::min(window_.min_value(), s.value);
      if (!window_.empty() && s.value >= base + p_.min_rise_pct) {
        in_event_ = true;
        base_ = base;
        peak_ = s.value;
        last_rise_ = s.t_s;
        // Onset: the first sample above the baseline after the last one at it.
        onset_ = s.t_s;
        onset_lo_ = window_.time_at(0);
        for (std::size_t i = window_.size(); i-- > 0;) {
          if (window_.value_at(i) <= base) { onset_lo_ = window_.time_at(i); break; }
          onset_ = window_.time_at(i);
        }
      }
      window_.push(s.t_s, s.value);
      return;
    }
    if (s.value > peak_) { peak_ = s.value; last_rise_ = s.t_s; }
    window_.push(s.t_s, s.value);
  }

  void finish(std::vector<Detection>& out) override { if (in_event_) close(last_rise_, out); }
  bool event_open() const override { return in_event_; }

 private:
  void maybe_close(double t, std::vector<Detection>& out) {
    if (in_event_ && t - last_rise_ >= p_.quiet_s) close(last_rise_, out);
  }
  void close(double end, std::vector<Detection>& out) {
    Detection d;
    d.id = ++next_id_;
    d.onset_s = onset_;
    d.onset_lo_s = onset_lo_;
    d.end_s = end;
    d.size_pct = peak_ - base_;
    d.size_ml = ml_of(p_, d.size_pct);
    d.kind = d.size_pct >= p_.bulk_rise_pct ? DetectionKind::kBulkTransfer : DetectionKind::kUrination;
    d.confidence = static_cast<float>(std::min(0.99, 0.5 + 0.1 * d.size_pct));
    out.push_back(d);
    in_event_ = false;
    window_.clear();
    window_.push(end, peak_);
  }

  DetectorParams p_;
  SampleWindow window_;
  bool in_event_ = false;
  double base_ = 0, peak_ = 0, onset_ = 0, onset_lo_ = 0, last_rise_ = 0;
  std::uint64_t next_id_ = 0;
};

// The public rule of the isspiss site (XaviACLM/isspiss PissMonitor.ts), the
// baseline to beat: after any decrease ignore rises for `rule_guard`; a rise
// outside that window starts or extends an event; `rule_end` without a rise
// ends it.
class RuleDetector final : public Detector {
 public:
  explicit RuleDetector(const DetectorParams& p) : p_(p) {}
  std::string_view name() const override { return "rule"; }

  void on_sample(const Sample& s, std::vector<Detection>& out) override {
    if (in_event_ && s.t_s - last_rise_ >= p_.rule_end_s) close(out);
    if (s.item != kUrineTank) return;
    if (has_last_) {
      if (s.value < last_) {
        last_decrease_ = s.t_s;
      } else if (s.value > last_ && s.t_s - last_decrease_ >= p_.rule_guard_s) {
        if (!in_event_) { in_event_ = true; onset_ = s.t_s; onset_lo_ = last_t_; start_ = last_; }
        last_rise_ = s.t_s;
        peak_ = s.value;
      }
    }
    has_last_ = true;
    last_ = s.value;
    last_t_ = s.t_s;
  }
  void finish(std::vector<Detection>& out) override { if (in_event_) close(out); }
  bool event_open() const override { return in_event_; }

 private:
  void close(std::vector<Detection>& out) {
    Detection d;
    d.id = ++next_id_;
    d.onset_s = onset_;
    d.onset_lo_s = onset_lo_;
    d.end_s = last_rise_;
    d.size_pct = peak_ - start_;
    d.size_ml = ml_of(p_, d.size_pct);
    d.kind = DetectionKind::kUrination;
    d.confidence = 0.5f;
    out.push_back(d);
    in_event_ = false;
  }

  DetectorParams p_;
  bool has_last_ = false, in_event_ = false;
  double last_ = 0, last_t_ = 0, last_decrease_ = -1e300, last_rise_ = 0, onset_ = 0, onset_lo_ = 0, start_ = 0, peak_ = 0;
  std::uint64_t next_id_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_detector(const DetectorParams& p) {
  if (p.kind == "step") return std::make_unique<StepDetector>(p);
  if (p.kind == "rule") return std::make_unique<RuleDetector>(p);
  throw std::invalid_argument("unknown detector kind \"" + p.kind + "\", expected \"step\" or \"rule\"");
}

}  // namespace peebot
