// Feed statistics; definitions in docs/fidelity.md ("Definitions").
#include "feed_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "../report/report.hpp"
#include "../scenario/scenario.hpp"

namespace peebot {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDay = 86400.0;
constexpr double kHour = 3600.0;

// The UTC hour of day, in [0, 24), of a Unix time.
double utc_hour_of_day(double unix_s) {
  const double hour = std::fmod(unix_s, kDay) / kHour;
  const double h = hour < 0 ? hour + 24 : hour;
  return h < 24 ? h : 0.0;  // a tiny negative time rounds to 24 after the shift
}

// True when a window of `wins` (sorted by start) overlaps the open interval (a, b).
// `cursor` advances monotonically for calls with non-decreasing a.
bool overlaps(const std::vector<GapWindow>& wins, std::size_t& cursor, double a, double b) {
  while (cursor < wins.size() && wins[cursor].end_s <= a) ++cursor;
  for (std::size_t i = cursor; i < wins.size() && wins[i].start_s < b; ++i)
    if (wins[i].end_s > a) return true;
  return false;
}

// Bins [k*width, (k+1)*width) of absolute Unix time entirely inside [first, last]
// (trace seconds) and not touched by a long gap; calls fn(bin start in trace s).
template <class Fn>
std::size_t for_covered_bins(double first_s, double last_s, double epoch, double width,
                             const std::vector<GapWindow>& long_gaps, Fn fn) {
  std::size_t n = 0, cursor = 0;
  const double k0 = std::ceil((epoch + first_s) / width);
  for (double k = k0;; k += 1) {
    const double a = k * width - epoch, b = a + width;
    if (b > last_s) break;
    if (overlaps(long_gaps, cursor, a, b)) continue;
    fn(a);
    ++n;
  }
  return n;
}

}  // namespace

double Distribution::mean() const {
  if (values.empty()) return kNaN;
  double s = 0;
  for (double v : values) s += v;
  return s / static_cast<double>(values.size());
}
double Distribution::p50() const { return percentile(values, 50); }
double Distribution::p95() const { return percentile(values, 95); }
double Distribution::sd() const { return sample_sd(values); }

std::vector<TelemetryRow> rows_of(const std::vector<std::pair<double, double>>& t_value) {
  std::vector<TelemetryRow> rows;
  rows.reserve(t_value.size());
  std::uint64_t seq = 0;
  for (const auto& [t, v] : t_value) {
    TelemetryRow r;
    r.t_s = t;
    r.t_emit_s = kNaN;
    r.iss_time_h = kNaN;
    r.value = v;
    r.seq = ++seq;
    rows.push_back(r);
  }
  return rows;
}

std::vector<GapWindow> los_windows_of(const std::vector<TelemetryRow>& signal) {
  std::vector<GapWindow> out;
  bool open = false;
  double start = 0;
  for (const auto& r : signal) {
    if (r.status != kStatusAos) {
      if (!open) { open = true; start = r.t_s; }
    } else if (open) {
      out.push_back({start, r.t_s});
      open = false;
    }
  }
  if (open && !signal.empty()) out.push_back({start, signal.back().t_s});
  return out;
}

