// Feed statistics: what a tank-level feed looks like, statistic by statistic,
// whatever made it (simulation, imported recording, live). The one place that
// extracts them; `peebot compare` prints them side by side and `peebot
// calibrate` fits the models to them. Every definition (and why) is in
// docs/fidelity.md, "Definitions". Pure C++: no I/O, no SimGrid.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "../../models/records.hpp"
#include "../trace/trace.hpp"

namespace peebot {

// The thresholds of the extractors (docs/fidelity.md explains each).
struct FeedStatsParams {
  double flicker_guard_s = 60;   // a rise within this after a decrease cannot START a rise event (isspiss guard)
  double rise_end_s = 20;        // a rise event ends after this long without a further rise (isspiss)
  double min_rise_pct = 2;       // events smaller than this are flicker/noise, not rise events
  double bulk_min_pct = 15;      // a rise event at least this large ...
  double bulk_max_step_s = 6;    // ... whose mean time per +1 % is at most this is a bulk transfer
  double drain_max_interval_s = 1800;  // successive drain steps further apart are not one drain
  double flicker_window_s = 60;  // a +-1 change reversed within this is flicker
  double gap_s = 600;            // tank inter-update times above this are gaps (when no LOS window covers them)
  double long_gap_s = 3 * 3600;  // days and hours touched by a LOS window this long are not "covered"
  bool use_upa_state = true;     // drain steps only while the UPA is NORMAL, when the UPA series is given
                                 // (compare: only when both traces have it, so both are measured alike)
  double time_resolution_s = 1; // tank and UPA times are floored to this (a logger's 1-s clock, as the recordings); 0 = exact
};

// One rise event of the tank level (see docs/fidelity.md).
struct RiseEvent {
  double onset_s = 0.0;      // first accepted rise (trace seconds)
  double end_s = 0.0;        // last accepted rise
  double start_pct = 0.0;    // level before the first rise
  double peak_pct = 0.0;     // highest level reached during the event
  int rises = 0;             // number of increasing updates accepted in the event
  bool bulk = false;         // a bulk transfer (bulk_min_pct, bulk_max_step_s)
  double size_pct() const { return peak_pct - start_pct; }
};

// A window without data: a loss of signal (TIME_000001 status != 24) or a
// tank inter-update time above gap_s.
// (The same shape as the truth table's LosWindow: start_s, end_s.)
using GapWindow = LosWindow;

// A sample of one statistic with its summary (NaN when empty).
struct Distribution {
  std::vector<double> values;
  std::size_t count() const { return values.size(); }
  double mean() const;
  double p50() const;
  double p95() const;
  double sd() const;  // sample standard deviation (n - 1)
};

struct FeedStats {
  double epoch_unix_s = 0.0;
  double first_s = 0.0, last_s = 0.0;  // first and last tank update (trace seconds); 0 when none
  std::size_t tank_updates = 0;        // rows of the tank series

  std::vector<RiseEvent> rise_events;  // every rise event >= min_rise_pct, bulk ones included
  std::vector<GapWindow> gaps;         // LOS windows and inter-update gaps, in time order

