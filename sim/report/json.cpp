#include "json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "../util/text.hpp"

namespace peebot {

namespace {

// Builds the document from nlohmann's SAX events (its parser does the
// tokenizing, number, escape and UTF-8 checks), adding what the DOM parser
// lacks for untrusted input: a depth limit and duplicate names refused in
// linear time (ordered_json's own insert searches the members, quadratic in
// a hostile object's size).
class Builder final : public nlohmann::json_sax<Json> {
 public:
  explicit Builder(const JsonLimits& limits) : limits_(limits) {}

  bool null() override { return put(Json(nullptr)); }
  bool boolean(bool v) override { return put(Json(v)); }
  bool number_integer(number_integer_t v) override { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return put(Json(v)); }
  bool string(string_t& v) override { return put(Json(std::move(v))); }
  bool binary(binary_t&) override { return fail("binary value"); }

  bool start_object(std::size_t) override { return open(Json::object()); }
  bool key(string_t& k) override {
    Level& l = stack_.back();
    if (!l.names.insert(k).second) return fail("duplicate member name \"" + printable(k, 80) + "\"");
    // Appended without ordered_map's linear search: the set above already refused a second name.
    auto& members = static_cast<Json::object_t::Container&>(l.value->get_ref<Json::object_t&>());
    members.emplace_back(std::move(k), nullptr);
    slot_ = &members.back().second;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_array() override { return close(); }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // nlohmann's message without its "[json.exception.parse_error.101] " tag.
    std::string what = e.what();
    if (const auto p = what.find("] "); what.rfind("[json.exception", 0) == 0 && p != std::string::npos)
      what.erase(0, p + 2);
    error_ = printable(what, 400);
    return false;
  }

  Json root;
  std::string error_;

 private:
  struct Level {
    Json* value;
    std::unordered_set<std::string> names;  // objects only
  };

  bool fail(std::string what) {
    error_ = std::move(what);
    return false;
  }
  // Where the next value goes: the document, the next array element or the member just named.
  Json* place(Json&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    Json& top = *stack_.back().value;
    if (top.is_array()) {
      auto& items = top.get_ref<Json::array_t&>();
      items.push_back(std::move(v));
      return &items.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }
  bool counted() {
    if (++values_ <= limits_.max_values) return true;
    return fail("more than " + std::to_string(limits_.max_values) + " values (expected a smaller document)");
  }
  bool put(Json&& v) {
    if (!counted()) return false;
    place(std::move(v));
    return true;
  }
  bool open(Json&& container) {
    if (stack_.size() >= static_cast<std::size_t>(std::max(limits_.max_depth, 0)))
      return fail("nested deeper than " + std::to_string(limits_.max_depth) + " arrays/objects");
    if (!counted()) return false;
    stack_.push_back(Level{place(std::move(container)), {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  const JsonLimits& limits_;
  std::size_t values_ = 0;
  std::vector<Level> stack_;
  Json* slot_ = nullptr;
};

}  // namespace

Json parse_json(std::string_view text, std::string_view source, const JsonLimits& limits) {
  const std::string src = printable(source, 400);
  if (text.size() > limits.max_bytes)
    throw std::runtime_error(src + ": " + std::to_string(text.size()) + " bytes of JSON (expected at most " +
                             std::to_string(limits.max_bytes) + ")");
  Builder b(limits);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &b);
  } catch (const std::exception& e) {  // allocation failures; the parser reports the rest through parse_error
    throw std::runtime_error(src + ": JSON: " + printable(e.what(), 400));
  }
  if (!ok) throw std::runtime_error(src + ": not valid JSON: " + (b.error_.empty() ? "parse error" : b.error_));
  return std::move(b.root);
}

const Json* json_find(const Json& j, std::string_view k) {
  if (!j.is_object()) return nullptr;
  for (const auto& [name, v] : j.get_ref<const Json::object_t&>())
    if (name == k) return &v;
  return nullptr;
}

double json_double(const Json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_boolean()) return j.get<bool>() ? 1.0 : 0.0;
  return NAN;
}

Json json_number(double v) {
  if (!std::isfinite(v)) return nullptr;
  const std::string s = shortest_number(v);
  if (s.find_first_of(".e") == std::string::npos) {  // written as an integer: keep it one
    std::int64_t i = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && end == s.data() + s.size()) return i;
  }
  return v;
}

std::string dump_json(const Json& j, int indent, bool newline) {
  std::string s = j.dump(indent, ' ', false, Json::error_handler_t::replace);
  if (newline) s += '\n';
  return s;
}

}  // namespace peebot
