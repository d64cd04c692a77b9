// The HDF5 trace: round-trips, atomic finish, SWMR, and the file as other
// tools (h5py, h5dump) see it. Layout: docs/trace-format.md.
#include <catch2/catch.hpp>

#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/trace/schema.hpp"
#include "sim/trace/trace.hpp"
#include "trace_fixtures.hpp"

namespace fs = std::filesystem;
using namespace peebot;
using peebot::test::TempDir;
using peebot::test::trace_error;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

bool exists(const std::string& p) { return fs::exists(fs::path(p)); }

// Equal, with NaN equal to NaN.
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct CmdResult {
  int status = -1;
  std::string output;
};

CmdResult run(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TraceMeta sample_meta() {
  TraceMeta m;
  m.mode = "sim";
  m.seed = 0xFFFFFFFFFFFFFFF0ull;  // needs all 64 bits
  m.scenario_name = "baseline-30d";
  m.scenario_toml = "# café ☕\n[scenario]\nname = \"baseline-30d\"\nduration = \"30d\"\n";
  m.overrides = {"world.crew=4", "network.los_fraction=0.15", ""};
  m.epoch_utc = "2025-01-06T00:00:00Z";
  m.epoch_unix_s = 1736121600.0;
  m.duration_s = 2592000.0;
  m.created_utc = "2025-11-23T06:00:00Z";
  m.generator = "peebot 0.1.0";
  m.has_truth = true;
  m.detector = "step";
  return m;
}

// Known records of every table, with NaN fields and awkward post texts.
struct Sample {
  std::vector<TelemetryRow> telemetry[kNamedItems];
  std::vector<StageTimes> stages;
  std::vector<Detection> detections;
  std::vector<Post> posts;
  std::vector<std::string> post_texts_read;  // the texts as they must read back
  std::vector<QueueSample> queues;
  std::vector<VoidEvent> voids;
  std::vector<UpaStateChange> upa;
  std::vector<LosWindow> los;
  std::vector<TankFullEpisode> tank_full;
  std::vector<TankPoint> tank;
  std::vector<CrewStateChange> crew;
  std::vector<BulkTransfer> bulk;
};

std::string repeat(const std::string& s, int n) {
  std::string r;
  for (int i = 0; i < n; ++i) r += s;
  return r;
}

Sample sample_records() {
  Sample s;
  for (int item = 0; item < kNamedItems; ++item)
    for (int i = 0; i < 3 + item; ++i) {
      TelemetryRow r;
      r.t_s = 10.0 * i + item + 0.125;
      r.t_emit_s = (i == 1) ? kNaN : r.t_s - 0.4;
      r.iss_time_h = (i == 2) ? kNaN : 120.5 + r.t_s / 3600.0;
      r.value = item == kUpaState ? 16 : 42.0 + i;
      r.seq = 1000ull * item + i + (i == 0 ? 0xFFFFFFFF00000000ull : 0);
      r.status = (item == kSignal && i == 1) ? kStatusLos : kStatusAos;
      s.telemetry[item].push_back(r);
    }
  StageTimes st;  // all stage times NaN
  st.seq = 7;
  st.item = 65535;
  st.fate = static_cast<std::uint8_t>(UpdateFate::kInvalid);
  s.stages.push_back(st);
  st.seq = 8;
  st.item = kUrineTank;
  st.fate = static_cast<std::uint8_t>(UpdateFate::kDelivered);
  st.t_emit_s = 1.0;
  st.t_published_s = 1.5;
  st.t_received_s = 1.75;
  st.t_ingested_s = 1.751;
  st.t_detected_s = 1.76;
  st.t_stored_s = 2.5;
  s.stages.push_back(st);
  st.seq = 9;
  st.fate = static_cast<std::uint8_t>(UpdateFate::kStale);
  st.t_detected_s = kNaN;
  st.t_stored_s = kNaN;
  s.stages.push_back(st);

  Detection d;
  d.id = 1;
  d.onset_s = 3600.0;
  d.onset_lo_s = kNaN;
  d.end_s = 3700.5;
  d.emitted_s = 3710.25;
  d.size_pct = 1.0;
  d.size_ml = 230.0;
  d.kind = DetectionKind::kUrination;
  d.confidence = 0.875f;
  s.detections.push_back(d);
  d.id = 2;
  d.onset_lo_s = 7000.0;
  d.kind = DetectionKind::kBulkTransfer;
  d.confidence = 0.1f;
  d.size_ml = kNaN;
  s.detections.push_back(d);

  const std::string e_acute = "\xC3\xA9";        // é, 2 bytes
  const std::string toilet = "\xF0\x9F\x9A\xBD";  // 🚽, 4 bytes
  const std::string nichi = "\xE6\x97\xA5";       // 日, 3 bytes
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"\xC3\x87" "a coule " + toilet + " \xE2\x80\x94 230 mL", ""},        // fits
      {std::string(319, 'a') + e_acute + "zzz", std::string(319, 'a')},     // é straddles byte 320
      {std::string(318, 'b') + toilet + "tail", std::string(318, 'b')},     // 🚽 straddles byte 320
      {std::string(318, 'c') + e_acute, ""},                                // exactly 320 bytes: kept
      {repeat(nichi, 400), repeat(nichi, 106)},                             // 1200 bytes -> 318
      {"", ""},
  };
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Post p;
    p.detection_id = i + 1;
    p.t_detected_s = 3711.0 + i;
    p.t_first_attempt_s = i == 5 ? kNaN : 3712.0 + i;
    p.t_done_s = i == 5 ? kNaN : 3713.0 + i;
    p.attempts = static_cast<std::int32_t>(i);
    p.outcome = i == 5 ? PostOutcome::kSkipped : (i == 4 ? PostOutcome::kFailed : PostOutcome::kSent);
    p.text = texts[i].first;
    s.posts.push_back(p);
    s.post_texts_read.push_back(texts[i].second.empty() ? texts[i].first : texts[i].second);
  }

  s.queues = {{10.0, static_cast<int>(Stage::kIngest), 3, 17}, {20.0, static_cast<int>(Stage::kTweet), 0, 1}};
  s.voids = {{100.0, 160.0, 2, 310.5, 300.0, true}, {200.0, 230.0, 0, 250.0, kNaN, false}};
  s.upa = {{0.0, static_cast<int>(UpaState::kNormal)}, {5000.0, static_cast<int>(UpaState::kStandby)}};
  s.los = {{300.0, 900.0}, {86000.0, 86400.0}};
  s.tank_full = {{40000.0, 41000.0, 123.0}};
  s.tank = {{0.0, 0.0, 0.0}, {100.0, 0.0, 0.0}, {160.0, 610.5, 2.75}};
  s.crew = {{0.0, 0, 1}, {0.0, 1, 0}, {3600.0, 1, 1}};
  s.bulk = {{50000.0, 50600.0, 8000.0}};
  return s;
}

