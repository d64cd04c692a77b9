#include "json.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace peebot {

const JsonValue* JsonValue::find(const std::string& k) const {
  for (const auto& [name, v] : members)
    if (name == k) return &v;
  return nullptr;
}

double JsonValue::number() const {
  if (kind == Kind::kNumber) return num;
  if (kind == Kind::kBool) return boolean ? 1.0 : 0.0;
  return NAN;
}

namespace {

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  JsonValue parse() {
    JsonValue v = value(0);
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
  }
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void utf8(std::string& o, unsigned cp) {
    if (cp < 0x80) {
      o += static_cast<char>(cp);
    } else if (cp < 0x800) {
      o += static_cast<char>(0xC0 | (cp >> 6));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      o += static_cast<char>(0xE0 | (cp >> 12));
      o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      o += static_cast<char>(0xF0 | (cp >> 18));
      o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("short \\u escape");
    unsigned cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= static_cast<unsigned>(c - 'A' + 10);
      else fail("bad \\u escape");
    }
    return cp;
  }
  std::string string() {
    if (!at('"')) fail("expected a string");
    ++i_;
    std::string o;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return o;
      if (c != '\\') { o += c; continue; }
      if (i_ >= s_.size()) fail("unterminated string");
      const char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': o += e; break;
        case 'b': o += '\b'; break;
        case 'f': o += '\f'; break;
        case 'n': o += '\n'; break;
        case 'r': o += '\r'; break;
        case 't': o += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {
            i_ += 2;
            const unsigned lo = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(o, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
  }
  JsonValue value(int depth) {
    if (depth > 200) fail("nested too deep");
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    JsonValue v;
    if (at('{')) {
      v.kind = JsonValue::Kind::kObject;
      ++i_;
      ws();
      if (at('}')) { ++i_; return v; }
      for (;;) {
        ws();
        std::string k = string();
        ws();
        if (!at(':')) fail("expected ':'");
        ++i_;
        v.members.emplace_back(std::move(k), value(depth + 1));
        ws();
        if (at(',')) { ++i_; continue; }
        if (at('}')) { ++i_; return v; }
        fail("expected ',' or '}'");
      }
    }
    if (at('[')) {
      v.kind = JsonValue::Kind::kArray;
      ++i_;
      ws();
      if (at(']')) { ++i_; return v; }
      for (;;) {
        v.items.push_back(value(depth + 1));
        ws();
        if (at(',')) { ++i_; continue; }
        if (at(']')) { ++i_; return v; }
        fail("expected ',' or ']'");
      }
    }
    if (at('"')) {
      v.kind = JsonValue::Kind::kString;
      v.text = string();
      return v;
    }
    if (s_.compare(i_, 4, "null") == 0) { i_ += 4; return v; }
    if (s_.compare(i_, 4, "true") == 0) { i_ += 4; v.kind = JsonValue::Kind::kBool; v.boolean = true; return v; }
    if (s_.compare(i_, 5, "false") == 0) { i_ += 5; v.kind = JsonValue::Kind::kBool; return v; }
    const char c = s_[i_];
    if (c != '-' && !std::isdigit(static_cast<unsigned char>(c))) fail("expected a value");
    char* end = nullptr;
    v.kind = JsonValue::Kind::kNumber;
    v.num = std::strtod(s_.c_str() + i_, &end);
    if (end == s_.c_str() + i_) fail("expected a value");
    i_ = static_cast<std::size_t>(end - s_.c_str());
    return v;
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

}  // namespace

JsonValue parse_json(const std::string& text) { return Reader(text).parse(); }

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace peebot
