// JSON through nlohmann::ordered_json (members keep their order in the text and
// in what peebot writes): one hardened reader for everything peebot parses
// (its own reports, eval figures, sweep and eval point files, baselines, and
// API answers from the outside), and the number and dump conventions every
// writer shares. docs/security.md.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace peebot {

using Json = nlohmann::ordered_json;

struct JsonLimits {
  std::size_t max_bytes = 16u << 20;  // longer text is refused before parsing
  int max_depth = 64;                 // arrays and objects nested deeper are refused while parsing
  std::size_t max_values = 1000000;   // values (members and elements, containers included) in all: the
                                      // document's memory is bounded by this, not by 16 MiB x ~20
};

// Parses one JSON document (RFC 8259) from untrusted text. Refuses, with a
// std::runtime_error "<source>: <what> (expected ...)": text over
// limits.max_bytes, nesting deeper than limits.max_depth, more than
// limits.max_values values, a number that is not
// finite once read (1e999) or not JSON (-inf, NaN), an unpaired UTF-16
// surrogate, invalid UTF-8, a duplicate member name, anything after the
// value. Quoted input in the message is made printable (util/text).
Json parse_json(std::string_view text, std::string_view source = "JSON", const JsonLimits& limits = {});

// The member `k` of `j`, or nullptr (also when `j` is not an object).
const Json* json_find(const Json& j, std::string_view k);
// A number as a double (true/false are 1/0); anything else NaN.
double json_double(const Json& j);

// A double as peebot writes it: null for NaN and infinities; otherwise the
// shortest text that reads back to the same double (util/text's
// shortest_number), so an integral value prints as an integer ("2", not "2.0").
Json json_number(double v);

// `j` as text: 2-space indentation (indent < 0: one line), UTF-8 passed
// through, invalid UTF-8 replaced by U+FFFD, then a newline when `newline`.
std::string dump_json(const Json& j, int indent = 2, bool newline = true);

}  // namespace peebot