std::vector<RiseEvent> extract_rise_events(const std::vector<TelemetryRow>& tank, const std::vector<GapWindow>& los,
                                           const FeedStatsParams& p) {
  std::vector<RiseEvent> out;
  bool has_last = false, open = false;
  double last_v = 0, last_t = 0, last_decrease = -std::numeric_limits<double>::infinity();
  RiseEvent ev;
  std::size_t cursor = 0;
  auto close = [&] {
    if (open && ev.size_pct() >= p.min_rise_pct) {
      const double per_pct = (ev.end_s - ev.onset_s) / std::max(1.0, ev.size_pct() - 1.0);
      ev.bulk = ev.size_pct() >= p.bulk_min_pct && per_pct <= p.bulk_max_step_s;
      out.push_back(ev);
    }
    open = false;
  };
  for (const auto& r : tank) {
    if (std::isnan(r.value)) continue;
    if (has_last && overlaps(los, cursor, last_t, r.t_s)) {
      // Nothing is known across a LOS window: the change is not a rise, the
      // event ends, the guard restarts.
      close();
      has_last = false;
      last_decrease = -std::numeric_limits<double>::infinity();
    }
    if (open && r.t_s - ev.end_s > p.rise_end_s) close();
    if (has_last) {
      if (r.value < last_v) {
        last_decrease = r.t_s;
      } else if (r.value > last_v) {
        if (open) {
          ev.end_s = r.t_s;
          ev.peak_pct = std::max(ev.peak_pct, r.value);
          ++ev.rises;
        } else if (r.t_s - last_decrease >= p.flicker_guard_s) {
          open = true;
          ev = RiseEvent{};
          ev.onset_s = ev.end_s = r.t_s;
          ev.start_pct = last_v;
          ev.peak_pct = r.value;
          ev.rises = 1;
        }
      }
    }
    has_last = true;
    last_v = r.value;
    last_t = r.t_s;
  }
  close();
  return out;
}

