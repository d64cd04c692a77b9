#include "sweep.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "../scenario/scenario.hpp"
#include "../util/files.hpp"
#include "../util/text.hpp"

namespace peebot {

namespace {

constexpr const char* kPointFormat = "peebot-sweep-point";
constexpr int kPointFormatVersion = 1;
constexpr const char* kTableFormat = "peebot-sweep";
constexpr int kTableFormatVersion = 1;

// A --vary value that is a plain decimal number (no hex, inf or nan).
bool plain_number(const std::string& s, double& out) {
  if (s.empty() || s.find_first_not_of("+-0123456789.eE") != std::string::npos) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string o;
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? sep : "") + v[i];
  return o;
}

std::string vary_text(const SweepAxis& a) { return a.key + "=" + join(a.values, ","); }

std::string seeds_text(const std::vector<long>& seeds) {
  std::vector<std::string> s;
  for (long x : seeds) s.push_back(std::to_string(x));
  return join(s, ",");
}

}  // namespace

SweepAxis parse_vary(const std::string& arg) {
  const std::size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("--vary \"" + arg + "\": expected key.path=v1,v2,... (e.g. crew.size=3,5,7)");
  SweepAxis a;
  a.key = arg.substr(0, eq);
  const std::string list = arg.substr(eq + 1);
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : list) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      a.values.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (quote || depth) throw std::invalid_argument("--vary \"" + arg + "\": unbalanced quote or bracket");
  a.values.push_back(cur);
  for (const std::string& v : a.values)
    if (v.empty())
      throw std::invalid_argument("--vary \"" + arg + "\": an empty value; expected key.path=v1,v2,... with no empty item");
  return a;
}

std::size_t sweep_size(const SweepSpec& s) {
  std::size_t n = s.seeds.size();
  for (const SweepAxis& a : s.axes) n *= a.values.size();
  return n;
}

SweepPoint sweep_point(const SweepSpec& s, std::size_t index) {
  if (index >= sweep_size(s))
    throw std::out_of_range("point " + std::to_string(index) + ": the sweep has " + std::to_string(sweep_size(s)) +
                            " points (0 .. " + std::to_string(sweep_size(s) - 1) + ")");
  SweepPoint p;
  p.index = index;
  std::size_t k = index;
  p.seed = s.seeds[k % s.seeds.size()];
  k /= s.seeds.size();
  p.values.resize(s.axes.size());
  for (std::size_t i = s.axes.size(); i-- > 0;) {
    p.values[i] = s.axes[i].values[k % s.axes[i].values.size()];
    k /= s.axes[i].values.size();
  }
  return p;
}

std::vector<std::string> sweep_overrides(const SweepSpec& s, const SweepPoint& p) {
  std::vector<std::string> o = s.sets;
  for (std::size_t i = 0; i < s.axes.size(); ++i) o.push_back(s.axes[i].key + "=" + p.values[i]);
  o.push_back("scenario.seed=" + std::to_string(p.seed));
  return o;
}

std::string describe_point(const SweepSpec& s, const SweepPoint& p) {
  std::string o;
  for (std::size_t i = 0; i < s.axes.size(); ++i) o += s.axes[i].key + "=" + p.values[i] + " ";
  return o + "seed=" + std::to_string(p.seed);
}

void validate_sweep(const SweepSpec& s) {
  std::set<std::string> seen;
  for (const SweepAxis& a : s.axes) {
    if (a.key == "scenario.seed")
      throw ScenarioError("--vary scenario.seed: the seed is varied with --seeds (e.g. --seeds 1..5), not --vary");
    if (!seen.insert(a.key).second)
      throw ScenarioError("--vary " + a.key + ": the key is varied twice; expected each key in one --vary");
  }
  if (s.seeds.empty()) throw ScenarioError("--seeds: expected at least one seed");
  // Each value alone first, so that an error names the bad value rather than a combination.
  for (const SweepAxis& a : s.axes)
    for (const std::string& v : a.values) {
      std::vector<std::string> o = s.sets;
      o.push_back(a.key + "=" + v);
      try {
        (void)load_scenario(s.scenario_path, o);
      } catch (const ScenarioError& e) {
        throw ScenarioError("--vary " + vary_text(a) + ": value " + v + ": " + e.what());
      }
    }
  // Then every combination of the axes (cross-key rules), one seed.
  const std::size_t combos = sweep_size(s) / s.seeds.size();
  if (s.axes.size() < 2) return;
  for (std::size_t c = 0; c < combos; ++c) {
    const SweepPoint p = sweep_point(s, c * s.seeds.size());
    try {
      (void)load_scenario(s.scenario_path, sweep_overrides(s, p));
    } catch (const ScenarioError& e) {
      throw ScenarioError("--vary: the combination " + describe_point(s, p) + " does not load: " + e.what());
    }
  }
}

