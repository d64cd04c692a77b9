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

// A field's wire value for one event (nullopt: null).
std::optional<std::string> field_value(const FeedEvent& e, Field f);
// The same into `out` (replaced, its capacity reused); false (out untouched) for null.
bool field_value_into(const FeedEvent& e, Field f, std::string& out);

// All telemetry rows of the trace in receive order (play_received: by t_s, ties: item id, then row order).
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
  // A TimeStamp was past the end of the year it was given (hour >= 24 x (days
  // in that year + 1)): the feed is not of that year (a leap year's 31
  // December read as a common year's), and its times are off by a day or more.
  bool past_year_end() const { return past_year_end_; }

 private:
  int year_;
  double latest_h_ = -1.0;
  bool past_year_end_ = false;
};

// Sequence numbers for Ingest (which drops an update whose number it already
// accepted as a duplicate, and an older one as stale), and the rule that says
// which updates are resent ones. A duplicate is the same update seen twice,
// not a new value that happens to carry the same TimeStamp: recordings and
// replays with 1-s TimeStamps hold several values of an item in one second
// (issp-2023-09: NODE3000005 12 then 11 at 01:25:51).
//  - Within a session the server sends each change once (a recovery's resent
//    notifications are skipped by the client on TLCP's progressive counter,
//    PROG): every update is new, also at a TimeStamp already seen; it gets
//    the item's previous number + 1 when its feed time is not above it.
//  - A new session may resend what earlier ones sent: its MERGE snapshot (the
//    item's current state), or everything from an earlier point (peebot serve
//    replays from the start). At the item's latest TimeStamp the key is item +
//    TimeStamp + value, counted: the n-th copy of a value is resent while the
//    earlier sessions accepted at least n of it at that TimeStamp, and new
//    after that (then the session is caught up: its further updates are new).
//  - Older TimeStamps than the item's latest keep their feed time as number:
//    Ingest drops them (duplicate when it accepted that number, else stale).
// What it cannot tell (docs/live.md): after a new session, a snapshot whose
// TimeStamp is the latest one seen and whose value is one seen earlier at that
// same TimeStamp but not the latest (the value went back within one
// TimeStamp while disconnected) is taken as resent. The real feed's
// TimeStamps are far finer than a second, so it needs 1-s recordings.
class FeedSequencer {
 public:
  // seq: the update's feed time in microseconds (FeedClock::seq_of).
  std::uint64_t next(int item, std::uint64_t seq, double value);
  // A new session starts (not a recovery of the current one).
  void new_session() { ++session_; }

 private:
  struct Count {
    double value;
    std::uint32_t n;
  };
  static constexpr std::size_t kMaxValuesPerStamp = 64;  // distinct values kept per TimeStamp (bounded memory)
  struct Item {
    bool any = false;
    std::uint64_t stamp = 0;                 // latest feed time (us)
    std::uint64_t seq = 0;                   // the number last given to a new update
    double value = 0;                        // current value
    std::uint64_t session = 0;               // the session of the last new update
    std::vector<Count> accepted;             // values accepted at `stamp`, with counts
    std::vector<Count> resent;               // the same, seen again in session resent_session
    std::uint64_t resent_session = 0;
  };
  static std::uint32_t& count_of(std::vector<Count>& v, double value);
  std::uint64_t accept_same_stamp(Item& it, double value);
  std::vector<Item> items_;
  std::uint64_t session_ = 0;
};

}  // namespace peebot::live
