// Calibration: fits the world models (crew, UPA, sensor, bulk transfers,
// gaps) to the statistics of a tank feed (sim/analysis/feed_stats.hpp), from
// any trace, imported real data included, and writes a scenario whose
// simulation reproduces them. Pure C++ (no SimGrid, no I/O but the returned
// text): the fit simulates the pure World model directly.
//
// Method (docs/models.md, "Calibration"):
//   1. direct estimates: drain rate = 1 % / median drain-step interval; sleep
//      window = the quiet window of the hour-of-day profile (two-level fit);
//      wake burst = first awake hour's rate / the rest; bulk transfers per
//      day and their sizes; long gaps (>= replay_gap_s, logger outages)
//      replayed as fixed LOS windows; orbit LOS statistics from TIME_000001
//      when the trace has a real signal (not for imports, whose TIME_000001
//      rows only mark gaps).
//   2. joint fit (method of simulated moments): the crew's use rate and
//      volumes, the drain rate, drain-outs per day and the read-noise model's
//      parameters (--noise drift: sensor.noise_*, noise_day_sd, drift_*;
//      ar1: sensor.noise_*, noise_day_sd, upa.drain_sd; burst:
//      sensor.burst_pct, upa.drain_jitter) are fitted together to 12 moments
//      of the feed by Levenberg-Marquardt on fixed-seed simulations of the
//      pure World (`fit_seeds` seeds of `fit_days` each per point, common
//      random numbers), each moment weighted by its spread across
//      `var_seeds` simulations; sandwich standard errors (fit_params). The
//      fit simulations are measured with their UPA state only when the
//      source has one.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "../scenario/scenario.hpp"
#include "feed_stats.hpp"