void write_sample(TraceWriter& w, const Sample& s) {
  for (int item = 0; item < kNamedItems; ++item)
    for (const auto& r : s.telemetry[item]) w.telemetry(static_cast<ItemId>(item), r);
  w.telemetry(kFirstBackground, TelemetryRow{});  // background items are not traced: ignored
  for (const auto& x : s.stages) w.stage(x);
  for (const auto& x : s.detections) w.detection(x);
  for (const auto& x : s.posts) w.post(x);
  for (const auto& x : s.queues) w.queue(x);
  for (const auto& x : s.voids) w.truth_void(x);
  for (const auto& x : s.upa) w.truth_upa(x);
  for (const auto& x : s.los) w.truth_los(x);
  for (const auto& x : s.tank_full) w.truth_tank_full(x);
  for (const auto& x : s.tank) w.truth_tank(x);
  for (const auto& x : s.crew) w.truth_crew(x);
  for (const auto& x : s.bulk) w.truth_bulk(x);
}

void check_meta(const TraceMeta& got, const TraceMeta& want) {
  CHECK(got.format_version == kTraceFormatVersion);
  CHECK(got.mode == want.mode);
  CHECK(got.seed == want.seed);
  CHECK(got.scenario_name == want.scenario_name);
  CHECK(got.scenario_toml == want.scenario_toml);
  CHECK(got.overrides == want.overrides);
  CHECK(got.epoch_utc == want.epoch_utc);
  CHECK(got.epoch_unix_s == want.epoch_unix_s);
  CHECK(got.duration_s == want.duration_s);
  CHECK(got.created_utc == want.created_utc);
  CHECK(got.generator == want.generator);
  CHECK(got.has_truth == want.has_truth);
  CHECK(got.detector == want.detector);
}

void check_telemetry(const std::vector<TelemetryRow>& got, const std::vector<TelemetryRow>& want) {
  REQUIRE(got.size() == want.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto &a = got[i], &b = want[i];
    if (!(same(a.t_s, b.t_s) && same(a.t_emit_s, b.t_emit_s) && same(a.iss_time_h, b.iss_time_h) &&
          same(a.value, b.value) && a.seq == b.seq && a.status == b.status)) {
      if (bad++ < 3) FAIL_CHECK("telemetry row " << i << " differs");
    }
  }
  CHECK(bad == 0);
}

void check_stages(const std::vector<StageTimes>& got, const std::vector<StageTimes>& want) {
  REQUIRE(got.size() == want.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto &a = got[i], &b = want[i];
    if (!(a.seq == b.seq && a.item == b.item && a.fate == b.fate && same(a.t_emit_s, b.t_emit_s) &&
          same(a.t_published_s, b.t_published_s) && same(a.t_received_s, b.t_received_s) &&
          same(a.t_ingested_s, b.t_ingested_s) && same(a.t_detected_s, b.t_detected_s) &&
          same(a.t_stored_s, b.t_stored_s))) {
      if (bad++ < 3) FAIL_CHECK("stage row " << i << " differs");
    }
  }
  CHECK(bad == 0);
}

