// peebot: the testbed's command line. Subcommands share one convention:
// exit 0 on success, 2 on bad usage or bad input, 1 on a runtime failure.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "../engine/run.hpp"
#include "../report/report.hpp"
#include "../scenario/scenario.hpp"
#include "../trace/trace.hpp"

namespace po = boost::program_options;

namespace peebot {

namespace {

constexpr const char* kVersion = "0.1.0";

struct Command {
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

// Bad input (an unreadable or malformed file given by the user): exit 2.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Usage errors carry the subcommand so the message can point at its --help.
struct UsageError : std::runtime_error {
  UsageError(const std::string& cmd, const std::string& msg) : std::runtime_error(msg), command(cmd) {}
  std::string command;
};

po::variables_map parse_args(const std::string& cmd, const std::vector<std::string>& args,
                             const po::options_description& opts, const po::positional_options_description& pos) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(cmd, e.what());
  }
  return vm;
}

std::string default_trace_path(const std::string& scenario_path) {
  std::string base = scenario_path.substr(scenario_path.find_last_of('/') + 1);
  const auto dot = base.rfind(".toml");
  if (dot != std::string::npos) base.erase(dot);
  return base + ".h5";
}

ReportParams report_params_of(const TraceMeta& meta, const std::string& trace_path) {
  if (meta.scenario_toml.empty()) return ReportParams{};
  try {
    return parse_scenario(meta.scenario_toml, trace_path + ":/scenario_toml", meta.overrides).report;
  } catch (const ScenarioError& e) {
    std::cerr << "peebot: warning: the scenario stored in the trace does not load (" << e.what()
              << "); using default report settings\n";
    return ReportParams{};
  }
}

void print_report(const Trace& t, const ReportParams& rp, bool json) {
  const Report r = compute_report(t, rp);
  std::cout << (json ? format_report_json(r, t.meta) : format_report_text(r, t.meta));
  std::cout.flush();
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
      ("quiet,q", "print nothing but errors (no progress bar, no report)");
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
  ro.progress = !quiet && isatty(STDERR_FILENO);
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

int cmd_report(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot report TRACE.h5 [--json]\n\n"
      "Prints a trace's report: voids and detections, precision/recall/F1 against\n"
      "the ground truth (when the trace has it), detection and per-stage latency,\n"
      "posts, and whether each seed target was met.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("trace", po::value<std::string>(), "trace file (HDF5)")
      ("json", "print the report as JSON");
  po::positional_options_description pos;
  pos.add("trace", 1);
  const auto vm = parse_args("report", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("trace")) throw UsageError("report", "missing TRACE.h5");
  const std::string path = vm["trace"].as<std::string>();
  Trace t;
  try {
    t = read_trace(path);
  } catch (const TraceError& e) {
    throw InputError(e.what());
  }
  print_report(t, report_params_of(t.meta, path), vm.count("json") > 0);
  return 0;
}

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> c = {
      {"run", {"run a scenario in virtual time, write its trace, print the report", cmd_run}},
      {"report", {"print the report of a trace (text or --json)", cmd_report}},
  };
  return c;
}

void print_main_help() {
  std::cout << "Usage: peebot COMMAND [options]\n\n"
               "PeeBot Testbed: simulate, record and evaluate the ISS Pee-Bot pipeline.\n\nCommands:\n";
  for (const auto& [name, c] : commands()) std::printf("  %-10s %s\n", name.c_str(), c.summary);
  std::cout << "\nOptions:\n  -h, --help     show this help\n  --version      print the version\n\n"
               "Run 'peebot COMMAND --help' for a command's options.\n"
               "Exit status: 0 success, 2 bad usage or bad input, 1 runtime failure.\n";
}

}  // namespace

int main_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_main_help();
    return 2;
  }
  const std::string cmd = args.front();
  if (cmd == "-h" || cmd == "--help" || cmd == "help") { print_main_help(); return 0; }
  if (cmd == "--version") { std::cout << "peebot " << kVersion << "\n"; return 0; }
  const auto it = commands().find(cmd);
  if (it == commands().end()) {
    std::cerr << "peebot: unknown command '" << cmd << "' (run 'peebot --help' for the list)\n";
    return 2;
  }
  args.erase(args.begin());
  try {
    return it->second.run(args);
  } catch (const UsageError& e) {
    std::cerr << "peebot " << e.command << ": " << e.what() << " (run 'peebot " << e.command << " --help')\n";
    return 2;
  } catch (const ScenarioError& e) {
    std::cerr << "peebot: " << e.what() << "\n";
    return 2;
  } catch (const InputError& e) {
    std::cerr << "peebot: " << e.what() << "\n";
    return 2;
  } catch (const TraceError& e) {
    std::cerr << "peebot: trace: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "peebot: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace peebot

int main(int argc, char** argv) { return peebot::main_cli(argc, argv); }
