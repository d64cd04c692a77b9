// peebot eval SCENARIOS... [--detector step] [--seeds 1..20] [--jobs N] [--json out.json] [--baseline B.json]
// peebot eval-run (internal): one (scenario, seed) run, scored, printed as an EvalSample.
//
// SimGrid is one engine per process, so every (scenario, seed) run is a child
// process (`peebot eval-run`, this same binary) that simulates into a temp
// trace, scores it and writes its EvalSample; the parent runs up to --jobs
// children at once and pools the samples in (scenario, seed) order, so the
// result does not depend on --jobs.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "../engine/run.hpp"
#include "../eval/eval.hpp"
#include "child_pool.hpp"
#include "cli.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace fs = std::filesystem;

namespace {

std::string stem_of(const std::string& path) { return fs::path(path).stem().string(); }

int finish_eval(const EvalResult& res, const std::string& json_path, const std::string& baseline_path) {
  std::cout << "detector: " << res.detector << "\n" << format_eval_table(res);
  if (!json_path.empty()) {
    const std::string tmp = json_path + ".tmp";
    {
      std::ofstream f(tmp);
      if (!f) throw InputError(json_path + ": cannot write");
      f << format_eval_json(res);
      if (!f) throw InputError(json_path + ": cannot write");
    }
    fs::rename(tmp, json_path);
  }
  if (!baseline_path.empty()) {
    std::vector<std::string> worse;
    try {
      worse = compare_with_baseline(res, read_whole_file(baseline_path), baseline_path);
    } catch (const InputError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());
    }
    if (!worse.empty()) {
      std::cout << "\nWORSE than the baseline " << baseline_path << " (" << worse.size() << " figure"
                << (worse.size() > 1 ? "s" : "") << "):\n";
      for (const auto& w : worse) std::cout << "  " << w << "\n";
      return 1;
    }
    std::cout << "\nno figure worse than the baseline " << baseline_path
              << " (paired on the same seeds: no difference outside the noise and beyond its tolerance;"
                 " docs/statistics.md)\n";
  }
  return 0;
}