void check_sample(const Trace& t, const Sample& s) {
  for (int item = 0; item < kNamedItems; ++item) {
    INFO("telemetry item " << item);
    check_telemetry(t.telemetry[item], s.telemetry[item]);
  }
  check_stages(t.stages, s.stages);

  REQUIRE(t.detections.size() == s.detections.size());
  for (std::size_t i = 0; i < s.detections.size(); ++i) {
    const auto &a = t.detections[i], &b = s.detections[i];
    INFO("detection " << i);
    CHECK(a.id == b.id);
    CHECK(same(a.onset_s, b.onset_s));
    CHECK(same(a.onset_lo_s, b.onset_lo_s));
    CHECK(same(a.end_s, b.end_s));
    CHECK(same(a.emitted_s, b.emitted_s));
    CHECK(same(a.size_pct, b.size_pct));
    CHECK(same(a.size_ml, b.size_ml));
    CHECK(a.kind == b.kind);
    CHECK(a.confidence == b.confidence);
  }

  REQUIRE(t.posts.size() == s.posts.size());
  for (std::size_t i = 0; i < s.posts.size(); ++i) {
    const auto &a = t.posts[i], &b = s.posts[i];
    INFO("post " << i);
    CHECK(a.detection_id == b.detection_id);
    CHECK(same(a.t_detected_s, b.t_detected_s));
    CHECK(same(a.t_first_attempt_s, b.t_first_attempt_s));
    CHECK(same(a.t_done_s, b.t_done_s));
    CHECK(a.attempts == b.attempts);
    CHECK(a.outcome == b.outcome);
    CHECK(a.text.size() <= 320);
    CHECK(a.text == s.post_texts_read[i]);
  }

  REQUIRE(t.queues.size() == s.queues.size());
  for (std::size_t i = 0; i < s.queues.size(); ++i) {
    CHECK(t.queues[i].t_s == s.queues[i].t_s);
    CHECK(t.queues[i].stage == s.queues[i].stage);
    CHECK(t.queues[i].depth == s.queues[i].depth);
    CHECK(t.queues[i].depth_max == s.queues[i].depth_max);
  }
  REQUIRE(t.voids.size() == s.voids.size());
  for (std::size_t i = 0; i < s.voids.size(); ++i) {
    CHECK(t.voids[i].onset_s == s.voids[i].onset_s);
    CHECK(t.voids[i].end_s == s.voids[i].end_s);
    CHECK(t.voids[i].crew == s.voids[i].crew);
    CHECK(same(t.voids[i].urine_ml, s.voids[i].urine_ml));
    CHECK(same(t.voids[i].flush_ml, s.voids[i].flush_ml));
    CHECK(t.voids[i].reaches_tank == s.voids[i].reaches_tank);
  }
  REQUIRE(t.upa_states.size() == s.upa.size());
  for (std::size_t i = 0; i < s.upa.size(); ++i) {
    CHECK(t.upa_states[i].t_s == s.upa[i].t_s);
    CHECK(t.upa_states[i].state == s.upa[i].state);
  }
  REQUIRE(t.los.size() == s.los.size());
  for (std::size_t i = 0; i < s.los.size(); ++i) {
    CHECK(t.los[i].start_s == s.los[i].start_s);
    CHECK(t.los[i].end_s == s.los[i].end_s);
  }
  REQUIRE(t.tank_full.size() == s.tank_full.size());
  for (std::size_t i = 0; i < s.tank_full.size(); ++i) {
    CHECK(t.tank_full[i].start_s == s.tank_full[i].start_s);
    CHECK(t.tank_full[i].end_s == s.tank_full[i].end_s);
    CHECK(t.tank_full[i].spilled_ml == s.tank_full[i].spilled_ml);
  }
  REQUIRE(t.tank.size() == s.tank.size());
  for (std::size_t i = 0; i < s.tank.size(); ++i) {
    CHECK(t.tank[i].t_s == s.tank[i].t_s);
    CHECK(t.tank[i].volume_ml == s.tank[i].volume_ml);
    CHECK(t.tank[i].level_pct == s.tank[i].level_pct);
  }
  REQUIRE(t.crew.size() == s.crew.size());
  for (std::size_t i = 0; i < s.crew.size(); ++i) {
    CHECK(t.crew[i].t_s == s.crew[i].t_s);
    CHECK(t.crew[i].crew == s.crew[i].crew);
    CHECK(t.crew[i].awake == s.crew[i].awake);
  }
  REQUIRE(t.bulk.size() == s.bulk.size());
  for (std::size_t i = 0; i < s.bulk.size(); ++i) {
    CHECK(t.bulk[i].onset_s == s.bulk[i].onset_s);
    CHECK(t.bulk[i].end_s == s.bulk[i].end_s);
    CHECK(t.bulk[i].volume_ml == s.bulk[i].volume_ml);
  }
}

std::vector<std::string> default_item_names() {
  std::vector<std::string> v;
  for (int i = 0; i < kNamedItems; ++i) v.emplace_back(named_item(static_cast<ItemId>(i)));
  return v;
}

// A finished trace with the sample records.
void make_sample_trace(const std::string& path, const TraceWriter::Options& opt = {}) {
  TraceWriter w(path, sample_meta(), opt);
  write_sample(w, sample_records());
  w.finish();
}

