// The ISSLIVE-like feed that `peebot serve` replays: every telemetry row of a
// trace's named items, in time order, as the field values the real server
// would send (TimeStamp, Value, Status.Class, ...).
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../trace/trace.hpp"

namespace peebot::live {

// Fields the feed knows; any other field name is served as null.
enum class Field { kTimeStamp, kValue, kStatusClass, kStatusIndicator, kStatusColor, kCalibratedData, kUnknown };
Field field_of(std::string_view name);

struct FeedEvent {
  double t_s = 0.0;        // trace time of the row (s since the trace's epoch)
  double value = 0.0;
  double iss_time_h = 0.0; // TimeStamp field (computed from the epoch where the trace has NaN)
  int status = 24;
  int item = 0;            // ItemId of a named item (0..4)
};

// Shortest decimal text that reads back as the same double ("42", "6846.85802749998").
std::string format_number(double v);
// A field's wire value for one event (nullopt: null).
std::optional<std::string> field_value(const FeedEvent& e, Field f);
// The same into `out` (replaced, its capacity reused); false (out untouched) for null.
bool field_value_into(const FeedEvent& e, Field f, std::string& out);

// All telemetry rows of the trace, ordered by t_s (ties: item id, then row order).
std::vector<FeedEvent> feed_from_trace(const Trace& t);

// The feed's TimeStamps (hours of the year) as Unix times, across year ends:
// a TimeStamp more than half a year below the latest one seen starts the next
// year; one more than half a year above it is an old value of the previous
// year (a snapshot of an item last updated before the new year). `peebot live`
// and `peebot replay` both time updates with it, so a run across 31 December
// keeps its order (and its duplicate detection) instead of going stale.
class FeedClock {
 public:
  explicit FeedClock(int year) : year_(year) {}
  double unix_of(double hours);
  // Sequence number of an update: its Unix time in microseconds.
  static std::uint64_t seq_of(double unix_s) { return static_cast<std::uint64_t>(std::llround(unix_s * 1e6)); }
  int year() const { return year_; }

 private:
  int year_;
  double latest_h_ = -1.0;
};

}  // namespace peebot::live