FeedStats compute_feed_stats(const std::vector<TelemetryRow>& tank, const std::vector<TelemetryRow>& upa,
                             const std::vector<GapWindow>& los, double epoch_unix_s, const FeedStatsParams& p,
                             const GapWindow* observed) {
  if (p.time_resolution_s > 0) {
    // Measured as a logger stamps them: whole seconds (pisslog and ISSP log
    // HH:MM:SS), so that a simulation's arrival times (latency, frame
    // jitter: 0.9998 s, 1.0003 s) and a recording's give the same intervals.
    const double res = p.time_resolution_s;
    auto floored = [res](const std::vector<TelemetryRow>& rows) {
      std::vector<TelemetryRow> out(rows);
      for (auto& r : out) r.t_s = std::floor(r.t_s / res) * res;
      return out;
    };
    FeedStatsParams exact = p;
    exact.time_resolution_s = 0;
    return compute_feed_stats(floored(tank), p.use_upa_state ? floored(upa) : std::vector<TelemetryRow>{}, los, epoch_unix_s, exact,
                              observed);
  }
  FeedStats s;
  s.epoch_unix_s = epoch_unix_s;
  s.tank_updates = tank.size();
  if (tank.empty()) return s;
  s.first_s = tank.front().t_s;
  s.last_s = tank.back().t_s;
  const double span_a = observed ? observed->start_s : s.first_s;
  const double span_b = observed ? observed->end_s : s.last_s;

  // Gaps: the LOS windows, plus intervals above gap_s that no LOS window
  // explains. Inter-update times are the other intervals: at most gap_s and
  // not overlapping a LOS window, so that a trace whose long silences are
  // LOS rows (an import) and one where they are not (a simulation) measure
  // the same thing.
  {
    std::size_t cursor = 0;
    std::vector<GapWindow> silent;
    s.inter_update_s.values.reserve(tank.size());
    for (std::size_t i = 1; i < tank.size(); ++i) {
      const double a = tank[i - 1].t_s, b = tank[i].t_s;
      if (overlaps(los, cursor, a, b)) continue;
      if (b - a > p.gap_s)
        silent.push_back({a, b});
      else
        s.inter_update_s.values.push_back(b - a);
    }
    s.gaps = los;
    s.gaps.insert(s.gaps.end(), silent.begin(), silent.end());
    std::sort(s.gaps.begin(), s.gaps.end(), [](const GapWindow& x, const GapWindow& y) { return x.start_s < y.start_s; });
    for (const auto& g : s.gaps) s.gap_s.values.push_back(g.end_s - g.start_s);
  }
  {
    double seen = span_b - span_a;
    for (const auto& g : los) seen -= std::max(0.0, std::min(g.end_s, span_b) - std::max(g.start_s, span_a));
    s.observed_days = std::max(0.0, seen) / kDay;
  }
  // Coverage is lost only to LOS windows: a long silence without one is a
  // quiet feed (MERGE sends nothing while the level is flat), not an outage.
  std::vector<GapWindow> long_gaps;
  for (const auto& g : los)
    if (g.end_s - g.start_s >= p.long_gap_s) long_gaps.push_back(g);

  // Rise events, sizes, onsets, per-day counts.
  s.rise_events = extract_rise_events(tank, los, p);
  std::vector<double> onsets;
  for (const auto& e : s.rise_events) {
    if (e.bulk) { ++s.bulk_transfers; continue; }
    s.rise_size_pct.values.push_back(e.size_pct());
    const double h = utc_hour_of_day(epoch_unix_s + e.onset_s);
    s.rise_onset_hour.values.push_back(h);
    ++s.hour_profile[std::min<std::size_t>(23, static_cast<std::size_t>(h))];
    onsets.push_back(e.onset_s);
  }
  s.covered_days = for_covered_bins(span_a, span_b, epoch_unix_s, kDay, long_gaps, [&](double a) {
    const auto lo = std::lower_bound(onsets.begin(), onsets.end(), a);
    const auto hi = std::lower_bound(onsets.begin(), onsets.end(), a + kDay);
    s.rises_per_day.values.push_back(static_cast<double>(hi - lo));
    const auto by_t = [](const TelemetryRow& r, double t) { return r.t_s < t; };
    const auto ulo = std::lower_bound(tank.begin(), tank.end(), a, by_t);
    const auto uhi = std::lower_bound(tank.begin(), tank.end(), a + kDay, by_t);
    s.updates_per_day.values.push_back(static_cast<double>(uhi - ulo));
  });

  // Drain steps: a decrease to a level below every level since the last
  // reset (a new low), while the UPA is NORMAL (when its state is known). The
  // floor resets to the event's peak after each rise event (updates inside an
  // event are skipped) and to the current level after a gap; the interval to
  // the previous step counts only when no reset lies between the two steps
  // and it is at most drain_max_interval_s.
  {
    const double inf = std::numeric_limits<double>::infinity();
    std::size_t upa_i = 0, ev_i = 0, cursor = 0;
    const std::size_t upa_n = p.use_upa_state ? upa.size() : 0;
    int upa_state = upa_n == 0 ? 16 : -1;
    double floor_v = inf, last_step = kNaN, last_t = 0;
    bool has_last = false;
    for (const auto& r : tank) {
      while (upa_i < upa_n && upa[upa_i].t_s <= r.t_s) {
        // A state code; any other number from a trace (1e12, NaN) is no state (-1), not an overflowing cast.
        const double code = upa[upa_i++].value;
        upa_state = code >= -2147483648.0 && code <= 2147483647.0 ? static_cast<int>(code) : -1;
      }
      const bool after_gap = has_last && overlaps(s.gaps, cursor, last_t, r.t_s);
      has_last = true;
      last_t = r.t_s;
      if (!std::isfinite(floor_v) || after_gap) { floor_v = r.value; last_step = kNaN; continue; }
      while (ev_i < s.rise_events.size() && s.rise_events[ev_i].end_s < r.t_s) {
        floor_v = s.rise_events[ev_i++].peak_pct;
        last_step = kNaN;
      }
      if (ev_i < s.rise_events.size() && s.rise_events[ev_i].onset_s <= r.t_s) continue;  // inside an event
      if (r.value < floor_v) {
        if (upa_state == 16) {
          if (!std::isnan(last_step) && r.t_s - last_step <= p.drain_max_interval_s) {
            s.drain_step_s.values.push_back(r.t_s - last_step);
            s.drain_step_hour.values.push_back(utc_hour_of_day(epoch_unix_s + r.t_s));
          }
          last_step = r.t_s;
        } else {
          last_step = kNaN;
        }
        floor_v = r.value;
      }
    }
  }

  // Flicker: a +-1 change that reverses the previous +-1 change within
  // flicker_window_s; a run of such reversals is one episode.
  std::vector<double> flicker_onsets;
  {
    bool has_prev = false, in_episode = false;
    double prev_v = 0, prev_dv = 0, prev_change_t = 0;
    for (const auto& r : tank) {
      if (!has_prev) { has_prev = true; prev_v = r.value; continue; }
      const double dv = r.value - prev_v;
      if (dv == 0) continue;
      const bool reversal = std::fabs(dv) == 1 && dv == -prev_dv && r.t_s - prev_change_t <= p.flicker_window_s;
      if (reversal && !in_episode) { ++s.flicker_episodes; flicker_onsets.push_back(prev_change_t); }
      in_episode = reversal;
      prev_dv = dv;
      prev_change_t = r.t_s;
      prev_v = r.value;
    }
  }
  s.covered_hours = for_covered_bins(span_a, span_b, epoch_unix_s, kHour, long_gaps, [&](double a) {
    const auto lo = std::lower_bound(flicker_onsets.begin(), flicker_onsets.end(), a);
    const auto hi = std::lower_bound(flicker_onsets.begin(), flicker_onsets.end(), a + kHour);
    s.flicker_per_hour.values.push_back(static_cast<double>(hi - lo));
  });
  return s;
}

