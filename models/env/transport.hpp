// Transport and stage models of the seed architectures (docs/architectures.md),
// runtime-free: each takes arrival times and gives departure times, drops or
// poll instants; the SimGrid actors in sim/engine/host_*.cpp spend the time.
//
//   FifoServer          one server, FIFO, deterministic service, optional
//                       capacity (items in the system; excess is dropped):
//                       a SQLite writer, a ZeroMQ subscriber behind its HWM,
//                       a broker, a consumer. Poisson arrivals make it M/D/1.
//   Poller              periodic instants phase + k * period (Celery beat,
//                       a GUI polling a REST API)
//   KafkaPartitioner    key -> partition (one key, one partition: per-key order)
//   ProducerAccumulator Kafka producer batching per partition (batch.size, linger.ms)
//   LevelAlert          fires once when a level falls below a threshold, re-arms above it
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../items.hpp"

namespace peebot {

// A single FIFO server with deterministic service (Lindley recursion). Items
// arrive in batches; a batch of n items arriving at t starts at
// max(t, end of the previous batch), spends `overhead_s` once, then
// `per_item_s` per item: item k (0-based) departs at start + overhead + (k+1) per_item.
// With capacity > 0, a batch is cut to the room left (capacity minus the items
// still in the system at t): the tail is dropped, as ZeroMQ drops messages
// beyond its high-water mark.
class FifoServer {
 public:
  explicit FifoServer(std::size_t capacity = 0) : capacity_(capacity) {}
  struct Batch {
    std::size_t offered = 0, accepted = 0;  // accepted: the first `accepted` items of the batch
    double arrival_s = 0.0, start_s = 0.0, overhead_s = 0.0, per_item_s = 0.0;
    double done_s(std::size_t k) const { return start_s + overhead_s + static_cast<double>(k + 1) * per_item_s; }
    double end_s() const { return accepted ? done_s(accepted - 1) : start_s; }
    std::size_t dropped() const { return offered - accepted; }
  };
  Batch offer(double t_s, std::size_t n, double per_item_s, double overhead_s = 0.0);
  // Items not yet departed at t (t must not go backwards between calls).
  std::size_t in_system(double t_s);
  double busy_s() const { return busy_; }         // total service time so far
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t dropped() const { return dropped_; }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Seg { double first_done_s, per_item_s; std::size_t n; };
  void expire(double t_s);
  std::size_t capacity_;
  std::vector<Seg> segs_;  // batches not fully departed, oldest first (from head_)
  std::size_t head_ = 0;
  std::size_t queued_ = 0;  // items of segs_[head_..] not yet departed as of the last expire
  double free_at_ = 0.0, busy_ = 0.0;
  std::uint64_t accepted_ = 0, dropped_ = 0;
};

// Periodic instants phase + k * period, k >= 0.
class Poller {
 public:
  Poller(double period_s, double phase_s = 0.0) : period_(period_s), phase_(phase_s) {}
  // The first instant at or after t.
  double next_at(double t_s) const;
  double period_s() const { return period_; }

 private:
  double period_, phase_;
};

// Kafka keyed partitioning: the item id is the key, so all updates of one item
// go to one partition (and keep their order there). A fixed integer mix, not
// Java's murmur2: only the property "same key, same partition" matters here.
inline int kafka_partition(ItemId key, int partitions) {
  std::uint32_t h = static_cast<std::uint32_t>(key) * 2654435761u;
  h ^= h >> 16;
  return static_cast<int>(h % static_cast<std::uint32_t>(partitions));
}

// The Kafka producer's record accumulator: one open batch per partition; a
// batch is sent when it holds batch_records records or when its first record
// has waited linger_s, whichever comes first.
class ProducerAccumulator {
 public:
  ProducerAccumulator(int partitions, std::size_t batch_records, double linger_s);
  struct Ready { int partition; std::size_t n; double opened_s; };
  // n records for partition p at t; appends the batches this fills to `out`
  // (records left over stay in the open batch).
  void add(double t_s, int p, std::size_t n, std::vector<Ready>& out);
  // Appends the batches whose linger expired at or before t.
  void expire(double t_s, std::vector<Ready>& out);
  // The earliest linger deadline of an open batch (infinity when none).
  double next_deadline_s() const;
  std::size_t pending(int p) const { return open_[static_cast<std::size_t>(p)].n; }
  std::size_t pending_total() const;

 private:
  struct Open { std::size_t n = 0; double opened_s = 0.0; };
  std::vector<Open> open_;
  std::size_t batch_records_;
  double linger_s_;
};

// "Water low": fires on the first sample below the threshold, re-arms when a
// sample is at or above it again.
class LevelAlert {
 public:
  explicit LevelAlert(double threshold) : threshold_(threshold) {}
  bool on_sample(double value) {
    if (value < threshold_) {
      if (armed_) { armed_ = false; return true; }
      return false;
    }
    armed_ = true;
    return false;
  }

 private:
  double threshold_;
  bool armed_ = true;
};

}  // namespace peebot
