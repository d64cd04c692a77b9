// Durations, times of day and UTC times (time.hpp).
#include "time.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <stdexcept>
#include <string>

#include "../../models/iss_time.hpp"
#include "text.hpp"

namespace peebot {

namespace {

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
  if (!std::isfinite(unix_s)) return readable_number(unix_s);
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
  if (!std::isfinite(seconds)) return readable_number(seconds);
  if (seconds < 0) return "-" + format_duration(-seconds);
  if (seconds == 0) return "0s";
  if (seconds * 1e6 > 9e18) return readable_number(seconds) + "s";
  const std::int64_t us = std::llround(seconds * 1e6);
  if (us == 0) return readable_number(seconds) + "s";
  if (us < 1000000) {  // below a second: ms or us
    if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
    if (us < 1000) return std::to_string(us) + "us";
    return readable_number(static_cast<double>(us) / 1e3) + "ms";
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
      out += readable_number(static_cast<double>(rest) / 1e6) + "s";
  }
  return out;
}

double parse_signed_duration(const std::string& text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    const double v = parse_duration(text.substr(1));
    return text[0] == '-' ? -v : v;
  }
  return parse_duration(text);
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

std::string format_signed_duration(double s) { return s < 0 ? format_duration(s) : (s > 0 ? "+" : "") + format_duration(s); }

}  // namespace peebot
