// Scenario loader: one declarative schema table (key path, type, unit, range,
// description, binder) drives loading, --set overrides and the key reference
// in docs/scenarios.md.
#include "scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "../../models/iss_time.hpp"

namespace peebot {

// ---------------------------------------------------------------------------
// Durations, times of day, UTC times
// ---------------------------------------------------------------------------

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string fmt_num(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", x);
  return buf;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at text[pos]; returns -1 if they are not there.
int read_digits(const std::string& text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(text[pos + i])) return -1;
    v = v * 10 + (text[pos + i] - '0');
  }
  return v;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dim[m - 1];
}

}  // namespace

double parse_duration(const std::string& text) {
  struct Unit {
    const char* name;
    double seconds;
    bool divide;  // seconds = value / factor, exact for us and ms
  };
  // Longest names first so "min" and "ms" win over "m"/"s" prefixes.
  static const Unit units[] = {{"min", 60, false}, {"ms", 1e3, true}, {"us", 1e6, true},
                               {"d", 86400, false}, {"h", 3600, false}, {"s", 1, false}};
  static const char* order[] = {"d", "h", "min", "s", "ms", "us"};
  auto rank = [](const char* name) {
    for (int i = 0; i < 6; ++i)
      if (std::strcmp(order[i], name) == 0) return i;
    return -1;
  };
  const std::string quoted = "\"" + text + "\"";
  if (text.empty()) throw std::invalid_argument("empty duration \"\"");
  double total = 0;
  int last_rank = -1;
  std::size_t pos = 0;
  bool any = false;
  while (pos < text.size()) {
    if (text[pos] == ' ') {
      ++pos;
      continue;
    }
    const std::size_t num_begin = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    if (pos < text.size() && text[pos] == '.' && pos > num_begin) {
      ++pos;
      const std::size_t frac_begin = pos;
      while (pos < text.size() && is_digit(text[pos])) ++pos;
      if (pos == frac_begin) throw std::invalid_argument("missing digits after '.' in " + quoted);
    }
    if (pos == num_begin) {
      if (text[pos] == '-') throw std::invalid_argument("negative duration " + quoted);
      throw std::invalid_argument("expected a number at \"" + text.substr(pos) + "\" in " + quoted);
    }
    double value = 0;
    const auto res = std::from_chars(text.data() + num_begin, text.data() + pos, value);
    if (res.ec != std::errc() || res.ptr != text.data() + pos)
      throw std::invalid_argument("bad number in " + quoted);
    const std::size_t unit_begin = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    const std::string unit = text.substr(unit_begin, pos - unit_begin);
    if (unit.empty())
      throw std::invalid_argument("missing unit after " + text.substr(num_begin, pos - num_begin) + " in " +
                                  quoted + " (units: d, h, min, s, ms, us)");
    const Unit* u = nullptr;
    for (const Unit& cand : units)
      if (unit == cand.name) u = &cand;
    if (!u)
      throw std::invalid_argument("unknown unit \"" + unit + "\" in " + quoted + " (" +
                                  (unit == "m" ? "write min for minutes; " : "") + "units: d, h, min, s, ms, us)");
    const int r = rank(u->name);
    if (r <= last_rank)
      throw std::invalid_argument("units out of order or repeated in " + quoted + " (write them largest first, e.g. \"1d2h30min\")");
    last_rank = r;
    total += u->divide ? value / u->seconds : value * u->seconds;
    any = true;
  }
  if (!any) throw std::invalid_argument("empty duration " + quoted);
  if (!std::isfinite(total)) throw std::invalid_argument("duration too large: " + quoted);
  return total;
}

double parse_time_of_day(const std::string& text) {
  const std::string quoted = "\"" + text + "\"";
  std::size_t pos = 0;
  while (pos < text.size() && pos < 2 && is_digit(text[pos])) ++pos;
  if (pos == 0 || pos >= text.size() || text[pos] != ':')
    throw std::invalid_argument(quoted + " is not HH:MM or HH:MM:SS");
  const int h = std::stoi(text.substr(0, pos));
  const int m = read_digits(text, pos + 1, 2);
  pos += 3;
  int s = 0;
  if (m < 0) throw std::invalid_argument(quoted + " is not HH:MM or HH:MM:SS");
  if (pos < text.size()) {
    if (text[pos] != ':' || (s = read_digits(text, pos + 1, 2)) < 0 || pos + 3 != text.size())
      throw std::invalid_argument(quoted + " is not HH:MM or HH:MM:SS");
  }
  if (h > 23 || m > 59 || s > 59) throw std::invalid_argument(quoted + " is not a valid time of day (hours 0..23, minutes and seconds 0..59)");
  return h * 3600.0 + m * 60.0 + s;
}

double parse_utc(const std::string& text) {
  const std::string quoted = "\"" + text + "\"";
  const auto fail = [&]() -> double {
    throw std::invalid_argument(quoted + " is not YYYY-MM-DDTHH:MM:SSZ");
  };
  if (text.size() < 20) return fail();
  const int y = read_digits(text, 0, 4), mo = read_digits(text, 5, 2), d = read_digits(text, 8, 2);
  const int h = read_digits(text, 11, 2), mi = read_digits(text, 14, 2), s = read_digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return fail();
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') return fail();
  std::size_t pos = 19;
  double frac = 0;
  if (text[pos] == '.') {
    const std::size_t begin = pos;
    ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    if (pos == begin + 1) return fail();
    const std::string digits = "0" + text.substr(begin, pos - begin);  // "0.123"
    std::from_chars(digits.data(), digits.data() + digits.size(), frac);
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return fail();
  if (mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
    throw std::invalid_argument(quoted + " is not a valid calendar date and time");
  const double days = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)));
  return days * 86400.0 + h * 3600.0 + mi * 60.0 + s + frac;
}

