// TraceReader: one open, row and time ranges, and what it refuses (a hostile
// declared length, an array where one value belongs).
#include <catch2/catch.hpp>
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/trace/trace.hpp"
#include "trace_fixtures.hpp"

using namespace peebot;
using peebot::test::TempDir;
using peebot::test::trace_error;
using Catch::Matchers::Contains;

namespace {

// 3000 delivered updates, one a second, each with a telemetry sample; with
// stage summaries when finished (swmr: left unfinished, for the caller to finish).
void write_rows(TraceWriter& w) {
  for (int i = 0; i < 3000; ++i) {
    const double t = i;
    w.telemetry(kUrineTank, TelemetryRow{t, t - 0.5, 0.0, 40.0 + i % 7, static_cast<std::uint64_t>(i), 24});
    StageTimes s;
    s.seq = static_cast<std::uint64_t>(i);
    s.t_emit_s = t - 0.5;
    s.t_received_s = t;
    s.t_ingested_s = s.t_detected_s = s.t_stored_s = t + 0.01 * (i % 5);
    w.stage(s);
  }
}

std::string finished_trace(const TempDir& d, const std::string& name) {
  const std::string p = d.file(name);
  TraceWriter w(p, TraceMeta{});
  write_rows(w);
  w.finish();
  return p;
}

// Declares `rows` rows for a table without storing them.
void declare_rows(const std::string& path, const char* table, hsize_t rows) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  const hid_t d = H5Dopen2(f, table, H5P_DEFAULT);
  REQUIRE(d >= 0);
  REQUIRE(H5Dset_extent(d, &rows) >= 0);
  H5Dclose(d);
  H5Fclose(f);
}

}  // namespace

TEST_CASE("trace reader: one open gives row ranges, the rows of a time range and the summary", "[trace]") {
  TempDir d;
  const std::string p = finished_trace(d, "ranges.h5");
  TraceReader r(p);
  REQUIRE(r.rows("/pipeline/stages") == 3000);
  const std::vector<StageTimes> all = r.stage_rows(0, 3000);
  REQUIRE(all.size() == 3000);
  // A row range is the same rows as the whole table's slice; clamped at the end.
  const std::vector<StageTimes> mid = r.stage_rows(1200, 50);
  REQUIRE(mid.size() == 50);
  CHECK(mid.front().seq == 1200);
  CHECK(mid.back().seq == 1249);
  CHECK(r.stage_rows(2990, 100).size() == 10);
  CHECK(r.stage_rows(5000, 10).empty());
  std::vector<double> t, v;
  CHECK(r.telemetry_columns(kUrineTank, t, v, 100, 20) == 20);
  CHECK(t.front() == 100.0);
  CHECK(v.back() == 40.0 + 119 % 7);
  // A time range: exactly the rows received in [t0, t1], read from the
  // summary's buckets (a few minutes of the 50), not the whole table.
  REQUIRE(r.stage_summary().present);
  std::vector<std::uint64_t> seqs;
  const std::uint64_t read = r.stage_rows_received(1000.0, 1100.0, [&](const std::vector<StageTimes>& rows) {
    for (const StageTimes& s : rows) seqs.push_back(s.seq);
  });
  REQUIRE(seqs.size() == 101);
  CHECK(seqs.front() == 1000);
  CHECK(seqs.back() == 1100);
  CHECK(read >= 101);
  CHECK(read <= 4 * 60);
  std::uint64_t none = 0;
  r.stage_rows_received(1e6, 2e6, [&](const std::vector<StageTimes>& rows) { none += rows.size(); });
  CHECK(none == 0);
}

