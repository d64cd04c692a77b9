// Scenario loader: one declarative schema table (key path, type, unit, range,
// description, binder; schema.cpp) drives loading, --set overrides, writing a
// scenario back (calibrate) and the key reference in docs/scenarios.md.
#include "scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

#include "schema.hpp"

namespace peebot {

using namespace scenario_schema;

namespace {

// ---------------------------------------------------------------------------
// Unknown keys: suggestions
// ---------------------------------------------------------------------------

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& path) {
  std::vector<std::string> cands = sections();
  for (const Key& k : schema()) cands.push_back(k.path);
  const std::string leaf = path.substr(path.rfind('.') + 1);
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, path.size() / 5) + 1;
  for (const std::string& c : cands) {
    const std::size_t d = edit_distance(path, c);
    if (d < best_d) best_d = d, best = c;
  }
  if (best.empty())  // a key in the wrong section
    for (const Key& k : schema())
      if (k.leaf() == leaf) return k.path;
  return best;
}

std::string section_list(const std::string& parent) {
  std::string out;
  for (const std::string& s : sections()) {
    const bool child = parent.empty() ? s.find('.') == std::string::npos
                                      : s.rfind(parent + ".", 0) == 0 && s.find('.', parent.size() + 1) == std::string::npos;
    if (child) out += (out.empty() ? "" : ", ") + ("[" + s + "]");
  }
  return out;
}

std::string key_list(const std::string& section) {
  std::string out;
  for (const Key& k : schema())
    if (k.section() == section) out += (out.empty() ? "" : ", ") + k.leaf();
  return out;
}

