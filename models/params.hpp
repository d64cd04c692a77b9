// Parameters of the simulated world. Every field has its scenario key, unit
// and default in docs/scenarios.md; the defaults here are those defaults.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "records.hpp"

namespace peebot {

// One step of the crew timeline: from start_s on, `size` persons are aboard
// (persons 0 .. size-1; a handover adds persons at the end of the roster).
struct CrewPeriod {
  double start_s = 0.0;
  int size = 7;
};

struct CrewParams {
  int size = 7;                        // crew.size, persons (1..20); aboard where no crew.periods entry applies
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
  std::vector<CrewPeriod> periods;     // [[crew.periods]] start + size: the crew size over time (sorted by start)
  std::vector<LosWindow> eva;          // crew.eva: windows during which the EVA crew are outside (no toilet use)
  int eva_crew = 2;                    // crew.eva_crew: persons 0 .. eva_crew-1 go out on each EVA
  double weekend_wake_delay_s = 0;     // crew.weekend_wake_delay: later wake on Saturdays and Sundays (GMT)
  double person_rate_sd = 0;           // crew.person_rate_sd: per-person multiplier sd on voids_per_day (fraction)
  double person_volume_sd = 0;         // crew.person_volume_sd: per-person multiplier sd on urine_mean_ml (fraction)
  double night_share = 0;              // crew.night_share: fraction of each person's uses during the sleep period
  double exercise_s = 0;               // crew.exercise: daily exercise session per person (no toilet use during it)
  // Common random numbers (models/crew.cpp): > 0 plans uses by thinning a fixed-rate candidate process, so that a
  // small change of voids_per_day (or of the profile) adds or removes a few uses and moves none; 0 = per awake period.
  double candidate_per_day = 0;        // crew.candidate_rate: candidate uses per person per day (0 = off)
  // Regular uses (models/crew.cpp, plan_person_renewal): one person's intervals between uses are gamma with this
  // shape in the person's own clock (the rate profile's integral); 1 = a Poisson process (the default planners).
  double interval_shape = 1;           // crew.interval_shape: shape of the gamma interval law (1 .. 100; larger = more regular)
  std::string toilet_choice = "per_use";  // crew.toilet_choice: "per_use" (a coin of upa_share per use) | "per_person"
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
  double drain_sd = 0;                 // upa.drain_sd: sd of each processing run's drain-rate multiplier (fraction)
  double dumps_per_day = 0;            // upa.dumps_per_day: fast drain-outs of the tank (Poisson), down to at most stop_pct
  double dump_min_pct = 5;             // upa.dump_min_pct: smallest drain-out, % of the tank
  double dump_max_pct = 30;            // upa.dump_max_pct: largest (uniform in between)
  double dump_rate_pct_per_min = 4.5;  // upa.dump_rate_pct_per_min: outflow rate (~1 % every 13 s in pisslog-2025)
  double dump_candidate_per_day = 0;   // upa.dump_candidate_rate: > 0 thins a fixed-rate candidate process (common random numbers); 0 = off
  double drain_jitter = 0;             // upa.drain_jitter: sd of the within-run drain-rate multiplier, redrawn every drain_jitter_period (0 = off)
  double drain_jitter_period_s = 60;   // upa.drain_jitter_period: how long one within-run multiplier holds
  double idle_after_s = 0;             // upa.idle_after: STANDBY this long becomes IDLE (0 = never)
  double outages_per_day = 0;          // upa.outages_per_day: random processor outages (Poisson)
  double outage_mean_s = 4 * 3600.0;   // upa.outage_mean: mean outage length (exponential)
  bool outage_shutdown = false;        // upa.outage_state == "shutdown" (else MAINTENANCE)
  std::vector<LosWindow> maintenance;  // upa.maintenance: scheduled MAINTENANCE windows
};

// Bulk transfers of urine into the tank (e.g. from a container or the other
// toilet): fast monotone rises of +20..60 % at ~1 % every 3 s.
struct BulkParams {
  double per_day = 0;                  // bulk.per_day: random transfers per day (Poisson)
  double min_pct = 20;                 // bulk.min_pct: smallest transfer, % of the tank
  double max_pct = 60;                 // bulk.max_pct: largest transfer (uniform in between)
  double rate_pct_per_min = 20;        // bulk.rate_pct_per_min: inflow rate (20 %/min = 1 % every 3 s)
  std::vector<LosWindow> windows;      // bulk.windows: fixed transfers [[start, end]], volume = rate x length
};

// Waste water (NODE3000008) and clean water (NODE3000009) tanks and the water
// processor (WPA), in percent of each tank, stepped every `period_s`.
struct WaterParams {
  bool enabled = true;                 // water.enabled: emit NODE3000008/09
  double period_s = 10;                // water.period: update cadence of NODE3000008/09
  double noise_pct = 0.01;             // water.noise_pct: read noise sd (values carry 2 decimals)
  double waste_initial_pct = 30;       // water.waste_initial_pct
  double clean_initial_pct = 65;       // water.clean_initial_pct
  double tank_ml = 100000;             // water.tank_ml: capacity of each water tank
  double condensate_ml_per_person_day = 1500;  // water.condensate_ml_per_person_day: humidity condensate into waste water
  double upa_recovery = 0.85;          // water.upa_recovery: fraction of processed urine that reaches waste water as distillate
  double wpa_start_pct = 60;           // water.wpa_start_pct: the WPA starts processing at or above this waste level
  double wpa_stop_pct = 10;            // water.wpa_stop_pct: ... and stops at or below this one
  double wpa_rate_ml_per_h = 6000;     // water.wpa_rate_ml_per_h: WPA throughput while processing
  double consumption_ml_per_person_day = 2200;  // water.consumption_ml_per_person_day: clean water used (about balances recovery for 7 crew)
  double resupply_every_s = 0;         // water.resupply_every: clean-water resupply interval (0 = none)
  double resupply_pct = 30;            // water.resupply_pct: clean-water added per resupply
  double low_pct = 20;                 // water.low_pct: "water low" while NODE3000009 is below this
};

struct SensorParams {
  double period_s = 1.0;               // sensor.period, how often the level is read
  double noise_pct = 0.05;             // sensor.noise_pct, stationary sd of the read noise
  double noise_tau_s = 8.0;            // sensor.noise_tau, correlation time of the noise (AR(1))
  // Burst noise (flicker episodes), added to the AR(1) noise; off while burst_pct is 0 (models/sensor.hpp, BurstNoise).
  double burst_pct = 0;                // sensor.burst_pct: scale of the per-read (white) burst noise
  double burst_tau_s = 600;            // sensor.burst_tau: correlation time of its slow amplitude (episodes cluster over crossings)
  double burst_fast_tau_s = 0;         // sensor.burst_fast_tau: correlation time of its fast amplitude (bursts within an episode; 0 = none)
  // Slow drift of the reading, added to the read noise; off while drift_pct is 0 (models/sensor.hpp, LevelSensor).
  double drift_pct = 0;                // sensor.drift_pct: stationary sd of a slowly wandering offset of the reading (AR(1))
  double drift_tau_s = 300;            // sensor.drift_tau: correlation time of that offset
  bool drift_processing_only = false;  // sensor.drift_processing_only: the drift shows only while the UPA processes (NORMAL)
  // Day-to-day variation of the read noise; off while 0 (models/world.cpp).
  double noise_day_sd = 0;             // sensor.noise_day_sd: sd of a per-UTC-day log-normal multiplier (mean 1) on noise_pct
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
  BulkParams bulk;
  WaterParams water;
  LosParams los;
  BackgroundParams background;
};

}  // namespace peebot
