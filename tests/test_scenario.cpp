// The scenario loader: values and units, defaults, every class of error,
// --set overrides, durations and UTC times, and the docs staying in sync.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/scenario/scenario.hpp"

using namespace peebot;
using Catch::Matchers::Contains;

namespace {

const char* kMinimal = R"([scenario]
name = "mini"
duration = "3d"
)";

// Every key set to a non-default value.
const char* kFull = R"(# full scenario
[scenario]
name = "full"
description = "all keys"
start = "2025-03-10T12:30:00Z"
duration = "1d2h30min"
seed = 99

[crew]
size = 4
wake = "05:45"
sleep = "22:00:30"
person_jitter = "15min"
daily_jitter = "5min"
voids_per_day = 7
upa_share = 0.5
wake_burst_factor = 3
wake_burst = "90min"
urine_mean_ml = 300
urine_sd_ml = 80.5
flush_ml = 100
void_duration = "40s"
void_duration_sd = "12s"
toilet_turnaround = "1min"

[tank]
capacity_ml = 9000
initial_pct = 20

[upa]
start_pct = 50
stop_pct = 10
drain_pct_per_min = 0.3
initial_state = "normal"

[sensor]
period = "500ms"
noise_pct = 0.1
noise_tau = "10s"

[los]
enabled = false
orbit_period = "92min"
probability = 0.25
gap_mean = "10min"
gap_sd = "3min"
gap_min = "1min"
windows = [["1d2h", "1d3h"], ["0s", "90s"]]

[background]
rate = 100
items = 50

[network]
iss_tdrs_latency = "130ms"
iss_tdrs_bandwidth_mbps = 200
tdrs_ground_latency = "120ms"
tdrs_ground_bandwidth_mbps = 150
ground_ls_latency = "15s"
ground_ls_bandwidth_mbps = 80
ls_host_latency = "40ms"
ls_host_bandwidth_mbps = 8
frame_interval = "2s"
update_bytes = 64
frame_header_bytes = 128
los_detect = "7s"
signal_period = "2s"

[pipeline.ingest]
service_per_frame = "100us"
service_per_update = "2us"

[pipeline.detector]
kind = "rule"
service_per_sample = "30us"
window = "2min"
min_rise_pct = 3
quiet = "1min"
bulk_rise_pct = 20
rule_guard = "90s"
rule_end = "30s"

[pipeline.store]
batch_size = 128
flush_interval = "500ms"
service_per_batch = "3ms"
service_per_record = "10us"

[pipeline.tweet]
cooldown = "15min"
cooldown_policy = "drop"
max_retries = 5
backoff = "1s"
backoff_max = "2min"
api_latency = "300ms"
failure_probability = 0.1
compose = "20ms"

[trace]
background_sample_every = 10
queue_sample_period = "5s"

[report]
match_before = "30s"
match_after = "20min"
target_dashboard_p99 = "2s"
target_persist_p99 = "10s"
target_tweet_p95 = "3min"
)";

