// The runtime-free transport models of the host architectures
// (models/env/transport.hpp) against closed-form or hand-worked behaviour.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <vector>

#include "models/rng.hpp"
#include "models/env/transport.hpp"

using namespace peebot;

TEST_CASE("FifoServer: a batch is served back to back after the previous one (Lindley)", "[transport]") {
  FifoServer s;
  auto a = s.offer(0.0, 3, 1.0, 0.5);  // starts at 0: items done at 1.5, 2.5, 3.5
  CHECK(a.accepted == 3);
  CHECK(a.done_s(0) == Approx(1.5));
  CHECK(a.end_s() == Approx(3.5));
  auto b = s.offer(2.0, 2, 1.0);  // server busy until 3.5: starts then
  CHECK(b.start_s == Approx(3.5));
  CHECK(b.end_s() == Approx(5.5));
  CHECK(s.in_system(2.0) == 4);  // 2 of the first batch + 2 of the second
  CHECK(s.in_system(4.6) == 1);
  CHECK(s.in_system(6.0) == 0);
  auto c = s.offer(10.0, 1, 1.0);  // idle server: starts on arrival
  CHECK(c.start_s == Approx(10.0));
  CHECK(s.busy_s() == Approx(3.5 + 2.0 + 1.0));
}

TEST_CASE("FifoServer with Poisson arrivals matches the M/D/1 mean wait (Pollaczek-Khinchine)", "[transport]") {
  // rho = lambda D; mean wait in queue Wq = rho D / (2 (1 - rho)).
  for (const double rho : {0.5, 0.8}) {
    const double D = 0.01, lambda = rho / D;
    Rng rng(42, "md1");
    FifoServer s;
    double t = 0.0, wait_sum = 0.0;
    const int n = 400000;
    for (int i = 0; i < n; ++i) {
      t += rng.exponential(1.0 / lambda);
      const auto b = s.offer(t, 1, D);
      wait_sum += b.start_s - t;
    }
    const double wq = rho * D / (2 * (1 - rho));
    CHECK(wait_sum / n == Approx(wq).epsilon(0.05));
  }
}

TEST_CASE("FifoServer with a capacity drops the tail beyond the high-water mark, as ZeroMQ PUB/SUB does", "[transport]") {
  FifoServer s(10);
  auto a = s.offer(0.0, 25, 0.1);  // room for 10
  CHECK(a.accepted == 10);
  CHECK(a.dropped() == 15);
  auto b = s.offer(0.45, 10, 0.1);  // 4 departed by 0.45 (0.1 .. 0.4): room for 4
  CHECK(b.accepted == 4);
  CHECK(s.dropped() == 15 + 6);
  // A subscriber fast enough for the offered rate drops nothing.
  FifoServer fast(10);
  std::uint64_t dropped = 0;
  for (int i = 0; i < 1000; ++i) dropped += fast.offer(i * 1.0, 5, 0.1).dropped();
  CHECK(dropped == 0);
  // A slow one keeps dropping: the rate that gets through is its service rate.
  FifoServer slow(10);
  std::uint64_t acc = 0;
  for (int i = 0; i < 1000; ++i) acc += slow.offer(i * 1.0, 100, 0.1).accepted;
  CHECK(acc == Approx(1000 * 10).epsilon(0.01));
}

TEST_CASE("Poller: an event at a uniform time waits U(0, period) for the next poll, mean period/2", "[transport]") {
  Poller p(30.0, 30.0);
  CHECK(p.next_at(0.0) == 30.0);
  CHECK(p.next_at(30.0) == 30.0);
  CHECK(p.next_at(30.001) == Approx(60.0));
  Rng rng(3, "poll");
  double sum = 0.0, mx = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double t = 30.0 + rng.uniform(0.0, 3000.0);
    const double w = p.next_at(t) - t;
    REQUIRE(w >= 0.0);
    REQUIRE(w <= 30.0);
    sum += w;
    mx = std::max(mx, w);
  }
  CHECK(sum / n == Approx(15.0).epsilon(0.01));
  CHECK(mx > 29.9);
}

TEST_CASE("Kafka keyed partitioning: one key always lands on one partition, keys spread over all", "[transport]") {
  std::set<int> used;
  for (ItemId k = 0; k < 300; ++k) {
    const int p = kafka_partition(k, 6);
    REQUIRE(p >= 0);
    REQUIRE(p < 6);
    REQUIRE(kafka_partition(k, 6) == p);
    used.insert(p);
  }
  CHECK(used.size() == 6);
}

TEST_CASE("Kafka producer batching: a batch leaves when full, or linger after its first record", "[transport]") {
  ProducerAccumulator acc(2, 4, 0.005);
  std::vector<ProducerAccumulator::Ready> out;
  acc.add(1.000, 0, 3, out);
  CHECK(out.empty());
  CHECK(acc.next_deadline_s() == Approx(1.005));
  acc.add(1.002, 0, 6, out);  // fills the first (3 + 1), a second of 4, 1 left over
  REQUIRE(out.size() == 2);
  CHECK(out[0].n == 4);
  CHECK(out[0].opened_s == Approx(1.000));
  CHECK(out[1].n == 4);
  CHECK(acc.pending(0) == 1);
  out.clear();
  acc.add(1.003, 1, 2, out);
  acc.expire(1.0069, out);  // partition 0's open batch opened at 1.002: due at 1.007
  CHECK(out.empty());
  acc.expire(1.007, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].partition == 0);
  CHECK(out[0].n == 1);
  out.clear();
  acc.expire(1.008, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].partition == 1);
  CHECK(acc.pending_total() == 0);
  CHECK(std::isinf(acc.next_deadline_s()));
}

TEST_CASE("Kafka producer batching at a low rate delays each record by the linger", "[transport]") {
  // One record every 100 ms, linger 5 ms, batches of 100: every record waits exactly 5 ms.
  ProducerAccumulator acc(1, 100, 0.005);
  std::vector<ProducerAccumulator::Ready> out;
  for (int i = 0; i < 10; ++i) {
    const double t = i * 0.1;
    acc.add(t, 0, 1, out);
    acc.expire(t + 0.005, out);
  }
  REQUIRE(out.size() == 10);
  for (const auto& r : out) CHECK(r.n == 1);
}

TEST_CASE("LevelAlert fires once per fall below the threshold and re-arms above it", "[transport]") {
  LevelAlert a(20.0);
  CHECK_FALSE(a.on_sample(25));
  CHECK(a.on_sample(19.9));
  CHECK_FALSE(a.on_sample(18));
  CHECK_FALSE(a.on_sample(20));
  CHECK(a.on_sample(19));
}
