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
#include "../util/time.hpp"  // parse_duration, format_utc, ...: scenario values are written with them

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

// The scenario a trace recorded (its text and --set overrides, `where` naming
// it in messages, e.g. "run.h5:/scenario_toml"); the defaults when it recorded
// none, or when the text no longer loads (a trace of an older peebot), and
// then *warning (if given) says why.
Scenario recorded_scenario(const std::string& text, const std::vector<std::string>& overrides, const std::string& where,
                           std::string* warning = nullptr);

// The key reference (one Markdown table per section, with type, unit, default,
// range and description), rendered from the same schema the loader uses;
// docs/scenarios.md embeds it.
std::string scenario_reference_markdown();
// Every scenario key path ("crew.size", "pipeline.tweet.cooldown", ...), in schema order.
std::vector<std::string> scenario_key_paths();

// The writer, for tools that emit scenario files (calibrate): the value of
// `key_path` in `s` as TOML source text that the loader reads back to the same
// value ("\"90s\"", "0.21", "\"06:30\"", "[[\"1d\", \"1d2h\"]]"). Throws
// std::invalid_argument naming an unknown key.
std::string scenario_value_text(const Scenario& s, const std::string& key_path);
// "leaf = value" for `key_path`: its line under its [section] header.
std::string scenario_key_line(const Scenario& s, const std::string& key_path);

}  // namespace peebot
