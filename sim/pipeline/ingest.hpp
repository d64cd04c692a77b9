// Ingest: validate against the item dictionary, drop duplicates, keep per-item
// order (MERGE: an update older than the one already applied is stale).
// Duplicates are told from stale updates by the sequence numbers accepted
// recently (docs/faults.md): a number seen before is a duplicate, an older
// one not seen before is stale; both are dropped.
#pragma once
#include <cstdint>
#include <vector>

#include "../../models/records.hpp"
#include "params.hpp"
#include "records.hpp"

namespace peebot {

// The items a run knows: the named items plus `background` synthetic ones.
class ItemDictionary {
 public:
  explicit ItemDictionary(int background_items) : size_(kNamedItems + background_items) {}
  int size() const { return size_; }
  // An update is valid when its item is known and its value in the item's range.
  bool valid(const Update& u) const;

 private:
  int size_;
};

struct IngestCounters {
  std::uint64_t accepted = 0, duplicates = 0, stale = 0, invalid = 0;
};

class Ingest {
 public:
  Ingest(const IngestParams& p, const ItemDictionary& dict);
  // Classifies one update; kDelivered means "accept and forward".
  UpdateFate accept(const Update& u);
  // Service time for a frame of n updates.
  double service_time_s(std::size_t n) const { return p_.service_per_frame_s + p_.service_per_update_s * static_cast<double>(n); }
  const IngestCounters& counters() const { return counters_; }

 private:
  IngestParams p_;
  ItemDictionary dict_;
  std::vector<std::uint64_t> last_seq_;  // per item; 0 = none yet (seq numbers start at 1)
  std::vector<std::uint8_t> seen_;
  // Accepted sequence numbers in [seen_base_, seen_base_ + kSeenBits), one bit
  // each, in a ring of 64-bit words. Each word is tagged with the block of 64
  // numbers (seq / 64) it holds: a word whose tag is another block counts as
  // empty, so sliding the window clears nothing (live feeds number updates in
  // microseconds of feed time, and clearing the words a jump of ~1 s leaves
  // behind cost ~15,000 stores per update).
  static constexpr std::uint64_t kSeenBits = std::uint64_t{1} << 23;
  static constexpr std::uint64_t kNoBlock = ~std::uint64_t{0};
  std::vector<std::uint64_t> seen_seq_;
  std::vector<std::uint64_t> seen_block_;  // per word: the block it holds, kNoBlock: none
  std::uint64_t seen_base_ = 0;
  bool was_accepted(std::uint64_t seq) const;
  void mark_accepted(std::uint64_t seq);
  IngestCounters counters_;
};

}  // namespace peebot