// The message of the ScenarioError thrown by f ("" if none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return error_of([&] { parse_scenario(text, "test.toml", overrides); });
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST_CASE("a full scenario file loads every key with its unit converted", "[scenario]") {
  const Scenario s = parse_scenario(kFull, "full.toml");
  CHECK(s.name == "full");
  CHECK(s.description == "all keys");
  CHECK(s.start_utc == "2025-03-10T12:30:00Z");
  CHECK(s.epoch_unix_s == 1741609800.0);
  CHECK(s.duration_s == 86400 + 2 * 3600 + 30 * 60);
  CHECK(s.seed == 99);

  const CrewParams& c = s.world.crew;
  CHECK(c.size == 4);
  CHECK(c.wake_s == 5 * 3600 + 45 * 60);
  CHECK(c.sleep_s == 22 * 3600 + 30);
  CHECK(c.person_shift_sd_s == 900);  // "15min" -> 900 s
  CHECK(c.daily_jitter_sd_s == 300);
  CHECK(c.voids_per_day == 7.0);  // integer accepted for a number
  CHECK(c.upa_share == 0.5);
  CHECK(c.wake_burst_factor == 3.0);
  CHECK(c.wake_burst_s == 5400);
  CHECK(c.urine_mean_ml == 300);
  CHECK(c.urine_sd_ml == 80.5);
  CHECK(c.flush_ml == 100);
  CHECK(c.void_duration_mean_s == 40);
  CHECK(c.void_duration_sd_s == 12);
  CHECK(c.toilet_turnaround_s == 60);

  CHECK(s.world.tank.capacity_ml == 9000);
  CHECK(s.world.tank.initial_pct == 20);
  CHECK(s.world.upa.start_pct == 50);
  CHECK(s.world.upa.stop_pct == 10);
  CHECK(s.world.upa.drain_pct_per_min == 0.3);
  CHECK(s.world.upa.start_processing);
  CHECK(s.world.sensor.period_s == 0.5);
  CHECK(s.world.sensor.noise_pct == 0.1);
  CHECK(s.world.sensor.noise_tau_s == 10);

  const LosParams& l = s.world.los;
  CHECK_FALSE(l.enabled);
  CHECK(l.orbit_period_s == 92 * 60);
  CHECK(l.probability == 0.25);
  CHECK(l.gap_mean_s == 600);
  CHECK(l.gap_sd_s == 180);
  CHECK(l.gap_min_s == 60);
  REQUIRE(l.extra.size() == 2);
  CHECK(l.extra[0].start_s == 93600);
  CHECK(l.extra[0].end_s == 97200);
  CHECK(l.extra[1].start_s == 0);
  CHECK(l.extra[1].end_s == 90);

  CHECK(s.world.background.rate_per_s == 100);
  CHECK(s.world.background.items == 50);

  const NetworkParams& n = s.network;
  CHECK(n.iss_tdrs_latency_s == Approx(0.130));
  CHECK(n.iss_tdrs_bw_Bps == 25e6);  // 200 Mbit/s -> 25e6 bytes/s
  CHECK(n.tdrs_ground_latency_s == Approx(0.120));
  CHECK(n.tdrs_ground_bw_Bps == 18.75e6);
  CHECK(n.ground_ls_latency_s == 15);
  CHECK(n.ground_ls_bw_Bps == 10e6);
  CHECK(n.ls_host_latency_s == Approx(0.040));
  CHECK(n.ls_host_bw_Bps == 1e6);
  CHECK(n.frame_interval_s == 2);
  CHECK(n.update_bytes == 64);
  CHECK(n.frame_header_bytes == 128);
  CHECK(n.los_detect_s == 7);
  CHECK(n.signal_period_s == 2);

  const PipelineParams& p = s.pipeline;
  CHECK(p.ingest.service_per_frame_s == Approx(100e-6));
  CHECK(p.ingest.service_per_update_s == Approx(2e-6));
  CHECK(p.detector.kind == "rule");
  CHECK(p.detector.service_per_sample_s == Approx(30e-6));
  CHECK(p.detector.window_s == 120);
  CHECK(p.detector.min_rise_pct == 3);
  CHECK(p.detector.quiet_s == 60);
  CHECK(p.detector.bulk_rise_pct == 20);
  CHECK(p.detector.tank_capacity_ml == 9000);  // copied from tank.capacity_ml
  CHECK(p.detector.rule_guard_s == 90);
  CHECK(p.detector.rule_end_s == 30);
  CHECK(p.store.batch_size == 128);
  CHECK(p.store.flush_interval_s == 0.5);
  CHECK(p.store.service_per_batch_s == Approx(3e-3));
  CHECK(p.store.service_per_record_s == Approx(10e-6));
  CHECK(p.tweet.cooldown_s == 900);
  CHECK(p.tweet.cooldown_policy == "drop");
  CHECK(p.tweet.max_retries == 5);
  CHECK(p.tweet.backoff_s == 1);
  CHECK(p.tweet.backoff_max_s == 120);
  CHECK(p.tweet.api_latency_s == Approx(0.3));
  CHECK(p.tweet.failure_probability == 0.1);
  CHECK(p.tweet.compose_s == Approx(0.02));

  CHECK(s.trace.background_sample_every == 10);
  CHECK(s.trace.queue_sample_period_s == 5);
  CHECK(s.report.match_before_s == 30);
  CHECK(s.report.match_after_s == 1200);
  CHECK(s.report.target_dashboard_p99_s == 2);
  CHECK(s.report.target_persist_p99_s == 10);
  CHECK(s.report.target_tweet_p95_s == 180);

  CHECK(s.source_path == "full.toml");
  CHECK(s.source_text == kFull);
  CHECK(s.overrides.empty());
}

