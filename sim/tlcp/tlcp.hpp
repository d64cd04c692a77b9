// TLCP 2.5 (Text Lightstreamer Client Protocol): the pure codec, no I/O.
// Both ends use it: our client (peebot live) parses notifications and encodes
// requests; the replay server (peebot serve) parses requests and encodes
// notifications. Protocol notes: docs/live.md and ../shared/docs/iss-feed.md.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peebot::tlcp {

inline constexpr const char* kSubprotocol = "TLCP-2.5.0.lightstreamer.com";
inline constexpr const char* kProtocolParam = "TLCP-2.5.0";

// A malformed line, frame or request; what() names what was expected.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Percent-decoding of a value; throws ProtocolError on a bad escape.
std::string percent_decode(std::string_view s);
// The same into `out` (its contents replaced, its capacity reused); on a bad
// escape it throws before touching `out`.
void percent_decode_into(std::string_view s, std::string& out);
// Percent-encoding of a value: every byte outside [A-Za-z0-9._-] and the
// characters TLCP reserves ("%", "|", ",", "&", "=", "+", CR, LF, "#", "$", "^").
std::string percent_encode(std::string_view s);
void percent_encode_append(std::string_view s, std::string& out);

// ---- requests (client -> server) ---------------------------------------------

struct Request {
  std::string name;                                         // "create_session", "control", "wsok", ...
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in order
  const std::string* get(std::string_view key) const;       // nullptr when absent
};

// "k=v&k=v" (values percent-encoded) -> params. Throws ProtocolError.
std::vector<std::pair<std::string, std::string>> parse_params(std::string_view body);
std::string encode_params(const std::vector<std::pair<std::string, std::string>>& params);

// A WebSocket text frame holds one or more requests: a name line, then its
// parameter line (absent for wsok/heartbeat without parameters). Lines end
// with CRLF (a final one may be missing). Throws ProtocolError naming the line.
std::vector<Request> parse_ws_requests(std::string_view frame);
// One request as a WebSocket frame.
std::string encode_ws_request(const Request& r);

// ---- notifications (server -> client) -----------------------------------------

enum class Tag {
  kConok, kConerr, kServname, kClientip, kCons, kWsok, kReqok, kReqerr, kError,
  kSubok, kSubcmd, kConf, kUnsub, kEos, kCs, kOv, kUpdate, kProbe, kNoop, kSync,
  kLoop, kEnd, kProg, kMsgdone, kMsgfail, kClientipOther, kUnknown,
};

struct Notification {
  Tag tag = Tag::kUnknown;
  std::string_view name;                  // the tag as received
  std::vector<std::string_view> args;     // comma-separated arguments after the tag (U: subId, item, values)
};

// Parses one line (without CRLF). Views point into `line`. Throws
// ProtocolError for an empty line or a known tag with too few arguments.
Notification parse_notification(std::string_view line);
// The same into `n`, reusing its argument list (no allocation per line once warm).
void parse_notification(std::string_view line, Notification& n);

// Splits a text stream into lines; keeps the incomplete tail for the next call.
class LineSplitter {
 public:
  // Calls f(line) for each complete line (CRLF or LF ended) of what was kept
  // plus data. Lines are passed as views into data where they lie whole in it
  // (no copy); only a line split across calls goes through the buffer.
  template <class F>
  void feed(std::string_view data, F&& f) {
    std::size_t start = 0;
    if (!buf_.empty()) {  // finish the line the last call left open
      const std::size_t nl = data.find('\n');
      if (nl == std::string_view::npos) { buf_.append(data.data(), data.size()); return; }
      buf_.append(data.data(), nl);
      std::size_t end = buf_.size();
      if (end > 0 && buf_[end - 1] == '\r') --end;
      f(std::string_view(buf_).substr(0, end));
      buf_.clear();
      start = nl + 1;
    }
    for (;;) {
      const std::size_t nl = data.find('\n', start);
      if (nl == std::string_view::npos) break;
      std::size_t end = nl;
      if (end > start && data[end - 1] == '\r') --end;
      f(data.substr(start, end - start));
      start = nl + 1;
    }
    buf_.append(data.data() + start, data.size() - start);
  }
  std::size_t pending() const { return buf_.size(); }
  void clear() { buf_.clear(); }

 private:
  std::string buf_;
};

// ---- update decoding ----------------------------------------------------------

// The current field values of every item of one subscription. apply() decodes
// an update's value list against them: empty = unchanged, "#" = null,
// "$" = empty string, "^N" = N fields unchanged, anything else is
// percent-decoded. The first update of an item must carry every field.
class ItemState {
 public:
  ItemState(int items, int fields);
  int items() const { return items_; }
  int fields() const { return fields_; }
  // item is 1-based as on the wire. Throws ProtocolError (bad index, wrong
  // field count, unchanged field with no previous value, bad escape).
  void apply(int item, std::string_view values);
  // Current value of (item 1-based, field 0-based); nullopt = null.
  const std::optional<std::string>& value(int item, int field) const;
  bool has(int item) const { return seen_[static_cast<std::size_t>(item - 1)] != 0; }

 private:
  int items_, fields_;
  std::vector<std::optional<std::string>> v_;
  std::vector<std::uint8_t> seen_;
};

// Encodes a field list as the shortest TLCP form against the previous values
// (nullptr: none yet, all fields are sent). Values nullopt = null.
void encode_update_values(const std::vector<std::optional<std::string>>* prev,
                          const std::vector<std::optional<std::string>>& cur, std::string& out);

// The number of data notifications (U, EOS, CS, OV, UNSUB, SUBOK, CONF...)
// that count for LS_recovery_from: TLCP counts "data notifications" = U, EOS,
// CS, OV, SUBOK, SUBCMD, UNSUB, CONF, MSGDONE, MSGFAIL.
bool is_data_notification(Tag t);

}  // namespace peebot::tlcp
