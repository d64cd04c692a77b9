// Calibration of the world models to a feed; the method is in calibrate.hpp
// and docs/models.md.
#include "calibrate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>

#include "../../models/crew.hpp"
#include "../../models/world.hpp"
#include "../report/report.hpp"

#include <Eigen/Dense>

namespace peebot {

namespace {

constexpr double kDay = 86400.0;
constexpr double kHour = 3600.0;

double finite_or(double x, double fallback) { return std::isfinite(x) ? x : fallback; }

double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// The quiet (sleep) window of an hour-of-day profile: the window of L whole
// hours (5 .. 11) whose two-level Poisson fit (rate inside vs outside) has the
// highest likelihood. Returns {first quiet hour, length in hours}.
std::pair<int, int> quiet_window(const std::array<std::size_t, 24>& h) {
  double best = -1e300;
  std::pair<int, int> arg{21, 8};
  for (int len = 5; len <= 11; ++len) {
    for (int s = 0; s < 24; ++s) {
      double q = 0, a = 0;
      for (int i = 0; i < 24; ++i) ((((i - s) % 24 + 24) % 24) < len ? q : a) += static_cast<double>(h[static_cast<std::size_t>(i)]);
      auto term = [](double n, double hours) { return n > 0 ? n * std::log(n / hours) : 0.0; };
      const double ll = term(q, len) + term(a, 24 - len);
      if (q <= a * len / (24.0 - len) && ll > best + 1e-9) best = ll, arg = {s, len};
    }
  }
  return arg;
}

struct Measured {
  double rises_per_day, rise_mean, rise_sd, flicker_per_hour, drain_step;
  double drain_riqr;   // (p75 - p25) / p50 of the drain-step intervals
  double short_share;  // share of inter-update times <= 2 s (the pace of flicker)
  double persistence = 0;  // flicker_persistence of the series
  double fast_share;       // share of drain-step intervals <= 30 s (fast drain-outs)
  double lag1 = 0;         // drain_step_lag1 of the series
  double small_share = 0;  // share of rise events of at most 2 % (the smallest a rise event can be)
  double updates_per_day = 0;  // tank updates per observed day
  double iu30_share = 0;       // share of inter-update times <= 30 s
  double updates_cv = 0;       // sd / mean of the tank updates per covered day (NaN with fewer than 3 days)
  double rises_spread = 0;     // mean |x - p50| / p50 of the rises per covered day (NaN with fewer than 8 days)
};

// Days with data: the tank series' span minus gaps of 12 h or more (logger
// outages; flat nights are shorter). The daily rates below are per active
// day: the median per covered day (feed_stats) is too coarse to fit on.
double active_days(const FeedStats& s) {
  double span = s.last_s - s.first_s;
  for (const auto& g : s.gaps)
    if (g.end_s - g.start_s >= 12 * kHour) span -= g.end_s - g.start_s;
  return std::max(span, kHour) / kDay;
}

// The share of values at most x (0 for none).
double share_at_most(const std::vector<double>& v, double x) {
  if (v.empty()) return 0.0;
  const auto n = std::count_if(v.begin(), v.end(), [x](double y) { return y <= x; });
  return static_cast<double>(n) / static_cast<double>(v.size());
}

// The spread of the rises per covered day: the mean absolute deviation
// from the median, over the median. Robust to the odd day of 30 or 40 rises
// a recording has (a crew event, a logger's double count), which would
// dominate an sd, and, unlike quantiles of whole-number counts, it moves
// smoothly with the parameters (finite differences). NaN with fewer than 8 days.
double rises_spread(const std::vector<double>& per_day) {
  if (per_day.size() < 8) return std::nan("");
  const double p50 = percentile(per_day, 50);
  if (!(p50 > 0)) return std::nan("");
  double s = 0;
  for (double x : per_day) s += std::fabs(x - p50);
  return s / static_cast<double>(per_day.size()) / p50;
}

Measured measure(const FeedStats& s) {
  const auto& d = s.drain_step_s.values;
  const double p50 = finite_or(percentile(d, 50), 0.0);
  const double riqr = p50 > 0 ? (percentile(d, 75) - percentile(d, 25)) / p50 : 0.0;
  const double short_share = share_at_most(s.inter_update_s.values, 2.0);  // the pace of flicker
  const double fast_share = share_at_most(d, 30.0);                         // fast drain-outs
  const double small_share = share_at_most(s.rise_size_pct.values, 2.0);   // the smallest rise events
  // Rises per day: the mean per covered day (what compare's per-day
  // distribution holds) when there are a few, else per active day.
  const double per_day = s.covered_days >= 3 ? s.rises_per_day.mean()
                                             : static_cast<double>(s.rise_size_pct.count()) / active_days(s);
  return {per_day, finite_or(s.rise_size_pct.mean(), 0.0), sd_of(s.rise_size_pct.values),
          finite_or(s.flicker_per_hour.mean(), 0.0), p50, riqr, short_share, 0.0, fast_share, 0.0, small_share,
          finite_or(s.tank_updates_per_day(), 0.0), share_at_most(s.inter_update_s.values, 30.0),
          s.updates_per_day.count() >= 3 && s.updates_per_day.mean() > 0
              ? sd_of(s.updates_per_day.values) / s.updates_per_day.mean()
              : std::nan(""),
          rises_spread(s.rises_per_day.values)};
}

// Time-weighted level percentiles of the tank series (for the UPA thresholds).
double level_quantile(const std::vector<TelemetryRow>& tank, double q) {
  std::vector<std::pair<double, double>> lw;  // level, seconds held
  for (std::size_t i = 0; i + 1 < tank.size(); ++i) {
    const double dt = tank[i + 1].t_s - tank[i].t_s;
    if (dt > 0 && dt < 3 * kHour) lw.push_back({tank[i].value, dt});
  }
  if (lw.empty()) return 0.0;
  std::sort(lw.begin(), lw.end());
  double total = 0;
  for (const auto& x : lw) total += x.second;
  double acc = 0;
  for (const auto& x : lw) {
    acc += x.second;
    if (acc >= q * total) return x.first;
  }
  return lw.back().first;
}

// The level at which drains start. A drain run (3 new lows 1 % apart, no
// rise in between) that follows a standby (no new low for max_interval_s
// before the rise that preceded it) was started by that rise crossing
// upa.start_pct: its peak is at or above the threshold, by up to one use.
// The 10th percentile of those peaks; with fewer than 5 of them, the median
// start of every run (biased low: a use during processing restarts a run
// anywhere between the thresholds).
double drain_start_level(const std::vector<TelemetryRow>& tank, double max_interval_s) {
  std::vector<double> starts, after_standby;
  double low = 1e9, low_t = -1e300, peak = -1e9, last_drop_t = -1e300;
  bool standby_before = false;
  int run = 0;
  for (const auto& r : tank) {
    if (r.value > low + 1.5) {  // a real rise ends any drain run
      if (run == 0 || r.t_s - low_t > 60.0) standby_before = r.t_s - last_drop_t > max_interval_s;
      low = r.value;
      peak = r.value;
      run = 0;
      low_t = r.t_s;
      continue;
    }
    if (r.value < low) {
      if (r.t_s - low_t > max_interval_s) run = 0;
      if (run == 0) peak = low;
      ++run;
      if (run == 3) {
        starts.push_back(peak);
        if (standby_before) after_standby.push_back(peak);
      }
      low = r.value;
      low_t = r.t_s;
      last_drop_t = r.t_s;
    }
  }
  if (after_standby.size() >= 5) return percentile(after_standby, 10);
  if (starts.empty()) return 0.0;
  std::nth_element(starts.begin(), starts.begin() + static_cast<long>(starts.size() / 2), starts.end());
  return starts[starts.size() / 2];
}

// Fast drain-outs: runs of at least 3 successive new lows each at most 30 s
// apart (the UPA drains 1 % in ~4.8 min; a drain-out in ~13 s). Returns the
// size (%) and rate (%/min) of each.
void find_dumps(const std::vector<TelemetryRow>& tank, std::vector<double>& sizes, std::vector<double>& rates) {
  double low = 1e9, low_t = 0, run_start_v = 0, first_t = 0, first_v = 0;
  int run = 0;
  // The size counts from the level before the run; the rate from the run's
  // first new low to its last (the time before the first is the processing
  // step it interrupted: counting it made the rate 1 %/min instead of 4.5).
  auto close = [&]() {
    if (run >= 3) {
      sizes.push_back(run_start_v - low);
      if (low_t > first_t) rates.push_back((first_v - low) / ((low_t - first_t) / 60.0));
    }
    run = 0;
  };
  for (const auto& r : tank) {
    if (r.value > low + 1.5) { close(); low = r.value; low_t = r.t_s; continue; }
    if (r.value >= low) continue;
    if (run > 0 && r.t_s - low_t <= 30.0) {
      ++run;
    } else {
      close();
      run = 1;
      run_start_v = low;
      first_t = r.t_s;
      first_v = r.value;
    }
    low = r.value;
    low_t = r.t_s;
  }
  close();
}

// ---- The joint fit (method of simulated moments) ----

// A fitted parameter: its scenario key, where it lives, and its bounds.
struct FitParam {
  const char* key;
  double& (*ref)(WorldParams&);
  double lo, hi;
};

std::vector<FitParam> fit_params(NoiseModel noise, UseModel uses, const WorldParams& w) {
  std::vector<FitParam> p = {
      {"crew.voids_per_day", [](WorldParams& x) -> double& { return x.crew.voids_per_day; }, 0.1, 50.0},
      {"crew.urine_mean_ml", [](WorldParams& x) -> double& { return x.crew.urine_mean_ml; }, 30.0, 2000.0},
      {"crew.urine_sd_ml", [](WorldParams& x) -> double& { return x.crew.urine_sd_ml; }, 1.0, 1000.0},
      {"upa.drain_pct_per_min", [](WorldParams& x) -> double& { return x.upa.drain_pct_per_min; }, 0.01, 100.0},
  };
  if (uses == UseModel::kRegular)
    p.push_back({"crew.interval_shape", [](WorldParams& x) -> double& { return x.crew.interval_shape; }, 0.3, 50.0});
  if (w.upa.dumps_per_day > 0)
    p.push_back({"upa.dumps_per_day", [](WorldParams& x) -> double& { return x.upa.dumps_per_day; }, 0.01, 50.0});
  if (noise == NoiseModel::kBurst) {
    p.push_back({"sensor.burst_pct", [](WorldParams& x) -> double& { return x.sensor.burst_pct; }, 0.0005, 10.0});
    p.push_back({"upa.drain_jitter", [](WorldParams& x) -> double& { return x.upa.drain_jitter; }, 0.005, 0.8});
    return p;
  }
  p.push_back({"sensor.noise_pct", [](WorldParams& x) -> double& { return x.sensor.noise_pct; }, 0.001, 10.0});
  p.push_back({"sensor.noise_tau", [](WorldParams& x) -> double& { return x.sensor.noise_tau_s; }, 0.5, 600.0});
  if (w.sensor.noise_day_sd > 0)
    p.push_back({"sensor.noise_day_sd", [](WorldParams& x) -> double& { return x.sensor.noise_day_sd; }, 0.01, 3.0});
  if (noise == NoiseModel::kDrift) {
    p.push_back({"sensor.drift_pct", [](WorldParams& x) -> double& { return x.sensor.drift_pct; }, 0.001, 2.0});
    p.push_back({"sensor.drift_tau", [](WorldParams& x) -> double& { return x.sensor.drift_tau_s; }, 30.0, 3600.0});
  } else {
    p.push_back({"upa.drain_sd", [](WorldParams& x) -> double& { return x.upa.drain_sd; }, 0.005, 0.8});
  }
  return p;
}

// The moments: the statistics compare and the goals are about, plus what
// identifies each parameter (docs/models.md, "Calibration").
constexpr int kMoments = 13;
using MomentVec = std::array<double, kMoments>;
const char* const kMomentNames[kMoments] = {
    "rises per covered day (mean)", "rise size (mean, %)",         "share of 2 % rises",
    "flicker episodes per hour",     "inter-update <= 2 s (share)", "tank updates per day",
    "inter-update <= 30 s (share)",  "drain-step interval (p50, s)", "drain-step IQR / p50",
    "drain steps <= 30 s (share)",   "drain-step lag-1 correlation", "tank updates per day (sd/mean)",
    "rises per day (MAD/p50)"};

// Where each moment lives in Measured, in the order of kMomentNames.
constexpr double Measured::*kMomentField[kMoments] = {
    &Measured::rises_per_day, &Measured::rise_mean,       &Measured::small_share, &Measured::flicker_per_hour,
    &Measured::short_share,   &Measured::updates_per_day, &Measured::iu30_share,  &Measured::drain_step,
    &Measured::drain_riqr,    &Measured::fast_share,      &Measured::lag1,        &Measured::updates_cv,
    &Measured::rises_spread};

MomentVec moments_of(const Measured& m) {
  MomentVec v{};
  for (int k = 0; k < kMoments; ++k) v[static_cast<std::size_t>(k)] = m.*kMomentField[k];
  return v;
}

// Measures one simulated feed like the source.
Measured measure_sim(const WorldParams& w, double epoch, double fit_s, std::uint64_t seed, bool use_upa,
                     const CalibrateOptions& opt, FeedStats* stats_out, bool persistence) {
  std::vector<TelemetryRow> st, su;
  simulate_feed(w, epoch, fit_s, seed, st, su);
  FeedStats fs = compute_feed_stats(st, use_upa ? su : std::vector<TelemetryRow>{}, {}, epoch, opt.stats);
  Measured m = measure(fs);
  m.lag1 = drain_step_lag1(st, opt.stats.drain_max_interval_s);
  if (persistence) m.persistence = finite_or(flicker_persistence(st, opt.stats.drain_max_interval_s), 0.0);
  if (stats_out) *stats_out = std::move(fs);
  return m;
}

// Fits the parameters of fit_params to the target's moments; writes the
// fitted values into `w` and the figures into `c`. Returns the measures of
// a simulation at the fitted parameters with the moments replaced by their
// mean over the fit seeds.
Measured fit_msm(WorldParams& w, const Measured& target, double epoch, double data_days, bool use_upa,
                  const CalibrateOptions& opt, Calibration& c) {
  const auto params = fit_params(opt.noise, opt.uses, w);
  const int p = static_cast<int>(params.size());
  const double fit_s = opt.fit_days * kDay;
  const int n_fit = std::max(1, opt.fit_seeds), n_var = std::max(n_fit, opt.var_seeds);
  const auto seed_of = [&](int i) { return opt.seed + 1000 + static_cast<std::uint64_t>(i); };
  const bool debug = std::getenv("PEEBOT_CALIBRATE_DEBUG") != nullptr;
  int sims = 0;

  Eigen::VectorXd x(p), lo(p), hi(p);
  for (int j = 0; j < p; ++j) {
    lo[j] = std::log(params[static_cast<std::size_t>(j)].lo);
    hi[j] = std::log(params[static_cast<std::size_t>(j)].hi);
    x[j] = std::clamp(std::log(std::max(params[static_cast<std::size_t>(j)].ref(w), 1e-12)), lo[j], hi[j]);
  }
  // Common random numbers in the parameters, not only across the points'
  // seeds: the fit simulations plan uses and drain-outs by thinning
  // fixed-rate candidate processes (crew.candidate_rate,
  // upa.dump_candidate_rate), so a step of voids_per_day or dumps_per_day
  // adds or removes a few of them and moves none (without it, every later
  // use moved and the finite differences of the rise moments were noise).
  // The rates are fixed for the whole fit: above the peak use rate at the
  // largest voids_per_day the fit may reach (3x the first guess) and the
  // largest dumps_per_day (3x its first guess).
  for (int j = 0; j < p; ++j) {
    const std::string key = params[static_cast<std::size_t>(j)].key;
    if (key == "crew.voids_per_day" || key == "upa.dumps_per_day") hi[j] = std::min(hi[j], x[j] + std::log(3.0));
  }
  {
    CrewParams top = w.crew;
    top.voids_per_day = std::min(50.0, 3.0 * w.crew.voids_per_day);
    double awake = std::fmod(top.sleep_s - top.wake_s + 2 * kDay, kDay);
    if (awake <= 0) awake = kDay;
    CrewParams day = top;
    day.voids_per_day = top.voids_per_day * (1.0 - top.night_share);
    // The shortest awake day jitter makes (3 sd of both ends) has the highest peak.
    const double shortest = std::max(3600.0, awake - 6.0 * top.daily_jitter_sd_s);
    const double peak_awake = void_rate_per_s(day, 0.0, shortest) * kDay;
    const double peak_night = top.voids_per_day * top.night_share * kDay / std::max(3600.0, kDay - awake - 6.0 * top.daily_jitter_sd_s);
    w.crew.candidate_per_day = 1.25 * std::max(peak_awake, peak_night);
    w.upa.dump_candidate_per_day = w.upa.dumps_per_day > 0 ? 3.0 * w.upa.dumps_per_day : 0.0;
  }
  const auto world_at = [&](const Eigen::VectorXd& v) {
    WorldParams q = w;
    for (int j = 0; j < p; ++j) params[static_cast<std::size_t>(j)].ref(q) = std::exp(v[j]);
    return q;
  };
  // The mean moments over the fit seeds (common random numbers: the same seeds at every point).
  const auto mean_moments = [&](const Eigen::VectorXd& v, std::vector<MomentVec>* per_seed, int seeds) {
    const WorldParams q = world_at(v);
    MomentVec sum{};
    std::array<int, kMoments> n{};
    for (int i = 0; i < seeds; ++i) {
      const MomentVec mv = moments_of(measure_sim(q, epoch, fit_s, seed_of(i), use_upa, opt, nullptr, false));
      ++sims;
      if (per_seed) per_seed->push_back(mv);
      if (i >= n_fit) continue;
      for (int k = 0; k < kMoments; ++k)
        if (std::isfinite(mv[static_cast<std::size_t>(k)])) sum[static_cast<std::size_t>(k)] += mv[static_cast<std::size_t>(k)], ++n[static_cast<std::size_t>(k)];
    }
    for (int k = 0; k < kMoments; ++k) sum[static_cast<std::size_t>(k)] = n[static_cast<std::size_t>(k)] ? sum[static_cast<std::size_t>(k)] / n[static_cast<std::size_t>(k)] : std::nan("");
    return sum;
  };

  // Weights: each moment's variance across seeds at the first guess, scaled
  // from fit_days to the source's length (a moment of a feed L days long
  // varies as 1/L); moments without a finite target or variance are left out.
  std::vector<MomentVec> runs;
  MomentVec m0 = mean_moments(x, &runs, n_var);
  const MomentVec tv = moments_of(target);
  std::vector<int> used;
  Eigen::VectorXd sd_data(kMoments), sd_est(kMoments);
  for (int k = 0; k < kMoments; ++k) {
    double s = 0, s2 = 0;
    int n = 0;
    for (const auto& mv : runs)
      if (std::isfinite(mv[static_cast<std::size_t>(k)])) s += mv[static_cast<std::size_t>(k)], s2 += mv[static_cast<std::size_t>(k)] * mv[static_cast<std::size_t>(k)], ++n;
    const double var = n >= 2 ? std::max(0.0, (s2 - s * s / n) / (n - 1)) : std::nan("");
    sd_data[k] = sd_est[k] = std::sqrt(var * opt.fit_days / std::max(data_days, 0.1));
    // At least a relative tolerance of the target: the model is not exact,
    // and a share measured on 100,000 intervals (sd 1e-4) would otherwise
    // outweigh every other moment.
    if (std::isfinite(tv[static_cast<std::size_t>(k)]))
      sd_data[k] = std::max(sd_data[k], opt.moment_tolerance * std::fabs(tv[static_cast<std::size_t>(k)]));
    if (k == 10 && opt.noise != NoiseModel::kDrift) continue;  // the lag-1 correlation identifies the drift only
    if (k == 12 && opt.uses != UseModel::kRegular) continue;  // the spread of rises per day identifies the regularity only
    if (std::isfinite(tv[static_cast<std::size_t>(k)]) && std::isfinite(m0[static_cast<std::size_t>(k)]) && n == n_var && sd_data[k] > 0 && std::isfinite(sd_data[k]))
      used.push_back(k);
  }
  const int mu = static_cast<int>(used.size());
  // Correlation of the used moments across the seeds (for the standard errors).
  Eigen::MatrixXd corr = Eigen::MatrixXd::Identity(mu, mu);
  if (runs.size() >= 3) {
    Eigen::MatrixXd z(static_cast<Eigen::Index>(runs.size()), mu);
    for (std::size_t i = 0; i < runs.size(); ++i)
      for (int a = 0; a < mu; ++a) z(static_cast<Eigen::Index>(i), a) = runs[i][static_cast<std::size_t>(used[static_cast<std::size_t>(a)])];
    const Eigen::RowVectorXd mean = z.colwise().mean();
    z.rowwise() -= mean;
    Eigen::MatrixXd cov = z.transpose() * z / static_cast<double>(runs.size() - 1);
    const Eigen::VectorXd d = cov.diagonal().cwiseSqrt();
    for (int a = 0; a < mu; ++a)
      for (int b = 0; b < mu; ++b) corr(a, b) = d[a] > 0 && d[b] > 0 ? cov(a, b) / (d[a] * d[b]) : (a == b ? 1.0 : 0.0);
  }
  // The covariance of the standardised residuals: the moments' correlation
  // scaled by estimated sd / weighting sd (they differ where the tolerance
  // floor or the goal cap set the weight).
  for (int a = 0; a < mu; ++a)
    for (int b = 0; b < mu; ++b) {
      const int ka = used[static_cast<std::size_t>(a)], kb = used[static_cast<std::size_t>(b)];
      corr(a, b) *= (sd_est[ka] / sd_data[ka]) * (sd_est[kb] / sd_data[kb]);
    }
  const auto residual = [&](const MomentVec& mv) {
    Eigen::VectorXd r(mu);
    for (int a = 0; a < mu; ++a) {
      const int k = used[static_cast<std::size_t>(a)];
      const double v = mv[static_cast<std::size_t>(k)];
      r[a] = std::isfinite(v) ? (v - tv[static_cast<std::size_t>(k)]) / sd_data[k] : 0.0;
    }
    return r;
  };
  // Central differences with a step of 20 % (0.2 in log parameter space):
  // the moments are averages over a finite simulation, so their response to
  // a parameter carries simulation noise that a small step would magnify (a
  // moved drain crossing meets other noise draws); central differences keep
  // the bias of the larger step second-order. At a bound the step is one-sided.
  const double h = 0.2;
  const auto jacobian = [&](const Eigen::VectorXd& v, const Eigen::VectorXd& r0) {
    Eigen::MatrixXd J(mu, p);
    for (int j = 0; j < p; ++j) {
      Eigen::VectorXd up = v, down = v;
      up[j] = std::min(hi[j], v[j] + h);
      down[j] = std::max(lo[j], v[j] - h);
      const Eigen::VectorXd ru = up[j] > v[j] ? residual(mean_moments(up, nullptr, n_fit)) : r0;
      const Eigen::VectorXd rd = down[j] < v[j] ? residual(mean_moments(down, nullptr, n_fit)) : r0;
      J.col(j) = up[j] > down[j] ? Eigen::VectorXd((ru - rd) / (up[j] - down[j])) : Eigen::VectorXd::Zero(mu);
    }
    return J;
  };

  Eigen::VectorXd r = residual(m0);
  double q = r.squaredNorm();
  double lambda = 1e-2;
  int it = 0;              // accepted steps
  bool j_at_x = false;     // J is the Jacobian at x (no accepted step since it was taken)
  Eigen::MatrixXd J;
  for (bool converged = false; it < opt.iterations && !converged;) {
    J = jacobian(x, r);
    j_at_x = true;
    const Eigen::MatrixXd A = J.transpose() * J;
    const Eigen::VectorXd g = J.transpose() * r;
    bool accepted = false;
    for (int tries = 0; tries < 6 && !accepted; ++tries) {
      Eigen::MatrixXd M = A;
      M.diagonal() += lambda * A.diagonal() + Eigen::VectorXd::Constant(p, 1e-9);
      Eigen::VectorXd delta = M.ldlt().solve(-g);
      const double big = delta.cwiseAbs().maxCoeff();
      if (big > 0.4) delta *= 0.4 / big;  // at most a factor of 1.5 per step (a trust region)
      const Eigen::VectorXd xn = (x + delta).cwiseMax(lo).cwiseMin(hi);
      const MomentVec mn = mean_moments(xn, nullptr, n_fit);
      const Eigen::VectorXd rn = residual(mn);
      const double qn = rn.squaredNorm();
      if (debug)
        std::fprintf(stderr, "msm: iteration %d try %d lambda %.3g objective %.4g -> %.4g\n", it, tries, lambda, q, qn);
      if (qn < q) {
        accepted = true;
        converged = q - qn < 1e-3 * q;
        x = xn, r = rn, q = qn, m0 = mn;
        lambda = std::max(lambda / 3.0, 1e-6);
        ++it;
        j_at_x = false;
      } else {
        lambda *= 4.0;
      }
    }
    if (!accepted) break;
  }
  // Standard errors: the sandwich of the weighted fit at the optimum,
  // (A^-1 J' C J A^-1) with C the moments' correlation, inflated by
  // 1 + L_data / (S L_sim) for the simulation noise of the fitted moments.
  // The Jacobian at the optimum: the loop's last one when no step was
  // accepted after it (the same simulations would give the same matrix).
  if (opt.iterations > 0 && !j_at_x) J = jacobian(x, r);
  Eigen::VectorXd se = Eigen::VectorXd::Constant(p, std::nan(""));
  if (J.rows() == mu && J.cols() == p && mu > 0) {
    const Eigen::MatrixXd A = J.transpose() * J;
    const Eigen::MatrixXd Ai = A.completeOrthogonalDecomposition().pseudoInverse();
    const Eigen::MatrixXd V = Ai * (J.transpose() * corr * J) * Ai * (1.0 + data_days / (n_fit * opt.fit_days));
    for (int j = 0; j < p; ++j) {
      // A parameter the moments do not move is not identified: no standard error.
      if (A(j, j) > 1e-12 && V(j, j) >= 0) se[j] = std::exp(x[j]) * std::sqrt(V(j, j));
    }
  }
  for (int j = 0; j < p; ++j) params[static_cast<std::size_t>(j)].ref(w) = std::exp(x[j]);
  c.fit_params.clear();
  for (int j = 0; j < p; ++j) c.fit_params.push_back({params[static_cast<std::size_t>(j)].key, std::exp(x[j]), se[j]});
  c.fit_moments.clear();
  for (int k = 0; k < kMoments; ++k) {
    const bool in = std::find(used.begin(), used.end(), k) != used.end();
    c.fit_moments.push_back({kMomentNames[k], tv[static_cast<std::size_t>(k)], m0[static_cast<std::size_t>(k)], sd_data[k], in});
  }
  c.fit_objective = q;
  c.fit_iterations = it;
  c.fit_simulations = sims;
  Measured fitted = measure_sim(w, epoch, fit_s, seed_of(0), use_upa, opt, &c.fitted, true);
  ++c.fit_simulations;
  // The reported fitted figures: the mean over the fit seeds.
  for (int k = 0; k < kMoments; ++k) fitted.*kMomentField[k] = m0[static_cast<std::size_t>(k)];
  return fitted;
}

std::string num(double x) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", x);
  return b;
}
}  // namespace