TEST_CASE("absent keys take the struct defaults", "[scenario]") {
  const Scenario s = parse_scenario(kMinimal, "mini.toml");
  const Scenario d;
  CHECK(s.name == "mini");
  CHECK(s.duration_s == 3 * 86400);
  CHECK(s.start_utc == d.start_utc);
  CHECK(s.epoch_unix_s == d.epoch_unix_s);
  CHECK(s.seed == d.seed);
  CHECK(s.world.crew.size == d.world.crew.size);
  CHECK(s.world.crew.wake_s == d.world.crew.wake_s);
  CHECK(s.world.crew.sleep_s == d.world.crew.sleep_s);
  CHECK(s.world.tank.capacity_ml == d.world.tank.capacity_ml);
  CHECK(s.world.upa.start_processing == d.world.upa.start_processing);
  CHECK(s.world.los.enabled == d.world.los.enabled);
  CHECK(s.world.los.orbit_period_s == d.world.los.orbit_period_s);
  CHECK(s.world.los.extra.empty());
  CHECK(s.network.iss_tdrs_bw_Bps == d.network.iss_tdrs_bw_Bps);
  CHECK(s.network.ground_ls_latency_s == d.network.ground_ls_latency_s);
  CHECK(s.pipeline.detector.kind == d.pipeline.detector.kind);
  CHECK(s.pipeline.detector.tank_capacity_ml == d.world.tank.capacity_ml);
  CHECK(s.pipeline.tweet.cooldown_policy == d.pipeline.tweet.cooldown_policy);
  CHECK(s.trace.background_sample_every == d.trace.background_sample_every);
  CHECK(s.report.target_tweet_p95_s == d.report.target_tweet_p95_s);
}

TEST_CASE("native TOML date-times and times are accepted for start and times of day", "[scenario]") {
  const Scenario s = parse_scenario(std::string(kMinimal) + "start = 2025-01-06T01:00:00+01:00\n[crew]\nwake = 07:15:00\n",
                                    "t.toml");
  CHECK(s.start_utc == "2025-01-06T00:00:00Z");
  CHECK(s.epoch_unix_s == 1736121600.0);
  CHECK(s.world.crew.wake_s == 7 * 3600 + 15 * 60);
}

TEST_CASE("a TOML syntax error names the file and the line", "[scenario]") {
  const std::string e = parse_error("[scenario]\nname = \"x\"\nduration = \"3d\n");
  CHECK_THAT(e, Contains("test.toml:3:"));
  CHECK_THAT(e, Contains("syntax error"));
}

TEST_CASE("an unknown key names file, line and key path, and suggests the right one", "[scenario]") {
  const std::string e = parse_error(std::string(kMinimal) + "[crew]\nsise = 3\n");
  CHECK_THAT(e, Contains("test.toml:5: crew.sise: unknown key"));
  CHECK_THAT(e, Contains("did you mean crew.size?"));
  CHECK_THAT(e, Contains("expected one of the keys of [crew]"));
}

TEST_CASE("an unknown section names file, line and section", "[scenario]") {
  std::string e = parse_error(std::string(kMinimal) + "\n[crews]\nsize = 3\n");
  CHECK_THAT(e, Contains("test.toml:5: crews: unknown section"));
  CHECK_THAT(e, Contains("[crew]"));
  e = parse_error(std::string(kMinimal) + "[pipeline.detectr]\nkind = \"rule\"\n");
  CHECK_THAT(e, Contains("test.toml:4: pipeline.detectr: unknown section"));
  CHECK_THAT(e, Contains("did you mean pipeline.detector?"));
  e = parse_error("name = \"x\"\n");
  CHECK_THAT(e, Contains("test.toml:1: name:"));
  CHECK_THAT(e, Contains("did you mean scenario.name?"));
}

