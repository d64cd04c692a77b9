// Importing recordings of the real feed into a trace (mode "import"). The
// parsers, the merge (sort, MERGE folding, gaps) and the time-zone rule live
// here, free of SimGrid and of the command line; `peebot import` (sim/cli/
// cmd_import.cpp) only reads options and prints the summary. Formats:
// ../shared/docs/iss-feed.md "Recorded data"; what an imported trace holds:
// docs/trace-format.md, "Imported traces".
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../models/items.hpp"
#include "../trace/trace.hpp"

namespace peebot {

enum class ImportFormat { kAuto, kMimic, kIssp, kPisslog, kCsv };
enum class TimeZone { kDefault, kUtc, kEuropeParis };  // kDefault: pisslog -> Europe/Paris, others UTC

// Parses "auto|mimic|issp|pisslog|csv" and "UTC|Europe/Paris"; throw std::invalid_argument.
ImportFormat parse_import_format(const std::string& name);
TimeZone parse_time_zone(const std::string& name);
const char* import_format_name(ImportFormat f);

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;
  std::string item = "NODE3000005";  // used when the file name (or the CSV) names no item
  TimeZone tz = TimeZone::kDefault;
  int year = 2018;                    // ISS-Mimic files hold hours of the year, not the year
  bool skip_bad = false;
  // No update of any item for longer than gap_s is a gap (a loss of signal).
  // 0 (the default): by the items present (gap_rule_for): a recording with an
  // item that updates periodically (TIME_000001, NODE3000008/09) gets
  // kPeriodicGapS; one of change-only items alone (NODE3000005/04: MERGE sends
  // nothing while the level is flat) gets kQuietGapS, so a quiet tank is not
  // read as a loss of signal.
  double gap_s = 0;
};

// How the gap threshold was chosen (ImportSummary::gap_rule).
enum class GapRule { kExplicit, kPeriodic, kChangeOnly };
constexpr double kPeriodicGapS = 600;       // a periodic item silent this long: no signal
constexpr double kQuietGapS = 12 * 3600.0;  // the longest a change-only tank is taken to stay flat
// The rule for a recording whose items are flagged in `present`
// (kExplicit when gap_s > 0), and the threshold it gives in `gap_s_out`.
GapRule gap_rule_for(const bool (&present)[kNamedItems], double gap_s, double& gap_s_out);
const char* gap_rule_text(GapRule r);

// A malformed line (or unreadable file): "FILE:LINE: expected ..., got "..."".
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImportSummary {
  std::size_t files = 0;
  std::size_t lines_read = 0;      // non-blank lines
  std::size_t skipped_bad = 0;     // malformed lines skipped (--skip-bad)
  std::string first_bad;           // the first skipped line's error
  std::size_t out_of_order = 0;    // lines earlier than the previous line of the same item in the same file
  std::string first_out_of_order;  // "FILE:LINE"
  std::size_t folded = 0;          // rows dropped because they repeat the item's previous value (MERGE)
  std::size_t kept = 0;            // telemetry rows written (gap rows excluded)
  std::size_t kept_per_item[kNamedItems] = {};
  std::size_t gaps = 0;            // gaps longer than gap_used_s
  GapRule gap_rule = GapRule::kExplicit;
  double gap_used_s = 0.0;         // the threshold applied (ImportOptions::gap_s, or the rule's)
  double gap_total_s = 0.0;
  double first_unix_s = 0.0, last_unix_s = 0.0;  // first and last sample
};

// The imported trace in memory (write it with write_import).
struct ImportResult {
  TraceMeta meta;
  std::vector<TelemetryRow> telemetry[kNamedItems];
  ImportSummary summary;
};

// Reads, parses and merges the files. Throws ImportError for a malformed line
// (unless skip_bad), an unreadable file, an undetectable format or an item
// that neither the file name nor --item names; std::invalid_argument never.
ImportResult import_files(const std::vector<std::string>& paths, const ImportOptions& options);

// Same, on texts already in memory (names are used for messages and items).
struct NamedText {
  std::string name;
  std::string text;
};
ImportResult import_texts(const std::vector<NamedText>& files, const ImportOptions& options);

// Writes the result as a trace (temporary file renamed when complete).
void write_import(const ImportResult& result, const std::string& path);

// The format a file's first non-blank line is in; kAuto when none fits.
ImportFormat detect_format(const std::string& first_line);

// Europe/Paris (CET/CEST, the EU rule since 1996: summer time from 01:00 UTC
// on the last Sunday of March to 01:00 UTC on the last Sunday of October).
// UTC offset in seconds (3600 or 7200) at a Unix time.
int paris_utc_offset_s(double unix_s);
// Local wall-clock seconds (days_from_civil * 86400 + time of day) to Unix
// time. Returns the number of candidates (0: the skipped spring-forward hour;
// 2: the repeated autumn hour, earlier one in `first`, later in `second`).
int paris_local_to_utc(double local_s, double& first, double& second);

}  // namespace peebot
