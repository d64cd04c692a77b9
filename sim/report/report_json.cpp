// The report, a run's figures and the pooled report as JSON (--json), and
// the run figures read back from it (peebot report of several traces).
#include <cmath>
#include <stdexcept>

#include "json.hpp"
#include "report.hpp"

namespace peebot {

namespace {

// Doubles through json_number (null for NaN, integers written as integers), counts as they are.
Json latency_json(const LatencyStats& s) {
  return Json{{"count", s.count},         {"p50_s", json_number(s.p50_s)}, {"p95_s", json_number(s.p95_s)},
              {"p99_s", json_number(s.p99_s)}, {"max_s", json_number(s.max_s)}, {"mean_s", json_number(s.mean_s)}};
}

}  // namespace

std::string format_report_json(const Report& r, const TraceMeta& meta) { return dump_json(report_json(r, meta)); }

Json report_json(const Report& r, const TraceMeta& meta) {
  Json j = Json::object();
  j["scenario"] = meta.scenario_name;
  j["mode"] = meta.mode;
  j["seed"] = meta.seed;
  j["duration_s"] = json_number(meta.duration_s);
  j["duration_days"] = json_number(meta.duration_s / 86400.0);
  j["detector"] = meta.detector;
  j["has_truth"] = r.has_truth;
  j["detections"] = Json{{"total", r.detections_total},
                         {"urination", r.detections_urination},
                         {"bulk_transfer", r.detections_bulk},
                         {"other", r.detections_other}};
  if (r.has_truth) {
    j["voids"] = Json{{"total", r.voids_total}, {"reaching_tank", r.voids_reaching_tank}};
    j["matching"] = Json{{"match_before_s", json_number(r.match_before_s)},
                         {"match_after_s", json_number(r.match_after_s)},
                         {"tp", r.match.tp},
                         {"fp", r.match.fp},
                         {"fn", r.match.fn},
                         {"duplicates", r.match.duplicates.size()},
                         {"false_alarms", r.match.false_alarms.size()},
                         {"misses", r.match.misses.size()},
                         {"precision", json_number(r.match.precision)},
                         {"recall", json_number(r.match.recall)},
                         {"f1", json_number(r.match.f1)},
                         {"f05", json_number(r.match.f05)}};
    j["detection_latency"] = latency_json(r.detection_latency);
  } else {
    j["voids"] = nullptr;
    j["matching"] = nullptr;
    j["detection_latency"] = nullptr;
  }
  Json& stages = j["stage_latency"] = Json::object();
  for (const NamedLatency& s : r.stages) stages[s.name] = latency_json(s.stats);
  j["updates"] = Json{{"sampled", r.updates_sampled},
                      {"delivered", r.updates_delivered},
                      {"duplicate", r.updates_duplicate},
                      {"stale", r.updates_stale},
                      {"invalid", r.updates_invalid},
                      {"lost", r.updates_lost},
                      {"merged", r.updates_merged},
                      {"dropped_hwm", r.updates_dropped_hwm},
                      {"fault_lost", r.updates_fault_lost},
                      {"replayed", r.updates_replayed},
                      {"skipped", r.updates_skipped},
                      {"stored_twice", r.stored_duplicates},
                      {"unknown_fate", r.updates_other}};
  Json& posts = j["posts"] = Json{{"total", r.posts_total},
                                  {"sent", r.posts_sent},
                                  {"failed", r.posts_failed},
                                  {"suppressed", r.posts_suppressed},
                                  {"skipped", r.posts_skipped},
                                  {"mean_attempts", json_number(r.posts_mean_attempts)},
                                  // sent posts of an event that already had one (posted twice)
                                  {"duplicate", r.posts_duplicate}};
  posts["sent_unmatched"] = r.has_truth ? Json(r.posts_sent_unmatched) : Json(nullptr);
  posts["event_to_tweet_reference"] = r.event_to_tweet_from_truth ? "void_onset" : "detection_onset";
  posts["event_to_tweet"] = latency_json(r.event_to_tweet);
  if (r.has_truth)
    j["truth"] = Json{{"los_windows", r.los_windows},
                      {"los_total_s", json_number(r.los_total_s)},
                      {"tank_full_episodes", r.tank_full_episodes},
                      {"tank_full_spilled_ml", json_number(r.tank_full_spilled_ml)},
                      {"upa_state_changes", r.upa_state_changes},
                      {"bulk_transfers", r.bulk_transfers},
                      {"bulk_as_urination", r.bulk_as_urination}};
  else
    j["truth"] = nullptr;
  Json& targets = j["targets"] = Json::array();
  for (const TargetResult& t : r.targets) {
    Json o = {{"name", t.name},
              {"description", t.description},
              {"value_s", json_number(t.value_s)},
              {"target_s", json_number(t.target_s)}};
    if (!t.source.empty()) {
      o["unit"] = t.unit;
      o["source"] = t.source;
      o["evidence"] = t.evidence;
    }
    o["met"] = t.verdict == Verdict::kNotApplicable ? Json(nullptr) : Json(t.verdict == Verdict::kMet);
    // One run: n 1 and no interval (docs/statistics.md); pooled runs: peebot report of several traces.
    o["n"] = 1;
    o["ci95"] = nullptr;
    o["verdict"] = verdict_name(t.verdict);
    targets.push_back(std::move(o));
  }
  return j;
}

namespace {

const char* pool_name(stats::Pool p) {
  switch (p) {
    case stats::Pool::kMean: return "mean";
    case stats::Pool::kSum: return "sum";
    case stats::Pool::kRatio: return "ratio";
    case stats::Pool::kPercentile: return "percentile";
  }
  return "?";
}

const char* direction_name(stats::Direction d) {
  switch (d) {
    case stats::Direction::kBelow: return "below";
    case stats::Direction::kAtMost: return "at_most";
    case stats::Direction::kAtLeast: return "at_least";
  }
  return "?";
}

}  // namespace

std::string format_run_figures_json(const std::vector<RunFigure>& figs) { return dump_json(run_figures_json(figs)); }

Json run_figures_json(const std::vector<RunFigure>& figs) {
  Json a = Json::array();
  for (const RunFigure& f : figs) {
    Json samples = Json::array();
    for (double v : f.rep.samples) samples.push_back(json_number(v));
    a.push_back(Json{{"name", f.name},
                     {"description", f.description},
                     {"unit", f.unit},
                     {"target", json_number(f.target)},
                     {"direction", direction_name(f.direction)},
                     {"source", f.source},
                     {"pool", pool_name(f.spec.pool)},
                     {"pct", json_number(f.spec.pct)},
                     {"empty", json_number(f.spec.empty)},
                     {"x", json_number(f.rep.x)},
                     {"num", json_number(f.rep.num)},
                     {"den", json_number(f.rep.den)},
                     {"samples", std::move(samples)}});
  }
  return a;
}

std::vector<RunFigure> parse_run_figures(const Json& v) {
  auto bad = [](const std::string& what) { return std::runtime_error("run figures: " + what); };
  if (!v.is_array()) throw bad("expected an array of figures");
  std::vector<RunFigure> out;
  for (const Json& o : v) {
    if (!o.is_object()) throw bad("expected an object per figure");
    auto text = [&](const char* k) {
      const Json* m = json_find(o, k);
      if (!m || !m->is_string()) throw bad(std::string("`") + k + "` missing or not a string");
      return m->get<std::string>();
    };
    auto number = [&](const char* k) {
      const Json* m = json_find(o, k);
      if (!m || (!m->is_number() && !m->is_null())) throw bad(std::string("`") + k + "` missing or not a number");
      return m->is_null() ? stats::kNaN : m->get<double>();
    };
    RunFigure f;
    f.name = text("name");
    f.description = text("description");
    f.unit = text("unit");
    f.source = text("source");
    f.target = number("target");
    const std::string dir = text("direction"), pool = text("pool");
    if (dir == "below") f.direction = stats::Direction::kBelow;
    else if (dir == "at_most") f.direction = stats::Direction::kAtMost;
    else if (dir == "at_least") f.direction = stats::Direction::kAtLeast;
    else throw bad(f.name + ": `direction` \"" + dir + "\": expected below, at_most or at_least");
    if (pool == "mean") f.spec.pool = stats::Pool::kMean;
    else if (pool == "sum") f.spec.pool = stats::Pool::kSum;
    else if (pool == "ratio") f.spec.pool = stats::Pool::kRatio;
    else if (pool == "percentile") f.spec.pool = stats::Pool::kPercentile;
    else throw bad(f.name + ": `pool` \"" + pool + "\": expected mean, sum, ratio or percentile");
    f.spec.pct = number("pct");
    f.spec.empty = number("empty");
    f.rep.x = number("x");
    f.rep.num = number("num");
    f.rep.den = number("den");
    const Json* s = json_find(o, "samples");
    if (!s || !s->is_array()) throw bad(f.name + ": `samples` missing or not an array");
    f.rep.samples.reserve(s->size());
    for (const Json& x : *s) {
      if (!x.is_number() && !x.is_null()) throw bad(f.name + ": `samples`: expected numbers or null");
      f.rep.samples.push_back(x.is_null() ? stats::kNaN : x.get<double>());
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string format_pooled_json(const PooledReport& p) {
  Json figures = Json::object();
  for (const PooledFigure& f : p.figures) {
    Json o = {{"value", json_number(f.iv.value)},
              {"ci95", f.iv.has_ci() ? Json{json_number(f.iv.lo), json_number(f.iv.hi)} : Json(nullptr)},
              {"n", f.iv.n},
              {"verdict", std::isnan(f.target) ? Json(nullptr) : Json(verdict_name(f.verdict))},
              {"target", json_number(f.target)},
              {"direction", direction_name(f.direction)},
              {"unit", f.unit},
              {"description", f.description}};
    if (!f.source.empty()) o["source"] = f.source;
    figures[f.name] = std::move(o);
  }
  return dump_json(Json{{"scenario", p.scenario}, {"n", p.seeds.size()}, {"seeds", p.seeds}, {"figures", std::move(figures)}});
}

}  // namespace peebot
