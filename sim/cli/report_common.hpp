// Shared by the commands that print a trace's report.
#pragma once
#include <string>

#include "../report/report.hpp"
#include "../scenario/scenario.hpp"
#include "../trace/trace.hpp"

namespace peebot::cli {

// The report settings of the scenario stored in a trace (defaults for traces without one).
ReportParams report_params_of(const TraceMeta& meta, const std::string& trace_path);
// Reads a trace; a missing or malformed file is bad input (InputError).
Trace read_trace_or_input_error(const std::string& path);
void print_report(const Trace& t, const ReportParams& rp, bool json);

}  // namespace peebot::cli
