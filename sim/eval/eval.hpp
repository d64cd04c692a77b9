// peebot eval: accuracy figures of a detector over runs (scenario x seed) or
// labelled real data, pooled, compared with a baseline. Pure C++, no SimGrid.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "../report/report.hpp"
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

  void add(const EvalSample& o);        // pools o into this (samples appended in order)
};

// The figures `peebot eval` prints and writes (JSON keys in brackets).
struct EvalFigures {
  double precision = 1, recall = 1, f1 = 1, f05 = 1;   // [precision recall f1 f05]
  std::size_t duplicates = 0;                          // [duplicates]
  double false_alarms_per_day = 0;                     // [false_alarms_per_day]
  std::size_t bulk_as_urination = 0;                   // [bulk_as_urination]
  double latency_p50_s = kNoTime, latency_p95_s = kNoTime, latency_max_s = kNoTime;  // [latency_*_s]
  double post_latency_p95_s = kNoTime;                 // [post_latency_p95_s]
  std::size_t tp = 0, fp = 0, fn = 0;                  // shown in the table, not in the JSON
};

EvalSample eval_sample(const Report& r, double days);
EvalFigures eval_figures(const EvalSample& s);

// Serialises a sample exactly (%.17g) for the child -> parent hand-over, and back.
std::string format_eval_sample(const EvalSample& s);
EvalSample parse_eval_sample(const std::string& text);  // throws std::runtime_error

struct EvalResult {
  std::string detector;
  EvalFigures pooled;
  std::vector<std::pair<std::string, EvalFigures>> scenarios;  // in the order given
};

std::string format_eval_table(const EvalResult& r);
std::string format_eval_json(const EvalResult& r);

// The baseline gate. A figure is worse when it moves in its bad direction by
// more than its tolerance (docs/detectors.md):
//   precision, recall, f1, f05: lower by more than 0.005 (absolute);
//   duplicates, bulk_as_urination: any increase (exact);
//   false_alarms_per_day: higher by more than 0.05 per day;
//   latency_p50_s, latency_p95_s, post_latency_p95_s: higher by more than 10 % + 2 s;
//   latency_max_s: higher by more than 25 % + 10 s.
// Returns one line per worse figure, "pooled.f1: 0.9700 < baseline 0.9900 - 0.005",
// for the pooled figures and for every scenario present in both.
// `baseline_json` is a file written by --json; throws std::runtime_error when malformed.
std::vector<std::string> compare_with_baseline(const EvalResult& r, const std::string& baseline_json,
                                               const std::string& baseline_name);

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