TelemetryRow many_row(std::size_t i) {
  TelemetryRow r;
  r.t_s = 0.86 * static_cast<double>(i);
  r.t_emit_s = (i % 1000 == 7) ? kNaN : r.t_s - 0.3;
  r.iss_time_h = 120.0 + r.t_s / 3600.0;
  r.value = static_cast<double>((i / 977) % 101);
  r.seq = i * 3 + 1;
  r.status = (i % 5000 < 40) ? 0 : 24;
  return r;
}

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

const char* const kPython = "/usr/bin/python3";

}  // namespace

TEST_CASE("trace: every table and every attribute round-trips", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  const Sample s = sample_records();
  const TraceMeta meta = sample_meta();
  const std::vector<std::string> names = {"NODE3000005", "NODE3000004", "NODE3000008", "NODE3000009",
                                          "TIME_000001", "BKG_0000",    "ABCDEFGHIJKLMNOP"};

  SECTION("compressed") {
    TraceWriter w(path, meta);
    write_sample(w, s);
    w.set_item_names(names);
    w.finish();
  }
  SECTION("uncompressed, SWMR, flushed twice") {
    TraceWriter::Options opt;
    opt.deflate = 0;
    opt.swmr = true;
    TraceWriter w(path, meta, opt);
    w.flush();  // empty flush
    write_sample(w, s);
    w.flush();
    w.set_item_names(names);
    w.finish();
  }
  const Trace t = read_trace(path);
  check_meta(t.meta, meta);
  check_meta(TraceReader(path).meta(), meta);
  CHECK(t.item_names == names);
  check_sample(t, s);
}

TEST_CASE("trace: item names default to the named items, and set_duration updates the duration", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  TraceMeta meta = sample_meta();
  meta.overrides.clear();
  meta.created_utc.clear();  // the writer stamps the wall clock
  {
    TraceWriter w(path, meta);
    w.set_duration(1234.5);
    CHECK_THROWS_AS(w.set_item_names({"A_NAME_LONGER_THAN_16"}), TraceError);
    w.finish();
  }
  const Trace t = read_trace(path);
  CHECK(t.item_names == default_item_names());
  CHECK(t.meta.duration_s == 1234.5);
  CHECK(t.meta.overrides.empty());
  CHECK(t.meta.created_utc.size() == 20);  // YYYY-MM-DDTHH:MM:SSZ
  CHECK(t.meta.created_utc.back() == 'Z');
  CHECK(t.stages.empty());
  CHECK(t.telemetry[kSignal].empty());
}

TEST_CASE("trace: an unfinished writer leaves neither the file nor its .tmp", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  TraceWriter::Options opt;
  SECTION("plain") {}
  SECTION("SWMR") { opt.swmr = true; }
  {
    TraceWriter w(path, sample_meta(), opt);
    write_sample(w, sample_records());
    for (std::size_t i = 0; i < 20000; ++i) w.telemetry(kUrineTank, many_row(i));
    w.flush();
    CHECK(exists(path + ".tmp"));
    CHECK_FALSE(exists(path));
  }
  CHECK_FALSE(exists(path + ".tmp"));
  CHECK_FALSE(exists(path));
}

TEST_CASE("trace: finish renames the temp file atomically, replacing an old file", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  { std::ofstream(path) << "an older run"; }
  TraceWriter w(path, sample_meta());
  write_sample(w, sample_records());
  w.flush();
  CHECK(exists(path + ".tmp"));
  CHECK(fs::file_size(path) == 12);  // the old file, untouched until finish
  CHECK_THROWS_AS(read_trace(path), TraceError);
  w.finish();
  CHECK_FALSE(exists(path + ".tmp"));
  REQUIRE(exists(path));
  check_sample(read_trace(path), sample_records());
  // A finished writer takes no more records.
  CHECK_THROWS_AS(w.stage(StageTimes{}), TraceError);
  CHECK_THROWS_AS(w.finish(), TraceError);
}

TEST_CASE("trace: hundreds of thousands of records spanning many chunks round-trip", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("big.h5");
  TraceWriter::Options opt;
  opt.chunk_bytes = 32 * 1024;
  SECTION("deflate") {}
  SECTION("no deflate") { opt.deflate = 0; }
  SECTION("SWMR, large chunks") {
    opt.swmr = true;
    opt.chunk_bytes = 256 * 1024;
  }
  std::vector<TelemetryRow> tel;
  std::vector<StageTimes> stages;
  {
    TraceWriter w(path, sample_meta(), opt);
    for (std::size_t i = 0; i < 200000; ++i) {
      tel.push_back(many_row(i));
      w.telemetry(kUrineTank, tel.back());
      if (i % 3 == 0) {
        StageTimes s;
        s.seq = i;
        s.item = static_cast<ItemId>(i % 300);
        s.t_emit_s = tel.back().t_emit_s;
        s.t_received_s = tel.back().t_s;
        if (i % 2) s.t_stored_s = s.t_received_s + 0.01;
        stages.push_back(s);
        w.stage(s);
      }
      if (i == 12345 || i == 12346 || i == 100000) w.flush();  // partial chunks, then completed
    }
    w.finish();
  }
  const Trace t = read_trace(path);
  check_telemetry(t.telemetry[kUrineTank], tel);
  check_stages(t.stages, stages);
  CHECK(t.telemetry[kUpaState].empty());
}