namespace peebot {

// Which read-noise model calibrate fits (docs/models.md, "Burst noise").
enum class NoiseModel { kBurst, kAr1, kDrift };
// The crew's use model: regular (crew.toilet_choice "per_person", crew.interval_shape fitted against the spread
// of rises per day) or poisson (a coin of upa_share per use, Poisson uses: the model of earlier versions).
enum class UseModel { kRegular, kPoisson };

struct CalibrateOptions {
  NoiseModel noise = NoiseModel::kDrift;  // burst: sensor.burst_* + upa.drain_jitter; ar1: sensor.noise_* + upa.drain_sd;
                                        // drift: sensor.noise_* + sensor.drift_* (upa.drain_sd 0)
  UseModel uses = UseModel::kRegular;
  int crew_size = 7;          // assumed crew (the feed cannot tell 7 people at rate r from 5 at 1.4 r)
  double fit_days = 30;       // length of each fit simulation, days (x fit_seeds per evaluation)
  int iterations = 8;         // Levenberg-Marquardt iterations of the joint fit
  int fit_seeds = 2;          // simulations (seeds) averaged per evaluation of the moments
  int var_seeds = 6;          // simulations at the first guess for the moments' variances (weights, standard errors)
  double moment_tolerance = 0.01;  // a moment's sd in the weights is at least this share of its target
  bool day_noise = true;      // fit sensor.noise_day_sd (day-to-day flicker) with the AR(1)/drift noise
  std::uint64_t seed = 1;     // seed of the fit simulations (seed + 1000 + i) and of the written scenario
  std::string name;           // scenario.name (default: "calibrated-" + source trace's name)
  std::string source;         // the trace's path, for the comments
  FeedStatsParams stats;      // extractor thresholds
  bool signal_is_real = true; // TIME_000001 is the feed's signal status (false for imports: gap markers only)
  double replay_gap_s = 12 * 3600.0;  // source gaps at least this long are replayed as fixed LOS windows
  std::optional<TimeRange> fit_range;  // calibrate(Trace): fit on this part of the trace only (default: all of it)
  std::optional<TimeRange> run_range;  // calibrate(Trace): the written scenario spans this part (default: the fit's)
};

// A parameter of the joint fit: its scenario key, value and standard error (NaN: not identified).
struct FittedParam {
  std::string key;
  double value = 0, se = 0;
};
// A moment of the joint fit: the source's value, the fitted simulations'
// (mean over the fit seeds), the source's standard deviation (estimated by
// simulation) and whether it was used (a finite target and variance).
struct FittedMoment {
  std::string name;
  double target = 0, fitted = 0, sd = 0;
  bool used = false;
};

// What calibration found: the fitted world and the figures behind it.
struct Calibration {
  std::vector<FittedParam> fit_params;
  std::vector<FittedMoment> fit_moments;
  double fit_objective = 0;   // sum of squared standardised residuals at the optimum
  int fit_iterations = 0, fit_simulations = 0;
  Scenario scenario;          // complete scenario (defaults + fitted world), start/duration = the trace's span
  FeedStats target;           // statistics of the source trace
  FeedStats fitted;           // statistics of one simulation at the fitted parameters (the first fit seed)
  double target_rises_per_day = 0, fitted_rises_per_day = 0;     // non-bulk rise events per covered day (mean; per active day with fewer than 3)
  double target_rise_mean_pct = 0, fitted_rise_mean_pct = 0;
  double target_flicker_per_hour = 0, fitted_flicker_per_hour = 0;  // means
  double target_drain_step_s = 0, fitted_drain_step_s = 0;        // medians
  double target_flicker_persistence = 0, fitted_flicker_persistence = 0;  // P(flicker | flicker at the previous step) - P(flicker | none)
  double target_drain_riqr = 0, fitted_drain_riqr = 0;            // (p75 - p25) / p50 of the drain-step intervals
  double target_fast_share = 0, fitted_fast_share = 0;            // share of drain-step intervals <= 30 s (fast drain-outs)
  double target_drain_lag1 = 0, fitted_drain_lag1 = 0;            // drain_step_lag1 (NaN when too few pairs)
  double bulk_per_day = 0;
  std::vector<LosWindow> replayed_gaps;  // long gaps of the source, as fixed LOS windows
  double fit_from_unix_s = 0, fit_to_unix_s = 0;  // first and last tank update fitted on (calibrate(Trace))
  bool los_from_signal = false;          // LOS statistics came from TIME_000001
};

// Fits the world to a trace. Throws std::invalid_argument when the trace has
// too little tank data to calibrate (fewer than 2 days or no rise events).
Calibration calibrate(const Trace& trace, const CalibrateOptions& opt = {});

// The same from the series themselves (tank, UPA state, signal rows), for tests.
Calibration calibrate_series(const std::vector<TelemetryRow>& tank, const std::vector<TelemetryRow>& upa,
                             const std::vector<TelemetryRow>& signal, double epoch_unix_s,
                             const CalibrateOptions& opt = {});

// Flicker at successive drain steps: for each processing drain step (a new
// low at least 60 s and at most max_interval_s after the previous one, no rise
// of 2 % or more in between), whether the level went back up to the previous
// value before the next new low. Returns P(flicker | flicker at the previous
// step) - P(flicker | none at the previous step) over successive pairs, and
// the share of steps with flicker in `share` (NaN when there are no pairs).
double flicker_persistence(const std::vector<TelemetryRow>& tank, double max_interval_s, double* share = nullptr);

// Lag-1 autocorrelation of successive processing drain-step intervals within
// a drain run (a new low 1 % below the previous one, 60 s .. max_interval_s
// after it, no rise of 2 % or more in between), each interval taken as its
// deviation from its run's mean (runs of 4 steps or more). Negative when a
// late step is followed by a short interval (sensor.drift, docs/models.md).
// NaN with fewer than 20 pairs.
double drain_step_lag1(const std::vector<TelemetryRow>& tank, double max_interval_s);

// The joint fit's parameters with standard errors and its moments, one per
// line, each line starting with `prefix` (calibrate's stderr, the scenario's comments).
std::string fit_summary(const Calibration& c, const std::string& prefix);

// The scenario file for a calibration: every world key with its fitted value
// and a comment saying where it came from; loads with load_scenario.
std::string calibrated_scenario_toml(const Calibration& c, const CalibrateOptions& opt);

// The pure World simulated without network: the tank (NODE3000005) and UPA
// (NODE3000004) updates as telemetry rows (t_s = emission time), for fits and tests.
void simulate_feed(const WorldParams& w, double epoch_unix_s, double duration_s, std::uint64_t seed,
                   std::vector<TelemetryRow>& tank, std::vector<TelemetryRow>& upa);

}  // namespace peebot
