// libFuzzer target for the JSON reader (sim/report/json.hpp), which reads
// untrusted baselines, point files and API answers: any input is a document
// or a std::runtime_error, never a crash, a hang or a runaway allocation; and
// a document it accepts is written by dump_json and read back unchanged.
// Built and run by scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/report/json.hpp"

using namespace peebot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Small limits, so that the fuzzer reaches them with short inputs.
  JsonLimits limits;
  limits.max_bytes = 2048;
  limits.max_depth = 8;
  limits.max_values = 64;
  Json doc;
  try {
    doc = parse_json(in, "fuzz", limits);
  } catch (const std::runtime_error&) {
    return 0;
  }
  for (int indent : {-1, 2}) {
    const std::string text = dump_json(doc, indent);
    JsonLimits wide = limits;
    wide.max_bytes = 1u << 20;  // the indented form is longer than the input
    const Json back = parse_json(text, "dump", wide);  // throws (a finding) when the writer writes what the reader refuses
    if (back != doc) std::abort();
  }
  return 0;
}
