#include "feed.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "../../models/iss_time.hpp"
#include "../trace/player.hpp"

namespace peebot::live {

Field field_of(std::string_view n) {
  if (n == "TimeStamp") return Field::kTimeStamp;
  if (n == "Value") return Field::kValue;
  if (n == "Status.Class") return Field::kStatusClass;
  if (n == "Status.Indicator") return Field::kStatusIndicator;
  if (n == "Status.Color") return Field::kStatusColor;
  if (n == "CalibratedData") return Field::kCalibratedData;
  return Field::kUnknown;
}

namespace {
template <class T>
void assign_chars(std::string& out, T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.assign(buf, r.ptr);
}
}  // namespace

bool field_value_into(const FeedEvent& e, Field f, std::string& out) {
  switch (f) {
    case Field::kTimeStamp: assign_chars(out, e.iss_time_h); return true;
    case Field::kValue: assign_chars(out, e.value); return true;
    case Field::kStatusClass: assign_chars(out, e.status); return true;
    case Field::kStatusIndicator: out.assign(e.status == 24 ? "0" : "1"); return true;
    case Field::kStatusColor: out.assign(e.status == 24 ? "green" : "red"); return true;
    case Field::kCalibratedData: assign_chars(out, e.value); return true;
    case Field::kUnknown: return false;
  }
  return false;
}

std::optional<std::string> field_value(const FeedEvent& e, Field f) {
  std::string v;
  if (!field_value_into(e, f, v)) return std::nullopt;
  return v;
}

std::vector<FeedEvent> feed_from_trace(const Trace& t) {
  std::vector<FeedEvent> ev;
  std::size_t n = 0;
  for (const auto& rows : t.telemetry) n += rows.size();
  ev.reserve(n);  // rows already read into memory
  play_received(t, [&](ItemId item, const TelemetryRow& r) {
    FeedEvent e;
    e.t_s = r.t_s;
    e.value = r.value;
    e.iss_time_h = std::isfinite(r.iss_time_h) ? r.iss_time_h : iss_timestamp_hours(t.meta.epoch_unix_s + r.t_s);
    e.status = r.status;
    e.item = item;
    ev.push_back(e);
  });
  return ev;
}

double FeedClock::unix_of(double hours) {
  constexpr double kHalfYear_h = 4380.0;
  int year = year_;
  if (latest_h_ < 0) {
    latest_h_ = hours;
  } else if (hours < latest_h_ - kHalfYear_h) {
    year = ++year_;
    latest_h_ = hours;
  } else if (hours > latest_h_ + kHalfYear_h) {
    year = year_ - 1;
  } else if (hours > latest_h_) {
    latest_h_ = hours;
  }
  // Day 1 starts at hour 24 (iss_time.hpp); the year ends at 24 x (its days + 1).
  const double year_end_h = (days_from_civil(year + 1, 1, 1) - days_from_civil(year, 1, 1) + 1) * 24.0;
  if (hours >= year_end_h) past_year_end_ = true;
  return unix_from_iss_timestamp(year, hours);
}

std::uint32_t& FeedSequencer::count_of(std::vector<Count>& v, double value) {
  for (auto& c : v)
    if (c.value == value) return c.n;
  static thread_local std::uint32_t overflow;
  if (v.size() >= kMaxValuesPerStamp) { overflow = 0; return overflow; }  // not kept: counts as never seen
  v.push_back({value, 0});
  return v.back().n;
}

std::uint64_t FeedSequencer::accept_same_stamp(Item& it, double value) {
  ++it.seq;
  it.value = value;
  ++count_of(it.accepted, value);
  return it.seq;
}

std::uint64_t FeedSequencer::next(int item, std::uint64_t seq, double value) {
  if (item < 0) return seq;
  if (static_cast<std::size_t>(item) >= items_.size()) items_.resize(static_cast<std::size_t>(item) + 1);
  Item& it = items_[static_cast<std::size_t>(item)];
  if (!it.any || seq > it.stamp) {  // a newer TimeStamp: new
    it.seq = it.any ? std::max(seq, it.seq + 1) : seq;
    it.any = true;
    it.stamp = seq;
    it.value = value;
    it.session = session_;
    it.accepted.assign(1, Count{value, 1});
    it.resent.clear();
    return it.seq;
  }
  if (seq < it.stamp) return seq;  // older than the item's state: Ingest drops it
  // The item's latest TimeStamp again.
  if (it.session == session_) return accept_same_stamp(it, value);  // same session: a change
  if (it.resent_session != session_) {  // a later session: its copies are counted afresh
    it.resent.clear();
    it.resent_session = session_;
  }
  const std::uint32_t again = ++count_of(it.resent, value);
  std::uint32_t& had = count_of(it.accepted, value);
  if (again <= had) return it.seq;  // Ingest: the number it accepted last, a duplicate
  had = again - 1;                  // accept_same_stamp counts it
  it.session = session_;            // caught up: this session's further updates are new
  return accept_same_stamp(it, value);
}

}  // namespace peebot::live
