// Fixtures shared by the live-mode tests (test_serve.cpp, test_live.cpp).
#pragma once
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <string>
#include <vector>

#include "../models/iss_time.hpp"
#include "sim/trace/trace.hpp"

namespace peebot::testing {

// Polls pred() every 20 ms until it holds (true) or timeout_s of wall time passed (false).
template <class Pred>
bool eventually(Pred pred, double timeout_s) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!pred()) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Writes a fixture trace at `path` (mode "sim", epoch 2025-01-01): each row
// is received at t, emitted at t, with the ISS clock (TimeStamp) of t.
class FixtureTrace {
 public:
  explicit FixtureTrace(const std::string& path) : w_(path, meta()) {}
  static TraceMeta meta() {
    TraceMeta m;
    m.mode = "sim";
    m.epoch_unix_s = 1735689600.0;  // 2025-01-01
    m.epoch_utc = "2025-01-01T00:00:00Z";
    return m;
  }
  // The ISS clock at trace time t (the value of TIME_000001 rows).
  static double clock(double t) { return iss_timestamp_hours(meta().epoch_unix_s + t); }
  void row(ItemId item, double t, double v, int status = 24) {
    TelemetryRow r;
    r.t_s = t;
    r.t_emit_s = t;
    r.iss_time_h = clock(t);
    r.value = v;
    r.status = status;
    w_.telemetry(item, r);
  }
  void finish() { w_.finish(); }

 private:
  TraceWriter w_;
};

// A small trace: a urination on the tank, UPA state changes, clock ticks with a
// LOS, values that need more than integers.
inline std::string make_trace(const std::string& name, int tank_rows = 12) {
  const std::string path = (std::filesystem::temp_directory_path() / (name + std::to_string(getpid()) + ".h5")).string();
  FixtureTrace w(path);
  for (int i = 0; i < 30; ++i) w.row(kSignal, i * 1.0, FixtureTrace::clock(i), i >= 20 && i < 24 ? 0 : 24);
  for (int i = 0; i < tank_rows; ++i) w.row(kUrineTank, 0.5 + i * 2.0, 40 + (i < 4 ? i % 2 : i - 2));
  w.row(kUpaState, 0.2, 32);
  w.row(kUpaState, 15.3, 16);
  w.row(kWasteWater, 3.7, 12.345678901234);
  w.row(kCleanWater, 5.1, 87.5);
  w.row(kCleanWater, 25.9, 87.25);
  w.finish();
  return path;
}

struct Expected {
  std::string item;
  double ts, value;
  int status;
};

// What a MERGE subscriber must see: every row in time order (ties: item id).
inline std::vector<Expected> expected_of(const Trace& t) {
  struct R { double t; int item; std::size_t i; };
  std::vector<R> rows;
  for (int item = 0; item < kNamedItems; ++item)
    for (std::size_t i = 0; i < t.telemetry[item].size(); ++i) rows.push_back({t.telemetry[item][i].t_s, item, i});
  std::stable_sort(rows.begin(), rows.end(), [](const R& a, const R& b) { return a.t < b.t; });
  std::vector<Expected> e;
  for (const auto& r : rows) {
    const auto& tr = t.telemetry[r.item][r.i];
    e.push_back({std::string(named_item(static_cast<ItemId>(r.item))), tr.iss_time_h, tr.value, tr.status});
  }
  return e;
}

}  // namespace peebot::testing