namespace {
// Every chunk of every dataset in a file: its row offset, filter mask, file
// address, size and stored (compressed) bytes, in the library's chunk order.
std::vector<std::string> chunk_layout(const std::string& path) {
  std::vector<std::string> out;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  for (const char* name : {"/telemetry/NODE3000005", "/telemetry/NODE3000004", "/telemetry/NODE3000008",
                           "/telemetry/NODE3000009", "/telemetry/TIME_000001", "/pipeline/stages",
                           "/pipeline/detections", "/pipeline/posts", "/pipeline/queues", "/pipeline/stage_hist",
                           "/pipeline/stage_series", "/truth/voids", "/truth/tank", "/items"}) {
    const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t sp = H5Dget_space(d);
    hsize_t n = 0;
    REQUIRE(H5Dget_num_chunks(d, sp, &n) >= 0);
    for (hsize_t i = 0; i < n; ++i) {
      hsize_t offset = 0, size = 0;
      unsigned mask = 0;
      haddr_t addr = 0;
      REQUIRE(H5Dget_chunk_info(d, sp, i, &offset, &mask, &addr, &size) >= 0);
      std::string bytes(static_cast<std::size_t>(size), '\0');
      std::uint32_t read_mask = 0;
      REQUIRE(H5Dread_chunk(d, H5P_DEFAULT, &offset, &read_mask, bytes.data()) >= 0);
      out.push_back(std::string(name) + " row " + std::to_string(offset) + " mask " + std::to_string(mask) + " at " +
                    std::to_string(addr) + " size " + std::to_string(size) + " " + bytes);
    }
    H5Sclose(sp);
    H5Dclose(d);
  }
  H5Fclose(f);
  return out;
}
}  // namespace

TEST_CASE("trace: chunks deflated on the compressor thread are the synchronous writer's, at the same addresses",
          "[trace]") {
  TempDir tmp;
  std::vector<std::string> layout[2];
  std::uintmax_t size[2] = {};
  for (int background = 0; background < 2; ++background) {
    const std::string path = tmp.file("chunks" + std::to_string(background) + ".h5");
    TraceWriter::Options opt;
    opt.chunk_bytes = 32 * 1024;  // many chunks: more than the compressor's 16 slots at once
    opt.background = background == 1;
    {
      TraceWriter w(path, sample_meta(), opt);
      for (std::size_t i = 0; i < 120000; ++i) {
        const TelemetryRow r = many_row(i);
        w.telemetry(static_cast<ItemId>(i % 7 == 0 ? kSignal : kUrineTank), r);
        StageTimes s;
        s.seq = i;
        s.item = static_cast<ItemId>(i % 300);
        s.t_emit_s = r.t_emit_s;
        s.t_received_s = r.t_s;
        s.t_ingested_s = r.t_s + 0.002;
        s.t_stored_s = (i % 2) ? r.t_s + 0.01 : kNaN;
        w.stage(s);
        if (i % 1000 == 0) w.truth_tank(TankPoint{r.t_s, 1000.0 + i, 50.0});
        if (i == 555 || i == 556 || i == 70001) w.flush();  // partial chunks, rewritten when complete
      }
      w.finish();
    }
    layout[background] = chunk_layout(path);
    size[background] = fs::file_size(path);
  }
  REQUIRE(layout[0].size() > 40);
  CHECK(size[0] == size[1]);
  REQUIRE(layout[0].size() == layout[1].size());
  for (std::size_t i = 0; i < layout[0].size(); ++i) {
    INFO("chunk " << i << ": " << layout[0][i].substr(0, 80));
    CHECK(layout[0][i] == layout[1][i]);
  }
}

// Run by the SWMR test in a separate process (HDF5 shares an open file within
// one process, so a reader must live elsewhere to be a real SWMR reader).
TEST_CASE("trace: SWMR reader child process", "[.][trace-swmr-child]") {
  const char* file = std::getenv("PEEBOT_TRACE_SWMR_FILE");
  const char* rows = std::getenv("PEEBOT_TRACE_SWMR_ROWS");
  REQUIRE(file);
  REQUIRE(rows);
  const Trace t = read_trace(file);
  CHECK(t.meta.scenario_name == sample_meta().scenario_name);
  REQUIRE(t.telemetry[kUrineTank].size() == std::stoul(rows));
  for (std::size_t i = 0; i < t.telemetry[kUrineTank].size(); ++i)
    if (t.telemetry[kUrineTank][i].seq != many_row(i).seq) FAIL("row " << i << " differs");
}

TEST_CASE("trace: a SWMR trace can be read while it is being written", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("live.h5");
  TraceWriter::Options opt;
  opt.swmr = true;
  TraceWriter w(path, sample_meta(), opt);
  std::size_t n = 0;
  auto read_in_child = [&](std::size_t expect) {
    const std::string cmd = "PEEBOT_TRACE_SWMR_FILE=" + quote(path + ".tmp") +
                            " PEEBOT_TRACE_SWMR_ROWS=" + std::to_string(expect) + " " + quote(self_exe()) +
                            " '[trace-swmr-child]'";
    const CmdResult r = run(cmd);
    INFO(cmd << "\n" << r.output);
    CHECK(r.status == 0);
  };
  for (; n < 5000; ++n) w.telemetry(kUrineTank, many_row(n));
  w.flush();
  read_in_child(n);
  for (; n < 60000; ++n) w.telemetry(kUrineTank, many_row(n));
  w.flush();
  read_in_child(n);
  w.finish();
  CHECK(read_trace(path).telemetry[kUrineTank].size() == n);
}

