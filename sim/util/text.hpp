// Text from an input file, a server or a client, made safe to print: the one
// helper every message that quotes outside bytes goes through (scenario names,
// import errors, serve's request log, ...). docs/security.md.
#pragma once
#include <string>
#include <string_view>

namespace peebot {

// `s` with every control byte (0x00-0x1F, 0x7F) and every byte of an invalid
// UTF-8 sequence written as \xHH, so that nothing an input holds can move the
// cursor, clear the screen, set a terminal title, start a new log line or
// break a UTF-8 terminal. Valid UTF-8 text (including non-ASCII letters)
// passes unchanged, and so does a backslash: escaping twice (a quoted line
// inside an error message that is escaped again) changes nothing. At most `max_bytes` of input are
// shown; longer input ends in "...(N more bytes)". With `keep_newlines`, '\n'
// passes (a multi-line message: an error that quotes a child's stderr).
std::string printable(std::string_view s, std::size_t max_bytes = 4096, bool keep_newlines = false);

// For error messages as a whole (main's handlers): newlines kept, 64 KiB at most.
inline std::string printable_message(std::string_view s) { return printable(s, 64 * 1024, true); }

// The shortest decimal text that reads back to the same double (std::to_chars:
// "42", "0.1", "1e+20"; "inf", "-inf", "nan" as to_chars spells them). Every
// number peebot prints for another program (JSON, CSV, TLCP fields) goes
// through it.
std::string shortest_number(double v);

// A number for a person to read back: at most 12 significant digits ("%.12g":
// "0.21", "1e+20"), "inf", "-inf", "nan". Scenario files, durations and
// error messages use it; machine-read output uses shortest_number().
std::string readable_number(double v);

}  // namespace peebot
