// Parsers for the recorded formats, the merge and the Europe/Paris rule.
#include "importer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include "../../models/iss_time.hpp"
#include "../scenario/scenario.hpp"
#include "../util/text.hpp"

namespace peebot {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One parsed line.
struct Sample {
  double unix_s = 0;
  double emit_unix_s = kNaN;  // the ISS TimeStamp as a Unix time, where the format has it
  double iss_time_h = kNaN;
  double value = 0;
  std::uint64_t line = 0;
  std::uint32_t file = 0;
  ItemId item = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

bool parse_int(std::string_view s, long& out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Fixed-width unsigned digits at s[pos..pos+n).
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

// "YYYY-MM-DD" + sep + "HH:MM:SS" (+ optional ".fff" when allow_frac), as
// seconds on a clock (days_from_civil * 86400 + time of day); `used` = chars read.
bool parse_datetime(std::string_view s, char sep, bool allow_frac, double& clock_s, std::size_t& used) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || s[10] != sep || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
      s[16] != ':' || !digits(s, 17, 2, se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59) return false;
  used = 19;
  double frac = 0;
  if (allow_frac && used < s.size() && s[used] == '.') {
    std::size_t e = used + 1;
    while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
    if (e == used + 1) return false;
    std::from_chars(s.data() + used, s.data() + e, frac);
    used = e;
  }
  clock_s = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0 +
            h * 3600.0 + mi * 60.0 + se + frac;
  return true;
}

int item_of_name(std::string_view name) {
  for (ItemId id = 0; id < kNamedItems; ++id)
    if (name == named_item(id)) return id;
  return -1;
}

// The item a file name names: NODE3000004/05/08/09 or TIME_000001 at the
// start of its base name (so NODE3000005-continued.txt is NODE3000005).
int item_of_file(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  const std::string_view base = std::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
  for (ItemId id = 0; id < kNamedItems; ++id) {
    const std::string_view n = named_item(id);
    if (base.substr(0, n.size()) == n && (base.size() == n.size() || base[n.size()] == '.' ||
                                          base[n.size()] == '-' || base[n.size()] == '_'))
      return id;
  }
  return -1;
}

// A line of the recording as an error quotes it: 80 bytes at most, control
// bytes escaped (a recording is untrusted input; docs/security.md).
std::string quoted(std::string_view line) { return "\"" + printable(line, 80) + "\""; }

const char* expected_of(ImportFormat f) {
  switch (f) {
    case ImportFormat::kMimic: return "\"<hours-of-year> <value>\" (ISS-Mimic)";
    case ImportFormat::kIssp: return "\"YYYY-MM-DD-HH:MM:SS <integer>\" (ISSP)";
    case ImportFormat::kPisslog: return "\"YYYY-MM-DD HH:MM:SS, <integer>\" (pisslog)";
    case ImportFormat::kCsv: return "\"<ISO 8601 UTC time>,<item>,<value>\" (CSV)";
    default: return "a known format";
  }
}

// Parses one file into `out`. Errors name file:line.
class FileParser {
 public:
  FileParser(const NamedText& f, std::uint32_t index, const ImportOptions& o, ImportSummary& sum)
      : f_(f), index_(index), o_(o), sum_(sum) {}

  void run(std::vector<Sample>& out) {
    ImportFormat fmt = o_.format;
    std::size_t pos = 0;
    std::uint64_t line_no = 0;
    const std::string& text = f_.text;
    int file_item = item_of_file(f_.name);
    bool header_checked = false;
    double prev_unix[kNamedItems];
    std::fill(std::begin(prev_unix), std::end(prev_unix), -std::numeric_limits<double>::infinity());
    prev_utc_ = -std::numeric_limits<double>::infinity();
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      const std::string_view line = trim(std::string_view(text).substr(pos, nl - pos));
      pos = nl + 1;
      ++line_no;
      if (line.empty()) continue;
      if (fmt == ImportFormat::kAuto) {
        fmt = detect_format(std::string(line));
        if (fmt == ImportFormat::kAuto)
          throw ImportError(where(line_no) + ": cannot tell the format: expected ISS-Mimic \"<hours> <value>\", "
                            "ISSP \"YYYY-MM-DD-HH:MM:SS <int>\", pisslog \"YYYY-MM-DD HH:MM:SS, <int>\" or CSV "
                            "\"time,item,value\", got " + quoted(line) + " (or give --format)");
      }
      if (!header_checked) {
        header_checked = true;
        if (fmt == ImportFormat::kCsv && line == "time,item,value") continue;
        if (fmt != ImportFormat::kCsv && file_item < 0) file_item = item_of_name(o_.item);
        if (fmt != ImportFormat::kCsv && file_item < 0)
          throw ImportError(f_.name + ": the file name names no item (NODE3000004/05/08/09, TIME_000001) "
                            "and --item \"" + o_.item + "\" is not one of them");
      }
      ++sum_.lines_read;
      Sample s;
      s.line = line_no;
      s.file = index_;
      s.item = static_cast<ItemId>(std::max(file_item, 0));
      std::string err;
      if (!parse_line(fmt, line, s, err)) {
        const std::string msg = where(line_no) + ": expected " + err + ", got " + quoted(line);
        if (!o_.skip_bad) throw ImportError(msg);
        if (sum_.skipped_bad++ == 0) sum_.first_bad = msg;
        continue;
      }
      if (s.unix_s < prev_unix[s.item]) {
        if (sum_.out_of_order++ == 0) sum_.first_out_of_order = where(line_no);
      }
      prev_unix[s.item] = std::max(prev_unix[s.item], s.unix_s);
      out.push_back(s);
    }
  }