// {what, expected} for an unknown path.
std::pair<std::string, std::string> unknown(const std::string& path, bool is_table) {
  const std::size_t dot = path.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : path.substr(0, dot);
  std::string what = is_table ? "unknown section" : parent.empty() ? "key outside any section" : "unknown key";
  const std::string s = suggestion(path);
  if (!s.empty()) what += " (did you mean " + s + "?)";
  std::string expected;
  const std::string subs = section_list(parent);
  const std::string keys = parent.empty() ? "" : key_list(parent);
  if (parent.empty())
    expected = "one of the sections " + subs;
  else if (!keys.empty() && !subs.empty())
    expected = "one of the keys of [" + parent + "]: " + keys + ", or one of the sections " + subs;
  else if (!keys.empty())
    expected = "one of the keys of [" + parent + "]: " + keys;
  else
    expected = "one of the sections " + subs;
  return {what, expected};
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

struct Loader {
  std::string path;
  Scenario sc;
  struct Origin {
    std::string where;  // "FILE:LINE" or "--set k=v"
    std::int64_t seq;   // file: the line; overrides: after every line, in order
  };
  std::map<std::string, Origin> origins;
  std::int64_t override_seq = std::int64_t{1} << 40;

  [[noreturn]] static void fail(const std::string& where, const std::string& key, const std::string& what,
                                const std::string& expected) {
    throw ScenarioError(where + ": " + key + ": " + what + ", expected " + expected);
  }
  std::string at(std::uint32_t line) const { return line ? path + ":" + std::to_string(line) : path; }

  void apply(const Key& k, const toml::node& n, const std::string& where_prefix, bool from_file) {
    try {
      Value v = convert(k, n);
      for (std::size_t i = 0; i < v.faults.size(); ++i)
        v.faults[i].where = from_file ? at(v.fault_lines[i] ? v.fault_lines[i] : line_of(n)) : where_prefix;
      k.set(sc, v);
    } catch (const Bad& b) {
      const std::string where = from_file ? at(b.line ? b.line : line_of(n)) : where_prefix;
      fail(where, k.path, b.what, b.expected);
    }
    origins[k.path] = {from_file ? at(line_of(n)) : where_prefix,
                       from_file ? static_cast<std::int64_t>(line_of(n)) : ++override_seq};
  }

  void walk(const toml::table& tbl, const std::string& prefix) {
    for (auto&& [key, node] : tbl) {
      const std::string name(key.str());
      const std::string full = prefix.empty() ? name : prefix + "." + name;
      std::uint32_t line = line_of(node);
      if (!line) line = key.source().begin.line;
      const bool valid_name = name.find('.') == std::string::npos && !name.empty();
      const Key* k = valid_name ? find_key(full) : nullptr;
      if (k) {
        apply(*k, node, "", true);
      } else if (valid_name && is_section(full)) {
        if (!node.is_table()) fail(at(line), full, "is a section but " + got(node), "a table [" + full + "]");
        walk(*node.as_table(), full);
      } else {
        const auto [what, expected] = unknown(full, node.is_table());
        fail(at(line), full, what, expected);
      }
    }
  }

  void override_one(const std::string& ov) {
    const std::string where = "--set " + ov;
    const std::size_t eq = ov.find('=');
    if (eq == std::string::npos) fail(where, ov, "no value", "key.path=value");
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string key = trim(ov.substr(0, eq)), value = ov.substr(eq + 1);
    const Key* k = find_key(key);
    if (!k) {
      if (key.empty()) throw ScenarioError(where + ": expected key.path=value");
      if (is_section(key)) {
        const std::string keys = key_list(key);
        fail(where, key, "is a section, not a key",
             keys.empty() ? "one of the sections " + section_list(key) : "one of the keys of [" + key + "]: " + keys);
      }
      const auto [what, expected] = unknown(key, false);
      fail(where, key, what, expected);
    }
    // The value as TOML; anything that is not one TOML value is a bare string.
    std::optional<toml::table> parsed;
    try {
      toml::table t = toml::parse("v = " + value, std::string_view("--set"));
      if (t.size() == 1 && t.contains("v")) parsed = std::move(t);
    } catch (const toml::parse_error&) {
    }
    if (parsed) {
      apply(*k, *parsed->get("v"), where, false);
    } else {
      toml::value<std::string> bare(value);
      apply(*k, bare, where, false);
    }
    sc.overrides.push_back(key + "=" + value);
  }

  void finish() {
    for (const Key& k : schema())
      if (k.required && !origins.count(k.path))
        fail(path, k.path, "missing required key", k.missing_expected);
    for (const Rule& r : rules()) {
      const auto bad = r.check(sc);
      if (!bad) continue;
      // Report at the key of the rule that was set last (an override beats the file).
      std::string key = r.keys.back(), where = path;
      std::int64_t best = -1;
      for (const std::string& rk : r.keys) {
        const auto it = origins.find(rk);
        if (it != origins.end() && it->second.seq > best) best = it->second.seq, key = rk, where = it->second.where;
      }
      fail(where, key, bad->first, bad->second);
    }
    sc.pipeline.detector.tank_capacity_ml = sc.world.tank.capacity_ml;
    sc.report.architecture = sc.pipeline.architecture;
    sc.report.offered_rate_per_s = sc.world.background.rate_per_s;
  }
};

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& path, const std::vector<std::string>& overrides) {
  Loader L;
  L.path = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ScenarioError(path + ":" + std::to_string(b.line) + ": TOML syntax error at column " + std::to_string(b.column) +
                        ": " + std::string(e.description()));
  }
  L.walk(root, "");
  for (const std::string& ov : overrides) L.override_one(ov);
  L.finish();
  L.sc.source_path = path;
  L.sc.source_text = text;
  return std::move(L.sc);
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ScenarioError(path + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (failed) throw ScenarioError(path + ": cannot read: " + std::strerror(err));
  return parse_scenario(text, path, overrides);
}

Scenario recorded_scenario(const std::string& text, const std::vector<std::string>& overrides, const std::string& where,
                           std::string* warning) {
  if (text.empty()) return Scenario{};
  try {
    return parse_scenario(text, where, overrides);
  } catch (const ScenarioError& e) {
    if (warning) *warning = e.what();
    return Scenario{};
  }
}