double flicker_persistence(const std::vector<TelemetryRow>& tank, double max_interval_s, double* share) {
  // Per drain run: the flicker flags of its successive steps.
  std::size_t n_f = 0, n_f_f = 0, n_nf = 0, n_nf_f = 0, steps = 0, flickered = 0;
  double low = 0, low_t = 0;
  bool has_low = false, in_run = false, cur_flicker = false, has_prev = false, prev_flicker = false;
  auto close_step = [&]() {  // the current step ends (next step or end of run)
    if (!in_run) return;
    ++steps;
    flickered += cur_flicker ? 1 : 0;
    if (has_prev) {
      (prev_flicker ? n_f : n_nf) += 1;
      if (cur_flicker) (prev_flicker ? n_f_f : n_nf_f) += 1;
    }
    has_prev = true;
    prev_flicker = cur_flicker;
  };
  for (const auto& r : tank) {
    if (!has_low || r.value >= low + 2.0) {  // start, or a rise: no run continues across it
      if (has_low) close_step();
      has_low = true, in_run = false, has_prev = false;
      low = r.value, low_t = r.t_s;
      continue;
    }
    if (r.value < low) {
      const double dt = r.t_s - low_t;
      const bool step = r.value == low - 1 && dt >= 60.0 && dt <= max_interval_s;
      close_step();
      if (!step) has_prev = false;
      in_run = step;
      cur_flicker = false;
      low = r.value, low_t = r.t_s;
    } else if (in_run && r.value == low + 1) {
      cur_flicker = true;
    }
  }
  close_step();
  if (share) *share = steps ? static_cast<double>(flickered) / static_cast<double>(steps) : std::nan("");
  if (n_f == 0 || n_nf == 0) return std::nan("");
  return static_cast<double>(n_f_f) / static_cast<double>(n_f) - static_cast<double>(n_nf_f) / static_cast<double>(n_nf);
}

