// peebot report TRACE.h5 [--json]
#include <iostream>

#include "cli.hpp"
#include "report_common.hpp"

namespace peebot::cli {

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

Trace read_trace_or_input_error(const std::string& path) {
  try {
    return read_trace(path);
  } catch (const TraceError& e) {
    throw InputError(e.what());
  }
}

void print_report(const Trace& t, const ReportParams& rp, bool json) {
  const Report r = compute_report(t, rp);
  std::cout << (json ? format_report_json(r, t.meta) : format_report_text(r, t.meta));
  std::cout.flush();
}

namespace {

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
  const Trace t = read_trace_or_input_error(path);
  print_report(t, report_params_of(t.meta, path), vm.count("json") > 0);
  return 0;
}

}  // namespace

PEEBOT_COMMAND("report", "print the report of a trace (text or --json)", cmd_report);

}  // namespace peebot::cli