std::vector<std::string> scenario_key_paths() {
  std::vector<std::string> out;
  for (const Key& k : schema()) out.push_back(k.path);
  return out;
}

std::string scenario_value_text(const Scenario& s, const std::string& key_path) {
  const Key* k = find_key(key_path);
  if (!k) throw std::invalid_argument("unknown scenario key " + key_path);
  Scenario copy = s;  // the binders take a Scenario& (they set as well as get)
  return render(*k, k->get(copy));
}

std::string scenario_key_line(const Scenario& s, const std::string& key_path) {
  return key_path.substr(key_path.rfind('.') + 1) + " = " + scenario_value_text(s, key_path);
}

std::string scenario_reference_markdown() {
  Scenario defaults;
  std::ostringstream md;
  auto cell = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string current;
  for (const Key& k : schema()) {
    if (k.section() != current) {
      current = k.section();
      md << (md.tellp() > 0 ? "\n" : "") << (k.type == Type::Faults ? "### [[" : "### [") << current
         << (k.type == Type::Faults ? "]]\n\n" : "]\n\n")
         << "| Key | Type | Unit | Default | Range | Description |\n"
         << "|---|---|---|---|---|---|\n";
    }
    std::string def = k.required ? "*required*" : "`" + cell(render(k, k.get(defaults))) + "`";
    std::string range;
    switch (k.type) {
      case Type::Integer:
      case Type::Number:
      case Type::Duration:
      case Type::TimeOfDay:
      case Type::UtcTime: range = range_text(k, true); break;
      case Type::Enum:
        for (std::size_t i = 0; i < k.choices.size(); ++i) range += (i ? " | " : "") + quote(k.choices[i]);
        break;
      case Type::String: range = k.required ? "non-empty" : ""; break;
      case Type::Windows: range = "start < end"; break;
      case Type::CrewPeriods: range = "size 1 .. 20, starts increasing"; break;
      case Type::Faults: range = "see the fields below"; break;
      case Type::Boolean: range = "true, false"; break;
    }
    md << "| `" << k.path << "` | " << type_name(k) << " | " << cell(k.unit) << " | " << def << " | " << cell(range)
       << " | " << cell(k.description) << " |\n";
  }
  // The fields and kinds of [[faults]] (docs/faults.md says what each kind does).
  md << "\nFields of a `[[faults]]` table:\n\n| Field | Type | Range | Kinds | Description |\n|---|---|---|---|---|\n";
  for (const auto& d : fault_fields()) {
    std::string kinds;
    for (const auto& info : fault_kinds())
      if (d.bit & info.fields) kinds += (kinds.empty() ? "" : ", ") + std::string(info.name);
    if (!d.bit) kinds = std::string(d.name) == "target" ? "those with targets" : "all";
    md << "| `" << d.name << "` | " << d.type << " | " << cell(d.range) << " | " << kinds << " | " << cell(d.description)
       << " |\n";
  }
  md << "\nFault kinds:\n\n| Kind | Targets | Numbers (required) | Effect | Honoured by |\n|---|---|---|---|---|\n";
  for (const auto& info : fault_kinds()) {
    std::string targets, numbers;
    for (auto t : info.targets) targets += (targets.empty() ? "" : ", ") + std::string("`") + std::string(t) + "`";
    for (const auto& d : fault_fields())
      if (d.bit & info.fields)
        numbers += (numbers.empty() ? "" : ", ") + std::string("`") + d.name + "`" + ((d.bit & info.required) ? "" : " (optional)");
    md << "| `" << info.name << "` | " << (targets.empty() ? "none" : targets) << " | " << (numbers.empty() ? "none" : numbers)
       << " | " << cell(std::string(info.effect)) << " | " << cell(std::string(info.honoured_by)) << " |\n";
  }
  md << "\n### Cross-field rules\n\n";
  for (const Rule& r : rules()) md << "- " << r.description << "\n";
  return md.str();
}

}  // namespace peebot