// ---------------------------------------------------------------------------
// Points, rows, table
// ---------------------------------------------------------------------------

void flatten_json(const Json& v, const std::string& prefix, SweepCells& out) {
  auto join_key = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  if (v.is_object()) {
    for (const auto& [k, m] : v.get_ref<const Json::object_t&>()) flatten_json(m, join_key(k), out);
  } else if (v.is_array()) {
    bool named = !v.empty();
    for (const Json& e : v) {
      const Json* n = json_find(e, "name");
      named = named && n && n->is_string() && !n->get_ref<const std::string&>().empty();
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Json& e = v[i];
      if (named) {
        const std::string p = join_key(json_find(e, "name")->get<std::string>());
        for (const auto& [k, m] : e.get_ref<const Json::object_t&>())
          if (k != "name") flatten_json(m, p + "." + k, out);
      } else {
        flatten_json(e, join_key(std::to_string(i)), out);
      }
    }
  } else {
    out.emplace_back(prefix, v);
  }
}

std::string format_sweep_point(const SweepSpec& s, const std::string& scenario_text, const SweepPoint& p,
                               const Json& report, const Json& run_figures) {
  Json vary = Json::array();
  for (const SweepAxis& a : s.axes) vary.push_back(vary_text(a));
  Json inputs = {{"point", p.index}};
  for (std::size_t i = 0; i < s.axes.size(); ++i) {
    double x = 0;
    inputs[s.axes[i].key] = plain_number(p.values[i], x) ? json_number(x) : Json(p.values[i]);
  }
  inputs["seed"] = p.seed;
  Json o = {{"format", kPointFormat},
            {"format_version", kPointFormatVersion},
            {"sweep",
             {{"scenario", s.scenario_path},
              {"vary", std::move(vary)},
              {"seeds", seeds_text(s.seeds)},
              {"set", s.sets},
              {"points", sweep_size(s)},
              {"scenario_toml", scenario_text}}},
            {"index", p.index},
            {"inputs", std::move(inputs)},
            {"report", report}};
  if (!run_figures.is_null()) o["replication"] = run_figures;
  return dump_json(o);
}

