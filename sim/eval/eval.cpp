#include "eval.hpp"

#include "../report/json.hpp"
#include "../sweep/sweep.hpp"
#include "../trace/player.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace peebot {

void EvalSample::add(const EvalSample& o) {
  tp += o.tp; fp += o.fp; fn += o.fn;
  duplicates += o.duplicates; false_alarms += o.false_alarms;
  bulk_as_urination += o.bulk_as_urination;
  days += o.days;
  latency_s.insert(latency_s.end(), o.latency_s.begin(), o.latency_s.end());
  post_latency_s.insert(post_latency_s.end(), o.post_latency_s.begin(), o.post_latency_s.end());
  latency_visible_s.insert(latency_visible_s.end(), o.latency_visible_s.begin(), o.latency_visible_s.end());
  post_latency_visible_s.insert(post_latency_visible_s.end(), o.post_latency_visible_s.begin(),
                                o.post_latency_visible_s.end());
  los_hidden_voids += o.los_hidden_voids;
  for (auto [mine, theirs] : {std::pair{&voids_by_class, &o.voids_by_class}, std::pair{&misses_by_class, &o.misses_by_class}}) {
    if (mine->size() < theirs->size()) mine->resize(theirs->size(), 0);
    for (std::size_t k = 0; k < theirs->size(); ++k) (*mine)[k] += (*theirs)[k];
  }
}

const char* void_class_name(VoidClass c) {
  switch (c) {
    case VoidClass::kLos: return "los";
    case VoidClass::kTankFull: return "tank_full";
    case VoidClass::kUnderQuantum: return "net_rise_under_1pct";
    case VoidClass::kAfterBulk: return "after_bulk";
    case VoidClass::kClose: return "close_to_another";
    case VoidClass::kUnder2Pct: return "net_rise_1_to_2pct";
    case VoidClass::kClear: return "clear";
  }
  return "?";
}

namespace {

bool overlaps(double a0, double a1, double b0, double b1) {
  if (!std::isfinite(b1)) b1 = INFINITY;
  return a0 <= b1 && b0 <= a1;
}

bool onset_in_los(const Trace& t, double onset) {
  for (const LosWindow& w : t.los)
    if (onset >= w.start_s && (onset < w.end_s || !std::isfinite(w.end_s))) return true;
  return false;
}

// The true level (%) at time x, from the piecewise-linear truth/tank; NaN without it.
double true_level(const std::vector<TankPoint>& tank, double x) {
  if (tank.empty()) return NAN;
  auto it = std::upper_bound(tank.begin(), tank.end(), x, [](double v, const TankPoint& p) { return v < p.t_s; });
  if (it == tank.begin()) return tank.front().level_pct;
  if (it == tank.end()) return tank.back().level_pct;
  const TankPoint& a = *(it - 1);
  const TankPoint& b = *it;
  if (!(b.t_s > a.t_s)) return b.level_pct;
  return a.level_pct + (b.level_pct - a.level_pct) * (x - a.t_s) / (b.t_s - a.t_s);
}

}  // namespace

VoidClass classify_void(const Trace& t, std::size_t i) {
  const VoidEvent& v = t.voids[i];
  for (const LosWindow& w : t.los)
    if (overlaps(v.onset_s, v.end_s, w.start_s, w.end_s)) return VoidClass::kLos;
  for (const TankFullEpisode& e : t.tank_full)
    if (overlaps(v.onset_s, v.end_s, e.start_s, e.end_s)) return VoidClass::kTankFull;
  const double net = true_level(t.tank, v.end_s) - true_level(t.tank, v.onset_s);
  if (net < 1.0) return VoidClass::kUnderQuantum;
  for (const BulkTransfer& b : t.bulk)
    if (v.onset_s >= b.onset_s && v.onset_s <= b.end_s + 600.0) return VoidClass::kAfterBulk;
  for (std::size_t k = 0; k < t.voids.size(); ++k) {
    const VoidEvent& o = t.voids[k];
    if (k == i || !o.reaches_tank) continue;
    if (overlaps(v.onset_s - 60.0, v.end_s + 60.0, o.onset_s, o.end_s)) return VoidClass::kClose;
  }
  if (net < 2.0) return VoidClass::kUnder2Pct;
  return VoidClass::kClear;
}

