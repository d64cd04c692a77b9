#include "tlcp.hpp"

#include "../util/text.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace peebot::tlcp {

namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
         c == ' ' || c == ':' || c == '/' || c == '*' || c == '(' || c == ')' || c == '!' || c == '~' || c == '\'' ||
         c == ';' || c == '@' || c == '[' || c == ']' || c == '{' || c == '}' || c == '"' || c == '<' || c == '>' ||
         c == '?' || c == '`' || c == '\\';
}

// Outside text in an error message: control bytes, C1 controls and invalid UTF-8 escaped (util/text).
std::string quote(std::string_view s) { return "\"" + printable(s, 80) + "\""; }

bool is_request_name(std::string_view s) {
  static const char* const kNames[] = {"wsok", "create_session", "bind_session", "control", "msg", "heartbeat",
                                       "destroy", "force_rebind", "send_log"};
  for (const char* n : kNames)
    if (s == n) return true;
  return false;
}

}  // namespace

void percent_decode_into(std::string_view s, std::string& out) {
  const std::size_t first = s.find('%');
  if (first == std::string_view::npos) { out.assign(s.data(), s.size()); return; }  // the usual case: nothing escaped
  for (std::size_t i = first; i < s.size(); ++i) {  // check every escape before writing anything
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
      throw ProtocolError("bad percent escape at byte " + std::to_string(i) + " of " + quote(s) +
                          " (expected %XX with two hex digits)");
    i += 2;
  }
  out.assign(s.data(), first);
  for (std::size_t i = first; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '%') { out += c; continue; }
    out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
    i += 2;
  }
}

std::string percent_decode(std::string_view s) {
  std::string out;
  percent_decode_into(s, out);
  return out;
}

void percent_encode_append(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789ABCDEF";
  struct Table {  // bytes sent as they are
    bool keep[256];
    Table() : keep{} { for (int c = 0; c < 256; ++c) keep[c] = plain(static_cast<unsigned char>(c)) && c != ' '; }
  };
  static const Table t;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && t.keep[static_cast<unsigned char>(s[j])]) ++j;
    out.append(s.data() + i, j - i);  // a run of plain bytes at once
    if (j == s.size()) break;
    const auto c = static_cast<unsigned char>(s[j]);
    const char esc[3] = {'%', kHex[c >> 4], kHex[c & 15]};
    out.append(esc, 3);
    i = j + 1;
  }
}

std::string percent_encode(std::string_view s) {
  std::string out;
  percent_encode_append(s, out);
  return out;
}

const std::string* Request::get(std::string_view key) const {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> parse_params(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t amp = body.find('&', start);
    if (amp == std::string_view::npos) amp = body.size();
    const std::string_view kv = body.substr(start, amp - start);
    if (!kv.empty()) {
      const std::size_t eq = kv.find('=');
      if (eq == std::string_view::npos || eq == 0)
        throw ProtocolError("bad request parameter " + quote(kv) + " (expected key=value)");
      out.emplace_back(std::string(kv.substr(0, eq)), percent_decode(kv.substr(eq + 1)));
    }
    if (amp == body.size()) break;
    start = amp + 1;
  }
  return out;
}

std::string encode_params(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    percent_encode_append(v, out);
  }
  return out;
}

