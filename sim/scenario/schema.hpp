// The scenario schema, internal to sim/scenario: one Key per scenario key
// (path, type, unit, range, description, and the binder that sets and gets
// it on a Scenario), the cross-field rules, and the conversion of one TOML
// value into a checked Value. schema.cpp holds the table, values.cpp the
// conversion and rendering, scenario.cpp the loader, the writer and the docs
// reference built from them.
#pragma once
#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scenario.hpp"

namespace peebot::scenario_schema {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

enum class Type { String, Integer, Number, Boolean, Duration, TimeOfDay, UtcTime, Enum, Windows, CrewPeriods, Faults };

struct Range {
  double lo = -kInf, hi = kInf;
  bool lo_open = false, hi_open = false;
};

// A checked value, ready for a binder.
struct Value {
  double num = 0;            // Number, Duration, TimeOfDay (s of day), UtcTime (Unix s)
  std::int64_t integer = 0;  // Integer
  bool boolean = false;      // Boolean
  std::string text;          // String, Enum; the source text of Duration/TimeOfDay/UtcTime
  std::vector<LosWindow> windows;
  std::vector<CrewPeriod> periods;  // CrewPeriods
  std::vector<FaultSpec> faults;    // Faults
  std::vector<std::uint32_t> fault_lines;  // Faults: the line of each table
};

struct Key {
  std::string path;         // "crew.size"
  Type type = Type::String;
  std::string unit;         // for the docs; "" when the type says it all
  Range range;
  std::vector<std::string> choices;  // Enum
  std::string description;
  bool required = false;
  std::string missing_expected;      // for required keys: "a duration like \"7d\""
  std::function<void(Scenario&, const Value&)> set;
  std::function<Value(Scenario&)> get;

  std::string section() const { return path.substr(0, path.rfind('.')); }
  std::string leaf() const { return path.substr(path.rfind('.') + 1); }
};

// A cross-field rule: checked after the file and all overrides are applied.
struct Rule {
  std::vector<std::string> keys;  // the keys involved; the error is reported at the last one set
  std::string description;        // for the docs
  // Returns {what was wrong, expected what} on violation.
  std::function<std::optional<std::pair<std::string, std::string>>(const Scenario&)> check;
};

// The table, in docs order.
const std::vector<Key>& schema();
const std::vector<Rule>& rules();
// The key at `path`, or nullptr.
const Key* find_key(const std::string& path);
// Section paths in schema order ("scenario", "crew", ..., "pipeline", "pipeline.ingest", ...).
const std::vector<std::string>& sections();
bool is_section(const std::string& path);

// A value that does not fit its key: what was wrong and what was expected.
struct Bad {
  std::string what, expected;
  std::uint32_t line = 0;  // when set, overrides the line of the key (array elements)
};

inline std::uint32_t line_of(const toml::node& n) { return n.source().begin.line; }

// A TOML value checked against its key (type, range, the fields of a fault). Throws Bad.
Value convert(const Key& k, const toml::node& n);
// A value as TOML source text, which convert() reads back to the same value.
std::string render(const Key& k, const Value& v);
// A string as a TOML basic string.
std::string quote(const std::string& s);
// "in 1 .. 20", "> 0s and <= 365d", ">= 0"; docs=true gives the table form "1 .. 20", "> 0s, <= 365d".
std::string range_text(const Key& k, bool docs);
// The type as the docs name it ("duration", "array of tables", ...).
std::string type_name(const Key& k);
// "got the string \"x\"", "got an array", ...: what a TOML value is, for errors.
std::string got(const toml::node& n);

// The fields of a [[faults]] table: what the loader accepts and the docs list.
struct FaultFieldDef {
  const char* name;
  unsigned bit;        // FaultField; 0 for the fields every kind has
  const char* type;    // for the docs
  const char* range;   // for the docs and range errors
  const char* description;
};
const std::vector<FaultFieldDef>& fault_fields();

}  // namespace peebot::scenario_schema
