// The ISSLIVE-like feed that `peebot serve` replays: every telemetry row of a
// trace's named items, in time order, as the field values the real server
// would send (TimeStamp, Value, Status.Class, ...).
#pragma once
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

// All telemetry rows of the trace, ordered by t_s (ties: item id, then row order).
std::vector<FeedEvent> feed_from_trace(const Trace& t);

}  // namespace peebot::live