 private:
  std::string where(std::uint64_t line) const { return f_.name + ":" + std::to_string(line); }

  bool parse_line(ImportFormat fmt, std::string_view line, Sample& s, std::string& err) {
    err = expected_of(fmt);
    switch (fmt) {
      case ImportFormat::kMimic: {
        const std::size_t sp = line.find_first_of(" \t");
        if (sp == std::string_view::npos) return false;
        double hours, v;
        if (!parse_double(line.substr(0, sp), hours) || !parse_double(line.substr(sp + 1), v)) return false;
        if (hours < 0 || hours > 367 * 24) { err = "hours of the year in [0, 8808]"; return false; }
        s.iss_time_h = hours;
        s.unix_s = s.emit_unix_s = unix_from_iss_timestamp(o_.year, hours);
        s.value = v;
        return true;
      }
      case ImportFormat::kIssp: {
        double clock;
        std::size_t used;
        if (!parse_datetime(line, '-', false, clock, used) || used >= line.size() ||
            (line[used] != ' ' && line[used] != '\t'))
          return false;
        long v;
        if (!parse_int(line.substr(used), v)) return false;
        return to_utc(clock, o_.tz == TimeZone::kEuropeParis, s, err) && set_value(static_cast<double>(v), s, err);
      }
      case ImportFormat::kPisslog: {
        double clock;
        std::size_t used;
        if (!parse_datetime(line, ' ', false, clock, used) || used >= line.size() || line[used] != ',') return false;
        long v;
        if (!parse_int(line.substr(used + 1), v)) return false;
        return to_utc(clock, o_.tz != TimeZone::kUtc, s, err) && set_value(static_cast<double>(v), s, err);
      }
      case ImportFormat::kCsv: {
        const std::size_t c1 = line.find(',');
        const std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
        if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) return false;
        const std::string_view ts = trim(line.substr(0, c1));
        double clock;
        std::size_t used;
        if (!parse_datetime(ts, 'T', true, clock, used)) return false;
        const std::string_view zone = ts.substr(used);
        if (zone != "Z" && zone != "+00:00") { err = "a UTC time ending in Z or +00:00"; return false; }
        const int item = item_of_name(trim(line.substr(c1 + 1, c2 - c1 - 1)));
        if (item < 0) { err = "an item NODE3000004/05/08/09 or TIME_000001"; return false; }
        s.item = static_cast<ItemId>(item);
        double v;
        if (!parse_double(line.substr(c2 + 1), v)) return false;
        s.unix_s = clock;
        return set_value(v, s, err);
      }
      default: return false;
    }
  }

  bool set_value(double v, Sample& s, std::string& err) {
    s.value = v;
    if ((s.item == kUrineTank || s.item == kWasteWater || s.item == kCleanWater) && (v < 0 || v > 100)) {
      err = std::string("a level in [0, 100] % for ") + std::string(named_item(s.item));
      return false;
    }
    return true;
  }

  // A wall-clock reading to UTC: as is (UTC), or Europe/Paris local time.
  bool to_utc(double clock_s, bool paris, Sample& s, std::string& err) {
    if (!paris) {
      s.unix_s = clock_s;
    } else {
      double a, b;
      const int n = paris_local_to_utc(clock_s, a, b);
      if (n == 0) {
        err = "an existing Europe/Paris time (the hour skipped when summer time starts does not exist)";
        return false;
      }
      // The repeated autumn hour: the first occurrence unless that would go
      // back before the file's previous line (the clock was set back).
      s.unix_s = (n == 2 && a < prev_utc_) ? b : a;
    }
    prev_utc_ = s.unix_s;
    return true;
  }

