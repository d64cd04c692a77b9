// The HDF5 trace writer. Layout, dtypes and units: docs/trace-format.md.
//
// Every table is a 1-D chunked dataset of a packed compound type, described
// once per record (RecordTraits, schema.hpp): the writer packs each record
// into the chunk buffer as its description says (no conversion on write).
// It keeps one buffer per table, sized to one chunk, and writes it with one
// direct chunk write (H5Dwrite_chunk, shuffled and deflated here) whenever it
// completes a chunk; flush() also writes the partial current chunk.
// With deflate on and SWMR off, a second thread (the compressor) shuffles
// and deflates the chunks while the caller goes on filling the next ones;
// the caller's thread makes every HDF5 call, in the order it completed the
// chunks, so the file is the same bit for bit whatever the threads' timing.
// The reader is reader.cpp.
#include "trace.hpp"

#include <hdf5.h>
#include <zlib.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <utility>

#include "../util/files.hpp"
#include "../util/time.hpp"
#include "h5.hpp"
#include "schema.hpp"

namespace peebot {
namespace {

using namespace h5;
using namespace trace_schema;

const char* const kGroups[] = {"/telemetry", "/pipeline", "/truth"};

std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += '\n';
    s += v[i];
  }
  return s;
}

}  // namespace

// ================================================================== stage summaries
int stage_hist_bin(double seconds) {
  if (!(seconds >= 1e-6)) return 0;
  const double x = (std::log10(seconds) - kStageHistLog10Lo) * kStageHistBinsPerDecade;
  return static_cast<int>(std::min<double>(kStageHistBins - 1, 1.0 + std::floor(x)));
}

double stage_hist_edge(int bin) {
  if (bin <= 0) return -HUGE_VAL;
  if (bin >= kStageHistBins) return HUGE_VAL;
  return std::pow(10.0, kStageHistLog10Lo + static_cast<double>(bin - 1) / kStageHistBinsPerDecade);
}

// ================================================================== writer
struct TraceWriter::Impl {
  struct Table {
    const Schema* schema = nullptr;
    Handle type;
    Handle dset;
    std::vector<unsigned char> buf;   // the current chunk: packed rows, allocated once
    std::vector<unsigned char> shuf;  // its shuffled bytes (deflate only)
    std::vector<unsigned char> zbuf;  // its compressed bytes (deflate only)
    std::size_t rec = 0;              // bytes per row
    std::size_t chunk_rows = 0;
    std::size_t n = 0;                // rows in the current chunk
    std::size_t on_disk = 0;          // of which already written (by a flush)
    hsize_t chunk_start = 0;          // row index of the current chunk's first row
  };

  std::string path;
  std::string tmp;
  Options opt;
  Handle file;
  Handle groups[3];
  Handle items;
  Table tables[kTableCount];
  std::vector<std::string> item_names;
  bool items_dirty = true;
  double duration_s = 0.0;
  bool finished = false;
  bool created = false;  // tmp is this writer's file (discard() may remove it)
  z_stream z{};
  bool z_ready = false;

  // Per-stage latency summaries (format 1.1), accumulated as stage rows are
  // written and stored by finish(): a histogram per quantity on fixed log
  // bins, and min/max/mean per quantity per bucket of t_received.
  struct Acc {
    std::uint32_t n = 0;
    double mn = 0.0, mx = 0.0, sum = 0.0;
  };
  struct Bucket {
    Acc q[kStageQuantities];
    std::uint64_t row_first = 0, row_last = 0;
    bool any = false;
  };
  std::vector<std::uint64_t> hist[kStageQuantities];
  std::vector<Bucket> buckets;
  std::uint64_t stage_rows = 0;
  static constexpr double kMaxBuckets = 1 << 22;  // 8 years of 60 s buckets