TEST_CASE("trace: h5py (system python) sees the documented groups, fields and attributes", "[trace]") {
  if (!exists(kPython)) FAIL(kPython << " is missing: it (with python3-h5py) is a required test dependency");
  const CmdResult probe = run(std::string(kPython) + " -c 'import h5py, numpy'");
  if (probe.status != 0)
    FAIL(kPython << " cannot import h5py (install python3-h5py; a required test dependency):\n" << probe.output);

  TempDir tmp;
  const std::string script = std::string(PEEBOT_SOURCE_DIR) + "/tests/check_trace.py";
  const Sample s = sample_records();
  const TraceMeta m = sample_meta();
  auto check_file = [&](const std::string& path, bool deflate) {
    char num[64];
    std::string args = " --attr format=peebot-trace --attr format_version=1";
    args += " --attr mode=" + quote(m.mode) + " --attr seed=" + std::to_string(m.seed);
    args += " --attr scenario_name=" + quote(m.scenario_name) + " --attr detector=" + quote(m.detector);
    args += " --attr epoch_utc=" + quote(m.epoch_utc) + " --attr created_utc=" + quote(m.created_utc);
    args += " --attr generator=" + quote(m.generator) + " --attr has_truth=1";
    std::snprintf(num, sizeof num, "%.17g", m.epoch_unix_s);
    args += std::string(" --attr epoch_unix_s=") + num;
    std::snprintf(num, sizeof num, "%.17g", m.duration_s);
    args += std::string(" --attr duration_s=") + num;
    args += " --rows telemetry/NODE3000005=" + std::to_string(s.telemetry[0].size());
    args += " --rows telemetry/TIME_000001=" + std::to_string(s.telemetry[kSignal].size());
    args += " --rows pipeline/stages=" + std::to_string(s.stages.size());
    args += " --rows pipeline/posts=" + std::to_string(s.posts.size());
    args += " --rows truth/tank=" + std::to_string(s.tank.size());
    args += " --rows items=5";
    args += deflate ? " --deflate" : " --no-deflate";
    const std::string cmd = std::string(kPython) + " " + quote(script) + " " + quote(path) + args;
    const CmdResult r = run(cmd);
    INFO(cmd << "\n" << r.output);
    CHECK(r.status == 0);
  };
  SECTION("compressed") {
    const std::string path = tmp.file("run.h5");
    make_sample_trace(path);
    check_file(path, true);
  }
  SECTION("uncompressed, SWMR") {
    const std::string path = tmp.file("run_swmr.h5");
    TraceWriter::Options opt;
    opt.deflate = 0;
    opt.swmr = true;
    make_sample_trace(path, opt);
    check_file(path, false);
  }
}

TEST_CASE("trace: a format 1.1 trace, whose enumerated columns are bare integers, reads the same", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("new.h5"), old = tmp.file("old.h5");
  const Sample s = sample_records();
  make_sample_trace(path);
  // h5py rewrites every enumerated column as the plain integer of format 1.1.
  const std::string py =
      std::string(kPython) + " -c \"import h5py, numpy as np, shutil, sys\n"
      "shutil.copy(sys.argv[1], sys.argv[2]); f = h5py.File(sys.argv[2], 'r+'); n = 0\n"
      "for p in ['pipeline/stages', 'pipeline/detections', 'pipeline/posts', 'pipeline/queues', 'truth/upa_states']:\n"
      "  d = f[p][()]; dt = np.dtype([(k, h5py.check_enum_dtype(d.dtype.fields[k][0]) and "
      "np.dtype(d.dtype.fields[k][0].str) or d.dtype.fields[k][0]) for k in d.dtype.names])\n"
      "  n += sum(1 for k in d.dtype.names if h5py.check_enum_dtype(d.dtype.fields[k][0]))\n"
      "  del f[p]; f.create_dataset(p, data=d.astype(dt), maxshape=(None,), chunks=True)\n"
      "f.attrs['format_minor'] = np.int32(1); assert n == 5, n\n\" " + quote(path) + " " + quote(old);
  const CmdResult r = run(py);
  INFO(r.output);
  REQUIRE(r.status == 0);
  const Trace t = read_trace(old);
  check_sample(t, s);
}

