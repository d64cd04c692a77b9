// peebot compare A.h5 B.h5 [--json]: the fidelity report of two traces.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "../analysis/feed_stats.hpp"
#include "../report/json.hpp"
#include "../util/text.hpp"
#include "cli.hpp"
#include "report_common.hpp"

namespace peebot::cli {

namespace {

std::string num(double v, int prec = 2) {
  if (std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

// (B - A) / A; NaN when A is 0 or unknown.
double rel_diff(double a, double b) { return (a == 0 || std::isnan(a) || std::isnan(b)) ? NAN : (b - a) / a; }

std::string describe(const Trace& t, const std::string& path) {
  return path + " (" + printable(t.meta.mode) + ", " + printable(t.meta.scenario_name) + ")";
}

// Counts per UTC hour of day of hour-of-day values in [0, 24) (the drain steps' profile, from drain_step_hour).
std::array<std::size_t, 24> hour_counts(const Distribution& hours) {
  std::array<std::size_t, 24> n{};
  for (double h : hours.values) ++n[std::min<std::size_t>(23, static_cast<std::size_t>(h))];
  return n;
}

// Both traces' profiles as each one's share per UTC hour of day (%).
void print_profile(const char* title, const std::array<std::size_t, 24>& pa, const std::array<std::size_t, 24>& pb) {
  std::printf("\n%s by UTC hour of day (share of each trace's, %%):\n  hour ", title);
  for (int h = 0; h < 24; ++h) std::printf("%4d", h);
  for (int k = 0; k < 2; ++k) {
    const auto& profile = k == 0 ? pa : pb;
    std::size_t total = 0;
    for (auto c : profile) total += c;
    std::printf("\n  %s    ", k == 0 ? "A" : "B");
    for (auto c : profile) std::printf("%4.0f", total ? 100.0 * static_cast<double>(c) / static_cast<double>(total) : 0.0);
  }
  std::printf("\n");
}

void print_text(const std::string& pa, const std::string& pb, const Trace& ta, const Trace& tb, const FeedStats& a,
                const FeedStats& b) {
  std::printf("A: %s\nB: %s\n\n", describe(ta, pa).c_str(), describe(tb, pb).c_str());
  std::printf("%-27s %-6s | %8s %9s %9s %9s | %8s %9s %9s %9s | %6s\n", "distribution", "unit", "n A", "mean A",
              "p50 A", "p95 A", "n B", "mean B", "p50 B", "p95 B", "KS D");
  std::printf("%s\n", std::string(125, '-').c_str());
  for (const auto& nd : compared_distributions()) {
    const Distribution& da = a.*(nd.member);
    const Distribution& db = b.*(nd.member);
    const KsResult ks = ks_two_sample(da.values, db.values);
    std::printf("%-27s %-6s | %8zu %9s %9s %9s | %8zu %9s %9s %9s | %6s\n", nd.label, nd.unit, da.count(),
                num(da.mean()).c_str(), num(da.p50()).c_str(), num(da.p95()).c_str(), db.count(),
                num(db.mean()).c_str(), num(db.p50()).c_str(), num(db.p95()).c_str(), num(ks.d, 3).c_str());
  }
  const double ma = a.rises_per_day.p50(), mb = b.rises_per_day.p50();
  const double rd = rel_diff(ma, mb);
  std::printf("\nrises per day, median: A %s, B %s, B vs A %s%%\n", num(ma, 1).c_str(), num(mb, 1).c_str(),
              std::isnan(rd) ? "-" : num(100 * rd, 1).c_str());
  std::printf("tank updates: A %zu, B %zu; covered days: A %zu, B %zu; covered hours: A %zu, B %zu\n", a.tank_updates,
              b.tank_updates, a.covered_days, b.covered_days, a.covered_hours, b.covered_hours);
  const double ua = a.tank_updates_per_day(), ub = b.tank_updates_per_day();
  const double ud = rel_diff(ua, ub);
  std::printf("tank updates per observed day: A %s, B %s, B vs A %s%%\n", num(ua, 1).c_str(), num(ub, 1).c_str(),
              std::isnan(ud) ? "-" : num(100 * ud, 1).c_str());
  const auto per_hour = [](const FeedStats& s) {
    return s.covered_hours ? static_cast<double>(s.flicker_episodes) / static_cast<double>(s.covered_hours) : NAN;
  };
  std::printf("flicker episodes: A %zu (%s/covered h), B %zu (%s/covered h)\n", a.flicker_episodes,
              num(per_hour(a)).c_str(), b.flicker_episodes, num(per_hour(b)).c_str());
  std::printf("bulk transfers: A %zu, B %zu\n", a.bulk_transfers, b.bulk_transfers);
  print_profile("rise onsets", a.hour_profile, b.hour_profile);
  print_profile("drain steps", hour_counts(a.drain_step_hour), hour_counts(b.drain_step_hour));
}

void print_json(const std::string& pa, const std::string& pb, const Trace& ta, const Trace& tb, const FeedStats& a,
                const FeedStats& b, const std::string& range, const TimeRange* r) {
  const auto side = [](const Distribution& d) {
    return Json{{"count", d.count()}, {"mean", json_number(d.mean())}, {"p50", json_number(d.p50())}, {"p95", json_number(d.p95())},
                {"sd", json_number(d.sd())}};
  };
  Json o = {{"a", {{"path", pa}, {"mode", ta.meta.mode}, {"scenario_name", ta.meta.scenario_name}}},
            {"b", {{"path", pb}, {"mode", tb.meta.mode}, {"scenario_name", tb.meta.scenario_name}}}};
  if (r)
    o["range"] = {{"spec", range},
                  {"from_utc", r->from_unix_s > -1e299 ? Json(format_utc(r->from_unix_s)) : Json(nullptr)},
                  {"to_utc", r->to_unix_s < 1e299 ? Json(format_utc(r->to_unix_s)) : Json(nullptr)}};
  Json& dists = o["distributions"] = Json::object();
  for (const auto& nd : compared_distributions()) {
    const Distribution& da = a.*(nd.member);
    const Distribution& db = b.*(nd.member);
    const KsResult ks = ks_two_sample(da.values, db.values);
    dists[nd.key] = {{"unit", nd.unit}, {"a", side(da)}, {"b", side(db)}, {"ks_d", json_number(ks.d)}, {"ks_n1", ks.n1}, {"ks_n2", ks.n2},
                     {"ks_p", json_number(ks.p)}};
  }
  const auto pair = [](double x, double y) {
    return Json{{"a", json_number(x)}, {"b", json_number(y)}, {"rel_diff_b_vs_a", json_number(rel_diff(x, y))}};
  };
  o["rises_per_day_median"] = pair(a.rises_per_day.p50(), b.rises_per_day.p50());
  o["tank_updates_per_day"] = pair(a.tank_updates_per_day(), b.tank_updates_per_day());
  // Per covered UTC day (not in the text table): its spread, beside the mean per observed day above.
  o["tank_updates_per_covered_day"] = {{"a", side(a.updates_per_day)}, {"b", side(b.updates_per_day)}};
  const auto counts = [](const FeedStats& s) {
    return Json{{"tank_updates", s.tank_updates},
                {"covered_days", s.covered_days},
                {"observed_days", json_number(s.observed_days)},
                {"covered_hours", s.covered_hours},
                {"flicker_episodes", s.flicker_episodes},
                {"bulk_transfers", s.bulk_transfers},
                {"rise_events", s.rise_events.size()},
                {"hour_profile", s.hour_profile},
                {"drain_step_hour_profile", hour_counts(s.drain_step_hour)}};
  };
  o["counts"] = {{"a", counts(a)}, {"b", counts(b)}};
  std::cout << dump_json(o);
}

int cmd_compare(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot compare A.h5 B.h5 [--json] [--range RANGE]\n\n"
      "The fidelity report of two traces (e.g. a simulation against an imported\n"
      "recording), side by side: inter-update times, rise sizes, rises per day,\n"
      "hour of day of rises, drain-step intervals, flicker episodes per hour and gap\n"
      "lengths (count, mean, p50, p95 for each trace), each with the two-sample\n"
      "Kolmogorov-Smirnov distance D; the median rises per day and B's relative\n"
      "difference to A; tank updates per observed day; flicker and bulk-transfer\n"
      "counts. With --range only the part of both traces inside the range counts\n"
      "(resolved on A: first-half and second-half cut A's tank series at the UTC\n"
      "midnight nearest its middle). Definitions: docs/fidelity.md.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("traces", po::value<std::vector<std::string>>()->multitoken(), "the two traces (HDF5)")
      ("json", "print the figures as JSON")
      ("range", po::value<std::string>(),
       "compare only this part of both traces: first-half, second-half (of A's tank series), all, or "
       "START..END (ISO 8601 UTC, either side may be empty)");
  po::positional_options_description pos;
  pos.add("traces", -1);
  const auto vm = parse_args("compare", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  const auto paths = vm.count("traces") ? vm["traces"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (paths.size() != 2) throw UsageError("compare", "expected two traces, A.h5 and B.h5");
  // The feed statistics need the telemetry only: a simulation's stage,
  // truth and queue tables are most of its file (an 85-day run's 150 MB).
  const Trace ta = read_trace_or_input_error(paths[0], TraceSelection::telemetry_only());
  const Trace tb = read_trace_or_input_error(paths[1], TraceSelection::telemetry_only());
  // Both traces are measured alike: drain steps follow the UPA state only
  // when both have the UPA series (a tank-only recording has not).
  FeedStatsParams params;
  params.use_upa_state = !ta.telemetry[kUpaState].empty() && !tb.telemetry[kUpaState].empty();
  TimeRange range;
  const std::string spec = vm.count("range") ? vm["range"].as<std::string>() : "";
  if (!spec.empty()) {
    try {
      range = resolve_range(spec, ta);
    } catch (const std::invalid_argument& e) {
      throw UsageError("compare", std::string("--range: ") + e.what());
    }
  }
  const TimeRange* rp = spec.empty() ? nullptr : &range;
  const FeedStats a = compute_feed_stats(ta, params, rp), b = compute_feed_stats(tb, params, rp);
  if (rp && (a.tank_updates == 0 || b.tank_updates == 0))
    throw InputError("compare --range " + spec + ": " + (a.tank_updates == 0 ? paths[0] : paths[1]) +
                     " has no tank update inside the range");
  if (vm.count("json"))
    print_json(paths[0], paths[1], ta, tb, a, b, spec, rp);
  else
    print_text(paths[0], paths[1], ta, tb, a, b);
  std::cout.flush();
  return 0;
}

}  // namespace

PEEBOT_COMMAND("compare", "fidelity report of two traces: feed statistics side by side with KS distances", cmd_compare);

}  // namespace peebot::cli
