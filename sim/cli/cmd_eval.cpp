// peebot eval SCENARIOS... [--detector step] [--seeds 1..20] [--jobs N] [--json out.json] [--baseline B.json]
// peebot eval SCENARIOS... --point K -o point.json      one (scenario, seed) run, scored
// peebot eval --merge POINTS|DIR... [--json out.json] [--baseline B.json]
// peebot eval SCENARIOS... --slurm [--wait] ...          the points as a Slurm job array
//
// SimGrid is one engine per process, so every (scenario, seed) run is a grid
// point run in a child process (`peebot eval ... --point K`, this same binary,
// grid_runner.hpp) that simulates into a temp trace, scores it and writes its
// EvalSample in a point file; the parent runs up to --jobs children at once
// and pools the samples in (scenario, seed) order (merge_eval_points), so the
// result does not depend on --jobs, nor on whether Slurm ran the points.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "../engine/run.hpp"
#include "../eval/eval.hpp"
#include "../util/files.hpp"
#include "child_pool.hpp"
#include "cli.hpp"
#include "grid_runner.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace fs = std::filesystem;

namespace {

int finish_eval(const EvalResult& res, const std::string& json_path, const std::string& baseline_path) {
  std::cout << "detector: " << res.detector << "\n" << format_eval_table(res);
  if (!json_path.empty()) {
    try {
      write_file_atomically(json_path, format_eval_json(res));
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());
    }
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

// Grid point k: scenario k / seeds with seed k % seeds, simulated into a temp
// trace (deleted), scored, written as its point file.
int run_eval_point(const EvalGrid& g, std::size_t k, const std::string& out) {
  std::vector<std::string> sets = g.sets;
  sets.push_back("scenario.seed=" + std::to_string(g.seeds[k % g.seeds.size()]));
  const Scenario sc = load_scenario(g.scenarios[k / g.seeds.size()], sets);
  const Trace t = simulate_point(sc);
  const Report r = compute_report(t, sc.report);
  write_file_whole(out, format_eval_point(g, k, eval_sample(r, sc.duration_s / 86400.0, &t)));
  return 0;
}

// The pooled result of point files (--merge, and a local eval's children).
EvalResult merge_point_files(const std::vector<std::string>& files) {
  std::vector<std::string> texts;
  for (const auto& f : files) texts.push_back(read_whole_file(f));
  try {
    return merge_eval_points(texts, files);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
}

int cmd_eval(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot eval SCENARIO.toml|DIR... [options]\n"
      "       peebot eval --labels LABELS.toml TRACE.h5 [options]\n"
      "       peebot eval SCENARIO.toml|DIR... [options] --point K -o point-K.json\n"
      "       peebot eval --merge POINT.json|DIR... [--json out.json] [--baseline B.json]\n"
      "       peebot eval SCENARIO.toml|DIR... [options] --slurm [--partition P] [--time T] [--wait]\n"
      "       peebot eval --rerun-failed RUN-DIR [--wait]\n\n"
      "Scores a detector: runs every scenario (every *.toml of a directory) for\n"
      "every seed, each run in its own process, matches detections to the true\n"
      "voids (docs/detectors.md) and prints per scenario and pooled: precision,\n"
      "recall, F1, F0.5, duplicates, false alarms per day, bulk transfers called\n"
      "urinations, detection latency p50/p95/max and post latency p95, then a\n"
      "visibility table (not gated): latency p95 over voids whose onset is not\n"
      "inside LOS, LOS-hidden voids, misses by class (docs/detectors.md).\n"
      "With --labels, scores a recorded trace against hand labels (docs/labels.md).\n"
      "The runs are grid points (scenario slowest, seed fastest): --point runs one\n"
      "into a point file, --merge pools point files into the same figures, and\n"
      "--slurm runs them as a Slurm job array with the merge as a job after it\n"
      "(docs/sweeps.md, \"Running at scale on Slurm\").\n"
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
      ("labels", po::value<std::string>(), "hand labels (TOML) for the trace given as input")
      ("point", po::value<long>(), "run grid point K only (0-based: scenario K / seeds, seed K % seeds) into -o FILE.json")
      ("output,o", po::value<std::string>(), "with --point: the point file (.json)")
      ("merge", "pool point files written by --point (files or directories) into the figures");
  add_slurm_options(opts);
  po::positional_options_description pos;
  pos.add("input", -1);
  const auto vm = parse_args("eval", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  const SlurmOptions slurm = slurm_options(vm, "eval");
  if (!slurm.rerun_dir.empty()) return rerun_failed_on_slurm("eval", slurm);
  const bool merge = vm.count("merge") > 0, point = vm.count("point") > 0;
  if (merge + point + slurm.submit + (vm.count("labels") > 0) > 1)
    throw UsageError("eval", "--merge, --point, --slurm and --labels go one at a time");
  if (point != (vm.count("output") > 0)) throw UsageError("eval", "--point K and -o POINT.json go together");
  if (point && fs::path(vm["output"].as<std::string>()).extension() != ".json")
    throw UsageError("eval", "--point writes one point file: -o NAME.json");
  if (point && (vm.count("json") || vm.count("baseline")))
    throw UsageError("eval", "--point writes a point file; --json and --baseline go with a whole eval or --merge");
  const std::string detector = vm["detector"].as<std::string>();
  if (detector != "step" && detector != "rule")
    throw UsageError("eval", "--detector \"" + detector + "\": expected step or rule");
  const std::string json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  const std::string baseline = vm.count("baseline") ? vm["baseline"].as<std::string>() : "";
  if (!baseline.empty() && !fs::is_regular_file(baseline)) throw InputError(baseline + ": no such baseline file");
  if (inputs.empty())
    throw UsageError("eval", merge ? "--merge needs point files or a directory of them"
                                   : "missing SCENARIO.toml or DIR (or --labels LABELS.toml TRACE.h5)");

  if (vm.count("json")) {
    std::vector<std::string> read = inputs;
    if (vm.count("labels")) read.push_back(vm["labels"].as<std::string>());
    if (!baseline.empty()) read.push_back(baseline);
    check_output_path("eval", "--json", json_path, read);
  }
  if (merge) {
    if (!vm["seeds"].defaulted() || !vm["detector"].defaulted() || !sets.empty())
      throw UsageError("eval", "--merge takes the point files only (the scenarios, seeds, detector and --set are recorded in them)");
    return finish_eval(merge_point_files(expand_inputs(inputs, ".json", "point file")), json_path, baseline);
  }

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
    return finish_eval(make_eval_result(detector, {EvalRun{eval_scenario_name(inputs[0]), 0, smp}}), json_path, baseline);
  }

  EvalGrid grid;
  grid.seeds = parse_seeds(vm["seeds"].as<std::string>(), "eval");
  grid.scenarios = expand_inputs(inputs, ".toml", "scenario file");
  grid.detector = detector;
  grid.sets = sets;
  grid.sets.push_back("pipeline.detector.kind=\"" + detector + "\"");
  const std::vector<long>& seeds = grid.seeds;
  const std::vector<std::string>& scenarios = grid.scenarios;
  // Validate every scenario (and the overrides) here, so bad input is exit 2 before any run starts.
  for (const auto& s : scenarios) {
    try {
      grid.scenario_texts.push_back(load_scenario(s, grid.sets).source_text);
    } catch (const ScenarioError& e) {
      throw InputError(e.what());
    }
  }
  const std::size_t n = grid.points();
  if (point) {
    const long k = vm["point"].as<long>();
    if (k < 0 || static_cast<std::size_t>(k) >= n)
      throw UsageError("eval", "--point " + std::to_string(k) + ": expected 0 .. " + std::to_string(n - 1) + " (" +
                                   std::to_string(scenarios.size()) + " scenarios x " + std::to_string(seeds.size()) +
                                   " seeds)");
    return run_eval_point(grid, static_cast<std::size_t>(k), vm["output"].as<std::string>());
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
      for (const auto& s : scenarios) found = found || eval_scenario_name(s) == b.scenario;
      if (!found)
        throw InputError(baseline + ": baseline scenario \"" + b.scenario +
                         "\" is not among the scenarios of this run; the gate compares every one (give it, or use another baseline)");
    }
  }
  std::string seed_list;  // the exact seeds, so that every point's grid is this one
  for (long x : seeds) seed_list += (seed_list.empty() ? "" : ",") + std::to_string(x);
  GridRun run;
  run.command = "eval";
  run.points = n;
  run.grid_args = scenarios;
  run.grid_args.insert(run.grid_args.end(), {"--detector", detector, "--seeds", seed_list});
  for (const auto& s : sets) run.grid_args.insert(run.grid_args.end(), {"--set", s});
  run.describe = [&](std::size_t k) {
    return scenarios[k / seeds.size()] + " seed=" + std::to_string(seeds[k % seeds.size()]);
  };
  if (slurm.submit) {
    if (!json_path.empty()) run.merge_args.insert(run.merge_args.end(), {"--json", json_path});
    if (!baseline.empty()) run.merge_args.insert(run.merge_args.end(), {"--baseline", baseline});
    return submit_grid_to_slurm(run, slurm);
  }
  const int jobs = resolve_jobs(vm["jobs"].as<int>(), "eval");
  const TempDir dir("eval");
  const bool tty = stderr_is_tty();
  const std::vector<std::string> files = run_points_here(run, jobs, dir.path(), [&](std::size_t done, std::size_t total, std::size_t) {
    if (tty) std::fprintf(stderr, "\reval: %zu / %zu runs", done, total);
  });
  if (tty) std::fprintf(stderr, "\n");
  return finish_eval(merge_point_files(files), json_path, baseline);
}

}  // namespace

PEEBOT_COMMAND("eval", "score a detector over scenarios x seeds (or labelled data); CI accuracy gate", cmd_eval);

}  // namespace peebot::cli
