// peebot serve TRACE.h5|RECORDING [--port 8080] [--speed 60] [faults]
#include <cmath>
#include <iostream>

#include "../tlcp/server.hpp"
#include "cli.hpp"
#include "import_options.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace {

int cmd_serve(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot serve TRACE.h5|RECORDING [--port 8080] [--speed 60] [faults]\n\n"
      "Serves a trace's telemetry as an ISSLIVE-like Lightstreamer feed (TLCP 2.5)\n"
      "over WebSocket (ws://ADDRESS:PORT/lightstreamer) and HTTP streaming\n"
      "(http://ADDRESS:PORT/lightstreamer/create_session.txt): MERGE subscriptions\n"
      "with snapshot, PROBE when idle, LOOP, session recovery. Each session replays\n"
      "the trace from its start when it subscribes. Items: NODE3000004/05/08/09 and\n"
      "TIME_000001 (others are accepted and never update); fields TimeStamp, Value,\n"
      "Status.Class, Status.Indicator, Status.Color, CalibratedData.\n"
      "A raw recording (the formats `peebot import` reads: ISS-Mimic, ISSP, pisslog,\n"
      "CSV) is imported in memory first, with the import options below.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("trace", po::value<std::string>(), "trace file (HDF5) or recording to replay")
      ("address", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
      ("port", po::value<unsigned>()->default_value(8080), "TCP port (0: pick a free one; the port is printed)")
      ("speed", po::value<double>()->default_value(60.0), "trace seconds per wall second; 0 = as fast as the client reads")
      ("rate", po::value<double>()->default_value(0.0),
       "send the trace's updates evenly at this many per second instead of at --speed (latency benchmarks; 0: off)")
      ("adapter-set", po::value<std::string>()->default_value("ISSLIVE"), "adapter set name clients must ask for")
      ("keepalive", po::value<double>()->default_value(5.0), "PROBE after this many seconds without a notification")
      ("session-timeout", po::value<double>()->default_value(30.0),
       "discard a session left without a stream connection this long (a client gone without destroy), s")
      ("max-sessions", po::value<unsigned>()->default_value(64), "sessions held at once; more are refused (CONERR 7)")
      ("drop-after", po::value<std::uint64_t>()->default_value(0), "fault: drop the connection after N updates (once)")
      ("stall-after", po::value<std::uint64_t>()->default_value(0), "fault: stall (send nothing) after N updates (once)")
      ("stall-for", po::value<double>()->default_value(10.0), "fault: stall length, s")
      ("loop-after", po::value<std::uint64_t>()->default_value(0), "fault: send LOOP after N updates (once)")
      ("end-after", po::value<std::uint64_t>()->default_value(0), "fault: send END (session closed) after N updates (once)")
      ("los-after", po::value<std::uint64_t>()->default_value(0),
       "fault: loss of signal after N updates (once): TIME_000001 turns to Status.Class 0 and the other items stop")
      ("los-for", po::value<double>()->default_value(600.0), "fault: LOS length, s of feed time")
      ("stamp-now", "send the wall-clock time of sending as each update's TimeStamp (send-to-stored latency benchmarks)")
      ("no-websocket", "refuse WebSocket upgrades (HTTP 403), as a proxy that blocks them: clients must use HTTP streaming")
      ("exit-when-done", "stop once every session has sent the whole trace");
  add_import_options(opts);
  po::positional_options_description pos;
  pos.add("trace", 1);
  const auto vm = parse_args("serve", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("trace")) throw UsageError("serve", "missing TRACE.h5");
  live::ServeOptions o;
  o.address = vm["address"].as<std::string>();
  const unsigned port = vm["port"].as<unsigned>();
  if (port > 65535) throw UsageError("serve", "--port " + std::to_string(port) + " is not a TCP port (0..65535)");
  o.port = static_cast<unsigned short>(port);
  o.speed = vm["speed"].as<double>();
  if (!(o.speed >= 0) || !std::isfinite(o.speed)) throw UsageError("serve", "--speed must be a finite number >= 0");
  o.rate = vm["rate"].as<double>();
  if (!(o.rate >= 0) || !std::isfinite(o.rate)) throw UsageError("serve", "--rate must be >= 0 (updates per second)");
  o.adapter_set = vm["adapter-set"].as<std::string>();
  auto finite_s = [&](const char* name, bool zero_ok) {
    const double v = vm[name].as<double>();
    if (!std::isfinite(v) || v < 0 || (!zero_ok && v == 0) || v > 1e7)
      throw UsageError("serve", std::string("--") + name + " must be a finite number of seconds " + (zero_ok ? ">= 0" : "> 0"));
    return v;
  };
  o.keepalive_s = finite_s("keepalive", false);
  if (o.keepalive_s > 3600) throw UsageError("serve", "--keepalive must be at most 3600 s");
  o.session_timeout_s = finite_s("session-timeout", false);
  o.max_sessions = vm["max-sessions"].as<unsigned>();
  if (o.max_sessions == 0) throw UsageError("serve", "--max-sessions must be >= 1");
  o.drop_after = vm["drop-after"].as<std::uint64_t>();
  o.stall_after = vm["stall-after"].as<std::uint64_t>();
  o.stall_s = finite_s("stall-for", true);
  o.loop_after = vm["loop-after"].as<std::uint64_t>();
  o.end_after = vm["end-after"].as<std::uint64_t>();
  o.los_after = vm["los-after"].as<std::uint64_t>();
  o.los_s = finite_s("los-for", false);
  o.exit_when_done = vm.count("exit-when-done") > 0;
  o.no_websocket = vm.count("no-websocket") > 0;
  o.stamp_now = vm.count("stamp-now") > 0;
  o.handle_signals = true;
  const Trace t = read_trace_or_recording(vm["trace"].as<std::string>(), vm, "serve");
  auto feed = live::feed_from_trace(t);
  const std::size_t n = feed.size();
  live::TlcpServer server(std::move(feed), o);
  unsigned short bound = 0;
  try {
    bound = server.listen();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + o.address + ":" + std::to_string(o.port) + ": " + e.what());
  }
  std::cout << "serving " << n << " updates on ws://" << o.address << ":" << bound << "/lightstreamer (adapter set "
            << o.adapter_set << (o.rate > 0 ? ", rate " : ", speed ") << (o.rate > 0 ? o.rate : o.speed)
            << (o.rate > 0 ? " updates/s)" : ")") << std::endl;
  server.run();
  const auto& st = server.stats();
  std::cout << "served " << st.sessions.load() << " session(s), " << st.updates_sent.load() << " updates, "
            << st.recoveries.load() << " recoveries" << std::endl;
  return 0;
}

}  // namespace

PEEBOT_COMMAND("serve", "replay a trace as a Lightstreamer (TLCP) feed over WebSocket and HTTP", cmd_serve);

}  // namespace peebot::cli