const SweepColumn* SweepTable::column(const std::string& name) const {
  for (const SweepColumn& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

GridPoints gather_grid_points(const std::vector<std::string>& texts, const std::vector<std::string>& names,
                              const std::string& format, int format_version, const std::string& grid_member,
                              const std::string& what) {
  if (texts.empty()) throw std::runtime_error("no " + what + " point to merge");
  GridPoints g;
  std::vector<std::pair<std::string, std::string>> identity;
  std::string identity_file;
  for (std::size_t f = 0; f < texts.size(); ++f) {
    const std::string& name = names.at(f);
    Json v = parse_json(texts[f], name);
    const Json* fmt = json_find(v, "format");
    if (!fmt || !fmt->is_string() || fmt->get_ref<const std::string&>() != format)
      throw std::runtime_error(name + ": not a " + what + " point (expected \"format\": \"" + format +
                               "\", written by peebot " + what + " --point)");
    const Json* ver = json_find(v, "format_version");
    if (!ver || json_double(*ver) != format_version)
      throw std::runtime_error(name + ": format_version: expected " + std::to_string(format_version));
    const Json* grid = json_find(v, grid_member);
    const Json* idx = json_find(v, "index");
    if (!grid || !grid->is_object() || !idx || !idx->is_number())
      throw std::runtime_error(name + ": expected the members " + grid_member + " and index");
    const Json* pts = json_find(*grid, "points");
    const double n_points = pts && pts->is_number() ? json_double(*pts) : NAN;
    if (!(n_points >= 1) || n_points != std::floor(n_points) || n_points > 1e9)
      throw std::runtime_error(name + ": " + grid_member + ".points: expected a count of points");
    // The grid a point belongs to: every member of GRID.
    std::vector<std::pair<std::string, std::string>> id;
    for (const auto& [k, m] : grid->get_ref<const Json::object_t&>()) {
      std::string val;
      if (m.is_array())
        for (const Json& e : m) val += (e.is_string() ? e.get<std::string>() : shortest_number(json_double(e))) + "\n";
      else
        val = m.is_string() ? m.get<std::string>() : shortest_number(json_double(m));
      id.emplace_back(k, std::move(val));
    }
    if (f == 0) {
      identity = id;
      identity_file = name;
      g.grid = *grid;
      g.points = static_cast<std::size_t>(n_points);
    } else if (id != identity) {
      std::string differ;
      for (std::size_t i = 0; i < std::max(id.size(), identity.size()) && differ.empty(); ++i)
        if (i >= id.size() || i >= identity.size() || id[i] != identity[i])
          differ = (i < identity.size() ? identity[i] : id[i]).first;
      throw std::runtime_error(name + ": a point of another " + what + " than " + identity_file + " (" + grid_member +
                               "." + differ + " differs: the scenario, --vary, --seeds or --set are not the same)");
    }
    const double k = json_double(*idx);
    if (!(k >= 0) || k != std::floor(k) || k >= static_cast<double>(g.points))
      throw std::runtime_error(name + ": index " + shortest_number(k) + ": expected 0 .. " + std::to_string(g.points - 1));
    g.files.push_back(GridPointFile{static_cast<std::size_t>(k), f, std::move(v)});
  }
  std::sort(g.files.begin(), g.files.end(),
            [](const GridPointFile& a, const GridPointFile& b) { return a.index < b.index; });
  for (std::size_t i = 1; i < g.files.size(); ++i)
    if (g.files[i].index == g.files[i - 1].index)
      throw std::runtime_error(names[g.files[i].file] + ": point " + std::to_string(g.files[i].index) + " is also in " +
                               names[g.files[i - 1].file]);
  if (g.files.size() != g.points) {
    std::string missing;
    std::size_t n = 0, r = 0;
    for (std::size_t k = 0; k < g.points; ++k) {
      if (r < g.files.size() && g.files[r].index == k) { ++r; continue; }
      if (++n <= 20) missing += (n > 1 ? ", " : "") + std::to_string(k);
    }
    throw std::runtime_error("the " + what + " has " + std::to_string(g.points) + " points and " + std::to_string(n) +
                             " are missing: " + missing + (n > 20 ? ", ..." : ""));
  }
  return g;
}

GridPoints gather_sweep_points(const std::vector<std::string>& texts, const std::vector<std::string>& names) {
  return gather_grid_points(texts, names, kPointFormat, kPointFormatVersion, "sweep", "sweep");
}

SweepTable merge_sweep_points(const std::vector<std::string>& texts, const std::vector<std::string>& names) {
  return merge_sweep_points(gather_sweep_points(texts, names), names);
}

SweepTable merge_sweep_points(const GridPoints& g, const std::vector<std::string>& names) {
  const Json& sw = g.grid;
  for (const char* k : {"scenario", "seeds", "scenario_toml"}) {
    const Json* m = json_find(sw, k);
    if (!m || !m->is_string())
      throw std::runtime_error(names[g.files[0].file] + ": sweep." + k + ": expected a text");
  }
  for (const char* k : {"vary", "set"}) {
    const Json* m = json_find(sw, k);
    bool texts_only = m && m->is_array();
    for (std::size_t i = 0; texts_only && i < m->size(); ++i) texts_only = (*m)[i].is_string();
    if (!texts_only)
      throw std::runtime_error(names[g.files[0].file] + ": sweep." + k + ": expected a list of texts");
  }
  SweepTable t;
  const auto str = [&](const char* k) {
    std::string o;
    const Json* m = json_find(sw, k);
    if (m->is_string()) return m->get<std::string>();
    for (const Json& e : *m) o += (o.empty() ? "" : "\n") + e.get<std::string>();
    return o;
  };
  t.attributes = {{"format", kTableFormat},
                  {"scenario", str("scenario")},
                  {"scenario_toml", str("scenario_toml")},
                  {"vary", str("vary")},
                  {"seeds", str("seeds")},
                  {"set", str("set")},
                  {"points", shortest_number(static_cast<double>(g.points))}};
  for (const Json& e : *json_find(sw, "vary")) {
    const std::string& text = e.get_ref<const std::string&>();
    t.axis_keys.push_back(text.substr(0, text.find('=')));
  }
  struct Parsed {
    SweepCells cells;
  };
  std::vector<Parsed> rows;
  for (const GridPointFile& pf : g.files) {
    const Json* in = json_find(pf.doc, "inputs");
    const Json* rep = json_find(pf.doc, "report");
    if (!in || !in->is_object() || !rep || !rep->is_object())
      throw std::runtime_error(names[pf.file] + ": expected the members sweep, index, inputs and report");
    Parsed p;
    flatten_json(*in, "", p.cells);
    const std::size_t n_inputs = p.cells.size();
    SweepCells rc;
    flatten_json(*rep, "", rc);
    for (auto& [col, val] : rc) {
      bool clash = false;
      for (std::size_t i = 0; i < n_inputs; ++i) clash = clash || p.cells[i].first == col;
      p.cells.emplace_back(clash ? "report." + col : col, std::move(val));
    }
    rows.push_back(std::move(p));
  }

  // Columns in order of first appearance; each row's cell by column.
  std::map<std::string, std::size_t> col_of;
  std::vector<std::vector<const Json*>> cells;  // [column][row]
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (const auto& [name, val] : rows[r].cells) {
      auto it = col_of.find(name);
      if (it == col_of.end()) {
        it = col_of.emplace(name, t.columns.size()).first;
        t.columns.push_back(SweepColumn{name, SweepColumn::Type::kFloat, {}, {}});
        cells.emplace_back(rows.size(), nullptr);
      }
      cells[it->second][r] = &val;
    }
  t.rows = rows.size();
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    SweepColumn& col = t.columns[c];
    bool any_string = false, all_int = true;
    for (const Json* v : cells[c]) {
      if (!v || v->is_null()) { all_int = false; continue; }
      if (v->is_string()) any_string = true;
      const double x = json_double(*v);
      if (!(std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 9.0e15)) all_int = false;
    }
    if (any_string) {
      col.type = SweepColumn::Type::kString;
      for (const Json* v : cells[c])
        col.text.push_back(!v || v->is_null() ? ""
                           : v->is_string() ? v->get<std::string>()
                           : shortest_number(json_double(*v)));
    } else {
      col.type = all_int ? SweepColumn::Type::kInt : SweepColumn::Type::kFloat;
      for (const Json* v : cells[c]) col.num.push_back(v ? json_double(*v) : NAN);
    }
  }
  return t;
}

// ---------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string cell_text(const SweepColumn& c, std::size_t r) {
  if (c.type == SweepColumn::Type::kString) return c.text[r];
  const double v = c.num[r];
  if (std::isnan(v)) return "";
  if (c.type == SweepColumn::Type::kInt) return std::to_string(static_cast<long long>(v));
  return shortest_number(v);
}

