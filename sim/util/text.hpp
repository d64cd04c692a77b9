// Text from an input file, a server or a client, made safe to print: the one
// helper every message that quotes outside bytes goes through (scenario names,
// import errors, serve's request log, ...). docs/security.md.
#pragma once
#include <string>
#include <string_view>

namespace peebot {

// `s` with every control byte (0x00-0x1F, 0x7F) and every byte of an invalid
// UTF-8 sequence written as \xHH (and '\\' as "\\\\"), so that nothing an
// input holds can move the cursor, clear the screen, set a terminal title,
// start a new log line or break a UTF-8 terminal. Valid UTF-8 text (including
// non-ASCII letters) passes unchanged; escaping is one to one, so the original
// bytes can be read back from the output. At most `max_bytes` of input are
// shown; longer input ends in "...(N more bytes)".
std::string printable(std::string_view s, std::size_t max_bytes = 4096);

}  // namespace peebot
