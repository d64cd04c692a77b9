// peebot run SCENARIO.toml [-o TRACE.h5] [--seed N] [--duration 3d] [--set k=v ...] [--quiet]
#include <cstdio>
#include <iostream>

#include "../engine/run.hpp"
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

int cmd_run(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot run SCENARIO.toml [options]\n\n"
      "Runs a scenario in virtual time (SimGrid): crew, urine tank and UPA, sensor,\n"
      "LOS and network path, and the ingest -> detect -> store -> tweet pipeline.\n"
      "Writes the trace (HDF5) and prints the report.\n\nOptions");
  std::vector<std::string> sets;
  opts.add_options()
      ("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file (TOML); see docs/scenarios.md")
      ("output,o", po::value<std::string>(), "trace file to write (default: SCENARIO's base name + .h5)")
      ("seed", po::value<std::string>(), "random seed (overrides scenario.seed)")
      ("duration", po::value<std::string>(), "simulated span, e.g. 3d or 12h (overrides scenario.duration)")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a scenario key: --set crew.size=9 (repeatable; validated like the file)")
      ("json", "print the report as JSON instead of text")
      ("no-report", "do not print the report")
      ("quiet,q", "print nothing but errors (no progress bar, no summary, no report)");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args("run", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("scenario")) throw UsageError("run", "missing SCENARIO.toml");
  const std::string path = vm["scenario"].as<std::string>();
  if (vm.count("seed")) sets.push_back("scenario.seed=" + vm["seed"].as<std::string>());
  if (vm.count("duration")) sets.push_back("scenario.duration=\"" + vm["duration"].as<std::string>() + "\"");
  const Scenario sc = load_scenario(path, sets);
  const bool quiet = vm.count("quiet") > 0;
  RunOptions ro;
  ro.trace_path = vm.count("output") ? vm["output"].as<std::string>() : default_trace_path(path);
  ro.progress = !quiet && stderr_is_tty();
  const RunStats st = run_simulation(sc, ro);
  if (!quiet) {
    std::fprintf(stderr,
                 "peebot: simulated %s in %.2f s (x%.0f): %llu updates, %llu frames, %llu detections, %llu posts; "
                 "peak RSS %ld MB; trace %s\n",
                 format_duration(st.virtual_s).c_str(), st.wall_s, st.wall_s > 0 ? st.virtual_s / st.wall_s : 0.0,
                 static_cast<unsigned long long>(st.updates_emitted), static_cast<unsigned long long>(st.frames),
                 static_cast<unsigned long long>(st.detections), static_cast<unsigned long long>(st.posts),
                 peak_rss_kb() / 1024, ro.trace_path.c_str());
  }
  if (!quiet && !vm.count("no-report")) print_report(read_trace(ro.trace_path), sc.report, vm.count("json") > 0);
  return 0;
}

}  // namespace

PEEBOT_COMMAND("run", "run a scenario in virtual time, write its trace, print the report", cmd_run);

}  // namespace peebot::cli