struct H5 {
  hid_t id;
  herr_t (*close)(hid_t);
  H5(hid_t i, herr_t (*c)(hid_t), const std::string& what) : id(i), close(c) {
    if (id < 0) throw std::runtime_error("HDF5: " + what + " failed");
  }
  ~H5() { close(id); }
  H5(const H5&) = delete;
  H5& operator=(const H5&) = delete;
};

void check(herr_t rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error("HDF5: " + what + " failed");
}

void write_hdf5(const SweepTable& t, const std::string& path) {
  // Field layout: doubles, int64s and fixed-length strings, packed.
  std::vector<std::size_t> offset(t.columns.size()), width(t.columns.size());
  std::size_t row_size = 0;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const SweepColumn& col = t.columns[c];
    std::size_t w = 8;
    if (col.type == SweepColumn::Type::kString) {
      w = 1;
      for (const std::string& s : col.text) w = std::max(w, s.size());
    }
    offset[c] = row_size;
    width[c] = w;
    row_size += w;
  }
  H5 type(H5Tcreate(H5T_COMPOUND, std::max<std::size_t>(row_size, 1)), H5Tclose, "H5Tcreate");
  std::vector<std::unique_ptr<H5>> strings;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const SweepColumn& col = t.columns[c];
    hid_t ft = col.type == SweepColumn::Type::kInt ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
    if (col.type == SweepColumn::Type::kString) {
      strings.push_back(std::make_unique<H5>(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy"));
      ft = strings.back()->id;
      check(H5Tset_size(ft, width[c]), "H5Tset_size");
      check(H5Tset_strpad(ft, H5T_STR_NULLPAD), "H5Tset_strpad");
      check(H5Tset_cset(ft, H5T_CSET_UTF8), "H5Tset_cset");
    }
    check(H5Tinsert(type.id, col.name.c_str(), offset[c], ft), "H5Tinsert of column " + col.name);
  }
  std::vector<unsigned char> buf(row_size * t.rows, 0);
  for (std::size_t r = 0; r < t.rows; ++r)
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      unsigned char* p = buf.data() + r * row_size + offset[c];
      const SweepColumn& col = t.columns[c];
      if (col.type == SweepColumn::Type::kString) {
        std::memcpy(p, col.text[r].data(), col.text[r].size());
      } else if (col.type == SweepColumn::Type::kInt) {
        const std::int64_t v = static_cast<std::int64_t>(col.num[r]);
        std::memcpy(p, &v, 8);
      } else {
        std::memcpy(p, &col.num[r], 8);
      }
    }
  // No modification times anywhere: the same table gives the same bytes.
  H5 fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "H5Pcreate");
  check(H5Pset_obj_track_times(fcpl.id, false), "H5Pset_obj_track_times");
  // Exclusive: path is a fresh temporary name (unique_temp_name); never through a link.
  H5 file(H5Fcreate(path.c_str(), H5F_ACC_EXCL, fcpl.id, H5P_DEFAULT), H5Fclose, "creating " + path);
  const hsize_t dims[1] = {t.rows};
  H5 space(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple");
  H5 dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  check(H5Pset_obj_track_times(dcpl.id, false), "H5Pset_obj_track_times");
  H5 dset(H5Dcreate2(file.id, "sweep", type.id, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT), H5Dclose,
          "creating /sweep");
  if (t.rows) check(H5Dwrite(dset.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "writing /sweep");
  H5 vstr(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(vstr.id, H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(vstr.id, H5T_CSET_UTF8), "H5Tset_cset");
  H5 scalar(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  auto attr = [&](hid_t obj, const std::string& name, hid_t ty, const void* v) {
    H5 a(H5Acreate2(obj, name.c_str(), ty, scalar.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "attribute " + name);
    check(H5Awrite(a.id, ty, v), "writing attribute " + name);
  };
  for (const auto& [k, v] : t.attributes) {
    if (k == "points") {
      const std::int64_t n = std::stoll(v);
      attr(file.id, k, H5T_NATIVE_INT64, &n);
    } else {
      const char* p = v.c_str();
      attr(file.id, k, vstr.id, &p);
    }
  }
  const std::int32_t version = kTableFormatVersion;
  attr(file.id, "format_version", H5T_NATIVE_INT32, &version);
  std::string axes;
  for (const std::string& k : t.axis_keys) axes += (axes.empty() ? "" : "\n") + k;
  const char* pa = axes.c_str();
  attr(dset.id, "axis_keys", vstr.id, &pa);
  const std::int64_t rows = static_cast<std::int64_t>(t.rows);
  attr(dset.id, "rows", H5T_NATIVE_INT64, &rows);
}

}  // namespace

std::string format_sweep_csv(const SweepTable& t) {
  std::string o;
  for (std::size_t c = 0; c < t.columns.size(); ++c) o += (c ? "," : "") + csv_field(t.columns[c].name);
  o += "\n";
  for (std::size_t r = 0; r < t.rows; ++r) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) o += (c ? "," : "") + csv_field(cell_text(t.columns[c], r));
    o += "\n";
  }
  return o;
}

bool sweep_table_path_ok(const std::string& path) {
  return ends_with(path, ".csv") || ends_with(path, ".h5") || ends_with(path, ".hdf5");
}

void write_sweep_table(const SweepTable& t, const std::string& path) {
  if (!sweep_table_path_ok(path)) throw std::runtime_error(path + ": expected a name ending in .csv, .h5 or .hdf5");
  if (ends_with(path, ".csv")) {
    write_file_atomically(path, format_sweep_csv(t));
    return;
  }
  const std::string tmp = unique_temp_name(path);  // created exclusively by write_hdf5
  register_temp_file(tmp);
  try {
    write_hdf5(t, tmp);
    std::filesystem::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    unregister_temp_file(tmp);
    throw;
  }
  unregister_temp_file(tmp);
}

// ---------------------------------------------------------------------------
// The chart
// ---------------------------------------------------------------------------

namespace {

std::string xml(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// Tick values covering [lo, hi]: 1, 2 or 5 times a power of ten, about n of them.
std::vector<double> nice_ticks(double lo, double hi, int n) {
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const double raw = (hi - lo) / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag, step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  std::vector<double> t;
  for (double v = std::floor(lo / step) * step; v <= hi + step * 0.5; v += step) t.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return t;
}

}  // namespace

std::string sweep_chart(const SweepTable& t, const std::string& figure, bool html) {
  const SweepColumn* fy = t.column(figure);
  if (!fy || fy->type == SweepColumn::Type::kString) {
    std::string numeric;
    for (const SweepColumn& c : t.columns)
      if (c.type != SweepColumn::Type::kString) numeric += (numeric.empty() ? "" : ", ") + c.name;
    throw std::invalid_argument("--figure " + figure + ": " + (fy ? "not a numeric column" : "no such column") +
                                "; expected one of: " + numeric);
  }
  const std::string xkey = t.axis_keys.empty() ? "seed" : t.axis_keys[0];
  const std::string skey = t.axis_keys.size() > 1 ? t.axis_keys[1] : "";
  const SweepColumn* fx = t.column(xkey);
  const SweepColumn* fs = skey.empty() ? nullptr : t.column(skey);
  if (!fx) throw std::invalid_argument("the table has no column " + xkey);
  auto label = [](const SweepColumn* c, std::size_t r) { return c ? cell_text(*c, r) : std::string(); };

  // Distinct x and series values in order of first appearance (the --vary order).
  std::vector<std::string> xs, ss;
  std::vector<std::size_t> xi(t.rows), si(t.rows);
  for (std::size_t r = 0; r < t.rows; ++r) {
    const std::string x = label(fx, r), s = label(fs, r);
    auto ix = std::find(xs.begin(), xs.end(), x);
    if (ix == xs.end()) ix = xs.insert(xs.end(), x);
    auto is = std::find(ss.begin(), ss.end(), s);
    if (is == ss.end()) is = ss.insert(ss.end(), s);
    xi[r] = static_cast<std::size_t>(ix - xs.begin());
    si[r] = static_cast<std::size_t>(is - ss.begin());
  }
  // x positions: numbers, else durations ("5min"), else evenly spaced categories.
  std::vector<double> xpos(xs.size());
  bool numeric = true;
  for (std::size_t i = 0; i < xs.size() && numeric; ++i) {
    std::string s = xs[i];
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    double v = 0;
    if (plain_number(s, v)) { xpos[i] = v; continue; }
    try {
      xpos[i] = parse_duration(s);
    } catch (const std::exception&) {
      numeric = false;
    }
  }
  if (!numeric)
    for (std::size_t i = 0; i < xs.size(); ++i) xpos[i] = static_cast<double>(i);

  struct Cell { double sum = 0, lo = INFINITY, hi = -INFINITY; std::size_t n = 0; };
  std::vector<std::vector<Cell>> cell(ss.size(), std::vector<Cell>(xs.size()));
  double ylo = INFINITY, yhi = -INFINITY;
  for (std::size_t r = 0; r < t.rows; ++r) {
    const double y = fy->num[r];
    if (!std::isfinite(y)) continue;
    Cell& c = cell[si[r]][xi[r]];
    c.sum += y;
    c.lo = std::min(c.lo, y);
    c.hi = std::max(c.hi, y);
    ++c.n;
    ylo = std::min(ylo, y);
    yhi = std::max(yhi, y);
  }
  if (!std::isfinite(ylo)) ylo = 0, yhi = 1;
  const std::vector<double> yt = nice_ticks(ylo, yhi, 5);
  const double y0 = yt.front(), y1 = yt.back();
  double x0 = *std::min_element(xpos.begin(), xpos.end()), x1 = *std::max_element(xpos.begin(), xpos.end());
  if (!(x1 > x0)) x0 -= 1, x1 += 1;
  const double pad = (x1 - x0) * 0.05;
  x0 -= pad;
  x1 += pad;

  const int W = 820, H = 480, L = 80, R = 210, T = 50, B = 70;
  const double pw = W - L - R, ph = H - T - B;
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * pw; };
  auto Y = [&](double v) { return T + ph - (v - y0) / (y1 - y0) * ph; };
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::string o;
  char b[512];
  std::snprintf(b, sizeof b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
                W, H, W, H, W, H);
  o += b;
  std::string scenario;
  for (const auto& [k, v] : t.attributes)
    if (k == "scenario") scenario = v;
  o += "<text x=\"" + std::to_string(L) + "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + xml(figure) + " vs " +
       xml(xkey) + "</text>\n";
  o += "<text x=\"" + std::to_string(L) + "\" y=\"40\" fill=\"#555\">" + xml(scenario) +
       ": mean over seeds" + (t.axis_keys.size() > 2 ? " and the further varied keys" : std::string()) +
       ", bars min-max</text>\n";
  // Axes, grid and ticks.
  for (double v : yt) {
    std::snprintf(b, sizeof b,
                  "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                  L, L + pw, Y(v), Y(v), L - 6, Y(v) + 4, fmt(v).c_str());
    o += b;
  }
  const std::size_t every = xs.size() > 12 ? (xs.size() + 11) / 12 : 1;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i % every) continue;
    std::snprintf(b, sizeof b,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                  X(xpos[i]), X(xpos[i]), T + ph, T + ph + 5, X(xpos[i]), T + ph + 18);
    o += b + xml(xs[i]) + "</text>\n";
  }
  std::snprintf(b, sizeof b,
                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                L, T, pw, ph, L + pw / 2, H - 22);
  o += b + xml(xkey) + "</text>\n";
  std::snprintf(b, sizeof b, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">", T + ph / 2);
  o += b + xml(figure) + "</text>\n";
  // One line per series.
  for (std::size_t s = 0; s < ss.size(); ++s) {
    const char* col = kColors[s % 10];
    std::string pts;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const Cell& c = cell[s][i];
      if (!c.n) continue;
      std::snprintf(b, sizeof b, "%.1f,%.1f ", X(xpos[i]), Y(c.sum / c.n));
      pts += b;
      std::snprintf(b, sizeof b,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>"
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n",
                    X(xpos[i]), X(xpos[i]), Y(c.lo), Y(c.hi), col, X(xpos[i]), Y(c.sum / c.n), col);
      o += b;
    }
    o += "<polyline fill=\"none\" stroke=\"" + std::string(col) + "\" stroke-width=\"2\" points=\"" + pts + "\"/>\n";
    if (!skey.empty()) {
      std::snprintf(b, sizeof b,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                    "<text x=\"%.1f\" y=\"%zu\">",
                    L + pw + 14, L + pw + 36, T + 14 + static_cast<int>(s) * 18, T + 14 + static_cast<int>(s) * 18,
                    col, L + pw + 42, T + 18 + s * 18);
      o += b + xml(skey + " = " + ss[s]) + "</text>\n";
    }
  }
  o += "</svg>\n";
  if (!html) return o;

  std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + xml(figure + " vs " + xkey) +
                  "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                  "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head><body>\n<h1>" +
                  xml(figure) + " vs " + xml(xkey) + "</h1>\n";
  h += "<p>Scenario " + xml(scenario) + ", " + std::to_string(t.rows) + " runs.</p>\n" + o;
  h += "<table>\n<tr><th>" + xml(xkey) + "</th>";
  for (const std::string& s : ss) h += "<th>" + xml(skey.empty() ? figure : skey + " = " + s) + "</th>";
  h += "</tr>\n";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    h += "<tr><td>" + xml(xs[i]) + "</td>";
    for (std::size_t s = 0; s < ss.size(); ++s) {
      const Cell& c = cell[s][i];
      h += "<td>" + (c.n ? fmt(c.sum / c.n) + " (" + fmt(c.lo) + " &ndash; " + fmt(c.hi) + ", n=" +
                               std::to_string(c.n) + ")"
                         : std::string("&ndash;")) +
           "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n<p>Each cell: mean (min &ndash; max, runs with a value).</p>\n</body></html>\n";
}

