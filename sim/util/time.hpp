// Durations, times of day and UTC times as people write them in scenario
// files, on the command line and in reports: the one place they are parsed
// and formatted ("90s", "1d2h30min", "06:30", "2025-01-06T00:00:00Z").
#pragma once
#include <string>

namespace peebot {

// Parses "90s", "15min", "2h", "3d", "250ms", "1d2h30min" into seconds. Throws std::invalid_argument.
double parse_duration(const std::string& text);
// The same with an optional sign: "-30s", "+2min", "90s". Throws std::invalid_argument.
double parse_signed_duration(const std::string& text);
// Parses "HH:MM" or "HH:MM:SS" into seconds of the day. Throws std::invalid_argument.
double parse_time_of_day(const std::string& text);
// Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC) into Unix seconds. Throws std::invalid_argument.
double parse_utc(const std::string& text);
// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (or with .mmm when fractional and millis=true).
std::string format_utc(double unix_s, bool millis = false);
// The same with ".mmm" always written: a fixed width for running clocks and CSV columns.
std::string format_utc_ms(double unix_s);
// Formats seconds as a short duration ("3d4h", "15min", "2.5s").
std::string format_duration(double seconds);
// A signed duration: "-30s", "+2min", "0s".
std::string format_signed_duration(double seconds);
// Seconds of the day as "HH:MM", or "HH:MM:SS" when not on a whole minute.
std::string format_time_of_day(double seconds_of_day);

}  // namespace peebot
