// The simulated network path and its hosts. Built programmatically from the
// scenario's [network] section; LOS windows become the state profile of the
// ISS -> TDRS link, network partitions (faults) that of the Lightstreamer ->
// our host link.
#pragma once
#include <memory>
#include <vector>

#include <simgrid/s4u.hpp>

#include "../../models/params.hpp"
#include "../../models/records.hpp"

namespace peebot {

struct Platform {
  simgrid::s4u::Host* iss = nullptr;
  simgrid::s4u::Host* tdrs = nullptr;
  simgrid::s4u::Host* ground = nullptr;
  simgrid::s4u::Host* lsserver = nullptr;
  simgrid::s4u::Host* peebot = nullptr;
  simgrid::s4u::Link* iss_tdrs = nullptr;
  simgrid::s4u::Link* tdrs_ground = nullptr;
  simgrid::s4u::Link* ground_ls = nullptr;
  simgrid::s4u::Link* ls_host = nullptr;
};

// Sets the network model so that a link's latency and bandwidth mean what they
// say (CM02, no cross traffic, no TCP window bound). Call before creating the platform.
void configure_exact_network(simgrid::s4u::Engine& e);
// Creates the process's SimGrid engine (thread contexts in sanitizer builds).
// Once per process: the engine is a singleton that lives until exit.
simgrid::s4u::Engine& make_engine(const char* log_threshold = "warning");

// Routes: iss -> lsserver over iss_tdrs, tdrs_ground, ground_ls; lsserver ->
// peebot over ls_host; every host reaches itself over a free loopback.
// `partitions` (scenario faults of kind "partition") switch ls_host off.
Platform build_platform(simgrid::s4u::Engine& e, const NetworkParams& n, const std::vector<LosWindow>& los,
                        const std::vector<LosWindow>& partitions = {});

// "t 0/1" lines for a link state profile: off during each window.
std::string los_profile_text(const std::vector<LosWindow>& los);

}  // namespace peebot
