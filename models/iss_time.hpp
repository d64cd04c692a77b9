// The ISS TimeStamp: hours since 00:00 UTC on Dec 31 of the previous year,
// i.e. day-of-year x 24 + hour of day (Jan 1 00:00 is 24.0).
#pragma once
#include <cmath>
#include <cstdint>

namespace peebot {

// Days from 1970-01-01 to year-month-day (proleptic Gregorian), Howard Hinnant's algorithm.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

// ISS TimeStamp (hours) of a Unix time.
inline double iss_timestamp_hours(double unix_s) {
  const double days = std::floor(unix_s / 86400.0);
  std::int64_t y; unsigned m, d;
  civil_from_days(static_cast<std::int64_t>(days), y, m, d);
  const double dec31 = static_cast<double>(days_from_civil(y - 1, 12, 31)) * 86400.0;
  return (unix_s - dec31) / 3600.0;
}

// Unix time of an ISS TimeStamp in a given year.
inline double unix_from_iss_timestamp(int year, double hours) {
  return static_cast<double>(days_from_civil(year - 1, 12, 31)) * 86400.0 + hours * 3600.0;
}

}  // namespace peebot
