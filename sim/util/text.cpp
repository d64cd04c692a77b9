#include "text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace peebot {

namespace {
// Length of the valid UTF-8 sequence starting at s[i] (0: not valid).
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned c = b(i);
  std::size_t n = 0;
  unsigned min = 0;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  // C1 controls (U+0080..U+009F) act as terminal controls too.
  if (cp >= 0x80 && cp <= 0x9F) return 0;
  return n;
}
}  // namespace

std::string printable(std::string_view s, std::size_t max_bytes, bool keep_newlines) {
  const std::size_t shown = s.size() < max_bytes ? s.size() : max_bytes;
  std::string out;
  out.reserve(shown + 16);
  char hex[8];
  for (std::size_t i = 0; i < shown;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c >= 0x20 && c < 0x7F) || (c == '\n' && keep_newlines)) {
      out += static_cast<char>(c);
      ++i;
    } else if (const std::size_t n = c >= 0x80 ? utf8_len(s, i) : 0; n > 0 && i + n <= shown) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
      ++i;
    }
  }
  if (shown < s.size()) out += "...(" + std::to_string(s.size() - shown) + " more bytes)";
  return out;
}

std::string shortest_number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string readable_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

}  // namespace peebot