namespace {

// always_millis: ".mmm" even on a whole second (fixed width).
std::string utc_text(double unix_s, bool millis, bool always_millis) {
  if (!std::isfinite(unix_s)) return fmt_num(unix_s);
  std::int64_t total_ms = 0;
  if (millis) {
    total_ms = static_cast<std::int64_t>(std::llround(unix_s * 1000.0));
  } else {
    total_ms = static_cast<std::int64_t>(std::floor(unix_s)) * 1000;
  }
  std::int64_t secs = total_ms / 1000, ms = total_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  std::int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  if (millis && (ms != 0 || always_millis))
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                  static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60),
                  static_cast<int>(ms));
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d,
                  static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  return buf;
}

}  // namespace

std::string format_utc(double unix_s, bool millis) { return utc_text(unix_s, millis, false); }
std::string format_utc_ms(double unix_s) { return utc_text(unix_s, true, true); }

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return fmt_num(seconds);
  if (seconds < 0) return "-" + format_duration(-seconds);
  if (seconds == 0) return "0s";
  if (seconds * 1e6 > 9e18) return fmt_num(seconds) + "s";
  const std::int64_t us = std::llround(seconds * 1e6);
  if (us == 0) return fmt_num(seconds) + "s";
  if (us < 1000000) {  // below a second: ms or us
    if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
    if (us < 1000) return std::to_string(us) + "us";
    return fmt_num(static_cast<double>(us) / 1e3) + "ms";
  }
  constexpr std::int64_t kDay = 86400000000LL, kHour = 3600000000LL, kMin = 60000000LL;
  std::string out;
  std::int64_t rest = us;
  if (rest >= kDay) out += std::to_string(rest / kDay) + "d", rest %= kDay;
  if (rest >= kHour) out += std::to_string(rest / kHour) + "h", rest %= kHour;
  if (rest >= kMin) out += std::to_string(rest / kMin) + "min", rest %= kMin;
  if (rest > 0) {
    if (rest % 1000000 == 0)
      out += std::to_string(rest / 1000000) + "s";
    else
      out += fmt_num(static_cast<double>(rest) / 1e6) + "s";
  }
  return out;
}

// ---------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------

namespace {

enum class Type { String, Integer, Number, Boolean, Duration, TimeOfDay, UtcTime, Enum, Windows, CrewPeriods, Faults };

struct Range {
  double lo = -kInf, hi = kInf;
  bool lo_open = false, hi_open = false;
};
Range closed(double lo, double hi) { return {lo, hi, false, false}; }
Range at_least(double lo) { return {lo, kInf, false, false}; }
Range above_upto(double lo, double hi) { return {lo, hi, true, false}; }
Range any_range() { return {}; }

// A checked value, ready for a binder.
struct Value {
  double num = 0;            // Number, Duration, TimeOfDay (s of day), UtcTime (Unix s)
  std::int64_t integer = 0;  // Integer
  bool boolean = false;      // Boolean
  std::string text;          // String, Enum; the source text of Duration/TimeOfDay/UtcTime
  std::vector<LosWindow> windows;
  std::vector<CrewPeriod> periods;  // CrewPeriods
  std::vector<FaultSpec> faults;    // Faults
  std::vector<std::uint32_t> fault_lines;  // Faults: the line of each table
};

struct Key {
  std::string path;         // "crew.size"
  Type type = Type::String;
  std::string unit;         // for the docs; "" when the type says it all
  Range range;
  std::vector<std::string> choices;  // Enum
  std::string description;
  bool required = false;
  std::string missing_expected;      // for required keys: "a duration like \"7d\""
  std::function<void(Scenario&, const Value&)> set;
  std::function<Value(Scenario&)> get;