  void summarize(const StageTimes& s) {
    const std::uint64_t row = stage_rows++;
    if (static_cast<UpdateFate>(s.fate) != UpdateFate::kDelivered) return;
    double d[kStageQuantities];
    stage_latencies(s, d);
    for (int k = 0; k < kStageQuantities; ++k) {
      if (std::isnan(d[k])) continue;
      if (hist[k].empty()) hist[k].assign(kStageHistBins, 0);
      ++hist[k][static_cast<std::size_t>(stage_hist_bin(d[k]))];
    }
    const double b = s.t_received_s / kStageBucketS;
    if (!(b >= 0.0 && b < kMaxBuckets)) return;
    const auto bi = static_cast<std::size_t>(b);
    if (bi >= buckets.size()) buckets.resize(bi + 1);
    Bucket& bu = buckets[bi];
    if (!bu.any) bu.row_first = row;
    bu.any = true;
    bu.row_last = row;
    for (int k = 0; k < kStageQuantities; ++k) {
      if (std::isnan(d[k])) continue;
      Acc& a = bu.q[k];
      a.mn = a.n ? std::min(a.mn, d[k]) : d[k];
      a.mx = a.n ? std::max(a.mx, d[k]) : d[k];
      a.sum += d[k];
      ++a.n;
    }
  }