TEST_CASE("a wrong type names file, line, key path and the expected type", "[scenario]") {
  std::string e = parse_error(std::string(kMinimal) + "[crew]\nsize = \"seven\"\n");
  CHECK_THAT(e, Contains("test.toml:5: crew.size: got the string \"seven\", expected an integer in 1 .. 20"));
  e = parse_error(std::string(kMinimal) + "[crew]\nsize = 3.5\n");
  CHECK_THAT(e, Contains("test.toml:5: crew.size:"));
  CHECK_THAT(e, Contains("expected an integer"));
  e = parse_error(std::string(kMinimal) + "[sensor]\nperiod = 1\n");
  CHECK_THAT(e, Contains("test.toml:5: sensor.period: got the integer 1, expected a duration string like \"90s\""));
  e = parse_error(std::string(kMinimal) + "[los]\nenabled = \"yes\"\n");
  CHECK_THAT(e, Contains("test.toml:5: los.enabled:"));
  CHECK_THAT(e, Contains("expected true or false"));
  e = parse_error(std::string(kMinimal) + "[pipeline.detector]\nkind = \"neural\"\n");
  CHECK_THAT(e, Contains("test.toml:5: pipeline.detector.kind: \"neural\" is not a valid choice, expected one of \"step\", \"rule\""));
  e = parse_error(std::string(kMinimal) + "[crew]\nwake = \"6am\"\n");
  CHECK_THAT(e, Contains("test.toml:5: crew.wake:"));
  e = parse_error("crew = 3\n" + std::string(kMinimal));
  CHECK_THAT(e, Contains("test.toml:1: crew: is a section but got the integer 3"));
  e = parse_error(std::string(kMinimal) + "[los]\nwindows = [[\"1d\", \"2d\"],\n  [\"3d\"]]\n");
  CHECK_THAT(e, Contains("test.toml:6: los.windows: window 2"));
  e = parse_error("[scenario]\nname = \"x\"\nduration = \"3d\"\nstart = \"2025-01-06 00:00\"\n");
  CHECK_THAT(e, Contains("test.toml:4: scenario.start:"));
  CHECK_THAT(e, Contains("YYYY-MM-DDTHH:MM:SSZ"));
}

TEST_CASE("an out-of-range value names file, line, key path and the range", "[scenario]") {
  std::string e = parse_error(std::string(kMinimal) + "[crew]\nsize = 21\n");
  CHECK_THAT(e, Contains("test.toml:5: crew.size: 21 is out of range, expected an integer in 1 .. 20"));
  e = parse_error(std::string(kMinimal) + "[crew]\nupa_share = 1.5\n");
  CHECK_THAT(e, Contains("test.toml:5: crew.upa_share: 1.5 is out of range, expected a number in 0 .. 1"));
  e = parse_error(std::string(kMinimal) + "[sensor]\nnoise_tau = \"0s\"\n");
  CHECK_THAT(e, Contains("test.toml:5: sensor.noise_tau: \"0s\" is out of range, expected a duration > 0s"));
  e = parse_error(std::string(kMinimal) + "[background]\nrate = 100001\n");
  CHECK_THAT(e, Contains("test.toml:5: background.rate:"));
  e = parse_error(std::string(kMinimal) + "[tank]\ncapacity_ml = nan\n");
  CHECK_THAT(e, Contains("test.toml:5: tank.capacity_ml: nan is not finite"));
  e = parse_error("[scenario]\nname = \"x\"\nduration = \"3d\"\nseed = -1\n");
  CHECK_THAT(e, Contains("test.toml:4: scenario.seed: -1 is out of range, expected an integer >= 0"));
  e = parse_error(std::string(kMinimal) + "[los]\nwindows = [\n  [\"1d3h\", \"1d2h\"],\n]\n");
  CHECK_THAT(e, Contains("test.toml:6: los.windows: window 1"));
  CHECK_THAT(e, Contains("expected start < end"));
}