  std::string section() const { return path.substr(0, path.rfind('.')); }
  std::string leaf() const { return path.substr(path.rfind('.') + 1); }
};

// A cross-field rule: checked after the file and all overrides are applied.
struct Rule {
  std::vector<std::string> keys;  // the keys involved; the error is reported at the last one set
  std::string description;        // for the docs
  // Returns {what was wrong, expected what} on violation.
  std::function<std::optional<std::pair<std::string, std::string>>(const Scenario&)> check;
};

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
    k.push_back(choice("pipeline.architecture", {"direct", "wet", "streaming", "polling"},
                       "host pipeline: \"direct\" (the testbed's own), \"wet\" (seed 000: ZeroMQ, SQLite, polling GUI), "
                       "\"streaming\" (seed 001: Kafka), \"polling\" (seed 002: TimescaleDB + Celery beat); docs/architectures.md",
                       PEEBOT_FIELD(pipeline.architecture)));
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
                     res = {{"stop level " + fmt_num(u.stop_pct) + " is not below start level " + fmt_num(u.start_pct),
                             "upa.stop_pct < upa.start_pct"}};
                   return res;
                 }});
    v.push_back({{"bulk.min_pct", "bulk.max_pct"}, "`bulk.min_pct` <= `bulk.max_pct`", [](const Scenario& s) {
                   std::optional<std::pair<std::string, std::string>> res;
                   if (s.world.bulk.min_pct > s.world.bulk.max_pct)
                     res = {{"min_pct " + fmt_num(s.world.bulk.min_pct) + " exceeds max_pct " + fmt_num(s.world.bulk.max_pct),
                             "bulk.min_pct <= bulk.max_pct"}};
                   return res;
                 }});
    v.push_back({{"water.wpa_start_pct", "water.wpa_stop_pct"}, "`water.wpa_stop_pct` < `water.wpa_start_pct`",
                 [](const Scenario& s) {
                   std::optional<std::pair<std::string, std::string>> res;
                   if (!(s.world.water.wpa_stop_pct < s.world.water.wpa_start_pct))
                     res = {{"stop level " + fmt_num(s.world.water.wpa_stop_pct) + " is not below start level " +
                                 fmt_num(s.world.water.wpa_start_pct),
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
                     res = {{"min_rise_pct " + fmt_num(d.min_rise_pct) + " is not below bulk_rise_pct " +
                                 fmt_num(d.bulk_rise_pct),
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

// ---------------------------------------------------------------------------
// Rendering values and ranges
// ---------------------------------------------------------------------------

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

std::string format_time_of_day(double s) {
  const long t = std::lround(s);
  char buf[32];
  if (t % 60)
    std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 3600, t / 60 % 60);
  return buf;
}

// A signed duration: "-30s", "+2min", "0s".
std::string format_signed_duration(double s) { return s < 0 ? format_duration(s) : (s > 0 ? "+" : "") + format_duration(s); }

// One fault as a TOML inline table, with the fields its kind takes.
std::string render_fault(const FaultSpec& f) {
  const FaultKindInfo& info = fault_kind_info(f.kind);
  std::string out = "{kind = " + quote(std::string(info.name));
  if (!f.target.empty()) out += ", target = " + quote(f.target);
  out += ", start = " + quote(format_duration(f.start_s)) + ", end = " + quote(format_duration(f.end_s));
  if (info.fields & kFieldFactor) out += ", factor = " + fmt_num(f.factor);
  if (info.fields & kFieldProbability) out += ", probability = " + fmt_num(f.probability);
  if (info.fields & kFieldMaxDelay) out += ", max_delay = " + quote(format_duration(f.max_delay_s));
  if (info.fields & kFieldOffset) out += ", offset = " + quote(format_signed_duration(f.offset_s));
  if (info.fields & kFieldDriftPpm) out += ", drift_ppm = " + fmt_num(f.drift_ppm);
  if (info.fields & kFieldLimitPerWindow) out += ", limit_per_window = " + std::to_string(f.limit_per_window);
  if (info.fields & kFieldWindow) out += ", window = " + quote(format_duration(f.window_s));
  return out + "}";
}

// A value as TOML source text.
std::string render(const Key& k, const Value& v) {
  switch (k.type) {
    case Type::String:
    case Type::Enum: return quote(v.text);
    case Type::Integer: return std::to_string(v.integer);
    case Type::Number: return fmt_num(v.num);
    case Type::Boolean: return v.boolean ? "true" : "false";
    case Type::Duration: return quote(format_duration(v.num));
    case Type::TimeOfDay: return quote(format_time_of_day(v.num));
    case Type::UtcTime: return quote(format_utc(v.num, true));
    case Type::Windows: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.windows.size(); ++i) {
        if (i) out += ", ";
        out += "[" + quote(format_duration(v.windows[i].start_s)) + ", " + quote(format_duration(v.windows[i].end_s)) + "]";
      }
      return out + "]";
    }
    case Type::CrewPeriods: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.periods.size(); ++i)
        out += (i ? ", " : "") + std::string("{start = ") + quote(format_duration(v.periods[i].start_s)) +
               ", size = " + std::to_string(v.periods[i].size) + "}";
      return out + "]";
    }
    case Type::Faults: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.faults.size(); ++i) out += (i ? ", " : "") + render_fault(v.faults[i]);
      return out + "]";
    }
  }
  return "";
}

std::string bound(const Key& k, double x) {
  switch (k.type) {
    case Type::Duration: return format_duration(x);
    case Type::TimeOfDay: return format_time_of_day(x);
    case Type::UtcTime: return format_utc(x);
    default: return fmt_num(x);
  }
}

// "in 1 .. 20", "> 0s and <= 365d", ">= 0"; docs=true gives the table form "1 .. 20", "> 0s, <= 365d".
std::string range_text(const Key& k, bool docs) {
  const Range& r = k.range;
  const bool has_lo = std::isfinite(r.lo), has_hi = std::isfinite(r.hi);
  const std::string lo = has_lo ? bound(k, r.lo) : "", hi = has_hi ? bound(k, r.hi) : "";
  if (has_lo && has_hi && !r.lo_open && !r.hi_open) return (docs ? "" : "in ") + lo + " .. " + hi;
  std::string out;
  if (has_lo) out += (r.lo_open ? "> " : ">= ") + lo;
  if (has_hi) out += (has_lo ? (docs ? ", " : " and ") : "") + std::string(r.hi_open ? "< " : "<= ") + hi;
  return out;
}

std::string type_name(const Key& k) {
  switch (k.type) {
    case Type::String: return "string";
    case Type::Integer: return "integer";
    case Type::Number: return "number";
    case Type::Boolean: return "boolean";
    case Type::Duration: return "duration";
    case Type::TimeOfDay: return "time of day";
    case Type::UtcTime: return "UTC time";
    case Type::Enum: return "string";
    case Type::Windows: return "array";
    case Type::CrewPeriods: return "array of tables";
    case Type::Faults: return "array of tables";
  }
  return "";
}

// What a value of this key must look like (for type errors).
std::string expected_type(const Key& k) {
  switch (k.type) {
    case Type::String: return k.required ? "a non-empty string" : "a string";
    case Type::Integer: return "an integer " + range_text(k, false);
    case Type::Number: return "a number " + range_text(k, false);
    case Type::Boolean: return "true or false";
    case Type::Duration: return "a duration string like \"90s\"";
    case Type::TimeOfDay: return "a time of day \"HH:MM\" (UTC) like \"06:30\"";
    case Type::UtcTime: return "a UTC time \"YYYY-MM-DDTHH:MM:SSZ\" like \"2025-01-06T00:00:00Z\"";
    case Type::Enum: {
      std::string out = "one of ";
      for (std::size_t i = 0; i < k.choices.size(); ++i) out += (i ? ", " : "") + quote(k.choices[i]);
      return out;
    }
    case Type::Windows: return "an array of [start, end] duration pairs like [[\"1d2h\", \"1d3h\"]]";
    case Type::CrewPeriods: return "[[crew.periods]] tables with start = \"<duration>\" and size = <1 .. 20>, starts increasing";
    case Type::Faults: return "[[faults]] tables with kind = \"<kind>\", start = \"<duration>\", end = \"<duration>\" (docs/faults.md)";
  }
  return "";
}

