// Converting one TOML value into a checked Value, and rendering values,
// ranges and types for messages and the docs (schema.hpp).
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "../../models/iss_time.hpp"
#include "../util/text.hpp"
#include "../util/time.hpp"
#include "schema.hpp"

namespace peebot::scenario_schema {

// Helpers of convert() and render(), not used outside this file.
namespace {

// One fault as a TOML inline table, with the fields its kind takes.
std::string render_fault(const FaultSpec& f) {
  const FaultKindInfo& info = fault_kind_info(f.kind);
  std::string out = "{kind = " + quote(std::string(info.name));
  if (!f.target.empty()) out += ", target = " + quote(f.target);
  out += ", start = " + quote(format_duration(f.start_s)) + ", end = " + quote(format_duration(f.end_s));
  if (info.fields & kFieldFactor) out += ", factor = " + readable_number(f.factor);
  if (info.fields & kFieldProbability) out += ", probability = " + readable_number(f.probability);
  if (info.fields & kFieldMaxDelay) out += ", max_delay = " + quote(format_duration(f.max_delay_s));
  if (info.fields & kFieldOffset) out += ", offset = " + quote(format_signed_duration(f.offset_s));
  if (info.fields & kFieldDriftPpm) out += ", drift_ppm = " + readable_number(f.drift_ppm);
  if (info.fields & kFieldLimitPerWindow) out += ", limit_per_window = " + std::to_string(f.limit_per_window);
  if (info.fields & kFieldWindow) out += ", window = " + quote(format_duration(f.window_s));
  return out + "}";
}

std::string bound(const Key& k, double x) {
  switch (k.type) {
    case Type::Duration: return format_duration(x);
    case Type::TimeOfDay: return format_time_of_day(x);
    case Type::UtcTime: return format_utc(x);
    default: return readable_number(x);
  }
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
    throw Bad{got(n), expected_type(k) + " (e.g. " + quote(readable_number(x) + "s") + ")"};
  }
  if (!n.is_string()) throw Bad{got(n), expected_type(k)};
  const std::string& text = n.as_string()->get();
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw Bad{e.what(), expected_type(k)};
  }
}

std::string fault_field_list(unsigned bits) {
  std::string out = "kind, ";
  out += "start, end";
  for (const auto& d : fault_fields())
    if (d.bit & bits) out += std::string(", ") + d.name;
  return out;
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
      if (!std::isfinite(x) || x < lo || x > hi) throw Bad{field + readable_number(x) + " is out of range", expected, line};
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

}  // namespace

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

// A value as TOML source text.
std::string render(const Key& k, const Value& v) {
  switch (k.type) {
    case Type::String:
    case Type::Enum: return quote(v.text);
    case Type::Integer: return std::to_string(v.integer);
    case Type::Number: return readable_number(v.num);
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

std::string got(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: {
      std::string s = n.as_string()->get();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return "got the string " + quote(s);
    }
    case toml::node_type::integer: return "got the integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: return "got the number " + readable_number(n.as_floating_point()->get());
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
      check_range(k, v.num, readable_number(v.num));
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

}  // namespace peebot::scenario_schema
