// The trace's tables as data, from the record traits (schema.hpp), and the
// reader's checks of untrusted rows.
#include "schema.hpp"

#include <cmath>
#include <cstdio>

namespace peebot::trace_schema {

const std::vector<Schema>& schemas() {
  static const std::vector<Schema> all = [] {
    std::vector<Schema> s;
    for (int i = 0; i < kNamedItems; ++i) s.push_back(schema_of<TelemetryRow>(kTelemetryPaths[i]));
    s.push_back(schema_of<StageTimes>());
    s.push_back(schema_of<Detection>());
    s.push_back(schema_of<Post>());
    s.push_back(schema_of<QueueSample>());
    s.push_back(schema_of<VoidEvent>());
    s.push_back(schema_of<UpaStateChange>());
    s.push_back(schema_of<LosWindow>());
    s.push_back(schema_of<TankFullEpisode>());
    s.push_back(schema_of<TankPoint>());
    s.push_back(schema_of<CrewStateChange>());
    s.push_back(schema_of<BulkTransfer>());
    s.push_back(schema_of<StageHistBin>());
    s.push_back(schema_of<StageBucket>());
    return s;
  }();
  return all;
}

std::string type_text(const Field& f) {
  static const char* const kNames[] = {"float64", "float32", "uint64", "uint32", "uint16", "uint8", "int32", "320-byte string"};
  const std::string base = kNames[static_cast<int>(f.type)];
  return f.names.size ? "enum (" + base + ")" : base;
}

Schema subset(const Schema& s, const std::vector<const char*>& names) {
  Schema out{s.path, 0, {}, s.units};
  for (const char* n : names)
    for (const Field& f : s.fields)
      if (std::string(f.name) == n) {
        Field g = f;
        g.offset = out.rec_size;
        out.rec_size += f.bytes;
        out.fields.push_back(g);
      }
  return out;
}

std::string number_text(double x) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", x);
  return b;
}

namespace {

// What is wrong with one field's value (nullptr: nothing). Formats nothing:
// it runs on every value of every row read, the text only on a bad one.
const char* field_problem(const Field& f, const unsigned char* p) {
  if (f.check == Check::crew) {
    std::int32_t c = 0;
    std::memcpy(&c, p, sizeof c);
    return c >= 0 && c < kTraceMaxCrew ? nullptr : "a crew index 0 .. 63";
  }
  if (f.type != F::f64) return nullptr;
  double x = 0;
  std::memcpy(&x, p, sizeof x);
  if (std::isnan(x) && f.check != Check::time) return nullptr;
  switch (f.check) {
    case Check::time:
    case Check::time_or_nan:
      if (std::fabs(x) <= kTraceMaxSpanS) return nullptr;  // false for NaN too
      return f.check == Check::time ? "a finite time in seconds since the epoch, |t| <= 316224000 (10 years)"
                                    : "NaN or a finite time in seconds since the epoch, |t| <= 316224000 (10 years)";
    case Check::not_inf:
      return std::isinf(x) ? "a finite number (or NaN where unknown)" : nullptr;
    default:
      return nullptr;
  }
}

// The text of a field's value, for an error message.
std::string field_text(const Field& f, const unsigned char* p) {
  if (f.check == Check::crew) {
    std::int32_t c = 0;
    std::memcpy(&c, p, sizeof c);
    return std::to_string(c);
  }
  double x = 0;
  std::memcpy(&x, p, sizeof x);
  return number_text(x);
}

}  // namespace

void validate_rows(const Schema& s, const unsigned char* rows, std::uint64_t first, std::size_t count,
                   const std::string& file) {
  for (const Field& f : s.fields) {
    if (f.check == Check::none) continue;
    for (std::size_t i = 0; i < count; ++i)
      if (const char* want = field_problem(f, rows + i * s.rec_size + f.offset))
        throw TraceError("trace '" + file + "': " + s.path + " row " + std::to_string(first + i) + ": " + f.name +
                         " = " + field_text(f, rows + i * s.rec_size + f.offset) + "; expected " + want);
  }
}

}  // namespace peebot::trace_schema