  Distribution inter_update_s;      // time between successive tank updates, at most gap_s, not overlapping a LOS window
  Distribution rise_size_pct;       // size of each non-bulk rise event
  Distribution rises_per_day;       // non-bulk rise events per covered UTC day
  Distribution rise_onset_hour;     // UTC hour of day [0, 24) of each non-bulk rise onset
  std::array<std::size_t, 24> hour_profile{};  // non-bulk rise onsets per UTC hour of day
  Distribution drain_step_s;        // time between successive drain steps (new lows) while draining
  Distribution drain_step_hour;     // UTC hour of day [0, 24) of each drain step whose interval is in drain_step_s
  Distribution flicker_per_hour;    // flicker episodes per covered hour
  Distribution updates_per_day;     // tank updates per covered UTC day (not in compare's table)
  Distribution gap_s;               // length of each gap window
  std::size_t flicker_episodes = 0; // over the whole series
  std::size_t bulk_transfers = 0;   // rise events flagged bulk
  std::size_t covered_days = 0;     // UTC days counted in rises_per_day
  std::size_t covered_hours = 0;    // hours counted in flicker_per_hour
  double observed_days = 0;         // observed span minus its LOS windows, days
  // Tank updates per observed day (NaN when nothing was observed).
  double tank_updates_per_day() const;
};

// The statistics of a tank series. `tank` holds the tank updates in time
// order (MERGE semantics: repeated values are harmless, they are not counted
// as changes); `upa` (may be empty) the UPA state updates: when given, drain
// steps count only while the UPA is NORMAL (16); `los` (may be empty) the
// known loss-of-signal windows (sorted). Times are trace seconds since
// `epoch_unix_s` (for UTC days and hours of day). `observed` (optional) is
// the span the feed was watched, for covered days and hours; by default the
// first to the last tank row.
FeedStats compute_feed_stats(const std::vector<TelemetryRow>& tank, const std::vector<TelemetryRow>& upa,
                             const std::vector<GapWindow>& los, double epoch_unix_s,
                             const FeedStatsParams& params = {}, const GapWindow* observed = nullptr);

// A span of absolute (Unix) time [from, to): part of a trace (compare
// --range, calibrate --fit-range).
struct TimeRange {
  double from_unix_s = -1e300;
  double to_unix_s = 1e300;
};

// Parses a range against a reference trace: "first-half" or "second-half"
// (the tank series' span cut at the UTC midnight nearest its middle, so both
// halves hold whole days), "START..END" (ISO 8601 UTC times; either side may
// be empty: from the trace's start, to its end) or "all". Throws
// std::invalid_argument naming what was expected.
TimeRange resolve_range(const std::string& spec, const Trace& reference);

// The rows of a series inside the range (t_s in trace seconds from `epoch_unix_s`).
std::vector<TelemetryRow> rows_in_range(const std::vector<TelemetryRow>& rows, double epoch_unix_s,
                                        const TimeRange& range);
// TIME_000001 rows whose LOS windows are those of `signal` clipped to the
// range (one status-0 and one status-24 row per window), for calibrate.
std::vector<TelemetryRow> signal_rows_in_range(const std::vector<TelemetryRow>& signal, double epoch_unix_s,
                                               const TimeRange& range);

// The same for a whole trace: tank = /telemetry/NODE3000005, upa =
// /telemetry/NODE3000004, los = the TIME_000001 LOS windows (los_windows_of).
// Observed span: [0, duration_s] for a simulated or live trace (the feed is
// watched from t = 0); for an import, the first to the last row of any item.
// With a range, only rows inside it count, LOS windows are clipped to it
// and the observed span is cut to it.
FeedStats compute_feed_stats(const Trace& trace, const FeedStatsParams& params = {},
                             const TimeRange* range = nullptr);

// LOS windows as the feed shows them: a TIME_000001 row with status != 24
// starts one, the next row with status 24 ends it (a window still open at the
// last row ends there).
std::vector<GapWindow> los_windows_of(const std::vector<TelemetryRow>& signal);

// Rise events alone (the extractor compute_feed_stats uses), for calibration.
// Changes across a LOS window never join or start an event.
std::vector<RiseEvent> extract_rise_events(const std::vector<TelemetryRow>& tank, const std::vector<GapWindow>& los,
                                           const FeedStatsParams& params = {});

// Helper for tests and hand-made series: rows from (t_s, value) pairs.
std::vector<TelemetryRow> rows_of(const std::vector<std::pair<double, double>>& t_value);

// Two-sample Kolmogorov-Smirnov statistic: D = sup_x |F1(x) - F2(x)|,
// evaluated exactly at every point of the pooled sample (ties handled by
// stepping past all equal values at once). NaN values are ignored. d is NaN
// when either sample is empty. p is the asymptotic p-value of D under "both
// samples come from one continuous law" (Kolmogorov's distribution at
// (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) D, ne = n1 n2 / (n1 + n2)): for
// discrete values (counts, whole percent) the test is conservative (p too
// large); NaN with d. It says how large a D chance alone makes at these sample sizes: at
// n1 = n2 = 61 a D of 0.10 has p 0.9 and the median D of two samples of one
// law is ~0.15.
struct KsResult {
  double d = 0.0;
  std::size_t n1 = 0, n2 = 0;
  double p = 0.0;
};
// Kolmogorov's survival function Q(lambda) = 2 sum_k>=1 (-1)^(k-1) exp(-2 k^2 lambda^2) (1 for lambda <= 0).
double kolmogorov_q(double lambda);
KsResult ks_two_sample(std::vector<double> a, std::vector<double> b);

// The distributions compared by `peebot compare`, in table order, with a
// snake_case key, a label and a unit.
struct NamedDistribution {
  const char* key;
  const char* label;
  const char* unit;
  const Distribution FeedStats::*member;
};
const std::vector<NamedDistribution>& compared_distributions();

}  // namespace peebot
