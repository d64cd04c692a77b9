// A run's figures and their pooling over replications (docs/statistics.md).
#include <algorithm>
#include <cmath>

#include "report.hpp"

namespace peebot {

namespace {

RunFigure truth_ratio(const char* name, const char* description, double num, double den) {
  RunFigure f;
  f.name = name;
  f.description = description;
  f.unit = "fraction";
  f.spec.pool = stats::Pool::kRatio;
  f.spec.empty = 1.0;  // the report's conventions: no detection -> precision 1, no void -> recall 1
  f.rep.num = num;
  f.rep.den = den;
  return f;
}

}  // namespace

std::vector<RunFigure> run_figures(const Report& r) {
  std::vector<RunFigure> out;
  for (const TargetResult& t : r.targets) {
    RunFigure f;
    f.name = t.name;
    f.description = t.description;
    f.unit = t.unit;
    f.target = t.target_s;
    f.direction = t.direction();
    f.source = t.source;
    f.spec = t.pool;
    f.rep = t.rep;
    out.push_back(std::move(f));
  }
  if (r.has_truth) {
    const double tp = static_cast<double>(r.match.tp), fp = static_cast<double>(r.match.fp),
                 fn = static_cast<double>(r.match.fn);
    out.push_back(truth_ratio("precision", "precision (urination detections vs voids)", tp, tp + fp));
    out.push_back(truth_ratio("recall", "recall", tp, tp + fn));
    out.push_back(truth_ratio("f1", "F1", 2 * tp, 2 * tp + fp + fn));  // = 2PR / (P + R)
    for (double pct : {50.0, 95.0}) {
      RunFigure f;
      f.name = pct == 50 ? "detection_latency_p50" : "detection_latency_p95";
      f.description = pct == 50 ? "P50 event -> detection" : "P95 event -> detection";
      f.unit = "s";
      f.spec.pool = stats::Pool::kPercentile;
      f.spec.pct = pct;
      f.rep.samples = r.detection_latencies_s;
      out.push_back(std::move(f));
    }
    RunFigure d;
    d.name = "duplicate_detections";
    d.description = "detections of a use already detected, per run";
    d.unit = "count";
    d.rep.x = static_cast<double>(r.match.duplicates.size());
    out.push_back(std::move(d));
  }
  return out;
}

const PooledFigure* PooledReport::find(const std::string& name) const {
  for (const PooledFigure& f : figures)
    if (f.name == name) return &f;
  return nullptr;
}

PooledReport pool_runs(const std::vector<std::vector<RunFigure>>& runs) {
  PooledReport p;
  std::vector<std::string> names;
  for (const auto& run : runs)
    for (const RunFigure& f : run)
      if (std::find(names.begin(), names.end(), f.name) == names.end()) names.push_back(f.name);
  for (const std::string& name : names) {
    const RunFigure* first = nullptr;
    std::vector<stats::Replicate> reps(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i)
      for (const RunFigure& f : runs[i])
        if (f.name == name) {
          if (!first) first = &f;
          reps[i] = f.rep;
        }
    PooledFigure pf;
    pf.name = name;
    pf.description = first->description;
    pf.unit = first->unit;
    pf.source = first->source;
    pf.target = first->target;
    pf.direction = first->direction;
    pf.iv = stats::estimate(first->spec, reps);
    pf.verdict = stats::judge(pf.iv, pf.target, pf.direction);
    p.figures.push_back(std::move(pf));
  }
  return p;
}

bool figure_settled(const PooledFigure& f, double rel) {
  if (std::isnan(f.iv.value)) return true;
  if (!f.iv.has_ci()) return false;
  if (!std::isnan(f.target) && (f.verdict == Verdict::kMet || f.verdict == Verdict::kNotMet)) return true;
  return f.iv.half_width() <= rel * std::fabs(f.iv.value);
}

}  // namespace peebot