EvalSample eval_sample(const Report& r, double days, const Trace* truth) {
  EvalSample s;
  s.tp = r.match.tp; s.fp = r.match.fp; s.fn = r.match.fn;
  s.duplicates = r.match.duplicates.size();
  s.false_alarms = r.match.false_alarms.size();
  s.bulk_as_urination = r.bulk_as_urination;
  s.days = days;
  s.latency_s = r.detection_latencies_s;
  s.post_latency_s = r.event_to_tweet_s;
  if (!truth) return s;
  const Trace& t = *truth;
  // detection_latencies_s is in match.pairs order; event_to_tweet_s has event_to_tweet_void.
  for (std::size_t k = 0; k < r.match.pairs.size() && k < s.latency_s.size(); ++k)
    if (!onset_in_los(t, t.voids[r.match.pairs[k].first].onset_s)) s.latency_visible_s.push_back(s.latency_s[k]);
  for (std::size_t k = 0; k < r.event_to_tweet_void.size() && k < s.post_latency_s.size(); ++k)
    if (!onset_in_los(t, t.voids[r.event_to_tweet_void[k]].onset_s)) s.post_latency_visible_s.push_back(s.post_latency_s[k]);
  s.voids_by_class.assign(kVoidClasses, 0);
  s.misses_by_class.assign(kVoidClasses, 0);
  std::vector<bool> missed(t.voids.size(), false);
  for (std::size_t i : r.match.misses) missed[i] = true;
  for (std::size_t i = 0; i < t.voids.size(); ++i) {
    if (!t.voids[i].reaches_tank) continue;
    if (onset_in_los(t, t.voids[i].onset_s)) ++s.los_hidden_voids;
    const auto c = static_cast<std::size_t>(classify_void(t, i));
    ++s.voids_by_class[c];
    if (missed[i]) ++s.misses_by_class[c];
  }
  return s;
}

EvalFigures eval_figures(const EvalSample& s) {
  EvalFigures f;
  f.tp = s.tp; f.fp = s.fp; f.fn = s.fn;
  // Same conventions as match_detections (sim/report/report.hpp).
  f.precision = s.tp + s.fp ? static_cast<double>(s.tp) / static_cast<double>(s.tp + s.fp) : 1.0;
  f.recall = s.tp + s.fn ? static_cast<double>(s.tp) / static_cast<double>(s.tp + s.fn) : 1.0;
  f.f1 = f_beta(f.precision, f.recall, 1.0);
  f.f05 = f_beta(f.precision, f.recall, 0.5);
  f.duplicates = s.duplicates;
  f.false_alarms_per_day = s.days > 0 ? static_cast<double>(s.false_alarms) / s.days : 0.0;
  f.bulk_as_urination = s.bulk_as_urination;
  f.latency_p50_s = percentile(s.latency_s, 50);
  f.latency_p95_s = percentile(s.latency_s, 95);
  f.latency_max_s = percentile(s.latency_s, 100);
  f.post_latency_p95_s = percentile(s.post_latency_s, 95);
  f.latency_p95_visible_s = percentile(s.latency_visible_s, 95);
  f.post_latency_p95_visible_s = percentile(s.post_latency_visible_s, 95);
  f.los_hidden_voids = s.los_hidden_voids;
  f.voids_by_class = s.voids_by_class;
  f.misses_by_class = s.misses_by_class;
  std::size_t vis = 0, vis_missed = 0;
  for (std::size_t k = 0; k < s.voids_by_class.size() && k < s.misses_by_class.size(); ++k) {
    if (void_class_invisible(static_cast<VoidClass>(k))) continue;
    vis += s.voids_by_class[k];
    vis_missed += s.misses_by_class[k];
  }
  if (vis) f.recall_visible = static_cast<double>(vis - vis_missed) / static_cast<double>(vis);
  return f;
}

namespace {
void put_vec(std::ostringstream& o, const char* name, const std::vector<double>& v) {
  o << name << ' ' << v.size();
  char buf[40];
  for (double x : v) { std::snprintf(buf, sizeof buf, " %.17g", x); o << buf; }
  o << '\n';
}
}  // namespace

std::string format_eval_sample(const EvalSample& s) {
  std::ostringstream o;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", s.days);
  o << "peebot-eval-sample 2\n"
    << "counts " << s.tp << ' ' << s.fp << ' ' << s.fn << ' ' << s.duplicates << ' ' << s.false_alarms << ' '
    << s.bulk_as_urination << ' ' << buf << ' ' << s.los_hidden_voids << '\n';
  put_vec(o, "latency", s.latency_s);
  put_vec(o, "post_latency", s.post_latency_s);
  put_vec(o, "latency_visible", s.latency_visible_s);
  put_vec(o, "post_latency_visible", s.post_latency_visible_s);
  for (auto [name, v] : {std::pair{"voids_by_class", &s.voids_by_class}, std::pair{"misses_by_class", &s.misses_by_class}}) {
    o << name << ' ' << v->size();
    for (std::size_t n : *v) o << ' ' << n;
    o << '\n';
  }
  return o.str();
}

