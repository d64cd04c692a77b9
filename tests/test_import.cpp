// Importing recordings (sim/importer): the three real recordings (skipped when
// ../shared/data/real is absent), every kind of bad line, --skip-bad, the
// Europe/Paris clock, merging files, gaps, and the imported trace through the
// peebot binary (import, report, compare).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "models/iss_time.hpp"
#include "sim/analysis/feed_stats.hpp"
#include "sim/importer/importer.hpp"
#include "sim/report/json.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/trace/trace.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

// The real recordings, or empty (with a warning naming where they were looked for).
std::string real_data() { return shared_data_or_skip(); }

double unix_of(const char* iso) { return parse_utc(iso); }

ImportResult import1(const std::string& name, const std::string& text, ImportOptions o = {}) {
  return import_texts({{name, text}}, o);
}

// The message of the ImportError a parse throws ("" when none).
std::string error_of(const std::string& name, const std::string& text, ImportOptions o = {}) {
  try {
    import1(name, text, o);
  } catch (const ImportError& e) {
    return e.what();
  }
  return "";
}

double abs_time(const ImportResult& r, ItemId item, std::size_t i) {
  return r.meta.epoch_unix_s + r.telemetry[item].at(i).t_s;
}

}  // namespace

TEST_CASE("the ISSP recording imports: NODE3000005 + continued + NODE3000004, and the 07:15 bulk transfer",
          "[import]") {
  const std::string dir = real_data();
  if (dir.empty()) return;
  const std::string d = dir + "/issp-2023-09/";
  const ImportResult r =
      import_files({d + "NODE3000005.txt", d + "NODE3000005-continued.txt", d + "NODE3000004.txt"}, {});
  REQUIRE(r.summary.lines_read == 500 + 57 + 3);
  REQUIRE(r.summary.kept_per_item[kUrineTank] == 557);
  REQUIRE(r.summary.kept_per_item[kUpaState] == 3);
  REQUIRE(r.summary.folded == 0);
  REQUIRE(r.summary.out_of_order == 0);
  // Tank and UPA state only (change-only items): its silences (47 min at most) are not gaps.
  REQUIRE(r.summary.gaps == 0);
  REQUIRE(r.meta.mode == "import");
  REQUIRE_FALSE(r.meta.has_truth);
  REQUIRE(r.meta.epoch_utc == "2023-09-18T00:00:00Z");
  REQUIRE(abs_time(r, kUrineTank, 0) == unix_of("2023-09-18T22:42:18Z"));
  REQUIRE(r.telemetry[kUrineTank].front().value == 27);
  REQUIRE(abs_time(r, kUrineTank, 556) == unix_of("2023-09-19T12:06:48Z"));
  REQUIRE(r.telemetry[kUrineTank].back().seq == 57);  // last line of the continued file
  REQUIRE(std::isnan(r.telemetry[kUrineTank].front().t_emit_s));
  REQUIRE(r.telemetry[kUpaState][1].value == 32);
  REQUIRE(abs_time(r, kUpaState, 1) == unix_of("2023-09-19T02:09:38Z"));
  // 12 -> 71 % from 07:15:20 UTC at ~1 % / 3 s: one bulk transfer (its first
  // +1 % comes after 47 min of a flat tank, which is not a gap).
  const FeedStats st = compute_feed_stats(r.telemetry[kUrineTank], r.telemetry[kUpaState],
                                          los_windows_of(r.telemetry[kSignal]), r.meta.epoch_unix_s);
  REQUIRE(st.bulk_transfers == 1);
  bool found = false;
  for (const auto& e : st.rise_events) {
    if (!e.bulk) continue;
    found = true;
    REQUIRE(r.meta.epoch_unix_s + e.onset_s == unix_of("2023-09-19T07:15:20Z"));
    REQUIRE(e.start_pct == 12);
    REQUIRE(e.peak_pct == 71);
  }
  REQUIRE(found);
}