// What a value must be (for range errors).
std::string expected_range(const Key& k) {
  switch (k.type) {
    case Type::Integer: return "an integer " + range_text(k, false);
    case Type::Duration: return "a duration " + range_text(k, false);
    case Type::TimeOfDay: return "a time of day " + range_text(k, false);
    case Type::UtcTime: return "a UTC time " + range_text(k, false);
    default: return "a number " + range_text(k, false);
  }
}

std::string got(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: {
      std::string s = n.as_string()->get();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return "got the string " + quote(s);
    }
    case toml::node_type::integer: return "got the integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: return "got the number " + fmt_num(n.as_floating_point()->get());
    case toml::node_type::boolean: return std::string("got the boolean ") + (n.as_boolean()->get() ? "true" : "false");
    case toml::node_type::array: return "got an array";
    case toml::node_type::table: return "got a table";
    case toml::node_type::date: return "got a date";
    case toml::node_type::time: return "got a time";
    case toml::node_type::date_time: return "got a date-time";
    default: return "got nothing";
  }
}

// ---------------------------------------------------------------------------
// Converting and checking one value
// ---------------------------------------------------------------------------

struct Bad {
  std::string what, expected;
  std::uint32_t line = 0;  // when set, overrides the line of the key (array elements)
};

std::uint32_t line_of(const toml::node& n) { return n.source().begin.line; }

void check_range(const Key& k, double x, const std::string& shown) {
  if (!std::isfinite(x)) throw Bad{shown + " is not finite", expected_range(k)};
  const Range& r = k.range;
  const bool low = r.lo_open ? !(x > r.lo) : !(x >= r.lo);
  const bool high = r.hi_open ? !(x < r.hi) : !(x <= r.hi);
  if (low || high) throw Bad{shown + " is out of range", expected_range(k)};
}

double duration_of(const Key& k, const toml::node& n) {
  if (n.is_integer() || n.is_floating_point()) {
    const double x = n.is_integer() ? static_cast<double>(n.as_integer()->get()) : n.as_floating_point()->get();
    throw Bad{got(n), expected_type(k) + " (e.g. " + quote(fmt_num(x) + "s") + ")"};
  }
  if (!n.is_string()) throw Bad{got(n), expected_type(k)};
  const std::string& text = n.as_string()->get();
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw Bad{e.what(), expected_type(k)};
  }
}

// The fields of a [[faults]] table: what the loader accepts and the docs list.
struct FaultFieldDef {
  const char* name;
  unsigned bit;        // FaultField; 0 for the fields every kind has
  const char* type;    // for the docs
  const char* range;   // for the docs and range errors
  const char* description;
};
const std::vector<FaultFieldDef>& fault_fields() {
  static const std::vector<FaultFieldDef> f = {
      {"kind", 0, "string", "a kind below", "what fails (required)"},
      {"target", 0, "string", "a target of the kind", "the stage or service that fails (required for the kinds that take one, refused by the others)"},
      {"start", 0, "duration", ">= 0s, < scenario.duration", "the window opens, since the epoch (true time; required)"},
      {"end", 0, "duration", "> start", "the window closes, exclusive (a crashed target restarts then; required)"},
      {"factor", kFieldFactor, "number", "1 .. 1000", "slow_disk: service-time multiplier of the target's writes"},
      {"probability", kFieldProbability, "number", "0 .. 1", "duplicate, reorder: chance per delivered update"},
      {"max_delay", kFieldMaxDelay, "duration", "> 0s, <= 1h", "reorder: a held update is released U(0, max_delay] later"},
      {"offset", kFieldOffset, "signed duration", "-1d .. +1d",
       "clock_skew: ISS clock minus ground time at start, e.g. \"+2min\" (ISS ahead) or \"-90s\" (behind); default 0s"},
      {"drift_ppm", kFieldDriftPpm, "number", "-100000 .. 100000",
       "clock_skew: the offset grows by drift_ppm x 1e-6 s per second of the window; default 0"},
      {"limit_per_window", kFieldLimitPerWindow, "integer", "0 .. 1000000", "rate_limit: post attempts admitted per window"},
      {"window", kFieldWindow, "duration", "> 0s, <= 1d", "rate_limit: window length (windows aligned on start)"},
  };
  return f;
}

std::string fault_field_list(unsigned bits) {
  std::string out = "kind, ";
  out += "start, end";
  for (const auto& d : fault_fields())
    if (d.bit & bits) out += std::string(", ") + d.name;
  return out;
}

// "-30s", "+2min", "90s" -> seconds.
double parse_signed_duration(const std::string& text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    const double v = parse_duration(text.substr(1));
    return text[0] == '-' ? -v : v;
  }
  return parse_duration(text);
}