  void write_summary() {
    for (int k = 0; k < kStageQuantities; ++k)
      for (std::size_t i = 0; i < hist[k].size(); ++i)
        if (hist[k][i]) {
          const double lo = stage_hist_edge(static_cast<int>(i)), hi = stage_hist_edge(static_cast<int>(i) + 1);
          put(kStageHistT, StageHistBin{k, lo, hi, hist[k][i]});
        }
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      const Bucket& bu = buckets[i];
      for (int k = 0; k < kStageQuantities && bu.any; ++k) {
        const Acc& a = bu.q[k];
        if (a.n == 0) continue;
        put(kStageSeriesT, StageBucket{static_cast<double>(i) * kStageBucketS, k, a.n, a.mn, a.mx, a.sum / a.n,
                                       bu.row_first, bu.row_last});
      }
    }
    drain();
    write_attr(file.get(), "stage_summary_rows", H5T_NATIVE_UINT64, &stage_rows, tmp);
  }

  Impl(const std::string& p, const TraceMeta& meta, const Options& o) : path(p), tmp(p + ".tmp"), opt(o) {
    QuietHdf5 quiet;
    duration_s = meta.duration_s;
    for (int i = 0; i < kNamedItems; ++i) item_names.emplace_back(named_item(static_cast<ItemId>(i)));
    try {
      open(meta);
    } catch (...) {
      discard();
      throw;
    }
  }

  ~Impl() {
    stop_compressor();
    if (!finished) discard();
    if (z_ready) deflateEnd(&z);
    if (wz_ready) deflateEnd(&wz);
  }

  void open(const TraceMeta& meta) {
    Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), tmp, "H5Pcreate"), H5Pclose);
    if (opt.swmr)
      check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), tmp, "H5Pset_libver_bounds");
    // Created exclusively (O_CREAT | O_EXCL: never through a link or a file
    // planted at the name); a stale entry there (an old run's leftover, or a
    // symbolic link) is removed first, never followed.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
      fail(tmp, std::string("cannot remove the stale temporary: ") + std::strerror(errno), false);
    file = Handle(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!file.valid()) fail(tmp, "cannot create file");
    created = true;
    register_temp_file(tmp);

    // Root attributes, all created now (SWMR forbids new ones later).
    const hid_t f = file.get();
    const std::int32_t version = kTraceFormatVersion;
    const std::int32_t has_truth = meta.has_truth ? 1 : 0;
    write_str_attr(f, "format", kFormatName, tmp);
    write_attr(f, "format_version", H5T_NATIVE_INT32, &version, tmp);
    write_str_attr(f, "mode", meta.mode, tmp);
    write_attr(f, "seed", H5T_NATIVE_UINT64, &meta.seed, tmp);
    write_str_attr(f, "scenario_name", meta.scenario_name, tmp);
    write_str_attr(f, "scenario_toml", meta.scenario_toml, tmp);
    write_str_attr(f, "overrides", join_lines(meta.overrides), tmp);
    write_str_attr(f, "epoch_utc", meta.epoch_utc, tmp);
    write_attr(f, "epoch_unix_s", H5T_NATIVE_DOUBLE, &meta.epoch_unix_s, tmp);
    write_attr(f, "duration_s", H5T_NATIVE_DOUBLE, &duration_s, tmp);
    write_str_attr(f, "created_utc", meta.created_utc.empty() ? format_utc(static_cast<double>(std::time(nullptr))) : meta.created_utc, tmp);
    write_str_attr(f, "generator", meta.generator, tmp);
    write_attr(f, "has_truth", H5T_NATIVE_INT32, &has_truth, tmp);
    write_str_attr(f, "detector", meta.detector, tmp);
    // Format 1.1 (additive): the stage summaries; stage_summary_rows is the
    // number of /pipeline/stages rows they cover (0 until finish()).
    const std::int32_t minor = kTraceFormatMinor;
    const std::uint64_t no_rows = 0;
    write_attr(f, "format_minor", H5T_NATIVE_INT32, &minor, tmp);
    write_attr(f, "stage_summary_rows", H5T_NATIVE_UINT64, &no_rows, tmp);

    for (int g = 0; g < 3; ++g) {
      groups[g] = Handle(H5Gcreate2(f, kGroups[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      if (!groups[g].valid()) fail(tmp, std::string("cannot create group ") + kGroups[g]);
    }

    const std::size_t chunk_bytes = std::clamp<std::size_t>(opt.chunk_bytes, 32 * 1024, 256 * 1024);
    // SWMR (live mode) writes each chunk where readers see it at once: no compressor.
    const bool compress_behind = opt.deflate > 0 && opt.background && !opt.swmr;
    {
      Handle st = fixed_string_type(kItemNameBytes, H5T_CSET_ASCII, tmp);
      items = create_dataset("/items", st.get(), std::max<std::size_t>(1, chunk_bytes / kItemNameBytes));
      write_str_attr(items.get(), "units", "item name by ItemId (16 bytes, null-padded)", tmp);
    }
    const auto& sch = schemas();
    for (int i = 0; i < kTableCount; ++i) {
      Table& t = tables[i];
      t.schema = &sch[i];
      t.rec = sch[i].rec_size;
      t.chunk_rows = std::max<std::size_t>(1, chunk_bytes / t.rec);
      t.type = make_type(sch[i], tmp);
      t.dset = create_dataset(sch[i].path, t.type.get(), t.chunk_rows);
      write_str_attr(t.dset.get(), "units", sch[i].units, tmp);
      if (i == kStageSeriesT) write_attr(t.dset.get(), "bucket_s", H5T_NATIVE_DOUBLE, &kStageBucketS, tmp);
      // chunk_bytes long (a chunk's rows fill chunk_rows * rec of it), so the
      // compressor's slots and the tables can swap buffers.
      t.buf.resize(chunk_bytes);
      if (opt.deflate > 0 && !compress_behind) {
        t.shuf.resize(t.buf.size());
        t.zbuf.resize(compressBound(static_cast<uLong>(t.buf.size())));
      }
    }
    if (opt.swmr) {
      if (H5Fstart_swmr_write(f) < 0) fail(tmp, "H5Fstart_swmr_write failed");
    }
    if (compress_behind) start_compressor(chunk_bytes);
  }

  Handle create_dataset(const char* name, hid_t type, std::size_t chunk_rows) {
    const hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = chunk_rows;
    Handle space(check(H5Screate_simple(1, &dims, &maxdims), tmp, "H5Screate_simple"), H5Sclose);
    Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), tmp, "H5Pcreate"), H5Pclose);
    check(H5Pset_chunk(dcpl.get(), 1, &chunk), tmp, "H5Pset_chunk");
    if (opt.deflate > 0) {
      check(H5Pset_shuffle(dcpl.get()), tmp, "H5Pset_shuffle");
      check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::min(opt.deflate, 9))), tmp, "H5Pset_deflate");
    }
    Handle d(H5Dcreate2(file.get(), name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
    if (!d.valid()) fail(tmp, std::string("cannot create dataset ") + name);
    return d;
  }

  void require_open() const {
    if (finished) throw TraceError("trace '" + path + "': writer already finished");
    if (!broken.empty()) throw TraceError(broken + " (an earlier chunk failed to write)");
    if (!file.valid()) throw TraceError("trace '" + tmp + "': writer is not open (an earlier error closed it)");
  }

  // Appends rows [written, written + count) to a dataset.
  void append_rows(hid_t dset, hid_t type, hsize_t start, hsize_t count, const void* data, const char* name) {
    const hsize_t size = start + count;
    if (H5Dset_extent(dset, &size) < 0) fail(tmp, std::string("cannot extend ") + name);
    Handle fs(H5Dget_space(dset), H5Sclose);
    if (!fs.valid() || H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0)
      fail(tmp, std::string("cannot select rows of ") + name);
    Handle ms(check(H5Screate_simple(1, &count, nullptr), tmp, "H5Screate_simple"), H5Sclose);
    if (H5Dwrite(dset, type, ms.get(), fs.get(), H5P_DEFAULT, data) < 0)
      fail(tmp, std::string("cannot write ") + name);
    if (opt.swmr && H5Dflush(dset) < 0) fail(tmp, std::string("cannot flush ") + name);
  }

  // Writes the current chunk (whole, or partial on flush) with one direct
  // chunk write: the rows are shuffled and deflated exactly as HDF5's
  // shuffle + deflate filters would, into buffers allocated once. (Going
  // through H5Dwrite costs several malloc/free of chunk-sized buffers per
  // chunk; on some hosts each one trims the heap with a slow brk call.)
  // With the compressor running, the chunk goes to it instead, and the
  // chunks it has finished are stored (store_done) first, oldest first.
  void write_chunk(Table& t) {
    if (t.n == t.on_disk) return;
    const std::size_t bytes = t.chunk_rows * t.rec;
    if (t.n < t.chunk_rows) std::memset(t.buf.data() + t.n * t.rec, 0, bytes - t.n * t.rec);  // deterministic tail
    const hsize_t rows = t.chunk_start + t.n;
    if (worker.joinable()) {
      submit(t, rows);
    } else {
      const void* data = t.buf.data();
      std::size_t size = bytes;
      if (opt.deflate > 0) {
        const char* err = compress_chunk(zstream(), t.buf.data(), t.chunk_rows, t.rec, t.shuf.data(), t.zbuf, size);
        if (err) fail(tmp, std::string(err) + " for " + t.schema->path, false);
        data = t.zbuf.data();
      }
      store(t, rows, data, size);
    }
    t.on_disk = t.n;
    if (t.n == t.chunk_rows) {
      t.chunk_start += t.chunk_rows;
      t.n = t.on_disk = 0;
    }
  }

  // The HDF5 half of a chunk write: extend the table to `rows` and write the
  // (compressed) chunk that starts at row chunk_start.
  void store_chunk(Table& t, hsize_t rows, hsize_t chunk_start, const void* data, std::size_t size) {
    QuietHdf5 quiet;
    const char* name = t.schema->path;
    if (H5Dset_extent(t.dset.get(), &rows) < 0) fail(tmp, std::string("cannot extend ") + name);
    if (H5Dwrite_chunk(t.dset.get(), H5P_DEFAULT, 0, &chunk_start, size, data) < 0)
      fail(tmp, std::string("cannot write ") + name);
    if (opt.swmr && H5Dflush(t.dset.get()) < 0) fail(tmp, std::string("cannot flush ") + name);
  }
  void store(Table& t, hsize_t rows, const void* data, std::size_t size) { store_chunk(t, rows, t.chunk_start, data, size); }

  // Shuffles `elements` rows of `rec` bytes (byte j of row i goes to
  // j * elements + i) and deflates them with `z` (reset first) into `out`.
  // Returns nullptr, or what failed. Touches nothing but its arguments: the
  // compressor thread runs it.
  static const char* compress_chunk(z_stream& z, const unsigned char* in, std::size_t elements, std::size_t rec,
                                    unsigned char* shuf, std::vector<unsigned char>& out, std::size_t& size) {
    const std::size_t e = elements, r = rec, bytes = e * r;
    for (std::size_t j = 0; j < r; ++j)
      for (std::size_t i = 0; i < e; ++i) shuf[j * e + i] = in[i * r + j];
    // One zlib stream per thread, reset per chunk (compress2 would allocate
    // and free ~300 KiB of state every time); the same output as compress2.
    if (deflateReset(&z) != Z_OK) return "deflate failed";
    z.next_in = shuf;
    z.avail_in = static_cast<uInt>(bytes);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) return "deflate failed";
    size = out.size() - z.avail_out;
    return nullptr;
  }

  z_stream& zstream() {
    if (!z_ready) z_ready = init_zstream(z);
    return z;
  }
  bool init_zstream(z_stream& s) {
    s = z_stream{};
    if (deflateInit(&s, std::min(opt.deflate, 9)) != Z_OK) fail(tmp, "deflateInit failed", false);
    return true;
  }

  // ---- The compressor: a ring of kSlots chunk jobs. The caller fills a
  // slot (swapping its chunk buffer with the slot's for a full chunk, copying
  // it for a partial one), the compressor deflates slots in order, and the
  // caller stores finished slots in order. Counters only grow; a slot is
  // free when stored; the caller waits when every slot is taken (bounded
  // memory: kSlots x 3 chunk buffers).
  static constexpr std::size_t kSlots = 16;
  struct Job {
    int table = 0;
    hsize_t rows = 0, chunk_start = 0;
    std::size_t elements = 0, rec = 0;
    std::vector<unsigned char> raw, shuf, zbuf;
    std::size_t size = 0;
    const char* error = nullptr;
  };
  Job jobs[kSlots];
  std::uint64_t submitted = 0;  // written by the caller, under mu
  std::uint64_t compressed = 0;  // written by the compressor, under mu
  std::uint64_t stored = 0;      // the caller's only
  bool stop = false;             // under mu
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::thread worker;
  z_stream wz{};  // the compressor's stream
  bool wz_ready = false;
  std::string broken;  // set when storing a chunk failed: every later call fails with it

  void start_compressor(std::size_t chunk_bytes) {
    for (Job& j : jobs) {
      j.raw.resize(chunk_bytes);
      j.shuf.resize(chunk_bytes);
      j.zbuf.resize(compressBound(static_cast<uLong>(chunk_bytes)));
    }
    wz_ready = init_zstream(wz);
    // The compressor takes no signals: SIGINT and SIGTERM go to the caller's
    // thread, whose handler removes the temporary (install_interrupt_cleanup).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
      worker = std::thread([this] { compressor(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void compressor() {
    std::uint64_t next = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu);
        work_cv.wait(lk, [&] { return stop || next < submitted; });
        if (next == submitted) return;  // stopped with nothing left
      }
      Job& j = jobs[next % kSlots];
      j.error = compress_chunk(wz, j.raw.data(), j.elements, j.rec, j.shuf.data(), j.zbuf, j.size);
      {
        std::lock_guard<std::mutex> lk(mu);
        compressed = ++next;
      }
      done_cv.notify_one();
    }
  }

  void stop_compressor() noexcept {
    if (!worker.joinable()) return;
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    work_cv.notify_one();
    worker.join();
  }

  // Stores compressed chunks, oldest first: every finished one, or (wait)
  // until `until` chunks are stored.
  void store_done(std::uint64_t until, bool wait) {
    while (stored < submitted) {
      std::uint64_t have;
      {
        std::unique_lock<std::mutex> lk(mu);
        if (wait && compressed <= stored && stored < until) done_cv.wait(lk, [&] { return compressed > stored; });
        have = compressed;
      }
      if (have <= stored) return;
      for (; stored < have; ++stored) {
        Job& j = jobs[stored % kSlots];
        try {
          if (j.error) fail(tmp, std::string(j.error) + " for " + tables[j.table].schema->path, false);
          store_chunk(tables[j.table], j.rows, j.chunk_start, j.zbuf.data(), j.size);
        } catch (const TraceError& e) {
          broken = e.what();
          throw;
        }
      }
      if (!wait || stored >= until) return;
    }
  }

  // Waits for the compressor and stores every chunk handed to it: before any
  // other HDF5 call, so the calls come in the order of the synchronous writer.
  void drain() {
    if (worker.joinable()) store_done(submitted, true);
  }

  void submit(Table& t, hsize_t rows) {
    if (submitted - stored == kSlots) store_done(stored + 1, true);  // every slot taken: free the oldest
    Job& j = jobs[submitted % kSlots];
    j.table = static_cast<int>(&t - tables);
    j.rows = rows;
    j.chunk_start = t.chunk_start;
    j.elements = t.chunk_rows;
    j.rec = t.rec;
    j.error = nullptr;
    if (t.n == t.chunk_rows)
      j.raw.swap(t.buf);  // both chunk_bytes long; the table fills the slot's old buffer next
    else
      std::memcpy(j.raw.data(), t.buf.data(), t.chunk_rows * t.rec);  // a partial chunk the table keeps filling
    {
      std::lock_guard<std::mutex> lk(mu);
      ++submitted;
    }
    work_cv.notify_one();
    store_done(submitted, false);  // what is finished already, without waiting
  }

  // Appends one record, packed as its RecordTraits describe, to table `id`.
  template <class Rec>
  void put(int id, const Rec& rec) {
    Table& t = tables[id];
    if (t.n >= t.chunk_rows || !file.valid() || !broken.empty()) {  // finished, or an earlier chunk failed to write
      require_open();
      write_chunk(t);
    }
    pack(rec, t.buf.data() + t.n * t.rec);
    if (++t.n == t.chunk_rows) write_chunk(t);
  }

  void write_items() {
    if (!items_dirty) return;
    QuietHdf5 quiet;
    std::vector<char> buf(item_names.size() * kItemNameBytes, '\0');
    for (std::size_t i = 0; i < item_names.size(); ++i)
      std::memcpy(buf.data() + i * kItemNameBytes, item_names[i].data(), item_names[i].size());
    Handle st = fixed_string_type(kItemNameBytes, H5T_CSET_ASCII, tmp);
    const hsize_t n = item_names.size();
    if (n == 0) {
      if (H5Dset_extent(items.get(), &n) < 0) fail(tmp, "cannot resize /items");
    } else {
      append_rows(items.get(), st.get(), 0, n, buf.data(), "/items");
    }
    items_dirty = false;
  }

  void flush_all() {
    QuietHdf5 quiet;
    for (Table& t : tables) write_chunk(t);
    drain();
    write_items();
    write_attr(file.get(), "duration_s", H5T_NATIVE_DOUBLE, &duration_s, tmp);
    if (H5Fflush(file.get(), H5F_SCOPE_LOCAL) < 0) fail(tmp, "H5Fflush failed");
  }

  // Closes every handle; returns false if any close failed.
  bool close_all() {
    bool ok = true;
    for (Table& t : tables) {
      ok = t.dset.reset() && ok;
      ok = t.type.reset() && ok;
    }
    ok = items.reset() && ok;
    for (Handle& g : groups) ok = g.reset() && ok;
    ok = file.reset() && ok;
    return ok;
  }

  // Drops the temp file (unfinished writer or failed creation). Never throws.
  void discard() noexcept {
    stop_compressor();
    QuietHdf5 quiet;
    close_all();
    H5Eclear2(H5E_DEFAULT);
    if (created) std::remove(tmp.c_str());  // only a file this writer created
    unregister_temp_file(tmp);
  }

  void finish() {
    require_open();
    QuietHdf5 quiet;
    write_summary();
    flush_all();
    if (!close_all()) fail(tmp, "closing the file failed");
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      fail(path, std::string("cannot rename '") + tmp + "' to it: " + std::strerror(errno), false);
    unregister_temp_file(tmp);
    finished = true;
  }
};

