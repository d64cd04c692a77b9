// Loss-of-signal windows: per orbit, with some probability, a gap in relay
// coverage during which no ISS telemetry reaches the ground; plus fixed
// windows from the scenario. Windows are sorted and never overlap.
#pragma once
#include <vector>

#include "params.hpp"
#include "records.hpp"
#include "rng.hpp"

namespace peebot {

std::vector<LosWindow> plan_los(const LosParams& p, double horizon_s, Rng& rng);

// True when t lies in one of the (sorted) windows.
bool in_los(const std::vector<LosWindow>& windows, double t_s);

}  // namespace peebot
