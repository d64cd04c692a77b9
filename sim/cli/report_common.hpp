// Shared by the commands that print a trace's report.
#pragma once
#include <string>
#include <vector>

#include "../report/report.hpp"
#include "../scenario/scenario.hpp"
#include "../trace/trace.hpp"

namespace peebot::cli {

// The scenario stored in a trace (recorded_scenario(); a warning on stderr
// when it no longer loads, then the defaults).
Scenario scenario_of(const TraceMeta& meta, const std::string& trace_path);
// Its report settings.
ReportParams report_params_of(const TraceMeta& meta, const std::string& trace_path);
// Reads a trace (the chosen tables); a missing or malformed file is bad input (InputError).
Trace read_trace_or_input_error(const std::string& path, const TraceSelection& which = {});
void print_report(const Trace& t, const ReportParams& rp, bool json);

// Traces of one scenario run with different seeds (replications), pooled:
// every verdict figure with its 95 % interval, n and verdict (docs/statistics.md).
// InputError when a trace does not read, two traces are of different
// scenarios (name, text or overrides other than the seed) or share a seed.
PooledReport pool_traces(const std::vector<std::string>& trace_paths);
// The same in two steps, for callers that add runs as they go (run --until-ci):
// a trace's verdict figures, and runs pooled.
struct TraceRun {
  std::string path;
  TraceMeta meta;
  std::vector<RunFigure> figures;
};
TraceRun read_trace_run(const std::string& path);
PooledReport pool_trace_runs(std::vector<TraceRun> runs);

}  // namespace peebot::cli