TEST_CASE("trace: an enumerated value that has no name reads back as written, not remapped", "[trace]") {
  // Values outside the enum types' names (a newer writer's, or a hostile
  // file's) are kept: the reader converts nothing, the consumers judge them.
  TempDir tmp;
  const std::string path = tmp.file("odd.h5");
  Sample s = sample_records();
  s.stages[0].fate = 200;
  s.detections[0].kind = static_cast<DetectionKind>(99);
  s.posts[0].outcome = static_cast<PostOutcome>(-7);
  s.queues[0].stage = 1 << 30;
  s.upa[0].state = 3;
  {
    TraceWriter w(path, sample_meta());
    write_sample(w, s);
    w.finish();
  }
  const Trace t = read_trace(path);
  CHECK(t.stages.at(0).fate == 200);
  CHECK(static_cast<int>(t.detections.at(0).kind) == 99);
  CHECK(static_cast<int>(t.posts.at(0).outcome) == -7);
  CHECK(t.queues.at(0).stage == (1 << 30));
  CHECK(t.upa_states.at(0).state == 3);
  CHECK(TraceReader(path).stage_rows(0, 1).at(0).fate == 200);
}

TEST_CASE("trace: docs/trace-format.md's field tables are the record descriptions, field by field", "[trace]") {
  // Every table's field names, order and types in the docs are those the
  // writer and reader take from the record traits (sim/trace/schema.hpp).
  std::ifstream in(std::string(PEEBOT_SOURCE_DIR) + "/docs/trace-format.md");
  REQUIRE(in);
  const std::regex path_re("/(telemetry|pipeline|truth)/[A-Za-z0-9_]+");
  std::map<std::string, std::vector<std::string>> docs;  // path -> "name: type" per field
  std::vector<std::string> current;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind('#', 0) == 0 || line.rfind("**", 0) == 0) {
      current.clear();
      for (std::sregex_iterator m(line.begin(), line.end(), path_re), end; m != end; ++m) {
        if (m->str() == "/telemetry/ITEM")
          for (const char* p : trace_schema::kTelemetryPaths) current.push_back(p);
        else
          current.push_back(m->str());
      }
    }
    if (line.rfind("| field", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind('|', 0) != 0) {
      in_table = false;
      current.clear();  // one field table per heading
      continue;
    }
    if (line.rfind("|--", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) {
      c.erase(0, c.find_first_not_of(" `"));
      c.erase(c.find_last_not_of(" `") + 1);
      cells.push_back(c);
    }
    REQUIRE(cells.size() >= 2);
    for (const std::string& p : current) docs[p].push_back(cells[0] + ": " + cells[1]);
  }
  for (const trace_schema::Schema& s : trace_schema::schemas()) {
    INFO("table " << s.path);
    std::vector<std::string> want;
    for (const trace_schema::Field& f : s.fields) want.push_back(std::string(f.name) + ": " + trace_schema::type_text(f));
    CHECK(docs[s.path] == want);
  }
}

TEST_CASE("trace: h5dump -H reads the file", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  make_sample_trace(path);
  const CmdResult r = run("h5dump -H " + quote(path));
  INFO(r.output.substr(0, 2000));
  REQUIRE(r.status == 0);
  CHECK(r.output.find("GROUP \"pipeline\"") != std::string::npos);
  CHECK(r.output.find("DATASET \"NODE3000005\"") != std::string::npos);
  CHECK(r.output.find("\"t_emit_s\"") != std::string::npos);
}

TEST_CASE("trace: read_trace names the file and the problem", "[trace]") {
  using Catch::Matchers::Contains;
  TempDir tmp;

  SECTION("missing file") {
    const std::string path = tmp.file("nope.h5");
    const std::string msg = trace_error([&] { read_trace(path); });
    CHECK_THAT(msg, Contains(path) && Contains("no such file"));
    CHECK_THAT(trace_error([&] { TraceReader(path).meta(); }), Contains(path));
  }
  SECTION("not an HDF5 file") {
    const std::string path = tmp.file("notes.txt");
    std::ofstream(path) << "just text\n";
    const std::string msg = trace_error([&] { read_trace(path); });
    CHECK_THAT(msg, Contains(path) && Contains("not an HDF5 file"));
  }
  SECTION("an HDF5 file that is not a trace") {
    const std::string path = tmp.file("other.h5");
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    H5Fclose(f);
    const std::string msg = trace_error([&] { read_trace(path); });
    CHECK_THAT(msg, Contains(path) && Contains("format"));
  }
  SECTION("a newer format version") {
    const std::string path = tmp.file("future.h5");
    make_sample_trace(path);
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    const std::int32_t v = kTraceFormatVersion + 1;
    H5Awrite(a, H5T_NATIVE_INT32, &v);
    H5Aclose(a);
    H5Fclose(f);
    const std::string msg = trace_error([&] { TraceReader(path).meta(); });
    CHECK_THAT(msg, Contains(path) && Contains("format_version 2"));
  }
  SECTION("a missing table") {
    const std::string path = tmp.file("partial.h5");
    make_sample_trace(path);
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    H5Ldelete(f, "/truth/los", H5P_DEFAULT);
    H5Fclose(f);
    const std::string msg = trace_error([&] { read_trace(path); });
    CHECK_THAT(msg, Contains(path) && Contains("/truth/los"));
    CHECK(TraceReader(path).meta().scenario_name == sample_meta().scenario_name);  // attributes only
  }
}

TEST_CASE("trace: a writer that cannot create its file throws with the file name", "[trace]") {
  TempDir tmp;
  const std::string path = tmp.file("no/such/dir/run.h5");
  const std::string msg = trace_error([&] { TraceWriter w(path, sample_meta()); });
  CHECK_THAT(msg, Catch::Matchers::Contains(path));
}