// One [[faults]] table.
FaultSpec convert_fault(const toml::node& el, std::size_t index, const std::vector<FaultSpec>& earlier,
                        const std::vector<std::uint32_t>& earlier_lines) {
  const std::string which = "fault " + std::to_string(index) + ": ";
  const toml::table* t = el.as_table();
  if (!t) throw Bad{which + got(el), "a table [[faults]] with kind, start and end", line_of(el)};
  FaultSpec f;
  unsigned given = 0;
  bool has_kind = false, has_target = false, has_start = false, has_end = false;
  std::uint32_t kind_line = line_of(el), target_line = line_of(el);
  std::map<unsigned, std::pair<std::string, std::uint32_t>> given_at;  // field bit -> name, line
  for (auto&& [key, val] : *t) {
    const std::string name(key.str());
    const std::uint32_t line = line_of(val) ? line_of(val) : line_of(el);
    const std::string field = which + name + ": ";
    auto number_in = [&](double lo, double hi, const char* expected) {
      double x = 0;
      if (val.is_integer()) x = static_cast<double>(val.as_integer()->get());
      else if (val.is_floating_point()) x = val.as_floating_point()->get();
      else throw Bad{field + got(val), expected, line};
      if (!std::isfinite(x) || x < lo || x > hi) throw Bad{field + fmt_num(x) + " is out of range", expected, line};
      return x;
    };
    auto duration_in = [&](double lo, bool lo_open, double hi, const char* expected, bool is_signed = false) {
      if (!val.is_string()) throw Bad{field + got(val), expected, line};
      double x = 0;
      try {
        x = is_signed ? parse_signed_duration(val.as_string()->get()) : parse_duration(val.as_string()->get());
      } catch (const std::invalid_argument& e) {
        throw Bad{field + e.what(), expected, line};
      }
      if (lo_open ? !(x > lo) : !(x >= lo)) throw Bad{field + quote(val.as_string()->get()) + " is out of range", expected, line};
      if (x > hi) throw Bad{field + quote(val.as_string()->get()) + " is out of range", expected, line};
      return x;
    };
    const FaultFieldDef* def = nullptr;
    for (const auto& d : fault_fields())
      if (name == d.name) def = &d;
    if (!def) {
      std::string all;
      for (const auto& d : fault_fields()) all += (all.empty() ? "" : ", ") + std::string(d.name);
      throw Bad{which + "unknown key " + quote(name), "one of " + all, line};
    }
    if (def->bit) given |= def->bit, given_at[def->bit] = {name, line};
    if (name == "kind") {
      std::string kinds;
      for (const auto& info : fault_kinds()) kinds += (kinds.empty() ? "" : ", ") + quote(std::string(info.name));
      if (!val.is_string()) throw Bad{field + got(val), "one of " + kinds, line};
      const auto kind = fault_kind_from_name(val.as_string()->get());
      if (!kind) throw Bad{field + quote(val.as_string()->get()) + " is not a fault kind", "one of " + kinds, line};
      f.kind = *kind;
      has_kind = true;
      kind_line = line;
    } else if (name == "target") {
      if (!val.is_string()) throw Bad{field + got(val), "a target name string like \"store\"", line};
      f.target = val.as_string()->get();
      has_target = true;
      target_line = line;
    } else if (name == "start") {
      f.start_s = duration_in(0, false, 366 * 86400.0, "a duration since the epoch like \"2h\"");
      has_start = true;
    } else if (name == "end") {
      f.end_s = duration_in(0, false, 366 * 86400.0, "a duration since the epoch like \"3h\"");
      has_end = true;
    } else if (name == "factor") {
      f.factor = number_in(1, 1000, "a number in 1 .. 1000");
    } else if (name == "probability") {
      f.probability = number_in(0, 1, "a number in 0 .. 1");
    } else if (name == "max_delay") {
      f.max_delay_s = duration_in(0, true, 3600, "a duration > 0s and <= 1h like \"20s\"");
    } else if (name == "offset") {
      f.offset_s = duration_in(-86400, false, 86400, "a signed duration in -1d .. +1d like \"+2min\" or \"-90s\"", true);
    } else if (name == "drift_ppm") {
      f.drift_ppm = number_in(-1e5, 1e5, "a number in -100000 .. 100000");
    } else if (name == "limit_per_window") {
      if (!val.is_integer()) throw Bad{field + got(val), "an integer in 0 .. 1000000", line};
      const auto x = val.as_integer()->get();
      if (x < 0 || x > 1000000) throw Bad{field + std::to_string(x) + " is out of range", "an integer in 0 .. 1000000", line};
      f.limit_per_window = x;
    } else if (name == "window") {
      f.window_s = duration_in(0, true, 86400, "a duration > 0s and <= 1d like \"15min\"");
    }
  }
  if (!has_kind) throw Bad{which + "missing kind", "kind = one of the fault kinds (docs/faults.md)", line_of(el)};
  const FaultKindInfo& info = fault_kind_info(f.kind);
  const std::string kname(info.name);
  for (const auto& [bit, at] : given_at)
    if (!(info.fields & bit))
      throw Bad{which + at.first + " does not apply to " + kname, "for " + kname + " only " +
                    fault_field_list(info.fields) + (info.targets.empty() ? "" : ", target"), at.second};
  if (info.targets.empty() && has_target)
    throw Bad{which + kname + " takes no target", "no target key for " + kname, target_line};
  if (!info.targets.empty()) {
    std::string targets;
    for (auto tg : info.targets) targets += (targets.empty() ? "" : ", ") + quote(std::string(tg));
    if (!has_target) throw Bad{which + "missing target", "target = one of " + targets + " for " + kname, kind_line};
    if (std::find(info.targets.begin(), info.targets.end(), f.target) == info.targets.end())
      throw Bad{which + "target: " + quote(f.target) + " is not a target of " + kname, "one of " + targets, target_line};
  }
  if (!has_start || !has_end)
    throw Bad{which + "missing " + std::string(has_start ? "end" : "start"), "start and end durations since the epoch", line_of(el)};
  if (!(f.start_s < f.end_s))
    throw Bad{which + "end " + quote(format_duration(f.end_s)) + " is not after start " + quote(format_duration(f.start_s)),
              "start < end", line_of(el)};
  for (const auto& d : fault_fields())
    if ((info.required & d.bit) && !(given & d.bit))
      throw Bad{which + "missing " + d.name + " for " + kname, std::string(d.name) + ": " + d.range, line_of(el)};
  if (f.kind == FaultKind::kClockSkew && !(given & (kFieldOffset | kFieldDriftPpm)))
    throw Bad{which + "clock_skew without offset or drift_ppm", "offset, drift_ppm or both", line_of(el)};
  for (std::size_t j = 0; j < earlier.size(); ++j) {
    const FaultSpec& e = earlier[j];
    if (e.kind == f.kind && e.target == f.target && e.start_s < f.end_s && f.start_s < e.end_s)
      throw Bad{which + kname + (f.target.empty() ? "" : " on " + f.target) + " " + format_duration(f.start_s) + " .. " +
                    format_duration(f.end_s) + " overlaps fault " + std::to_string(j + 1) + " (line " +
                    std::to_string(earlier_lines[j]) + ", " + format_duration(e.start_s) + " .. " + format_duration(e.end_s) + ")",
                "faults of one kind and target in disjoint windows", line_of(el)};
  }
  return f;
}

