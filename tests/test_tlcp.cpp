// The TLCP codec (sim/tlcp/tlcp.hpp): requests, notifications, update decoding.
#include <catch2/catch.hpp>

#include <random>

#include "sim/tlcp/feed.hpp"
#include "sim/tlcp/tlcp.hpp"
#include "sim/pipeline/ingest.hpp"
#include "sim/util/text.hpp"
#include "sim/util/time.hpp"

using namespace peebot;
using namespace peebot::tlcp;

TEST_CASE("percent-decoding decodes escapes and rejects bad ones", "[tlcp]") {
  REQUIRE(percent_decode("a%2Cb%7Cc%25") == "a,b|c%");
  REQUIRE(percent_decode("plain") == "plain");
  REQUIRE_THROWS_AS(percent_decode("bad%2"), ProtocolError);
  REQUIRE_THROWS_AS(percent_decode("bad%zz"), ProtocolError);
  REQUIRE_THROWS_AS(percent_decode("%"), ProtocolError);
}

TEST_CASE("percent-encoding round-trips every byte and escapes TLCP's reserved characters", "[tlcp]") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string enc = percent_encode(all);
  for (char c : std::string(",|&=#$^\r\n+ ")) REQUIRE(enc.find(c) == std::string::npos);
  REQUIRE(percent_decode(enc) == all);
}

TEST_CASE("a WebSocket frame with several requests parses into each request and its parameters", "[tlcp]") {
  const auto reqs = parse_ws_requests(
      "wsok\r\ncreate_session\r\nLS_cid=abc&LS_adapter_set=ISSLIVE\r\ncontrol\r\nLS_reqId=1&LS_op=add&LS_group=NODE3000005%20TIME_000001");
  REQUIRE(reqs.size() == 3);
  REQUIRE(reqs[0].name == "wsok");
  REQUIRE(reqs[0].params.empty());
  REQUIRE(reqs[1].name == "create_session");
  REQUIRE(*reqs[1].get("LS_adapter_set") == "ISSLIVE");
  REQUIRE(reqs[2].get("LS_group") != nullptr);
  REQUIRE(*reqs[2].get("LS_group") == "NODE3000005 TIME_000001");
  REQUIRE(reqs[2].get("LS_missing") == nullptr);
  // Round trip through the encoder.
  const auto again = parse_ws_requests(encode_ws_request(reqs[2]));
  REQUIRE(again.size() == 1);
  REQUIRE(again[0].params == reqs[2].params);
}

TEST_CASE("malformed requests are errors that name the problem", "[tlcp]") {
  REQUIRE_THROWS_WITH(parse_ws_requests("bogus\r\nx=1"), Catch::Contains("unknown request \"bogus\""));
  REQUIRE_THROWS_WITH(parse_params("LS_op"), Catch::Contains("expected key=value"));
  REQUIRE_THROWS_WITH(parse_params("=v"), Catch::Contains("expected key=value"));
}

TEST_CASE("notifications parse into their tag and arguments", "[tlcp]") {
  auto n = parse_notification("CONOK,S1a2b,50000,5000,*");
  REQUIRE(n.tag == Tag::kConok);
  REQUIRE(n.args.size() == 4);
  REQUIRE(n.args[0] == "S1a2b");
  REQUIRE(n.args[2] == "5000");
  n = parse_notification("U,1,3,6846.858|42|^3|#");
  REQUIRE(n.tag == Tag::kUpdate);
  REQUIRE(n.args.size() == 3);
  REQUIRE(n.args[2] == "6846.858|42|^3|#");
  n = parse_notification("END,48,Maximum session duration, reached");  // the message keeps its commas
  REQUIRE(n.tag == Tag::kEnd);
  REQUIRE(n.args[1] == "Maximum session duration, reached");
  REQUIRE(parse_notification("PROBE").tag == Tag::kProbe);
  REQUIRE(parse_notification("LOOP,0").tag == Tag::kLoop);
  REQUIRE(parse_notification("XYZZY,1").tag == Tag::kUnknown);
  REQUIRE(is_data_notification(Tag::kUpdate));
  REQUIRE(is_data_notification(Tag::kSubok));
  REQUIRE_FALSE(is_data_notification(Tag::kProbe));
  REQUIRE_FALSE(is_data_notification(Tag::kLoop));
}

TEST_CASE("notifications with too few arguments are errors", "[tlcp]") {
  REQUIRE_THROWS_AS(parse_notification(""), ProtocolError);
  REQUIRE_THROWS_WITH(parse_notification("CONOK,S1"), Catch::Contains("expected at least 4"));
  REQUIRE_THROWS_AS(parse_notification("U,1,2"), ProtocolError);
  REQUIRE_THROWS_AS(parse_notification("SUBOK,1,2"), ProtocolError);
}

