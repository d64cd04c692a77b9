// peebot eval: accuracy figures of a detector over runs (scenario x seed) or
// labelled real data, pooled, compared with a baseline. Pure C++, no SimGrid.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "../report/report.hpp"
#include "../stats/stats.hpp"
#include "../trace/trace.hpp"

namespace peebot {

// The raw material of one run's accuracy: counts and latency samples, so
// that runs can be pooled exactly (counts add, samples concatenate).
struct EvalSample {
  std::size_t tp = 0, fp = 0, fn = 0;
  std::size_t duplicates = 0, false_alarms = 0;
  std::size_t bulk_as_urination = 0;
  double days = 0.0;                    // simulated (or recorded) span
  std::vector<double> latency_s;        // detection latency: emitted - onset, matched pairs
  std::vector<double> post_latency_s;   // onset -> tweet sent, matched pairs
  // The same samples restricted to voids whose onset is not inside an LOS window.
  std::vector<double> latency_visible_s, post_latency_visible_s;
  std::size_t los_hidden_voids = 0;     // voids (reaching the tank) whose onset is inside an LOS window
  // Voids reaching the tank and those missed, by visibility class (VoidClass).
  std::vector<std::size_t> voids_by_class, misses_by_class;

  void add(const EvalSample& o);        // pools o into this (samples appended in order)
};

// Why a void may be hard to see from the level, first that applies
// (docs/detectors.md, "Misses and the latency tail"). Net rise: the true
// level at the void's end minus at its onset (the UPA may drain meanwhile).
enum class VoidClass : std::size_t {
  kLos,           // its inflow [onset, end] overlaps an LOS window
  kTankFull,      // its inflow overlaps a tank-full episode (spilled)
  kUnderQuantum,  // net rise < 1 %: may cross no 1 % boundary at all
  kAfterBulk,     // onset within 10 min after a bulk transfer (or during one)
  kClose,         // another void reaching the tank starts or ends within 60 s of it
  kUnder2Pct,     // net rise 1 to 2 %
  kClear,         // none of these
};
constexpr std::size_t kVoidClasses = 7;
const char* void_class_name(VoidClass c);  // "los", "tank_full", "net_rise_under_1pct", ...
// The classes LOS, tank full and net rise < 1 % are physically invisible (or nearly) from the level.
constexpr bool void_class_invisible(VoidClass c) {
  return c == VoidClass::kLos || c == VoidClass::kTankFull || c == VoidClass::kUnderQuantum;
}
// The class of voids[i] (uses trace.voids, los, tank_full, tank, bulk).
VoidClass classify_void(const Trace& t, std::size_t i);

// The figures `peebot eval` prints and writes (JSON keys in brackets).
struct EvalFigures {
  double precision = 1, recall = 1, f1 = 1, f05 = 1;   // [precision recall f1 f05]
  std::size_t duplicates = 0;                          // [duplicates]
  double false_alarms_per_day = 0;                     // [false_alarms_per_day]
  std::size_t bulk_as_urination = 0;                   // [bulk_as_urination]
  double latency_p50_s = kNoTime, latency_p95_s = kNoTime, latency_max_s = kNoTime;  // [latency_*_s]
  double post_latency_p95_s = kNoTime;                 // [post_latency_p95_s]
  std::size_t tp = 0, fp = 0, fn = 0;                  // shown in the table, not in the JSON
  // Visibility figures: written to the JSON after the gated keys, never gated.
  double latency_p95_visible_s = kNoTime;              // [latency_p95_visible_s] onset not inside LOS
  double post_latency_p95_visible_s = kNoTime;         // [post_latency_p95_visible_s]
  std::size_t los_hidden_voids = 0;                    // [los_hidden_voids]
  double recall_visible = kNoTime;                     // [recall_visible] over voids not LOS/tank full/net < 1 %
  std::vector<std::size_t> voids_by_class, misses_by_class;  // [voids_by_class misses_by_class] {name: n}
};

// The figures of a run's report; with the run's trace (truth), also its
// visibility figures (LOS-hidden onsets, void classes).
EvalSample eval_sample(const Report& r, double days, const Trace* truth = nullptr);
EvalFigures eval_figures(const EvalSample& s);

// Serialises a sample exactly (%.17g) for the child -> parent hand-over, and back.
std::string format_eval_sample(const EvalSample& s);
EvalSample parse_eval_sample(const std::string& text);  // throws std::runtime_error

// One run of the evaluation: a scenario with a seed (a replication), scored.
struct EvalRun {
  std::string scenario;  // the scenario's stem, e.g. "nominal"
  long seed = 0;
  EvalSample sample;
};

// The gated figures (JSON keys, in this order): precision recall f1 f05
// duplicates false_alarms_per_day bulk_as_urination latency_p50_s
// latency_p95_s latency_max_s post_latency_p95_s. Each gets a 95 % interval
// over the runs (sim/stats): the ratios (precision, recall, F1, F0.5, false
// alarms per day) and percentiles a bootstrap over runs, the counts summed
// over runs a bootstrap too; pooled over scenarios, resampling the seeds
// within each scenario.
std::vector<std::string> eval_gated_figures();

struct EvalResult {
  std::string detector;
  std::vector<EvalRun> runs;  // every (scenario, seed): scenarios in the order given, seeds in order
  EvalFigures pooled;
  std::vector<std::pair<std::string, EvalFigures>> scenarios;  // in the order given
  // 95 % intervals of the gated figures (eval_gated_figures() order).
  std::vector<stats::Interval> pooled_ci;
  std::vector<std::vector<stats::Interval>> scenario_ci;  // one per scenario
};

// Pools the runs per scenario (in order of first appearance) and over all,
// with the intervals.
EvalResult make_eval_result(const std::string& detector, std::vector<EvalRun> runs);

std::string format_eval_table(const EvalResult& r);
// JSON (format 3): {"format": 3, "detector", "pooled": {figure: {"value",
// "ci95", "n"}, visibility figures...}, "scenarios": {...}, "runs": [{"scenario",
// "seed", "sample"}]}: the runs' samples make it a baseline for the paired gate.
std::string format_eval_json(const EvalResult& r);

// A grid of eval runs, split into independent points like a sweep's
// (sweep.hpp): point k is scenario k / seeds.size() with seed
// seeds[k % seeds.size()] (`peebot eval --point K`), and the points' files
// merge into the same EvalResult whatever ran them (`peebot eval --merge`).
struct EvalGrid {
  std::vector<std::string> scenarios;       // paths, in the order given
  std::vector<std::string> scenario_texts;  // their TOML text (a point of a changed scenario does not merge)
  std::vector<long> seeds;
  std::string detector;
  std::vector<std::string> sets;            // --set overrides of every run
  std::size_t points() const { return scenarios.size() * seeds.size(); }
};
// A scenario's name in the tables: the file name without .toml.
std::string eval_scenario_name(const std::string& path);
// Point k's file (JSON, format peebot-eval-point): the grid, k, and the run's sample.
std::string format_eval_point(const EvalGrid& g, std::size_t index, const EvalSample& s);
// Pools point files (any order) per scenario, in (scenario, seed) order, and
// over all. Throws std::runtime_error naming the file when one is malformed,
// of another grid, repeated, or when points are missing (listing them).
EvalResult merge_eval_points(const std::vector<std::string>& texts, const std::vector<std::string>& names);

// The baseline gate, a paired comparison on the same seeds (docs/statistics.md):
// for every scenario of the baseline and pooled, over the (scenario, seed)
// runs both have, the difference new - baseline of each gated figure with a
// bootstrap 95 % interval (the same resamples for both sides). A figure is
// worse when that interval lies entirely on its bad side AND the difference is
// larger than its tolerance (docs/detectors.md):
//   precision, recall, f1, f05: 0.005 (absolute);
//   duplicates, bulk_as_urination: 0;
//   false_alarms_per_day: 0.05 per day;
//   latency_p50_s, latency_p95_s, post_latency_p95_s: 10 % of the baseline + 2 s;
//   latency_max_s: 25 % + 10 s.
// Returns one line per worse figure naming it, its values, the difference and
// its interval; and one line per baseline scenario missing from the run.
// With fewer paired runs than a bootstrap needs (stats::kMinBootstrapRuns; a
// labelled recording is one run, with no seed noise) the tolerances alone
// decide. Throws std::runtime_error when the baseline is malformed, has no
// runs (an old format), or a scenario shares no seed with the run.
std::vector<std::string> compare_with_baseline(const EvalResult& r, const std::string& baseline_json,
                                               const std::string& baseline_name);
// The runs a baseline holds (scenario, seed, sample); throws std::runtime_error
// naming the file when it is malformed or has no runs (an older format).
std::vector<EvalRun> parse_eval_baseline(const std::string& baseline_json, const std::string& baseline_name);

}  // namespace peebot

namespace peebot {

struct DetectorParams;

// Replays a recorded trace's tank level (and feed clock) through a detector
// in receive order; each detection's emitted_s is the receive time of the
// sample that completed it.
std::vector<Detection> replay_detector(const Trace& t, const DetectorParams& p);

// What a labels file held, and how many detections its "uncertain" labels set aside.
struct LabelCounts {
  std::size_t urination = 0, bulk = 0, not_a_use = 0, uncertain = 0;
  std::size_t set_aside = 0;  // detections matching no use but an uncertain rise: not scored
};

// Scores a recorded trace against hand labels (docs/labels.md): the labels
// become the truth (voids, bulk transfers), the detector is replayed over the
// trace. A detection that matches no urination but matches an "uncertain"
// label (the same matching rule) is set aside, scored neither way; an
// uncertain label is never a miss. Throws std::runtime_error naming the file,
// label and field on bad input.
EvalSample eval_labelled(const std::string& labels_path, const std::string& trace_path, const DetectorParams& p,
                         LabelCounts* counts = nullptr);

}  // namespace peebot
