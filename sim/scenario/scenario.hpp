// A scenario: everything one run needs, loaded from a TOML file (see
// docs/scenarios.md) and validated key by key.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../models/params.hpp"
#include "../../models/env/faults.hpp"
#include "../pipeline/params.hpp"

namespace peebot {

struct TraceParams {
  int background_sample_every = 100;   // trace.background_sample_every: stage times for 1 in N background updates
  double queue_sample_period_s = 10;   // trace.queue_sample_period
};

// Seed targets (../shared/seeds) and the truth-matching window.
struct ReportParams {
  double match_before_s = 60;          // report.match_before: a detection may come this long before the onset
  double match_after_s = 1800;         // report.match_after: ... and at most this long after it
  double target_dashboard_p99_s = 1.0; // report.target_dashboard_p99: ingest -> dashboard-ready, P99
  double target_persist_p99_s = 5.0;   // report.target_persist_p99: ingest -> persisted, P99
  double target_tweet_p95_s = 120.0;   // report.target_tweet_p95: event onset -> tweet, P95
  // Targets only some architectures' seeds state (sim/pipeline/architecture.hpp):
  double target_throughput = 0.999;                // report.target_throughput: persisted share of the received updates, at least
  double target_detection_to_tweet_p95_s = 120.0;  // report.target_detection_to_tweet_p95: detection -> tweet, P95
  double target_event_to_detection_p95_s = 120.0;  // report.target_event_to_detection_p95: event onset -> detection, P95
  std::string architecture = "direct"; // taken from pipeline.architecture: which seed's targets the report states
  double offered_rate_per_s = 70;      // taken from background.rate: the load the throughput target is judged at
};

struct Scenario {
  std::string name;                    // scenario.name (required)
  std::string description;             // scenario.description
  std::string start_utc = "2025-01-06T00:00:00Z";  // scenario.start, ISO 8601 UTC
  double epoch_unix_s = 1736121600.0;  // derived from start
  double duration_s = 7 * 86400.0;     // scenario.duration (required)
  std::uint64_t seed = 1;              // scenario.seed
  WorldParams world;
  NetworkParams network;
  PipelineParams pipeline;
  TraceParams trace;
  ReportParams report;
  std::vector<FaultSpec> faults;       // [[faults]]: scheduled faults (docs/faults.md), in file order

  std::string source_path;             // the file it came from
  std::string source_text;             // the file's text (recorded in the trace)
  std::vector<std::string> overrides;  // the --set overrides applied, "key=value"
};

// A bad scenario: the message names file:line, the key path and what was expected.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads and validates a scenario file, then applies "key.path=value" overrides
// through the same validation. Throws ScenarioError.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from text (path is used in messages only).
Scenario parse_scenario(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides = {});

// The key reference (one Markdown table per section, with type, unit, default,
// range and description), rendered from the same schema the loader uses;
// docs/scenarios.md embeds it.
std::string scenario_reference_markdown();
// Every scenario key path ("crew.size", "pipeline.tweet.cooldown", ...), in schema order.
std::vector<std::string> scenario_key_paths();

// Parses "90s", "15min", "2h", "3d", "250ms", "1d2h30min" into seconds. Throws std::invalid_argument.
double parse_duration(const std::string& text);
// Parses "HH:MM" or "HH:MM:SS" into seconds of the day. Throws std::invalid_argument.
double parse_time_of_day(const std::string& text);
// Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC) into Unix seconds. Throws std::invalid_argument.
double parse_utc(const std::string& text);
// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (or with .mmm when fractional and millis=true).
std::string format_utc(double unix_s, bool millis = false);
// The same with ".mmm" always written: a fixed width for running clocks and CSV columns.
std::string format_utc_ms(double unix_s);
// Formats seconds as a short duration ("3d4h", "15min", "2.5s").
std::string format_duration(double seconds);

}  // namespace peebot