std::vector<Request> parse_ws_requests(std::string_view frame) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < frame.size()) {
    std::size_t nl = frame.find('\n', start);
    const bool last = nl == std::string_view::npos;
    if (last) nl = frame.size();
    std::size_t end = nl;
    if (end > start && frame[end - 1] == '\r') --end;
    lines.push_back(frame.substr(start, end - start));
    start = nl + 1;
  }
  std::vector<Request> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    if (!is_request_name(lines[i]))
      throw ProtocolError("line " + std::to_string(i + 1) + " of the frame: unknown request " + quote(lines[i]) +
                          " (expected wsok, create_session, bind_session, control, msg or heartbeat)");
    Request r;
    r.name = std::string(lines[i]);
    if (i + 1 < lines.size() && !lines[i + 1].empty() && !is_request_name(lines[i + 1])) {
      r.params = parse_params(lines[i + 1]);
      ++i;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string encode_ws_request(const Request& r) {
  std::string s = r.name;
  s += "\r\n";
  s += encode_params(r.params);
  return s;
}

Notification parse_notification(std::string_view line) {
  Notification n;
  parse_notification(line, n);
  return n;
}

void parse_notification(std::string_view line, Notification& n) {
  n.tag = Tag::kUnknown;
  n.args.clear();
  if (line.empty()) throw ProtocolError("empty notification line");
  std::size_t comma = line.find(',');
  n.name = line.substr(0, comma);
  struct T { const char* name; Tag tag; int min_args; };
  static const T kTags[] = {
      {"U", Tag::kUpdate, 3},     {"CONOK", Tag::kConok, 4},   {"CONERR", Tag::kConerr, 2}, {"SERVNAME", Tag::kServname, 1},
      {"CLIENTIP", Tag::kClientip, 1}, {"CONS", Tag::kCons, 1}, {"WSOK", Tag::kWsok, 0},    {"REQOK", Tag::kReqok, 0},
      {"REQERR", Tag::kReqerr, 3}, {"ERROR", Tag::kError, 2},   {"SUBOK", Tag::kSubok, 3},   {"SUBCMD", Tag::kSubcmd, 5},
      {"CONF", Tag::kConf, 3},     {"UNSUB", Tag::kUnsub, 1},   {"EOS", Tag::kEos, 2},       {"CS", Tag::kCs, 2},
      {"OV", Tag::kOv, 3},         {"PROBE", Tag::kProbe, 0},   {"NOOP", Tag::kNoop, 0},     {"SYNC", Tag::kSync, 1},
      {"LOOP", Tag::kLoop, 1},     {"END", Tag::kEnd, 2},       {"PROG", Tag::kProg, 1},     {"MSGDONE", Tag::kMsgdone, 2},
      {"MSGFAIL", Tag::kMsgfail, 4},
  };
  const T* found = nullptr;
  for (const auto& t : kTags)
    if (n.name == t.name) { found = &t; break; }
  if (!found) { n.tag = Tag::kUnknown; return; }
  n.tag = found->tag;
  // U: "U,<sub>,<item>,<values>" — the value list may itself hold commas only
  // percent-encoded, but is taken whole as the rest of the line.
  const int max_split = n.tag == Tag::kUpdate ? 3 : (n.tag == Tag::kEnd || n.tag == Tag::kConerr || n.tag == Tag::kError) ? 2
                       : n.tag == Tag::kReqerr ? 3 : 1 << 20;
  while (comma != std::string_view::npos) {
    const std::size_t from = comma + 1;
    if (static_cast<int>(n.args.size()) + 1 == max_split) { n.args.push_back(line.substr(from)); break; }
    comma = line.find(',', from);
    n.args.push_back(line.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from));
  }
  if (static_cast<int>(n.args.size()) < found->min_args)
    throw ProtocolError(std::string(found->name) + " with " + std::to_string(n.args.size()) + " argument(s), expected at least " +
                        std::to_string(found->min_args) + ": " + quote(line));
}

bool is_data_notification(Tag t) {
  switch (t) {
    case Tag::kUpdate: case Tag::kEos: case Tag::kCs: case Tag::kOv: case Tag::kSubok: case Tag::kSubcmd:
    case Tag::kUnsub: case Tag::kConf: case Tag::kMsgdone: case Tag::kMsgfail: return true;
    default: return false;
  }
}

ItemState::ItemState(int items, int fields)
    : items_(items), fields_(fields),
      v_(static_cast<std::size_t>(items) * static_cast<std::size_t>(fields)),
      seen_(static_cast<std::size_t>(items), 0) {
  if (items <= 0 || fields <= 0) throw ProtocolError("subscription with " + std::to_string(items) + " items and " +
                                                     std::to_string(fields) + " fields (expected at least one of each)");
}