TEST_CASE("trace reader: a trace still being written is read as far as refreshed, time ranges from its rows",
          "[trace]") {
  TempDir d;
  const std::string p = d.file("growing.h5");
  TraceWriter::Options o;
  o.swmr = true;
  TraceWriter w(p, TraceMeta{}, o);
  write_rows(w);
  w.flush();
  TraceReader r(p + ".tmp", TraceReader::Mode::follow);
  CHECK_FALSE(r.stage_summary().present);  // not finished: no summaries yet
  REQUIRE(r.rows("/pipeline/stages") == 3000);
  std::uint64_t in = 0;
  CHECK(r.stage_rows_received(10.0, 19.0, [&](const std::vector<StageTimes>& rows) { in += rows.size(); }) == 3000);
  CHECK(in == 10);
  // More rows: not seen until refresh(), then seen.
  StageTimes s;
  s.seq = 3000;
  s.t_received_s = s.t_emit_s = s.t_ingested_s = s.t_detected_s = s.t_stored_s = 3000.0;
  w.stage(s);
  w.flush();
  CHECK(r.rows("/pipeline/stages") == 3000);
  CHECK(r.read().stages.size() == 3000);
  CHECK(r.refresh());
  CHECK(r.rows("/pipeline/stages") == 3001);
  CHECK(r.stage_rows(3000, 5).at(0).seq == 3000);
  CHECK_FALSE(r.refresh());
  w.finish();
}

TEST_CASE("trace reader: a declared length the file does not store is a TraceError naming the file and table",
          "[trace]") {
  TempDir d;
  SECTION("/pipeline/stages declaring 10^12 rows") {
    const std::string p = finished_trace(d, "long.h5");
    declare_rows(p, "/pipeline/stages", 1000000000000ull);
    const std::string want = "/pipeline/stages declares 1000000000000 rows but stores ";
    CHECK_THAT(trace_error([&] { read_trace(p); }), Contains(p) && Contains(want));
    CHECK_THAT(trace_error([&] { TraceReader(p).stage_rows(0, 10); }), Contains(p) && Contains(want));
    CHECK_THAT(trace_error([&] { TraceReader(p).rows("/pipeline/stages"); }), Contains(want));
    TraceSelection no_stages;
    no_stages.stages = false;
    CHECK_NOTHROW(read_trace(p, no_stages));  // the other tables are fine
  }
  SECTION("a telemetry table and /items") {
    const std::string p = finished_trace(d, "items.h5");
    declare_rows(p, "/telemetry/NODE3000005", hsize_t{1} << 40);
    std::vector<double> t, v;
    CHECK_THAT(trace_error([&] { TraceReader(p).telemetry_columns(kUrineTank, t, v); }),
               Contains(p) && Contains("/telemetry/NODE3000005 declares 1099511627776 rows"));
    CHECK(t.empty());
    const std::string q = finished_trace(d, "items2.h5");
    declare_rows(q, "/items", hsize_t{1} << 40);
    CHECK_THAT(trace_error([&] { read_trace(q); }), Contains(q) && Contains("/items declares"));
  }
  SECTION("a table with no stored chunk declaring 3 rows") {
    const std::string p = finished_trace(d, "fill.h5");
    declare_rows(p, "/truth/los", 3);  // no rows written, so no chunk: refused
    CHECK_THAT(trace_error([&] { read_trace(p); }), Contains("/truth/los declares 3 rows but stores 0"));
  }
}

TEST_CASE("trace reader: an attribute holding an array where one value belongs is refused", "[trace]") {
  TempDir d;
  const std::string p = finished_trace(d, "attr.h5");
  {
    const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    REQUIRE(H5Adelete(f, "seed") >= 0);
    const hsize_t n = 1000;
    const hid_t sp = H5Screate_simple(1, &n, nullptr);
    const hid_t a = H5Acreate2(f, "seed", H5T_NATIVE_UINT64, sp, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    const std::vector<std::uint64_t> values(n, 7);
    REQUIRE(H5Awrite(a, H5T_NATIVE_UINT64, values.data()) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Fclose(f);
  }
  CHECK_THAT(trace_error([&] { TraceReader(p).meta(); }), Contains(p) && Contains("attribute 'seed' is not a single value"));
}