double drain_step_lag1(const std::vector<TelemetryRow>& tank, double max_interval_s) {
  double num = 0, den = 0;
  std::size_t pairs = 0;
  std::vector<double> run;
  auto close_run = [&]() {
    if (run.size() >= 4) {
      double m = 0;
      for (double x : run) m += x;
      m /= static_cast<double>(run.size());
      for (std::size_t i = 0; i < run.size(); ++i) {
        den += (run[i] - m) * (run[i] - m);
        if (i > 0) num += (run[i] - m) * (run[i - 1] - m), ++pairs;
      }
    }
    run.clear();
  };
  double low = 0, low_t = 0;
  bool has_low = false;
  for (const auto& r : tank) {
    if (!has_low || r.value >= low + 2.0) {  // start, or a rise: a new run
      close_run();
      has_low = true;
      low = r.value, low_t = r.t_s;
      continue;
    }
    if (r.value >= low) continue;
    const double dt = r.t_s - low_t;
    if (r.value == low - 1 && dt >= 60.0 && dt <= max_interval_s) run.push_back(dt);
    else close_run();
    low = r.value, low_t = r.t_s;
  }
  close_run();
  return pairs >= 20 && den > 0 ? num / den : std::nan("");
}

void simulate_feed(const WorldParams& w, double epoch_unix_s, double duration_s, std::uint64_t seed,
                   std::vector<TelemetryRow>& tank, std::vector<TelemetryRow>& upa) {
  World world(w, epoch_unix_s, duration_s, seed);
  std::vector<Update> out;
  std::uint64_t next_seq = 1;
  tank.clear();
  upa.clear();
  for (double t = 0; t < duration_s;) {
    t = std::min(duration_s, t + 3600.0);
    out.clear();
    world.advance(t, out, next_seq);
    for (const auto& u : out) {
      if (u.item != kUrineTank && u.item != kUpaState) continue;
      TelemetryRow r;
      r.t_s = u.t_emit_s;
      r.t_emit_s = u.t_emit_s;
      r.value = u.value;
      r.seq = u.seq;
      (u.item == kUrineTank ? tank : upa).push_back(r);
    }
  }
}

