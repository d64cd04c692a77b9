// Feed items the testbed models by name, and the synthetic background items
// that stand for the rest of the ~300 public ISSLIVE items.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace peebot {

using ItemId = std::uint16_t;

enum Item : ItemId {
  kUrineTank = 0,   // NODE3000005, integer percent
  kUpaState = 1,    // NODE3000004, enum (16 NORMAL, 32 STANDBY, ...)
  kWasteWater = 2,  // NODE3000008, percent
  kCleanWater = 3,  // NODE3000009, percent
  kSignal = 4,      // TIME_000001, value = ground time (hours of year), status 24 = AOS
  kFirstBackground = 5,
};
inline constexpr int kNamedItems = 5;
inline constexpr std::int16_t kStatusAos = 24;  // TIME_000001 Status.Class while signal acquired
inline constexpr std::int16_t kStatusLos = 0;   // any other class means loss of signal

// UPA states as the feed encodes them (NODE3000004).
enum class UpaState : std::int32_t {
  kStop = 2, kShutdown = 4, kMaintenance = 8, kNormal = 16, kStandby = 32, kIdle = 64, kInitialized = 128,
};

inline std::string_view named_item(ItemId id) {
  switch (id) {
    case kUrineTank: return "NODE3000005";
    case kUpaState: return "NODE3000004";
    case kWasteWater: return "NODE3000008";
    case kCleanWater: return "NODE3000009";
    case kSignal: return "TIME_000001";
    default: return {};
  }
}

// Background items are named BKG_0000 ... (they carry load, not meaning).
inline std::string item_name(ItemId id) {
  if (id < kFirstBackground) return std::string(named_item(id));
  std::string s = "BKG_0000";
  unsigned n = id - kFirstBackground;
  for (int i = 7; i >= 4 && n; --i, n /= 10) s[i] = static_cast<char>('0' + n % 10);
  return s;
}

}  // namespace peebot