EvalSample parse_eval_sample(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  int version = 0;
  EvalSample s;
  auto bad = [](const std::string& what) { return std::runtime_error("malformed eval sample: " + what); };
  if (!(in >> word >> version) || word != "peebot-eval-sample" || version != 2) throw bad("header");
  if (!(in >> word) || word != "counts") throw bad("counts");
  if (!(in >> s.tp >> s.fp >> s.fn >> s.duplicates >> s.false_alarms >> s.bulk_as_urination)) throw bad("counts");
  std::string d;
  if (!(in >> d)) throw bad("days");
  s.days = std::strtod(d.c_str(), nullptr);
  if (!(in >> s.los_hidden_voids)) throw bad("counts");
  for (auto [name, vec] : {std::pair{"latency", &s.latency_s}, std::pair{"post_latency", &s.post_latency_s},
                           std::pair{"latency_visible", &s.latency_visible_s},
                           std::pair{"post_latency_visible", &s.post_latency_visible_s}}) {
    std::size_t n = 0;
    if (!(in >> word >> n) || word != name) throw bad(name);
    if (n > text.size()) throw bad(std::string(name) + ": more values than the text holds");  // bounds the allocation
    vec->resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!(in >> d)) throw bad(name);
      (*vec)[i] = std::strtod(d.c_str(), nullptr);  // also reads "nan"
    }
  }
  for (auto [name, vec] : {std::pair{"voids_by_class", &s.voids_by_class}, std::pair{"misses_by_class", &s.misses_by_class}}) {
    std::size_t n = 0;
    if (!(in >> word >> n) || word != name || n > kVoidClasses) throw bad(name);
    vec->resize(n);
    for (std::size_t i = 0; i < n; ++i)
      if (!(in >> (*vec)[i])) throw bad(name);
  }
  return s;
}

// ---------------------------------------------------------------------------

