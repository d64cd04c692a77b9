// peebot run SCENARIO.toml [-o TRACE.h5] [--seed N] [--duration 3d] [--set k=v ...] [--quiet]
// peebot run SCENARIO.toml --seeds 1..N | --replications N [-o RUN_DIR] [--jobs J]
//            [--until-ci 5% --max-seeds M] [--json]
//
// With --seeds every seed is one replication, run as its own process (this
// same binary, `peebot run --seed S --quiet`, through child_pool.hpp), its
// trace written to RUN_DIR; the traces are then pooled as `peebot report
// RUN_DIR` does (docs/statistics.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "../engine/run.hpp"
#include "../util/progress.hpp"
#include "child_pool.hpp"
#include "cli.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace {

std::string default_trace_path(const std::string& scenario_path) {
  std::string base = scenario_path.substr(scenario_path.find_last_of('/') + 1);
  const auto dot = base.rfind(".toml");
  if (dot != std::string::npos) base.erase(dot);
  return base + ".h5";
}

std::string stem_of(const std::string& scenario_path) {
  std::string base = default_trace_path(scenario_path);
  return base.substr(0, base.size() - 3);
}

// "5%" or "0.05" -> 0.05.
double parse_rel(const std::string& text) {
  std::string t = text;
  bool pct = !t.empty() && t.back() == '%';
  if (pct) t.pop_back();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || !std::isfinite(v) || v <= 0 || (pct ? v >= 100 : v >= 1))
    throw UsageError("run", "--until-ci \"" + text + "\": expected a relative half-width such as 5% or 0.05 (above 0, below 100 %)");
  return pct ? v / 100 : v;
}

// Runs the replications of `seeds` not yet in `done` into dir (one child per seed).
void run_replications(const std::string& scenario, const std::vector<std::string>& child_opts, const std::vector<long>& seeds,
                      const std::string& dir, int jobs, bool quiet, std::vector<std::string>& paths) {
  const TempDir tmp("run");
  const std::string exe = self_exe();
  std::vector<ChildJob> queue;
  for (long seed : seeds) {
    const std::string trace = dir + "/" + stem_of(scenario) + "-seed" + std::to_string(seed) + ".h5";
    ChildJob j;
    j.argv = {exe, "run", scenario, "--seed", std::to_string(seed), "-o", trace, "--quiet"};
    j.argv.insert(j.argv.end(), child_opts.begin(), child_opts.end());
    j.err_path = tmp.path() + "/" + std::to_string(seed) + ".err";
    j.label = "replication of " + scenario + " with seed " + std::to_string(seed);
    queue.push_back(std::move(j));
    paths.push_back(trace);
  }
  const bool tty = !quiet && stderr_is_tty();
  run_children(queue, jobs, [&](std::size_t done, std::size_t total, std::size_t) {
    if (tty) std::fprintf(stderr, "\rrun: %zu / %zu replications", done, total);
  });
  if (tty) std::fprintf(stderr, "\n");
}

