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

// A reading this high is a full tank (it reads 100 and flickers to 99).
constexpr double kFullPct = 99;

// Step detector (v2). Time-based throughout; works on the value in force
// (MERGE: a value holds until the next one), so irregular sampling and gaps
// need no special case.
//  - Baseline: the time-weighted median of the level over the last `window`
//    seconds. A median, not a minimum: +-1 % flicker moves neither the
//    baseline nor (being below min_rise_pct) the trigger.
//  - Trigger: a sample at least min_rise_pct above the baseline opens an
//    event. Onset: the first sample above the baseline after the last one at
//    or below it; onset_lo: that last sample's time, so a rise that straddles
//    a gap gets an onset window spanning the gap.
//  - Emission (a detection is emitted once): when the level has made no new
//    high for `quiet` seconds, or earlier, `confirm` seconds after the
//    trigger, if the rise so far is slower than bulk_rate_pct_per_min and
//    smaller than bulk_rise_pct (urination-like: a bulk transfer is fast and
//    large; a fast rise waits for its end and is classified by size).
//    The rise so far is the time-weighted median level since the trigger
//    minus the baseline, so a flicker to the trigger level that falls back
//    never qualifies. An early detection carries that size (a lower bound).
//    The settled level is the time-weighted median since the last new high;
//    an event whose settled level falls back below min_rise_pct over the
//    baseline was a spike and emits nothing.
//  - Kind: bulk transfer when the size is >= bulk_rise_pct, or, for an event
//    that waited for its end, >= 2/3 of it at bulk_rate_pct_per_min or faster
//    (a transfer cut short by a full tank; such a rise, once it has reached
//    the top of the tank fast, is never emitted early), or when the event
//    starts within `bulk_hold` seconds of the end of a bulk transfer (its tail);
//    urination otherwise.
//  - After an emission the event stays open (absorbing the rest of its rise)
//    until quiet/2 seconds without a new high and at least quiet/3 seconds
//    after the emission; the next event's baseline
//    starts from there, so two uses in quick succession separated by a
//    settle are told apart.
//  - Time: tank samples carry the ISS TimeStamp; the feed clock
//    (TIME_000001) is ground time, ahead by the path latency (and any clock
//    skew). The detector learns that lag (clock time minus the time of the
//    tank sample that arrived just before it) and reads clock ticks as ISS
//    time = clock - lag, so quiet periods are measured in the tank's time.
//    Samples of the other ISS items (UPA state, water tanks) carry ISS time
//    themselves and move time on directly.
class StepDetector final : public Detector {
 public:
  explicit StepDetector(const DetectorParams& p) : p_(p) {}
  std::string_view name() const override { return "step"; }

  void on_sample(const Sample& s, std::vector<Detection>& out) override {
    if (s.item == kSignal) {
      if (tank_since_clock_) { lag_ = std::max(0.0, s.t_s - last_tank_t_); has_lag_ = true; tank_since_clock_ = false; }
      if (has_lag_) tick(s.t_s - lag_, out);
      return;
    }
    if (s.item != kUrineTank) {
      // Any other ISS item (UPA state, water tanks) carries an ISS TimeStamp:
      // time has moved on to it, no lag to learn.
      if (std::isfinite(s.t_s)) tick(s.t_s, out);
      return;
    }
    tank_since_clock_ = true;
    last_tank_t_ = s.t_s;
    tick(s.t_s, out);
    if (state_ == kIdle) {
      window_.drop_before(s.t_s - p_.window_s);
      if (!window_.empty()) {
        const double base = weighted_median(window_, s.t_s - p_.window_s, s.t_s);
        if (s.value >= base + p_.min_rise_pct) open(s, base);
      }
    } else if (s.value > peak_) {
      peak_ = s.value;
      last_rise_ = s.t_s;
    }
    window_.push(s.t_s, s.value);
  }

  void finish(std::vector<Detection>& out) override {
    if (state_ == kRising) emit(last_t_, out);
    state_ = kIdle;
  }
  bool event_open() const override { return state_ != kIdle; }

 private:
  enum State { kIdle, kRising, kEmitted };

  void open(const Sample& s, double base) {
    state_ = kRising;
    base_ = base;
    peak_ = s.value;
    last_rise_ = trigger_t_ = s.t_s;
    onset_ = s.t_s;
    onset_lo_ = window_.time_at(0);
    for (std::size_t i = window_.size(); i-- > 0;) {
      if (window_.value_at(i) <= base) { onset_lo_ = window_.time_at(i); break; }
      onset_ = window_.time_at(i);
    }
    fast_ = false;
    const double prev_end = bulk_end_;
    tail_of_bulk_ = prev_end > -1e299 && onset_lo_ - prev_end <= p_.bulk_hold_s;
  }