const std::optional<std::string>& ItemState::value(int item, int field) const {
  return v_[static_cast<std::size_t>(item - 1) * static_cast<std::size_t>(fields_) + static_cast<std::size_t>(field)];
}

void ItemState::apply(int item, std::string_view values) {
  if (item < 1 || item > items_)
    throw ProtocolError("update for item " + std::to_string(item) + " of a subscription with " + std::to_string(items_) + " items");
  const bool first = !seen_[static_cast<std::size_t>(item - 1)];
  auto* row = &v_[static_cast<std::size_t>(item - 1) * static_cast<std::size_t>(fields_)];
  int f = 0;
  std::size_t start = 0;
  for (;;) {
    std::size_t bar = values.find('|', start);
    const bool last = bar == std::string_view::npos;
    if (last) bar = values.size();
    const std::string_view tok = values.substr(start, bar - start);
    int unchanged = 0;
    if (tok.empty()) {
      unchanged = 1;
    } else if (tok[0] == '^') {
      if (tok.size() >= 2 && (tok[1] == 'P' || tok[1] == 'T'))
        throw ProtocolError("field " + std::to_string(f + 1) + ": diff-encoded value " + quote(tok) +
                            " (^P/^T), which this client never asks for");
      int n = 0;
      const auto r = std::from_chars(tok.data() + 1, tok.data() + tok.size(), n);
      if (r.ec != std::errc{} || r.ptr != tok.data() + tok.size() || n <= 0)
        throw ProtocolError("field " + std::to_string(f + 1) + ": bad unchanged-run " + quote(tok) + " (expected ^N, N >= 1)");
      unchanged = n;
    } else {
      if (f >= fields_)
        throw ProtocolError("update for item " + std::to_string(item) + " has more than " + std::to_string(fields_) + " fields");
      // Decoded in place: the field's string keeps its capacity (no allocation per update).
      if (tok == "#") row[f].reset();
      else if (tok == "$") { if (row[f]) row[f]->clear(); else row[f].emplace(); }
      else if (row[f]) percent_decode_into(tok, *row[f]);
      else { std::string v; percent_decode_into(tok, v); row[f] = std::move(v); }
      ++f;
    }
    if (unchanged) {
      if (first)
        throw ProtocolError("first update of item " + std::to_string(item) + " leaves field " + std::to_string(f + 1) +
                            " unchanged (a snapshot must carry every field)");
      if (f + unchanged > fields_)
        throw ProtocolError("update for item " + std::to_string(item) + " has more than " + std::to_string(fields_) + " fields");
      f += unchanged;
    }
    if (last) break;
    start = bar + 1;
  }
  if (f != fields_)
    throw ProtocolError("update for item " + std::to_string(item) + " has " + std::to_string(f) + " fields, expected " +
                        std::to_string(fields_));
  seen_[static_cast<std::size_t>(item - 1)] = 1;
}

void encode_update_values(const std::vector<std::optional<std::string>>* prev,
                          const std::vector<std::optional<std::string>>& cur, std::string& out) {
  int run = 0;
  auto flush_run = [&]() {
    if (run == 0) return;
    if (run == 1) { /* empty token */ }
    else { out += '^'; out += std::to_string(run); }
    run = 0;
  };
  bool first_tok = true;
  auto sep = [&]() { if (!first_tok) out += '|'; first_tok = false; };
  for (std::size_t i = 0; i < cur.size(); ++i) {
    if (prev && (*prev)[i] == cur[i]) {
      if (run == 0) sep();
      ++run;
      continue;
    }
    flush_run();
    sep();
    if (!cur[i]) out += '#';
    else if (cur[i]->empty()) out += '$';
    else percent_encode_append(*cur[i], out);
  }
  flush_run();
}

}  // namespace peebot::tlcp