void place_span(Calibration& c, const std::vector<TelemetryRow>& tank, const FeedStats& T, double epoch_unix_s,
                const CalibrateOptions& opt) {
  Scenario& sc = c.scenario;
  WorldParams& w = sc.world;
  const double t0 = std::floor(epoch_unix_s + T.first_s) - epoch_unix_s;
  sc.epoch_unix_s = epoch_unix_s + t0;
  sc.start_utc = format_utc(sc.epoch_unix_s);
  sc.duration_s = std::ceil(T.last_s - t0);
  w.tank.initial_pct = std::clamp(tank.front().value + 0.5, 0.0, 100.0);
  // Gaps: long ones (logger outages) replayed as fixed windows.
  w.los.extra.clear();
  for (const auto& g : T.gaps)
    if (g.end_s - g.start_s >= opt.replay_gap_s) {
      const double a = std::max(0.0, g.start_s - t0), b = std::min(sc.duration_s, g.end_s - t0);
      if (b > a) w.los.extra.push_back({a, b});
    }
  c.replayed_gaps = w.los.extra;
}

Calibration calibrate_series(const std::vector<TelemetryRow>& tank, const std::vector<TelemetryRow>& upa,
                             const std::vector<TelemetryRow>& signal, double epoch_unix_s, const CalibrateOptions& opt) {
  Calibration c;
  const std::vector<GapWindow> los = los_windows_of(signal);
  c.target = compute_feed_stats(tank, upa, los, epoch_unix_s, opt.stats);
  const FeedStats& T = c.target;
  const double span = T.last_s - T.first_s;
  if (T.tank_updates < 2 || span < 2 * kDay)
    throw std::invalid_argument("the trace's tank series spans " + format_duration(std::max(0.0, span)) +
                                ", expected at least 2 days of NODE3000005 updates to calibrate");
  if (T.rise_size_pct.count() == 0 || T.drain_step_s.count() == 0)
    throw std::invalid_argument("the trace's tank series has " + std::to_string(T.rise_size_pct.count()) +
                                " rise events and " + std::to_string(T.drain_step_s.count()) +
                                " drain steps, expected some of each to calibrate");
  Measured target = measure(T);
  target.persistence = finite_or(flicker_persistence(tank, opt.stats.drain_max_interval_s), 0.0);
  target.lag1 = drain_step_lag1(tank, opt.stats.drain_max_interval_s);
  const bool burst = opt.noise == NoiseModel::kBurst;
  const bool drift = opt.noise == NoiseModel::kDrift;
  // The fit simulations are measured like the source: with the UPA state only
  // when the source has it (an import of a tank-only recording has not, and
  // then every new low counts as a drain step, fast drain-outs included).
  const bool use_upa = !upa.empty();

  Scenario& sc = c.scenario;
  sc.name = opt.name;
  sc.seed = opt.seed;
  // The same span as the source: t = 0 at its first tank update (whole second).
  place_span(c, tank, T, epoch_unix_s, opt);
  WorldParams& w = sc.world;
  w.crew.size = opt.crew_size;

  // Sleep window and wake burst from the hour-of-day profile.
  const auto [quiet_start, quiet_len] = quiet_window(T.hour_profile);
  w.crew.sleep_s = quiet_start * kHour;
  w.crew.wake_s = ((quiet_start + quiet_len) % 24) * kHour;
  {
    const int wake_h = (quiet_start + quiet_len) % 24;
    double rest = 0;
    int n = 0;
    for (int i = 2; i < 24 - quiet_len; ++i) rest += static_cast<double>(T.hour_profile[static_cast<std::size_t>((wake_h + i) % 24)]), ++n;
    const double first = static_cast<double>(T.hour_profile[static_cast<std::size_t>(wake_h)]);
    w.crew.wake_burst_factor = n && rest > 0 ? std::clamp(first / (rest / n), 1.0, 20.0) : 1.0;
    double quiet = 0, all = 0;
    for (int i = 0; i < 24; ++i) {
      const double x = static_cast<double>(T.hour_profile[static_cast<std::size_t>(i)]);
      all += x;
      if (((i - quiet_start) % 24 + 24) % 24 < quiet_len) quiet += x;
    }
    w.crew.night_share = all > 0 ? std::clamp(quiet / all, 0.0, 0.9) : 0.0;
  }

  // The UPA: drain rate from the step interval, thresholds from the levels.
  w.upa.drain_pct_per_min = std::clamp(60.0 / target.drain_step, 0.01, 100.0);
  const double stop = std::clamp(level_quantile(tank, 0.02), 0.0, 98.0);
  double start = drain_start_level(tank, opt.stats.drain_max_interval_s);
  if (!(start > stop + 1)) start = std::min(100.0, stop + 20);
  // A reading v means a true level in [v, v + 1): the thresholds sit mid-bin.
  // At v itself a drain would stop exactly on a boundary, and the level
  // would flicker there for the whole standby (hours of +-1 % every few
  // seconds, which the recordings do not show).
  w.upa.stop_pct = std::min(stop + 0.5, 99.0);
  w.upa.start_pct = std::min(start + 0.5, 100.0);
  w.upa.start_processing = false;

  // Bulk transfers.
  {
    std::vector<double> sizes, rates;
    for (const auto& e : T.rise_events)
      if (e.bulk) {
        sizes.push_back(e.size_pct());
        if (e.end_s > e.onset_s) rates.push_back(e.size_pct() / ((e.end_s - e.onset_s) / 60.0));
      }
    c.bulk_per_day = static_cast<double>(T.bulk_transfers) / active_days(T);
    w.bulk.per_day = c.bulk_per_day;
    if (!sizes.empty()) {
      w.bulk.min_pct = std::clamp(*std::min_element(sizes.begin(), sizes.end()), 0.0, 100.0);
      w.bulk.max_pct = std::clamp(*std::max_element(sizes.begin(), sizes.end()), w.bulk.min_pct, 100.0);
    }
    if (!rates.empty()) {
      std::nth_element(rates.begin(), rates.begin() + static_cast<long>(rates.size() / 2), rates.end());
      w.bulk.rate_pct_per_min = std::clamp(rates[rates.size() / 2], 1.0, 1000.0);
    }
  }

  // Fast drain-outs.
  {
    std::vector<double> sizes, rates;
    find_dumps(tank, sizes, rates);
    w.upa.dumps_per_day = static_cast<double>(sizes.size()) / active_days(T);
    if (!sizes.empty()) {
      w.upa.dump_min_pct = std::clamp(percentile(sizes, 10), 0.0, 100.0);
      w.upa.dump_max_pct = std::clamp(percentile(sizes, 90), w.upa.dump_min_pct, 100.0);
    }
    if (!rates.empty()) w.upa.dump_rate_pct_per_min = std::clamp(percentile(rates, 50), 0.1, 1000.0);
  }

  // Orbit LOS from the signal when there is one (the long gaps were replayed by place_span).
  {
    std::vector<double> lens;
    for (const auto& g : los)
      if (g.end_s - g.start_s < opt.stats.long_gap_s) lens.push_back(g.end_s - g.start_s);
    c.los_from_signal = opt.signal_is_real && !signal.empty();
    if (c.los_from_signal && !lens.empty()) {
      w.los.enabled = true;
      double m = 0;
      for (double x : lens) m += x;
      m /= static_cast<double>(lens.size());
      w.los.gap_mean_s = std::max(1.0, m);
      w.los.gap_sd_s = sd_of(lens);
      w.los.gap_min_s = std::min(w.los.gap_min_s, *std::min_element(lens.begin(), lens.end()));
      w.los.probability = std::clamp(static_cast<double>(lens.size()) / (span / w.los.orbit_period_s), 0.0, 1.0);
    } else {
      w.los.enabled = c.los_from_signal;  // a signal without LOS: none; no signal: unknown, none simulated
      if (c.los_from_signal) w.los.probability = 0.0;
    }
  }

  // First guesses of the crew, then the joint fit.
  const double cap = w.tank.capacity_ml;
  if (opt.uses == UseModel::kRegular) {
    // Whole persons use the UPA toilet (upa_share x crew of them: on the ISS
    // the US segment's toilet; the Russian segment has its own), each with
    // gamma intervals between uses; the shape starts at 3 (fitted below).
    w.crew.toilet_choice = "per_person";
    w.crew.interval_shape = 3.0;
  }
  w.crew.voids_per_day = std::clamp(target.rises_per_day / (w.crew.size * w.crew.upa_share), 0.1, 50.0);
  w.crew.urine_mean_ml = std::clamp(target.rise_mean * cap / 100.0 - w.crew.flush_ml, 30.0, 2000.0);
  w.crew.urine_sd_ml = std::clamp(target.rise_sd * cap / 100.0, 0.0, 1000.0);

  if (burst) {
    // Burst noise replaces the AR(1) read noise, within-run jitter the per-run drain spread.
    w.sensor.noise_pct = 0.0;
    w.sensor.burst_pct = 0.01;
    w.sensor.burst_tau_s = 600.0;
    w.sensor.burst_fast_tau_s = 0.0;
    w.upa.drain_sd = 0.0;
    w.upa.drain_jitter = std::clamp(target.drain_riqr / 0.6, 0.0, 0.8);
  }
  if (drift) {
    // The drift of the reading spreads the drain steps within a run: it
    // replaces the per-run drain_sd (docs/models.md, "Drift").
    w.upa.drain_sd = 0.0;
    w.sensor.drift_pct = 0.1;
    w.sensor.drift_tau_s = 300.0;
    w.sensor.drift_processing_only = true;
    // The read noise starts where the drift model has put it on pisslog-2025
    // (0.017 %, 1.4 s): from the scenario defaults (0.05 %, 8 s) the noise
    // hides a third of the rises behind the flicker guard and the joint fit
    // can settle there.
    w.sensor.noise_pct = 0.02;
    w.sensor.noise_tau_s = 2.0;
  }
  if (!burst && !drift) w.upa.drain_sd = 0.1;  // AR(1): the per-run spread starts at 10 % (fitted below)
  w.crew.urine_sd_ml = std::max(w.crew.urine_sd_ml, 10.0);
  if (opt.day_noise && !burst) w.sensor.noise_day_sd = 0.3;

  // The joint fit (method of simulated moments): every fitted parameter at
  // once against every moment, by Levenberg-Marquardt on a finite-difference
  // Jacobian of fixed-seed simulations (docs/models.md, "Calibration").
  WorldParams fit = w;
  fit.los.enabled = false;
  fit.los.extra.clear();
  fit.water.enabled = false;
  const Measured m = fit_msm(fit, target, sc.epoch_unix_s, active_days(T), use_upa, opt, c);
  w.crew = fit.crew;
  w.crew.candidate_per_day = 0;  // the written scenario plans as by default (the same law; see fit_msm)
  w.sensor = fit.sensor;
  w.upa.drain_pct_per_min = fit.upa.drain_pct_per_min;
  w.upa.drain_sd = fit.upa.drain_sd;
  w.upa.drain_jitter = fit.upa.drain_jitter;
  w.upa.dumps_per_day = fit.upa.dumps_per_day;

  c.target_rises_per_day = target.rises_per_day;
  c.fitted_rises_per_day = m.rises_per_day;
  c.target_rise_mean_pct = target.rise_mean;
  c.fitted_rise_mean_pct = m.rise_mean;
  c.target_flicker_per_hour = target.flicker_per_hour;
  c.fitted_flicker_per_hour = m.flicker_per_hour;
  c.target_drain_step_s = target.drain_step;
  c.fitted_drain_step_s = m.drain_step;
  c.target_flicker_persistence = target.persistence;
  c.fitted_flicker_persistence = m.persistence;
  c.target_drain_riqr = target.drain_riqr;
  c.fitted_drain_riqr = m.drain_riqr;
  c.target_fast_share = target.fast_share;
  c.fitted_fast_share = m.fast_share;
  c.target_drain_lag1 = target.lag1;
  c.fitted_drain_lag1 = m.lag1;
  return c;
}