TEST_CASE("the ISS-Mimic 2018 recording imports with its TimeStamps and one out-of-order line", "[import]") {
  const std::string dir = real_data();
  if (dir.empty()) return;
  const std::string d = dir + "/iss-mimic-2018/";
  const ImportResult r = import_files(
      {d + "NODE3000004.txt", d + "NODE3000005.txt", d + "NODE3000008.txt", d + "NODE3000009.txt"}, {});
  REQUIRE(r.summary.lines_read == 3 + 772 + 6647 + 4615);
  REQUIRE(r.summary.kept_per_item[kUrineTank] == 756);
  REQUIRE(r.summary.kept_per_item[kUpaState] == 3);
  REQUIRE(r.summary.kept_per_item[kWasteWater] == 6645);
  REQUIRE(r.summary.kept_per_item[kCleanWater] == 4613);
  REQUIRE(r.summary.out_of_order == 1);
  REQUIRE(r.summary.first_out_of_order == d + "NODE3000005.txt:730");
  REQUIRE(r.summary.gaps == 4);
  REQUIRE(r.meta.epoch_utc == "2018-10-12T00:00:00Z");
  const TelemetryRow& first = r.telemetry[kUrineTank].front();
  REQUIRE(first.iss_time_h == 6846.85802749998);
  REQUIRE(first.value == 12);
  REQUIRE(first.t_emit_s == first.t_s);
  REQUIRE(r.meta.epoch_unix_s + first.t_s == Approx(unix_of("2018-10-12T06:51:28Z") + 0.899).margin(1e-3));
  // The UPA's 0 then 32 at the end of the capture.
  REQUIRE(r.telemetry[kUpaState][1].value == 0);
  REQUIRE(r.telemetry[kUpaState][2].value == 32);
  // Another year moves every time by whole years' worth of days.
  ImportOptions o;
  o.year = 2019;
  const ImportResult r19 = import_files({d + "NODE3000005.txt"}, o);
  REQUIRE(r19.meta.epoch_utc == "2019-10-12T00:00:00Z");
}

TEST_CASE("the pisslog recording imports from the logger's CET clock, folding its repeated rows", "[import]") {
  const std::string dir = real_data();
  if (dir.empty()) return;
  const ImportResult r = import_files({dir + "/pisslog-2025/pisslog.csv"}, {});
  REQUIRE(r.summary.lines_read == 112082);
  REQUIRE(r.summary.kept == 70839);
  REQUIRE(r.summary.folded == 41243);
  REQUIRE(r.summary.out_of_order == 0);
  // Tank only: change-only, so only its silences of 12 h or more are gaps: the
  // 6 logger outages (15.3 h .. 5.6 days), not its 1,340 quiet stretches of
  // 10 min .. 5.7 h (a flat tank: crew asleep, UPA in standby).
  REQUIRE(r.summary.gap_rule == GapRule::kChangeOnly);
  REQUIRE(r.summary.gaps == 6);
  REQUIRE(r.telemetry[kSignal].size() == 2 * 6);
  REQUIRE(r.meta.epoch_utc == "2024-12-26T00:00:00Z");
  // 2024-12-26 02:26:41 CET is 01:26:41 UTC; 2025-03-21 12:09:49 CET is 11:09:49 UTC.
  REQUIRE(abs_time(r, kUrineTank, 0) == unix_of("2024-12-26T01:26:41Z"));
  REQUIRE(abs_time(r, kUrineTank, r.telemetry[kUrineTank].size() - 1) == unix_of("2025-03-21T11:09:49Z"));
  REQUIRE(r.meta.duration_s == unix_of("2025-03-21T11:09:49Z") - unix_of("2024-12-26T00:00:00Z"));
  // Line 101059 "2025-03-09 00:06:20, 41".
  bool found = false;
  for (const auto& row : r.telemetry[kUrineTank])
    if (row.seq == 101059) {
      found = true;
      REQUIRE(row.value == 41);
      REQUIRE(r.meta.epoch_unix_s + row.t_s == unix_of("2025-03-08T23:06:20Z"));
    }
  REQUIRE(found);
}

TEST_CASE("the format is detected from the first line", "[import]") {
  REQUIRE(detect_format("6846.85802749998 12 ") == ImportFormat::kMimic);
  REQUIRE(detect_format("2023-09-18-22:42:18 27") == ImportFormat::kIssp);
  REQUIRE(detect_format("2024-12-26 02:26:41, 12") == ImportFormat::kPisslog);
  REQUIRE(detect_format("time,item,value") == ImportFormat::kCsv);
  REQUIRE(detect_format("2025-01-06T00:00:00Z,NODE3000005,12") == ImportFormat::kCsv);
  REQUIRE(detect_format("hello world") == ImportFormat::kAuto);
  const std::string e = error_of("x.txt", "\nhello world\n");
  REQUIRE_THAT(e, Catch::StartsWith("x.txt:2: cannot tell the format"));
}