// Issue 14: a trace is input. Out-of-range attributes and time columns are
// refused when the trace is opened, naming the attribute or dataset, row and field.
TEST_CASE("trace: the reader refuses non-finite or out-of-range spans, epochs, times and crew indices", "[trace]") {
  using Catch::Matchers::Contains;
  TempDir tmp;
  const double inf = std::numeric_limits<double>::infinity();
  const auto with_meta = [&](const std::string& name, auto edit) {
    const std::string path = tmp.file(name);
    TraceMeta m = sample_meta();
    edit(m);
    TraceWriter w(path, m);
    write_sample(w, sample_records());
    w.finish();
    return path;
  };
  SECTION("duration_s 1e12, inf, negative") {
    for (double d : {1e12, inf, -1.0}) {
      const std::string p = with_meta("dur.h5", [&](TraceMeta& m) { m.duration_s = d; });
      const std::string msg = trace_error([&] { read_trace(p); });
      CHECK_THAT(msg, Contains(p) && Contains("attribute 'duration_s' = ") && Contains("expected a finite span"));
      CHECK_THAT(trace_error([&] { TraceReader(p).meta(); }), Contains("duration_s"));
      std::vector<double> t, v;
      CHECK_THAT(trace_error([&] { TraceReader(p).telemetry_columns(kUrineTank, t, v); }), Contains("duration_s"));
      CHECK_THAT(trace_error([&] { TraceReader tail(p, TraceReader::Mode::follow); }), Contains("duration_s"));
    }
  }
  SECTION("epoch_unix_s NaN") {
    const std::string p = with_meta("epoch.h5", [&](TraceMeta& m) { m.epoch_unix_s = kNaN; });
    CHECK_THAT(trace_error([&] { read_trace(p); }), Contains("attribute 'epoch_unix_s' = nan") && Contains("years 1 .. 9999"));
  }
  SECTION("one tank t_s of 1e300, -inf or NaN names the table, the row and the field") {
    for (double bad : {1e300, -inf, kNaN}) {
      const std::string p = tmp.file("tank.h5");
      {
        TraceWriter w(p, sample_meta());
        Sample s = sample_records();
        s.tank.push_back({40.0, 1.0, 2.0});
        s.tank.push_back({bad, 1.0, 2.0});
        write_sample(w, s);
        w.finish();
      }
      const std::size_t row = sample_records().tank.size() + 1;
      const std::string msg = trace_error([&] { read_trace(p); });
      CHECK_THAT(msg, Contains(p) && Contains("/truth/tank row " + std::to_string(row) + ": t_s = ") &&
                          Contains("expected a finite time"));
    }
  }
  SECTION("a telemetry t_s of inf, through every reader") {
    const std::string p = tmp.file("tel.h5");
    {
      TraceWriter w(p, sample_meta());
      write_sample(w, sample_records());
      TelemetryRow r;
      r.t_s = inf;
      w.telemetry(kUrineTank, r);
      w.finish();
    }
    const std::size_t row = sample_records().telemetry[kUrineTank].size();
    const std::string want = "/telemetry/NODE3000005 row " + std::to_string(row) + ": t_s = inf";
    CHECK_THAT(trace_error([&] { read_trace(p); }), Contains(want));
    std::vector<double> t, v;
    CHECK_THAT(trace_error([&] { TraceReader(p).telemetry_columns(kUrineTank, t, v); }), Contains(want));
    TraceReader tail(p, TraceReader::Mode::follow);
    CHECK_THAT(trace_error([&] { tail.telemetry_columns(kUrineTank, t, v, 0); }), Contains(want));
    TraceSelection only_truth;
    for (bool& b : only_truth.telemetry) b = false;
    CHECK_NOTHROW(read_trace(p, only_truth));  // the bad table is not read
  }
  SECTION("a measured value of inf, a crew index of 2^31-1") {
    const std::string p = tmp.file("vals.h5");
    {
      TraceWriter w(p, sample_meta());
      Sample s = sample_records();
      s.crew.push_back({7200.0, 2147483647, 1});
      write_sample(w, s);
      w.finish();
    }
    CHECK_THAT(trace_error([&] { read_trace(p); }), Contains("/truth/crew row 3: crew = 2147483647; expected a crew index"));
    const std::string q = tmp.file("vals2.h5");
    {
      TraceWriter w(q, sample_meta());
      write_sample(w, sample_records());
      TelemetryRow r;
      r.t_s = 10.0;
      r.value = -inf;
      w.telemetry(kWasteWater, r);
      w.finish();
    }
    CHECK_THAT(trace_error([&] { read_trace(q); }), Contains("/telemetry/NODE3000008 row") && Contains("value = -inf"));
  }
  SECTION("the bounds themselves are accepted") {
    const std::string p = with_meta("edge.h5", [&](TraceMeta& m) {
      m.duration_s = kTraceMaxSpanS;
      m.epoch_unix_s = kTraceMaxEpochUnixS;
    });
    CHECK_NOTHROW(read_trace(p));
  }
}
