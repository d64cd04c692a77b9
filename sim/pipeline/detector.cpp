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
      if (s.status != kStatusAos) {
        note_los();
        if (has_lag_) tick(s.t_s - lag_, out);
        return;
      }
      if (has_lag_) { note_heard(s.t_s - lag_); tick(s.t_s - lag_, out); }
      return;
    }
    if (s.item != kUrineTank) {
      // Any other ISS item (UPA state, water tanks) carries an ISS TimeStamp:
      // time has moved on to it, no lag to learn.
      if (s.item == kUpaState) upa_processing_ = s.value == static_cast<double>(UpaState::kNormal);
      if (std::isfinite(s.t_s)) { note_heard(s.t_s); tick(s.t_s, out); }
      return;
    }
    tank_since_clock_ = true;
    last_tank_t_ = s.t_s;
    note_heard(s.t_s);
    const bool had_prev = has_prev_tank_;
    const double prev_v = prev_tank_v_, prev_t = prev_tank_t_;
    has_prev_tank_ = true;
    prev_tank_t_ = s.t_s;
    prev_tank_v_ = s.value;
    tick(s.t_s, out);
    if (state_ == kIdle) {
      // A step of min_rise_pct or more in one sample: level data were missed
      // since the previous tank sample (a sensor read every second and MERGE
      // send each 1 % change), a hole even when the rest of the feed went on.
      if (!has_hole_ && had_prev && s.value - prev_v >= p_.min_rise_pct) {
        has_hole_ = true;
        hole_lo_ = prev_t;
        hole_hi_ = s.t_s;
        hole_upa_processing_ = false;
      }
      if (has_hole_ && after_hole(s, out)) return;
      window_.drop_before(s.t_s - p_.window_s);
      if (!window_.empty()) {
        const double base = weighted_median(window_, s.t_s - p_.window_s, s.t_s);
        if (s.value >= base + p_.min_rise_pct) open(s, base);
      }
    } else if (s.value > peak_) {
      peak_ = s.value;
      last_rise_ = s.t_s;
    }
    has_hole_ = false;  // an open event takes the level across the hole as its own
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
    for (std::size_t i = window_.size(); i-- > 0;) {
      if (window_.value_at(i) <= base) break;
      onset_ = window_.time_at(i);
    }
    // No hole before it (holes go through after_hole): the level was seen
    // at the baseline until its first step up, so the onset is known to the
    // feed's resolution; onset_lo spans a hole only.
    onset_lo_ = onset_;
    rate_t0_ = onset_;
    rate_v0_ = base;
    fast_ = no_early_ = cut_ = false;
    // The tail of a bulk transfer: measured from the first rise seen, not
    // from onset_lo (which can lie minutes before the rise).
    tail_of_bulk_ = bulk_end_ > -1e299 && onset_ - bulk_end_ <= p_.bulk_hold_s;
  }

  // Hole bookkeeping. heard_t_: the latest ISS time at which the feed was
  // live (any ISS item, or the feed clock in AOS). A hole: LOS on the feed
  // clock, or no ISS item heard for more than `hole` (a partition, a logger
  // outage). has_hole_: a hole lies between the last tank sample and the next.
  void note_heard(double t) {
    if (los_) {
      los_ = false;
      end_hole(t);
    } else if (heard_t_ > -1e299 && t - heard_t_ > p_.hole_s) {
      begin_hole(heard_t_);
      end_hole(t);
    }
    heard_t_ = std::max(heard_t_, t);
  }
  void note_los() {
    if (los_) return;
    los_ = true;
    begin_hole(heard_t_ > -1e299 ? heard_t_ : last_t_);
  }
  void begin_hole(double lo) {
    hole_upa_processing_ = has_hole_ ? hole_upa_processing_ && upa_processing_ : upa_processing_;
    hole_lo_ = has_hole_ ? std::min(hole_lo_, lo) : lo;
    has_hole_ = true;
    // A rise not yet emitted is cut by the hole: it is neither emitted nor
    // closed until the feed returns (its rate since onset would fall under
    // bulk_rate while the level in force stands still: bulk-transfers seed 15).
    if (state_ == kRising) cut_ = true;
  }
  void end_hole(double hi) {
    hole_hi_ = hi;
    if (cut_) {
      // Resumed: the rise continues across the hole (a new high after it is
      // the same event); its rate is unknown across the hole, so it is not
      // emitted early but classified by its size when it ends.
      cut_ = false;
      no_early_ = true;
      last_rise_ = std::max(last_rise_, hi);
    }
  }

  // The first tank sample after a hole, no event open: a level that resumes
  // at least min_rise_pct above the level before the hole is explained as a
  // use during the hole (onset interval [hole start, this sample]); true when
  // the sample was taken by such an explanation.
  bool after_hole(const Sample& s, std::vector<Detection>& out) {
    has_hole_ = false;
    if (window_.empty()) return false;
    const double lo = hole_lo_;
    // The level in force before the hole: the median over the window before
    // it (robust to a flicker high just before the hole).
    double base = std::min(weighted_median(window_, lo - p_.window_s, lo),
                           weighted_median(window_, s.t_s - p_.window_s, s.t_s));
    // The UPA processing before and after the hole drained the tank meanwhile
    // (~1 % per 4.5 min): a use is a rise over the level expected now.
    if (hole_upa_processing_ && upa_processing_) base -= p_.drain_pct_per_min * (s.t_s - lo) / 60.0;
    if (s.value < base + p_.min_rise_pct) return false;
    const bool tail = bulk_end_ > -1e299 && lo - bulk_end_ <= p_.bulk_hold_s;
    if (s.t_s - hole_hi_ > kSnapshotS) {
      // The level changed only well after the feed returned (after a
      // partition the server does not resend a value it thinks delivered):
      // this sample is a fresh change (often the first step of the next use).
      // The rise across the hole is explained now, and the level from here
      // on starts a new baseline, so the next use is detected normally.
      Detection d = make(lo, s.t_s, s.t_s, s.value - base, s.value - base >= p_.bulk_rise_pct || tail);
      bulk_end_ = d.kind == DetectionKind::kBulkTransfer ? s.t_s : bulk_end_;
      out.push_back(d);
      window_.clear();
      window_.push(s.t_s, s.value);
      return true;
    }
    // The level at the feed's return (the snapshot at AOS): an event from the
    // level before the hole, whose rate is measured from here on (a bulk
    // transfer still running is fast from here; a use in progress is not).
    state_ = kRising;
    base_ = base;
    peak_ = s.value;
    last_rise_ = trigger_t_ = onset_ = s.t_s;
    onset_lo_ = lo;
    rate_t0_ = s.t_s;
    rate_v0_ = s.value;
    fast_ = no_early_ = cut_ = false;
    tail_of_bulk_ = tail;
    window_.push(s.t_s, s.value);
    return true;
  }

  // Time moves on to t (ISS time): emit or close the event when due.
  void tick(double t, std::vector<Detection>& out) {
    last_t_ = std::max(last_t_, t);
    if (state_ == kIdle || cut_) return;  // a cut rise waits for the feed's return
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
      const double level = window_.value_at(window_.size() - 1);
      const double rise = level - base_;
      // Rate: of the rise seen (from onset, or from the feed's return after a hole).
      const double rate = (level - rate_v0_) / (std::max(now - rate_t0_, 1.0) / 60.0);
      // A fast large rise that has reached the top of the tank is a bulk
      // transfer cut short by the full tank: once seen, never emitted early
      // (after it stops, its rate since onset falls below bulk_rate).
      if (peak_ >= kFullPct && level - rate_v0_ >= p_.bulk_rise_pct * 2 / 3 && rate >= p_.bulk_rate_pct_per_min)
        fast_ = true;
      if (!tail_of_bulk_ && !fast_ && !no_early_ && held >= p_.min_rise_pct && rise < p_.bulk_rise_pct &&
          rate < p_.bulk_rate_pct_per_min)
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
    // Bulk: large, or the tail of one, or fast and at least 2/3 of large (a
    // transfer cut short by a full tank: it rose at a transfer's pace; after
    // a hole, the part seen after it must be so).
    const double seen = level - rate_v0_;
    const double rate = seen / (std::max(last_rise_ - rate_t0_, 1.0) / 60.0);
    const bool bulk = size >= p_.bulk_rise_pct || tail_of_bulk_ || fast_ ||
                      (settled && seen >= p_.bulk_rise_pct * 2 / 3 && rate >= p_.bulk_rate_pct_per_min);
    if (bulk) bulk_end_ = now;
    out.push_back(make(onset_lo_, onset_, last_rise_, size, bulk));
  }

  Detection make(double onset_lo, double onset, double end, double size, bool bulk) {
    Detection d;
    d.id = ++next_id_;
    d.onset_s = onset;
    d.onset_lo_s = onset_lo;
    d.end_s = end;
    d.size_pct = size;
    d.size_ml = ml_of(p_, d.size_pct);
    d.kind = bulk ? DetectionKind::kBulkTransfer : DetectionKind::kUrination;
    d.confidence = static_cast<float>(std::min(0.99, 0.5 + 0.1 * d.size_pct));
    return d;
  }

  // After a hole, a tank sample within this long of the feed's return is the
  // level at its return (the snapshot at AOS), not a change made after it.
  static constexpr double kSnapshotS = 10;

  DetectorParams p_;
  SampleWindow window_;
  std::vector<std::pair<double, double>> scratch_;
  State state_ = kIdle;
  double base_ = 0, peak_ = 0, onset_ = 0, onset_lo_ = 0, last_rise_ = 0, trigger_t_ = 0, last_t_ = -1e300;
  double bulk_end_ = -1e300;
  bool tail_of_bulk_ = false;
  bool fast_ = false;       // fast, large and at the top of the tank: a bulk cut short, not emitted early
  bool no_early_ = false;   // the rise continued across a hole: its rate is unknown, wait for its end
  bool cut_ = false;        // a hole began while the rise was open: frozen until the feed returns
  double rate_t0_ = 0, rate_v0_ = 0;  // the rate is measured from here (onset and base; after a hole, its first sample)
  double heard_t_ = -1e300; // the latest ISS time at which the feed was heard live
  bool los_ = false;        // the feed clock says LOS
  bool has_hole_ = false;   // a hole since the last tank sample ...
  double hole_lo_ = 0, hole_hi_ = 0;  // ... from the feed last heard to its return
  bool has_prev_tank_ = false;
  bool upa_processing_ = false, hole_upa_processing_ = false;  // NODE3000004 = 16 NORMAL (now; at the hole's start)
  double prev_tank_t_ = 0, prev_tank_v_ = 0;  // the previous tank sample
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
