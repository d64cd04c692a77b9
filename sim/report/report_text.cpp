// The report and the pooled report as text (peebot report, peebot run).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../util/text.hpp"
#include "report.hpp"

namespace peebot {

namespace {

std::string printf_str(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Seconds with a precision that suits the magnitude; "-" for NaN.
std::string fmt_s(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0.0) return "0";
  const double a = std::fabs(v);
  if (a < 1e-4) return printf_str("%.1e", v);
  if (a < 1) return printf_str("%.4f", v);
  if (a < 10) return printf_str("%.3f", v);
  if (a < 100) return printf_str("%.2f", v);
  if (a < 1e4) return printf_str("%.1f", v);
  return printf_str("%.0f", v);
}

std::string fmt_g(double v) { return printf_str("%g", v); }
std::string fmt_ratio(double v) { return std::isnan(v) ? "-" : printf_str("%.3f", v); }
std::string fmt_n(std::size_t n) { return std::to_string(n); }

// Rows of cells aligned in columns: align[c] is 'l' or 'r' (default: the
// first column left, the others right). A row with one cell is a free line
// (section title) that does not size columns.
class Table {
 public:
  explicit Table(std::string align = "") : align_(std::move(align)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void line(std::string text) { rows_.push_back({std::move(text)}); }
  std::string render(const std::string& indent = "  ") const {
    std::vector<std::size_t> w;
    for (const auto& r : rows_) {
      if (r.size() < 2) continue;
      if (w.size() < r.size()) w.resize(r.size(), 0);
      for (std::size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], r[c].size());
    }
    std::string out;
    for (const auto& r : rows_) {
      if (r.size() < 2) {
        out += (r.empty() ? std::string() : r[0]) + "\n";
        continue;
      }
      std::string s = indent;
      for (std::size_t c = 0; c < r.size(); ++c) {
        const char a = c < align_.size() ? align_[c] : (c == 0 ? 'l' : 'r');
        const std::string pad(w[c] - r[c].size(), ' ');
        if (c > 0) s += "  ";
        s += a == 'l' ? r[c] + pad : pad + r[c];
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      out += s + "\n";
    }
    return out;
  }

 private:
  std::string align_;
  std::vector<std::vector<std::string>> rows_;
};

void latency_row(Table& t, const std::string& label, const LatencyStats& s) {
  t.row({label, fmt_n(s.count), fmt_s(s.p50_s), fmt_s(s.p95_s), fmt_s(s.p99_s), fmt_s(s.max_s)});
}

}  // namespace

std::string format_report_text(const Report& r, const TraceMeta& meta) {
  std::string out;
  out += "PeeBot run report: scenario \"" + printable(meta.scenario_name) + "\", mode " + printable(meta.mode) + ", seed " +
         std::to_string(meta.seed) + ", " + printf_str("%.2f", meta.duration_s / 86400.0) + " days";
  if (!meta.detector.empty()) out += ", detector " + meta.detector;
  out += "\n\n";

  Table counts("lrl");
  counts.line("Detections");
  counts.row({"urination", fmt_n(r.detections_urination)});
  counts.row({"bulk transfer", fmt_n(r.detections_bulk)});
  counts.row({"other", fmt_n(r.detections_other)});
  counts.row({"total", fmt_n(r.detections_total)});
  counts.line("");
  if (r.has_truth) {
    counts.line("Truth matching (a detection emitted from onset - " + fmt_g(r.match_before_s) +
                " s to onset + " + fmt_g(r.match_after_s) + " s matches)");
    counts.row({"voids", fmt_n(r.voids_total), "(" + fmt_n(r.voids_reaching_tank) + " reach the tank)"});
    counts.row({"true positives", fmt_n(r.match.tp)});
    counts.row({"false positives", fmt_n(r.match.fp),
                "(false alarms " + fmt_n(r.match.false_alarms.size()) + ", duplicates " +
                    fmt_n(r.match.duplicates.size()) + ")"});
    counts.row({"misses", fmt_n(r.match.fn)});
    counts.row({"precision", fmt_ratio(r.match.precision)});
    counts.row({"recall", fmt_ratio(r.match.recall)});
    counts.row({"F1", fmt_ratio(r.match.f1)});
    counts.row({"F0.5", fmt_ratio(r.match.f05)});
  } else {
    counts.line("Truth matching: no ground truth");
  }
  counts.line("");
  counts.line("Updates (stage sample)");
  counts.row({"sampled", fmt_n(r.updates_sampled)});
  counts.row({"delivered", fmt_n(r.updates_delivered)});
  counts.row({"duplicate", fmt_n(r.updates_duplicate)});
  counts.row({"stale", fmt_n(r.updates_stale)});
  counts.row({"invalid", fmt_n(r.updates_invalid)});
  counts.row({"lost (LOS)", fmt_n(r.updates_lost)});
  counts.row({"merged (unchanged)", fmt_n(r.updates_merged)});
  if (r.updates_dropped_hwm) counts.row({"dropped at the ZeroMQ HWM", fmt_n(r.updates_dropped_hwm)});
  if (r.updates_fault_lost) counts.row({"lost to a host fault", fmt_n(r.updates_fault_lost)});
  if (r.updates_replayed) counts.row({"replayed after a restart (extra rows)", fmt_n(r.updates_replayed)});
  if (r.updates_skipped) counts.row({"skipped by the analytics (watermark)", fmt_n(r.updates_skipped)});
  if (r.updates_other) counts.row({"unknown fate", fmt_n(r.updates_other)});
  counts.line("");
  counts.line("Posts");
  counts.row({"sent", fmt_n(r.posts_sent)});
  counts.row({"failed", fmt_n(r.posts_failed)});
  counts.row({"suppressed", fmt_n(r.posts_suppressed)});
  counts.row({"skipped", fmt_n(r.posts_skipped)});
  counts.row({"mean attempts", std::isnan(r.posts_mean_attempts) ? "-" : printf_str("%.2f", r.posts_mean_attempts)});
  if (r.has_truth) counts.row({"sent, no matching void", fmt_n(r.posts_sent_unmatched)});
  if (r.has_truth) {
    counts.line("");
    counts.line("Truth extras");
    counts.row({"LOS windows", fmt_n(r.los_windows), fmt_s(r.los_total_s) + " s in total"});
    counts.row({"tank-full episodes", fmt_n(r.tank_full_episodes), printf_str("%.0f", r.tank_full_spilled_ml) + " mL spilled"});
    counts.row({"UPA state changes", fmt_n(r.upa_state_changes)});
    counts.row({"bulk transfers", fmt_n(r.bulk_transfers)});
    counts.row({"bulk called urination", fmt_n(r.bulk_as_urination)});
  }
  out += counts.render();
  out += "\n";

  Table lat;
  lat.row({"Latency [s]", "n", "p50", "p95", "p99", "max"});
  if (r.has_truth) latency_row(lat, "detection (emitted - void onset)", r.detection_latency);
  for (const NamedLatency& s : r.stages) {
    std::string label = s.name;
    std::replace(label.begin(), label.end(), '_', ' ');
    latency_row(lat, label + " (" + s.description + ")", s.stats);
  }
  latency_row(lat, r.event_to_tweet_from_truth ? "event -> tweet (from void onset)"
                                               : "event -> tweet (from detection onset)",
              r.event_to_tweet);
  out += lat.render("");
  out += "\n";

  Table tg("lrrl");
  tg.row({"Targets", "value [s]", "target [s]", "verdict"});
  for (const TargetResult& t : r.targets) {
    const std::string v = t.unit == "s" ? fmt_s(t.value_s) : std::isnan(t.value_s) ? std::string("-") : fmt_g(t.value_s);
    const std::string unit = t.unit == "s" ? "" : " " + t.unit;
    tg.row({t.description, v + unit, (t.at_least ? ">= " : t.unit == "count" ? "= " : "< ") + fmt_g(t.target_s), verdict_name(t.verdict)});
  }
  out += tg.render("");
  out += "(one run: n 1, no interval; several seeds pooled with intervals: peebot run --seeds, docs/statistics.md)\n";
  if (std::any_of(r.targets.begin(), r.targets.end(), [](const TargetResult& t) { return !t.source.empty(); })) {
    out += "\nArchitecture \"" + r.architecture + "\" (docs/architectures.md): source and evidence of each target\n";
    for (const TargetResult& t : r.targets) out += "  " + t.name + ": " + t.source + "; " + t.evidence + "\n";
  }
  return out;
}

namespace {

const char* direction_sign(stats::Direction d) {
  return d == stats::Direction::kAtLeast ? ">= " : d == stats::Direction::kAtMost ? "<= " : "< ";
}

}  // namespace

std::string format_pooled_text(const PooledReport& p) {
  std::string out = "Pooled over " + std::to_string(p.seeds.size()) + " replications of \"" + p.scenario + "\" (seeds";
  for (std::size_t i = 0; i < p.seeds.size() && i < 12; ++i) out += " " + std::to_string(p.seeds[i]);
  if (p.seeds.size() > 12) out += " ... " + std::to_string(p.seeds.back());
  out += "): value, 95 % interval (docs/statistics.md), n, target, verdict\n\n";
  Table t("lrlrrl");
  t.row({"figure", "value", "95 % interval", "n", "target", "verdict"});
  for (const PooledFigure& f : p.figures) {
    const bool s = f.unit == "s";
    auto num = [&](double v) { return s ? fmt_s(v) : std::isnan(v) ? std::string("-") : printf_str("%.4g", v); };
    const std::string unit = s ? " s" : f.unit == "fraction" ? "" : " " + f.unit;
    t.row({f.description, num(f.iv.value) + unit,
           f.iv.has_ci() ? "[" + num(f.iv.lo) + ", " + num(f.iv.hi) + "]" : std::string("(no interval)"),
           fmt_n(f.iv.n), std::isnan(f.target) ? std::string("-") : direction_sign(f.direction) + fmt_g(f.target),
           std::isnan(f.target) ? std::string("-") : std::string(verdict_name(f.verdict))});
  }
  out += t.render("");
  return out;
}

}  // namespace peebot