Value convert(const Key& k, const toml::node& n) {
  Value v;
  // A value given as a string, read by `parse` (which throws std::invalid_argument).
  auto parse_string_as = [&](double (*parse)(const std::string&)) {
    if (!n.is_string()) throw Bad{got(n), expected_type(k)};
    v.text = n.as_string()->get();
    try {
      v.num = parse(v.text);
    } catch (const std::invalid_argument& e) {
      throw Bad{e.what(), expected_type(k)};
    }
  };
  switch (k.type) {
    case Type::String:
      if (!n.is_string()) throw Bad{got(n), expected_type(k)};
      v.text = n.as_string()->get();
      if (k.required && v.text.empty()) throw Bad{"is empty", expected_type(k)};
      return v;
    case Type::Enum:
      if (!n.is_string()) throw Bad{got(n), expected_type(k)};
      v.text = n.as_string()->get();
      if (std::find(k.choices.begin(), k.choices.end(), v.text) == k.choices.end())
        throw Bad{quote(v.text) + " is not a valid choice", expected_type(k)};
      return v;
    case Type::Boolean:
      if (!n.is_boolean()) throw Bad{got(n), expected_type(k)};
      v.boolean = n.as_boolean()->get();
      return v;
    case Type::Integer:
      if (!n.is_integer()) throw Bad{got(n), expected_type(k)};
      v.integer = n.as_integer()->get();
      check_range(k, static_cast<double>(v.integer), std::to_string(v.integer));
      return v;
    case Type::Number:
      if (n.is_integer())
        v.num = static_cast<double>(n.as_integer()->get());
      else if (n.is_floating_point())
        v.num = n.as_floating_point()->get();
      else
        throw Bad{got(n), expected_type(k)};
      check_range(k, v.num, fmt_num(v.num));
      return v;
    case Type::Duration:
      v.num = duration_of(k, n);
      v.text = n.as_string()->get();
      check_range(k, v.num, quote(v.text));
      return v;
    case Type::TimeOfDay:
      if (n.is_time()) {
        const toml::time t = n.as_time()->get();
        v.num = t.hour * 3600.0 + t.minute * 60.0 + t.second + t.nanosecond * 1e-9;
        v.text = format_time_of_day(v.num);
      } else {
        parse_string_as(parse_time_of_day);
      }
      check_range(k, v.num, quote(v.text));
      return v;
    case Type::UtcTime:
      if (n.is_date_time()) {
        const toml::date_time dt = n.as_date_time()->get();
        if (!dt.offset) throw Bad{"got a local date-time without an offset", expected_type(k)};
        const double days = static_cast<double>(days_from_civil(dt.date.year, dt.date.month, dt.date.day));
        v.num = days * 86400.0 + dt.time.hour * 3600.0 + dt.time.minute * 60.0 + dt.time.second +
                dt.time.nanosecond * 1e-9 - dt.offset->minutes * 60.0;
        v.text = format_utc(v.num, true);
      } else {
        parse_string_as(parse_utc);
      }
      check_range(k, v.num, quote(v.text));
      return v;
    case Type::Windows: {
      const toml::array* arr = n.as_array();
      if (!arr) throw Bad{got(n), expected_type(k)};
      std::size_t i = 0;
      for (const toml::node& el : *arr) {
        ++i;
        const std::string which = "window " + std::to_string(i) + ": ";
        const toml::array* pair = el.as_array();
        if (!pair || pair->size() != 2)
          throw Bad{which + (pair ? "has " + std::to_string(pair->size()) + " elements" : got(el)),
                    "a [start, end] pair of durations like [\"1d2h\", \"1d3h\"]", line_of(el)};
        LosWindow w;
        try {
          w.start_s = duration_of(k, *pair->get(0));
          w.end_s = duration_of(k, *pair->get(1));
        } catch (Bad& b) {
          b.what = which + b.what;
          b.line = line_of(el);
          throw;
        }
        if (!(w.start_s < w.end_s))
          throw Bad{which + "[" + quote(pair->get(0)->as_string()->get()) + ", " + quote(pair->get(1)->as_string()->get()) +
                        "] does not end after it starts",
                    "start < end", line_of(el)};
        v.windows.push_back(w);
      }
      return v;
    }
    case Type::CrewPeriods: {
      const toml::array* arr = n.as_array();
      if (!arr) throw Bad{got(n), expected_type(k)};
      std::size_t i = 0;
      for (const toml::node& el : *arr) {
        ++i;
        const std::string which = "period " + std::to_string(i) + ": ";
        const toml::table* t = el.as_table();
        if (!t) throw Bad{which + got(el), expected_type(k), line_of(el)};
        CrewPeriod per;
        bool has_start = false, has_size = false;
        for (auto&& [key, val] : *t) {
          const std::string name(key.str());
          const std::uint32_t line = line_of(val) ? line_of(val) : line_of(el);
          if (name == "start") {
            try {
              per.start_s = duration_of(k, val);
            } catch (Bad& b) {
              b.what = which + "start: " + b.what;
              b.line = line;
              throw;
            }
            has_start = true;
          } else if (name == "size") {
            if (!val.is_integer() || val.as_integer()->get() < 1 || val.as_integer()->get() > 20)
              throw Bad{which + "size: " + (val.is_integer() ? std::to_string(val.as_integer()->get()) + " is out of range" : got(val)),
                        "an integer in 1 .. 20", line};
            per.size = static_cast<int>(val.as_integer()->get());
            has_size = true;
          } else {
            throw Bad{which + "unknown key " + quote(name), "only start and size", line};
          }
        }
        if (!has_start || !has_size)
          throw Bad{which + "missing " + std::string(has_start ? "size" : "start"), expected_type(k), line_of(el)};
        if (!v.periods.empty() && !(per.start_s > v.periods.back().start_s))
          throw Bad{which + "starts at " + quote(format_duration(per.start_s)) + ", not after the previous period",
                    "starts increasing", line_of(el)};
        v.periods.push_back(per);
      }
      return v;
    }
    case Type::Faults: {
      const toml::array* arr = n.as_array();
      if (!arr) throw Bad{got(n), expected_type(k)};
      std::size_t i = 0;
      for (const toml::node& el : *arr) {
        v.faults.push_back(convert_fault(el, ++i, v.faults, v.fault_lines));
        v.fault_lines.push_back(line_of(el));
      }
      return v;
    }
  }
  return v;
}