  // Time moves on to t (ISS time): emit or close the event when due.
  void tick(double t, std::vector<Detection>& out) {
    last_t_ = std::max(last_t_, t);
    if (state_ == kIdle) return;
    const double now = last_t_;
    // An emitted event closes after half of `quiet` without a new high, so a
    // second use starting soon after the first ends (a toilet turnaround of
    // ~15 s) rises over a new baseline and is a use of its own.
    const double idle = now - last_rise_;
    // It also stays open quiet/3 past its emission: a slow use whose level
    // stalled on a flicker high is emitted late in the stall and must not be
    // closed (and its rest split off as a second use) at once.
    const bool emitted_done = state_ == kEmitted && idle >= p_.quiet_s / 2 && now - emitted_at_ >= p_.quiet_s / 3;
    if ((state_ == kRising && idle >= p_.quiet_s) || emitted_done) {
      if (state_ == kRising) emit(now, out);
      // The event is over: restart the baseline from the settled level.
      const double settled = level_since(last_rise_, now);
      state_ = kIdle;
      window_.clear();
      window_.push(last_rise_, settled);
      return;
    }
    if (state_ == kRising && p_.confirm_s > 0 && now - trigger_t_ >= p_.confirm_s) {
      // Held: the median level since the trigger; rate: the level now over the time since onset.
      const double held = level_since(trigger_t_, now) - base_;
      const double rise = window_.value_at(window_.size() - 1) - base_;
      const double minutes = std::max(now - onset_, 1.0) / 60.0;
      // A fast large rise that has reached the top of the tank is a bulk
      // transfer cut short by the full tank: once seen, never emitted early
      // (after it stops, its rate since onset falls below bulk_rate).
      if (peak_ >= kFullPct && rise >= p_.bulk_rise_pct * 2 / 3 && rise / minutes >= p_.bulk_rate_pct_per_min)
        fast_ = true;
      if (!tail_of_bulk_ && !fast_ && held >= p_.min_rise_pct && rise < p_.bulk_rise_pct &&
          rise / minutes < p_.bulk_rate_pct_per_min)
        emit(now, out);
    }
  }

  // Time-weighted median of the level in force over [from, to], from the window.
  double level_since(double from, double to) {
    if (window_.empty()) return peak_;
    return weighted_median(window_, from, to);
  }

  double weighted_median(const SampleWindow& w, double from, double to) {
    scratch_.clear();
    double total = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double a = std::max(from, w.time_at(i));
      const double b = i + 1 < w.size() ? std::min(to, w.time_at(i + 1)) : to;
      const double dur = b - a;
      if (dur > 0) { scratch_.push_back({w.value_at(i), dur}); total += dur; }
    }
    if (scratch_.empty()) return w.value_at(w.size() - 1);
    std::sort(scratch_.begin(), scratch_.end());
    double acc = 0;
    for (const auto& [v, dur] : scratch_) {
      acc += dur;
      if (acc >= total / 2) return v;
    }
    return scratch_.back().first;
  }

  void emit(double now, std::vector<Detection>& out) {
    // Settled (no new high for `quiet`): the median level since the last high.
    // Early: the median level since the trigger (the rise so far).
    const bool settled = now - last_rise_ >= p_.quiet_s;
    const double level = level_since(settled ? last_rise_ : trigger_t_, now);
    const double size = level - base_;
    state_ = kEmitted;
    emitted_at_ = now;
    if (size < p_.min_rise_pct) return;  // a spike: fell back
    Detection d;
    d.id = ++next_id_;
    d.onset_s = onset_;
    d.onset_lo_s = onset_lo_;
    d.end_s = last_rise_;
    d.size_pct = size;
    d.size_ml = ml_of(p_, d.size_pct);
    // Bulk: large, or the tail of one, or fast and at least 2/3 of large (a
    // transfer cut short by a full tank: it rose at a transfer's pace).
    const double rate = size / (std::max(last_rise_ - onset_, 1.0) / 60.0);
    const bool bulk = size >= p_.bulk_rise_pct || tail_of_bulk_ || fast_ ||
                      (settled && size >= p_.bulk_rise_pct * 2 / 3 && rate >= p_.bulk_rate_pct_per_min);
    d.kind = bulk ? DetectionKind::kBulkTransfer : DetectionKind::kUrination;
    d.confidence = static_cast<float>(std::min(0.99, 0.5 + 0.1 * d.size_pct));
    if (bulk) bulk_end_ = now;
    out.push_back(d);
  }

  DetectorParams p_;
  SampleWindow window_;
  std::vector<std::pair<double, double>> scratch_;
  State state_ = kIdle;
  double base_ = 0, peak_ = 0, onset_ = 0, onset_lo_ = 0, last_rise_ = 0, trigger_t_ = 0, last_t_ = -1e300;
  double bulk_end_ = -1e300;
  bool tail_of_bulk_ = false;
  bool fast_ = false;       // fast, large and at the top of the tank: a bulk cut short, not emitted early
  double emitted_at_ = 0;   // when the event was emitted
  double lag_ = 0, last_tank_t_ = 0;
  bool has_lag_ = false, tank_since_clock_ = false;
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
