// libFuzzer target for the trace reader and everything that consumes a trace
// (issue 14: a hand-made trace crashed `compare` and the viewer). The input
// bytes choose the attributes and the rows of a small trace, written through
// TraceWriter (which checks nothing) with extreme values mixed in (inf, NaN,
// 1e300, huge crew and enum values); the trace is then opened by read_trace and
// the viewer's load_model, and, when accepted, measured by the feed
// statistics (compare, calibrate) and the report. A refusal must be a
// TraceError; any crash, sanitizer report, uncaught
// exception, timeout or runaway allocation (-rss_limit_mb / -malloc_limit_mb)
// is a finding. Built and run by scripts/fuzz.sh.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "sim/analysis/feed_stats.hpp"
#include "sim/report/report.hpp"
#include "sim/trace/trace.hpp"
#include "viz/model.hpp"

using namespace peebot;

namespace {

double pick_double(FuzzedDataProvider& in, double lo, double hi) {
  static const double kSpecial[] = {0.0,
                                    -0.0,
                                    1.0,
                                    -1.0,
                                    60.0,
                                    86400.0,
                                    1e12,
                                    -1e12,
                                    1e300,
                                    -1e300,
                                    std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN(),
                                    std::numeric_limits<double>::denorm_min(),
                                    std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::lowest(),
                                    kTraceMaxSpanS,
                                    -kTraceMaxSpanS,
                                    kTraceMaxEpochUnixS,
                                    kTraceMinEpochUnixS};
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return in.PickValueInArray(kSpecial);
    case 1: return in.ConsumeFloatingPoint<double>();  // anything, finite
    default: return in.ConsumeFloatingPointInRange<double>(lo, hi);  // plausible
  }
}

std::int32_t pick_int(FuzzedDataProvider& in, std::int32_t lo, std::int32_t hi) {
  return in.ConsumeBool() ? in.ConsumeIntegral<std::int32_t>() : in.ConsumeIntegralInRange<std::int32_t>(lo, hi);
}