TEST_CASE("every kind of bad line stops the import naming file:line and what was expected", "[import]") {
  struct Case {
    const char* name;
    const char* good;
    const char* bad;
    const char* expected;
  };
  const Case cases[] = {
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-09-18-22:42:19", "YYYY-MM-DD-HH:MM:SS <integer>"},
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-13-18-22:42:19 27", "YYYY-MM-DD-HH:MM:SS <integer>"},
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-02-30-22:42:19 27", "YYYY-MM-DD-HH:MM:SS <integer>"},
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-09-18-24:00:00 27", "YYYY-MM-DD-HH:MM:SS <integer>"},
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-09-18-22:42:19 abc", "YYYY-MM-DD-HH:MM:SS <integer>"},
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-09-18-22:42:19 27.5", "YYYY-MM-DD-HH:MM:SS <integer>"},
      {"NODE3000005.txt", "2023-09-18-22:42:18 27", "2023-09-18-22:42:19 150", "a level in [0, 100] % for NODE3000005"},
      {"NODE3000005.txt", "6846.85802749998 12", "6846.9", "<hours-of-year> <value>"},
      {"NODE3000005.txt", "6846.85802749998 12", "abc 12", "<hours-of-year> <value>"},
      {"NODE3000005.txt", "6846.85802749998 12", "6846.9 12 13", "<hours-of-year> <value>"},
      {"NODE3000005.txt", "6846.85802749998 12", "6846.9 nan", "<hours-of-year> <value>"},
      {"NODE3000005.txt", "6846.85802749998 12", "99999 12", "hours of the year"},
      {"pisslog.csv", "2024-12-26 02:26:41, 12", "2024-12-26 02:26:42 12", "YYYY-MM-DD HH:MM:SS, <integer>"},
      {"pisslog.csv", "2024-12-26 02:26:41, 12", "2024-12-26 02:61:42, 12", "YYYY-MM-DD HH:MM:SS, <integer>"},
      {"pisslog.csv", "2024-12-26 02:26:41, 12", "2024-12-26 02:26:42,", "YYYY-MM-DD HH:MM:SS, <integer>"},
      {"pisslog.csv", "2025-03-30 01:59:00, 12", "2025-03-30 02:30:00, 13", "an existing Europe/Paris time"},
      {"log.csv", "time,item,value", "2025-01-06T00:00:00,NODE3000005,12", "a UTC time ending in Z"},
      {"log.csv", "time,item,value", "2025-01-06T00:00:00Z,NODE3000099,12", "an item NODE3000004/05/08/09"},
      {"log.csv", "time,item,value", "2025-01-06T00:00:00Z,NODE3000005", "<ISO 8601 UTC time>,<item>,<value>"},
      {"log.csv", "time,item,value", "2025-01-06T00:00:00Z,NODE3000005,1,2", "<ISO 8601 UTC time>,<item>,<value>"},
      {"log.csv", "time,item,value", "2025-01-06T00:00:00Z,NODE3000005,x", "<ISO 8601 UTC time>,<item>,<value>"},
  };
  for (const Case& c : cases) {
    const std::string text = std::string(c.good) + "\n\n" + c.bad + "\n" + c.good + "\n";
    const std::string e = error_of(c.name, text);
    INFO("bad line: " << c.bad);
    REQUIRE_THAT(e, Catch::StartsWith(std::string(c.name) + ":3: expected"));
    REQUIRE_THAT(e, Catch::Contains(c.expected));
    REQUIRE_THAT(e, Catch::Contains(std::string("\"") + c.bad + "\""));
  }
}

