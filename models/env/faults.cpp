#include "faults.hpp"

#include <algorithm>
#include <cmath>

namespace peebot {

const std::vector<FaultKindInfo>& fault_kinds() {
  static const std::vector<FaultKindInfo> kinds = {
      {FaultKind::kCrash, "crash", {"ingest", "detector", "store", "tweet", "broker", "db", "consumer", "worker"}, 0, 0,
       "the target's process dies at start (its in-memory state is lost) and restarts at end",
       "the host-side pipeline (architecture runtime, issue 7)"},
      {FaultKind::kOutage, "outage", {"broker", "db"}, 0, 0,
       "the broker or database is unreachable: writes and reads fail or wait until end",
       "the host-side pipeline (architecture runtime, issue 7)"},
      {FaultKind::kSlowDisk, "slow_disk", {"store", "db", "broker"}, kFieldFactor, kFieldFactor,
       "the target's writes take factor times as long", "the host-side pipeline (architecture runtime, issue 7)"},
      {FaultKind::kPartition, "partition", {}, 0, 0,
       "the Lightstreamer -> our host link is down: frames sent in the window are lost, the session resubscribes after it",
       "engine: platform (ls_host state profile) and the Lightstreamer publisher"},
      {FaultKind::kTweetOutage, "tweet_outage", {}, 0, 0, "every post attempt fails (the poster retries with backoff)",
       "the host-side pipeline (tweet stage)"},
      {FaultKind::kRateLimit, "rate_limit", {}, kFieldLimitPerWindow | kFieldWindow, kFieldLimitPerWindow | kFieldWindow,
       "the tweet API admits at most limit_per_window attempts per window; the rest wait for the next window",
       "the host-side pipeline (tweet stage)"},
      {FaultKind::kClockSkew, "clock_skew", {}, kFieldOffset | kFieldDriftPpm, 0,
       "the ISS TimeStamp (t_emit) of ISS updates is offset from ground time by offset + drift_ppm x 1e-6 x (t - start)",
       "engine: the ISS downlink"},
      {FaultKind::kDuplicate, "duplicate", {}, kFieldProbability, kFieldProbability,
       "each delivery from Lightstreamer to our host is sent again one publish period later with this probability",
       "engine: the Lightstreamer publisher; ingest drops the copies"},
      {FaultKind::kReorder, "reorder", {}, kFieldProbability | kFieldMaxDelay, kFieldProbability | kFieldMaxDelay,
       "each delivery is held back U(0, max_delay] with this probability, so newer ones overtake it",
       "engine: the Lightstreamer publisher; ingest keeps per-item order"},
  };
  return kinds;
}

const FaultKindInfo& fault_kind_info(FaultKind k) { return fault_kinds()[static_cast<std::size_t>(k)]; }

std::string_view fault_kind_name(FaultKind k) { return fault_kind_info(k).name; }

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (const auto& info : fault_kinds())
    if (info.name == name) return info.kind;
  return std::nullopt;
}

FaultPlan::FaultPlan(std::vector<FaultSpec> faults, std::uint64_t seed)
    : faults_(std::move(faults)), dup_rng_(seed, "faults.duplicate"), reorder_rng_(seed, "faults.reorder") {
  std::stable_sort(faults_.begin(), faults_.end(), [](const FaultSpec& a, const FaultSpec& b) {
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.start_s < b.start_s;
  });
  for (std::size_t i = 0; i < faults_.size(); ++i) by_kind_[static_cast<std::size_t>(faults_[i].kind)].push_back(i);
}

bool FaultPlan::any(FaultKind k) const { return !by_kind_[static_cast<std::size_t>(k)].empty(); }

std::vector<const FaultSpec*> FaultPlan::of(FaultKind k, std::string_view target) const {
  std::vector<const FaultSpec*> out;
  for (std::size_t i : by_kind_[static_cast<std::size_t>(k)])
    if (target.empty() || faults_[i].target == target) out.push_back(&faults_[i]);
  return out;
}

std::vector<LosWindow> FaultPlan::windows(FaultKind k, std::string_view target) const {
  std::vector<LosWindow> out;
  for (const FaultSpec* f : of(k, target)) out.push_back({f->start_s, f->end_s});
  return out;
}

const FaultSpec* FaultPlan::active(FaultKind k, std::string_view target, double t) const {
  for (std::size_t i : by_kind_[static_cast<std::size_t>(k)]) {
    const FaultSpec& f = faults_[i];
    if (f.start_s > t) break;  // by start
    if (t < f.end_s && f.target == target) return &f;
  }
  return nullptr;
}

const FaultSpec* FaultPlan::next(FaultKind k, std::string_view target, double t) const {
  for (std::size_t i : by_kind_[static_cast<std::size_t>(k)]) {
    const FaultSpec& f = faults_[i];
    if (t < f.end_s && f.target == target) return &f;
  }
  return nullptr;
}

bool FaultPlan::overlaps(FaultKind k, std::string_view target, double from, double to) const {
  for (std::size_t i : by_kind_[static_cast<std::size_t>(k)]) {
    const FaultSpec& f = faults_[i];
    if (f.target == target && f.start_s < to && from < f.end_s) return true;
  }
  return false;
}

double FaultPlan::slowdown(std::string_view target, double t) const {
  const FaultSpec* f = active(FaultKind::kSlowDisk, target, t);
  return f ? f->factor : 1.0;
}

double FaultPlan::clock_offset(double t) const {
  const FaultSpec* f = active(FaultKind::kClockSkew, "", t);
  return f ? f->offset_s + f->drift_ppm * 1e-6 * (t - f->start_s) : 0.0;
}

bool FaultPlan::duplicate(double t) {
  const FaultSpec* f = active(FaultKind::kDuplicate, "", t);
  return f && dup_rng_.bernoulli(f->probability);
}

std::optional<double> FaultPlan::reorder_delay(double t) {
  const FaultSpec* f = active(FaultKind::kReorder, "", t);
  if (!f || !reorder_rng_.bernoulli(f->probability)) return std::nullopt;
  // U(0, max_delay]: 1 - uniform() is in (0, 1].
  return f->max_delay_s * (1.0 - reorder_rng_.uniform());
}

double FaultPlan::rate_limit_admit(double t) {
  const FaultSpec* f = active(FaultKind::kRateLimit, "", t);
  if (!f) return t;
  const auto index = static_cast<std::int64_t>(std::floor((t - f->start_s) / f->window_s));
  if (f != rl_fault_ || index != rl_index_) {
    rl_fault_ = f;
    rl_index_ = index;
    rl_used_ = 0;
  }
  if (rl_used_ < f->limit_per_window) {
    ++rl_used_;
    return t;
  }
  return std::min(f->end_s, f->start_s + static_cast<double>(index + 1) * f->window_s);
}

std::string unhonoured_faults(const FaultPlan& plan, const std::vector<FaultKind>& honoured) {
  std::string out;
  for (const FaultSpec& f : plan.all()) {
    if (std::find(honoured.begin(), honoured.end(), f.kind) != honoured.end()) continue;
    out += (out.empty() ? "" : ", ") + std::string(fault_kind_name(f.kind));
    if (!f.target.empty()) out += " on " + f.target;
    if (!f.where.empty()) out += " (" + f.where + ")";
  }
  return out;
}

}  // namespace peebot
