// One description per trace record: a RecordTraits specialisation next to
// each record type gives its dataset, its `units` attribute and its fields
// (name, member, type on disk, what the reader demands of it, enum names).
// The writer's HDF5 types and packing, the reader's unpacking and
// validation, and the check of docs/trace-format.md's tables
// (tests/test_trace.cpp) all come from these descriptions.
//
// On disk a row is the fields packed in this order, no padding; a field's
// disk type is its member's type, except: an enum class -> its underlying
// integer (an HDF5 enum type when the field has names), bool -> uint8,
// std::string -> 320 bytes of UTF-8, null-padded, and where a field says
// otherwise (col<std::uint8_t>(...)).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../../models/records.hpp"
#include "../pipeline/records.hpp"
#include "trace.hpp"

namespace peebot::trace_schema {

constexpr const char* kFormatName = "peebot-trace";  // the root attribute `format`
constexpr std::size_t kItemNameBytes = 16;           // /items: fixed-length names
constexpr std::size_t kPostTextBytes = 320;

// What the reader demands of a field's values (a trace is input like any
// other file, and its consumers size bins, lanes and axes by these numbers).
enum class Check : std::uint8_t {
  none,
  time,         // a time since the epoch: finite, |t| <= kTraceMaxSpanS
  time_or_nan,  // the same, or NaN (a stage not reached, a time not known)
  not_inf,      // a measured value: finite or NaN
  crew,         // a crew member's index: 0 .. kTraceMaxCrew - 1
};

// Types on disk. An enumerated field (EnumNames given) is an HDF5 enum type
// over its integer (format 1.2); older traces hold the bare integer.
enum class F : std::uint8_t { f64, f32, u64, u32, u16, u8, i32, text320 };

struct EnumName {
  const char* name;
  std::int32_t value;
};
struct EnumNames {
  const EnumName* names = nullptr;
  std::size_t size = 0;
};

// The names of the enumerated columns (pipeline/records.hpp, models/items.hpp).
inline constexpr EnumName kUpdateFateNames[] = {
    {"delivered", 0}, {"duplicate", 1},   {"stale", 2},      {"invalid", 3},  {"lost", 4},   {"merged", 5},
    {"reordered", 6}, {"dropped_hwm", 7}, {"fault_lost", 8}, {"replayed", 9}, {"skipped", 10}};
inline constexpr EnumName kDetectionKindNames[] = {{"urination", 1},       {"bulk_transfer", 2}, {"other", 3},
                                                   {"water_low_alert", 4}, {"manual_flush", 5},  {"manual_refill", 6}};
inline constexpr EnumName kPostOutcomeNames[] = {{"sent", 0}, {"failed", 1}, {"suppressed", 2}, {"skipped", 3}};
inline constexpr EnumName kStageNames[] = {{"ingest", 0}, {"detector", 1}, {"store", 2}, {"tweet", 3}};
inline constexpr EnumName kUpaStateNames[] = {{"STOP", 2},    {"SHUTDOWN", 4}, {"MAINTENANCE", 8}, {"NORMAL", 16},
                                              {"STANDBY", 32}, {"IDLE", 64},    {"INITIALIZED", 128}};

// ---------------------------------------------------------------- disk types
template <std::size_t N>
struct FixedText {
  char bytes[N];
};
template <class M, class = void>
struct DiskOf {
  using type = M;
};
template <class M>
struct DiskOf<M, std::enable_if_t<std::is_enum_v<M>>> {
  using type = std::underlying_type_t<M>;
};
template <>
struct DiskOf<bool> {
  using type = std::uint8_t;
};
template <>
struct DiskOf<std::string> {
  using type = FixedText<kPostTextBytes>;
};

template <class D>
constexpr F disk_code() {
  if constexpr (std::is_same_v<D, double>) return F::f64;
  else if constexpr (std::is_same_v<D, float>) return F::f32;
  else if constexpr (std::is_same_v<D, std::uint64_t>) return F::u64;
  else if constexpr (std::is_same_v<D, std::uint32_t>) return F::u32;
  else if constexpr (std::is_same_v<D, std::uint16_t>) return F::u16;
  else if constexpr (std::is_same_v<D, std::uint8_t>) return F::u8;
  else if constexpr (std::is_same_v<D, std::int32_t>) return F::i32;
  else {
    static_assert(std::is_same_v<D, FixedText<kPostTextBytes>>, "no HDF5 type for this field");
    return F::text320;
  }
}

// One field: member `member` of Rec, stored as D.
template <class Rec, class M, class D>
struct Col {
  using disk = D;
  const char* name;
  M Rec::*member;
  Check check;
  EnumNames names;
};

template <class D = void, class Rec, class M>
constexpr auto col(const char* name, M Rec::*member, Check check = Check::none) {
  using Disk = std::conditional_t<std::is_void_v<D>, typename DiskOf<M>::type, D>;
  return Col<Rec, M, Disk>{name, member, check, {}};
}
template <class Rec, class M, std::size_t N>
constexpr auto enum_col(const char* name, M Rec::*member, const EnumName (&names)[N]) {
  return Col<Rec, M, typename DiskOf<M>::type>{name, member, Check::none, {names, N}};
}

// ---------------------------------------------------------------- the records
template <class Rec>
struct RecordTraits;

// /telemetry/ITEM, one dataset per named item (kTelemetryPaths).
template <>
struct RecordTraits<TelemetryRow> {
  static constexpr const char* path = nullptr;
  static constexpr const char* units = "t_s: s; t_emit_s: s; iss_time_h: h; value: item unit; seq: 1; status: Status.Class";
  using R = TelemetryRow;
  static constexpr auto fields =
      std::make_tuple(col("t_s", &R::t_s, Check::time), col("t_emit_s", &R::t_emit_s, Check::time_or_nan),
                      col("iss_time_h", &R::iss_time_h, Check::not_inf), col("value", &R::value, Check::not_inf),
                      col("seq", &R::seq), col("status", &R::status));
};
inline constexpr const char* kTelemetryPaths[kNamedItems] = {"/telemetry/NODE3000005", "/telemetry/NODE3000004",
                                                             "/telemetry/NODE3000008", "/telemetry/NODE3000009",
                                                             "/telemetry/TIME_000001"};

template <>
struct RecordTraits<StageTimes> {
  static constexpr const char* path = "/pipeline/stages";
  static constexpr const char* units = "seq: 1; item: ItemId; fate: UpdateFate; t_*_s: s (NaN: stage not reached)";
  using R = StageTimes;
  static constexpr auto fields = std::make_tuple(
      col("seq", &R::seq), col("item", &R::item), enum_col("fate", &R::fate, kUpdateFateNames),
      col("t_emit_s", &R::t_emit_s, Check::time_or_nan), col("t_published_s", &R::t_published_s, Check::time_or_nan),
      col("t_received_s", &R::t_received_s, Check::time_or_nan),
      col("t_ingested_s", &R::t_ingested_s, Check::time_or_nan),
      col("t_detected_s", &R::t_detected_s, Check::time_or_nan), col("t_stored_s", &R::t_stored_s, Check::time_or_nan));
};

template <>
struct RecordTraits<Detection> {
  static constexpr const char* path = "/pipeline/detections";
  static constexpr const char* units = "id: 1; *_s: s; size_pct: %; size_ml: mL; kind: DetectionKind; confidence: 0..1";
  using R = Detection;
  static constexpr auto fields = std::make_tuple(
      col("id", &R::id), col("onset_s", &R::onset_s, Check::time), col("onset_lo_s", &R::onset_lo_s, Check::time_or_nan),
      col("end_s", &R::end_s, Check::time_or_nan), col("emitted_s", &R::emitted_s, Check::time_or_nan),
      col("size_pct", &R::size_pct, Check::not_inf), col("size_ml", &R::size_ml, Check::not_inf),
      enum_col("kind", &R::kind, kDetectionKindNames), col("confidence", &R::confidence));
};

template <>
struct RecordTraits<Post> {
  static constexpr const char* path = "/pipeline/posts";
  static constexpr const char* units =
      "detection_id: 1; t_*_s: s; attempts: 1; outcome: PostOutcome; text: UTF-8, 320 bytes null-padded";
  using R = Post;
  static constexpr auto fields = std::make_tuple(
      col("detection_id", &R::detection_id), col("t_detected_s", &R::t_detected_s, Check::time_or_nan),
      col("t_first_attempt_s", &R::t_first_attempt_s, Check::time_or_nan),
      col("t_done_s", &R::t_done_s, Check::time_or_nan), col("attempts", &R::attempts),
      enum_col("outcome", &R::outcome, kPostOutcomeNames), col("text", &R::text));
};

template <>
struct RecordTraits<QueueSample> {
  static constexpr const char* path = "/pipeline/queues";
  static constexpr const char* units = "t_s: s; stage: Stage; depth: messages; depth_max: messages";
  using R = QueueSample;
  static constexpr auto fields = std::make_tuple(col("t_s", &R::t_s, Check::time), enum_col("stage", &R::stage, kStageNames),
                                                 col("depth", &R::depth), col("depth_max", &R::depth_max));
};

template <>
struct RecordTraits<VoidEvent> {
  static constexpr const char* path = "/truth/voids";
  static constexpr const char* units = "onset_s: s; end_s: s; crew: index; urine_ml: mL; flush_ml: mL; reaches_tank: 0/1";
  using R = VoidEvent;
  static constexpr auto fields =
      std::make_tuple(col("onset_s", &R::onset_s, Check::time), col("end_s", &R::end_s, Check::time_or_nan),
                      col("crew", &R::crew), col("urine_ml", &R::urine_ml, Check::not_inf),
                      col("flush_ml", &R::flush_ml, Check::not_inf), col("reaches_tank", &R::reaches_tank));
};

template <>
struct RecordTraits<UpaStateChange> {
  static constexpr const char* path = "/truth/upa_states";
  static constexpr const char* units = "t_s: s; state: UpaState";
  using R = UpaStateChange;
  static constexpr auto fields = std::make_tuple(col("t_s", &R::t_s, Check::time), enum_col("state", &R::state, kUpaStateNames));
};

template <>
struct RecordTraits<LosWindow> {
  static constexpr const char* path = "/truth/los";
  static constexpr const char* units = "start_s: s; end_s: s";
  using R = LosWindow;
  static constexpr auto fields = std::make_tuple(col("start_s", &R::start_s, Check::time), col("end_s", &R::end_s, Check::time));
};

template <>
struct RecordTraits<TankFullEpisode> {
  static constexpr const char* path = "/truth/tank_full";
  static constexpr const char* units = "start_s: s; end_s: s; spilled_ml: mL";
  using R = TankFullEpisode;
  static constexpr auto fields = std::make_tuple(col("start_s", &R::start_s, Check::time),
                                                 col("end_s", &R::end_s, Check::time_or_nan),
                                                 col("spilled_ml", &R::spilled_ml, Check::not_inf));
};

template <>
struct RecordTraits<TankPoint> {
  static constexpr const char* path = "/truth/tank";
  static constexpr const char* units = "t_s: s; volume_ml: mL; level_pct: %";
  using R = TankPoint;
  static constexpr auto fields = std::make_tuple(col("t_s", &R::t_s, Check::time), col("volume_ml", &R::volume_ml, Check::not_inf),
                                                 col("level_pct", &R::level_pct, Check::not_inf));
};

template <>
struct RecordTraits<CrewStateChange> {
  static constexpr const char* path = "/truth/crew";
  static constexpr const char* units = "t_s: s; crew: index; awake: 1 awake, 0 asleep";
  using R = CrewStateChange;
  static constexpr auto fields =
      std::make_tuple(col("t_s", &R::t_s, Check::time), col("crew", &R::crew, Check::crew), col("awake", &R::awake));
};

template <>
struct RecordTraits<BulkTransfer> {
  static constexpr const char* path = "/truth/bulk_transfers";
  static constexpr const char* units = "onset_s: s; end_s: s; volume_ml: mL";
  using R = BulkTransfer;
  static constexpr auto fields = std::make_tuple(col("onset_s", &R::onset_s, Check::time),
                                                 col("end_s", &R::end_s, Check::time_or_nan),
                                                 col("volume_ml", &R::volume_ml, Check::not_inf));
};

// Format 1.1: the per-stage latency summaries (written by finish()).
template <>
struct RecordTraits<StageHistBin> {
  static constexpr const char* path = "/pipeline/stage_hist";
  static constexpr const char* units =
      "quantity: stage latency index (feed, ingest, detector, store, ingest_to_dashboard, "
      "ingest_to_persisted); lo_s, hi_s: s (bin [lo, hi)); count: delivered updates";
  using R = StageHistBin;
  static constexpr auto fields = std::make_tuple(col<std::uint8_t>("quantity", &R::quantity), col("lo_s", &R::lo_s),
                                                 col("hi_s", &R::hi_s), col("count", &R::count));
};

template <>
struct RecordTraits<StageBucket> {
  static constexpr const char* path = "/pipeline/stage_series";
  static constexpr const char* units =
      "t_s: s (bucket start, by t_received; bucket_s wide); quantity: as stage_hist; count: 1; "
      "min_s, max_s, mean_s: s; row_first, row_last: /pipeline/stages row indices";
  using R = StageBucket;
  static constexpr auto fields = std::make_tuple(
      col("t_s", &R::t_s, Check::time), col<std::uint8_t>("quantity", &R::quantity), col("count", &R::count),
      col("min_s", &R::min_s, Check::not_inf), col("max_s", &R::max_s, Check::not_inf),
      col("mean_s", &R::mean_s, Check::not_inf), col("row_first", &R::row_first), col("row_last", &R::row_last));
};

// ---------------------------------------------------------------- packing
// Copies `text` into a fixed field, cutting at a UTF-8 character boundary.
inline void copy_utf8(char* dst, std::size_t cap, const std::string& text) {
  std::size_t n = text.size();
  if (n > cap) {
    n = cap;
    // Back up over continuation bytes (10xxxxxx) so the cut falls before a lead byte.
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  }
  std::memcpy(dst, text.data(), n);
  std::memset(dst + n, 0, cap - n);
}

inline std::string from_fixed(const char* src, std::size_t cap) {
  std::size_t n = 0;
  while (n < cap && src[n] != '\0') ++n;
  return std::string(src, n);
}

template <class D>
inline constexpr bool kIsText = std::is_same_v<D, FixedText<kPostTextBytes>>;

template <class Rec, class M, class D>
void store(const Col<Rec, M, D>& c, const Rec& r, unsigned char* p) {
  if constexpr (kIsText<D>) {
    copy_utf8(reinterpret_cast<char*>(p), sizeof(D), r.*c.member);
  } else {
    const D v = static_cast<D>(r.*c.member);
    std::memcpy(p, &v, sizeof v);
  }
}

template <class Rec, class M, class D>
void load(const Col<Rec, M, D>& c, Rec& r, const unsigned char* p) {
  if constexpr (kIsText<D>) {
    r.*c.member = from_fixed(reinterpret_cast<const char*>(p), sizeof(D));
  } else {
    D v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::is_same_v<M, bool>) r.*c.member = v != 0;
    else r.*c.member = static_cast<M>(v);
  }
}