int run_seeds(const po::variables_map& vm, const std::string& path, const std::vector<std::string>& sets) {
  const bool quiet = vm.count("quiet") > 0, json = vm.count("json") > 0;
  if (vm.count("seed")) throw UsageError("run", "--seed is one run; --seeds / --replications are several: give one of them");
  if (vm.count("seeds") && vm.count("replications")) throw UsageError("run", "give --seeds or --replications, not both");
  std::vector<long> seeds;
  if (vm.count("replications")) {
    const long n = vm["replications"].as<long>();
    if (n < 1 || n > 100000) throw UsageError("run", "--replications " + std::to_string(n) + ": expected 1 .. 100000");
    for (long s = 1; s <= n; ++s) seeds.push_back(s);
  } else if (vm.count("seeds")) {
    seeds = parse_seeds(vm["seeds"].as<std::string>(), "run");
  } else {
    seeds = {1, 2, 3, 4, 5};  // --until-ci alone: start from 5 replications
  }
  const bool until = vm.count("until-ci") > 0;
  const double rel = until ? parse_rel(vm["until-ci"].as<std::string>()) : 0.0;
  long max_seeds = 0;
  if (vm.count("max-seeds")) {
    if (!until) throw UsageError("run", "--max-seeds goes with --until-ci");
    max_seeds = vm["max-seeds"].as<long>();
    if (max_seeds < 2 || max_seeds > 100000) throw UsageError("run", "--max-seeds " + std::to_string(max_seeds) + ": expected 2 .. 100000");
  } else if (until) {
    throw UsageError("run", "--until-ci needs --max-seeds N (the most replications to run)");
  }
  if (until && static_cast<long>(seeds.size()) > max_seeds)
    throw UsageError("run", "--seeds gives " + std::to_string(seeds.size()) + " replications, more than --max-seeds " + std::to_string(max_seeds));
  // Validate the scenario with every seed's override before anything runs (exit 2 up front).
  for (long sd : seeds) {
    std::vector<std::string> with_seed = sets;
    with_seed.push_back("scenario.seed=" + std::to_string(sd));
    (void)load_scenario(path, with_seed);
  }
  const std::string dir = vm.count("output") ? vm["output"].as<std::string>() : stem_of(path) + "-runs";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) throw InputError(dir + ": cannot create the run directory (" + ec.message() + ")");
  std::vector<std::string> child_opts;
  for (const auto& o : sets) { child_opts.push_back("--set"); child_opts.push_back(o); }
  const int jobs = resolve_jobs(vm["jobs"].as<int>(), "run");

  std::vector<std::string> paths;
  std::vector<TraceRun> read;  // the replications' figures, read once each
  std::vector<long> all;
  std::vector<long> batch = seeds;
  PooledReport pooled;
  // --until-ci: for each target figure, the replications at which it last became settled (0: not settled).
  std::vector<std::size_t> settled_at;
  std::string summary;
  for (;;) {
    run_replications(path, child_opts, batch, dir, jobs, quiet, paths);
    all.insert(all.end(), batch.begin(), batch.end());
    for (std::size_t i = read.size(); i < paths.size(); ++i) read.push_back(read_trace_run(paths[i]));
    pooled = pool_trace_runs(read);
    if (!until) break;
    settled_at.resize(pooled.figures.size(), 0);
    bool all_settled = true;
    for (std::size_t i = 0; i < pooled.figures.size(); ++i) {
      const PooledFigure& f = pooled.figures[i];
      if (std::isnan(f.target)) continue;  // only figures with a target carry a verdict
      if (figure_settled(f, rel)) {
        if (!settled_at[i]) settled_at[i] = all.size();
      } else {
        settled_at[i] = 0;
        all_settled = false;
      }
    }
    if (!quiet) {
      std::string state;
      for (const PooledFigure& f : pooled.figures) {
        if (std::isnan(f.target)) continue;
        char b[160];
        if (f.iv.has_ci() && f.iv.value != 0)
          std::snprintf(b, sizeof b, "%s%s %s (half-width %.1f %%)", state.empty() ? "" : ", ", f.name.c_str(),
                        verdict_name(f.verdict), 100 * f.iv.half_width() / std::fabs(f.iv.value));
        else
          std::snprintf(b, sizeof b, "%s%s %s (half-width %.3g)", state.empty() ? "" : ", ", f.name.c_str(),
                        verdict_name(f.verdict), f.iv.half_width());
        state += b;
      }
      std::fprintf(stderr, "run: %zu replications: %s\n", all.size(), state.c_str());
    }
    if (all_settled || static_cast<long>(all.size()) >= max_seeds) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g %%", rel * 100);
      if (all_settled) {
        std::size_t most = 0, k = 0;
        for (std::size_t i = 0; i < pooled.figures.size(); ++i)
          if (!std::isnan(pooled.figures[i].target) && settled_at[i] >= most) { most = settled_at[i]; k = i; }
        summary = "until-ci " + std::string(buf) + ": every verdict figure decided or within " + buf + " after " +
                  std::to_string(all.size()) + " replications; the one that needed the most: " + pooled.figures[k].name +
                  " (settled at n " + std::to_string(most) + "); each settled at n:";
        for (std::size_t i = 0; i < pooled.figures.size(); ++i)
          if (!std::isnan(pooled.figures[i].target))
            summary += " " + pooled.figures[i].name + " " + std::to_string(settled_at[i]);
        summary += "\n";
      } else {
        summary = "until-ci " + std::string(buf) + ": NOT settled at --max-seeds " + std::to_string(max_seeds) + ":";
        for (std::size_t i = 0; i < pooled.figures.size(); ++i) {
          const PooledFigure& f = pooled.figures[i];
          if (std::isnan(f.target) || settled_at[i]) continue;
          char b[160];
          std::snprintf(b, sizeof b, " %s (%s, half-width %.3g of %.4g)", f.name.c_str(), verdict_name(f.verdict),
                        f.iv.half_width(), f.iv.value);
          summary += b;
        }
        summary += "\n";
      }
      break;
    }
    // Next batch: as many new seeds as run at once (at least 1), up to --max-seeds.
    batch.clear();
    long next = *std::max_element(all.begin(), all.end()) + 1;
    const long room = max_seeds - static_cast<long>(all.size());
    for (long k = 0; k < std::min<long>(std::max(jobs, 1), room); ++k) batch.push_back(next++);
  }
  if (!quiet) {
    std::cout << (json ? format_pooled_json(pooled) : format_pooled_text(pooled));
    if (!json) std::cout << "traces: " << dir << "/ (peebot report " << dir << " pools them again)\n";
    (json ? std::cerr : std::cout) << summary;
  }
  return 0;
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot run SCENARIO.toml [options]\n"
      "       peebot run SCENARIO.toml --seeds 1..N [-o RUN_DIR] [--jobs J] [--until-ci 5% --max-seeds M]\n\n"
      "Runs a scenario in virtual time (SimGrid): crew, urine tank and UPA, sensor,\n"
      "LOS and network path, and the ingest -> detect -> store -> tweet pipeline.\n"
      "Writes the trace (HDF5) and prints the report.\n"
      "With --seeds (or --replications N) runs one independent replication per\n"
      "seed, --jobs at once, writes their traces into a run directory and prints\n"
      "every figure with a target or a verdict pooled: value, 95 % interval, n and\n"
      "met / not met / undecided (docs/statistics.md). --until-ci adds replications\n"
      "until each verdict is decided or its interval is narrow enough, or\n"
      "--max-seeds, and says which figure needed the most.\n\nOptions");
  std::vector<std::string> sets;
  opts.add_options()
      ("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file (TOML); see docs/scenarios.md")
      ("output,o", po::value<std::string>(), "trace file to write (default: SCENARIO's base name + .h5); with --seeds the run directory (default: base name + -runs)")
      ("seed", po::value<std::string>(), "random seed (overrides scenario.seed)")
      ("duration", po::value<std::string>(), "simulated span, e.g. 3d or 12h (overrides scenario.duration)")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a scenario key: --set crew.size=9 (repeatable; validated like the file)")
      ("engine", po::value<std::string>(),
       "auto (default) | event | actors: the runtime that moves the feed; event computes the feed and the\n"
       "direct host in closed form (fast), actors runs one SimGrid actor per stage (the reference);\n"
       "auto takes event where it applies (docs/architecture.md)")
      ("json", "print the report as JSON instead of text")
      ("no-report", "do not print the report")
      ("seeds", po::value<std::string>(), "replications: run once per seed (N, A..B or a list) into a run directory (-o DIR) and pool them (docs/statistics.md)")
      ("replications", po::value<long>(), "N replications: the same as --seeds 1..N")
      ("jobs,j", po::value<int>()->default_value(0), "with --seeds: replications at once (0: the number of CPUs)")
      ("until-ci", po::value<std::string>(), "add replications until every verdict figure is decided or its 95 % half-width is within REL of its value (e.g. 5%)")
      ("max-seeds", po::value<long>(), "with --until-ci: the most replications to run")
      ("quiet,q", "print nothing but errors (no progress bar, no summary, no report)");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args("run", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("scenario")) throw UsageError("run", "missing SCENARIO.toml");
  const std::string path = vm["scenario"].as<std::string>();
  if (vm.count("duration")) sets.push_back("scenario.duration=\"" + vm["duration"].as<std::string>() + "\"");
  if (vm.count("seeds") || vm.count("replications") || vm.count("until-ci") || vm.count("max-seeds"))
    return run_seeds(vm, path, sets);
  if (vm.count("seed")) sets.push_back("scenario.seed=" + vm["seed"].as<std::string>());
  RunOptions ro;
  if (vm.count("engine")) {
    const std::string e = vm["engine"].as<std::string>();
    if (e == "event") ro.engine = EngineKind::kEvent;
    else if (e == "actors") ro.engine = EngineKind::kActors;
    else if (e != "auto") throw UsageError("run", "--engine: expected auto, event or actors, got \"" + e + "\"");
  }
  ro.trace_path = vm.count("output") ? vm["output"].as<std::string>() : default_trace_path(path);
  check_output_path("run", "-o", ro.trace_path, {path});  // before the run: the scenario itself, '', a folder
  const Scenario sc = load_scenario(path, sets);
  const bool quiet = vm.count("quiet") > 0;
  ro.progress = !quiet && stderr_is_tty();
  const RunStats st = run_simulation(sc, ro);
  if (!quiet) {
    std::fprintf(stderr,
                 "peebot: simulated %s in %.2f s (x%.0f): %llu updates, %llu frames, %llu detections, %llu posts; "
                 "peak RSS %ld MB; engine %s; trace %s\n",
                 format_duration(st.virtual_s).c_str(), st.wall_s, st.wall_s > 0 ? st.virtual_s / st.wall_s : 0.0,
                 static_cast<unsigned long long>(st.updates_emitted), static_cast<unsigned long long>(st.frames),
                 static_cast<unsigned long long>(st.detections), static_cast<unsigned long long>(st.posts),
                 peak_rss_kb() / 1024, st.engine, ro.trace_path.c_str());
  }
  if (!quiet && !vm.count("no-report")) print_report(read_trace(ro.trace_path), sc.report, vm.count("json") > 0);
  return 0;
}

}  // namespace

PEEBOT_COMMAND("run", "run a scenario in virtual time, write its trace, print the report", cmd_run);

}  // namespace peebot::cli