Calibration calibrate(const Trace& trace, const CalibrateOptions& opt) {
  CalibrateOptions o = opt;
  if (o.name.empty()) o.name = "calibrated-" + (trace.meta.scenario_name.empty() ? std::string("trace") : trace.meta.scenario_name);
  o.signal_is_real = trace.meta.mode != "import";
  const double e = trace.meta.epoch_unix_s;
  const TimeRange fit = o.fit_range ? *o.fit_range : TimeRange{};
  const auto tank = o.fit_range ? rows_in_range(trace.telemetry[kUrineTank], e, fit) : trace.telemetry[kUrineTank];
  Calibration c = o.fit_range ? calibrate_series(tank, rows_in_range(trace.telemetry[kUpaState], e, fit),
                                                 signal_rows_in_range(trace.telemetry[kSignal], e, fit), e, o)
                              : calibrate_series(tank, trace.telemetry[kUpaState], trace.telemetry[kSignal], e, o);
  c.fit_from_unix_s = e + tank.front().t_s;
  c.fit_to_unix_s = e + tank.back().t_s;
  if (o.run_range) {
    // The written scenario spans the run range: its start, duration, first
    // level and logger outages come from the trace there; the world is the
    // one fitted on the fit range.
    const auto run_tank = rows_in_range(trace.telemetry[kUrineTank], e, *o.run_range);
    const auto run_sig = signal_rows_in_range(trace.telemetry[kSignal], e, *o.run_range);
    FeedStats R = compute_feed_stats(run_tank, {}, los_windows_of(run_sig), e, o.stats);
    if (run_tank.size() < 2) throw std::invalid_argument("the run range holds fewer than 2 tank updates");
    place_span(c, run_tank, R, e, o);
  }
  return c;
}