// ---------------------------------------------------------------------------
// Intervals per grid point
// ---------------------------------------------------------------------------

namespace {

std::string input_text(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.is_number() ? shortest_number(json_double(v)) : std::string();
}

}  // namespace

SweepSummary summarize_sweep_points(const GridPoints& g, const std::vector<std::string>& names) {
  struct Run {
    std::size_t index;
    std::vector<std::string> values;
    long seed;
    std::vector<RunFigure> figures;
  };
  std::vector<Run> runs;
  SweepSummary out;
  for (const GridPointFile& pf : g.files) {
    const std::size_t f = pf.file;
    const Json& v = pf.doc;
    const Json* rep = json_find(v, "replication");
    const Json* in = json_find(v, "inputs");
    const Json* idx = json_find(v, "index");
    if (!rep) continue;  // written without run figures
    if (!in || !in->is_object() || !idx) throw std::runtime_error(names.at(f) + ": expected the members index and inputs");
    Run r;
    r.index = static_cast<std::size_t>(json_double(*idx));
    r.seed = 0;
    std::vector<std::string> keys;
    for (const auto& [k, val] : in->get_ref<const Json::object_t&>()) {
      if (k == "point") continue;
      if (k == "seed") {
        if (!val.is_number_integer()) throw std::runtime_error(names.at(f) + ": inputs.seed: expected an integer");
        r.seed = val.get<long>();
        continue;
      }
      keys.push_back(k);
      r.values.push_back(input_text(val));
    }
    if (out.axis_keys.empty()) out.axis_keys = keys;
    try {
      r.figures = parse_run_figures(*rep);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(names.at(f) + ": replication: " + e.what());
    }
    runs.push_back(std::move(r));
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.index < b.index; });
  std::vector<std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::size_t g = 0;
    while (g < out.groups.size() && out.groups[g].values != runs[i].values) ++g;
    if (g == out.groups.size()) {
      out.groups.push_back(SweepGroup{runs[i].values, {}});
      members.emplace_back();
    }
    members[g].push_back(i);
  }
  for (std::size_t g = 0; g < out.groups.size(); ++g) {
    std::vector<std::vector<RunFigure>> figs;
    std::vector<long> seeds;
    for (std::size_t i : members[g]) {
      figs.push_back(std::move(runs[i].figures));
      seeds.push_back(runs[i].seed);
    }
    out.groups[g].pooled = pool_runs(figs);
    out.groups[g].pooled.seeds = seeds;
  }
  return out;
}