TEST_CASE("the line splitter joins lines split across reads and accepts CRLF or LF", "[tlcp]") {
  LineSplitter sp;
  std::vector<std::string> lines;
  auto f = [&](std::string_view l) { lines.emplace_back(l); };
  sp.feed("PRO", f);
  REQUIRE(lines.empty());
  sp.feed("BE\r\nU,1,1,a|b\r", f);
  sp.feed("\nSYNC,5\nLOO", f);
  REQUIRE(lines == std::vector<std::string>{"PROBE", "U,1,1,a|b", "SYNC,5"});
  REQUIRE(sp.pending() == 3);
}

TEST_CASE("updates decode empty as unchanged, # as null, $ as empty, ^N as N unchanged, and percent escapes", "[tlcp]") {
  ItemState st(2, 5);
  st.apply(1, "6846.5|42|24|x%7Cy|#");
  REQUIRE(*st.value(1, 0) == "6846.5");
  REQUIRE(*st.value(1, 3) == "x|y");
  REQUIRE_FALSE(st.value(1, 4).has_value());
  st.apply(1, "6846.6||^2|$");
  REQUIRE(*st.value(1, 0) == "6846.6");
  REQUIRE(*st.value(1, 1) == "42");
  REQUIRE(*st.value(1, 2) == "24");
  REQUIRE(*st.value(1, 3) == "x|y");
  REQUIRE(st.value(1, 4).has_value());
  REQUIRE(st.value(1, 4)->empty());
  REQUIRE_FALSE(st.has(2));
}

TEST_CASE("malformed updates are errors, never a crash", "[tlcp]") {
  ItemState st(1, 3);
  REQUIRE_THROWS_WITH(st.apply(1, "a||c"), Catch::Contains("snapshot must carry every field"));
  REQUIRE_THROWS_WITH(st.apply(2, "a|b|c"), Catch::Contains("item 2"));
  REQUIRE_THROWS_WITH(st.apply(1, "a|b"), Catch::Contains("has 2 fields, expected 3"));
  REQUIRE_THROWS_WITH(st.apply(1, "a|b|c|d"), Catch::Contains("more than 3"));
  st.apply(1, "a|b|c");
  REQUIRE_THROWS_WITH(st.apply(1, "^0|b|c"), Catch::Contains("bad unchanged-run"));
  REQUIRE_THROWS_WITH(st.apply(1, "^4"), Catch::Contains("more than 3"));
  REQUIRE_THROWS_WITH(st.apply(1, "^Pxyz|b|c"), Catch::Contains("diff-encoded"));
  REQUIRE_THROWS_AS(st.apply(1, "%4|b|c"), ProtocolError);
  REQUIRE(*st.value(1, 0) == "a");
}

TEST_CASE("the update encoder's output decodes back to the same values, and is compact", "[tlcp]") {
  using V = std::vector<std::optional<std::string>>;
  std::string out;
  const V a{std::string("6846.5"), std::string("42"), std::string("24"), std::nullopt, std::string("")};
  encode_update_values(nullptr, a, out);
  REQUIRE(out == "6846.5|42|24|#|$");
  const V b{std::string("6846.6"), std::string("42"), std::string("24"), std::nullopt, std::string("a,b")};
  out.clear();
  encode_update_values(&a, b, out);
  REQUIRE(out == "6846.6|^3|a%2Cb");
  out.clear();
  encode_update_values(&b, b, out);
  REQUIRE(out == "^5");
  // Random round trips.
  std::mt19937 rng(7);
  const std::vector<std::optional<std::string>> pool{std::nullopt, std::string(""), std::string("1"), std::string("x|y"),
                                                     std::string("#"), std::string("$"), std::string("^2")};
  ItemState st(1, 6);
  V prev;
  for (int i = 0; i < 2000; ++i) {
    V cur(6);
    for (auto& v : cur) v = pool[rng() % pool.size()];
    out.clear();
    encode_update_values(i ? &prev : nullptr, cur, out);
    st.apply(1, out);
    for (int f = 0; f < 6; ++f) REQUIRE(st.value(1, f) == cur[static_cast<std::size_t>(f)]);
    prev = cur;
  }
}

TEST_CASE("feed numbers print as the shortest text that reads back exactly", "[tlcp][feed]") {
  REQUIRE(shortest_number(42) == "42");
  REQUIRE(shortest_number(6846.85802749998) == "6846.85802749998");
  REQUIRE(std::stod(shortest_number(0.1 + 0.2)) == 0.1 + 0.2);
  live::FeedEvent e;
  e.value = 6846.85802749998;
  REQUIRE(live::field_value(e, live::Field::kValue) == shortest_number(e.value));
  REQUIRE(live::field_of("Value") == live::Field::kValue);
  REQUIRE(live::field_of("Nope") == live::Field::kUnknown);
}