  const NamedText& f_;
  std::uint32_t index_;
  const ImportOptions& o_;
  ImportSummary& sum_;
  double prev_utc_ = 0;
};

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

ImportFormat parse_import_format(const std::string& name) {
  if (name == "auto") return ImportFormat::kAuto;
  if (name == "mimic") return ImportFormat::kMimic;
  if (name == "issp") return ImportFormat::kIssp;
  if (name == "pisslog") return ImportFormat::kPisslog;
  if (name == "csv") return ImportFormat::kCsv;
  throw std::invalid_argument("unknown format \"" + name + "\", expected auto, mimic, issp, pisslog or csv");
}

TimeZone parse_time_zone(const std::string& name) {
  if (name == "UTC") return TimeZone::kUtc;
  if (name == "Europe/Paris") return TimeZone::kEuropeParis;
  throw std::invalid_argument("unknown time zone \"" + name + "\", expected UTC or Europe/Paris");
}

const char* import_format_name(ImportFormat f) {
  switch (f) {
    case ImportFormat::kMimic: return "mimic";
    case ImportFormat::kIssp: return "issp";
    case ImportFormat::kPisslog: return "pisslog";
    case ImportFormat::kCsv: return "csv";
    default: return "auto";
  }
}

ImportFormat detect_format(const std::string& first_line) {
  const std::string_view l = trim(first_line);
  double clock;
  std::size_t used;
  if (parse_datetime(l, '-', false, clock, used) && used < l.size() && (l[used] == ' ' || l[used] == '\t'))
    return ImportFormat::kIssp;
  if (parse_datetime(l, ' ', false, clock, used) && used < l.size() && l[used] == ',') return ImportFormat::kPisslog;
  if (l == "time,item,value" || (parse_datetime(l, 'T', true, clock, used) && l.find(',') != std::string_view::npos))
    return ImportFormat::kCsv;
  const std::size_t sp = l.find_first_of(" \t");
  double a, b;
  if (sp != std::string_view::npos && parse_double(l.substr(0, sp), a) && parse_double(l.substr(sp + 1), b))
    return ImportFormat::kMimic;
  return ImportFormat::kAuto;
}

// Last Sunday of a month, as days since 1970-01-01.
static std::int64_t last_sunday(std::int64_t y, unsigned m) {
  const std::int64_t last = days_from_civil(y, m, m == 3 || m == 10 ? 31 : 30);
  const std::int64_t weekday = ((last % 7) + 11) % 7;  // 0 = Sunday (1970-01-01 was a Thursday)
  return last - weekday;
}

int paris_utc_offset_s(double unix_s) {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(static_cast<std::int64_t>(std::floor(unix_s / 86400.0)), y, m, d);
  const double start = static_cast<double>(last_sunday(y, 3)) * 86400.0 + 3600.0;
  const double end = static_cast<double>(last_sunday(y, 10)) * 86400.0 + 3600.0;
  return unix_s >= start && unix_s < end ? 7200 : 3600;
}

int paris_local_to_utc(double local_s, double& first, double& second) {
  const double summer = local_s - 7200.0, winter = local_s - 3600.0;
  const bool s_ok = paris_utc_offset_s(summer) == 7200, w_ok = paris_utc_offset_s(winter) == 3600;
  if (s_ok && w_ok) { first = summer; second = winter; return 2; }
  if (s_ok) { first = second = summer; return 1; }
  if (w_ok) { first = second = winter; return 1; }
  first = second = kNaN;
  return 0;
}

GapRule gap_rule_for(const bool (&present)[kNamedItems], double gap_s, double& gap_s_out) {
  if (gap_s > 0) {
    gap_s_out = gap_s;
    return GapRule::kExplicit;
  }
  // The ground time ticks every second while the signal is up, and the water
  // tanks (two-decimal readings with noise) change every ~10 s: a recording
  // holding any of them is silent only when nothing reaches the logger.
  if (present[kSignal] || present[kWasteWater] || present[kCleanWater]) {
    gap_s_out = kPeriodicGapS;
    return GapRule::kPeriodic;
  }
  // The tank and the UPA state change only when the level or the state does:
  // hours of silence are a flat tank (crew asleep, UPA in standby), not a
  // loss of signal. pisslog-2025's quiet stretches stop at 5.7 h; its logger
  // outages start at 15.3 h (docs/fidelity.md, "Gaps of an import").
  gap_s_out = kQuietGapS;
  return GapRule::kChangeOnly;
}

