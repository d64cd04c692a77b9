// Parameters of the simulated world. Every field has its scenario key, unit
// and default in docs/scenarios.md; the defaults here are those defaults.
#pragma once
#include <cstdint>
#include <vector>

#include "records.hpp"

namespace peebot {

struct CrewParams {
  int size = 7;                        // crew.size, persons (1..20)
  double wake_s = 6.0 * 3600;          // crew.wake, "HH:MM" GMT, nominal wake time of day
  double sleep_s = 21.5 * 3600;        // crew.sleep, "HH:MM" GMT, nominal bed time
  double person_shift_sd_s = 20 * 60;  // crew.person_jitter, per-person fixed schedule shift (sd)
  double daily_jitter_sd_s = 10 * 60;  // crew.daily_jitter, day-to-day jitter of wake/sleep (sd)
  double voids_per_day = 6.0;          // crew.voids_per_day, toilet uses per person per day
  double upa_share = 0.35;             // crew.upa_share, fraction of uses at the toilet feeding the UPA tank
  double wake_burst_factor = 2.5;      // crew.wake_burst_factor, rate multiplier right after waking
  double wake_burst_s = 3600;          // crew.wake_burst, how long the burst lasts
  double urine_mean_ml = 250;          // crew.urine_mean_ml
  double urine_sd_ml = 90;             // crew.urine_sd_ml
  double flush_ml = 120;               // crew.flush_ml, flush water per use
  double void_duration_mean_s = 35;    // crew.void_duration, mean inflow duration
  double void_duration_sd_s = 10;      // crew.void_duration_sd
  double toilet_turnaround_s = 45;     // crew.toilet_turnaround, minimum gap between two uses of one toilet
};

struct TankParams {
  double capacity_ml = 8200;           // tank.capacity_ml
  double initial_pct = 30;             // tank.initial_pct
};

struct UpaParams {
  double start_pct = 45;               // upa.start_pct: STANDBY -> NORMAL at or above
  double stop_pct = 12;                // upa.stop_pct: NORMAL -> STANDBY at or below
  double drain_pct_per_min = 0.22;     // upa.drain_pct_per_min while NORMAL (~1 % per 4.5 min)
  bool start_processing = false;       // upa.initial_state == "normal"
};

struct SensorParams {
  double period_s = 1.0;               // sensor.period, how often the level is read
  double noise_pct = 0.05;             // sensor.noise_pct, stationary sd of the read noise
  double noise_tau_s = 8.0;            // sensor.noise_tau, correlation time of the noise (AR(1))
};

struct LosParams {
  bool enabled = true;                 // los.enabled
  double orbit_period_s = 92.68 * 60;  // los.orbit_period
  double probability = 0.6;            // los.probability, chance that an orbit has a gap
  double gap_mean_s = 8 * 60;          // los.gap_mean
  double gap_sd_s = 4 * 60;            // los.gap_sd
  double gap_min_s = 30;               // los.gap_min
  std::vector<LosWindow> extra;        // los.windows = [["1d2h", "1d3h"], ...] fixed extra windows
};

struct BackgroundParams {
  double rate_per_s = 70;              // background.rate, updates/s of the other feed items (0..100000)
  int items = 293;                     // background.items
};

// ISS -> TDRS -> ground station -> Lightstreamer server -> internet -> our host.
// Latencies are one-way and mean what they say (SimGrid CM02, factors 1.0).
struct NetworkParams {
  double iss_tdrs_latency_s = 0.125;   double iss_tdrs_bw_Bps = 37.5e6;    // network.iss_tdrs_*
  double tdrs_ground_latency_s = 0.125; double tdrs_ground_bw_Bps = 37.5e6; // network.tdrs_ground_*
  double ground_ls_latency_s = 20.0;   double ground_ls_bw_Bps = 12.5e6;   // network.ground_ls_* (ground processing + publish)
  double ls_host_latency_s = 0.05;     double ls_host_bw_Bps = 12.5e6;     // network.ls_host_*
  double frame_interval_s = 1.0;       // network.frame_interval: updates are sent in frames
  double update_bytes = 48;            // network.update_bytes, per update on the wire
  double frame_header_bytes = 256;     // network.frame_header_bytes
  double los_detect_s = 5.0;           // network.los_detect: the ground declares LOS after this long without ISS data
  double signal_period_s = 1.0;        // network.signal_period: TIME_000001 publish period
};

struct WorldParams {
  CrewParams crew;
  TankParams tank;
  UpaParams upa;
  SensorParams sensor;
  LosParams los;
  BackgroundParams background;
};

}  // namespace peebot