void write_trace(FuzzedDataProvider& in, const std::string& path) {
  TraceMeta m;
  static const char* const kModes[] = {"sim", "import", "live", ""};
  m.mode = in.PickValueInArray(kModes);
  m.seed = in.ConsumeIntegral<std::uint64_t>();
  m.scenario_name = in.ConsumeRandomLengthString(24);
  m.epoch_utc = "2025-01-06T00:00:00Z";
  m.epoch_unix_s = pick_double(in, 1.6e9, 1.8e9);
  m.duration_s = pick_double(in, 0, 30 * 86400.0);
  m.has_truth = in.ConsumeBool();
  m.detector = in.ConsumeBool() ? "step" : "rule";
  TraceWriter::Options o;
  o.deflate = 0;
  o.chunk_bytes = 32 * 1024;  // the smallest: less to write per input
  TraceWriter w(path, m, o);
  const double span = 3 * 86400.0;
  double t = 0;
  while (in.remaining_bytes() > 0) {
    t += in.ConsumeFloatingPointInRange<double>(0, 600);
    const double tt = in.ConsumeIntegralInRange<int>(0, 15) == 0 ? pick_double(in, 0, span) : t;
    switch (in.ConsumeIntegralInRange<int>(0, 11)) {
      case 0: case 1: case 2: case 3: {
        TelemetryRow r;
        r.t_s = tt;
        r.t_emit_s = in.ConsumeBool() ? tt - 1 : pick_double(in, 0, span);
        r.iss_time_h = pick_double(in, 0, 8800);
        r.value = in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(0, 100) : pick_double(in, -5, 105);
        r.seq = in.ConsumeIntegral<std::uint64_t>();
        r.status = pick_int(in, 0, 24);
        w.telemetry(static_cast<ItemId>(in.ConsumeIntegralInRange<int>(0, kNamedItems - 1)), r);
        break;
      }
      case 4: {
        StageTimes s;
        s.seq = in.ConsumeIntegralInRange<std::uint64_t>(0, 1000);
        s.item = in.ConsumeIntegral<std::uint16_t>();
        s.fate = in.ConsumeIntegral<std::uint8_t>();
        s.t_emit_s = tt;
        s.t_published_s = pick_double(in, tt, tt + 2);
        s.t_received_s = pick_double(in, tt, tt + 3);
        s.t_ingested_s = pick_double(in, tt, tt + 4);
        s.t_detected_s = pick_double(in, tt, tt + 5);
        s.t_stored_s = pick_double(in, tt, tt + 6);
        w.stage(s);
        break;
      }
      case 5: {
        Detection d;
        d.id = in.ConsumeIntegral<std::uint64_t>();
        d.onset_s = tt;
        d.onset_lo_s = pick_double(in, tt - 60, tt);
        d.end_s = pick_double(in, tt, tt + 120);
        d.emitted_s = pick_double(in, tt, tt + 300);
        d.size_pct = pick_double(in, 0, 10);
        d.size_ml = pick_double(in, 0, 1000);
        d.kind = static_cast<DetectionKind>(pick_int(in, 1, 6));
        d.confidence = static_cast<float>(pick_double(in, 0, 1));
        w.detection(d);
        break;
      }
      case 6: {
        Post p;
        p.detection_id = in.ConsumeIntegral<std::uint64_t>();
        p.t_detected_s = tt;
        p.t_first_attempt_s = pick_double(in, tt, tt + 10);
        p.t_done_s = pick_double(in, tt, tt + 20);
        p.attempts = pick_int(in, 0, 5);
        p.outcome = static_cast<PostOutcome>(pick_int(in, 0, 3));
        p.text = in.ConsumeRandomLengthString(400);
        w.post(p);
        break;
      }
      case 7: w.queue(QueueSample{tt, pick_int(in, 0, 3), pick_int(in, 0, 100), pick_int(in, 0, 100)}); break;
      case 8:
        w.truth_void(VoidEvent{tt, pick_double(in, tt, tt + 60), pick_int(in, 0, 6), pick_double(in, 0, 500),
                               pick_double(in, 0, 500), in.ConsumeBool()});
        break;
      case 9:
        if (in.ConsumeBool()) w.truth_los(LosWindow{tt, pick_double(in, tt, tt + 3600)});
        else w.truth_upa(UpaStateChange{tt, pick_int(in, 0, 40)});
        break;
      case 10:
        if (in.ConsumeBool()) w.truth_tank(TankPoint{tt, pick_double(in, 0, 20000), pick_double(in, 0, 100)});
        else w.truth_crew(CrewStateChange{tt, pick_int(in, 0, 6), pick_int(in, 0, 1)});
        break;
      default:
        if (in.ConsumeBool()) w.truth_bulk(BulkTransfer{tt, pick_double(in, tt, tt + 600), pick_double(in, 0, 5000)});
        else w.truth_tank_full(TankFullEpisode{tt, pick_double(in, tt, tt + 600), pick_double(in, 0, 500)});
        break;
    }
  }
  w.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                                  "/peebot-fuzz-trace-" + std::to_string(::getpid()) + ".h5";
  FuzzedDataProvider in(data, size);
  write_trace(in, path);
  // The viewer reads what it shows at open and the stage rows later (its
  // background reads report a TraceError as a load error): a refusal is a
  // TraceError, never a crash.
  try {
    viz::Model vm = viz::load_model(path, false);  // latency from the stored stage summaries ...
    (void)viz::range_stats(vm, vm.t_begin, (vm.t_begin + vm.t_end) / 2);
    (void)format_utc(vm.meta.epoch_unix_s + vm.t_end);
    try {
      viz::install(vm, viz::load_latency(*vm.reader));  // ... and from the stage rows
    } catch (const TraceError&) {
    }
    (void)viz::range_stats(vm, vm.t_begin, vm.t_end);
  } catch (const TraceError&) {
  }
  Trace t;
  try {
    t = read_trace(path);
  } catch (const TraceError&) {
    return 0;  // refused
  }
  // Accepted: every consumer copes.
  FeedStatsParams fp;
  fp.use_upa_state = !t.telemetry[kUpaState].empty();
  const FeedStats fs = compute_feed_stats(t, fp);
  (void)ks_two_sample(fs.inter_update_s.values, fs.rise_size_pct.values);
  const Report r = compute_report(t, ReportParams{});
  (void)format_report_text(r, t.meta);
  (void)format_report_json(r, t.meta);
  return 0;
}