// ---------------------------------------------------------------------------
// Unknown keys: suggestions
// ---------------------------------------------------------------------------

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& path) {
  std::vector<std::string> cands = sections();
  for (const Key& k : schema()) cands.push_back(k.path);
  const std::string leaf = path.substr(path.rfind('.') + 1);
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, path.size() / 5) + 1;
  for (const std::string& c : cands) {
    const std::size_t d = edit_distance(path, c);
    if (d < best_d) best_d = d, best = c;
  }
  if (best.empty())  // a key in the wrong section
    for (const Key& k : schema())
      if (k.leaf() == leaf) return k.path;
  return best;
}

std::string section_list(const std::string& parent) {
  std::string out;
  for (const std::string& s : sections()) {
    const bool child = parent.empty() ? s.find('.') == std::string::npos
                                      : s.rfind(parent + ".", 0) == 0 && s.find('.', parent.size() + 1) == std::string::npos;
    if (child) out += (out.empty() ? "" : ", ") + ("[" + s + "]");
  }
  return out;
}

std::string key_list(const std::string& section) {
  std::string out;
  for (const Key& k : schema())
    if (k.section() == section) out += (out.empty() ? "" : ", ") + k.leaf();
  return out;
}

// {what, expected} for an unknown path.
std::pair<std::string, std::string> unknown(const std::string& path, bool is_table) {
  const std::size_t dot = path.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : path.substr(0, dot);
  std::string what = is_table ? "unknown section" : parent.empty() ? "key outside any section" : "unknown key";
  const std::string s = suggestion(path);
  if (!s.empty()) what += " (did you mean " + s + "?)";
  std::string expected;
  const std::string subs = section_list(parent);
  const std::string keys = parent.empty() ? "" : key_list(parent);
  if (parent.empty())
    expected = "one of the sections " + subs;
  else if (!keys.empty() && !subs.empty())
    expected = "one of the keys of [" + parent + "]: " + keys + ", or one of the sections " + subs;
  else if (!keys.empty())
    expected = "one of the keys of [" + parent + "]: " + keys;
  else
    expected = "one of the sections " + subs;
  return {what, expected};
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

struct Loader {
  std::string path;
  Scenario sc;
  struct Origin {
    std::string where;  // "FILE:LINE" or "--set k=v"
    std::int64_t seq;   // file: the line; overrides: after every line, in order
  };
  std::map<std::string, Origin> origins;
  std::int64_t override_seq = std::int64_t{1} << 40;

  [[noreturn]] static void fail(const std::string& where, const std::string& key, const std::string& what,
                                const std::string& expected) {
    throw ScenarioError(where + ": " + key + ": " + what + ", expected " + expected);
  }
  std::string at(std::uint32_t line) const { return line ? path + ":" + std::to_string(line) : path; }

  void apply(const Key& k, const toml::node& n, const std::string& where_prefix, bool from_file) {
    try {
      Value v = convert(k, n);
      for (std::size_t i = 0; i < v.faults.size(); ++i)
        v.faults[i].where = from_file ? at(v.fault_lines[i] ? v.fault_lines[i] : line_of(n)) : where_prefix;
      k.set(sc, v);
    } catch (const Bad& b) {
      const std::string where = from_file ? at(b.line ? b.line : line_of(n)) : where_prefix;
      fail(where, k.path, b.what, b.expected);
    }
    origins[k.path] = {from_file ? at(line_of(n)) : where_prefix,
                       from_file ? static_cast<std::int64_t>(line_of(n)) : ++override_seq};
  }

  void walk(const toml::table& tbl, const std::string& prefix) {
    for (auto&& [key, node] : tbl) {
      const std::string name(key.str());
      const std::string full = prefix.empty() ? name : prefix + "." + name;
      std::uint32_t line = line_of(node);
      if (!line) line = key.source().begin.line;
      const bool valid_name = name.find('.') == std::string::npos && !name.empty();
      const Key* k = valid_name ? find_key(full) : nullptr;
      if (k) {
        apply(*k, node, "", true);
      } else if (valid_name && is_section(full)) {
        if (!node.is_table()) fail(at(line), full, "is a section but " + got(node), "a table [" + full + "]");
        walk(*node.as_table(), full);
      } else {
        const auto [what, expected] = unknown(full, node.is_table());
        fail(at(line), full, what, expected);
      }
    }
  }

  void override_one(const std::string& ov) {
    const std::string where = "--set " + ov;
    const std::size_t eq = ov.find('=');
    if (eq == std::string::npos) fail(where, ov, "no value", "key.path=value");
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string key = trim(ov.substr(0, eq)), value = ov.substr(eq + 1);
    const Key* k = find_key(key);
    if (!k) {
      if (key.empty()) throw ScenarioError(where + ": expected key.path=value");
      if (is_section(key)) {
        const std::string keys = key_list(key);
        fail(where, key, "is a section, not a key",
             keys.empty() ? "one of the sections " + section_list(key) : "one of the keys of [" + key + "]: " + keys);
      }
      const auto [what, expected] = unknown(key, false);
      fail(where, key, what, expected);
    }
    // The value as TOML; anything that is not one TOML value is a bare string.
    std::optional<toml::table> parsed;
    try {
      toml::table t = toml::parse("v = " + value, std::string_view("--set"));
      if (t.size() == 1 && t.contains("v")) parsed = std::move(t);
    } catch (const toml::parse_error&) {
    }
    if (parsed) {
      apply(*k, *parsed->get("v"), where, false);
    } else {
      toml::value<std::string> bare(value);
      apply(*k, bare, where, false);
    }
    sc.overrides.push_back(key + "=" + value);
  }

  void finish() {
    for (const Key& k : schema())
      if (k.required && !origins.count(k.path))
        fail(path, k.path, "missing required key", k.missing_expected);
    for (const Rule& r : rules()) {
      const auto bad = r.check(sc);
      if (!bad) continue;
      // Report at the key of the rule that was set last (an override beats the file).
      std::string key = r.keys.back(), where = path;
      std::int64_t best = -1;
      for (const std::string& rk : r.keys) {
        const auto it = origins.find(rk);
        if (it != origins.end() && it->second.seq > best) best = it->second.seq, key = rk, where = it->second.where;
      }
      fail(where, key, bad->first, bad->second);
    }
    sc.pipeline.detector.tank_capacity_ml = sc.world.tank.capacity_ml;
    sc.report.architecture = sc.pipeline.architecture;
    sc.report.offered_rate_per_s = sc.world.background.rate_per_s;
  }
};

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& path, const std::vector<std::string>& overrides) {
  Loader L;
  L.path = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ScenarioError(path + ":" + std::to_string(b.line) + ": TOML syntax error at column " + std::to_string(b.column) +
                        ": " + std::string(e.description()));
  }
  L.walk(root, "");
  for (const std::string& ov : overrides) L.override_one(ov);
  L.finish();
  L.sc.source_path = path;
  L.sc.source_text = text;
  return std::move(L.sc);
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ScenarioError(path + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (failed) throw ScenarioError(path + ": cannot read: " + std::strerror(err));
  return parse_scenario(text, path, overrides);
}