std::string fit_summary(const Calibration& c, const std::string& prefix) {
  std::ostringstream o;
  o << prefix << "Joint fit (method of simulated moments, Levenberg-Marquardt, " << c.fit_iterations << " iterations, "
    << c.fit_simulations << " simulations; objective " << num(c.fit_objective) << " over "
    << std::count_if(c.fit_moments.begin(), c.fit_moments.end(), [](const FittedMoment& m) { return m.used; })
    << " moments):\n";
  o << prefix << "  parameter                 value        standard error\n";
  for (const auto& p : c.fit_params) {
    char b[160];
    std::snprintf(b, sizeof b, "  %-24s %-12s %s\n", p.key.c_str(), num(p.value).c_str(),
                  std::isfinite(p.se) ? num(p.se).c_str() : "not identified");
    o << prefix << b;
  }
  o << prefix << "  moment                          source       fitted       sd of the source\n";
  for (const auto& m : c.fit_moments) {
    char b[200];
    std::snprintf(b, sizeof b, "  %-31s %-12s %-12s %s%s\n", m.name.c_str(), num(m.target).c_str(), num(m.fitted).c_str(),
                  num(m.sd).c_str(), m.used ? "" : " (not used)");
    o << prefix << b;
  }
  return o.str();
}


std::string calibrated_scenario_toml(const Calibration& c, const CalibrateOptions& opt) {
  Scenario s = c.scenario;
  const FeedStats& T = c.target;
  s.description = "calibrated from " + (opt.source.empty() ? std::string("a trace") : opt.source);
  std::ostringstream o;
  o << "# Written by `peebot calibrate`" << (opt.source.empty() ? "" : " from " + opt.source) << ".\n"
    << "# Every key is documented in docs/scenarios.md; the method in docs/models.md (Calibration).\n"
    << "# Source: " << T.tank_updates << " tank updates, " << T.rise_events.size() << " rise events, "
    << T.covered_days << " covered days, " << T.bulk_transfers << " bulk transfers.\n"
    << (opt.fit_range ? "# Fitted on the source's tank updates " + format_utc(c.fit_from_unix_s) + " .. " +
                            format_utc(c.fit_to_unix_s) + " (--fit-range)" +
                            (opt.run_range ? "; the scenario spans --run-range (start, duration, first level, outages)" : "") +
                            ".\n"
                      : std::string())
    << "# Flicker persistence (printed, not fitted): " << num(c.target_flicker_persistence) << " in the source, "
    << num(c.fitted_flicker_persistence) << " in one fit simulation (" << num(opt.fit_days)
    << " d without network) at the fitted values.\n";
  o << fit_summary(c, "# ") << "#\n";
  o << "# Where the values come from. scenario: the source's span (start = its first tank update).\n"
    << "# crew: size assumed (--crew: the feed cannot tell crew size from rate); wake/sleep = the quiet\n"
    << "# window of the hour-of-day profile (UTC); wake_burst_factor = first awake hour / the rest;\n"
    << "# night_share = share of rises in the quiet window; "
    << (opt.uses == UseModel::kRegular
            ? "uses (--uses regular): upa_share x size whole persons use the\n"
              "# UPA toilet (toilet_choice per_person), their intervals gamma of shape interval_shape; "
            : "uses (--uses poisson): a coin of upa_share per use, Poisson uses;\n# ")
    << "the keys marked \"joint fit\" by the\n"
    << "# method of simulated moments. upa: stop = 2nd percentile of the level (time-weighted), start =\n"
    << "# 10th percentile of the drain runs that follow a standby, each + 0.5 (mid-bin: a reading v is\n"
    << "# a true level in [v, v + 1)); drain-outs (dump_*): runs of >= 3 new lows <= 30 s apart.\n"
    << "# sensor: " << (opt.noise == NoiseModel::kBurst ? "burst noise (slow correlation time assumed 600 s), no AR(1) noise"
                         : opt.noise == NoiseModel::kDrift ? "AR(1) read noise and the drift of the reading (upa.drain_sd 0)"
                                                           : "AR(1) read noise and the per-run drain spread")
    << ". bulk: the source's bulk transfers.\n"
    << "# los: " << (c.los_from_signal ? "orbit LOS fitted to the TIME_000001 LOS windows of the source"
                                      : "the source has no signal status (none, or an import's gap markers): no random LOS")
    << "; windows = its gaps of " << format_duration(opt.replay_gap_s) << " or more (logger outages), replayed.\n"
    << "# [water], [background], [network], [pipeline.*], [trace], [report]: defaults (docs/scenarios.md).\n\n";
  // The keys through the scenario schema (the loader's own renderer), each
  // parameter of the joint fit with its standard error.
  std::map<std::string, std::string> notes;
  for (const auto& p : c.fit_params)
    notes[p.key] = std::isfinite(p.se) ? "joint fit, standard error " + num(p.se) : "joint fit, not identified";
  const std::vector<std::string> sections = {"scenario", "crew", "tank", "upa", "sensor", "bulk", "los"};
  std::string current;
  for (const std::string& key : scenario_key_paths()) {
    const auto dot = key.rfind('.');
    if (dot == std::string::npos) continue;
    const std::string sec = key.substr(0, dot);
    if (std::find(sections.begin(), sections.end(), sec) == sections.end()) continue;
    if (sec != current) o << (current.empty() ? "" : "\n") << "[" << (current = sec) << "]\n";
    o << scenario_key_line(s, key);
    const auto n = notes.find(key);
    if (n != notes.end()) o << "  # " << n->second;
    o << "\n";
  }
  const std::string text = o.str();
  // What is written must load: a failure here is a bug, not bad input.
  parse_scenario(text, "calibrated scenario");
  return text;
}

}  // namespace peebot
