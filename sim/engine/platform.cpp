#include "platform.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/kernel/ProfileBuilder.hpp>

namespace peebot {

namespace sg = simgrid::s4u;

sg::Engine& make_engine(const char* log_threshold) {
  static std::string log_arg;
  log_arg = std::string("--log=root.thres:") + log_threshold;
  static char name[] = "peebot";
  static std::vector<char*> argv;
  argv = {name, log_arg.data()};
#ifdef PEEBOT_SANITIZE
  // ASan cannot follow SimGrid's hand-made stack switches (raw/ucontext): use
  // threads. This must be chosen before the engine exists, hence argv.
  static char threads[] = "--cfg=contexts/factory:thread";
  argv.push_back(threads);
#endif
  argv.push_back(nullptr);
  static int argc;
  argc = static_cast<int>(argv.size()) - 1;
  // The engine is a process-wide singleton that is never destroyed: with
  // thread contexts its destructor waits forever for killed daemon actors,
  // and nothing is gained by tearing it down just before the process exits.
  static sg::Engine* engine = new sg::Engine(&argc, argv.data());
  return *engine;
}

void configure_exact_network(sg::Engine& e) {
  (void)e;
  // SimGrid's default LV08 model multiplies latency by 13.01 and bounds flows by
  // the TCP window; CM02 with these settings delivers in latency + size/bandwidth.
  sg::Engine::set_config("network/model:CM02");
  sg::Engine::set_config("network/crosstraffic:0");
  sg::Engine::set_config("network/TCP-gamma:0");
}

std::string los_profile_text(const std::vector<LosWindow>& los) {
  std::string s;
  char buf[96];
  for (const auto& w : los) {
    std::snprintf(buf, sizeof buf, "%.9g 0\n%.9g 1\n", w.start_s, w.end_s);
    s += buf;
  }
  return s;
}

Platform build_platform(sg::Engine& e, const NetworkParams& n, const std::vector<LosWindow>& los,
                        const std::vector<LosWindow>& partitions) {
  auto* zone = sg::create_full_zone("iss-path");
  Platform p;
  p.iss = zone->create_host("iss", 1e9);
  p.tdrs = zone->create_host("tdrs", 1e9);
  p.ground = zone->create_host("ground", 1e9);
  p.lsserver = zone->create_host("lsserver", 1e9);
  p.peebot = zone->create_host("peebot", 1e9);
  auto link = [&](const char* name, double bw, double lat) {
    return zone->create_link(name, bw)->set_latency(lat)->set_sharing_policy(sg::Link::SharingPolicy::SHARED);
  };
  p.iss_tdrs = link("iss_tdrs", n.iss_tdrs_bw_Bps, n.iss_tdrs_latency_s);
  p.tdrs_ground = link("tdrs_ground", n.tdrs_ground_bw_Bps, n.tdrs_ground_latency_s);
  p.ground_ls = link("ground_ls", n.ground_ls_bw_Bps, n.ground_ls_latency_s);
  p.ls_host = link("ls_host", n.ls_host_bw_Bps, n.ls_host_latency_s);
  if (!los.empty())
    p.iss_tdrs->set_state_profile(simgrid::kernel::profile::ProfileBuilder::from_string("los", los_profile_text(los), -1));
  if (!partitions.empty())
    p.ls_host->set_state_profile(
        simgrid::kernel::profile::ProfileBuilder::from_string("partition", los_profile_text(partitions), -1));
  for (auto* l : {p.iss_tdrs, p.tdrs_ground, p.ground_ls, p.ls_host}) l->seal();
  using L = sg::LinkInRoute;
  zone->add_route(p.iss->get_netpoint(), p.lsserver->get_netpoint(), nullptr, nullptr,
                  {L(p.iss_tdrs), L(p.tdrs_ground), L(p.ground_ls)}, true);
  zone->add_route(p.lsserver->get_netpoint(), p.peebot->get_netpoint(), nullptr, nullptr, {L(p.ls_host)}, true);
  zone->add_route(p.iss->get_netpoint(), p.tdrs->get_netpoint(), nullptr, nullptr, {L(p.iss_tdrs)}, true);
  zone->add_route(p.tdrs->get_netpoint(), p.ground->get_netpoint(), nullptr, nullptr, {L(p.tdrs_ground)}, true);
  zone->add_route(p.ground->get_netpoint(), p.lsserver->get_netpoint(), nullptr, nullptr, {L(p.ground_ls)}, true);
  for (auto* h : {p.iss, p.tdrs, p.ground, p.lsserver, p.peebot}) {
    auto* lo = zone->create_link(h->get_name() + "_loopback", 1e12)->set_latency(0)
                   ->set_sharing_policy(sg::Link::SharingPolicy::FATPIPE)->seal();
    zone->add_route(h->get_netpoint(), h->get_netpoint(), nullptr, nullptr, {L(lo)}, false);
  }
  zone->seal();
  (void)e;
  return p;
}

}  // namespace peebot