// Bytes of one packed row of Rec.
template <class Rec>
constexpr std::size_t row_bytes() {
  return std::apply([](const auto&... c) { return (sizeof(typename std::decay_t<decltype(c)>::disk) + ... + 0); },
                    RecordTraits<Rec>::fields);
}

// Writes `r` as one packed row at `dst` (row_bytes<Rec>() bytes).
template <class Rec>
void pack(const Rec& r, unsigned char* dst) {
  std::apply(
      [&](const auto&... c) {
        std::size_t off = 0;
        ((store(c, r, dst + off), off += sizeof(typename std::decay_t<decltype(c)>::disk)), ...);
      },
      RecordTraits<Rec>::fields);
}

// Reads one packed row at `src` into a Rec (members not described keep their defaults).
template <class Rec>
Rec unpack(const unsigned char* src) {
  Rec r{};
  std::apply(
      [&](const auto&... c) {
        std::size_t off = 0;
        ((load(c, r, src + off), off += sizeof(typename std::decay_t<decltype(c)>::disk)), ...);
      },
      RecordTraits<Rec>::fields);
  return r;
}

// ---------------------------------------------------------------- run-time view
// A table's description as data (the HDF5 types, validation, docs check).
struct Field {
  const char* name;
  std::size_t offset;  // in the packed row
  std::size_t bytes;   // on disk (sizeof the disk type)
  F type;
  Check check = Check::none;
  EnumNames names;  // non-empty: an HDF5 enum type
};