TraceWriter::TraceWriter(const std::string& path, const TraceMeta& meta, const Options& options)
    : impl_(std::make_unique<Impl>(path, meta, options)) {}

TraceWriter::~TraceWriter() = default;

void TraceWriter::telemetry(ItemId item, const TelemetryRow& r) {
  if (item < kNamedItems) impl_->put(kTelemetry0 + item, r);
}
void TraceWriter::stage(const StageTimes& s) {
  impl_->summarize(s);
  impl_->put(kStagesT, s);
}
void TraceWriter::detection(const Detection& d) { impl_->put(kDetectionsT, d); }
void TraceWriter::post(const Post& p) { impl_->put(kPostsT, p); }
void TraceWriter::queue(const QueueSample& q) { impl_->put(kQueuesT, q); }
void TraceWriter::truth_void(const VoidEvent& v) { impl_->put(kVoidsT, v); }
void TraceWriter::truth_upa(const UpaStateChange& u) { impl_->put(kUpaT, u); }
void TraceWriter::truth_los(const LosWindow& w) { impl_->put(kLosT, w); }
void TraceWriter::truth_tank_full(const TankFullEpisode& e) { impl_->put(kTankFullT, e); }
void TraceWriter::truth_tank(const TankPoint& p) { impl_->put(kTankT, p); }
void TraceWriter::truth_crew(const CrewStateChange& c) { impl_->put(kCrewT, c); }
void TraceWriter::truth_bulk(const BulkTransfer& b) { impl_->put(kBulkT, b); }

void TraceWriter::set_item_names(const std::vector<std::string>& names) {
  impl_->require_open();
  for (const std::string& n : names)
    if (n.size() > kItemNameBytes)
      throw TraceError("trace '" + impl_->tmp + "': item name '" + n + "' is longer than 16 bytes");
  impl_->item_names = names;
  impl_->items_dirty = true;
}

void TraceWriter::set_duration(double seconds) {
  impl_->require_open();
  impl_->duration_s = seconds;
}

void TraceWriter::flush() {
  impl_->require_open();
  impl_->flush_all();
}

void TraceWriter::finish() { impl_->finish(); }

}  // namespace peebot