std::vector<std::string> scenario_key_paths() {
  std::vector<std::string> out;
  for (const Key& k : schema()) out.push_back(k.path);
  return out;
}

std::string scenario_reference_markdown() {
  Scenario defaults;
  std::ostringstream md;
  auto cell = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string current;
  for (const Key& k : schema()) {
    if (k.section() != current) {
      current = k.section();
      md << (md.tellp() > 0 ? "\n" : "") << (k.type == Type::Faults ? "### [[" : "### [") << current
         << (k.type == Type::Faults ? "]]\n\n" : "]\n\n")
         << "| Key | Type | Unit | Default | Range | Description |\n"
         << "|---|---|---|---|---|---|\n";
    }
    std::string def = k.required ? "*required*" : "`" + cell(render(k, k.get(defaults))) + "`";
    std::string range;
    switch (k.type) {
      case Type::Integer:
      case Type::Number:
      case Type::Duration:
      case Type::TimeOfDay:
      case Type::UtcTime: range = range_text(k, true); break;
      case Type::Enum:
        for (std::size_t i = 0; i < k.choices.size(); ++i) range += (i ? " | " : "") + quote(k.choices[i]);
        break;
      case Type::String: range = k.required ? "non-empty" : ""; break;
      case Type::Windows: range = "start < end"; break;
      case Type::CrewPeriods: range = "size 1 .. 20, starts increasing"; break;
      case Type::Faults: range = "see the fields below"; break;
      case Type::Boolean: range = "true, false"; break;
    }
    md << "| `" << k.path << "` | " << type_name(k) << " | " << cell(k.unit) << " | " << def << " | " << cell(range)
       << " | " << cell(k.description) << " |\n";
  }
  // The fields and kinds of [[faults]] (docs/faults.md says what each kind does).
  md << "\nFields of a `[[faults]]` table:\n\n| Field | Type | Range | Kinds | Description |\n|---|---|---|---|---|\n";
  for (const auto& d : fault_fields()) {
    std::string kinds;
    for (const auto& info : fault_kinds())
      if (d.bit & info.fields) kinds += (kinds.empty() ? "" : ", ") + std::string(info.name);
    if (!d.bit) kinds = std::string(d.name) == "target" ? "those with targets" : "all";
    md << "| `" << d.name << "` | " << d.type << " | " << cell(d.range) << " | " << kinds << " | " << cell(d.description)
       << " |\n";
  }
  md << "\nFault kinds:\n\n| Kind | Targets | Numbers (required) | Effect | Honoured by |\n|---|---|---|---|---|\n";
  for (const auto& info : fault_kinds()) {
    std::string targets, numbers;
    for (auto t : info.targets) targets += (targets.empty() ? "" : ", ") + std::string("`") + std::string(t) + "`";
    for (const auto& d : fault_fields())
      if (d.bit & info.fields)
        numbers += (numbers.empty() ? "" : ", ") + std::string("`") + d.name + "`" + ((d.bit & info.required) ? "" : " (optional)");
    md << "| `" << info.name << "` | " << (targets.empty() ? "none" : targets) << " | " << (numbers.empty() ? "none" : numbers)
       << " | " << cell(std::string(info.effect)) << " | " << cell(std::string(info.honoured_by)) << " |\n";
  }
  md << "\n### Cross-field rules\n\n";
  for (const Rule& r : rules()) md << "- " << r.description << "\n";
  return md.str();
}

}  // namespace peebot