double FeedStats::tank_updates_per_day() const {
  return observed_days > 0 ? static_cast<double>(tank_updates) / observed_days : kNaN;
}

TimeRange resolve_range(const std::string& spec, const Trace& t) {
  const double epoch = t.meta.epoch_unix_s;
  TimeRange r;
  if (spec == "all") return r;
  if (spec == "first-half" || spec == "second-half") {
    const auto& tank = t.telemetry[kUrineTank];
    if (tank.size() < 2)
      throw std::invalid_argument("range \"" + spec + "\": the trace has no tank series to halve");
    const double mid = epoch + 0.5 * (tank.front().t_s + tank.back().t_s);
    const double split = std::round(mid / kDay) * kDay;
    if (!(split > epoch + tank.front().t_s && split < epoch + tank.back().t_s))
      throw std::invalid_argument("range \"" + spec + "\": the tank series spans less than a day around a midnight");
    (spec == "first-half" ? r.to_unix_s : r.from_unix_s) = split;
    return r;
  }
  const std::size_t dots = spec.find("..");
  if (dots == std::string::npos)
    throw std::invalid_argument("range \"" + spec +
                                "\": expected first-half, second-half, all or START..END (ISO 8601 UTC times)");
  const std::string a = spec.substr(0, dots), b = spec.substr(dots + 2);
  if (!a.empty()) r.from_unix_s = parse_utc(a);
  if (!b.empty()) r.to_unix_s = parse_utc(b);
  if (!(r.to_unix_s > r.from_unix_s))
    throw std::invalid_argument("range \"" + spec + "\": expected START before END");
  return r;
}

std::vector<TelemetryRow> rows_in_range(const std::vector<TelemetryRow>& rows, double epoch, const TimeRange& r) {
  std::vector<TelemetryRow> out;
  for (const auto& x : rows)
    if (epoch + x.t_s >= r.from_unix_s && epoch + x.t_s < r.to_unix_s) out.push_back(x);
  return out;
}

std::vector<TelemetryRow> signal_rows_in_range(const std::vector<TelemetryRow>& signal, double epoch,
                                               const TimeRange& r) {
  std::vector<TelemetryRow> out;
  const double a = r.from_unix_s - epoch, b = r.to_unix_s - epoch;
  for (const auto& w : los_windows_of(signal)) {
    const double s = std::max(w.start_s, a), e = std::min(w.end_s, b);
    if (!(e > s)) continue;
    for (int k = 0; k < 2; ++k) {
      TelemetryRow row;
      row.t_s = k == 0 ? s : e;
      row.t_emit_s = kNaN;
      row.iss_time_h = kNaN;
      row.status = k == 0 ? 0 : kStatusAos;
      out.push_back(row);
    }
  }
  return out;
}