const char* gap_rule_text(GapRule r) {
  switch (r) {
    case GapRule::kExplicit: return "--gap";
    case GapRule::kPeriodic: return "a periodic item (TIME_000001, NODE3000008/09) is present";
    case GapRule::kChangeOnly: return "change-only items alone: a quiet tank is not a loss of signal";
  }
  return "";
}

ImportResult import_texts(const std::vector<NamedText>& files, const ImportOptions& o) {
  ImportResult res;
  ImportSummary& sum = res.summary;
  sum.files = files.size();
  std::vector<Sample> samples;
  for (std::uint32_t i = 0; i < files.size(); ++i) FileParser(files[i], i, o, sum).run(samples);
  if (samples.empty()) {
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : ", ") + f.name;
    throw ImportError(names + ": no sample to import (expected at least one well-formed line)");
  }

  // Merge: per item in time order (ties keep file and line order), then fold
  // repeated values as MERGE would.
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return a.item != b.item ? a.item < b.item : a.unix_s < b.unix_s;
  });
  double first = std::numeric_limits<double>::infinity(), last = -first;
  for (const auto& s : samples) { first = std::min(first, s.unix_s); last = std::max(last, s.unix_s); }
  sum.first_unix_s = first;
  sum.last_unix_s = last;
  const double epoch = std::floor(first / 86400.0) * 86400.0;

  res.meta.mode = "import";
  res.meta.seed = 0;
  res.meta.has_truth = false;
  res.meta.epoch_unix_s = epoch;
  res.meta.epoch_utc = format_utc(epoch);
  res.meta.duration_s = last - epoch;
  std::string names;
  for (const auto& f : files) names += (names.empty() ? "" : " + ") + base_name(f.name);
  res.meta.scenario_name = "import: " + names;

  std::vector<double> times;  // every kept sample, for the gaps
  times.reserve(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    auto& rows = res.telemetry[s.item];
    if (!rows.empty() && rows.back().value == s.value) { ++sum.folded; continue; }
    TelemetryRow r;
    r.t_s = s.unix_s - epoch;
    r.t_emit_s = std::isnan(s.emit_unix_s) ? kNaN : s.emit_unix_s - epoch;
    r.iss_time_h = std::isnan(s.iss_time_h) ? iss_timestamp_hours(s.unix_s) : s.iss_time_h;
    r.value = s.value;
    r.seq = s.line;
    r.status = kStatusAos;
    rows.push_back(r);
    ++sum.kept_per_item[s.item];
    ++sum.kept;
    times.push_back(s.unix_s);
  }

  // Gaps: no update of any item for longer than the threshold (--gap, or
  // the rule for the items present). Written as the real feed signals LOS:
  // TIME_000001 with status 0 at the gap's start and 24 at its end (value:
  // ground time, hours of the year).
  bool present[kNamedItems] = {};
  for (ItemId id = 0; id < kNamedItems; ++id) present[id] = !res.telemetry[id].empty();
  sum.gap_rule = gap_rule_for(present, o.gap_s, sum.gap_used_s);
  std::sort(times.begin(), times.end());
  auto& sig = res.telemetry[kSignal];
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] - times[i - 1] <= sum.gap_used_s) continue;
    ++sum.gaps;
    sum.gap_total_s += times[i] - times[i - 1];
    for (int k = 0; k < 2; ++k) {
      const double u = k == 0 ? times[i - 1] : times[i];
      TelemetryRow r;
      r.t_s = u - epoch;
      r.t_emit_s = kNaN;
      r.iss_time_h = iss_timestamp_hours(u);
      r.value = r.iss_time_h;
      r.seq = 0;
      r.status = k == 0 ? kStatusLos : kStatusAos;
      sig.push_back(r);
    }
  }
  std::stable_sort(sig.begin(), sig.end(), [](const TelemetryRow& a, const TelemetryRow& b) { return a.t_s < b.t_s; });
  return res;
}

ImportResult import_files(const std::vector<std::string>& paths, const ImportOptions& options) {
  std::vector<NamedText> texts;
  texts.reserve(paths.size());
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw ImportError(p + ": cannot open the file (expected a readable recording)");
    std::ostringstream ss;
    ss << in.rdbuf();
    texts.push_back({p, ss.str()});
  }
  return import_texts(texts, options);
}

void write_import(const ImportResult& result, const std::string& path) {
  TraceWriter w(path, result.meta);
  for (ItemId id = 0; id < kNamedItems; ++id)
    for (const auto& r : result.telemetry[id]) w.telemetry(id, r);
  w.set_duration(result.meta.duration_s);
  w.finish();
}

}  // namespace peebot