namespace {

using stats::Pool;
using stats::Replicate;

Replicate ratio(double num, double den) {
  Replicate r;
  r.num = num;
  r.den = den;
  return r;
}
Replicate count(std::size_t x) {
  Replicate r;
  r.x = static_cast<double>(x);
  return r;
}
Replicate samples(const std::vector<double>& v) {
  Replicate r;
  r.samples = v;
  return r;
}
double d(std::size_t n) { return static_cast<double>(n); }

struct Key {
  const char* name;
  double (*get)(const EvalFigures&);
  int direction;     // +1: higher is better; -1: lower is better
  double abs_tol;
  double rel_tol;
  stats::FigureSpec spec;              // how it pools over runs
  Replicate (*rep)(const EvalSample&);  // a run's raw material
};

// The same conventions as match_detections: no detection -> precision 1, no void -> recall 1, both -> F 1.
const Key kKeys[] = {
    {"precision", [](const EvalFigures& f) { return f.precision; }, +1, 0.005, 0, {Pool::kRatio, 95, 1.0},
     [](const EvalSample& s) { return ratio(d(s.tp), d(s.tp + s.fp)); }},
    {"recall", [](const EvalFigures& f) { return f.recall; }, +1, 0.005, 0, {Pool::kRatio, 95, 1.0},
     [](const EvalSample& s) { return ratio(d(s.tp), d(s.tp + s.fn)); }},
    {"f1", [](const EvalFigures& f) { return f.f1; }, +1, 0.005, 0, {Pool::kRatio, 95, 1.0},
     [](const EvalSample& s) { return ratio(2 * d(s.tp), 2 * d(s.tp) + d(s.fp) + d(s.fn)); }},
    {"f05", [](const EvalFigures& f) { return f.f05; }, +1, 0.005, 0, {Pool::kRatio, 95, 1.0},
     [](const EvalSample& s) { return ratio(1.25 * d(s.tp), 1.25 * d(s.tp) + 0.25 * d(s.fn) + d(s.fp)); }},
    {"duplicates", [](const EvalFigures& f) { return static_cast<double>(f.duplicates); }, -1, 0, 0, {Pool::kSum},
     [](const EvalSample& s) { return count(s.duplicates); }},
    {"false_alarms_per_day", [](const EvalFigures& f) { return f.false_alarms_per_day; }, -1, 0.05, 0,
     {Pool::kRatio, 95, 0.0}, [](const EvalSample& s) { return ratio(d(s.false_alarms), s.days); }},
    {"bulk_as_urination", [](const EvalFigures& f) { return static_cast<double>(f.bulk_as_urination); }, -1, 0, 0,
     {Pool::kSum}, [](const EvalSample& s) { return count(s.bulk_as_urination); }},
    {"latency_p50_s", [](const EvalFigures& f) { return f.latency_p50_s; }, -1, 2, 0.10, {Pool::kPercentile, 50},
     [](const EvalSample& s) { return samples(s.latency_s); }},
    {"latency_p95_s", [](const EvalFigures& f) { return f.latency_p95_s; }, -1, 2, 0.10, {Pool::kPercentile, 95},
     [](const EvalSample& s) { return samples(s.latency_s); }},
    {"latency_max_s", [](const EvalFigures& f) { return f.latency_max_s; }, -1, 10, 0.25, {Pool::kPercentile, 100},
     [](const EvalSample& s) { return samples(s.latency_s); }},
    {"post_latency_p95_s", [](const EvalFigures& f) { return f.post_latency_p95_s; }, -1, 2, 0.10,
     {Pool::kPercentile, 95}, [](const EvalSample& s) { return samples(s.post_latency_s); }},
};
constexpr std::size_t kNKeys = sizeof(kKeys) / sizeof(kKeys[0]);

std::string num(double v, const char* fmt = "%.6g") {
  if (!std::isfinite(v)) return "null";
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// The intervals of every key over the runs (strata: one per run, or empty).
std::vector<stats::Interval> intervals(const std::vector<const EvalSample*>& runs, const std::vector<std::size_t>& strata) {
  std::vector<stats::Interval> out;
  for (const Key& k : kKeys) {
    std::vector<Replicate> reps;
    reps.reserve(runs.size());
    for (const EvalSample* s : runs) reps.push_back(k.rep(*s));
    out.push_back(stats::estimate(k.spec, reps, strata));
  }
  return out;
}

// {"value": v, "ci95": [lo, hi] | null, "n": n}.
Json interval_json(const stats::Interval& iv) {
  return Json{{"value", json_number(iv.value)},
              {"ci95", iv.has_ci() ? Json{json_number(iv.lo), json_number(iv.hi)} : Json(nullptr)},
              {"n", iv.n}};
}

Json figures_json(const EvalFigures& f, const std::vector<stats::Interval>& ci) {
  Json o = Json::object();
  for (std::size_t i = 0; i < kNKeys; ++i) {
    const Key& k = kKeys[i];
    stats::Interval iv = i < ci.size() ? ci[i] : stats::Interval{};
    iv.value = k.get(f);  // the pooled figure exactly as eval_figures computes it
    o[k.name] = interval_json(iv);
  }
  // Visibility figures (not gated): what of the latency tail and the misses the level cannot show.
  o["latency_p95_visible_s"] = json_number(f.latency_p95_visible_s);
  o["post_latency_p95_visible_s"] = json_number(f.post_latency_p95_visible_s);
  o["los_hidden_voids"] = f.los_hidden_voids;
  o["recall_visible"] = json_number(f.recall_visible);
  for (auto [name, v] : {std::pair{"voids_by_class", &f.voids_by_class}, std::pair{"misses_by_class", &f.misses_by_class}}) {
    Json& by = o[name] = Json::object();
    for (std::size_t k = 0; k < v->size(); ++k) by[void_class_name(static_cast<VoidClass>(k))] = (*v)[k];
  }
  return o;
}

}  // namespace

std::vector<std::string> eval_gated_figures() {
  std::vector<std::string> out;
  for (const Key& k : kKeys) out.push_back(k.name);
  return out;
}

EvalResult make_eval_result(const std::string& detector, std::vector<EvalRun> runs) {
  EvalResult r;
  r.detector = detector;
  r.runs = std::move(runs);
  std::vector<std::string> names;
  std::vector<std::size_t> strata;
  std::vector<const EvalSample*> all;
  for (const EvalRun& run : r.runs) {
    auto it = std::find(names.begin(), names.end(), run.scenario);
    if (it == names.end()) { names.push_back(run.scenario); it = names.end() - 1; }
    strata.push_back(static_cast<std::size_t>(it - names.begin()));
    all.push_back(&run.sample);
  }
  EvalSample pooled;
  for (std::size_t si = 0; si < names.size(); ++si) {
    EvalSample per;
    std::vector<const EvalSample*> mine;
    for (std::size_t i = 0; i < r.runs.size(); ++i)
      if (strata[i] == si) { per.add(r.runs[i].sample); mine.push_back(&r.runs[i].sample); }
    r.scenarios.push_back({names[si], eval_figures(per)});
    r.scenario_ci.push_back(intervals(mine, {}));
    pooled.add(per);
  }
  r.pooled = eval_figures(pooled);
  r.pooled_ci = intervals(all, strata);
  return r;
}

std::string format_eval_json(const EvalResult& r) {
  Json scenarios = Json::object();
  for (std::size_t i = 0; i < r.scenarios.size(); ++i)
    scenarios[r.scenarios[i].first] =
        figures_json(r.scenarios[i].second, i < r.scenario_ci.size() ? r.scenario_ci[i] : std::vector<stats::Interval>{});
  // Every run's raw sample (the eval-run hand-over text): a baseline for the paired gate.
  Json runs = Json::array();
  for (const EvalRun& run : r.runs)
    runs.push_back(Json{{"scenario", run.scenario}, {"seed", run.seed}, {"sample", format_eval_sample(run.sample)}});
  return dump_json(Json{{"format", 3},
                        {"detector", r.detector},
                        {"pooled", figures_json(r.pooled, r.pooled_ci)},
                        {"scenarios", std::move(scenarios)},
                        {"runs", std::move(runs)}});
}

namespace {
constexpr const char* kEvalPointFormat = "peebot-eval-point";
constexpr int kEvalPointFormatVersion = 1;
}  // namespace

std::string eval_scenario_name(const std::string& path) { return std::filesystem::path(path).stem().string(); }

std::string format_eval_point(const EvalGrid& g, std::size_t index, const EvalSample& s) {
  std::string seeds;
  for (long x : g.seeds) seeds += (seeds.empty() ? "" : ",") + std::to_string(x);
  const std::size_t si = index / g.seeds.size();
  return dump_json(Json{{"format", kEvalPointFormat},
                        {"format_version", kEvalPointFormatVersion},
                        {"eval",
                         {{"scenarios", g.scenarios},
                          {"detector", g.detector},
                          {"seeds", seeds},
                          {"set", g.sets},
                          {"points", g.points()},
                          {"scenario_toml", g.scenario_texts}}},
                        {"index", index},
                        {"scenario", g.scenarios.at(si)},
                        {"seed", g.seeds.at(index % g.seeds.size())},
                        {"sample", format_eval_sample(s)}});
}

EvalResult merge_eval_points(const std::vector<std::string>& texts, const std::vector<std::string>& names) {
  const GridPoints g = gather_grid_points(texts, names, kEvalPointFormat, kEvalPointFormatVersion, "eval", "eval");
  const Json* scenarios = json_find(g.grid, "scenarios");
  const Json* detector = json_find(g.grid, "detector");
  if (!scenarios || !scenarios->is_array() || scenarios->empty() || !detector || !detector->is_string() ||
      g.points % scenarios->size() != 0)
    throw std::runtime_error(names[g.files[0].file] + ": eval: expected scenarios (a list) and detector");
  std::vector<EvalRun> runs;  // scenario slowest, seed fastest: the grid's index order
  for (const GridPointFile& pf : g.files) {
    const Json* scenario = json_find(pf.doc, "scenario");
    const Json* seed = json_find(pf.doc, "seed");
    const Json* sample = json_find(pf.doc, "sample");
    if (!scenario || !scenario->is_string() || !seed || !seed->is_number_integer() || !sample || !sample->is_string())
      throw std::runtime_error(names[pf.file] + ": expected the members scenario, seed and sample (the run's eval sample)");
    try {
      runs.push_back(EvalRun{eval_scenario_name(scenario->get<std::string>()), seed->get<long>(),
                             parse_eval_sample(sample->get<std::string>())});
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(names[pf.file] + ": " + e.what());
    }
  }
  return make_eval_result(detector->get<std::string>(), std::move(runs));
}

std::string format_eval_table(const EvalResult& r) {
  std::size_t w = 8;
  for (const auto& [name, f] : r.scenarios) w = std::max(w, name.size());
  std::string o;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s %5s %5s %5s %6s %6s %6s %6s %4s %7s %4s %7s %7s %7s %8s\n", static_cast<int>(w),
                "scenario", "tp", "fp", "fn", "prec", "recall", "F1", "F0.5", "dup", "FA/day", "bulk", "lat p50",
                "lat p95", "lat max", "post p95");
  o += buf;
  auto row = [&](const std::string& name, const EvalFigures& f) {
    std::snprintf(buf, sizeof buf, "%-*s %5zu %5zu %5zu %6.4f %6.4f %6.4f %6.4f %4zu %7.3f %4zu %7s %7s %7s %8s\n",
                  static_cast<int>(w), name.c_str(), f.tp, f.fp, f.fn, f.precision, f.recall, f.f1, f.f05,
                  f.duplicates, f.false_alarms_per_day, f.bulk_as_urination, num(f.latency_p50_s, "%.1f").c_str(),
                  num(f.latency_p95_s, "%.1f").c_str(), num(f.latency_max_s, "%.1f").c_str(),
                  num(f.post_latency_p95_s, "%.1f").c_str());
    o += buf;
  };
  for (const auto& [name, f] : r.scenarios) row(name, f);
  row("pooled", r.pooled);
  // 95 % intervals over the runs (seeds) of the main figures.
  if (!r.pooled_ci.empty()) {
    const std::size_t shown[] = {0, 1, 2, 5, 8, 10};  // precision recall f1 FA/day lat p95 post p95
    std::snprintf(buf, sizeof buf, "\n95 %% intervals over the runs (bootstrap over seeds; docs/statistics.md)\n%-*s %4s",
                  static_cast<int>(w), "scenario", "n");
    o += buf;
    const char* heads[] = {"precision", "recall", "F1", "FA/day", "lat p95", "post p95"};
    for (const char* h : heads) { std::snprintf(buf, sizeof buf, " %-17s", h); o += buf; }
    o += "\n";
    auto cirow = [&](const std::string& name, const std::vector<stats::Interval>& ci) {
      std::snprintf(buf, sizeof buf, "%-*s %4zu", static_cast<int>(w), name.c_str(), ci.empty() ? 0 : ci[0].n);
      o += buf;
      for (std::size_t k : shown) {
        const stats::Interval& iv = ci[k];
        const char* f = k < 6 ? "%.3f" : "%.0f";
        std::string cell = iv.has_ci() ? "[" + num(iv.lo, f) + ", " + num(iv.hi, f) + "]" : std::string("-");
        std::snprintf(buf, sizeof buf, " %-17s", cell.c_str());
        o += buf;
      }
      o += "\n";
    };
    for (std::size_t i = 0; i < r.scenarios.size() && i < r.scenario_ci.size(); ++i) cirow(r.scenarios[i].first, r.scenario_ci[i]);
    cirow("pooled", r.pooled_ci);
  }
  if (r.pooled.voids_by_class.empty()) return o;  // no truth classes (labelled data)
  // Visibility: latency over voids whose onset is not inside LOS, and misses
  // by the first reason that applies (docs/detectors.md); not gated.
  std::snprintf(buf, sizeof buf, "\n%-*s %6s %8s %9s %7s  %s\n", static_cast<int>(w), "scenario", "in LOS",
                "p95 vis", "post vis", "R vis", "misses/voids: los full <1% bulk close 1-2% clear");
  o += buf;
  auto vrow = [&](const std::string& name, const EvalFigures& f) {
    std::snprintf(buf, sizeof buf, "%-*s %6zu %8s %9s %7s ", static_cast<int>(w), name.c_str(), f.los_hidden_voids,
                  num(f.latency_p95_visible_s, "%.1f").c_str(), num(f.post_latency_p95_visible_s, "%.1f").c_str(),
                  num(f.recall_visible, "%.4f").c_str());
    o += buf;
    for (std::size_t k = 0; k < f.voids_by_class.size() && k < f.misses_by_class.size(); ++k) {
      std::snprintf(buf, sizeof buf, " %zu/%zu", f.misses_by_class[k], f.voids_by_class[k]);
      o += buf;
    }
    o += "\n";
  };
  for (const auto& [name, f] : r.scenarios) vrow(name, f);
  vrow("pooled", r.pooled);
  return o;
}

