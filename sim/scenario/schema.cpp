// The scenario schema table and its cross-field rules (schema.hpp).
#include "schema.hpp"

#include <algorithm>
#include <cmath>

#include "../pipeline/architecture.hpp"
#include "../util/text.hpp"
#include "../util/time.hpp"

namespace peebot::scenario_schema {

namespace {

Range closed(double lo, double hi) { return {lo, hi, false, false}; }
Range at_least(double lo) { return {lo, kInf, false, false}; }
Range above_upto(double lo, double hi) { return {lo, hi, true, false}; }
Range any_range() { return {}; }

#define PEEBOT_FIELD(expr) [](Scenario& s) -> auto& { return s.expr; }

Key base(std::string path, Type type, std::string unit, Range r, std::string desc) {
  Key k;
  k.path = std::move(path);
  k.type = type;
  k.unit = std::move(unit);
  k.range = r;
  k.description = std::move(desc);
  return k;
}

template <class F>
Key number(std::string path, std::string unit, Range r, std::string desc, F f) {
  Key k = base(std::move(path), Type::Number, std::move(unit), r, std::move(desc));
  k.set = [f](Scenario& s, const Value& v) { f(s) = v.num; };
  k.get = [f](Scenario& s) { Value v; v.num = f(s); return v; };
  return k;
}
template <class F>
Key integer(std::string path, std::string unit, Range r, std::string desc, F f) {
  Key k = base(std::move(path), Type::Integer, std::move(unit), r, std::move(desc));
  k.set = [f](Scenario& s, const Value& v) { f(s) = static_cast<std::decay_t<decltype(f(s))>>(v.integer); };
  k.get = [f](Scenario& s) { Value v; v.integer = static_cast<std::int64_t>(f(s)); return v; };
  return k;
}
template <class F>
Key duration(std::string path, Range r, std::string desc, F f) {
  Key k = number(std::move(path), "", r, std::move(desc), f);
  k.type = Type::Duration;
  return k;
}
template <class F>
Key time_of_day(std::string path, std::string desc, F f) {
  Key k = number(std::move(path), "UTC", Range{0, 86400, false, true}, std::move(desc), f);
  k.type = Type::TimeOfDay;
  return k;
}
template <class F>
Key boolean(std::string path, std::string desc, F f) {
  Key k = base(std::move(path), Type::Boolean, "", any_range(), std::move(desc));
  k.set = [f](Scenario& s, const Value& v) { f(s) = v.boolean; };
  k.get = [f](Scenario& s) { Value v; v.boolean = f(s); return v; };
  return k;
}
template <class F>
Key string(std::string path, std::string desc, F f) {
  Key k = base(std::move(path), Type::String, "", any_range(), std::move(desc));
  k.set = [f](Scenario& s, const Value& v) { f(s) = v.text; };
  k.get = [f](Scenario& s) { Value v; v.text = f(s); return v; };
  return k;
}
template <class F>
Key choice(std::string path, std::vector<std::string> choices, std::string desc, F f) {
  Key k = base(std::move(path), Type::Enum, "", any_range(), std::move(desc));
  k.choices = std::move(choices);
  k.set = [f](Scenario& s, const Value& v) { f(s) = v.text; };
  k.get = [f](Scenario& s) { Value v; v.text = f(s); return v; };
  return k;
}
// An array of [start, end] windows (durations since the epoch).
template <class F>
Key windows(std::string path, std::string desc, F f) {
  Key k = base(std::move(path), Type::Windows, "durations since the epoch", any_range(), std::move(desc));
  k.set = [f](Scenario& s, const Value& v) { f(s) = v.windows; };
  k.get = [f](Scenario& s) { Value v; v.windows = f(s); return v; };
  return k;
}
Key required(Key k, std::string missing_expected) {
  k.required = true;
  k.missing_expected = std::move(missing_expected);
  return k;
}

// The two attributes of a network link: latency (duration) and bandwidth (Mbit/s -> bytes/s).
template <class Lat, class Bw>
void link(std::vector<Key>& keys, const std::string& name, const std::string& what, Lat lat, Bw bw) {
  keys.push_back(duration("network." + name + "_latency", closed(0, 3600),
                          "one-way latency of the " + what + " link", lat));
  Key b = number("network." + name + "_bandwidth_mbps", "Mbit/s", above_upto(0, 1e6),
                 "bandwidth of the " + what + " link (stored as bytes/s = Mbit/s x 1e6 / 8)", bw);
  b.set = [bw](Scenario& s, const Value& v) { bw(s) = v.num * 1e6 / 8.0; };
  b.get = [bw](Scenario& s) { Value v; v.num = bw(s) * 8.0 / 1e6; return v; };
  keys.push_back(std::move(b));
}

}  // namespace

const std::vector<Key>& schema() {
  static const std::vector<Key> keys = [] {
    const double kMin = 60, kHour = 3600, kDay = 86400;
    std::vector<Key> k;
    // [scenario]
    k.push_back(required(string("scenario.name", "name of the run (non-empty); shown in reports and the trace",
                                PEEBOT_FIELD(name)),
                         "a non-empty string like \"baseline-week\""));
    k.push_back(string("scenario.description", "free text", PEEBOT_FIELD(description)));
    {
      Key st = base("scenario.start", Type::UtcTime, "UTC", closed(0, 4102444799.0),
             "simulated start time (t = 0), \"YYYY-MM-DDTHH:MM:SSZ\" (a TOML offset date-time is accepted too); "
             "sets the epoch");
      st.set = [](Scenario& s, const Value& v) {
        s.epoch_unix_s = v.num;
        s.start_utc = format_utc(v.num, true);
      };
      st.get = [](Scenario& s) { Value v; v.num = s.epoch_unix_s; return v; };
      k.push_back(std::move(st));
    }
    k.push_back(required(duration("scenario.duration", above_upto(0, 366 * kDay), "simulated time span",
                                  PEEBOT_FIELD(duration_s)),
                         "a duration like \"7d\""));
    k.push_back(integer("scenario.seed", "", at_least(0), "seed of all random streams", PEEBOT_FIELD(seed)));
    // [crew]
    k.push_back(integer("crew.size", "persons", closed(1, 20), "crew members on board", PEEBOT_FIELD(world.crew.size)));
    k.push_back(time_of_day("crew.wake", "nominal wake time of day (GMT = UTC on the ISS)", PEEBOT_FIELD(world.crew.wake_s)));
    k.push_back(time_of_day("crew.sleep", "nominal bed time of day", PEEBOT_FIELD(world.crew.sleep_s)));
    k.push_back(duration("crew.person_jitter", closed(0, 6 * kHour), "sd of each person's fixed schedule shift",
                         PEEBOT_FIELD(world.crew.person_shift_sd_s)));
    k.push_back(duration("crew.daily_jitter", closed(0, 6 * kHour), "sd of the day-to-day jitter of wake and sleep",
                         PEEBOT_FIELD(world.crew.daily_jitter_sd_s)));
    k.push_back(number("crew.voids_per_day", "1/person/day", closed(0, 50), "toilet uses per person per day",
                       PEEBOT_FIELD(world.crew.voids_per_day)));
    k.push_back(number("crew.upa_share", "fraction", closed(0, 1), "fraction of uses at the toilet that feeds the UPA tank",
                       PEEBOT_FIELD(world.crew.upa_share)));
    k.push_back(number("crew.wake_burst_factor", "x", closed(1, 20), "use-rate multiplier right after waking (1 = no burst)",
                       PEEBOT_FIELD(world.crew.wake_burst_factor)));
    k.push_back(duration("crew.wake_burst", closed(0, 12 * kHour), "how long the wake burst lasts",
                         PEEBOT_FIELD(world.crew.wake_burst_s)));
    k.push_back(number("crew.urine_mean_ml", "mL", above_upto(0, 2000), "mean urine volume per use",
                       PEEBOT_FIELD(world.crew.urine_mean_ml)));
    k.push_back(number("crew.urine_sd_ml", "mL", closed(0, 1000), "sd of the urine volume per use",
                       PEEBOT_FIELD(world.crew.urine_sd_ml)));
    k.push_back(number("crew.flush_ml", "mL", closed(0, 2000), "flush water per use", PEEBOT_FIELD(world.crew.flush_ml)));
    k.push_back(duration("crew.void_duration", above_upto(0, 30 * kMin), "mean inflow duration of one use",
                         PEEBOT_FIELD(world.crew.void_duration_mean_s)));
    k.push_back(duration("crew.void_duration_sd", closed(0, 30 * kMin), "sd of the inflow duration",
                         PEEBOT_FIELD(world.crew.void_duration_sd_s)));
    k.push_back(duration("crew.toilet_turnaround", closed(0, 2 * kHour), "minimum gap between two uses of one toilet",
                         PEEBOT_FIELD(world.crew.toilet_turnaround_s)));
    {
      Key per = base("crew.periods", Type::CrewPeriods, "", any_range(),
                     "crew timeline: [[crew.periods]] tables with start (duration since the epoch) and size (1 .. 20); "
                     "from each start on, persons 0 .. size-1 are aboard (crew.size before the first)");
      per.set = [](Scenario& s, const Value& v) { s.world.crew.periods = v.periods; };
      per.get = [](Scenario& s) { Value v; v.periods = s.world.crew.periods; return v; };
      k.push_back(std::move(per));
    }
    k.push_back(windows("crew.eva", "EVA windows [[start, end], ...]: the EVA crew are outside and use no toilet",
                        PEEBOT_FIELD(world.crew.eva)));
    k.push_back(integer("crew.eva_crew", "persons", closed(0, 20), "persons 0 .. eva_crew-1 go out on each EVA",
                        PEEBOT_FIELD(world.crew.eva_crew)));
    k.push_back(duration("crew.weekend_wake_delay", closed(0, 12 * kHour), "later wake on Saturdays and Sundays (GMT)",
                         PEEBOT_FIELD(world.crew.weekend_wake_delay_s)));
    k.push_back(number("crew.person_rate_sd", "fraction", closed(0, 1),
                       "sd of each person's multiplier on voids_per_day (0 = everyone the same)",
                       PEEBOT_FIELD(world.crew.person_rate_sd)));
    k.push_back(number("crew.person_volume_sd", "fraction", closed(0, 1),
                       "sd of each person's multiplier on urine_mean_ml (0 = everyone the same)",
                       PEEBOT_FIELD(world.crew.person_volume_sd)));
    k.push_back(number("crew.night_share", "fraction", closed(0, 0.9),
                       "fraction of each person's uses that fall in the sleep period (uniformly; the rest follow the awake profile)",
                       PEEBOT_FIELD(world.crew.night_share)));
    k.push_back(duration("crew.exercise", closed(0, 6 * kHour),
                         "daily exercise session per person (staggered); uses due during it wait for its end",
                         PEEBOT_FIELD(world.crew.exercise_s)));
    k.push_back(number("crew.candidate_rate", "1/person/day", closed(0, 5000),
                       "common random numbers: > 0 draws candidate uses at this fixed rate and keeps each with probability "
                       "(use rate at its time) / rate (the same law; a small change of voids_per_day adds or removes a few "
                       "uses and moves none: calibrate's fit sets it); below the peak use rate the peak is used; 0 = off",
                       PEEBOT_FIELD(world.crew.candidate_per_day)));
    k.push_back(number("crew.interval_shape", "", closed(0.2, 100),
                       "regularity of one person's uses: the intervals between them are gamma with this shape in the "
                       "person's own clock (the integral of the rate profile, so the daily profile and voids_per_day are "
                       "kept); 1 = Poisson uses; 4 = intervals with a coefficient of variation of 0.5",
                       PEEBOT_FIELD(world.crew.interval_shape)));
    k.push_back(choice("crew.toilet_choice", {"per_use", "per_person"},
                       "which uses reach the UPA tank: \"per_use\" = each use by a coin of upa_share; \"per_person\" = "
                       "upa_share x crew (roster) persons use the UPA toilet for every use (persons 0, 1, ..., the last "
                       "for the fractional part of its uses), the others never (ISS: the Russian segment's own toilet)",
                       PEEBOT_FIELD(world.crew.toilet_choice)));
    // [tank]
    k.push_back(number("tank.capacity_ml", "mL", closed(100, 100000), "UPA wastewater tank capacity (also converts % to mL in the detector)",
                       PEEBOT_FIELD(world.tank.capacity_ml)));
    k.push_back(number("tank.initial_pct", "%", closed(0, 100), "tank level at t = 0", PEEBOT_FIELD(world.tank.initial_pct)));
    // [upa]
    k.push_back(number("upa.start_pct", "%", closed(0, 100), "STANDBY -> NORMAL (processing) at or above this level",
                       PEEBOT_FIELD(world.upa.start_pct)));
    k.push_back(number("upa.stop_pct", "%", closed(0, 100), "NORMAL -> STANDBY at or below this level (must be < upa.start_pct)",
                       PEEBOT_FIELD(world.upa.stop_pct)));
    k.push_back(number("upa.drain_pct_per_min", "%/min", above_upto(0, 100), "level drop per minute while processing",
                       PEEBOT_FIELD(world.upa.drain_pct_per_min)));
    {
      Key st = base("upa.initial_state", Type::Enum, "", any_range(), "UPA state at t = 0 (\"normal\" = processing)");
      st.choices = {"standby", "normal"};
      st.set = [](Scenario& s, const Value& v) { s.world.upa.start_processing = v.text == "normal"; };
      st.get = [](Scenario& s) { Value v; v.text = s.world.upa.start_processing ? "normal" : "standby"; return v; };
      k.push_back(std::move(st));
    }
    k.push_back(number("upa.drain_sd", "fraction", closed(0, 0.8),
                       "sd of each processing run's drain-rate multiplier (0 = every run drains at drain_pct_per_min)",
                       PEEBOT_FIELD(world.upa.drain_sd)));
    k.push_back(number("upa.drain_jitter", "fraction", closed(0, 0.8),
                       "sd of the within-run drain-rate multiplier, redrawn every upa.drain_jitter_period (0 = off)",
                       PEEBOT_FIELD(world.upa.drain_jitter)));
    k.push_back(duration("upa.drain_jitter_period", closed(1, kDay), "how long one within-run drain-rate multiplier holds",
                         PEEBOT_FIELD(world.upa.drain_jitter_period_s)));
    k.push_back(number("upa.dumps_per_day", "1/day", closed(0, 100),
                       "fast drain-outs of the tank per day (Poisson; ~1 % every 13 s in pisslog-2025), down to at most stop_pct",
                       PEEBOT_FIELD(world.upa.dumps_per_day)));
    k.push_back(number("upa.dump_candidate_rate", "1/day", closed(0, 5000),
                       "common random numbers: > 0 draws candidate drain-outs at this fixed rate and keeps each with "
                       "probability dumps_per_day / rate (the same law; calibrate's fit sets it); below dumps_per_day "
                       "dumps_per_day is used; 0 = off",
                       PEEBOT_FIELD(world.upa.dump_candidate_per_day)));
    k.push_back(number("upa.dump_min_pct", "%", closed(0, 100), "smallest drain-out, % of the tank",
                       PEEBOT_FIELD(world.upa.dump_min_pct)));
    k.push_back(number("upa.dump_max_pct", "%", closed(0, 100), "largest drain-out (uniform in between)",
                       PEEBOT_FIELD(world.upa.dump_max_pct)));
    k.push_back(number("upa.dump_rate_pct_per_min", "%/min", above_upto(0, 1000), "outflow rate of a drain-out",
                       PEEBOT_FIELD(world.upa.dump_rate_pct_per_min)));
    k.push_back(duration("upa.idle_after", closed(0, 30 * kDay), "STANDBY this long becomes IDLE (64); 0 = never",
                         PEEBOT_FIELD(world.upa.idle_after_s)));
    k.push_back(number("upa.outages_per_day", "1/day", closed(0, 24), "random processor outages per day (Poisson); no drain during one",
                       PEEBOT_FIELD(world.upa.outages_per_day)));
    k.push_back(duration("upa.outage_mean", above_upto(0, 30 * kDay), "mean length of a random outage (exponential, >= 1 min)",
                         PEEBOT_FIELD(world.upa.outage_mean_s)));
    {
      Key st = base("upa.outage_state", Type::Enum, "", any_range(), "state reported during a random outage");
      st.choices = {"maintenance", "shutdown"};
      st.set = [](Scenario& s, const Value& v) { s.world.upa.outage_shutdown = v.text == "shutdown"; };
      st.get = [](Scenario& s) { Value v; v.text = s.world.upa.outage_shutdown ? "shutdown" : "maintenance"; return v; };
      k.push_back(std::move(st));
    }
    k.push_back(windows("upa.maintenance", "scheduled MAINTENANCE (8) windows [[start, end], ...]; no drain during them",
                        PEEBOT_FIELD(world.upa.maintenance)));
    // [sensor]
    k.push_back(duration("sensor.period", closed(1e-3, kHour), "how often the tank level is read",
                         PEEBOT_FIELD(world.sensor.period_s)));
    k.push_back(number("sensor.noise_pct", "%", closed(0, 10), "stationary sd of the read noise",
                       PEEBOT_FIELD(world.sensor.noise_pct)));
    k.push_back(duration("sensor.noise_tau", above_upto(0, kDay), "correlation time of the read noise (AR(1))",
                         PEEBOT_FIELD(world.sensor.noise_tau_s)));
    k.push_back(number("sensor.burst_pct", "%", closed(0, 10),
                       "scale of the burst noise: white read noise with a slowly varying amplitude (flicker episodes; 0 = off)",
                       PEEBOT_FIELD(world.sensor.burst_pct)));
    k.push_back(duration("sensor.burst_tau", above_upto(0, kDay), "correlation time of the burst noise's slow amplitude",
                         PEEBOT_FIELD(world.sensor.burst_tau_s)));
    k.push_back(duration("sensor.burst_fast_tau", closed(0, kDay),
                         "correlation time of the burst noise's fast amplitude (bursts within an episode; 0 = none)",
                         PEEBOT_FIELD(world.sensor.burst_fast_tau_s)));
    k.push_back(number("sensor.drift_pct", "%", closed(0, 10),
                       "stationary sd of a slow drift of the reading (AR(1) offset: spreads drain-step intervals within a run; 0 = off)",
                       PEEBOT_FIELD(world.sensor.drift_pct)));
    k.push_back(duration("sensor.drift_tau", above_upto(0, kDay), "correlation time of the reading's drift",
                         PEEBOT_FIELD(world.sensor.drift_tau_s)));
    k.push_back(number("sensor.noise_day_sd", "", closed(0, 5),
                       "sd of a per-UTC-day multiplier (log-normal, mean 1) on the read noise: flicker-heavy and "
                       "quiet days (0 = off)",
                       PEEBOT_FIELD(world.sensor.noise_day_sd)));
    k.push_back(boolean("sensor.drift_processing_only",
                        "the drift shows only while the UPA processes (NORMAL): the pump, not the tank, moves the reading",
                        PEEBOT_FIELD(world.sensor.drift_processing_only)));
    // [bulk]
    k.push_back(number("bulk.per_day", "1/day", closed(0, 100), "random bulk transfers into the urine tank per day (Poisson)",
                       PEEBOT_FIELD(world.bulk.per_day)));
    k.push_back(number("bulk.min_pct", "%", closed(0, 100), "smallest random bulk transfer, % of the tank",
                       PEEBOT_FIELD(world.bulk.min_pct)));
    k.push_back(number("bulk.max_pct", "%", closed(0, 100), "largest random bulk transfer (uniform in between; >= min_pct)",
                       PEEBOT_FIELD(world.bulk.max_pct)));
    k.push_back(number("bulk.rate_pct_per_min", "%/min", above_upto(0, 1000), "inflow rate of a bulk transfer (20 = 1 % every 3 s)",
                       PEEBOT_FIELD(world.bulk.rate_pct_per_min)));
    k.push_back(windows("bulk.windows", "fixed bulk transfers [[start, end], ...]; volume = rate x length (ground truth: /truth/bulk_transfers)",
                        PEEBOT_FIELD(world.bulk.windows)));
    // [water]
    k.push_back(boolean("water.enabled", "simulate the water tanks and emit NODE3000008/09", PEEBOT_FIELD(world.water.enabled)));
    k.push_back(duration("water.period", closed(0.1, kHour), "update cadence of NODE3000008/09", PEEBOT_FIELD(world.water.period_s)));
    k.push_back(number("water.noise_pct", "%", closed(0, 10), "read noise sd of the water levels (reported with 2 decimals)",
                       PEEBOT_FIELD(world.water.noise_pct)));
    k.push_back(number("water.waste_initial_pct", "%", closed(0, 100), "waste water tank level at t = 0",
                       PEEBOT_FIELD(world.water.waste_initial_pct)));
    k.push_back(number("water.clean_initial_pct", "%", closed(0, 100), "clean water tank level at t = 0",
                       PEEBOT_FIELD(world.water.clean_initial_pct)));
    k.push_back(number("water.tank_ml", "mL", closed(1000, 1e7), "capacity of each water tank", PEEBOT_FIELD(world.water.tank_ml)));
    k.push_back(number("water.condensate_ml_per_person_day", "mL/person/day", closed(0, 20000),
                       "humidity condensate into the waste water tank", PEEBOT_FIELD(world.water.condensate_ml_per_person_day)));
    k.push_back(number("water.upa_recovery", "fraction", closed(0, 1), "fraction of processed urine reaching waste water as distillate",
                       PEEBOT_FIELD(world.water.upa_recovery)));
    k.push_back(number("water.wpa_start_pct", "%", closed(0, 100), "the water processor starts at or above this waste water level",
                       PEEBOT_FIELD(world.water.wpa_start_pct)));
    k.push_back(number("water.wpa_stop_pct", "%", closed(0, 100), "... and stops at or below this one (must be < wpa_start_pct)",
                       PEEBOT_FIELD(world.water.wpa_stop_pct)));
    k.push_back(number("water.wpa_rate_ml_per_h", "mL/h", closed(0, 1e6), "water processor throughput while processing",
                       PEEBOT_FIELD(world.water.wpa_rate_ml_per_h)));
    k.push_back(number("water.consumption_ml_per_person_day", "mL/person/day", closed(0, 50000), "clean water used per person aboard",
                       PEEBOT_FIELD(world.water.consumption_ml_per_person_day)));
    k.push_back(duration("water.resupply_every", closed(0, 366 * kDay), "clean-water resupply interval (0 = none)",
                         PEEBOT_FIELD(world.water.resupply_every_s)));
    k.push_back(number("water.resupply_pct", "%", closed(0, 100), "clean water added per resupply (capped at 100 %)",
                       PEEBOT_FIELD(world.water.resupply_pct)));
    k.push_back(number("water.low_pct", "%", closed(0, 100),
                       "\"water low\": NODE3000009 below this level (derived from the telemetry, not a separate record)",
                       PEEBOT_FIELD(world.water.low_pct)));
    // [los]
    k.push_back(boolean("los.enabled", "simulate random loss-of-signal gaps (los.windows apply regardless)",
                        PEEBOT_FIELD(world.los.enabled)));
    k.push_back(duration("los.orbit_period", closed(10 * kMin, kDay), "orbit period; at most one random gap per orbit",
                         PEEBOT_FIELD(world.los.orbit_period_s)));
    k.push_back(number("los.probability", "probability", closed(0, 1), "chance that an orbit has a gap",
                       PEEBOT_FIELD(world.los.probability)));
    k.push_back(duration("los.gap_mean", above_upto(0, kDay), "mean gap length", PEEBOT_FIELD(world.los.gap_mean_s)));
    k.push_back(duration("los.gap_sd", closed(0, kDay), "sd of the gap length", PEEBOT_FIELD(world.los.gap_sd_s)));
    k.push_back(duration("los.gap_min", closed(0, kDay), "shortest gap", PEEBOT_FIELD(world.los.gap_min_s)));
    {
      Key w = base("los.windows", Type::Windows, "durations since the epoch", any_range(),
                   "fixed extra LOS windows [[start, end], ...], e.g. [[\"1d2h\", \"1d3h\"]]; start < end");
      w.set = [](Scenario& s, const Value& v) { s.world.los.extra = v.windows; };
      w.get = [](Scenario& s) { Value v; v.windows = s.world.los.extra; return v; };
      k.push_back(std::move(w));
    }
    // [background]
    k.push_back(number("background.rate", "updates/s", closed(0, 100000), "update rate of the other telemetry items",
                       PEEBOT_FIELD(world.background.rate_per_s)));
    k.push_back(integer("background.items", "items", closed(1, 100000), "number of other telemetry items",
                        PEEBOT_FIELD(world.background.items)));
    // [network]
    link(k, "iss_tdrs", "ISS -> TDRS", PEEBOT_FIELD(network.iss_tdrs_latency_s), PEEBOT_FIELD(network.iss_tdrs_bw_Bps));
    link(k, "tdrs_ground", "TDRS -> ground station", PEEBOT_FIELD(network.tdrs_ground_latency_s),
         PEEBOT_FIELD(network.tdrs_ground_bw_Bps));
    link(k, "ground_ls", "ground station -> Lightstreamer (incl. ground processing and publish)",
         PEEBOT_FIELD(network.ground_ls_latency_s), PEEBOT_FIELD(network.ground_ls_bw_Bps));
    link(k, "ls_host", "Lightstreamer -> our host", PEEBOT_FIELD(network.ls_host_latency_s),
         PEEBOT_FIELD(network.ls_host_bw_Bps));
    k.push_back(duration("network.frame_interval", closed(1e-3, 60), "updates are sent in frames this often",
                         PEEBOT_FIELD(network.frame_interval_s)));
    k.push_back(number("network.update_bytes", "bytes", closed(1, 65536), "wire size of one update",
                       PEEBOT_FIELD(network.update_bytes)));
    k.push_back(number("network.frame_header_bytes", "bytes", closed(0, 65536), "wire size of a frame header",
                       PEEBOT_FIELD(network.frame_header_bytes)));
    k.push_back(duration("network.los_detect", above_upto(0, kHour), "the ground declares LOS after this long without ISS data",
                         PEEBOT_FIELD(network.los_detect_s)));
    k.push_back(duration("network.signal_period", closed(1e-3, kHour), "publish period of the TIME_000001 signal item",
                         PEEBOT_FIELD(network.signal_period_s)));
    // [pipeline]
    {
      std::string help;
      for (const Architecture& a : architectures())
        help += std::string(help.empty() ? "host pipeline: " : ", ") + "\"" + a.name + "\" (" + a.summary + ")";
      k.push_back(choice("pipeline.architecture", architecture_names(), help + "; docs/architectures.md",
                         PEEBOT_FIELD(pipeline.architecture)));
    }
    // [pipeline.ingest]
    k.push_back(duration("pipeline.ingest.service_per_frame", closed(0, 60), "ingest CPU time per frame",
                         PEEBOT_FIELD(pipeline.ingest.service_per_frame_s)));
    k.push_back(duration("pipeline.ingest.service_per_update", closed(0, 60), "ingest CPU time per update",
                         PEEBOT_FIELD(pipeline.ingest.service_per_update_s)));
    // [pipeline.detector]
    k.push_back(choice("pipeline.detector.kind", {"step", "rule"}, "detector: \"step\" (baseline step) or \"rule\" (isspiss rules)",
                       PEEBOT_FIELD(pipeline.detector.kind)));
    k.push_back(duration("pipeline.detector.service_per_sample", closed(0, 60), "detector CPU time per level sample",
                         PEEBOT_FIELD(pipeline.detector.service_per_sample_s)));
    k.push_back(duration("pipeline.detector.window", above_upto(0, kHour), "step: look-back for the baseline level",
                         PEEBOT_FIELD(pipeline.detector.window_s)));
    k.push_back(number("pipeline.detector.min_rise_pct", "%", above_upto(0, 100), "step: rise over baseline that confirms a use",
                       PEEBOT_FIELD(pipeline.detector.min_rise_pct)));
    k.push_back(duration("pipeline.detector.quiet", above_upto(0, kHour), "step: no new high for this long ends (and emits) the event",
                         PEEBOT_FIELD(pipeline.detector.quiet_s)));
    k.push_back(duration("pipeline.detector.confirm", closed(0, kHour),
                         "step: emit this long after the trigger when the rise is urination-like (0: wait for quiet)",
                         PEEBOT_FIELD(pipeline.detector.confirm_s)));
    k.push_back(number("pipeline.detector.bulk_rate_pct_per_min", "%/min", above_upto(0, 1000),
                       "step: rises faster than this wait for their end and are classified by size",
                       PEEBOT_FIELD(pipeline.detector.bulk_rate_pct_per_min)));
    k.push_back(duration("pipeline.detector.bulk_hold", closed(0, kDay), "step: events starting this soon after a bulk transfer are its tail",
                         PEEBOT_FIELD(pipeline.detector.bulk_hold_s)));
    k.push_back(number("pipeline.detector.bulk_rise_pct", "%", above_upto(0, 100),
                       "step: larger events are bulk transfers, not uses (must be > min_rise_pct)",
                       PEEBOT_FIELD(pipeline.detector.bulk_rise_pct)));
    k.push_back(duration("pipeline.detector.hole", above_upto(0, kDay),
                         "step: no ISS item heard for this long (or LOS on the feed clock) is a hole in the level data; "
                         "a level that resumes higher after one is explained as uses during it",
                         PEEBOT_FIELD(pipeline.detector.hole_s)));
    k.push_back(number("pipeline.detector.drain_pct_per_min", "%/min", closed(0, 10),
                       "step: across a hole with the UPA processing (NODE3000004 = 16) before and after it, the level "
                       "is expected to fall this fast; a use is a rise over that expectation (0: expect no fall)",
                       PEEBOT_FIELD(pipeline.detector.drain_pct_per_min)));
    k.push_back(duration("pipeline.detector.rule_guard", closed(0, kHour), "rule: ignore rises this long after a decrease",
                         PEEBOT_FIELD(pipeline.detector.rule_guard_s)));
    k.push_back(duration("pipeline.detector.rule_end", above_upto(0, kHour), "rule: no rise for this long ends an event",
                         PEEBOT_FIELD(pipeline.detector.rule_end_s)));
    // [pipeline.store]
    k.push_back(integer("pipeline.store.batch_size", "records", closed(1, 1000000), "records per commit",
                        PEEBOT_FIELD(pipeline.store.batch_size)));
    k.push_back(duration("pipeline.store.flush_interval", above_upto(0, kHour), "commit at least this often",
                         PEEBOT_FIELD(pipeline.store.flush_interval_s)));
    k.push_back(duration("pipeline.store.service_per_batch", closed(0, 60), "store time per commit",
                         PEEBOT_FIELD(pipeline.store.service_per_batch_s)));
    k.push_back(duration("pipeline.store.service_per_record", closed(0, 60), "store time per record",
                         PEEBOT_FIELD(pipeline.store.service_per_record_s)));
    // [pipeline.tweet]
    k.push_back(duration("pipeline.tweet.cooldown", closed(0, kDay), "minimum gap between two tweets",
                         PEEBOT_FIELD(pipeline.tweet.cooldown_s)));
    k.push_back(choice("pipeline.tweet.cooldown_policy", {"delay", "drop"},
                       "a tweet due within the cooldown is delayed or dropped", PEEBOT_FIELD(pipeline.tweet.cooldown_policy)));
    k.push_back(integer("pipeline.tweet.max_retries", "", closed(0, 100), "retries after a failed post",
                        PEEBOT_FIELD(pipeline.tweet.max_retries)));
    k.push_back(duration("pipeline.tweet.backoff", above_upto(0, kHour), "first retry delay (doubles each time)",
                         PEEBOT_FIELD(pipeline.tweet.backoff_s)));
    k.push_back(duration("pipeline.tweet.backoff_max", above_upto(0, kDay), "cap of the retry delay (must be >= backoff)",
                         PEEBOT_FIELD(pipeline.tweet.backoff_max_s)));
    k.push_back(duration("pipeline.tweet.api_latency", closed(0, 10 * kMin), "mean API latency (exponential)",
                         PEEBOT_FIELD(pipeline.tweet.api_latency_s)));
    k.push_back(number("pipeline.tweet.failure_probability", "probability", closed(0, 1), "chance that a post attempt fails",
                       PEEBOT_FIELD(pipeline.tweet.failure_probability)));
    k.push_back(duration("pipeline.tweet.compose", closed(0, 60), "time to compose the text",
                         PEEBOT_FIELD(pipeline.tweet.compose_s)));
    // [pipeline.wet] (seed 000; docs/architectures.md)
    k.push_back(duration("pipeline.wet.publish_per_message", closed(0, 60), "ZeroMQ PUB send time per message",
                         PEEBOT_FIELD(pipeline.wet.publish_per_message_s)));
    k.push_back(integer("pipeline.wet.hwm", "messages", closed(1, 100000000),
                        "ZeroMQ high-water mark: messages queued for LiveTrack before PUB/SUB drops (ZeroMQ's default 1000)",
                        PEEBOT_FIELD(pipeline.wet.hwm)));
    k.push_back(duration("pipeline.wet.livetrack_per_event", closed(0, 60), "LiveTrack's own work per event",
                         PEEBOT_FIELD(pipeline.wet.livetrack_per_event_s)));
    k.push_back(duration("pipeline.wet.http_rtt", closed(0, 60), "HTTP round trip LiveTrack <-> WaterLog (and ViewPort <-> WaterLog)",
                         PEEBOT_FIELD(pipeline.wet.http_rtt_s)));
    k.push_back(duration("pipeline.wet.waterlog_per_request", closed(0, 60), "WaterLog (Flask) time per POST",
                         PEEBOT_FIELD(pipeline.wet.waterlog_per_request_s)));
    k.push_back(duration("pipeline.wet.sqlite_commit", closed(0, 60), "SQLite INSERT + COMMIT, one writer (slow_disk on db multiplies it)",
                         PEEBOT_FIELD(pipeline.wet.sqlite_commit_s)));
    k.push_back(duration("pipeline.wet.viewport_poll", above_upto(0, kHour), "ViewPort polls WaterLog's REST API this often",
                         PEEBOT_FIELD(pipeline.wet.viewport_poll_s)));
    k.push_back(duration("pipeline.wet.viewport_query", closed(0, 60), "WaterLog's answer time to a ViewPort poll",
                         PEEBOT_FIELD(pipeline.wet.viewport_query_s)));
    k.push_back(duration("pipeline.wet.manual_every", above_upto(0, kDay), "a manual window presses its button this often",
                         PEEBOT_FIELD(pipeline.wet.manual_every_s)));
    k.push_back(windows("pipeline.wet.manual_flushes", "windows [[start, end], ...] in which the ViewPort user presses flush every manual_every",
                        PEEBOT_FIELD(pipeline.wet.manual_flushes)));
    k.push_back(windows("pipeline.wet.manual_refills", "windows [[start, end], ...] in which the ViewPort user presses refill every manual_every",
                        PEEBOT_FIELD(pipeline.wet.manual_refills)));
    // [pipeline.streaming] (seed 001)
    k.push_back(integer("pipeline.streaming.partitions", "partitions", closed(1, 1024), "partitions of the telemetry topic (key = item)",
                        PEEBOT_FIELD(pipeline.streaming.partitions)));
    k.push_back(integer("pipeline.streaming.batch_records", "records", closed(1, 1000000), "producer batch size",
                        PEEBOT_FIELD(pipeline.streaming.batch_records)));
    k.push_back(duration("pipeline.streaming.linger", closed(0, 60), "producer linger.ms: a batch waits at most this long to fill",
                         PEEBOT_FIELD(pipeline.streaming.linger_s)));
    k.push_back(duration("pipeline.streaming.broker_per_batch", closed(0, 60), "broker append + fsync per batch (slow_disk on broker multiplies it)",
                         PEEBOT_FIELD(pipeline.streaming.broker_per_batch_s)));
    k.push_back(duration("pipeline.streaming.broker_per_record", closed(0, 60), "broker time per record",
                         PEEBOT_FIELD(pipeline.streaming.broker_per_record_s)));
    k.push_back(duration("pipeline.streaming.acks_latency", closed(0, 60), "acks=all: the producer's acknowledgement after the append",
                         PEEBOT_FIELD(pipeline.streaming.acks_latency_s)));
    k.push_back(integer("pipeline.streaming.consumers", "consumers", closed(1, 1024), "Pee-Bot consumers in the group (partition p -> consumer p mod n)",
                        PEEBOT_FIELD(pipeline.streaming.consumers)));
    k.push_back(integer("pipeline.streaming.max_poll_records", "records", closed(1, 1000000), "records per consumer poll",
                        PEEBOT_FIELD(pipeline.streaming.max_poll_records)));
    k.push_back(duration("pipeline.streaming.consumer_per_poll", closed(0, 60), "consumer time per poll",
                         PEEBOT_FIELD(pipeline.streaming.consumer_per_poll_s)));
    k.push_back(duration("pipeline.streaming.consumer_per_record", closed(0, 60), "consumer time per record (deserialise, filter, detect)",
                         PEEBOT_FIELD(pipeline.streaming.consumer_per_record_s)));
    k.push_back(duration("pipeline.streaming.commit_interval", above_upto(0, kHour), "consumer offset auto-commit interval",
                         PEEBOT_FIELD(pipeline.streaming.commit_interval_s)));
    k.push_back(duration("pipeline.streaming.decision_commit", closed(0, kHour), "a sent post becomes the durable last decision this much later",
                         PEEBOT_FIELD(pipeline.streaming.decision_commit_s)));
    k.push_back(duration("pipeline.streaming.replay_lookback", closed(0, kDay),
                         "on a restart the Pee-Bot rebuilds its detector from the level-item records of this long before its committed offsets (0: a fresh detector)",
                         PEEBOT_FIELD(pipeline.streaming.replay_lookback_s)));
    k.push_back(integer("pipeline.streaming.storage_batch", "records", closed(1, 1000000), "event-storage rows per write",
                        PEEBOT_FIELD(pipeline.streaming.storage_batch)));
    k.push_back(duration("pipeline.streaming.storage_flush", above_upto(0, kHour), "event storage writes at least this often",
                         PEEBOT_FIELD(pipeline.streaming.storage_flush_s)));
    k.push_back(duration("pipeline.streaming.storage_per_batch", closed(0, 60), "event-storage time per write (slow_disk on store multiplies it)",
                         PEEBOT_FIELD(pipeline.streaming.storage_per_batch_s)));
    k.push_back(duration("pipeline.streaming.storage_per_record", closed(0, 60), "event-storage time per row",
                         PEEBOT_FIELD(pipeline.streaming.storage_per_record_s)));
    k.push_back(duration("pipeline.streaming.delivery_timeout", above_upto(0, kDay), "producer delivery.timeout.ms: a batch not appended by then is lost",
                         PEEBOT_FIELD(pipeline.streaming.delivery_timeout_s)));
    // [pipeline.polling] (seed 002)
    k.push_back(duration("pipeline.polling.ingest_per_update", closed(0, 60), "validation + enrichment per update (DRF serializers), on top of pipeline.ingest",
                         PEEBOT_FIELD(pipeline.polling.ingest_per_update_s)));
    k.push_back(integer("pipeline.polling.batch_rows", "rows", closed(1, 1000000), "rows per TimescaleDB INSERT",
                        PEEBOT_FIELD(pipeline.polling.batch_rows)));
    k.push_back(duration("pipeline.polling.flush_interval", above_upto(0, kHour), "insert at least this often",
                         PEEBOT_FIELD(pipeline.polling.flush_interval_s)));
    k.push_back(duration("pipeline.polling.insert_per_batch", closed(0, 60), "TimescaleDB time per INSERT (slow_disk on db multiplies it)",
                         PEEBOT_FIELD(pipeline.polling.insert_per_batch_s)));
    k.push_back(duration("pipeline.polling.insert_per_row", closed(0, 60), "TimescaleDB time per row",
                         PEEBOT_FIELD(pipeline.polling.insert_per_row_s)));
    k.push_back(duration("pipeline.polling.ws_push", closed(0, 60), "after a commit: channel layer + WebSocket push to the dashboards",
                         PEEBOT_FIELD(pipeline.polling.ws_push_s)));
    k.push_back(duration("pipeline.polling.period", above_upto(0, kDay), "Celery beat period of the PeeBot task (seed: 30-60 s)",
                         PEEBOT_FIELD(pipeline.polling.period_s)));
    k.push_back(duration("pipeline.polling.query_base", closed(0, 60), "task start + window query",
                         PEEBOT_FIELD(pipeline.polling.query_base_s)));
    k.push_back(duration("pipeline.polling.query_per_row", closed(0, 60), "task time per row read",
                         PEEBOT_FIELD(pipeline.polling.query_per_row_s)));
    k.push_back(choice("pipeline.polling.watermark", {"last_row", "now"},
                       "last_processed_at after a run: the last row's timestamp, or the task's start time (rows committed later are skipped)",
                       PEEBOT_FIELD(pipeline.polling.watermark)));
    k.push_back(duration("pipeline.polling.db_retry", above_upto(0, kHour), "a failed insert (db down) is retried this often",
                         PEEBOT_FIELD(pipeline.polling.db_retry_s)));
    // [trace]
    k.push_back(integer("trace.background_sample_every", "", closed(1, 1000000),
                        "record stage times for 1 in N background updates", PEEBOT_FIELD(trace.background_sample_every)));
    k.push_back(duration("trace.queue_sample_period", above_upto(0, kDay), "how often queue lengths are sampled",
                         PEEBOT_FIELD(trace.queue_sample_period_s)));
    // [report]
    k.push_back(duration("report.match_before", closed(0, kDay), "a detection may come this long before the true onset",
                         PEEBOT_FIELD(report.match_before_s)));
    k.push_back(duration("report.match_after", closed(0, kDay), "... and at most this long after it",
                         PEEBOT_FIELD(report.match_after_s)));
    k.push_back(duration("report.target_dashboard_p99", above_upto(0, kDay), "target: ingest -> dashboard-ready, P99",
                         PEEBOT_FIELD(report.target_dashboard_p99_s)));
    k.push_back(duration("report.target_persist_p99", above_upto(0, kDay), "target: ingest -> persisted, P99",
                         PEEBOT_FIELD(report.target_persist_p99_s)));
    k.push_back(duration("report.target_tweet_p95", above_upto(0, kDay), "target: event onset -> tweet, P95",
                         PEEBOT_FIELD(report.target_tweet_p95_s)));
    k.push_back(number("report.target_throughput", "fraction", closed(0, 1),
                       "target: share of the received updates persisted, at least (architectures whose seed states it)",
                       PEEBOT_FIELD(report.target_throughput)));
    k.push_back(duration("report.target_detection_to_tweet_p95", above_upto(0, kDay),
                         "target: detection -> tweet, P95 (architectures whose seed states it)",
                         PEEBOT_FIELD(report.target_detection_to_tweet_p95_s)));
    k.push_back(duration("report.target_event_to_detection_p95", above_upto(0, kDay),
                         "target: event onset -> detection, P95 (architectures whose seed states it)",
                         PEEBOT_FIELD(report.target_event_to_detection_p95_s)));
    // [[faults]]
    {
      Key f = base("faults", Type::Faults, "", any_range(),
                   "scheduled faults: [[faults]] tables with kind, target, start, end and the kind's numbers "
                   "(fields and kinds below; docs/faults.md)");
      f.set = [](Scenario& s, const Value& v) { s.faults = v.faults; };
      f.get = [](Scenario& s) { Value v; v.faults = s.faults; return v; };
      k.push_back(std::move(f));
    }
    return k;
  }();
  return keys;
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = [] {
    std::vector<Rule> v;
    v.push_back({{"upa.start_pct", "upa.stop_pct"}, "`upa.stop_pct` < `upa.start_pct`", [](const Scenario& s) {
                   const auto& u = s.world.upa;
                   std::optional<std::pair<std::string, std::string>> res;
                   if (!(u.stop_pct < u.start_pct))
                     res = {{"stop level " + readable_number(u.stop_pct) + " is not below start level " + readable_number(u.start_pct),
                             "upa.stop_pct < upa.start_pct"}};
                   return res;
                 }});
    v.push_back({{"bulk.min_pct", "bulk.max_pct"}, "`bulk.min_pct` <= `bulk.max_pct`", [](const Scenario& s) {
                   std::optional<std::pair<std::string, std::string>> res;
                   if (s.world.bulk.min_pct > s.world.bulk.max_pct)
                     res = {{"min_pct " + readable_number(s.world.bulk.min_pct) + " exceeds max_pct " + readable_number(s.world.bulk.max_pct),
                             "bulk.min_pct <= bulk.max_pct"}};
                   return res;
                 }});
    v.push_back({{"water.wpa_start_pct", "water.wpa_stop_pct"}, "`water.wpa_stop_pct` < `water.wpa_start_pct`",
                 [](const Scenario& s) {
                   std::optional<std::pair<std::string, std::string>> res;
                   if (!(s.world.water.wpa_stop_pct < s.world.water.wpa_start_pct))
                     res = {{"stop level " + readable_number(s.world.water.wpa_stop_pct) + " is not below start level " +
                                 readable_number(s.world.water.wpa_start_pct),
                             "water.wpa_stop_pct < water.wpa_start_pct"}};
                   return res;
                 }});
    v.push_back({{"crew.wake", "crew.sleep"}, "`crew.wake` != `crew.sleep`", [](const Scenario& s) {
                   std::optional<std::pair<std::string, std::string>> res;
                   if (s.world.crew.wake_s == s.world.crew.sleep_s)
                     res = {{"wake and sleep are the same time of day", "crew.wake != crew.sleep"}};
                   return res;
                 }});
    v.push_back({{"pipeline.detector.min_rise_pct", "pipeline.detector.bulk_rise_pct"},
                 "`pipeline.detector.min_rise_pct` < `pipeline.detector.bulk_rise_pct`", [](const Scenario& s) {
                   const auto& d = s.pipeline.detector;
                   std::optional<std::pair<std::string, std::string>> res;
                   if (!(d.min_rise_pct < d.bulk_rise_pct))
                     res = {{"min_rise_pct " + readable_number(d.min_rise_pct) + " is not below bulk_rise_pct " +
                                 readable_number(d.bulk_rise_pct),
                             "pipeline.detector.min_rise_pct < pipeline.detector.bulk_rise_pct"}};
                   return res;
                 }});
    v.push_back({{"pipeline.tweet.backoff", "pipeline.tweet.backoff_max"},
                 "`pipeline.tweet.backoff` <= `pipeline.tweet.backoff_max`", [](const Scenario& s) {
                   const auto& t = s.pipeline.tweet;
                   std::optional<std::pair<std::string, std::string>> res;
                   if (t.backoff_s > t.backoff_max_s)
                     res = {{"backoff " + format_duration(t.backoff_s) + " exceeds backoff_max " +
                                 format_duration(t.backoff_max_s),
                             "pipeline.tweet.backoff <= pipeline.tweet.backoff_max"}};
                   return res;
                 }});
    v.push_back({{"scenario.duration", "faults"}, "every fault starts before `scenario.duration`", [](const Scenario& s) {
                   std::optional<std::pair<std::string, std::string>> res;
                   for (std::size_t i = 0; i < s.faults.size() && !res; ++i)
                     if (!(s.faults[i].start_s < s.duration_s))
                       res = {{"fault " + std::to_string(i + 1) + " (" + std::string(fault_kind_name(s.faults[i].kind)) +
                                   (s.faults[i].where.empty() ? "" : ", " + s.faults[i].where) + ") starts at " +
                                   format_duration(s.faults[i].start_s) + ", not before the end of the run (" +
                                   format_duration(s.duration_s) + ")",
                               "every fault's start < scenario.duration"}};
                   return res;
                 }});
    return v;
  }();
  return r;
}

const Key* find_key(const std::string& path) {
  for (const Key& k : schema())
    if (k.path == path) return &k;
  return nullptr;
}

// Section paths in schema order ("scenario", "crew", ..., "pipeline", "pipeline.ingest", ...).
const std::vector<std::string>& sections() {
  static const std::vector<std::string> s = [] {
    std::vector<std::string> out;
    auto add = [&](const std::string& x) {
      if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    };
    for (const Key& k : schema()) {
      const std::string sec = k.section();
      for (std::size_t dot = sec.find('.'); dot != std::string::npos; dot = sec.find('.', dot + 1))
        add(sec.substr(0, dot));
      add(sec);
    }
    return out;
  }();
  return s;
}

bool is_section(const std::string& path) {
  const auto& s = sections();
  return std::find(s.begin(), s.end(), path) != s.end();
}

}  // namespace peebot::scenario_schema
