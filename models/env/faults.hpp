// Scheduled faults (scenario [[faults]], docs/faults.md): the parsed list
// (FaultSpec) and the queries a runtime asks of it (FaultPlan). Pure C++: no
// SimGrid, no I/O, no clock of its own; per-update decisions are drawn from
// the run's seeded streams (models/rng.hpp), so scenario + seed give the same
// faults every time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../records.hpp"
#include "../rng.hpp"

namespace peebot {

enum class FaultKind : std::uint8_t {
  kCrash = 0,        // a stage/service dies at start, restarts at end (target: a host-side stage)
  kOutage = 1,       // a broker or database is unreachable in the window (target: broker, db)
  kSlowDisk = 2,     // writes of the target take `factor` times as long (target: store, db, broker)
  kPartition = 3,    // the Lightstreamer -> our host link is down (no target)
  kTweetOutage = 4,  // every post attempt fails (no target)
  kRateLimit = 5,    // at most limit_per_window post attempts per window (no target)
  kClockSkew = 6,    // the ISS TimeStamp is offset (and drifts) from ground time (no target)
  kDuplicate = 7,    // Lightstreamer deliveries to our host are sent twice (no target)
  kReorder = 8,      // Lightstreamer deliveries to our host are held back and sent late (no target)
};
inline constexpr int kFaultKinds = 9;

// Which optional numbers a kind takes (FaultKindInfo::fields).
enum FaultField : unsigned {
  kFieldFactor = 1u << 0,          // slow_disk
  kFieldProbability = 1u << 1,     // duplicate, reorder
  kFieldMaxDelay = 1u << 2,        // reorder
  kFieldOffset = 1u << 3,          // clock_skew
  kFieldDriftPpm = 1u << 4,        // clock_skew
  kFieldLimitPerWindow = 1u << 5,  // rate_limit
  kFieldWindow = 1u << 6,          // rate_limit
};

struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;                  // as written in the scenario: "slow_disk"
  std::vector<std::string_view> targets;  // the valid targets; empty: the kind takes no target
  unsigned fields = 0;                    // FaultField bits the kind accepts
  unsigned required = 0;                  // ... of which these must be given
  std::string_view effect;                // one line for the docs
  std::string_view honoured_by;           // which runtime component applies it
};

// Every kind, in FaultKind order.
const std::vector<FaultKindInfo>& fault_kinds();
const FaultKindInfo& fault_kind_info(FaultKind k);
std::string_view fault_kind_name(FaultKind k);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

// One [[faults]] table, validated by the scenario loader.
struct FaultSpec {
  FaultKind kind = FaultKind::kCrash;
  std::string target;                 // "" for kinds without a target
  double start_s = 0.0;               // window [start_s, end_s), seconds since the epoch (true time)
  double end_s = 0.0;
  double factor = 1.0;                // slow_disk: service-time multiplier (>= 1)
  double probability = 0.0;           // duplicate, reorder: per delivered update, in [0, 1]
  double max_delay_s = 0.0;           // reorder: a held update is released U(0, max_delay] later
  double offset_s = 0.0;              // clock_skew: ISS clock minus true time at start (signed)
  double drift_ppm = 0.0;             // clock_skew: ... growing by drift_ppm * 1e-6 per second of the window
  std::int64_t limit_per_window = 0;  // rate_limit: post attempts admitted per window
  double window_s = 0.0;              // rate_limit: window length (windows aligned on start_s)
  std::string where;                  // "file:line" of its table, for runtime messages ("" when built in code)
};

// The faults of one run and the answers a runtime needs. Windows are half-open
// [start, end) in true (simulation) time. Faults of one kind and target never
// overlap (the loader rejects that), so at most one is active at a time.
class FaultPlan {
 public:
  FaultPlan() : dup_rng_(0, "faults.duplicate"), reorder_rng_(0, "faults.reorder") {}
  FaultPlan(std::vector<FaultSpec> faults, std::uint64_t seed);

  bool empty() const { return faults_.empty(); }
  bool any(FaultKind k) const;
  const std::vector<FaultSpec>& all() const { return faults_; }
  // The faults of one kind (and target, when given), by start.
  std::vector<const FaultSpec*> of(FaultKind k, std::string_view target = {}) const;
  // Their windows, by start (e.g. for a link's state profile).
  std::vector<LosWindow> windows(FaultKind k, std::string_view target = {}) const;

  // The fault of this kind and target active at t, or nullptr. Its end_s is
  // when it ends (a crashed stage restarts then).
  const FaultSpec* active(FaultKind k, std::string_view target, double t) const;
  bool is_active(FaultKind k, std::string_view target, double t) const { return active(k, target, t) != nullptr; }
  // The fault active at t or the first one starting after t, or nullptr.
  const FaultSpec* next(FaultKind k, std::string_view target, double t) const;
  // True when [from, to) meets a window of this kind and target.
  bool overlaps(FaultKind k, std::string_view target, double from, double to) const;

  // slow_disk: the service-time multiplier of the target at t (1 when none).
  double slowdown(std::string_view target, double t) const;
  // clock_skew: ISS clock minus true time at true time t, in seconds
  // (offset + drift_ppm * 1e-6 * (t - start) inside a window, 0 outside).
  double clock_offset(double t) const;

  // Per-update decisions, drawn only while a window of the kind is active
  // (outside one the streams are untouched, so runs without faults draw
  // nothing). Call once per delivered update, in delivery order.
  // duplicate: true when this delivery is sent a second time.
  bool duplicate(double t);
  // reorder: the delay (> 0, <= max_delay) by which this delivery is held back, if it is.
  std::optional<double> reorder_delay(double t);
  // rate_limit: a post attempt at t. Returns t when it is admitted (and
  // counts it), else the earliest time an attempt can be admitted (the next
  // window, or the fault's end).
  double rate_limit_admit(double t);

 private:
  std::vector<FaultSpec> faults_;  // by kind, then start
  std::vector<std::size_t> by_kind_[kFaultKinds];
  Rng dup_rng_, reorder_rng_;
  std::int64_t rl_index_ = -1;       // rate_limit: the window counted in rl_used_
  const FaultSpec* rl_fault_ = nullptr;
  std::int64_t rl_used_ = 0;
};

// Kinds this runtime does not honour, named for an error message ("crash on
// store (scenario.toml:12), ..."); empty when every fault is honoured.
std::string unhonoured_faults(const FaultPlan& plan, const std::vector<FaultKind>& honoured);

}  // namespace peebot
