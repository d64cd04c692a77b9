// The HDF5 trace reader: TraceReader, the one way every consumer reads a
// trace. Layout, dtypes and units: docs/trace-format.md; what it checks:
// docs/security.md. A trace is untrusted input: every attribute and row is
// checked as it is read (the record descriptions' checks, schema.hpp), and no
// allocation is sized by a number the file declares before its storage backs
// it. The writer is writer.cpp.
#include "trace.hpp"

#include <hdf5.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "h5.hpp"
#include "schema.hpp"

namespace peebot {
namespace {

using namespace h5;
using namespace trace_schema;

bool file_exists(const std::string& path);

struct Reader {
  std::string path;
  Handle file;

  bool swmr = false;  // opened with H5F_ACC_SWMR_READ

  // swmr_first: try a SWMR-read open before a plain one (TraceReader::Mode::follow).
  explicit Reader(const std::string& p, bool swmr_first = false) : path(p) {
    if (!file_exists(path)) fail(path, "no such file", false);
    const htri_t is = H5Fis_hdf5(path.c_str());
    if (is == 0) fail(path, "not an HDF5 file", false);
    if (is < 0) fail(path, "cannot read the file");
    if (swmr_first) {
      file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT), H5Fclose);
      swmr = file.valid();
      if (!swmr) H5Eclear2(H5E_DEFAULT);
    }
    if (!file.valid()) file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) {
      // A file that a SWMR writer still holds refuses a plain open.
      const std::string first = hdf5_stack();
      file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT), H5Fclose);
      swmr = file.valid();
      if (!file.valid()) {
        H5Eclear2(H5E_DEFAULT);
        fail(path, "cannot open (also tried SWMR read) [HDF5: " + first + "]", false);
      }
    }
    std::string format;
    if (H5Aexists(file.get(), "format") <= 0) fail(path, "no 'format' attribute: not a peebot trace", false);
    format = str_attr("format");
    if (format != kFormatName)
      fail(path, "format attribute is '" + format + "', not '" + kFormatName + "': not a peebot trace", false);
    const std::int32_t version = num_attr<std::int32_t>("format_version", H5T_NATIVE_INT32);
    if (version > kTraceFormatVersion)
      fail(path,
           "format_version " + std::to_string(version) + " is newer than this reader supports (" +
               std::to_string(kTraceFormatVersion) + ")",
           false);
    check_span_attributes();
  }

  // The root attributes that consumers size things by: finite and in range.
  void check_span_attributes() {
    const auto bounded = [&](const char* name, double lo, double hi, const char* want) {
      if (H5Aexists(file.get(), name) <= 0) return;  // meta() names a missing one
      const double v = num_attr<double>(name, H5T_NATIVE_DOUBLE);
      if (!(v >= lo && v <= hi))
        fail(path, std::string("attribute '") + name + "' = " + number_text(v) + "; expected " + want, false);
    };
    bounded("duration_s", 0.0, kTraceMaxSpanS, "a finite span of 0 .. 316224000 s (10 years)");
    bounded("epoch_unix_s", kTraceMinEpochUnixS, kTraceMaxEpochUnixS,
            "a finite Unix time in years 1 .. 9999 (-62135596800 .. 253402300799)");
  }

  Handle open_attr(const char* name) {
    if (H5Aexists(file.get(), name) <= 0) fail(path, std::string("missing attribute '") + name + "'", false);
    Handle a(H5Aopen(file.get(), name, H5P_DEFAULT), H5Aclose);
    if (!a.valid()) fail(path, std::string("cannot open attribute '") + name + "'");
    // One value (read into one variable): an array attribute would overflow it.
    Handle sp(H5Aget_space(a.get()), H5Sclose);
    if (!sp.valid() || H5Sget_simple_extent_npoints(sp.get()) != 1)
      fail(path, std::string("attribute '") + name + "' is not a single value", false);
    return a;
  }

  std::string str_attr(const char* name) {
    Handle a = open_attr(name);
    Handle ft(H5Aget_type(a.get()), H5Tclose);
    if (!ft.valid() || H5Tget_class(ft.get()) != H5T_STRING)
      fail(path, std::string("attribute '") + name + "' is not a string", false);
    const H5T_cset_t cset = H5Tget_cset(ft.get());
    if (H5Tis_variable_str(ft.get()) > 0) {
      Handle mt = vlen_string_type(path);
      H5Tset_cset(mt.get(), cset);
      char* p = nullptr;
      if (H5Aread(a.get(), mt.get(), &p) < 0) fail(path, std::string("cannot read attribute '") + name + "'");
      std::string s = p ? p : "";
      if (p) H5free_memory(p);
      return s;
    }
    const std::size_t n = H5Tget_size(ft.get());
    Handle mt = fixed_string_type(n, cset, path);
    std::vector<char> buf(n + 1, '\0');
    if (H5Aread(a.get(), mt.get(), buf.data()) < 0) fail(path, std::string("cannot read attribute '") + name + "'");
    std::string s = from_fixed(buf.data(), n);
    while (!s.empty() && s.back() == ' ') s.pop_back();  // space-padded strings
    return s;
  }

  template <class T>
  T num_attr(const char* name, hid_t type) {
    Handle a = open_attr(name);
    T v{};
    if (H5Aread(a.get(), type, &v) < 0) fail(path, std::string("cannot read attribute '") + name + "'");
    return v;
  }

  TraceMeta meta() {
    TraceMeta m;
    m.format_version = num_attr<std::int32_t>("format_version", H5T_NATIVE_INT32);
    m.mode = str_attr("mode");
    m.seed = num_attr<std::uint64_t>("seed", H5T_NATIVE_UINT64);
    m.scenario_name = str_attr("scenario_name");
    m.scenario_toml = str_attr("scenario_toml");
    const std::string ov = str_attr("overrides");
    m.overrides.clear();
    for (std::size_t b = 0; !ov.empty() && b <= ov.size();) {
      std::size_t e = ov.find('\n', b);
      if (e == std::string::npos) e = ov.size();
      m.overrides.push_back(ov.substr(b, e - b));
      b = e + 1;
    }
    m.epoch_utc = str_attr("epoch_utc");
    m.epoch_unix_s = num_attr<double>("epoch_unix_s", H5T_NATIVE_DOUBLE);
    m.duration_s = num_attr<double>("duration_s", H5T_NATIVE_DOUBLE);
    m.created_utc = str_attr("created_utc");
    m.generator = str_attr("generator");
    m.has_truth = num_attr<std::int32_t>("has_truth", H5T_NATIVE_INT32) != 0;
    m.detector = str_attr("detector");
    return m;
  }

  // Opens a dataset, naming the first missing path component in the error.
  Handle open_dataset(const std::string& dpath) {
    for (std::size_t pos = dpath.find('/', 1);; pos = dpath.find('/', pos + 1)) {
      const std::string prefix = dpath.substr(0, pos);
      if (H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        fail(path, "missing " + prefix + (prefix == dpath ? "" : " (needed for " + dpath + ")"), false);
      }
      if (pos == std::string::npos) break;
    }
    Handle d(H5Dopen2(file.get(), dpath.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.valid()) fail(path, "cannot open dataset " + dpath);
    return d;
  }

  // Rows of a 1-D table that its storage holds. The extent is a number the
  // file declares: every chunk up to it must be stored (the writer stores each
  // one as it extends the table), so a hostile extent is refused here, before
  // anything is read or sized by it. A SWMR writer extends a table just before
  // it stores the chunk: a SWMR reader takes the stored rows.
  hsize_t rows(hid_t d, const std::string& dpath) {
    Handle sp(H5Dget_space(d), H5Sclose);
    if (!sp.valid() || H5Sget_simple_extent_ndims(sp.get()) != 1) fail(path, dpath + " is not a 1-D dataset");
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp.get(), &n, nullptr);
    if (n == 0) return 0;
    const hsize_t stored = stored_rows(d, sp.get(), dpath, n);
    if (stored >= n) return n;
    if (swmr) return stored;
    fail(path,
         dpath + " declares " + std::to_string(n) + " rows but stores " + std::to_string(stored) +
             " (a damaged or hand-made file)",
         false);
  }

  // Rows that the dataset's storage covers (at most n).
  hsize_t stored_rows(hid_t d, hid_t space, const std::string& dpath, hsize_t n) {
    Handle dcpl(H5Dget_create_plist(d), H5Pclose);
    if (!dcpl.valid()) fail(path, "cannot read the layout of " + dpath);
    switch (H5Pget_layout(dcpl.get())) {
      case H5D_COMPACT:
        return n;  // held in the object header
      case H5D_CONTIGUOUS: {
        Handle ft(H5Dget_type(d), H5Tclose);
        const std::size_t rec = ft.valid() ? H5Tget_size(ft.get()) : 0;
        if (rec == 0) fail(path, "cannot read the type of " + dpath);
        return std::min<hsize_t>(n, H5Dget_storage_size(d) / rec);
      }
      case H5D_CHUNKED: {
        hsize_t chunk = 0, chunks = 0;
        if (H5Pget_chunk(dcpl.get(), 1, &chunk) != 1 || chunk == 0)
          fail(path, "cannot read the chunk size of " + dpath);
        if (H5Dget_num_chunks(d, space, &chunks) < 0) fail(path, "cannot count the chunks of " + dpath);
        // Chunks lie at multiples of `chunk` below the extent: the stored rows
        // are all of them only when every chunk is there.
        const hsize_t needed = (n - 1) / chunk + 1;
        return chunks >= needed ? n : chunks * chunk;
      }
      default:
        fail(path, dpath + " has an unknown layout", false);
    }
  }

  // Reads rows [first, first + limit) of an open table (clamped to `total`,
  // its rows) block by block as the packed rows `s` describes, validates them
  // (validate_rows) and calls each(rows, count) per block. Returns the rows
  // read. Nothing is sized by the table's length: memory grows with what is
  // read, and running out of it is a TraceError naming the table.
  template <class Each>
  hsize_t read_packed(hid_t d, const Schema& s, hsize_t total, hsize_t first, hsize_t limit, Each each) {
    Handle ft(H5Dget_type(d), H5Tclose);
    if (!ft.valid() || H5Tget_class(ft.get()) != H5T_COMPOUND) fail(path, std::string(s.path) + " is not a table");
    for (const Field& f : s.fields)
      if (H5Tget_member_index(ft.get(), f.name) < 0) {
        H5Eclear2(H5E_DEFAULT);
        fail(path, std::string(s.path) + " lacks field '" + f.name + "'", false);
      }
    Handle mt = make_type(s, path, ft.get());
    first = std::min(first, total);
    const hsize_t n = first + std::min(limit, total - first);
    constexpr hsize_t kBlock = 1 << 16;
    try {
      std::vector<unsigned char> buf(static_cast<std::size_t>(std::min(n - first, kBlock)) * s.rec_size);
      Handle fs(H5Dget_space(d), H5Sclose);
      for (hsize_t start = first; start < n; start += kBlock) {
        const hsize_t count = std::min(kBlock, n - start);
        Handle ms(H5Screate_simple(1, &count, nullptr), H5Sclose);
        if (H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0 ||
            H5Dread(d, mt.get(), ms.get(), fs.get(), H5P_DEFAULT, buf.data()) < 0)
          fail(path, std::string("cannot read ") + s.path);
        validate_rows(s, buf.data(), start, static_cast<std::size_t>(count), path);
        each(buf.data(), static_cast<std::size_t>(count));
      }
    } catch (const std::bad_alloc&) {
      fail(path, "out of memory reading " + std::to_string(n - first) + " rows of " + s.path, false);
    } catch (const std::length_error&) {
      fail(path, "out of memory reading " + std::to_string(n - first) + " rows of " + s.path, false);
    }
    return n - first;
  }

  // Appends the records of rows [first, first + limit) of open table `id` to out.
  template <class Rec>
  void read_rows(hid_t d, int id, hsize_t total, std::vector<Rec>& out, hsize_t first = 0,
                 hsize_t limit = ~hsize_t{0}) {
    const Schema& s = schemas()[static_cast<std::size_t>(id)];
    read_packed(d, s, total, first, limit, [&](const unsigned char* p, std::size_t count) {
      out.reserve(out.size() + count);
      for (std::size_t i = 0; i < count; ++i) out.push_back(unpack<Rec>(p + i * s.rec_size));
    });
  }

  // Appends the t_s and value columns of telemetry rows [first, first + limit) to t and v.
  std::uint64_t read_time_value(hid_t d, ItemId item, hsize_t total, std::vector<double>& t, std::vector<double>& v,
                                hsize_t first, hsize_t limit) {
    static const Schema* const kCols = [] {
      static std::vector<Schema> cols;
      for (int i = 0; i < kNamedItems; ++i) cols.push_back(subset(schemas()[kTelemetry0 + i], {"t_s", "value"}));
      return cols.data();
    }();
    const std::size_t had = t.size(), had_v = v.size();
    try {
      return read_packed(d, kCols[item], total, first, limit, [&](const unsigned char* p, std::size_t count) {
        t.reserve(t.size() + count);
        v.reserve(v.size() + count);
        for (std::size_t i = 0; i < count; ++i) {
          double x[2];
          std::memcpy(x, p + i * 2 * sizeof(double), sizeof x);
          t.push_back(x[0]);
          v.push_back(x[1]);
        }
      });
    } catch (...) {  // nothing half-appended
      t.resize(had);
      v.resize(had_v);
      throw;
    }
  }

  // /items: at most one name per ItemId, each at most 1 KiB wide.
  std::vector<std::string> item_names() {
    Handle d = open_dataset("/items");
    Handle ft(H5Dget_type(d.get()), H5Tclose);
    if (!ft.valid() || H5Tget_class(ft.get()) != H5T_STRING || H5Tis_variable_str(ft.get()) > 0)
      fail(path, "/items is not a fixed-length string dataset", false);
    const std::size_t w = H5Tget_size(ft.get());
    if (w == 0 || w > 1024) fail(path, "/items names are " + std::to_string(w) + " bytes wide; expected 1 .. 1024", false);
    const hsize_t n = rows(d.get(), "/items");
    if (n > 65536) fail(path, "/items has " + std::to_string(n) + " names; expected at most 65536 (one per item id)", false);
    Handle mt = fixed_string_type(w, H5Tget_cset(ft.get()), path);
    std::vector<char> buf(static_cast<std::size_t>(n) * w + 1, '\0');
    if (n > 0 && H5Dread(d.get(), mt.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      fail(path, "cannot read /items");
    std::vector<std::string> out;
    for (hsize_t i = 0; i < n; ++i) out.push_back(from_fixed(buf.data() + i * w, w));
    return out;
  }
};

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

// ================================================================== TraceReader
struct TraceReader::Impl {
  Reader r;
  Handle dsets[kTableCount];   // opened at first use (follow: all at once)
  std::uint64_t n[kTableCount] = {};  // rows as of the open or the last refresh()
  std::optional<StageSummary> summary;  // read at first use, again after a refresh() that saw rows come

  Impl(const std::string& path, Mode mode) : r(path, mode == Mode::follow) {
    if (mode == Mode::follow)
      for (int i = 0; i < kTableCount; ++i) open(i);
  }

  // Opens table i; false when it is a stage summary table that the trace
  // lacks (format 1.0). A missing table of any other kind is an error.
  bool open(int i) {
    if (dsets[i].valid()) return true;
    const Schema& s = schemas()[static_cast<std::size_t>(i)];
    if (i >= kStageHistT && H5Lexists(r.file.get(), s.path, H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    Handle d = r.open_dataset(s.path);
    n[i] = r.rows(d.get(), s.path);
    dsets[i] = std::move(d);
    return true;
  }
  std::uint64_t rows(int i) { return open(i) ? n[i] : 0; }

  // Appends rows [first, first + count) of table i, clamped to its rows, to out.
  template <class Rec>
  void read(int i, std::vector<Rec>& out, std::uint64_t first = 0, std::uint64_t count = ~std::uint64_t{0}) {
    if (!open(i)) return;
    r.read_rows(dsets[i].get(), i, n[i], out, first, count);
  }

  StageSummary read_summary() {
    StageSummary out;
    const hid_t f = r.file.get();
    if (!open(kStageHistT) || !open(kStageSeriesT)) return out;
    if (H5Aexists(f, "stage_summary_rows") <= 0) return out;
    out.stage_rows = r.num_attr<std::uint64_t>("stage_summary_rows", H5T_NATIVE_UINT64);
    if (rows(kStagesT) != out.stage_rows) return out;  // an unfinished writer's file
    read(kStageHistT, out.hist);
    read(kStageSeriesT, out.buckets);
    const hid_t d = dsets[kStageSeriesT].get();
    if (H5Aexists(d, "bucket_s") > 0) {
      Handle a(H5Aopen(d, "bucket_s", H5P_DEFAULT), H5Aclose);
      if (!a.valid() || H5Aread(a.get(), H5T_NATIVE_DOUBLE, &out.bucket_s) < 0) fail(r.path, "cannot read bucket_s");
      if (!(out.bucket_s > 0 && out.bucket_s <= kTraceMaxSpanS))
        fail(r.path, "/pipeline/stage_series bucket_s = " + number_text(out.bucket_s) + "; expected 0 < s <= 316224000",
             false);
    }
    out.present = true;
    return out;
  }
};

TraceReader::TraceReader(const std::string& path, Mode mode) {
  QuietHdf5 quiet;
  impl_ = std::make_unique<Impl>(path, mode);
}
TraceReader::~TraceReader() = default;
const std::string& TraceReader::path() const { return impl_->r.path; }
bool TraceReader::swmr() const { return impl_->r.swmr; }

TraceMeta TraceReader::meta() {
  QuietHdf5 quiet;
  return impl_->r.meta();
}

bool TraceReader::refresh() {
  QuietHdf5 quiet;
  bool grew = false;
  for (int i = 0; i < kTableCount; ++i) {
    if (!impl_->open(i)) continue;
    const char* p = schemas()[static_cast<std::size_t>(i)].path;
    const hid_t d = impl_->dsets[i].get();
    if (impl_->r.swmr && H5Drefresh(d) < 0) fail(impl_->r.path, std::string("H5Drefresh of ") + p);
    const std::uint64_t rows = impl_->r.rows(d, p);
    grew = grew || rows > impl_->n[i];
    impl_->n[i] = rows;
  }
  if (grew) impl_->summary.reset();
  return grew;
}

std::uint64_t TraceReader::rows(const std::string& table) {
  QuietHdf5 quiet;
  for (int i = 0; i < kTableCount; ++i)
    if (table == schemas()[static_cast<std::size_t>(i)].path) return impl_->rows(i);
  fail(impl_->r.path, "no table " + table, false);
}

Trace TraceReader::read(const TraceSelection& which) {
  QuietHdf5 quiet;
  Impl& m = *impl_;
  Trace t;
  t.meta = m.r.meta();
  t.item_names = m.r.item_names();
  for (int i = 0; i < kNamedItems; ++i)
    if (which.telemetry[i]) m.read(kTelemetry0 + i, t.telemetry[i]);
  if (which.stages) m.read(kStagesT, t.stages);
  if (which.detections) m.read(kDetectionsT, t.detections);
  if (which.posts) m.read(kPostsT, t.posts);
  if (which.queues) m.read(kQueuesT, t.queues);
  if (!which.truth) return t;
  m.read(kVoidsT, t.voids);
  m.read(kUpaT, t.upa_states);
  m.read(kLosT, t.los);
  m.read(kTankFullT, t.tank_full);
  m.read(kTankT, t.tank);
  m.read(kCrewT, t.crew);
  m.read(kBulkT, t.bulk);
  return t;
}

std::uint64_t TraceReader::telemetry_columns(ItemId item, std::vector<double>& t, std::vector<double>& v,
                                             std::uint64_t first, std::uint64_t count) {
  if (item >= kNamedItems) throw TraceError("trace '" + path() + "': item id " + std::to_string(item) + " is not stored");
  QuietHdf5 quiet;
  const int i = kTelemetry0 + item;
  impl_->open(i);
  return impl_->r.read_time_value(impl_->dsets[i].get(), item, impl_->n[i], t, v, first, count);
}

std::vector<StageTimes> TraceReader::stage_rows(std::uint64_t first, std::uint64_t count) {
  QuietHdf5 quiet;
  std::vector<StageTimes> out;
  impl_->read(kStagesT, out, first, count);
  return out;
}

std::uint64_t TraceReader::stage_rows_received(double t0, double t1,
                                               const std::function<void(const std::vector<StageTimes>&)>& each) {
  const StageSummary& s = stage_summary();
  QuietHdf5 quiet;
  std::uint64_t first = 0, last = impl_->rows(kStagesT);  // [first, last)
  if (s.present) {
    first = UINT64_MAX;
    last = 0;
    for (const StageBucket& b : s.buckets)
      if (b.t_s <= t1 && b.t_s + s.bucket_s >= t0) {
        first = std::min(first, b.row_first);
        last = std::max(last, b.row_last + 1);
      }
    if (first == UINT64_MAX) return 0;
  }
  constexpr std::uint64_t kBlock = 1u << 18;
  std::uint64_t read = 0;
  std::vector<StageTimes> rows, in;
  for (std::uint64_t a = first; a < last; a += kBlock) {
    rows.clear();
    impl_->read(kStagesT, rows, a, std::min(kBlock, last - a));
    if (rows.empty()) break;  // past the table (a summary pointing beyond it)
    read += rows.size();
    in.clear();
    for (const StageTimes& r : rows)
      if (r.t_received_s >= t0 && r.t_received_s <= t1) in.push_back(r);
    if (!in.empty()) each(in);
  }
  return read;
}

const StageSummary& TraceReader::stage_summary() {
  if (!impl_->summary) {
    QuietHdf5 quiet;
    impl_->summary = impl_->read_summary();
  }
  return *impl_->summary;
}

Trace read_trace(const std::string& path, const TraceSelection& which) { return TraceReader(path).read(which); }

}  // namespace peebot