TEST_CASE("with --skip-bad malformed lines are skipped and counted, and the first is reported", "[import]") {
  const std::string text =
      "2023-09-18-22:42:18 27\nnonsense\n2023-09-18-22:43:03 26\n2023-09-18-22:45:18 x\n2023-09-18-22:45:19 25\n";
  REQUIRE_THAT(error_of("NODE3000005.txt", text), Catch::StartsWith("NODE3000005.txt:2: expected"));
  ImportOptions o;
  o.skip_bad = true;
  const ImportResult r = import1("NODE3000005.txt", text, o);
  REQUIRE(r.summary.skipped_bad == 2);
  REQUIRE_THAT(r.summary.first_bad, Catch::StartsWith("NODE3000005.txt:2: expected"));
  REQUIRE(r.summary.kept == 3);
  REQUIRE(r.telemetry[kUrineTank][2].seq == 5);
}

TEST_CASE("Europe/Paris: winter is UTC+1, summer UTC+2, and the switch nights are handled", "[import]") {
  // The EU rule at its edges (2025: last Sundays are March 30 and October 26).
  REQUIRE(paris_utc_offset_s(unix_of("2025-03-30T00:59:59Z")) == 3600);
  REQUIRE(paris_utc_offset_s(unix_of("2025-03-30T01:00:00Z")) == 7200);
  REQUIRE(paris_utc_offset_s(unix_of("2025-10-26T00:59:59Z")) == 7200);
  REQUIRE(paris_utc_offset_s(unix_of("2025-10-26T01:00:00Z")) == 3600);
  REQUIRE(paris_utc_offset_s(unix_of("2024-03-31T01:00:00Z")) == 7200);  // 2024: March 31
  REQUIRE(paris_utc_offset_s(unix_of("2024-03-30T12:00:00Z")) == 3600);

  const auto times = [](const std::string& text, TimeZone tz = TimeZone::kDefault) {
    ImportOptions o;
    o.tz = tz;
    o.item = "NODE3000005";
    const ImportResult r = import1("pisslog.csv", text, o);
    std::vector<std::string> out;
    for (const auto& row : r.telemetry[kUrineTank]) out.push_back(format_utc(r.meta.epoch_unix_s + row.t_s));
    return out;
  };
  // Winter and summer.
  REQUIRE(times("2025-01-15 12:00:00, 30\n") == std::vector<std::string>{"2025-01-15T11:00:00Z"});
  REQUIRE(times("2025-07-15 12:00:00, 30\n") == std::vector<std::string>{"2025-07-15T10:00:00Z"});
  REQUIRE(times("2025-07-15 12:00:00, 30\n", TimeZone::kUtc) == std::vector<std::string>{"2025-07-15T12:00:00Z"});
  // Spring forward: 01:59:59 CET then 03:00:00 CEST are one second apart.
  REQUIRE(times("2025-03-30 01:59:59, 30\n2025-03-30 03:00:00, 31\n") ==
          std::vector<std::string>{"2025-03-30T00:59:59Z", "2025-03-30T01:00:00Z"});
  // Fall back: 02:30 happens twice; a log going 02:30 -> 02:10 is on the second pass.
  REQUIRE(times("2025-10-26 01:30:00, 30\n2025-10-26 02:30:00, 31\n2025-10-26 02:10:00, 32\n"
                "2025-10-26 03:00:00, 33\n") ==
          std::vector<std::string>{"2025-10-25T23:30:00Z", "2025-10-26T00:30:00Z", "2025-10-26T01:10:00Z",
                                   "2025-10-26T02:00:00Z"});
  // ISSP is UTC unless told otherwise.
  ImportOptions o;
  REQUIRE(format_utc(import1("NODE3000005.txt", "2025-01-15-12:00:00 30\n", o).summary.first_unix_s) ==
          "2025-01-15T12:00:00Z");
  o.tz = TimeZone::kEuropeParis;
  REQUIRE(format_utc(import1("NODE3000005.txt", "2025-01-15-12:00:00 30\n", o).summary.first_unix_s) ==
          "2025-01-15T11:00:00Z");
}

