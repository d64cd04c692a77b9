// peebot calibrate TRACE.h5 [-o scenario.toml] [--crew N] [--fit-days D] [--seed S] [--name NAME] [--noise drift|ar1|burst]
// [--fit-range R] [--run-range R]
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "../analysis/calibrate.hpp"
#include "../util/files.hpp"
#include "../util/text.hpp"
#include "cli.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace {

int cmd_calibrate(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot calibrate TRACE.h5 [-o scenario.toml] [options]\n\n"
      "Fits the world models to a trace (simulated, imported or live): drain rate\n"
      "and step interval and spread, the read noise that explains the flicker\n"
      "(AR(1) read noise plus a drift of the reading by default, --noise ar1 or\n"
      "--noise burst for the older models), rise sizes,\n"
      "uses per day and their hour-of-day profile, bulk transfers, gaps. Writes a\n"
      "complete, commented scenario whose simulation reproduces those statistics\n"
      "(to stdout without -o). The fit summary goes to stderr. Method:\n"
      "docs/models.md, \"Calibration\".\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("trace", po::value<std::string>(), "trace file (HDF5)")
      ("output,o", po::value<std::string>(), "scenario file to write (written whole or not at all)")
      ("crew", po::value<int>()->default_value(7), "assumed crew size (1 .. 20)")
      ("fit-days", po::value<double>()->default_value(30), "length of each fit simulation, days (1 .. 365)")
      ("iterations", po::value<int>()->default_value(8), "Levenberg-Marquardt iterations of the joint fit (0 .. 50)")
      ("fit-seeds", po::value<int>()->default_value(2), "simulations averaged per evaluation of the moments (1 .. 20)")
      ("var-seeds", po::value<int>()->default_value(6),
       "simulations at the first guess for the moments' variances: weights and standard errors (2 .. 50)")
      ("seed", po::value<std::string>()->default_value("1"), "seed of the fit and of the written scenario (0 .. 2^64-1)")
      ("noise", po::value<std::string>()->default_value("drift"),
       "read-noise model to fit: ar1 (sensor.noise_* and upa.drain_sd), drift (sensor.noise_* and sensor.drift_*) "
       "or burst (sensor.burst_* and upa.drain_jitter)")
      ("uses", po::value<std::string>()->default_value("regular"),
       "crew use model to fit: regular (crew.toilet_choice per_person; crew.interval_shape fitted to the spread of "
       "rises per day; the better match of the real feed, but not yet validated on known worlds: docs/models.md) or "
       "poisson (a coin of crew.upa_share per use, Poisson uses: the model before version 7, validated)")
      ("name", po::value<std::string>(), "scenario.name (default: calibrated-<source scenario name>)")
      ("fit-range", po::value<std::string>(),
       "fit on this part of the trace only: first-half, second-half (the tank series cut at the UTC midnight "
       "nearest its middle), all, or START..END (ISO 8601 UTC, either side may be empty)")
      ("run-range", po::value<std::string>(),
       "the written scenario spans this part of the trace (start, duration, first level, replayed outages; "
       "same forms; default: the fit range), e.g. the held-out half");
  po::positional_options_description pos;
  pos.add("trace", 1);
  const auto vm = parse_args("calibrate", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("trace")) throw UsageError("calibrate", "missing TRACE.h5");
  CalibrateOptions o;
  o.crew_size = vm["crew"].as<int>();
  o.fit_days = vm["fit-days"].as<double>();
  o.iterations = vm["iterations"].as<int>();
  o.fit_seeds = vm["fit-seeds"].as<int>();
  o.var_seeds = vm["var-seeds"].as<int>();
  if (o.fit_seeds < 1 || o.fit_seeds > 20) throw UsageError("calibrate", "--fit-seeds: expected 1 .. 20");
  if (o.var_seeds < 2 || o.var_seeds > 50) throw UsageError("calibrate", "--var-seeds: expected 2 .. 50");
  {
    // Not through program_options' uint64 parse, which takes "-1" as 2^64-1.
    const std::string text = vm["seed"].as<std::string>();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), o.seed);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw UsageError("calibrate", "--seed '" + printable(text) + "': expected a whole number 0 .. 18446744073709551615");
  }
  if (o.crew_size < 1 || o.crew_size > 20) throw UsageError("calibrate", "--crew " + std::to_string(o.crew_size) + ": expected 1 .. 20");
  if (!(o.fit_days >= 1 && o.fit_days <= 365)) throw UsageError("calibrate", "--fit-days: expected 1 .. 365");
  if (o.iterations < 0 || o.iterations > 50) throw UsageError("calibrate", "--iterations: expected 0 .. 50");
  if (vm.count("name")) o.name = vm["name"].as<std::string>();
  const std::string noise = vm["noise"].as<std::string>();
  if (noise == "burst") o.noise = NoiseModel::kBurst;
  else if (noise == "ar1") o.noise = NoiseModel::kAr1;
  else if (noise == "drift") o.noise = NoiseModel::kDrift;
  else throw UsageError("calibrate", "--noise " + noise + ": expected ar1, drift or burst");
  const std::string uses = vm["uses"].as<std::string>();
  if (uses == "regular") o.uses = UseModel::kRegular;
  else if (uses == "poisson") o.uses = UseModel::kPoisson;
  else throw UsageError("calibrate", "--uses " + printable(uses) + ": expected regular or poisson");
  const std::string path = vm["trace"].as<std::string>();
  if (vm.count("output")) check_output_path("calibrate", "-o", vm["output"].as<std::string>(), {path});
  o.source = path;
  const Trace t = read_trace_or_input_error(path, TraceSelection::telemetry_only());  // calibrate reads the feed only
  for (const char* key : {"fit-range", "run-range"}) {
    if (!vm.count(key)) continue;
    try {
      (std::string(key) == "fit-range" ? o.fit_range : o.run_range) = resolve_range(vm[key].as<std::string>(), t);
    } catch (const std::invalid_argument& e) {
      throw UsageError("calibrate", std::string("--") + key + ": " + e.what());
    }
  }
  Calibration c;
  try {
    c = calibrate(t, o);
  } catch (const std::invalid_argument& e) {
    throw InputError(path + ": " + e.what());
  }
  if (o.name.empty()) o.name = c.scenario.name;
  const std::string text = calibrated_scenario_toml(c, o);
  std::fprintf(stderr,
               "calibrate: rises/day %.3g -> %.3g, rise size mean %.3g -> %.3g %%, flicker/h %.3g -> %.3g, "
               "drain step %.3g -> %.3g s (spread %.3g -> %.3g), flicker persistence %.3g -> %.3g, bulk/day %.3g, %zu gaps replayed\n",
               c.target_rises_per_day, c.fitted_rises_per_day, c.target_rise_mean_pct, c.fitted_rise_mean_pct,
               c.target_flicker_per_hour, c.fitted_flicker_per_hour, c.target_drain_step_s, c.fitted_drain_step_s,
               c.target_drain_riqr, c.fitted_drain_riqr, c.target_flicker_persistence, c.fitted_flicker_persistence, c.bulk_per_day, c.replayed_gaps.size());
  std::fprintf(stderr, "%s", fit_summary(c, "calibrate: ").c_str());
  if (!vm.count("output")) {
    std::cout << text;
    return 0;
  }
  const std::string out = vm["output"].as<std::string>();
  try {
    write_file_atomically(out, text);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  return 0;
}

}  // namespace

PEEBOT_COMMAND("calibrate", "fit the world models to a trace and write a scenario", cmd_calibrate);

}  // namespace peebot::cli
