// peebot sweep SCENARIO --vary key=v1,v2 [--vary ...] [--seeds 1..N] [--jobs N] -o results.h5|.csv
//              [--chart out.html|out.svg --figure NAME]
// peebot sweep SCENARIO --vary ... --list | --point K -o point.json
// peebot sweep --merge POINTS|DIR... -o results.h5|.csv [--chart ... --figure ...]
// peebot sweep SCENARIO --vary ... -o results.csv --slurm [--partition P] [--time T] [--wait]
// peebot sweep --rerun-failed RUNDIR [--wait]
//
// Every grid point is one run in its own process: the parent starts this same
// command with --point K for each (child_pool.hpp), then merges the point files
// exactly as --merge does, so a cluster that runs the --point commands as an
// array job and merges them gets the same bytes; --slurm does that on Slurm
// (grid_runner.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "../engine/run.hpp"
#include "../sweep/sweep.hpp"
#include "child_pool.hpp"
#include "cli.hpp"
#include "grid_runner.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string format_secs(double s) { return s < 120 ? std::to_string(static_cast<int>(s + 0.5)) + " s" : format_duration(std::round(s)); }

// The figures a report of this scenario has (a report of an empty trace with truth): --figure is checked against them.
std::vector<std::string> report_columns(const Scenario& sc) {
  Trace t;
  t.meta.has_truth = true;
  t.meta.scenario_name = sc.name;
  t.meta.duration_s = sc.duration_s;
  SweepCells cells;
  flatten_json(report_json(compute_report(t, sc.report), t.meta), "", cells);
  std::vector<std::string> out;
  for (const auto& [k, v] : cells)
    if (!v.is_string()) out.push_back(k);
  return out;
}

// Writes the merged table to every output and draws the chart.
void finish_sweep(const SweepTable& table, const std::vector<std::string>& outputs, const std::string& chart,
                  const std::string& figure) {
  for (const auto& o : outputs) write_sweep_table(table, o);
  if (!chart.empty()) {
    std::string page;
    try {
      page = sweep_chart(table, figure, ends_with(chart, ".html") || ends_with(chart, ".htm"));
    } catch (const std::invalid_argument& e) {
      throw UsageError("sweep", e.what());
    }
    write_file_whole(chart, page);
  }
}

