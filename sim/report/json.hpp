// A small JSON reader (the files peebot itself writes: reports, eval figures,
// sweep points) and the string escaping the writers share. Members keep their
// order in the text.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace peebot {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double num = 0.0;
  std::string text;                                       // kString
  std::vector<JsonValue> items;                           // kArray
  std::vector<std::pair<std::string, JsonValue>> members; // kObject, in text order

  bool is_object() const { return kind == Kind::kObject; }
  // The member named k, or nullptr (also when this is not an object).
  const JsonValue* find(const std::string& k) const;
  // A number as a double: true/false are 1/0, anything else NaN.
  double number() const;
};

// Parses one JSON value (RFC 8259; \u escapes outside ASCII are written as
// UTF-8). Throws std::runtime_error "JSON: <what> at offset N".
JsonValue parse_json(const std::string& text);

// s as the inside of a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_escape(const std::string& s);

}  // namespace peebot