TEST_CASE("a missing required key names file and key path, without a line", "[scenario]") {
  std::string e = parse_error("[scenario]\nname = \"x\"\n");
  CHECK(e == "test.toml: scenario.duration: missing required key, expected a duration like \"7d\"");
  e = parse_error("[scenario]\nduration = \"1d\"\n");
  CHECK_THAT(e, Contains("test.toml: scenario.name: missing required key"));
  e = parse_error("[scenario]\nname = \"\"\nduration = \"1d\"\n");
  CHECK_THAT(e, Contains("test.toml:2: scenario.name: is empty"));
}

TEST_CASE("a cross-field violation names the line of the later key", "[scenario]") {
  std::string e = parse_error(std::string(kMinimal) + "[upa]\nstart_pct = 40\nstop_pct = 40\n");
  CHECK_THAT(e, Contains("test.toml:6: upa.stop_pct:"));
  CHECK_THAT(e, Contains("expected upa.stop_pct < upa.start_pct"));
  e = parse_error(std::string(kMinimal) + "[upa]\nstop_pct = 50\n");  // default start_pct is 45
  CHECK_THAT(e, Contains("test.toml:5: upa.stop_pct:"));
  e = parse_error(std::string(kMinimal) + "[crew]\nwake = \"07:00\"\nsleep = \"07:00\"\n");
  CHECK_THAT(e, Contains("test.toml:6: crew.sleep:"));
  e = parse_error(std::string(kMinimal) + "[pipeline.tweet]\nbackoff = \"2min\"\nbackoff_max = \"1min\"\n");
  CHECK_THAT(e, Contains("test.toml:6: pipeline.tweet.backoff_max:"));
  e = parse_error(std::string(kMinimal) + "[pipeline.detector]\nmin_rise_pct = 20\n");
  CHECK_THAT(e, Contains("test.toml:5: pipeline.detector.min_rise_pct:"));
}

TEST_CASE("an unreadable file is reported with the system's reason", "[scenario]") {
  const std::string missing = "/nonexistent/dir/none.toml";
  CHECK(error_of([&] { load_scenario(missing); }) == missing + ": cannot read: No such file or directory");
  const std::string dir = std::filesystem::temp_directory_path().string();
  CHECK_THAT(error_of([&] { load_scenario(dir); }), Contains(dir + ": cannot read: "));
}

TEST_CASE("load_scenario reads the file and records its path, text and overrides", "[scenario]") {
  const auto p = temp_file("peebot_test_scenario_load.toml", kFull);
  const Scenario s = load_scenario(p.string(), {"crew.size=9"});
  std::filesystem::remove(p);
  CHECK(s.name == "full");
  CHECK(s.source_path == p.string());
  CHECK(s.source_text == kFull);
  CHECK(s.world.crew.size == 9);
  CHECK(s.overrides == std::vector<std::string>{"crew.size=9"});
}

TEST_CASE("overrides given with --set change values, parsed as TOML or as a bare string", "[scenario]") {
  const Scenario s = parse_scenario(kMinimal, "t.toml",
                                    {"crew.size=9", "scenario.duration=\"2d\"", "sensor.period=250ms",
                                     "los.enabled=false", "los.windows=[[\"1h\", \"2h\"]]", "crew.wake=07:30",
                                     "scenario.name=my run", "network.ls_host_bandwidth_mbps=16",
                                     "scenario.start=2025-02-01T00:00:00Z", "tank.capacity_ml=9000"});
  CHECK(s.world.crew.size == 9);
  CHECK(s.duration_s == 2 * 86400);
  CHECK(s.world.sensor.period_s == 0.25);
  CHECK_FALSE(s.world.los.enabled);
  REQUIRE(s.world.los.extra.size() == 1);
  CHECK(s.world.los.extra[0].end_s == 7200);
  CHECK(s.world.crew.wake_s == 7.5 * 3600);
  CHECK(s.name == "my run");
  CHECK(s.network.ls_host_bw_Bps == 2e6);
  CHECK(s.start_utc == "2025-02-01T00:00:00Z");
  CHECK(s.pipeline.detector.tank_capacity_ml == 9000);
  CHECK(s.overrides.size() == 10);
  CHECK(s.overrides[0] == "crew.size=9");
  // The last override of a key wins; an override can supply a required key.
  CHECK(parse_scenario(kMinimal, "t.toml", {"crew.size=3", "crew.size=4"}).world.crew.size == 4);
  CHECK(parse_scenario("[scenario]\nname = \"x\"\n", "t.toml", {"scenario.duration=3d"}).duration_s == 3 * 86400);
}

