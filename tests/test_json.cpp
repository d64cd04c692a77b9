// The JSON reader every untrusted document goes through (API answers, eval
// baselines, sweep and eval point files) and the writers' conventions
// (sim/report/json.hpp over nlohmann::ordered_json).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "cli_support.hpp"
#include "sim/cli/child_pool.hpp"
#include "sim/cli/cli.hpp"
#include "sim/report/json.hpp"

using namespace peebot;

namespace {

// The message parse_json throws for `text` ("" when it parses).
std::string refusal(const std::string& text, const JsonLimits& limits = {}) {
  try {
    (void)parse_json(text, "in.json", limits);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("JSON is read with its members in text order and numbers as doubles", "[json]") {
  const Json j = parse_json(R"({"b": 1, "a": [2.5, -3, 18446744073709551615, true, null], "c": {"x": "\u00e9\ud83d\ude00"}})");
  std::string order;
  for (const auto& [k, v] : j.get_ref<const Json::object_t&>()) order += k;
  CHECK(order == "bac");
  const Json& a = *json_find(j, "a");
  CHECK(json_double(a[0]) == 2.5);
  CHECK(json_double(a[1]) == -3);
  CHECK(json_double(a[2]) == 18446744073709551615.0);
  CHECK(json_double(a[3]) == 1);
  CHECK(std::isnan(json_double(a[4])));
  CHECK(std::isnan(json_double(*json_find(j, "c"))));
  CHECK(json_find(*json_find(j, "c"), "x")->get<std::string>() == "\xC3\xA9\xF0\x9F\x98\x80");  // a surrogate pair is one code point
  CHECK(json_find(j, "nope") == nullptr);
  CHECK(json_find(a, "b") == nullptr);  // not an object
}

TEST_CASE("JSON refuses what is not finite, not paired, not UTF-8, repeated or trailing, naming the source", "[json]") {
  for (const char* bad : {"1e999", "[-1e999]", "-inf", "NaN", "Infinity", "{\"x\": nan}"}) {
    INFO(bad);
    CHECK_THAT(refusal(bad), Catch::StartsWith("in.json: not valid JSON"));
  }
  CHECK_THAT(refusal("1e999"), Catch::Contains("number overflow"));
  for (const char* bad : {R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", R"("\ud800x")"}) {
    INFO(bad);
    CHECK_THAT(refusal(bad), Catch::Contains("in.json") && Catch::Contains("surrogate"));
  }
  CHECK_THAT(refusal("\"\xff\xfe\""), Catch::Contains("in.json") && Catch::Contains("UTF-8"));
  CHECK_THAT(refusal(R"({"id": 1, "id": 2})"), Catch::Contains("in.json") && Catch::Contains("duplicate member name \"id\""));
  CHECK_THAT(refusal(R"({"a": {"id": 1}, "b": {"id": 2}})"), Catch::Equals(""));  // the same name in two objects is fine
  CHECK_THAT(refusal("{} x"), Catch::Contains("in.json") && Catch::Contains("end of input"));
  CHECK_THAT(refusal(""), Catch::Contains("in.json"));
  CHECK_THAT(refusal("{\"a\": "), Catch::Contains("in.json"));
  // Outside bytes quoted in the message are made printable (no terminal control reaches a log).
  const std::string esc = refusal("\x1b[2J\x1b]0;owned\x07");
  CHECK_THAT(esc, Catch::Contains("in.json"));
  CHECK(esc.find('\x1b') == std::string::npos);
  CHECK(esc.find('\x07') == std::string::npos);
}

TEST_CASE("JSON nested deeper than the limit, longer than it or with more values is refused before it costs memory", "[json]") {
  const std::string deep_ok = std::string(64, '[') + std::string(64, ']');
  CHECK(refusal(deep_ok).empty());
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  CHECK_THAT(refusal(deep), Catch::Contains("in.json") && Catch::Contains("nested deeper than 64"));
  // A hostile document a million levels deep: refused at level 65, no stack or memory spent on the rest.
  CHECK_THAT(refusal(std::string(1000000, '[')), Catch::Contains("nested deeper than 64"));
  std::string objs;
  for (int i = 0; i < 100000; ++i) objs += "{\"a\":";
  CHECK_THAT(refusal(objs), Catch::Contains("nested deeper than 64"));
  JsonLimits small;
  small.max_bytes = 10;
  CHECK_THAT(refusal("[1, 2, 3, 4, 5]", small), Catch::Contains("in.json: 15 bytes of JSON (expected at most 10)"));
  CHECK(refusal("[1, 2, 3]", small).empty());
  small.max_depth = 2;
  CHECK_THAT(refusal("[[[]]]", small), Catch::Contains("nested deeper than 2"));
  JsonLimits few;
  few.max_values = 4;  // the array and three elements
  CHECK(refusal("[1, [], 3]", few).empty());
  CHECK_THAT(refusal("[1, [], 3, 4]", few), Catch::Contains("in.json") && Catch::Contains("more than 4 values"));
  CHECK_THAT(refusal(R"({"a": {}, "b": 1, "c": 2, "d": 3})", few), Catch::Contains("more than 4 values"));
}

TEST_CASE("a JSON file longer than the bound is refused while it is read, naming the file", "[json]") {
  const std::string path = test::write_file("json-long.json", "[" + std::string(5000, ' ') + "1]");
  CHECK(cli::read_whole_file(path, 6000) == test::slurp(path));
  CHECK_THROWS_WITH(cli::read_whole_file(path, 4096), Catch::Contains(path) && Catch::Contains("more than 4096 bytes"));
  CHECK_THROWS_AS(cli::read_whole_file(path, 4096), cli::InputError);  // exit 2
}

TEST_CASE("a large object is read whole, members in order, each name checked once", "[json]") {
  std::string text = "{";
  for (int i = 0; i < 50000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  const Json j = parse_json(text + "}");
  REQUIRE(j.size() == 50000);
  CHECK(j.get_ref<const Json::object_t&>().back().first == "k49999");
  CHECK_THAT(refusal(text + ",\"k17\":0}"), Catch::Contains("duplicate member name \"k17\""));
}

TEST_CASE("numbers are written as the shortest text that reads back, integers as integers, NaN as null", "[json]") {
  auto text = [](double v) { return json_number(v).dump(); };
  CHECK(text(2.0) == "2");
  CHECK(text(-7.0) == "-7");
  CHECK(text(0.1) == "0.1");
  CHECK(text(0.1 + 0.2) == "0.30000000000000004");
  CHECK(text(1234.5) == "1234.5");
  CHECK(text(std::nan("")) == "null");
  CHECK(text(std::numeric_limits<double>::infinity()) == "null");
  CHECK(text(-std::numeric_limits<double>::infinity()) == "null");
  // Where the shortest text has an exponent the value stays a double, and reads back exactly.
  for (double v : {1e20, 1e-7, 100000.0, 1.5e300, 6846.85802749998, 4e-320}) {
    INFO(v);
    CHECK(json_double(parse_json(text(v))) == v);
  }
  CHECK(json_number(1e20).is_number_float());
  CHECK(json_number(123456.0).is_number_integer());
}

TEST_CASE("documents are written with their members in order, text escaped and invalid UTF-8 replaced", "[json]") {
  Json j = {{"z", 1}, {"a", "q\"uote\\ \n\t\x01 caf\xC3\xA9"}, {"m", Json::array()}};
  j["bad"] = std::string("a\xff" "b");
  const std::string s = dump_json(j);
  CHECK(s == "{\n  \"z\": 1,\n  \"a\": \"q\\\"uote\\\\ \\n\\t\\u0001 caf\xC3\xA9\",\n  \"m\": [],\n  \"bad\": \"a\xEF\xBF\xBD" "b\"\n}\n");
  CHECK(dump_json(j, -1, false).find('\n') == std::string::npos);
  // What is written reads back (the replaced byte as U+FFFD).
  const Json back = parse_json(s);
  CHECK(json_find(back, "a")->get<std::string>() == j["a"].get<std::string>());
  CHECK(json_find(back, "bad")->get<std::string>() == "a\xEF\xBF\xBD" "b");
}
