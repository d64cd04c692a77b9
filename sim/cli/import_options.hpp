// The recording-import options `peebot import` defines and `peebot serve` /
// `peebot replay` reuse so they can take a raw recording (the formats the
// importer reads) as well as a trace. Defined in cmd_import.cpp.
#pragma once
#include <string>

#include "../importer/importer.hpp"
#include "../trace/trace.hpp"
#include "cli.hpp"

namespace peebot::cli {

// --format, --item, --tz, --year, --gap, --skip-bad.
void add_import_options(po::options_description& opts);
// Reads them; bad values are UsageError(command).
ImportOptions import_options_from(const po::variables_map& vm, const std::string& command);

// True when the file starts with the HDF5 signature (a trace), false otherwise
// (a recording). Throws InputError when it cannot be read.
bool is_hdf5_file(const std::string& path);
// The metadata and telemetry of a trace file (what serve and replay play; its
// other tables are not read), or of a recording imported in memory (same rows
// `peebot import` would write). Bad input is InputError naming the file (and line).
Trace read_trace_or_recording(const std::string& path, const po::variables_map& vm, const std::string& command);

}  // namespace peebot::cli