TEST_CASE("an override given with --set on an unknown key or section is rejected with the override in the message", "[scenario]") {
  std::string e = parse_error(kMinimal, {"crew.sise=3"});
  CHECK_THAT(e, Contains("--set crew.sise=3: crew.sise: unknown key (did you mean crew.size?)"));
  e = parse_error(kMinimal, {"bogus.key=1"});
  CHECK_THAT(e, Contains("--set bogus.key=1: bogus.key:"));
  e = parse_error(kMinimal, {"crew=3"});
  CHECK_THAT(e, Contains("--set crew=3: crew: is a section, not a key"));
  e = parse_error(kMinimal, {"crew.size"});
  CHECK_THAT(e, Contains("--set crew.size: crew.size:"));
  CHECK_THAT(e, Contains("expected key.path=value"));
}

TEST_CASE("override values given with --set go through the same validation", "[scenario]") {
  std::string e = parse_error(kMinimal, {"crew.size=abc"});
  CHECK(e == "--set crew.size=abc: crew.size: got the string \"abc\", expected an integer in 1 .. 20");
  e = parse_error(kMinimal, {"crew.size=42"});
  CHECK_THAT(e, Contains("--set crew.size=42: crew.size: 42 is out of range"));
  e = parse_error(kMinimal, {"sensor.period=5"});
  CHECK_THAT(e, Contains("--set sensor.period=5: sensor.period: got the integer 5, expected a duration string like \"90s\""));
  e = parse_error(kMinimal, {"sensor.period=5m"});
  CHECK_THAT(e, Contains("--set sensor.period=5m: sensor.period: unknown unit \"m\""));
  // Cross-field rules see the overrides and blame the override.
  e = parse_error(kMinimal, {"upa.start_pct=10"});
  CHECK_THAT(e, Contains("--set upa.start_pct=10: upa.start_pct:"));
  CHECK_THAT(e, Contains("expected upa.stop_pct < upa.start_pct"));
  e = parse_error("[scenario]\nname = \"x\"\n", {"crew.size=3"});
  CHECK_THAT(e, Contains("test.toml: scenario.duration: missing required key"));
}

TEST_CASE("durations parse units, compounds and fractions, and reject the rest", "[scenario]") {
  CHECK(parse_duration("250us") == 250e-6);
  CHECK(parse_duration("50ms") == 50e-3);
  CHECK(parse_duration("90s") == 90);
  CHECK(parse_duration("15min") == 900);
  CHECK(parse_duration("2h") == 7200);
  CHECK(parse_duration("3d") == 3 * 86400);
  CHECK(parse_duration("1d2h30min") == 86400 + 7200 + 1800);
  CHECK(parse_duration("1min30s") == 90);
  CHECK(parse_duration("1.5s") == 1.5);
  CHECK(parse_duration("0.5h") == 1800);
  CHECK(parse_duration("0s") == 0);
  CHECK(parse_duration("1s500ms") == 1.5);
  CHECK(parse_duration("1h 30min") == 5400);
  for (const char* bad : {"", "90", "5m", "1.s", ".5s", "-5s", "s", "2h1d", "1s1s", "1 d", "3days", "inf", "nan", "1e3s",
                          "5 ", " "}) {
    INFO("duration \"" << bad << "\"");
    CHECK_THROWS_AS(parse_duration(bad), std::invalid_argument);
  }
  CHECK_THROWS_WITH(parse_duration("5m"), Contains("write min for minutes"));
}

