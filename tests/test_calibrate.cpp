// Calibration: recovers known world parameters from a simulated feed, writes
// a scenario that loads, and the CLI's exit codes.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "sim/analysis/calibrate.hpp"
#include "sim/cli/child_pool.hpp"

using namespace peebot;

namespace {
constexpr double kDay = 86400.0;
constexpr double kEpoch = 1736121600.0;  // 2025-01-06T00:00:00Z

int run_cli(const std::string& args, std::string& out) {
  const std::string cmd = std::string(PEEBOT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  out.clear();
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Simulates `days` of the known world `w` (no LOS, no water tanks) with
// `seed` and calibrates it with `o`: the set-up of the recovery tests. With
// `tank_only` the source has no UPA state series, like pisslog.
Calibration recover(WorldParams w, double days, std::uint64_t seed, const CalibrateOptions& o, bool tank_only = false) {
  w.los.enabled = false;
  w.water.enabled = false;
  std::vector<TelemetryRow> tank, upa;
  simulate_feed(w, kEpoch, days * kDay, seed, tank, upa);
  return calibrate_series(tank, tank_only ? std::vector<TelemetryRow>{} : upa, {}, kEpoch, o);
}

// 30 days of `w` (seed 21), fitted with the given noise model over 30-day
// simulations, 5 iterations.
Calibration recover_30d(const WorldParams& w, NoiseModel noise, const std::string& name, CalibrateOptions& o) {
  o.noise = noise;
  o.fit_days = 30;
  o.iterations = 5;
  o.name = name;
  return recover(w, 30, 21, o);
}

// A pisslog-like world with the drift model: 8 uses/person/day, drain
// 0.21 %/min, stop at 8.5 %, AR(1) read noise 0.02 % (2 s), drift 0.12 %
// (300 s) shown while processing.
WorldParams drift_world() {
  WorldParams w;
  w.crew.voids_per_day = 8;
  w.upa.stop_pct = 8.5;
  w.upa.drain_pct_per_min = 0.21;
  w.sensor.noise_pct = 0.02;
  w.sensor.noise_tau_s = 2;
  w.sensor.drift_pct = 0.12;
  w.sensor.drift_tau_s = 300;
  w.sensor.drift_processing_only = true;
  return w;
}
}  // namespace

TEST_CASE("calibrate recovers drain rate, use rate, rise size, noise and bulk rate of a simulated feed", "[calibrate]") {
  // Known world: 6 crew, 07:00-22:00, 5 uses/day at the UPA toilet share 0.4,
  // 300 mL + 100 mL flush, drain 0.25 %/min, read noise 0.08 %, 0.5 bulk/day.
  WorldParams w;
  w.crew.size = 6;
  w.crew.wake_s = 7 * 3600.0;
  w.crew.sleep_s = 22 * 3600.0;
  w.crew.voids_per_day = 5;
  w.crew.upa_share = 0.4;
  w.crew.urine_mean_ml = 300;
  w.crew.urine_sd_ml = 80;
  w.crew.flush_ml = 100;
  w.upa.drain_pct_per_min = 0.25;
  // Thresholds mid-bin, as calibrate places them (at a whole 12 % the level
  // would sit on a boundary through every standby and its flicker would hide
  // uses behind the 60-s flicker guard).
  w.upa.start_pct = 45.5;
  w.upa.stop_pct = 12.5;
  w.sensor.noise_pct = 0.08;
  w.bulk.per_day = 0.5;
  w.los.enabled = false;
  w.water.enabled = false;
  std::vector<TelemetryRow> tank, upa;
  simulate_feed(w, kEpoch, 24 * kDay, 42, tank, upa);
  REQUIRE(tank.size() > 1000);

  CalibrateOptions o;
  o.uses = UseModel::kPoisson;  // the known world's uses: a coin per use, a Poisson process
  o.crew_size = 6;
  o.fit_days = 60;
  o.iterations = 5;
  o.noise = NoiseModel::kAr1;  // the feed was made with AR(1) read noise
  o.name = "recovered";
  const Calibration c = calibrate_series(tank, upa, {}, kEpoch, o);
  const WorldParams& f = c.scenario.world;
  // Tolerances: drain +-10 %, uses per person per day (upa_share fixed at its
  // default 0.35, so the product size x rate x share is what is identifiable)
  // +-20 %, mean volume per use (urine + flush) +-20 %, noise +-40 %, bulk
  // rate +-60 % (12 transfers expected), sleep window +-1 h.
  CHECK(f.upa.drain_pct_per_min == Approx(0.25).epsilon(0.10));
  CHECK(f.crew.size * f.crew.voids_per_day * f.crew.upa_share == Approx(6 * 5 * 0.4).epsilon(0.20));
  CHECK(f.crew.urine_mean_ml + f.crew.flush_ml == Approx(400).epsilon(0.20));
  CHECK(f.sensor.noise_pct == Approx(0.08).epsilon(0.40));
  CHECK(f.bulk.per_day == Approx(0.5).epsilon(0.60));
  CHECK(std::fabs(f.crew.wake_s - 7 * 3600.0) <= 3600.0);
  CHECK(std::fabs(f.crew.sleep_s - 22 * 3600.0) <= 3600.0);
  // The fit reproduces what it fitted.
  CHECK(c.fitted_rises_per_day == Approx(c.target_rises_per_day).epsilon(0.15));
  CHECK(c.fitted_drain_step_s == Approx(c.target_drain_step_s).epsilon(0.10));
  // The written scenario loads and carries the fitted values and the span.
  const std::string text = calibrated_scenario_toml(c, o);
  const Scenario back = parse_scenario(text, "calibrated.toml");
  CHECK(back.name == "recovered");
  CHECK(back.world.upa.drain_pct_per_min == Approx(f.upa.drain_pct_per_min).epsilon(1e-5));
  CHECK(back.world.sensor.noise_pct == Approx(f.sensor.noise_pct).epsilon(1e-5));
  CHECK(back.duration_s == Approx(c.scenario.duration_s).margin(1.0));
  CHECK(back.world.los.enabled == false);  // no signal status in the source: no random LOS
}

TEST_CASE("calibrate recovers burst-noise scale and within-run drain jitter of a simulated feed", "[calibrate][burst]") {
  // Known world: burst noise 0.012 % (slow amplitude 600 s), no AR(1) noise,
  // drain 0.21 %/min with within-run jitter 0.25 every 60 s (pisslog-like).
  WorldParams w;
  w.crew.voids_per_day = 8;
  w.upa.drain_pct_per_min = 0.21;
  w.upa.drain_jitter = 0.25;
  // Thresholds mid-bin, as calibrate places them: at a whole 12 % the level
  // would rest on a boundary through every standby and flicker for hours
  // (10,190 tank updates a day), a world calibrate does not fit.
  w.upa.start_pct = 45.5;
  w.upa.stop_pct = 12.5;
  w.sensor.noise_pct = 0;
  w.sensor.burst_pct = 0.012;
  CalibrateOptions o;
  o.uses = UseModel::kPoisson;  // the known world's uses: a coin per use, a Poisson process
  const Calibration c = recover_30d(w, NoiseModel::kBurst, "recovered-burst", o);
  const WorldParams& f = c.scenario.world;
  INFO(fit_summary(c, ""));
  // Tolerances: burst scale +-35 %, drain jitter +-0.12 (absolute), drain rate +-10 %;
  // the model it fits is the burst model: no AR(1) noise, no per-run spread.
  // burst_pct within three standard errors of the joint fit.
  const auto se_of = [&](const std::string& key) {
    for (const auto& p : c.fit_params)
      if (p.key == key) return p.se;
    return std::nan("");
  };
  CHECK(std::fabs(f.sensor.burst_pct - 0.012) <= 3 * se_of("sensor.burst_pct"));
  CHECK(std::fabs(f.upa.drain_jitter - 0.25) <= 0.12);
  CHECK(f.upa.drain_pct_per_min == Approx(0.21).epsilon(0.10));
  CHECK(f.sensor.noise_pct == 0.0);
  CHECK(f.upa.drain_sd == 0.0);
  // The flicker it fitted is within three of the source's standard deviations.
  for (const auto& m : c.fit_moments)
    if (m.name == "flicker episodes per hour") CHECK(std::fabs(m.fitted - m.target) <= 3 * m.sd);
  const Scenario back = parse_scenario(calibrated_scenario_toml(c, o), "calibrated.toml");
  CHECK(back.world.sensor.burst_pct == Approx(f.sensor.burst_pct).epsilon(1e-5));
  CHECK(back.world.upa.drain_jitter == Approx(f.upa.drain_jitter).epsilon(1e-5));
}

TEST_CASE("calibrate refuses a feed too short to calibrate", "[calibrate]") {
  WorldParams w;
  w.los.enabled = false;
  std::vector<TelemetryRow> tank, upa;
  simulate_feed(w, kEpoch, 0.5 * kDay, 1, tank, upa);
  REQUIRE_THROWS_WITH(calibrate_series(tank, upa, {}, kEpoch), Catch::Contains("expected at least 2 days"));
}

TEST_CASE("peebot calibrate writes a loadable scenario from a run's trace, and rejects bad input with exit 2", "[calibrate][cli]") {
  const cli::TempDir tmp("calib");  // removed with what it holds when the test ends
  const std::string& dir = tmp.path();
  const std::string scen = dir + "/s.toml", trace = dir + "/s.h5", out = dir + "/cal.toml";
  std::ofstream(scen) << "[scenario]\nname = \"calib-src\"\nduration = \"3d\"\nseed = 3\n"
                         "[background]\nrate = 5\nitems = 20\n[bulk]\nper_day = 1\n";
  std::string text;
  REQUIRE(run_cli("run " + scen + " -o " + trace, text) == 0);
  REQUIRE(run_cli("calibrate " + trace + " -o " + out + " --fit-days 3 --iterations 2", text) == 0);
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  const Scenario s = parse_scenario(ss.str(), out);
  CHECK(s.name == "calibrated-calib-src");
  CHECK(s.world.los.enabled);  // the sim trace has TIME_000001: LOS fitted from it
  CHECK(run_cli("calibrate " + dir + "/missing.h5", text) == 2);
  CHECK(text.find("missing.h5") != std::string::npos);
  CHECK(run_cli("calibrate " + trace + " --crew 0", text) == 2);
  CHECK(run_cli("calibrate --help", text) == 0);
  CHECK(text.find("Usage: peebot calibrate") != std::string::npos);
  CHECK(text.find("--fit-range") != std::string::npos);
  CHECK(run_cli("calibrate " + trace + " --fit-range middle", text) == 2);
  CHECK(text.find("expected first-half, second-half") != std::string::npos);
  CHECK(run_cli("compare " + trace + " " + trace + " --range second-half --json", text) == 0);
  CHECK(text.find("\"spec\": \"second-half\"") != std::string::npos);
  CHECK(text.find("\"tank_updates_per_day\"") != std::string::npos);
  CHECK(run_cli("compare " + trace + " " + trace + " --range 2030-01-01T00:00:00Z..", text) == 2);
}

TEST_CASE("calibrate recovers the sensor drift of a simulated feed", "[calibrate][drift]") {
  // Known world: drift_world() (AR(1) read noise 0.02 % (2 s), drift 0.12 %
  // (300 s) shown while processing, drain 0.21 %/min, stop at 8.5 %).
  CalibrateOptions o;
  o.uses = UseModel::kPoisson;  // the known world's uses: a coin per use, a Poisson process
  o.day_noise = false;  // the feed has no day-to-day read noise: fit the model it was made with
  const Calibration c = recover_30d(drift_world(), NoiseModel::kDrift, "recovered-drift", o);
  const WorldParams& f = c.scenario.world;
  INFO(fit_summary(c, ""));
  // Tolerances: drift +-20 %, drift time +-40 %, read noise +-40 %, drain
  // rate +-10 %; stop threshold mid-bin of the lowest reading (8 -> 8.5);
  // the model it fits: no per-run spread, drift while processing.
  CHECK(f.sensor.drift_pct == Approx(0.12).epsilon(0.20));
  CHECK(f.sensor.drift_tau_s == Approx(300).epsilon(0.40));
  CHECK(f.sensor.noise_pct == Approx(0.02).epsilon(0.40));
  CHECK(f.upa.drain_pct_per_min == Approx(0.21).epsilon(0.10));
  CHECK(f.upa.stop_pct == 8.5);
  CHECK(f.upa.start_pct == 45.5);  // the drains that follow a standby start at 45 % (mid-bin: 45.5)
  CHECK(f.upa.drain_sd == 0.0);
  CHECK(f.sensor.drift_processing_only);
  // Every parameter of the joint fit within three of its standard errors of the truth.
  const std::map<std::string, double> truth = {
      {"crew.voids_per_day", 8},       {"crew.urine_mean_ml", 250}, {"crew.urine_sd_ml", 90},
      {"upa.drain_pct_per_min", 0.21}, {"sensor.noise_pct", 0.02},  {"sensor.noise_tau", 2},
      {"sensor.drift_pct", 0.12},      {"sensor.drift_tau", 300}};
  REQUIRE(c.fit_params.size() == truth.size());
  for (const auto& p : c.fit_params) {
    INFO(p.key << " = " << p.value << " +- " << p.se << " (truth " << truth.at(p.key) << ")");
    CHECK(std::fabs(p.value - truth.at(p.key)) <= 3 * p.se);
  }
  CHECK(c.fitted_drain_riqr == Approx(c.target_drain_riqr).epsilon(0.15));
  const Scenario back = parse_scenario(calibrated_scenario_toml(c, o), "calibrated.toml");
  CHECK(back.world.sensor.drift_pct == Approx(f.sensor.drift_pct).epsilon(1e-5));
  CHECK(back.world.sensor.drift_tau_s == Approx(f.sensor.drift_tau_s).epsilon(1e-3));
  CHECK(back.world.sensor.drift_processing_only);
}

TEST_CASE("drain_step_lag1 is negative when a long drain step is followed by a short one", "[calibrate][drift]") {
  // Three drain runs from 60 %: intervals alternate 250 / 350 s (lag-1 -1),
  // then a run of equal ones mixed in changes nothing but the count.
  std::vector<std::pair<double, double>> s;
  double t = 0;
  for (int run = 0; run < 3; ++run) {
    s.push_back({t, 60});
    for (int k = 1; k <= 12; ++k) {
      t += k % 2 ? 250 : 350;
      s.push_back({t, 60 - k});
    }
    t += 3600;  // a use brings the level back up: a new run
  }
  const double alt = drain_step_lag1(rows_of(s), 1800);
  CHECK(alt == Approx(-1.0).margin(0.1));
  // Too few pairs: NaN.
  std::vector<std::pair<double, double>> few = {{0, 60}, {300, 59}, {600, 58}, {900, 57}};
  CHECK(std::isnan(drain_step_lag1(rows_of(few), 1800)));
}

TEST_CASE("the joint fit recovers every parameter of a known world within three standard errors and reports which are weakly identified", "[calibrate][msm]") {
  // Known world: drift_world() with 280 mL +- 100 per use, 1.2 fast
  // drain-outs a day and read noise 0.03 % (3 s) whose size varies from day
  // to day (sd 0.4); 40 days of its tank series alone, like pisslog.
  WorldParams w = drift_world();
  w.crew.urine_mean_ml = 280;
  w.crew.urine_sd_ml = 100;
  w.upa.dumps_per_day = 1.2;
  w.upa.dump_min_pct = 3;
  w.upa.dump_max_pct = 10;
  w.sensor.noise_pct = 0.03;
  w.sensor.noise_tau_s = 3;
  w.sensor.noise_day_sd = 0.4;
  CalibrateOptions o;
  o.uses = UseModel::kPoisson;  // the known world's uses: a coin per use, a Poisson process
  o.fit_days = 40;
  o.iterations = 6;
  o.fit_seeds = 2;
  o.var_seeds = 6;
  o.name = "recovered-msm";
  const Calibration c = recover(w, 40, 77, o, /*tank_only=*/true);
  const std::map<std::string, double> truth = {
      {"crew.voids_per_day", 8},     {"crew.urine_mean_ml", 280}, {"crew.urine_sd_ml", 100},
      {"upa.drain_pct_per_min", 0.21}, {"upa.dumps_per_day", 1.2}, {"sensor.noise_pct", 0.03},
      {"sensor.noise_tau", 3},       {"sensor.noise_day_sd", 0.4}, {"sensor.drift_pct", 0.12},
      {"sensor.drift_tau", 300}};
  REQUIRE(c.fit_params.size() == truth.size());
  INFO(fit_summary(c, ""));
  // From 40 days of a tank-only feed, the day-to-day factor of the read
  // noise and the drift's correlation time are weakly identified: the fit
  // must say so (a standard error of half the value or more) rather than
  // claim a precision it has not. Every other parameter is identified (SE
  // under 60 % of the value).
  const std::set<std::string> weak = {"sensor.noise_day_sd", "sensor.drift_tau"};
  for (const auto& p : c.fit_params) {
    INFO(p.key << " = " << p.value << " +- " << p.se << " (truth " << truth.at(p.key) << ")");
    REQUIRE(std::isfinite(p.se));
    CHECK(p.se > 0);
    CHECK(std::fabs(p.value - truth.at(p.key)) <= 3 * p.se);
    if (weak.count(p.key))
      CHECK(p.se >= 0.5 * p.value);
    else
      CHECK(p.se < 0.6 * p.value);
  }
  // The fit meets its moments: the objective (sum of squared standardised
  // residuals over 12 moments) is of the order of their number, not of
  // thousands (a drain-out rate estimated 4x too slow left the share of fast
  // drain steps at 0 and the objective at 10,095).
  CHECK(c.fit_objective < 3.0 * static_cast<double>(c.fit_moments.size()));
  // The drain-outs' rate is measured over the drain-out itself (default 4.5 %/min).
  CHECK(c.scenario.world.upa.dump_rate_pct_per_min == Approx(4.5).epsilon(0.25));
  // The written scenario carries each standard error as a comment.
  const std::string text = calibrated_scenario_toml(c, o);
  CHECK(text.find("voids_per_day = ") != std::string::npos);
  CHECK(text.find("# joint fit, standard error") != std::string::npos);
  CHECK(text.find("tank updates per day") != std::string::npos);
}

TEST_CASE("calibrate --fit-range fits on the first half and --run-range makes the scenario span the second",
          "[calibrate][range]") {
  WorldParams w;
  w.los.enabled = false;
  w.water.enabled = false;
  Trace t;
  t.meta.mode = "import";
  t.meta.epoch_unix_s = kEpoch;
  std::vector<TelemetryRow> upa;
  simulate_feed(w, kEpoch, 8 * kDay, 5, t.telemetry[kUrineTank], upa);
  t.meta.duration_s = t.telemetry[kUrineTank].back().t_s;
  CalibrateOptions o;
  o.fit_days = 4;
  o.iterations = 1;
  o.fit_seeds = 1;
  o.var_seeds = 2;
  o.fit_range = resolve_range("first-half", t);
  o.run_range = resolve_range("second-half", t);
  REQUIRE(o.fit_range->to_unix_s == kEpoch + 4 * kDay);
  const Calibration c = calibrate(t, o);
  // Fitted on the first half only ...
  CHECK(c.fit_from_unix_s >= kEpoch);
  CHECK(c.fit_to_unix_s < kEpoch + 4 * kDay);
  CHECK(c.target.last_s < 4 * kDay);
  // ... the scenario starts at the second half's first update and runs to its last.
  CHECK(c.scenario.epoch_unix_s >= kEpoch + 4 * kDay);
  double first_after = 0;  // the second half's first tank update (the tank may be quiet after midnight)
  for (const auto& r : t.telemetry[kUrineTank])
    if (r.t_s >= 4 * kDay) { first_after = r.t_s; break; }
  CHECK(c.scenario.epoch_unix_s == std::floor(kEpoch + first_after));
  CHECK(c.scenario.duration_s == Approx(t.telemetry[kUrineTank].back().t_s - (c.scenario.epoch_unix_s - kEpoch)).margin(1.0));
  const std::string text = calibrated_scenario_toml(c, o);
  CHECK(text.find("(--fit-range); the scenario spans --run-range") != std::string::npos);
  // A range with too little data is refused like a short trace.
  CalibrateOptions short_fit = o;
  short_fit.fit_range = resolve_range("2025-01-06T00:00:00Z..2025-01-07T00:00:00Z", t);
  REQUIRE_THROWS_WITH(calibrate(t, short_fit), Catch::Contains("expected at least 2 days"));
}