namespace {

// The paired comparison of one group of runs (a scenario, or all pooled).
void compare_paired(const std::string& where, const std::vector<const EvalSample*>& now,
                    const std::vector<const EvalSample*>& base, const std::vector<std::size_t>& strata,
                    std::vector<std::string>& out) {
  EvalSample pn, pb;
  for (const EvalSample* s : now) pn.add(*s);
  for (const EvalSample* s : base) pb.add(*s);
  const EvalFigures fn = eval_figures(pn), fb = eval_figures(pb);
  for (const Key& k : kKeys) {
    std::vector<Replicate> a, b;
    for (const EvalSample* s : now) a.push_back(k.rep(*s));
    for (const EvalSample* s : base) b.push_back(k.rep(*s));
    const stats::Interval diff = stats::paired_difference(k.spec, a, b, strata);
    const double vb = k.get(fb), vn = k.get(fn);
    if (std::isnan(vb)) continue;  // no baseline figure (e.g. no latency sample): nothing to defend
    char line[400];
    if (std::isnan(vn)) {
      std::snprintf(line, sizeof line, "%s.%s: no value, baseline %.6g", where.c_str(), k.name, vb);
      out.push_back(line);
      continue;
    }
    const double tol = k.abs_tol + k.rel_tol * std::fabs(vb);
    const double change = vn - vb;
    // No interval (one run, e.g. a labelled recording replayed, or too few seeds for the
    // bootstrap): the tolerance alone decides.
    const bool single = !diff.has_ci();
    const bool outside_noise = single || (k.direction > 0 ? diff.hi < 0 : diff.lo > 0);
    const bool material = k.direction > 0 ? change < -tol : change > tol;
    if (outside_noise && material && single) {
      std::snprintf(line, sizeof line,
                    "%s.%s: %.6g vs baseline %.6g on the same %zu run(s), too few for an interval: difference %+.4g "
                    "beyond the tolerance %.4g",
                    where.c_str(), k.name, vn, vb, now.size(), change, tol);
      out.push_back(line);
    } else if (outside_noise && material) {
      std::snprintf(line, sizeof line,
                    "%s.%s: %.6g vs baseline %.6g on the same %zu runs: difference %+.4g, 95 %% interval [%+.4g, %+.4g] "
                    "entirely %s (tolerance %.4g)",
                    where.c_str(), k.name, vn, vb, now.size(), change, diff.lo, diff.hi,
                    k.direction > 0 ? "below 0" : "above 0", tol);
      out.push_back(line);
    }
  }
}

}  // namespace