int cmd_eval(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot eval SCENARIO.toml|DIR... [options]\n"
      "       peebot eval --labels LABELS.toml TRACE.h5 [options]\n\n"
      "Scores a detector: runs every scenario (every *.toml of a directory) for\n"
      "every seed, each run in its own process, matches detections to the true\n"
      "voids (docs/detectors.md) and prints per scenario and pooled: precision,\n"
      "recall, F1, F0.5, duplicates, false alarms per day, bulk transfers called\n"
      "urinations, detection latency p50/p95/max and post latency p95, then a\n"
      "visibility table (not gated): latency p95 over voids whose onset is not\n"
      "inside LOS, LOS-hidden voids, misses by class (docs/detectors.md).\n"
      "With --labels, scores a recorded trace against hand labels (docs/labels.md).\n"
      "Each gated figure gets a 95 % interval over the seeds (docs/statistics.md).\n"
      "Exit 1 when --baseline is given and a figure is worse: paired on the same\n"
      "seeds, the difference's interval entirely on the worse side and beyond the\n"
      "figure's tolerance; or a baseline scenario is missing from the run.\n\nOptions");
  std::vector<std::string> inputs, sets;
  opts.add_options()
      ("help,h", "show this help")
      ("input", po::value<std::vector<std::string>>(&inputs), "scenario files or directories")
      ("detector", po::value<std::string>()->default_value("step"), "detector kind: step | rule")
      ("seeds", po::value<std::string>()->default_value("1..20"), "seeds: N, A..B or a list, e.g. 1..20 or 1,5,9")
      ("jobs,j", po::value<int>()->default_value(0), "runs at once (0: the number of CPUs)")
      ("json", po::value<std::string>(), "write the figures as JSON to this file")
      ("baseline", po::value<std::string>(), "compare with a JSON written by --json (same seeds, paired); exit 1 when worse")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a scenario key in every run: --set pipeline.detector.min_rise_pct=3 (repeatable)")
      ("labels", po::value<std::string>(), "hand labels (TOML) for the trace given as input");
  po::positional_options_description pos;
  pos.add("input", -1);
  const auto vm = parse_args("eval", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  const std::string detector = vm["detector"].as<std::string>();
  if (detector != "step" && detector != "rule")
    throw UsageError("eval", "--detector \"" + detector + "\": expected step or rule");
  const std::string json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  const std::string baseline = vm.count("baseline") ? vm["baseline"].as<std::string>() : "";
  if (!baseline.empty() && !fs::is_regular_file(baseline)) throw InputError(baseline + ": no such baseline file");
  if (inputs.empty()) throw UsageError("eval", "missing SCENARIO.toml or DIR (or --labels LABELS.toml TRACE.h5)");

  if (vm.count("labels")) {
    if (inputs.size() != 1) throw UsageError("eval", "--labels takes exactly one TRACE.h5");
    DetectorParams dp;
    dp.kind = detector;
    for (const auto& s : sets) {
      (void)s;
      throw UsageError("eval", "--set is for scenario runs; with --labels the detector uses its defaults");
    }
    EvalSample smp;
    LabelCounts lc;
    try {
      smp = eval_labelled(vm["labels"].as<std::string>(), inputs[0], dp, &lc);
    } catch (const std::exception& e) {
      throw InputError(e.what());  // a bad label file or trace is bad input
    }
    std::cout << "labels: " << lc.urination << " urination, " << lc.bulk << " bulk, " << lc.not_a_use
              << " not-a-use, " << lc.uncertain << " uncertain (" << lc.set_aside
              << " detection(s) matching only an uncertain rise set aside, not scored)\n";
    return finish_eval(make_eval_result(detector, {EvalRun{stem_of(inputs[0]), 0, smp}}), json_path, baseline);
  }

  const std::vector<long> seeds = parse_seeds(vm["seeds"].as<std::string>(), "eval");
  const std::vector<std::string> scenarios = expand_inputs(inputs, ".toml", "scenario file");
  // Validate every scenario (and the overrides) here, so bad input is exit 2 before any run starts.
  std::vector<std::string> all_sets = sets;
  all_sets.push_back("pipeline.detector.kind=\"" + detector + "\"");
  for (const auto& s : scenarios) {
    try {
      (void)load_scenario(s, all_sets);
    } catch (const ScenarioError& e) {
      throw InputError(e.what());
    }
  }
  if (!baseline.empty()) {
    // The gate compares every baseline scenario on the same seeds: refuse before any run what cannot be compared.
    std::vector<EvalRun> base;
    try {
      base = parse_eval_baseline(read_whole_file(baseline), baseline);
    } catch (const InputError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());
    }
    for (const EvalRun& b : base) {
      bool found = false;
      for (const auto& s : scenarios) found = found || stem_of(s) == b.scenario;
      if (!found)
        throw InputError(baseline + ": baseline scenario \"" + b.scenario +
                         "\" is not among the scenarios of this run; the gate compares every one (give it, or use another baseline)");
    }
  }
  const int jobs = resolve_jobs(vm["jobs"].as<int>(), "eval");
  const TempDir dir("eval");
  const std::string exe = self_exe();
  std::vector<ChildJob> queue;
  std::vector<std::string> samples;
  for (const auto& s : scenarios)
    for (long seed : seeds) {
      const std::string base = dir.path() + "/" + std::to_string(queue.size());
      ChildJob j;
      j.argv = {exe, "eval-run", s, "--seed", std::to_string(seed), "--out", base + ".sample", "--trace", base + ".h5"};
      for (const auto& o : all_sets) { j.argv.push_back("--set"); j.argv.push_back(o); }
      j.err_path = base + ".err";
      j.label = "run of " + s + " with seed " + std::to_string(seed);
      queue.push_back(std::move(j));
      samples.push_back(base + ".sample");
    }
  const bool tty = stderr_is_tty();
  run_children(queue, jobs, [&](std::size_t done, std::size_t total, std::size_t) {
    if (tty) std::fprintf(stderr, "\reval: %zu / %zu runs", done, total);
  });
  if (tty) std::fprintf(stderr, "\n");

  std::vector<EvalRun> runs;
  for (std::size_t si = 0; si < scenarios.size(); ++si)
    for (std::size_t k = 0; k < seeds.size(); ++k)
      runs.push_back(EvalRun{stem_of(scenarios[si]), seeds[k], parse_eval_sample(read_whole_file(samples[si * seeds.size() + k]))});
  return finish_eval(make_eval_result(detector, std::move(runs)), json_path, baseline);
}

int cmd_eval_run(const std::vector<std::string>& args) {
  po::options_description opts("Usage: peebot eval-run SCENARIO.toml --seed N --out SAMPLE --trace TRACE.h5 [--set k=v ...]\n\n"
                               "(internal, used by peebot eval) runs one scenario, scores its trace and writes\n"
                               "the accuracy sample; the trace is deleted.\n\nOptions");
  std::vector<std::string> sets;
  opts.add_options()
      ("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file")
      ("seed", po::value<std::string>(), "seed")
      ("out", po::value<std::string>(), "sample file to write")
      ("trace", po::value<std::string>(), "temp trace path")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(), "override a scenario key");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args("eval-run", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("scenario") || !vm.count("seed") || !vm.count("out") || !vm.count("trace"))
    throw UsageError("eval-run", "needs SCENARIO, --seed, --out and --trace");
  sets.push_back("scenario.seed=" + vm["seed"].as<std::string>());
  const Scenario sc = load_scenario(vm["scenario"].as<std::string>(), sets);
  RunOptions ro;
  ro.trace_path = vm["trace"].as<std::string>();
  ro.progress = false;
  run_simulation(sc, ro);
  const Trace t = read_trace(ro.trace_path);
  const Report r = compute_report(t, sc.report);
  std::error_code ec;
  fs::remove(ro.trace_path, ec);
  const std::string out = vm["out"].as<std::string>();
  std::ofstream f(out);
  f << format_eval_sample(eval_sample(r, sc.duration_s / 86400.0, &t));
  if (!f) throw std::runtime_error(out + ": cannot write");
  return 0;
}

}  // namespace

PEEBOT_COMMAND("eval", "score a detector over scenarios x seeds (or labelled data); CI accuracy gate", cmd_eval);
PEEBOT_INTERNAL_COMMAND("eval-run", "(internal) one run of peebot eval, scored", cmd_eval_run);

}  // namespace peebot::cli
