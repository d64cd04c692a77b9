// peebot replay TRACE.h5 [--detector step|rule] [-o out.h5] [--json]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "../report/json.hpp"
#include "../wallclock/runner.hpp"
#include "cli.hpp"
#include "import_options.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace {

int cmd_replay(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot replay TRACE.h5|RECORDING [--detector step|rule] [-o out.h5] [--json]\n\n"
      "Re-runs the pipeline (ingest -> detect -> store -> post, dry run) over a\n"
      "trace's recorded telemetry as fast as possible, offline, with the same stage\n"
      "code as `peebot live`: updates are ordered by their receive time and timed by\n"
      "their TimeStamp, so a trace served by `peebot serve` and followed live gives\n"
      "the same detections. Prints the detections and the posting decisions.\n"
      "A raw recording (the formats `peebot import` reads) is imported in memory\n"
      "first, with the import options below.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("trace", po::value<std::string>(), "trace file (HDF5)")
      ("detector", po::value<std::string>(), "detector kind (default: the trace's scenario, else step)")
      ("output,o", po::value<std::string>(), "write the replay's trace here (telemetry, detections, posts)")
      ("json", "print the detections as JSON");
  add_import_options(opts);
  po::positional_options_description pos;
  pos.add("trace", 1);
  const auto vm = parse_args("replay", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("trace")) throw UsageError("replay", "missing TRACE.h5");
  const std::string path = vm["trace"].as<std::string>();
  if (vm.count("output")) check_output_path("replay", "-o", vm["output"].as<std::string>(), {path});
  const Trace t = read_trace_or_recording(path, vm, "replay");
  PipelineParams pp = scenario_of(t.meta, path).pipeline;
  if (vm.count("detector")) pp.detector.kind = vm["detector"].as<std::string>();
  if (pp.detector.kind != "step" && pp.detector.kind != "rule") {
    try { (void)make_detector(pp.detector); } catch (const std::invalid_argument& e) { throw UsageError("replay", e.what()); }
  }
  std::unique_ptr<TraceWriter> out;
  if (vm.count("output")) {
    TraceMeta m = t.meta;
    m.detector = pp.detector.kind;
    m.created_utc.clear();
    m.has_truth = false;
    out = std::make_unique<TraceWriter>(vm["output"].as<std::string>(), m);
  }
  live::DryRunSink sink(false);
  live::Runner runner(pp, out.get(), t.meta.epoch_unix_s, &sink, 1e300);
  const double end = live::replay_trace(runner, t);
  runner.finish(end);
  if (out) out->finish();
  const auto& c = runner.counters();
  const auto& ds = runner.detections();
  if (vm.count("json")) {
    // Times and sizes to the millisecond and 0.001 %, as this output always gave them.
    const auto milli = [](double v) {
      char b[64];
      std::snprintf(b, sizeof b, "%.3f", v);
      return Json(std::strtod(b, nullptr));  // NaN stays NaN: written as null
    };
    Json dets = Json::array();
    for (const Detection& d : ds)
      dets.push_back(Json{{"id", d.id},
                          {"onset_s", milli(d.onset_s)},
                          {"end_s", milli(d.end_s)},
                          {"size_pct", milli(d.size_pct)},
                          {"kind", static_cast<int>(d.kind)}});
    std::cout << dump_json(Json{{"updates", c.updates}, {"accepted", c.accepted}, {"detections", std::move(dets)},
                                {"posts_sent", c.posts_sent}});
  } else {
    std::printf("replayed %llu updates (%llu accepted, %llu duplicates, %llu stale, %llu invalid) with detector %s\n",
                static_cast<unsigned long long>(c.updates), static_cast<unsigned long long>(c.accepted),
                static_cast<unsigned long long>(c.duplicates), static_cast<unsigned long long>(c.stale),
                static_cast<unsigned long long>(c.invalid), pp.detector.kind.c_str());
    std::printf("%zu detections, %llu posts sent, %llu not urinations\n", ds.size(),
                static_cast<unsigned long long>(c.posts_sent), static_cast<unsigned long long>(c.posts_skipped));
    for (const auto& d : ds)
      std::printf("  #%llu onset %s  +%.0f %%  %s\n", static_cast<unsigned long long>(d.id),
                  format_utc(t.meta.epoch_unix_s + d.onset_s).c_str(), d.size_pct,
                  d.kind == DetectionKind::kUrination ? "urination" : d.kind == DetectionKind::kBulkTransfer ? "bulk transfer" : "other");
  }
  return 0;
}

}  // namespace

PEEBOT_COMMAND("replay", "re-run detection and posting decisions over a trace's telemetry, offline", cmd_replay);

}  // namespace peebot::cli