std::vector<EvalRun> parse_eval_baseline(const std::string& baseline_json, const std::string& bname) {
  const Json root = parse_json(baseline_json, bname);
  const Json* runs = json_find(root, "runs");
  if (!json_find(root, "pooled") || !runs || !runs->is_array())
    throw std::runtime_error(bname + ": expected an object with \"pooled\" and \"runs\" (a file written by peebot eval "
                                     "--json, format 3; an older baseline has no per-seed runs: regenerate it)");
  std::vector<EvalRun> base;
  for (std::size_t i = 0; i < runs->size(); ++i) {
    const Json& o = (*runs)[i];
    const Json* sc = json_find(o, "scenario");
    const Json* seed = json_find(o, "seed");
    const Json* smp = json_find(o, "sample");
    if (!sc || !sc->is_string() || !seed || !seed->is_number_integer() || !smp || !smp->is_string())
      throw std::runtime_error(bname + ": runs[" + std::to_string(i) + "]: expected {\"scenario\", \"seed\", \"sample\"}");
    EvalRun run;
    run.scenario = sc->get<std::string>();
    run.seed = seed->get<long>();
    try {
      run.sample = parse_eval_sample(smp->get<std::string>());
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(bname + ": runs[" + std::to_string(i) + "] (" + run.scenario + ", seed " +
                               std::to_string(run.seed) + "): " + e.what());
    }
    base.push_back(std::move(run));
  }
  return base;
}

