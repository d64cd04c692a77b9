// The SimGrid platform: latencies mean what they say, LOS blocks delivery.
// SimGrid's engine is a process-wide singleton, so each case runs its
// simulation in a forked child and sends the measured figures back.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <vector>

#include <simgrid/s4u.hpp>

#include "child.hpp"
#include "sim/engine/platform.hpp"

using namespace peebot;
using peebot::test::in_child;
namespace sg = simgrid::s4u;

namespace {

sg::Engine* new_engine(bool exact) {
  auto* e = &make_engine("critical");  // lives until the child exits
  if (exact) configure_exact_network(*e);
  return e;
}

NetworkParams path_params() {
  NetworkParams n;
  n.iss_tdrs_latency_s = 0.125;
  n.tdrs_ground_latency_s = 0.125;
  n.ground_ls_latency_s = 5.0;
  n.ls_host_latency_s = 0.05;
  n.iss_tdrs_bw_Bps = 37.5e6;
  n.tdrs_ground_bw_Bps = 37.5e6;
  n.ground_ls_bw_Bps = 12.5e6;
  n.ls_host_bw_Bps = 12.5e6;
  return n;
}

// Sends `bytes` from iss to lsserver at each of `send_at`; reports arrival time or -1 when the send failed.
std::vector<double> send_over_path(bool exact, const std::vector<LosWindow>& los, const std::vector<double>& send_at, double bytes) {
  auto* e = new_engine(exact);
  const Platform p = build_platform(*e, path_params(), los);
  auto results = std::make_shared<std::vector<double>>(send_at.size(), -2.0);
  sg::Actor::create("sender", p.iss, [=]() {
    auto* mb = sg::Mailbox::by_name("ls");
    for (std::size_t i = 0; i < send_at.size(); ++i) {
      sg::this_actor::sleep_until(send_at[i]);
      try {
        mb->put(new double(static_cast<double>(i)), static_cast<std::uint64_t>(bytes));
      } catch (const simgrid::NetworkFailureException&) {
        (*results)[i] = -1.0;
      }
    }
  });
  sg::Actor::create("receiver", p.lsserver, [=]() {
    auto* mb = sg::Mailbox::by_name("ls");
    for (;;) {
      double* idx = nullptr;
      try {
        idx = mb->get<double>();
      } catch (const simgrid::NetworkFailureException&) {
        continue;
      }
      (*results)[static_cast<std::size_t>(*idx)] = sg::Engine::get_clock();
      delete idx;
    }
  })->daemonize();
  e->run();
  return *results;
}

}  // namespace

TEST_CASE("a frame crosses ISS -> TDRS -> ground -> Lightstreamer in exactly latency + size/bandwidth", "[engine][network]") {
  const double bytes = 1e6;
  const auto got = in_child([&] { return send_over_path(true, {}, {100.0}, bytes); });
  REQUIRE(got.size() == 1);
  const double expected = 100.0 + 0.125 + 0.125 + 5.0 + bytes / 12.5e6;  // the slowest link bounds the rate
  REQUIRE(got[0] == Approx(expected).epsilon(1e-6));
}

TEST_CASE("without the exact network model the same path is many times slower (the latency trap)", "[engine][network]") {
  const auto got = in_child([&] { return send_over_path(false, {}, {100.0}, 1e3); });
  REQUIRE(got.size() == 1);
  REQUIRE(got[0] - 100.0 > 3 * 5.25);  // LV08 multiplies latency by 13.01
}

TEST_CASE("LOS blocks delivery: sends during a window fail, sends after it arrive", "[engine][network][los]") {
  const std::vector<LosWindow> los{{1000.0, 1600.0}};
  const auto got = in_child([&] { return send_over_path(true, los, {500.0, 998.0, 1200.0, 1700.0}, 1e3); });
  REQUIRE(got.size() == 4);
  REQUIRE(got[0] == Approx(500.0 + 5.25 + 1e3 / 12.5e6).epsilon(1e-9));
  REQUIRE(got[1] == -1.0);  // still in flight when the link went down
  REQUIRE(got[2] == -1.0);  // sent during LOS
  REQUIRE(got[3] == Approx(1700.0 + 5.25 + 1e3 / 12.5e6).epsilon(1e-9));
}

TEST_CASE("the LOS profile switches the link off at each window's start and on at its end", "[engine][los]") {
  const auto txt = los_profile_text({{10.0, 20.5}, {100.0, 160.0}});
  REQUIRE(txt == "10 0\n20.5 1\n100 0\n160 1\n");
}