TEST_CASE("format_duration gives short strings that parse back", "[scenario]") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(250e-6) == "250us");
  CHECK(format_duration(0.05) == "50ms");
  CHECK(format_duration(1.5e-3) == "1.5ms");
  CHECK(format_duration(2.5) == "2.5s");
  CHECK(format_duration(900) == "15min");
  CHECK(format_duration(3 * 86400 + 4 * 3600) == "3d4h");
  CHECK(format_duration(92.68 * 60) == "1h32min40.8s");
  CHECK(format_duration(-90) == "-1min30s");
  for (double x : {1e-6, 0.125, 1.0, 59.5, 90.0, 3600.0, 5560.8, 93600.0, 7 * 86400.0, 123456.789}) {
    INFO(x);
    CHECK(parse_duration(format_duration(x)) == Approx(x).epsilon(1e-12));
  }
}

TEST_CASE("times of day parse HH:MM and HH:MM:SS", "[scenario]") {
  CHECK(parse_time_of_day("06:00") == 6 * 3600);
  CHECK(parse_time_of_day("21:30") == 21.5 * 3600);
  CHECK(parse_time_of_day("23:59:59") == 86399);
  CHECK(parse_time_of_day("7:05") == 7 * 3600 + 300);
  for (const char* bad : {"", "24:00", "12:60", "12:00:60", "12", "12:5", "12:00:", "6h", "12:00Z", "-1:00"}) {
    INFO("time \"" << bad << "\"");
    CHECK_THROWS_AS(parse_time_of_day(bad), std::invalid_argument);
  }
}