std::vector<std::string> compare_with_baseline(const EvalResult& r, const std::string& baseline_json,
                                               const std::string& bname) {
  const std::vector<EvalRun> base = parse_eval_baseline(baseline_json, bname);
  std::vector<std::string> base_scenarios;
  for (const EvalRun& run : base)
    if (std::find(base_scenarios.begin(), base_scenarios.end(), run.scenario) == base_scenarios.end())
      base_scenarios.push_back(run.scenario);
  std::vector<std::string> out;
  std::vector<const EvalSample*> all_now, all_base;
  std::vector<std::size_t> strata;
  for (std::size_t si = 0; si < base_scenarios.size(); ++si) {
    const std::string& name = base_scenarios[si];
    std::vector<const EvalSample*> now, was;
    bool present = false;
    for (const EvalRun& b : base) {
      if (b.scenario != name) continue;
      for (const EvalRun& n : r.runs) {
        if (n.scenario != name) continue;
        present = true;
        if (n.seed == b.seed) { now.push_back(&n.sample); was.push_back(&b.sample); }
      }
    }
    if (!present) {
      out.push_back(name + ": a scenario of the baseline " + bname + " missing from this run (the gate needs every one)");
      continue;
    }
    if (now.empty())
      throw std::runtime_error(bname + ": scenario " + name +
                               ": no seed in common with this run; the paired gate compares the same seeds (run the baseline's)");
    compare_paired(name, now, was, {}, out);
    for (std::size_t k = 0; k < now.size(); ++k) {
      all_now.push_back(now[k]);
      all_base.push_back(was[k]);
      strata.push_back(si);
    }
  }
  if (!all_now.empty()) compare_paired("pooled", all_now, all_base, strata, out);
  return out;
}

}  // namespace peebot

// ---------------------------------------------------------------------------
// Labelled real data
// ---------------------------------------------------------------------------

#include <toml++/toml.h>

#include "../pipeline/detector.hpp"
#include "../scenario/scenario.hpp"
#include "../util/text.hpp"

namespace peebot {

std::vector<Detection> replay_detector(const Trace& t, const DetectorParams& p) {
  auto det = make_detector(p);
  // Every named item in receive order (ties: lower item id first), as the
  // feed delivered them: the tank, the UPA state and water tanks (their ISS
  // TimeStamps move the detector's time on, as in a run) and the feed clock.
  // A row without an ISS TimeStamp (t_emit_s NaN: a clock row, or a
  // recording that has none) is fed at its logged time.
  std::vector<Detection> out, all;
  play_received(t, [&](ItemId item, const TelemetryRow& r) {
    const double t_feed = std::isfinite(r.t_emit_s) ? r.t_emit_s : r.t_s;
    out.clear();
    det->on_sample(Sample{t_feed, r.value, item, static_cast<std::int16_t>(r.status)}, out);
    for (auto& d : out) { d.emitted_s = r.t_s; all.push_back(d); }
  });
  out.clear();
  det->finish(out);
  double last = 0.0;
  for (const auto& rows : t.telemetry)
    if (!rows.empty()) last = std::max(last, rows.back().t_s);
  for (auto& d : out) { d.emitted_s = last; all.push_back(d); }
  return all;
}

namespace {
// The line of a [[label]] table: toml++ gives the tables of an array of
// tables no position of their own (line 1), so it is the first line of any
// key of the table (the header is just above).
std::uint32_t label_line(const toml::node& node) {
  std::uint32_t line = node.source().begin.line;
  if (const toml::table* tb = node.as_table()) {
    std::uint32_t first = 0;
    for (const auto& [k, v] : *tb) {
      const std::uint32_t l = v.source().begin.line;
      if (l && (!first || l < first)) first = l;
    }
    if (first) line = first;
  }
  return line;
}

// A TOML value as the file wrote it (for error messages).
std::string toml_text(const toml::node& n) {
  std::ostringstream o;
  if (n.is_table()) o << "a table";
  else if (n.is_array()) o << "an array";
  else n.visit([&](auto&& v) { o << v; });
  return o.str();
}

double label_time(const toml::table& tb, const char* key, const std::string& where, double epoch_unix_s) {
  const auto s = tb[key].value<std::string>();
  if (!s) throw std::runtime_error(where + ": `" + key + "` missing; expected an ISO 8601 UTC time such as \"2018-03-05T12:34:56Z\"");
  try {
    return parse_utc(*s) - epoch_unix_s;
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": `" + key + "` = \"" + printable(*s) + "\": " + e.what());
  }
}
}  // namespace

