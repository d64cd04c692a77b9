// peebot report TRACE.h5 [--json]
// peebot report TRACE.h5 TRACE.h5 ...|RUN_DIR [--json]: replications pooled with intervals.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "child_pool.hpp"
#include "cli.hpp"
#include "report_common.hpp"

namespace peebot::cli {

Scenario scenario_of(const TraceMeta& meta, const std::string& trace_path) {
  std::string warning;
  Scenario s = recorded_scenario(meta.scenario_toml, meta.overrides, trace_path + ":/scenario_toml", &warning);
  if (!warning.empty())
    std::cerr << "peebot: warning: the scenario stored in the trace does not load (" << warning
              << "); using the default settings\n";
  return s;
}

ReportParams report_params_of(const TraceMeta& meta, const std::string& trace_path) {
  return scenario_of(meta, trace_path).report;
}

Trace read_trace_or_input_error(const std::string& path, const TraceSelection& which) {
  try {
    return read_trace(path, which);
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

// The overrides that make a run what it is, without its seed.
std::vector<std::string> overrides_but_seed(const TraceMeta& m) {
  std::vector<std::string> out;
  for (const auto& o : m.overrides)
    if (o.rfind("scenario.seed=", 0) != 0) out.push_back(o);
  return out;
}

}  // namespace

TraceRun read_trace_run(const std::string& path) {
  const Trace t = read_trace_or_input_error(path);
  TraceRun r;
  r.path = path;
  r.meta = t.meta;
  r.figures = run_figures(compute_report(t, report_params_of(t.meta, path)));
  return r;
}

PooledReport pool_trace_runs(std::vector<TraceRun> runs) {
  if (runs.empty()) throw InputError("no trace to pool");
  const TraceMeta& first = runs[0].meta;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const TraceMeta& m = runs[i].meta;
    if (m.scenario_name != first.scenario_name || m.scenario_toml != first.scenario_toml ||
        overrides_but_seed(m) != overrides_but_seed(first) || m.duration_s != first.duration_s)
      throw InputError(runs[i].path + ": not a replication of " + runs[0].path + " (scenario \"" + m.scenario_name +
                       "\" vs \"" + first.scenario_name +
                       "\", or its text, overrides or duration differ): only runs of one scenario with different seeds pool");
    for (std::size_t k = 0; k < i; ++k)
      if (runs[k].meta.seed == m.seed)
        throw InputError(runs[i].path + ": seed " + std::to_string(m.seed) + " is also the seed of " + runs[k].path +
                         "; a replication is one seed");
  }
  // In seed order, so that the bootstrap (which draws runs by position) does not depend on the order given.
  std::stable_sort(runs.begin(), runs.end(), [](const TraceRun& a, const TraceRun& b) { return a.meta.seed < b.meta.seed; });
  std::vector<std::vector<RunFigure>> figs;
  std::vector<long> seeds;
  for (TraceRun& r : runs) {
    figs.push_back(std::move(r.figures));
    seeds.push_back(static_cast<long>(r.meta.seed));
  }
  PooledReport pooled = pool_runs(figs);
  pooled.scenario = runs[0].meta.scenario_name;
  pooled.seeds = seeds;
  return pooled;
}

PooledReport pool_traces(const std::vector<std::string>& paths) {
  std::vector<TraceRun> runs;
  for (const auto& p : paths) runs.push_back(read_trace_run(p));
  return pool_trace_runs(std::move(runs));
}

namespace {

int cmd_report(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot report TRACE.h5 [--json]\n"
      "       peebot report TRACE.h5 TRACE.h5 ...|RUN_DIR [--json]\n\n"
      "Prints a trace's report: voids and detections, precision/recall/F1 against\n"
      "the ground truth (when the trace has it), detection and per-stage latency,\n"
      "posts, and whether each seed target was met.\n"
      "Given several traces (or a directory of them, e.g. written by\n"
      "`peebot run --seeds`): runs of one scenario with different seeds, pooled;\n"
      "every figure with a target or a verdict gets its value, 95 % interval and n\n"
      "across the runs, and the verdict met / not met / undecided (the interval\n"
      "straddles the target); docs/statistics.md.\n\nOptions");
  std::vector<std::string> inputs;
  opts.add_options()
      ("help,h", "show this help")
      ("trace", po::value<std::vector<std::string>>(&inputs), "trace files (HDF5) or directories of them")
      ("json", "print the report as JSON");
  po::positional_options_description pos;
  pos.add("trace", -1);
  const auto vm = parse_args("report", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (inputs.empty()) throw UsageError("report", "missing TRACE.h5");
  const bool json = vm.count("json") > 0;
  std::error_code ec;
  if (inputs.size() == 1 && !std::filesystem::is_directory(inputs[0], ec)) {
    const Trace t = read_trace_or_input_error(inputs[0]);
    print_report(t, report_params_of(t.meta, inputs[0]), json);
    return 0;
  }
  const PooledReport p = pool_traces(expand_inputs(inputs, ".h5", "trace"));
  std::cout << (json ? format_pooled_json(p) : format_pooled_text(p));
  return 0;
}

}  // namespace

PEEBOT_COMMAND("report", "print the report of a trace (text or --json)", cmd_report);

}  // namespace peebot::cli