struct Schema {
  const char* path;  // absolute dataset path
  std::size_t rec_size;
  std::vector<Field> fields;
  const char* units;  // the dataset's `units` attribute
};

template <class Rec>
Schema schema_of(const char* path = RecordTraits<Rec>::path) {
  Schema s{path, row_bytes<Rec>(), {}, RecordTraits<Rec>::units};
  std::apply(
      [&](const auto&... c) {
        std::size_t off = 0;
        ((s.fields.push_back(Field{c.name, off, sizeof(typename std::decay_t<decltype(c)>::disk),
                                   disk_code<typename std::decay_t<decltype(c)>::disk>(), c.check, c.names}),
          off += s.fields.back().bytes),
         ...);
      },
      RecordTraits<Rec>::fields);
  return s;
}

// Every table of a trace, in this order.
enum TableId : int {
  kTelemetry0 = 0,  // + ItemId, kNamedItems of them
  kStagesT = kNamedItems,
  kDetectionsT,
  kPostsT,
  kQueuesT,
  kVoidsT,
  kUpaT,
  kLosT,
  kTankFullT,
  kTankT,
  kCrewT,
  kBulkT,
  kStageHistT,  // format 1.1
  kStageSeriesT,
  kTableCount
};
const std::vector<Schema>& schemas();  // indexed by TableId

// The field's type as docs/trace-format.md writes it: "float64", "enum (uint8)", "320-byte string".
std::string type_text(const Field& f);

// The same table with only the named fields, packed in the order given.
Schema subset(const Schema& s, const std::vector<const char*>& names);

// %.17g: a value as an error message shows it.
std::string number_text(double x);

// Checks rows [first, first + count) of a table, packed as `s` describes, for
// every field with a Check; throws TraceError naming file, dataset, row and field.
void validate_rows(const Schema& s, const unsigned char* rows, std::uint64_t first, std::size_t count,
                   const std::string& file);

}  // namespace peebot::trace_schema