EvalSample eval_labelled(const std::string& labels_path, const std::string& trace_path, const DetectorParams& p,
                         LabelCounts* counts) {
  Trace t = read_trace(trace_path);
  toml::table root;
  try {
    root = toml::parse_file(labels_path);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(labels_path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  ReportParams rp;
  // The matching window: a number of seconds, 0 .. 1 day (as report.match_before/after in a scenario).
  for (auto [key, dst] : {std::pair<const char*, double*>{"match_before_s", &rp.match_before_s},
                          std::pair<const char*, double*>{"match_after_s", &rp.match_after_s}}) {
    const toml::node* n = root.get(key);
    if (!n) continue;
    const std::optional<double> v = n->value<double>();  // an integer too
    if (!v || !(*v >= 0.0 && *v <= 86400.0))
      throw std::runtime_error(labels_path + ":" + std::to_string(n->source().begin.line) + ": `" + key + "` = " +
                               printable(toml_text(*n)) + ": expected a number of seconds, 0 .. 86400");
    *dst = *v;
  }
  t.voids.clear();
  t.bulk.clear();
  std::vector<VoidEvent> unsure;  // "uncertain" labels: matched only by detections that match no use
  LabelCounts lc;
  const toml::array* labels = root["label"].as_array();
  if (!labels) throw std::runtime_error(labels_path + ": no [[label]] entries");
  std::size_t n = 0;
  for (const auto& node : *labels) {
    ++n;
    const auto* tb = node.as_table();
    const std::string where = labels_path + ":" + std::to_string(label_line(node)) + ": label " + std::to_string(n);
    if (!tb) throw std::runtime_error(where + ": expected a table");
    const std::string kind = (*tb)["kind"].value_or(std::string());
    const double onset = label_time(*tb, "onset", where, t.meta.epoch_unix_s);
    const double end = (*tb)["end"] ? label_time(*tb, "end", where, t.meta.epoch_unix_s) : onset;
    if (end < onset) throw std::runtime_error(where + ": `end` is before `onset`; expected end >= onset");
    VoidEvent v;
    v.onset_s = onset;
    v.end_s = end;
    v.reaches_tank = true;
    if (kind == "urination") {
      t.voids.push_back(v);
      ++lc.urination;
    } else if (kind == "uncertain") {
      unsure.push_back(v);
      ++lc.uncertain;
    } else if (kind == "bulk") {
      BulkTransfer b;
      b.onset_s = onset;
      b.end_s = end;
      t.bulk.push_back(b);
      ++lc.bulk;
    } else if (kind == "not-a-use") {
      ++lc.not_a_use;
    } else {
      throw std::runtime_error(where + ": `kind` = \"" + printable(kind) +
                               "\": expected \"urination\", \"bulk\", \"not-a-use\" or \"uncertain\"");
    }
  }
  auto by_onset = [](const VoidEvent& a, const VoidEvent& b) { return a.onset_s < b.onset_s; };
  std::sort(t.voids.begin(), t.voids.end(), by_onset);
  std::sort(unsure.begin(), unsure.end(), by_onset);
  t.detections = replay_detector(t, p);
  if (!unsure.empty()) {
    // Uncertain rises are scored neither way: a detection that matches no use
    // but would match an uncertain rise (same rule, one to one) is set aside.
    const std::vector<Detection> placed = on_receive_clock(t, t.detections);  // as compute_report matches them
    const MatchResult sure = match_detections(t.voids, placed, rp.match_before_s, rp.match_after_s);
    std::vector<Detection> rest;
    for (std::size_t i : sure.false_alarms) rest.push_back(placed[i]);
    const MatchResult maybe = match_detections(unsure, rest, rp.match_before_s, rp.match_after_s);
    std::vector<bool> aside(t.detections.size(), false);
    for (const auto& pr : maybe.pairs) aside[sure.false_alarms[pr.second]] = true;
    std::vector<Detection> kept;
    for (std::size_t i = 0; i < t.detections.size(); ++i)
      if (!aside[i]) kept.push_back(t.detections[i]);
    lc.set_aside = t.detections.size() - kept.size();
    t.detections.swap(kept);
  }
  t.posts.clear();  // replay posts nothing; post latency stays empty
  t.meta.has_truth = true;
  const Report r = compute_report(t, rp);
  const auto& tank = t.telemetry[kUrineTank];
  const double days = tank.size() > 1 ? (tank.back().t_s - tank.front().t_s) / 86400.0 : 0.0;
  if (counts) *counts = lc;
  return eval_sample(r, days);
}

}  // namespace peebot