TEST_CASE("files merge per item in time order, and repeats fold, and out-of-order lines are reported and sorted",
          "[import]") {
  const std::string a = "2025-01-06-10:00:00 20\n2025-01-06-10:00:10 21\n2025-01-06-10:00:05 22\n";  // line 3 goes back
  const std::string b = "2025-01-06-10:00:20 21\n2025-01-06-10:00:30 21\n2025-01-06-10:00:40 22\n";
  const std::string u = "2025-01-06-09:00:00 16\n2025-01-06-10:30:00 32\n";
  const ImportResult r =
      import_texts({{"NODE3000005.txt", a}, {"NODE3000005-continued.txt", b}, {"NODE3000004.txt", u}}, {});
  REQUIRE(r.summary.out_of_order == 1);
  REQUIRE(r.summary.first_out_of_order == "NODE3000005.txt:3");
  // Sorted: 20 (10:00:00), 22 (:05), 21 (:10), 21 (:20, folded), 21 (:30, folded), 22 (:40).
  const auto& tank = r.telemetry[kUrineTank];
  std::vector<double> values;
  for (const auto& row : tank) values.push_back(row.value);
  REQUIRE(values == std::vector<double>{20, 22, 21, 22});
  REQUIRE(r.summary.folded == 2);
  REQUIRE(tank[1].seq == 3);
  REQUIRE(r.telemetry[kUpaState].size() == 2);
  REQUIRE(r.meta.epoch_utc == "2025-01-06T00:00:00Z");
  REQUIRE(tank[0].t_s == 10 * 3600);
  REQUIRE(tank[0].iss_time_h == Approx(iss_timestamp_hours(unix_of("2025-01-06T10:00:00Z"))));
  // Tank and UPA state alone are change-only: by default an hour's silence is not a gap.
  REQUIRE(r.summary.gaps == 0);
  REQUIRE(r.summary.gap_rule == GapRule::kChangeOnly);
  REQUIRE(r.telemetry[kSignal].empty());
}

TEST_CASE("an explicit --gap turns every longer silence into a gap, written as TIME_000001 LOS then AOS",
          "[import]") {
  const std::string a = "2025-01-06-10:00:00 20\n2025-01-06-10:00:10 21\n2025-01-06-10:00:40 22\n";
  const std::string u = "2025-01-06-09:00:00 16\n2025-01-06-10:30:00 32\n";
  ImportOptions o;
  o.gap_s = 600;
  const ImportResult r = import_texts({{"NODE3000005.txt", a}, {"NODE3000004.txt", u}}, o);
  REQUIRE(r.summary.gap_rule == GapRule::kExplicit);
  REQUIRE(r.summary.gap_used_s == 600);
  REQUIRE(r.summary.gaps == 2);  // 09:00 -> 10:00:00 and 10:00:40 -> 10:30
  const auto& sig = r.telemetry[kSignal];
  REQUIRE(sig.size() == 4);
  REQUIRE(sig[0].t_s == 9 * 3600);
  REQUIRE(sig[0].status == 0);
  REQUIRE(sig[1].t_s == 10 * 3600);
  REQUIRE(sig[1].status == 24);
  REQUIRE(sig[0].value == Approx(iss_timestamp_hours(unix_of("2025-01-06T09:00:00Z"))));
  const auto los = los_windows_of(sig);
  REQUIRE(los.size() == 2);
  REQUIRE(los[1].end_s - los[1].start_s == 1760);
}

TEST_CASE("a change-only CSV's quiet hours are not gaps, a day-long silence is, and a periodic item's silence is",
          "[import]") {
  // A change-only logger of the tank: uses and drain steps, quiet for 1 h, 3 h
  // and 5.5 h (a night), then the logger is down for 20 h.
  std::string csv = "time,item,value\n";
  double t = parse_utc("2025-01-06T00:00:00Z");
  int v = 20;
  const double quiet[] = {3600, 3 * 3600, 5.5 * 3600, 20 * 3600, 1800};
  for (double q : quiet) {
    for (int i = 0; i < 5; ++i) csv += format_utc(t += 6) + ",NODE3000005," + std::to_string(++v) + "\n";
    t += q;
  }
  csv += format_utc(t) + ",NODE3000005," + std::to_string(--v) + "\n";
  const ImportResult r = import1("log.csv", csv);
  REQUIRE(r.summary.gap_rule == GapRule::kChangeOnly);
  REQUIRE(r.summary.gaps == 1);
  REQUIRE(r.summary.gap_total_s == 20 * 3600 + 6);
  const auto los = los_windows_of(r.telemetry[kSignal]);
  REQUIRE(los.size() == 1);
  REQUIRE(los[0].end_s - los[0].start_s == 20 * 3600 + 6);
  // The same with the waste-water tank logged every 10 s, and silent (with the
  // tank) for 30 min once: a periodic item makes that silence a loss of signal.
  std::string both = "time,item,value\n";
  const double t0 = parse_utc("2025-01-06T00:00:00Z");
  for (int k = 0; k < 360; ++k) {
    if (k >= 100 && k < 280) continue;  // 30 min without anything
    both += format_utc(t0 + 10.0 * k) + ",NODE3000008," + std::to_string(50 + (k % 7) * 0.01) + "\n";
    if (k % 60 == 0) both += format_utc(t0 + 10.0 * k + 1) + ",NODE3000005," + std::to_string(20 + k / 60) + "\n";
  }
  const ImportResult p = import1("log.csv", both);
  REQUIRE(p.summary.gap_rule == GapRule::kPeriodic);
  REQUIRE(p.summary.gaps == 1);
  REQUIRE(p.summary.gap_total_s == 1810);
  // (The tank's own 40-min silence around it is not what made the gap: the water's is.)
  REQUIRE(p.summary.kept_per_item[kUrineTank] == 3);
}