TEST_CASE("format_utc and parse_utc round-trip", "[scenario]") {
  CHECK(parse_utc("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_utc("2025-01-06T00:00:00Z") == 1736121600.0);
  CHECK(format_utc(1736121600.0) == "2025-01-06T00:00:00Z");
  CHECK(format_utc(951782400.0) == "2000-02-29T00:00:00Z");  // leap day
  CHECK(format_utc(1736121600.25) == "2025-01-06T00:00:00Z");
  CHECK(format_utc(1736121600.25, true) == "2025-01-06T00:00:00.250Z");
  CHECK(format_utc(1736121600.0, true) == "2025-01-06T00:00:00Z");
  CHECK(parse_utc("2025-01-06T00:00:00.250Z") == 1736121600.25);
  CHECK(format_utc(-1) == "1969-12-31T23:59:59Z");
  for (double t : {0.0, 86399.0, 951782400.0, 1736121600.0, 1741609800.0, 4102444799.0}) {
    INFO(t);
    CHECK(parse_utc(format_utc(t)) == t);
  }
  for (const char* s : {"2024-02-29T12:34:56Z", "2025-12-31T23:59:59Z", "2099-01-01T00:00:00Z"}) CHECK(format_utc(parse_utc(s)) == s);
  for (const char* bad : {"", "2025-01-06", "2025-01-06T00:00:00", "2025-01-06 00:00:00Z", "2025-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2025-01-06T24:00:00Z", "2025-01-06T00:00:00+01:00", "2025-1-6T00:00:00Z"}) {
    INFO("utc \"" << bad << "\"");
    CHECK_THROWS_AS(parse_utc(bad), std::invalid_argument);
  }
}

TEST_CASE("the key reference renders every key with its default", "[scenario]") {
  const std::string md = scenario_reference_markdown();
  for (const std::string& key : scenario_key_paths()) {
    INFO(key);
    CHECK_THAT(md, Contains("| `" + key + "` |"));
  }
  CHECK_THAT(md, Contains("| `crew.size` | integer | persons | `7` | 1 .. 20 |"));
  CHECK_THAT(md, Contains("| `network.iss_tdrs_bandwidth_mbps` | number | Mbit/s | `300` |"));
  CHECK_THAT(md, Contains("| `scenario.duration` | duration |  | *required* |"));
}

TEST_CASE("docs/scenarios.md documents every key and embeds the current reference", "[scenario]") {
  const std::string path = std::string(PEEBOT_SOURCE_DIR) + "/docs/scenarios.md";
  std::string doc = read_text(path);
  REQUIRE_FALSE(doc.empty());
  const std::string begin = "<!-- BEGIN scenario_reference_markdown() -->\n";
  const std::string end = "<!-- END scenario_reference_markdown() -->";
  const auto b = doc.find(begin), e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string generated = scenario_reference_markdown();
  if (std::getenv("PEEBOT_UPDATE_DOCS")) {
    doc = doc.substr(0, b + begin.size()) + generated + doc.substr(e);
    std::ofstream(path) << doc;
  }
  for (const std::string& key : scenario_key_paths()) {
    INFO(key);
    CHECK_THAT(doc, Contains("`" + key + "`"));
  }
  INFO("docs/scenarios.md is out of date: run PEEBOT_UPDATE_DOCS=1 peebot_tests \"[scenario]\"");
  CHECK(doc.substr(b + begin.size(), e - b - begin.size()) == generated);
}

TEST_CASE("the example in docs/scenarios.md is a valid scenario", "[scenario]") {
  const std::string doc = read_text(std::string(PEEBOT_SOURCE_DIR) + "/docs/scenarios.md");
  const auto b = doc.find("```toml\n");
  REQUIRE(b != std::string::npos);
  const auto e = doc.find("```", b + 8);
  REQUIRE(e != std::string::npos);
  const Scenario s = parse_scenario(doc.substr(b + 8, e - b - 8), "docs/scenarios.md");
  CHECK(s.name == "baseline-week");
  CHECK(s.duration_s == 7 * 86400);
}

TEST_CASE("the writer renders every key so that the loader reads back the same scenario", "[scenario]") {
  const Scenario a = parse_scenario(std::string(kFull) + R"(
[[crew.periods]]
start = "0s"
size = 3
[[crew.periods]]
start = "12h"
size = 5
[[faults]]
kind = "slow_disk"
target = "store"
start = "1h"
end = "2h"
factor = 4.5
[[faults]]
kind = "clock_skew"
start = "3h"
end = "5h"
offset = "-90s"
)", "full.toml");
  REQUIRE(a.faults.size() == 2);
  // Written key by key, as calibrate writes its scenario: the root-level
  // [[faults]] array first (inline), then each section's keys under its header.
  std::string text, section;
  for (const std::string& key : scenario_key_paths()) {
    if (key.find('.') == std::string::npos) text += scenario_key_line(a, key) + "\n";
  }
  for (const std::string& key : scenario_key_paths()) {
    const auto dot = key.rfind('.');
    if (dot == std::string::npos) continue;
    if (key.substr(0, dot) != section) text += "\n[" + (section = key.substr(0, dot)) + "]\n";
    text += scenario_key_line(a, key) + "\n";
  }
  const Scenario b = parse_scenario(text, "written.toml");
  for (const std::string& key : scenario_key_paths()) {
    INFO(key);
    CHECK(scenario_value_text(b, key) == scenario_value_text(a, key));
  }
  CHECK(b.world.crew.size == a.world.crew.size);
  CHECK(b.duration_s == a.duration_s);
  REQUIRE(b.faults.size() == 2);
  CHECK(b.faults[0].factor == 4.5);
  CHECK(b.faults[1].offset_s == -90);
  REQUIRE(b.world.crew.periods.size() == 2);
  CHECK(b.world.crew.periods[1].size == 5);
  CHECK(scenario_key_line(a, "crew.size") == "size = " + std::to_string(a.world.crew.size));
  CHECK_THROWS_WITH(scenario_value_text(a, "crew.sizee"), Contains("unknown scenario key crew.sizee"));
}

TEST_CASE("a trace's recorded scenario loads with its overrides, or gives the defaults and says why", "[scenario]") {
  std::string warning;
  const Scenario s = recorded_scenario(kMinimal, {"crew.size=3"}, "run.h5:/scenario_toml", &warning);
  CHECK(warning.empty());
  CHECK(s.name == "mini");
  CHECK(s.world.crew.size == 3);
  const Scenario none = recorded_scenario("", {}, "old.h5:/scenario_toml", &warning);
  CHECK(warning.empty());
  CHECK(none.report.match_after_s == Scenario{}.report.match_after_s);
  const Scenario bad = recorded_scenario("[scenario]\nname = \"x\"\nduration = \"1d\"\nno_such_key = 1\n", {},
                                         "older.h5:/scenario_toml", &warning);
  CHECK_THAT(warning, Contains("older.h5:/scenario_toml:4"));
  CHECK_THAT(warning, Contains("no_such_key"));
  CHECK(bad.name.empty());
}
