#include "ingest.hpp"

#include <algorithm>
#include <cmath>

namespace peebot {

bool ItemDictionary::valid(const Update& u) const {
  if (u.item >= size_ || !std::isfinite(u.value) || !std::isfinite(u.t_emit_s)) return false;
  switch (u.item) {
    case kUrineTank:
    case kWasteWater:
    case kCleanWater: return u.value >= 0.0 && u.value <= 100.0;
    case kUpaState: return u.value >= 0.0 && u.value <= 128.0;
    default: return true;
  }
}

Ingest::Ingest(const IngestParams& p, const ItemDictionary& dict)
    : p_(p), dict_(dict), last_seq_(static_cast<std::size_t>(dict.size()), 0), seen_(static_cast<std::size_t>(dict.size()), 0),
      seen_seq_(kSeenBits / 64, 0), seen_block_(kSeenBits / 64, kNoBlock) {}

bool Ingest::was_accepted(std::uint64_t seq) const {
  if (seq < seen_base_ || seq >= seen_base_ + kSeenBits) return false;
  const std::uint64_t w = (seq % kSeenBits) / 64;
  return seen_block_[w] == seq / 64 && ((seen_seq_[w] >> (seq % 64)) & 1u);
}

void Ingest::mark_accepted(std::uint64_t seq) {
  if (seq < seen_base_) return;  // beyond reach: cannot be told apart later anyway
  if (seq >= seen_base_ + kSeenBits) {
    // Slide the window (in whole words) so that seq is its newest number. The
    // words of the blocks that leave it are not cleared: their tags no longer
    // match any block in the window (a block once left never comes back).
    seen_base_ = (seq - kSeenBits + 64) / 64 * 64;
  }
  const std::uint64_t w = (seq % kSeenBits) / 64;
  if (seen_block_[w] != seq / 64) {  // the word held an older block (or none): start it empty
    seen_block_[w] = seq / 64;
    seen_seq_[w] = 0;
  }
  seen_seq_[w] |= std::uint64_t{1} << (seq % 64);
}

UpdateFate Ingest::accept(const Update& u) {
  if (!dict_.valid(u)) { ++counters_.invalid; return UpdateFate::kInvalid; }
  auto& last = last_seq_[u.item];
  if (seen_[u.item]) {
    if (u.seq == last || (u.seq < last && was_accepted(u.seq))) { ++counters_.duplicates; return UpdateFate::kDuplicate; }
    if (u.seq < last) { ++counters_.stale; return UpdateFate::kStale; }
  }
  seen_[u.item] = 1;
  last = u.seq;
  mark_accepted(u.seq);
  ++counters_.accepted;
  return UpdateFate::kDelivered;
}

}  // namespace peebot