TEST_CASE("a CSV names its items per line and may start with a header", "[import]") {
  const ImportResult r = import1("anything.csv",
                                 "time,item,value\n2025-01-06T01:00:00Z,NODE3000005,40\n"
                                 "2025-01-06T01:00:01.5Z,NODE3000008,55.25\n2025-01-06T01:00:03+00:00,NODE3000005,41\n");
  REQUIRE(r.summary.lines_read == 3);
  REQUIRE(r.telemetry[kUrineTank].size() == 2);
  REQUIRE(r.telemetry[kWasteWater].size() == 1);
  REQUIRE(r.telemetry[kWasteWater][0].value == 55.25);
  REQUIRE(r.telemetry[kWasteWater][0].t_s == 3601.5);
}

TEST_CASE("an item must be named by the file or by --item", "[import]") {
  ImportOptions o;
  o.item = "NODE9";
  REQUIRE_THAT(error_of("log.txt", "2023-09-18-22:42:18 27\n", o), Catch::Contains("names no item"));
  o.item = "NODE3000009";
  REQUIRE(import1("log.txt", "2023-09-18-22:42:18 27\n", o).telemetry[kCleanWater].size() == 1);
  // The file name wins over --item.
  REQUIRE(import1("NODE3000008.txt", "2023-09-18-22:42:18 27\n", o).telemetry[kWasteWater].size() == 1);
}

