// peebot import FILE... -o TRACE.h5: recordings of the real feed into a trace.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "../importer/importer.hpp"
#include "../scenario/scenario.hpp"
#include "cli.hpp"
#include "import_options.hpp"
#include "report_common.hpp"

namespace peebot::cli {

void add_import_options(po::options_description& opts) {
  opts.add_options()
      ("format", po::value<std::string>()->default_value("auto"), "auto|mimic|issp|pisslog|csv (auto: from the first line)")
      ("item", po::value<std::string>()->default_value("NODE3000005"), "item of files whose name names none")
      ("tz", po::value<std::string>(), "Europe/Paris|UTC: clock of pisslog (default Europe/Paris) and issp (default UTC) files")
      ("year", po::value<int>()->default_value(2018), "year of ISS-Mimic hours-of-year times (2018: the shipped iss-mimic-2018 recording)")
      ("gap", po::value<std::string>()->default_value("auto"),
       "no update of any item for longer than this is a gap (loss of signal); auto: 10min when the recording "
       "has a periodic item (TIME_000001, NODE3000008/09), else 12h (tank and UPA state alone are change-only: "
       "a quiet tank is not a loss of signal)")
      ("skip-bad", "skip malformed lines (counted and reported) instead of stopping");
}

ImportOptions import_options_from(const po::variables_map& vm, const std::string& command) {
  ImportOptions o;
  try {
    o.format = parse_import_format(vm["format"].as<std::string>());
    if (vm.count("tz")) o.tz = parse_time_zone(vm["tz"].as<std::string>());
    const std::string gap = vm["gap"].as<std::string>();
    if (gap != "auto") {
      o.gap_s = parse_duration(gap);
      if (!(o.gap_s > 0)) throw std::invalid_argument("--gap " + gap + ": expected auto or a positive duration");
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(command, e.what());
  }
  o.item = vm["item"].as<std::string>();
  o.year = vm["year"].as<int>();
  if (o.year < 1970 || o.year > 2200) throw UsageError(command, "--year must be in 1970..2200");
  o.skip_bad = vm.count("skip-bad") > 0;
  return o;
}

bool is_hdf5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
  char sig[8] = {};
  in.read(sig, sizeof sig);
  return in.gcount() == 8 && std::memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0;
}

Trace read_trace_or_recording(const std::string& path, const po::variables_map& vm, const std::string& command) {
  if (is_hdf5_file(path)) {
    return read_trace_or_input_error(path, TraceSelection::telemetry_only());
  }
  const ImportOptions o = import_options_from(vm, command);
  ImportResult r;
  try {
    r = import_files({path}, o);
  } catch (const ImportError& e) {
    throw InputError(e.what());
  }
  Trace t;
  t.meta = std::move(r.meta);
  for (ItemId id = 0; id < kNamedItems; ++id) t.telemetry[id] = std::move(r.telemetry[id]);
  return t;
}

namespace {

int cmd_import(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot import FILE... -o TRACE.h5 [options]\n\n"
      "Imports recordings of the real ISS feed into a trace (mode \"import\", no\n"
      "ground truth) that report, compare and the viewer read. Formats:\n"
      "  mimic    ISS-Mimic \"<hours-of-year> <value>\" (the year: --year)\n"
      "  issp     ISSP \"YYYY-MM-DD-HH:MM:SS <int>\" (UTC)\n"
      "  pisslog  \"YYYY-MM-DD HH:MM:SS, <int>\" (logger's local clock: --tz, default Europe/Paris)\n"
      "  csv      \"time,item,value\" with ISO 8601 UTC times (header line optional)\n"
      "The item comes from the file name (NODE3000004/05/08/09, TIME_000001, e.g.\n"
      "NODE3000005-continued.txt) or from --item. Several files merge into one trace:\n"
      "samples are sorted per item, a value repeating the item's previous value is\n"
      "folded (MERGE), lines going back in time within a file are reported, and no\n"
      "update for longer than --gap is recorded as a gap (TIME_000001 status 0 at its\n"
      "start, 24 at its end). By default (--gap auto) that is 10 min when a periodic\n"
      "item is present (TIME_000001, NODE3000008/09) and 12 h otherwise: the tank and\n"
      "the UPA state are sent only when they change, so a quiet tank is not a loss of\n"
      "signal. A malformed line stops the import (FILE:LINE and what\n"
      "was expected, exit 2) unless --skip-bad. Details: docs/trace-format.md.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("files", po::value<std::vector<std::string>>()->multitoken(), "recording files")
      ("output,o", po::value<std::string>(), "trace to write (HDF5)");
  add_import_options(opts);
  po::positional_options_description pos;
  pos.add("files", -1);
  const auto vm = parse_args("import", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("files")) throw UsageError("import", "missing FILE (a recording to import)");
  if (!vm.count("output")) throw UsageError("import", "missing -o TRACE.h5");

  const ImportOptions o = import_options_from(vm, "import");
  const auto files = vm["files"].as<std::vector<std::string>>();
  const std::string out = vm["output"].as<std::string>();
  check_output_path("import", "-o", out, files);

  const auto t0 = std::chrono::steady_clock::now();
  ImportResult r;
  try {
    r = import_files(files, o);
  } catch (const ImportError& e) {
    throw InputError(e.what());
  }
  write_import(r, out);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const ImportSummary& s = r.summary;
  std::printf("imported %zu file%s into %s (%.2f s)\n", s.files, s.files == 1 ? "" : "s", out.c_str(), wall);
  std::printf("  lines read      %zu\n", s.lines_read);
  std::printf("  rows kept       %zu (", s.kept);
  bool first = true;
  for (ItemId id = 0; id < kNamedItems; ++id) {
    if (!s.kept_per_item[id]) continue;
    std::printf("%s%s %zu", first ? "" : ", ", std::string(named_item(id)).c_str(), s.kept_per_item[id]);
    first = false;
  }
  std::printf(")\n");
  std::printf("  folded          %zu (value repeats the item's previous value)\n", s.folded);
  std::printf("  out of order    %zu%s%s\n", s.out_of_order, s.out_of_order ? ", first at " : "",
              s.first_out_of_order.c_str());
  if (o.skip_bad || s.skipped_bad)
    std::printf("  skipped (bad)   %zu%s%s\n", s.skipped_bad, s.skipped_bad ? ", first: " : "", s.first_bad.c_str());
  std::printf("  gaps > %-8s %zu (%s in all; %s)\n", format_duration(s.gap_used_s).c_str(), s.gaps,
              format_duration(s.gap_total_s).c_str(), gap_rule_text(s.gap_rule));
  std::printf("  span            %s -> %s (%s)\n", format_utc(s.first_unix_s).c_str(), format_utc(s.last_unix_s).c_str(),
              format_duration(s.last_unix_s - s.first_unix_s).c_str());
  std::printf("  epoch           %s\n", r.meta.epoch_utc.c_str());
  return 0;
}

}  // namespace

PEEBOT_COMMAND("import", "import recordings of the real feed (ISS-Mimic, ISSP, pisslog, CSV) into a trace", cmd_import);

}  // namespace peebot::cli