std::string format_sweep_summary_csv(const SweepSummary& s) {
  std::string o;
  for (const auto& k : s.axis_keys) o += csv_field(k) + ",";
  o += "figure,value,ci95_lo,ci95_hi,n,target,direction,verdict,unit,description\n";
  auto num = [](double v) { return std::isfinite(v) ? shortest_number(v) : std::string(); };
  for (const SweepGroup& g : s.groups)
    for (const PooledFigure& f : g.pooled.figures) {
      for (const auto& v : g.values) o += csv_field(v) + ",";
      const char* dir = f.direction == stats::Direction::kAtLeast ? "at_least"
                        : f.direction == stats::Direction::kAtMost ? "at_most" : "below";
      o += csv_field(f.name) + "," + num(f.iv.value) + "," + num(f.iv.lo) + "," + num(f.iv.hi) + "," +
           std::to_string(f.iv.n) + "," + num(f.target) + "," + (std::isnan(f.target) ? "" : dir) + "," +
           (std::isnan(f.target) ? std::string() : csv_field(verdict_name(f.verdict))) + "," + csv_field(f.unit) + "," +
           csv_field(f.description) + "\n";
    }
  return o;
}

std::string format_sweep_summary_text(const SweepSummary& s) {
  std::string o;
  for (const SweepGroup& g : s.groups) {
    std::string head;
    for (std::size_t i = 0; i < g.values.size() && i < s.axis_keys.size(); ++i)
      head += (head.empty() ? "" : " ") + s.axis_keys[i] + "=" + g.values[i];
    o += (head.empty() ? std::string("all runs") : head) + " (n " + std::to_string(g.pooled.seeds.size()) + "):\n";
    for (const PooledFigure& f : g.pooled.figures) {
      if (std::isnan(f.target)) continue;
      o += "  " + f.name + ": " + stats::format_interval(f.iv, "%.4g") + ", target " +
           (f.direction == stats::Direction::kAtLeast ? ">= " : f.direction == stats::Direction::kAtMost ? "<= " : "< ") +
           shortest_number(f.target) + ": " + verdict_name(f.verdict) + "\n";
    }
  }
  return o;
}

}  // namespace peebot