TEST_CASE("peebot import writes a trace that report and compare accept, and bad input exits 2 and writes nothing",
          "[import][cli]") {
  REQUIRE_THAT(run_peebot("import --help").out, Catch::Contains("--skip-bad") && Catch::Contains("--tz"));
  REQUIRE_THAT(run_peebot("compare --help").out, Catch::Contains("Kolmogorov"));
  const std::string good = write_file("NODE3000005.txt",
                                      "2023-09-18-22:42:18 27\n2023-09-18-22:43:03 28\n2023-09-18-22:43:06 29\n"
                                      "2023-09-18-22:43:09 30\n2023-09-18-23:43:09 29\n");
  const std::string bad = write_file("NODE3000004.txt", "2023-09-18-22:42:18 16\n2023-09-18 22:43:03 32\n");
  const std::string out = tmp_path("imp.h5");
  const auto rb = run_peebot("import " + good + " " + bad + " -o " + out);
  REQUIRE(rb.code == 2);
  REQUIRE_THAT(rb.out, Catch::Contains(bad + ":2: expected"));
  REQUIRE_FALSE(exists(out));
  REQUIRE_FALSE(exists(out + ".tmp"));
  REQUIRE(run_peebot("import " + good + " -o " + out + " --format nope").code == 2);
  REQUIRE(run_peebot("import " + good + " -o " + out + " --tz Mars/Olympus").code == 2);

  const auto ri = run_peebot("import " + good + " " + bad + " -o " + out + " --skip-bad");
  REQUIRE(ri.code == 0);
  REQUIRE_THAT(ri.out, Catch::Contains("skipped (bad)   1"));
  REQUIRE_THAT(ri.out, Catch::Contains("rows kept       6"));
  const Trace t = read_trace(out);
  REQUIRE(t.meta.mode == "import");
  REQUIRE_FALSE(t.meta.has_truth);
  REQUIRE(t.telemetry[kUrineTank].size() == 5);
  REQUIRE(t.telemetry[kSignal].empty());  // the hour without updates is a quiet tank, not a gap
  REQUIRE_THAT(ri.out, Catch::Contains("gaps > 12h") && Catch::Contains("a quiet tank is not a loss of signal"));
  const auto rg = run_peebot("import " + good + " -o " + out + " --gap 30min");
  REQUIRE(rg.code == 0);
  REQUIRE(read_trace(out).telemetry[kSignal].size() == 2);  // told: the hour without updates is a gap
  REQUIRE(run_peebot("import " + good + " -o " + tmp_path("g0.h5") + " --gap 0s").code == 2);

  const auto rep = run_peebot("report " + out);
  REQUIRE(rep.code == 0);
  REQUIRE_THAT(rep.out, Catch::Contains("no ground truth"));
  const auto cmp = run_peebot("compare " + out + " " + out + " --json");
  REQUIRE(cmp.code == 0);
  const Json same = parse_json(cmp.out, "compare --json");
  REQUIRE(same.at("distributions").at("inter_update").at("unit") == "s");
  for (const auto& [name, d] : same.at("distributions").items()) {
    INFO(name);
    CHECK((d.at("ks_d").is_null() || d.at("ks_d").get<double>() == 0));  // a trace against itself
    CHECK(d.at("a").at("sd") == d.at("b").at("sd"));                       // each side's spread, the same
  }
  // One count of tank updates per covered UTC day: as many as the days rises per day counts.
  const Json& upd = same.at("tank_updates_per_covered_day").at("a");
  CHECK(upd.at("count") == same.at("counts").at("a").at("covered_days"));
  CHECK(upd.at("count") == same.at("distributions").at("rises_per_day").at("a").at("count"));
  // A clearly different feed: +8 % rises every 20 min at 6 s steps, no flicker.
  std::string csv = "time,item,value\n";
  int v = 10;
  for (int k = 0; k < 60; ++k) {
    const double t0 = parse_utc("2023-09-18T22:00:00Z") + 1200.0 * k;
    if (v > 80) { csv += format_utc(t0 - 600) + ",NODE3000005,10\n"; v = 10; }
    for (int i = 1; i <= 8; ++i) csv += format_utc(t0 + 6.0 * i) + ",NODE3000005," + std::to_string(v + i) + "\n";
    v += 8;
  }
  const std::string other = tmp_path("other.h5");
  REQUIRE(run_peebot("import " + write_file("other.csv", csv) + " -o " + other).code == 0);
  const auto far = run_peebot("compare " + out + " " + other + " --json");
  REQUIRE(far.code == 0);
  const Json rise = parse_json(far.out, "compare --json").at("distributions").at("rise_size");
  REQUIRE(rise.at("unit") == "%");
  REQUIRE(rise.at("a").at("count") == 1);
  REQUIRE(rise.at("ks_d") == 1);
  REQUIRE(rise.at("ks_n1") == 1);
  REQUIRE(rise.at("ks_n2") == 60);
  REQUIRE(run_peebot("compare " + out).code == 2);
  REQUIRE(run_peebot("compare " + out + " " + tmp_path("missing.h5")).code == 2);
}

TEST_CASE("an imported real recording is accepted by report and is at KS 0 from itself", "[import][cli]") {
  const std::string dir = real_data();
  if (dir.empty()) return;
  const std::string out = tmp_path("issp.h5");
  const std::string d = dir + "/issp-2023-09/";
  const auto ri = run_peebot("import " + d + "NODE3000005.txt " + d + "NODE3000005-continued.txt " + d +
                             "NODE3000004.txt -o " + out);
  REQUIRE(ri.code == 0);
  REQUIRE_THAT(ri.out, Catch::Contains("rows kept       560"));
  const auto rep = run_peebot("report " + out);
  REQUIRE(rep.code == 0);
  REQUIRE_THAT(rep.out, Catch::Contains("no ground truth"));
  const auto cmp = run_peebot("compare " + out + " " + out);
  REQUIRE(cmp.code == 0);
  REQUIRE_THAT(cmp.out, Catch::Contains("bulk transfers: A 1, B 1"));
}
