#include "ingest.hpp"

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
    : p_(p), dict_(dict), last_seq_(static_cast<std::size_t>(dict.size()), 0), seen_(static_cast<std::size_t>(dict.size()), 0) {}

UpdateFate Ingest::accept(const Update& u) {
  if (!dict_.valid(u)) { ++counters_.invalid; return UpdateFate::kInvalid; }
  auto& last = last_seq_[u.item];
  if (seen_[u.item]) {
    if (u.seq == last) { ++counters_.duplicates; return UpdateFate::kDuplicate; }
    if (u.seq < last) { ++counters_.stale; return UpdateFate::kStale; }
  }
  seen_[u.item] = 1;
  last = u.seq;
  ++counters_.accepted;
  return UpdateFate::kDelivered;
}

}  // namespace peebot