SweepTable merge_files(const std::vector<std::string>& files, const std::string& summary) {
  std::vector<std::string> texts;
  for (const auto& f : files) texts.push_back(read_whole_file(f));
  try {
    const GridPoints g = gather_sweep_points(texts, files);
    SweepTable t = merge_sweep_points(g, files);
    // The seeds of each grid point pooled: every verdict figure with its interval (docs/statistics.md).
    const SweepSummary sum = summarize_sweep_points(g, files);
    if (!sum.groups.empty() && sum.groups.front().pooled.seeds.size() > 1) std::cout << format_sweep_summary_text(sum);
    if (!summary.empty()) write_file_whole(summary, format_sweep_summary_csv(sum));
    return t;
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
}

int run_point(const SweepSpec& spec, std::size_t index, const std::string& out) {
  const SweepPoint p = sweep_point(spec, index);
  const Scenario sc = load_scenario(spec.scenario_path, sweep_overrides(spec, p));
  const Trace t = simulate_point(sc);
  const Report r = compute_report(t, sc.report);
  write_file_whole(out, format_sweep_point(spec, sc.source_text, p, report_json(r, t.meta), run_figures_json(run_figures(r))));
  return 0;
}

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot sweep SCENARIO.toml --vary KEY=V1,V2,... [--vary ...] [options] -o results.csv|.h5\n"
      "       peebot sweep SCENARIO.toml --vary ... --list\n"
      "       peebot sweep SCENARIO.toml --vary ... --point K -o point-K.json\n"
      "       peebot sweep --merge POINT.json|DIR... -o results.csv|.h5\n"
      "       peebot sweep SCENARIO.toml --vary ... -o results.csv --slurm [--partition P] [--time T] [--wait]\n"
      "       peebot sweep --rerun-failed RUN-DIR [--wait]\n\n"
      "Runs a scenario over a grid: every combination of the --vary values (each\n"
      "validated like --set) times every seed, each run in its own process, up to\n"
      "--jobs at once. Writes one row per run, sorted by grid index (seed fastest,\n"
      "the first --vary slowest): point, the varied keys, seed, then every figure\n"
      "of `peebot report --json` flattened into columns (matching.precision,\n"
      "stage_latency.ingest.p99_s, targets.event_to_tweet_p95.met, ...).\n"
      "--list prints the grid; --point runs one grid point into a point file, and\n"
      "--merge gathers point files into the table (a cluster job array: docs/sweeps.md).\n"
      "--slurm submits the points as a Slurm job array (one task per point, writing\n"
      "to a run directory every node sees) and the merge as a job that runs once\n"
      "they all succeeded; --wait follows them and prints what the merge printed.\n"
      "--jobs N with --slurm caps the tasks running at once (sbatch --array=...%N).\n"
      "A point that failed is named by index; --rerun-failed RUN-DIR submits those\n"
      "points again, then the merge.\n"
      "--chart draws --figure against the first varied key, one line per value\n"
      "of the second, as self-contained HTML (inline SVG) or SVG.\n"
      "With several seeds, prints per grid point every figure that has a target\n"
      "pooled over the seeds: value, 95 % interval, n and met / not met /\n"
      "undecided (docs/statistics.md); --summary writes them all as CSV.\n\nOptions");
  std::vector<std::string> inputs, varies, sets, outputs;
  opts.add_options()
      ("help,h", "show this help")
      ("input", po::value<std::vector<std::string>>(&inputs), "the scenario (with --merge: point files or directories)")
      ("vary", po::value<std::vector<std::string>>(&varies)->composing(),
       "a scenario key and its values: --vary pipeline.tweet.cooldown=1min,5min,15min (repeatable)")
      ("seeds", po::value<std::string>(), "seeds of every point: N, A..B or a list (default: the scenario's seed)")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "a fixed override of every run: --set scenario.duration=1d (repeatable)")
      ("jobs,j", po::value<int>()->default_value(0), "runs at once (0: the number of CPUs)")
      ("output,o", po::value<std::vector<std::string>>(&outputs)->composing(),
       "the table: .csv or .h5 (repeatable); with --point, the point file (.json)")
      ("chart", po::value<std::string>(), "summary chart: .html or .svg")
      ("figure", po::value<std::string>(), "the column the chart plots, e.g. posts.sent")
      ("list", "print the grid points (index, values, seed), one a line, and exit")
      ("point", po::value<long>(), "run grid point K only (0-based) and write its point file")
      ("merge", "merge point files written by --point into the table")
      ("summary", po::value<std::string>(), "write the seeds of each grid point pooled, every verdict figure with its "
                                            "95 % interval, n and verdict, as CSV (docs/statistics.md)");
  add_slurm_options(opts);
  po::positional_options_description pos;
  pos.add("input", -1);
  const auto vm = parse_args("sweep", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  const SlurmOptions slurm = slurm_options(vm, "sweep");
  if (!slurm.rerun_dir.empty()) return rerun_failed_on_slurm("sweep", slurm);
  const bool merge = vm.count("merge") > 0, list = vm.count("list") > 0, point = vm.count("point") > 0;
  if (merge + list + point > 1) throw UsageError("sweep", "--merge, --list and --point go one at a time");
  if (slurm.submit && (merge || list || point))
    throw UsageError("sweep", "--slurm runs a whole sweep: not with --merge, --list or --point");
  const std::string chart = vm.count("chart") ? vm["chart"].as<std::string>() : "";
  const std::string figure = vm.count("figure") ? vm["figure"].as<std::string>() : "";
  const std::string summary = vm.count("summary") ? vm["summary"].as<std::string>() : "";
  if (!summary.empty() && !ends_with(summary, ".csv")) throw UsageError("sweep", "--summary " + summary + ": expected a name ending in .csv");
  if ((list || point) && !summary.empty()) throw UsageError("sweep", "--summary goes with a full sweep or --merge");
  for (const std::string& o : outputs) check_output_path("sweep", "-o", o, inputs);
  if (!chart.empty()) check_output_path("sweep", "--chart", chart, inputs);
  if (!summary.empty()) check_output_path("sweep", "--summary", summary, inputs);
  if (!chart.empty() && figure.empty()) throw UsageError("sweep", "--chart needs --figure NAME (a column of the table)");
  if (!chart.empty() && !ends_with(chart, ".html") && !ends_with(chart, ".htm") && !ends_with(chart, ".svg"))
    throw UsageError("sweep", "--chart " + chart + ": expected a name ending in .html or .svg");
  if ((list || point) && !chart.empty()) throw UsageError("sweep", "--chart goes with a full sweep or --merge");
  if (!list) {
    if (outputs.empty()) throw UsageError("sweep", point ? "--point needs -o POINT.json" : "missing -o results.csv|.h5");
    for (const auto& o : outputs) {
      if (point && (outputs.size() != 1 || !ends_with(o, ".json")))
        throw UsageError("sweep", "--point writes one point file: -o NAME.json");
      if (!point && !sweep_table_path_ok(o))
        throw UsageError("sweep", "-o " + o + ": expected a name ending in .csv, .h5 or .hdf5");
    }
  } else if (!outputs.empty()) {
    throw UsageError("sweep", "--list prints to stdout; it takes no -o");
  }

  if (merge) {
    if (!varies.empty() || vm.count("seeds") || !sets.empty())
      throw UsageError("sweep", "--merge takes the point files only (the grid is recorded in them)");
    if (inputs.empty()) throw UsageError("sweep", "--merge needs point files or a directory of them");
    const SweepTable table = merge_files(expand_inputs(inputs, ".json", "point file"), summary);
    finish_sweep(table, outputs, chart, figure);
    std::cout << "sweep: merged " << table.rows << " runs into";
    for (const auto& o : outputs) std::cout << " " << o;
    std::cout << "\n";
    return 0;
  }

  if (inputs.size() != 1) throw UsageError("sweep", inputs.empty() ? "missing SCENARIO.toml" : "one scenario at a time");
  SweepSpec spec;
  spec.scenario_path = inputs[0];
  spec.sets = sets;
  const Scenario base = load_scenario(spec.scenario_path, sets);
  for (const auto& v : varies) {
    try {
      spec.axes.push_back(parse_vary(v));
    } catch (const std::invalid_argument& e) {
      throw UsageError("sweep", e.what());
    }
  }
  spec.seeds = vm.count("seeds") ? parse_seeds(vm["seeds"].as<std::string>(), "sweep")
                                 : std::vector<long>{static_cast<long>(base.seed)};
  const std::size_t n = sweep_size(spec);

  if (point) {
    const long k = vm["point"].as<long>();
    if (k < 0 || static_cast<std::size_t>(k) >= n)
      throw UsageError("sweep", "--point " + std::to_string(k) + ": expected 0 .. " + std::to_string(n - 1) +
                                    " (the grid has " + std::to_string(n) + " points)");
    return run_point(spec, static_cast<std::size_t>(k), outputs[0]);
  }

  validate_sweep(spec);  // every value and combination, before anything runs (ScenarioError: exit 2)
  if (list) {
    for (std::size_t k = 0; k < n; ++k) std::cout << k << "\t" << describe_point(spec, sweep_point(spec, k)) << "\n";
    return 0;
  }
  if (!figure.empty()) {
    std::vector<std::string> known = report_columns(base);
    known.push_back("point");
    known.push_back("seed");
    for (const auto& a : spec.axes) known.push_back(a.key);
    if (std::find(known.begin(), known.end(), figure) == known.end()) {
      std::string list_text;
      for (const auto& k : known) list_text += (list_text.empty() ? "" : ", ") + k;
      throw UsageError("sweep", "--figure " + figure + ": not a numeric column of the table; expected one of: " + list_text);
    }
  }

  std::string seed_list;  // the exact seeds, so that every point's grid is this one
  for (long x : spec.seeds) seed_list += (seed_list.empty() ? "" : ",") + std::to_string(x);
  GridRun grid;
  grid.command = "sweep";
  grid.points = n;
  grid.grid_args = {spec.scenario_path};
  for (const auto& v : varies) grid.grid_args.insert(grid.grid_args.end(), {"--vary", v});
  grid.grid_args.insert(grid.grid_args.end(), {"--seeds", seed_list});
  for (const auto& s : sets) grid.grid_args.insert(grid.grid_args.end(), {"--set", s});
  grid.describe = [&](std::size_t k) { return describe_point(spec, sweep_point(spec, k)); };
  if (slurm.submit) {
    for (const auto& o : outputs) grid.merge_args.insert(grid.merge_args.end(), {"-o", o});
    if (!chart.empty()) grid.merge_args.insert(grid.merge_args.end(), {"--chart", chart, "--figure", figure});
    if (!summary.empty()) grid.merge_args.insert(grid.merge_args.end(), {"--summary", summary});
    return submit_grid_to_slurm(grid, slurm);
  }

  const int jobs = resolve_jobs(vm["jobs"].as<int>(), "sweep");
  const TempDir dir("sweep");
  const bool tty = stderr_is_tty();
  const auto t0 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "sweep: %zu runs (%zu grid points x %zu seeds), %d at once\n", n, n / spec.seeds.size(),
               spec.seeds.size(), jobs);
  const std::vector<std::string> files = run_points_here(grid, jobs, dir.path(), [&](std::size_t done, std::size_t total, std::size_t k) {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double eta = el / static_cast<double>(done) * static_cast<double>(total - done);
    if (tty)
      std::fprintf(stderr, "\rsweep: %zu / %zu runs, %s elapsed, ETA %s   ", done, total, format_secs(el).c_str(),
                   format_secs(eta).c_str());
    else
      std::fprintf(stderr, "sweep: %zu / %zu done: point %zu (%s) (%s elapsed)\n", done, total, k,
                   grid.describe(k).c_str(), format_secs(el).c_str());
  });
  if (tty) std::fprintf(stderr, "\n");
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  finish_sweep(merge_files(files, summary), outputs, chart, figure);
  std::printf("sweep: %zu runs in %.1f s (%.1f runs/min, %d at once); wrote", n, wall,
              wall > 0 ? 60.0 * static_cast<double>(n) / wall : 0.0, jobs);
  for (const auto& o : outputs) std::printf(" %s", o.c_str());
  if (!chart.empty()) std::printf(" %s", chart.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace

PEEBOT_COMMAND("sweep", "run a scenario over a grid of key values x seeds, one row per run (CSV/HDF5, chart)", cmd_sweep);

}  // namespace peebot::cli