FeedStats compute_feed_stats(const Trace& trace, const FeedStatsParams& params, const TimeRange* range) {
  GapWindow observed{0.0, trace.meta.duration_s};
  if (trace.meta.mode == "import") {
    observed = {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    for (const auto& rows : trace.telemetry) {
      if (rows.empty()) continue;
      const auto in = range ? rows_in_range(rows, trace.meta.epoch_unix_s, *range) : rows;
      if (in.empty()) continue;
      observed.start_s = std::min(observed.start_s, in.front().t_s);
      observed.end_s = std::max(observed.end_s, in.back().t_s);
    }
  }
  if (!range)
    return compute_feed_stats(trace.telemetry[kUrineTank], trace.telemetry[kUpaState],
                              los_windows_of(trace.telemetry[kSignal]), trace.meta.epoch_unix_s, params, &observed);
  const double epoch = trace.meta.epoch_unix_s;
  observed.start_s = std::max(observed.start_s, range->from_unix_s - epoch);
  observed.end_s = std::min(observed.end_s, range->to_unix_s - epoch);
  return compute_feed_stats(rows_in_range(trace.telemetry[kUrineTank], epoch, *range),
                            rows_in_range(trace.telemetry[kUpaState], epoch, *range),
                            los_windows_of(signal_rows_in_range(trace.telemetry[kSignal], epoch, *range)), epoch,
                            params, &observed);
}

KsResult ks_two_sample(std::vector<double> a, std::vector<double> b) {
  const auto drop_nan = [](std::vector<double>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    std::sort(v.begin(), v.end());
  };
  drop_nan(a);
  drop_nan(b);
  KsResult r;
  r.n1 = a.size();
  r.n2 = b.size();
  if (a.empty() || b.empty()) { r.d = r.p = kNaN; return r; }
  std::size_t i = 0, j = 0;
  double d = 0;
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / n1 - static_cast<double>(j) / n2));
  }
  // Once one sample is exhausted its CDF is 1 and the other's only rises
  // toward 1: the supremum was already reached.
  r.d = d;
  const double ne = n1 * n2 / (n1 + n2);
  r.p = kolmogorov_q((std::sqrt(ne) + 0.12 + 0.11 / std::sqrt(ne)) * d);
  return r;
}

double kolmogorov_q(double lambda) {
  if (!(lambda >= 0.2)) return 1.0;  // (and NaN) the series converges slowly below; Q(0.2) = 1 - 5e-10
  double sum = 0.0, sign = 1.0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    sum += sign * term;
    if (term < 1e-12 * std::fabs(sum)) break;
    sign = -sign;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

const std::vector<NamedDistribution>& compared_distributions() {
  static const std::vector<NamedDistribution> v = {
      {"inter_update", "inter-update time", "s", &FeedStats::inter_update_s},
      {"rise_size", "rise size", "%", &FeedStats::rise_size_pct},
      {"rises_per_day", "rises per day", "1/day", &FeedStats::rises_per_day},
      {"rise_onset_hour", "hour of day of rises", "h UTC", &FeedStats::rise_onset_hour},
      {"drain_step", "drain-step interval", "s", &FeedStats::drain_step_s},
      {"drain_step_hour", "hour of day of drain steps", "h UTC", &FeedStats::drain_step_hour},
      {"flicker_per_hour", "flicker episodes per hour", "1/h", &FeedStats::flicker_per_hour},
      {"gap", "gap length", "s", &FeedStats::gap_s},
  };
  return v;
}

}  // namespace peebot