namespace {

// The live client's path for one update: FeedSequencer numbers it, Ingest accepts it or not.
struct Dedupe {
  live::FeedSequencer seq;
  ItemDictionary dict{0};
  Ingest ingest{IngestParams{}, dict};
  bool deliver(int item, double stamp_s, double value) {
    Update u;
    u.item = static_cast<ItemId>(item);
    u.t_emit_s = stamp_s;
    u.value = value;
    u.seq = seq.next(item, live::FeedClock::seq_of(1695086751.0 + stamp_s), value);
    return ingest.accept(u) == UpdateFate::kDelivered;
  }
};

}  // namespace

// Issue 14 item 3: the dedupe key was the TimeStamp alone (in microseconds).
TEST_CASE("two values of an item with one TimeStamp are two updates, and the same update resent by a new session is none",
          "[tlcp][feed][dedupe]") {
  Dedupe d;
  d.seq.new_session();
  REQUIRE(d.deliver(kUrineTank, 0, 12));
  REQUIRE(d.deliver(kUrineTank, 0, 11));   // 01:25:51 12, then 11: a change, not a duplicate
  REQUIRE(d.deliver(kUrineTank, 0, 12));   // and back within the same second
  REQUIRE(d.deliver(kUpaState, 0, 32));    // another item at the same TimeStamp
  REQUIRE(d.deliver(kUrineTank, 1, 12));
  // A new session's MERGE snapshot is the current state: the same update again.
  d.seq.new_session();
  REQUIRE_FALSE(d.deliver(kUrineTank, 1, 12));
  REQUIRE_FALSE(d.deliver(kUpaState, 0, 32));
  REQUIRE(d.deliver(kUrineTank, 1, 13));   // a value not seen at that TimeStamp: a change made meanwhile
  REQUIRE(d.deliver(kUrineTank, 1, 12));   // this session is caught up: its updates are new
  REQUIRE(d.deliver(kUrineTank, 2, 12));
  REQUIRE_FALSE(d.deliver(kUrineTank, 0, 11));  // older than the state: dropped
  REQUIRE(d.ingest.counters().accepted == 8);
}

TEST_CASE("sessions that resend from the start at random points give every update exactly once, in order",
          "[tlcp][feed][dedupe]") {
  std::mt19937_64 rng(20261203);
  for (int round = 0; round < 200; ++round) {
    // Two items; TimeStamps of whole seconds that often repeat, values that flicker, as a 1-s
    // recording served through MERGE (never the same TimeStamp and value twice in a row).
    struct Ev { int item; double t; double v; };
    std::vector<Ev> feed;
    double t[2] = {0, 0}, v[2] = {40, 32};
    const int n = 5 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      const int item = static_cast<int>(rng() % 2);
      const double nt = t[item] + static_cast<double>(rng() % 3 == 0);
      const double step = rng() % 2 ? 1.0 : -1.0;
      double nv = v[item] + step;  // never the same value twice in a row (valid for ingest: 1..99)
      if (nv < 1 || nv > 99) nv = v[item] - step;
      t[item] = nt;
      v[item] = nv;
      feed.push_back({item == 0 ? int{kUrineTank} : int{kUpaState}, nt, nv});
    }
    // Sessions end at increasing cuts; each new one replays from the start (peebot serve).
    std::vector<std::size_t> cuts;
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) cuts.push_back(rng() % (feed.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    cuts.push_back(feed.size());
    Dedupe d;
    std::vector<std::size_t> got;
    std::size_t sent = 0;
    for (std::size_t cut : cuts) {
      d.seq.new_session();
      for (std::size_t i = 0; i < std::max(cut, sent); ++i)
        if (d.deliver(feed[i].item, feed[i].t, feed[i].v)) got.push_back(i);
      sent = std::max(cut, sent);
    }
    INFO("round " << round << ": " << feed.size() << " updates, " << cuts.size() << " sessions");
    REQUIRE(got.size() == feed.size());
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == i);
  }
}

TEST_CASE("the feed clock crosses 31 December into the next year and flags TimeStamps past its year's end", "[tlcp][feed]") {
  // 2024 is a leap year: its 31 December is day 366, TimeStamp hours 8784 .. 8808.
  live::FeedClock c(2024);
  CHECK(c.unix_of(8784.5) == parse_utc("2024-12-31T00:30:00Z"));
  CHECK(c.unix_of(24.25) == parse_utc("2025-01-01T00:15:00Z"));  // the next year
  CHECK(c.year() == 2025);
  CHECK(c.unix_of(8790.0) == parse_utc("2024-12-31T06:00:00Z"));  // an old value of the previous year
  CHECK_FALSE(c.past_year_end());
  // The same feed read as 2026's (a common year, 8784 hours at most): its 31 December is past the end.
  live::FeedClock wrong(2026);
  wrong.unix_of(8700.0);
  CHECK_FALSE(wrong.past_year_end());
  wrong.unix_of(8784.5);
  CHECK(wrong.past_year_end());
}
