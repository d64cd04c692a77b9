// The transport models in SimGrid virtual time: a single-server queue run by
// actors (a generator and a server on a SimQueue) has the M/D/1 mean wait,
// and FifoServer (models/env/transport.hpp), which the host architectures
// use to schedule LiveTrack and the Kafka broker, gives exactly the same
// departure times as the actors do.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include <simgrid/s4u.hpp>

#include "child.hpp"
#include "models/rng.hpp"
#include "sim/engine/context.hpp"
#include "models/env/transport.hpp"

using namespace peebot;
using peebot::test::in_child;
namespace sg = simgrid::s4u;

namespace {

// Poisson arrivals at rate rho / D into a SimGrid server actor with service D:
// returns {mean wait in the actors' queue, mean wait by FifoServer, max |difference| of departures}.
std::vector<double> md1_in_simgrid(double rho, double D, int n) {
  auto* e = &make_engine("critical");
  configure_exact_network(*e);
  NetworkParams np;
  const Platform p = build_platform(*e, np, {});
  struct Job { double arrived; };
  auto q = std::make_shared<engine::SimQueue<Job>>();
  auto arrivals = std::make_shared<std::vector<double>>();
  auto departures = std::make_shared<std::vector<double>>();
  auto waits = std::make_shared<double>(0.0);
  sg::Actor::create("generator", p.peebot, [=] {
    Rng rng(11, "md1-sim");
    for (int i = 0; i < n; ++i) {
      sg::this_actor::sleep_for(rng.exponential(D / rho));
      arrivals->push_back(sg::Engine::get_clock());
      q->push(Job{sg::Engine::get_clock()});
    }
    sg::this_actor::sleep_for(10000 * D);  // lets the server drain the queue (it is a daemon)
  });
  sg::Actor::create("server", p.peebot, [=] {
    for (;;) {
      const Job j = q->pop();
      *waits += sg::Engine::get_clock() - j.arrived;
      sg::this_actor::sleep_for(D);
      departures->push_back(sg::Engine::get_clock());
    }
  })->daemonize();
  e->run();
  FifoServer s;
  double model_wait = 0.0, max_diff = 0.0;
  for (std::size_t i = 0; i < arrivals->size(); ++i) {
    const auto b = s.offer((*arrivals)[i], 1, D);
    model_wait += b.start_s - (*arrivals)[i];
    if (i < departures->size()) max_diff = std::max(max_diff, std::fabs(b.end_s() - (*departures)[i]));
  }
  return {*waits / n, model_wait / n, max_diff, static_cast<double>(departures->size())};
}

}  // namespace

TEST_CASE("an M/D/1 queue of SimGrid actors waits rho D / (2 (1 - rho)) on average, as FifoServer computes", "[engine][transport]") {
  const double rho = 0.7, D = 0.002;
  const int n = 100000;
  const auto got = in_child([&] { return md1_in_simgrid(rho, D, n); });
  REQUIRE(got.size() == 4);
  const double wq = rho * D / (2 * (1 - rho));
  CHECK(got[0] == Approx(wq).epsilon(0.06));
  CHECK(got[1] == Approx(got[0]).epsilon(1e-6));  // the model and the actors agree job by job
  CHECK(got[2] < 1e-6);
  CHECK(got[3] == n);
}
