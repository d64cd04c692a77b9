// The urine tank and the Urine Processor Assembly (UPA): voids pour urine and
// flush water in, and so do bulk transfers; the UPA drains the tank while it
// processes (NORMAL) and waits in STANDBY (IDLE after upa.idle_after),
// switching with level thresholds and hysteresis; during its own outages
// (MAINTENANCE or SHUTDOWN, scheduled or random) it does not drain. The
// drain is continuous: the recordings show the level crossing one integer
// percent every ~4.8 min with flicker at the crossing (61 % of crossings in
// pisslog-2025), not discrete steps (see docs/models.md). The true
// volume is piecewise linear; advance() integrates it exactly between
// breakpoints and never lets it leave [0, capacity]: inflow into a full tank
// spills (recorded as a tank-full episode).
#pragma once
#include <cstddef>
#include <vector>

#include "params.hpp"
#include "records.hpp"
#include "rng.hpp"

namespace peebot {

// A processor outage: the UPA is in `state` (MAINTENANCE or SHUTDOWN) over [start_s, end_s).
struct UpaOutage {
  double start_s = 0.0;
  double end_s = 0.0;
  std::int32_t state = static_cast<std::int32_t>(UpaState::kMaintenance);
};

// Random bulk transfers (Poisson, bulk.per_day) and the fixed bulk.windows, sorted, over [0, horizon).
std::vector<BulkTransfer> plan_bulk(const BulkParams& p, double capacity_ml, double horizon_s, Rng& rng);
// Fast drain-outs (upa.dumps_per_day), sorted; volume_ml is the most they take out.
std::vector<BulkTransfer> plan_dumps(const UpaParams& p, double capacity_ml, double horizon_s, Rng& rng);
// Drain-rate multipliers of successive processing runs (upa.drain_sd; empty when 0).
std::vector<double> plan_drain_factors(const UpaParams& p, double horizon_s, Rng& rng);
// Within-run drain-rate multipliers (upa.drain_jitter): entry k holds over
// [k, k+1) x drain_jitter_period while the UPA processes (empty when 0).
std::vector<double> plan_drain_jitter(const UpaParams& p, double horizon_s, Rng& rng);
// Scheduled (upa.maintenance) and random (upa.outages_per_day) outages, sorted and merged.
std::vector<UpaOutage> plan_outages(const UpaParams& p, double horizon_s, Rng& rng);

struct PlantTruth {
  std::vector<TankPoint> tank;               // breakpoints of the true volume
  std::vector<UpaStateChange> upa_states;    // including the initial state at t = 0
  std::vector<TankFullEpisode> tank_full;
};

class UrinePlant {
 public:
  // `voids` must be sorted by onset; those with reaches_tank == false are ignored.
  UrinePlant(const TankParams& tank, const UpaParams& upa, const std::vector<VoidEvent>& voids,
             const std::vector<BulkTransfer>& bulk = {}, const std::vector<UpaOutage>& outages = {},
             const std::vector<double>& drain_factors = {}, const std::vector<BulkTransfer>& dumps = {},
             const std::vector<double>& drain_jitter = {});

  // Integrates the plant up to t_s (monotone non-decreasing).
  void advance(double t_s);

  double now_s() const { return now_s_; }
  double volume_ml() const { return volume_ml_; }
  double level_pct() const { return 100.0 * volume_ml_ / capacity_ml_; }
  UpaState state() const { return state_; }
  const PlantTruth& truth() const { return truth_; }

  // Mass balance: volume = initial + inflow - drained - spilled.
  double initial_ml() const { return initial_ml_; }
  double inflow_ml() const { return inflow_ml_; }
  double drained_ml() const { return drained_ml_; }
  double spilled_ml() const { return spilled_ml_; }

 private:
  double inflow_rate(double t) const;        // mL/s from voids active at t
  double next_void_boundary(double t) const; // next onset or end after t
  void set_state(double t, UpaState s);
  void update_mode(double t);                // outages, thresholds, STANDBY -> IDLE at t
  double next_mode_boundary(double t) const; // next outage start/end, IDLE time or drain-jitter slot after t
  double drain_rate(double t) const;         // the processing drain rate at t (run rate x within-run multiplier)
  void record_point(double t);

  double capacity_ml_;
  UpaParams upa_;
  double drain_ml_per_s_;          // current processing run's drain rate
  double base_drain_ml_per_s_;
  std::vector<double> drain_factors_;
  std::vector<double> drain_jitter_;  // within-run multipliers, one per drain_jitter_period slot
  std::vector<BulkTransfer> dumps_;  // fast drain-outs; outflow at dump_ml_per_s_ while above stop_pct
  double dump_ml_per_s_ = 0.0;
  std::size_t next_dump_ = 0;
  std::size_t next_factor_ = 0;
  std::vector<VoidEvent> voids_;  // voids that reach the tank and bulk transfers (crew = -1), by onset
  std::vector<UpaOutage> outages_;
  std::size_t next_outage_ = 0;   // the outage in force or the next one
  bool in_outage_ = false;
  double standby_since_ = 0.0;
  std::size_t first_active_ = 0;  // voids before this index have ended
  double now_s_ = 0.0;
  double volume_ml_;
  double initial_ml_;
  double inflow_ml_ = 0.0, drained_ml_ = 0.0, spilled_ml_ = 0.0;
  UpaState state_;
  bool spilling_ = false;
  PlantTruth truth_;
};

}  // namespace peebot
