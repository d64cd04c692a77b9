#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

namespace peebot::viz {

const char* const kLatencyNames[kLatencyKinds] = {kStageLatencies[0].name, kStageLatencies[1].name,
                                                  kStageLatencies[2].name, kStageLatencies[3].name,
                                                  kStageLatencies[4].name, kStageLatencies[5].name, "event_to_tweet"};

const char* event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::kVoid: return "void (found)";
    case EventKind::kVoidMissed: return "void MISSED";
    case EventKind::kVoidNoTank: return "void (no tank)";
    case EventKind::kDetHit: return "detection hit";
    case EventKind::kDetFalseAlarm: return "FALSE ALARM";
    case EventKind::kDetDuplicate: return "duplicate det.";
    case EventKind::kDetBulk: return "bulk detection";
    case EventKind::kDetOther: return "other detection";
    case EventKind::kDetUnscored: return "detection";
    case EventKind::kPostSent: return "post sent";
    case EventKind::kPostFailed: return "post failed";
    case EventKind::kPostSuppressed: return "post suppressed";
    case EventKind::kPostSkipped: return "post skipped";
    case EventKind::kLos: return "loss of signal";
    case EventKind::kUpaChange: return "UPA state";
    case EventKind::kTankFull: return "tank full";
    case EventKind::kBulk: return "bulk transfer";
    case EventKind::kCount: break;
  }
  return "?";
}

const char* upa_state_name(int code) {
  switch (code) {
    case 2: return "STOP";
    case 4: return "SHUTDOWN";
    case 8: return "MAINTENANCE";
    case 16: return "NORMAL";
    case 32: return "STANDBY";
    case 64: return "IDLE";
    case 128: return "INITIALIZED";
    default: return "unknown";
  }
}

namespace {

std::string printf_str(const char* fmt, double a) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

// Spans of a step signal: each sample's value holds until the next one.
std::vector<Interval> spans_of(const Series& s, double t_end) {
  std::vector<Interval> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const int v = static_cast<int>(std::lround(s.v()[i]));
    if (!out.empty() && out.back().value == v) continue;
    if (!out.empty()) out.back().t1 = s.t()[i];
    out.push_back({s.t()[i], t_end, v});
  }
  return out;
}

// The report's causes of a miss, as the tooltip and events table say them.
std::string miss_text(const MissCauses& c) {
  std::string why;
  auto add = [&why](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  if (c.los) add("loss of signal during the void");
  if (c.tank_full) add("tank full: inflow spilled");
  if (c.upa_state) add(std::string("UPA ") + upa_state_name(c.upa_state));
  if (c.neighbour_void) add("another void within 15 min (rises merged)");
  if (c.bulk_nearby) add("bulk transfer nearby");
  if (!std::isnan(c.late_by_s)) add("detected too late (" + format_duration(c.late_by_s) + " after onset)");
  if (c.small_volume) add(printf_str("small volume (%.0f mL, under the 1%% level quantum?)", c.volume_ml));
  if (why.empty()) add("no rise recognised by the detector");
  return why;
}

Histogram make_hist(std::vector<double> v, const LatencyStats& st) {
  Histogram h;
  h.stats = st;
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !(x > 0) || std::isinf(x); }), v.end());
  h.bins.assign(48, 0);
  if (v.empty()) return h;
  const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  h.log_lo = std::floor(std::log10(*mn) * 2) / 2;
  h.log_hi = std::ceil(std::log10(*mx) * 2) / 2;
  if (h.log_hi - h.log_lo < 1) h.log_hi = h.log_lo + 1;
  const double w = (h.log_hi - h.log_lo) / static_cast<double>(h.bins.size());
  for (double x : v) {
    auto b = static_cast<std::ptrdiff_t>((std::log10(x) - h.log_lo) / w);
    b = std::clamp<std::ptrdiff_t>(b, 0, static_cast<std::ptrdiff_t>(h.bins.size()) - 1);
    h.peak = std::max(h.peak, ++h.bins[static_cast<std::size_t>(b)]);
  }
  return h;
}

// Import traces are in log order, which may step back: keep a series sorted.
void assign_sorted(Model& m, Series& s, std::vector<double> t, std::vector<double> v) {
  if (!std::is_sorted(t.begin(), t.end())) {
    std::vector<std::size_t> ix(t.size());
    for (std::size_t i = 0; i < ix.size(); ++i) ix[i] = i;
    std::stable_sort(ix.begin(), ix.end(), [&](std::size_t a, std::size_t b) { return t[a] < t[b]; });
    std::vector<double> t2(t.size()), v2(v.size());
    for (std::size_t i = 0; i < ix.size(); ++i) { t2[i] = t[ix[i]]; v2[i] = v[ix[i]]; }
    t.swap(t2);
    v.swap(v2);
  }
  const auto p0 = std::chrono::steady_clock::now();
  s.assign(std::move(t), std::move(v));
  m.pyramid_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count();
}

// Everything derived from the small tables (span, intervals, scoring, events);
// called again by follow() when they grow.
void derive(Model& m, Trace& tr);

// The tables read as records (telemetry comes as bare columns).
TraceSelection record_tables(const TraceMeta& meta) {
  TraceSelection sel;
  for (bool& b : sel.telemetry) b = false;
  sel.queues = false;
  sel.stages = false;
  if (!meta.has_truth) sel.telemetry[kSignal] = true;  // LOS comes from the feed's signal status then
  return sel;
}

}  // namespace

Model load_model(const std::string& path, bool with_latency) {
  const auto wall0 = std::chrono::steady_clock::now();
  const bool prof = std::getenv("PEEBOT_VIEW_PROFILE") != nullptr;
  auto phase = [&](const char* what) {
    if (prof)
      std::fprintf(stderr, "load_model: %-28s %.3f s\n", what,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  };
  Model m;
  m.path = path;
  // One open of the file for everything the viewer reads, now and later (the
  // background latency read, range reads, the live tail): a live `.tmp` is
  // opened for SWMR reading, to be followed.
  const bool growing = path.size() > 4 && path.compare(path.size() - 4, 4, ".tmp") == 0;
  m.reader = std::make_shared<TraceReader>(path, growing ? TraceReader::Mode::follow : TraceReader::Mode::read);
  TraceReader& reader = *m.reader;
  // Everything but telemetry as records; telemetry as bare (t, value) columns.
  Trace tr = reader.read(record_tables(reader.meta()));
  phase("read tables");
  m.meta = tr.meta;
  m.params = recorded_scenario(m.meta.scenario_toml, m.meta.overrides, path + ":/scenario_toml").report;

  auto load_item = [&](ItemId id, Series& s) {
    std::vector<double> t, v;
    reader.telemetry_columns(id, t, v);
    m.rows_total += t.size();
    assign_sorted(m, s, std::move(t), std::move(v));
  };
  load_item(kUrineTank, m.tank);
  load_item(kUpaState, m.upa);
  load_item(kWasteWater, m.waste);
  load_item(kCleanWater, m.clean);
  phase("telemetry columns");
  derive(m, tr);
  phase("truth, scoring, events");
  if (with_latency) {
    install(m, load_latency(reader));
  } else {
    m.stage_summary = reader.stage_summary();
    if (m.stage_summary.present) install(m, latency_from_summary(m.stage_summary), false);
    phase("stage summaries");
  }
  m.open_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  phase("done");
  return m;
}

namespace {

void derive(Model& m, Trace& tr) {
  // The report's figures (matching, event -> tweet, why voids were missed), as `peebot report` computes them.
  const Report report = compute_report(tr, m.params);
  m.match = report.match;
  const std::vector<MissCauses> misses = m.meta.has_truth ? explain_misses(tr, m.match, m.params) : std::vector<MissCauses>{};
  m.los.clear();
  m.upa_states.clear();
  m.tank_full.clear();
  m.crew.clear();
  m.events.clear();

  // Span: the run's duration, widened to the data (live traces grow past it).
  m.t_begin = 0.0;
  m.t_end = std::max(m.meta.duration_s, 1.0);
  for (const Series* s : {&m.tank, &m.upa, &m.waste, &m.clean})
    if (!s->empty()) {
      m.t_begin = std::min(m.t_begin, s->t().front());
      m.t_end = std::max(m.t_end, s->t().back());
    }

  // Truth.
  {
    std::vector<double> t, v;
    t.reserve(tr.tank.size());
    v.reserve(tr.tank.size());
    for (const TankPoint& p : tr.tank) { t.push_back(p.t_s); v.push_back(p.level_pct); }
    m.tank_truth.assign(std::move(t), std::move(v));
  }
  for (const LosWindow& w : tr.los) m.los.push_back({w.start_s, w.end_s, 1});
  if (!m.meta.has_truth) {  // LOS from TIME_000001's status
    const auto& sig = tr.telemetry[kSignal];
    m.rows_total += sig.size();
    double start = kNoTime;
    for (const TelemetryRow& r : sig) {
      const bool los = r.status != kStatusAos;
      if (los && std::isnan(start)) start = r.t_s;
      if (!los && !std::isnan(start)) { m.los.push_back({start, r.t_s, 1}); start = kNoTime; }
    }
    if (!std::isnan(start)) m.los.push_back({start, m.t_end, 1});
  }
  for (const TankFullEpisode& e : tr.tank_full) m.tank_full.push_back({e.start_s, e.end_s, 1});
  if (!tr.upa_states.empty()) {
    for (const UpaStateChange& u : tr.upa_states) {
      if (!m.upa_states.empty()) m.upa_states.back().t1 = u.t_s;
      m.upa_states.push_back({u.t_s, m.t_end, u.state});
    }
  } else {
    m.upa_states = spans_of(m.upa, m.t_end);
  }
  for (const CrewStateChange& c : tr.crew) {
    if (c.crew < 0 || c.crew > 64) continue;
    if (m.crew.size() <= static_cast<std::size_t>(c.crew)) m.crew.resize(static_cast<std::size_t>(c.crew) + 1);
    auto& lane = m.crew[static_cast<std::size_t>(c.crew)];
    if (!lane.empty()) lane.back().t1 = c.t_s;
    lane.push_back({c.t_s, m.t_end, c.awake});
  }
  m.voids = std::move(tr.voids);
  m.detections = std::move(tr.detections);
  m.posts = std::move(tr.posts);
  m.bulk = std::move(tr.bulk);

  // Scoring: who matched whom in the report's matching.
  const MatchResult& mr = m.match;
  m.det_void.assign(m.detections.size(), SIZE_MAX);
  m.void_kind.assign(m.voids.size(), EventKind::kVoidNoTank);
  m.miss_reason.assign(m.voids.size(), "");
  m.det_kind.assign(m.detections.size(), EventKind::kDetUnscored);
  for (std::size_t j = 0; j < m.detections.size(); ++j) {
    const DetectionKind k = m.detections[j].kind;
    if (k == DetectionKind::kBulkTransfer) m.det_kind[j] = EventKind::kDetBulk;
    else if (k == DetectionKind::kOther) m.det_kind[j] = EventKind::kDetOther;
  }
  if (m.meta.has_truth) {
    for (std::size_t i = 0; i < m.voids.size(); ++i)
      if (m.voids[i].reaches_tank) m.void_kind[i] = EventKind::kVoid;
    for (const auto& [vi, dj] : mr.pairs) {
      m.det_void[dj] = vi;
      m.det_kind[dj] = EventKind::kDetHit;
    }
    for (std::size_t dj : mr.false_alarms) m.det_kind[dj] = EventKind::kDetFalseAlarm;
    for (std::size_t dj : mr.duplicates) m.det_kind[dj] = EventKind::kDetDuplicate;
    for (std::size_t vi : mr.misses) m.void_kind[vi] = EventKind::kVoidMissed;
    for (const MissCauses& c : misses) m.miss_reason[c.void_index] = miss_text(c);
  }
  m.post_kind.resize(m.posts.size());
  for (std::size_t i = 0; i < m.posts.size(); ++i) {
    switch (m.posts[i].outcome) {
      case PostOutcome::kSent: m.post_kind[i] = EventKind::kPostSent; break;
      case PostOutcome::kFailed: m.post_kind[i] = EventKind::kPostFailed; break;
      case PostOutcome::kSuppressed: m.post_kind[i] = EventKind::kPostSuppressed; break;
      case PostOutcome::kSkipped: m.post_kind[i] = EventKind::kPostSkipped; break;
    }
  }

  // Event -> tweet: the report's samples (truth: from the matched void's onset; else the detection's).
  m.hist[6] = make_hist(report.event_to_tweet_s, report.event_to_tweet);
  m.hist[6].target_s = m.params.target_tweet_p95_s;
  m.hist[6].target_label = "target p95";
  m.hist[4].target_s = m.params.target_dashboard_p99_s;
  m.hist[4].target_label = "target p99";
  m.hist[5].target_s = m.params.target_persist_p99_s;
  m.hist[5].target_label = "target p99";
  // Events, by time.
  auto& ev = m.events;
  for (std::size_t i = 0; i < m.voids.size(); ++i) {
    const VoidEvent& v = m.voids[i];
    std::string d = "crew " + std::to_string(v.crew) + printf_str(", %.0f mL urine", v.urine_ml) +
                    printf_str(" + %.0f mL flush", v.flush_ml);
    if (m.void_kind[i] == EventKind::kVoidMissed) d += " -- " + m.miss_reason[i];
    ev.push_back({v.onset_s, v.end_s, m.void_kind[i], i, d});
  }
  for (std::size_t j = 0; j < m.detections.size(); ++j) {
    const Detection& x = m.detections[j];
    std::string d = "#" + std::to_string(x.id) + printf_str(" %+.0f%%", x.size_pct) + printf_str(" (%.0f mL)", x.size_ml) +
                    ", " + printf_str("conf %.2f", x.confidence) + ", onset " + format_duration(x.emitted_s - x.onset_s) +
                    " before";
    if (m.det_void[j] != SIZE_MAX)
      d += ", " + format_duration(x.emitted_s - m.voids[m.det_void[j]].onset_s) + " after the true onset";
    ev.push_back({x.emitted_s, x.emitted_s, m.det_kind[j], j, d});
  }
  for (std::size_t i = 0; i < m.posts.size(); ++i) {
    const Post& p = m.posts[i];
    const double t = std::isnan(p.t_done_s) ? p.t_detected_s : p.t_done_s;
    ev.push_back({t, t, m.post_kind[i], i,
                  "detection #" + std::to_string(p.detection_id) + ", " + std::to_string(p.attempts) +
                      " attempt(s): " + p.text.substr(0, 90)});
  }
  for (std::size_t i = 0; i < m.los.size(); ++i)
    ev.push_back({m.los[i].t0, m.los[i].t1, EventKind::kLos, i, "for " + format_duration(m.los[i].t1 - m.los[i].t0)});
  for (std::size_t i = 0; i < m.upa_states.size(); ++i)
    ev.push_back({m.upa_states[i].t0, m.upa_states[i].t1, EventKind::kUpaChange, i, upa_state_name(m.upa_states[i].value)});
  for (std::size_t i = 0; i < tr.tank_full.size(); ++i)
    ev.push_back({tr.tank_full[i].start_s, tr.tank_full[i].end_s, EventKind::kTankFull, i,
                  printf_str("%.0f mL spilled", tr.tank_full[i].spilled_ml)});
  for (std::size_t i = 0; i < m.bulk.size(); ++i)
    ev.push_back({m.bulk[i].onset_s, m.bulk[i].end_s, EventKind::kBulk, i, printf_str("%.0f mL", m.bulk[i].volume_ml)});
  std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.t < b.t; });
  m.rows_total += m.voids.size() + m.detections.size() + m.posts.size() + m.tank_truth.size();
}

}  // namespace

void LatencyRows::add(const std::vector<StageTimes>& in) {
  rows += in.size();
  for (const StageTimes& s : in) {
    if (static_cast<UpdateFate>(s.fate) != UpdateFate::kDelivered) continue;
    double d[kStageQuantities];
    stage_latencies(s, d);
    for (int k = 0; k < kStageQuantities; ++k)
      if (!std::isnan(d[k])) samples[k].push_back(d[k]);
    if (std::isnan(s.t_received_s)) continue;
    t.push_back(s.t_received_s);
    for (int k = 0; k < kStageSeries; ++k)
      lat[k].push_back(d[k] > 0 ? static_cast<float>(std::log10(d[k])) : std::numeric_limits<float>::quiet_NaN());
    dash.push_back(d[kDashboardLatency]);
  }
}

LatencyData load_latency(TraceReader& reader, std::uint64_t chunk_rows) {
  LatencyRows acc;
  const std::uint64_t n = reader.rows("/pipeline/stages");
  for (std::uint64_t first = 0; first < n; first += chunk_rows) acc.add(reader.stage_rows(first, chunk_rows));
  return build_latency(std::move(acc));
}

LatencyData build_latency(LatencyRows acc) {
  LatencyData out;
  out.rows = acc.rows;
  auto& samples = acc.samples;
  auto& t = acc.t;
  auto& lat = acc.lat;
  auto& dash = acc.dash;
  // Rows are in order of completion: order them by arrival.
  std::vector<std::uint32_t> ix;
  if (!std::is_sorted(t.begin(), t.end())) {
    ix.resize(t.size());
    for (std::size_t i = 0; i < ix.size(); ++i) ix[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(ix.begin(), ix.end(), [&](std::uint32_t a, std::uint32_t b) { return t[a] < t[b]; });
  }
  const std::size_t n_rows = t.size();
  auto ordered = [&](auto get) {
    std::vector<double> v(n_rows);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = get(ix.empty() ? i : ix[i]);
    return v;
  };
  auto ts = std::make_shared<const std::vector<double>>(ordered([&](std::size_t i) { return t[i]; }));
  t.clear();
  t.shrink_to_fit();
  for (int k = 0; k < kStageSeries; ++k) {
    out.stage_latency[k].assign(ts, ordered([&](std::size_t i) { return static_cast<double>(lat[k][i]); }));
    lat[k].clear();
    lat[k].shrink_to_fit();
  }
  out.dashboard_latency.assign(ts, ordered([&](std::size_t i) { return dash[i]; }));
  for (int k = 0; k < kStageQuantities; ++k) {
    // One sort, then the report's percentiles (type 7) on sorted data.
    std::sort(samples[k].begin(), samples[k].end());
    const LatencyStats st = latency_stats(samples[k]);
    out.hist[k] = make_hist(std::move(samples[k]), st);
  }
  return out;
}

bool follow(Model& m) {
  TraceReader& tail = *m.reader;
  // The first look compares with what load_model read (rows may have come since).
  if (!tail.refresh() && m.live_latency) return false;
  // Telemetry: only the rows appended since the last look.
  auto grow = [&](ItemId id, Series& s) {
    const std::uint64_t have = s.size(), n = tail.rows(std::string("/telemetry/").append(named_item(id)));
    if (n <= have) return;
    std::vector<double> t(s.t()), v(s.v());
    m.rows_total += tail.telemetry_columns(id, t, v, have, n - have);
    assign_sorted(m, s, std::move(t), std::move(v));
  };
  grow(kUrineTank, m.tank);
  grow(kUpaState, m.upa);
  grow(kWasteWater, m.waste);
  grow(kCleanWater, m.clean);
  // The small tables again (detections, posts, truth), through the open file.
  Trace tr = tail.read(record_tables(m.meta));
  derive(m, tr);
  // Stage latencies: the new rows only, added to the samples kept for the tail.
  const std::uint64_t n = tail.rows("/pipeline/stages");
  if (!m.live_latency) m.live_latency = std::make_shared<LatencyRows>();
  LatencyRows& acc = *m.live_latency;
  if (n > acc.rows) {
    acc.add(tail.stage_rows(acc.rows, n - acc.rows));
    const std::uint64_t before = m.rows_total;
    install(m, build_latency(acc));
    m.rows_total = before;
  }
  return true;
}

double summary_percentile(const StageSummary& s, int quantity, double p) {
  std::uint64_t n = 0;
  for (const StageHistBin& b : s.hist)
    if (b.quantity == quantity) n += b.count;
  if (n == 0) return kNoTime;
  // The report's type-7 rank, placed inside its bin on a log scale.
  const double rank = p / 100.0 * static_cast<double>(n - 1);
  double below = 0;
  for (const StageHistBin& b : s.hist) {
    if (b.quantity != quantity) continue;
    const double c = static_cast<double>(b.count);
    if (rank < below + c) {
      if (!std::isfinite(b.lo_s)) return b.hi_s;
      if (!std::isfinite(b.hi_s)) return b.lo_s;
      const double f = (rank - below + 0.5) / c;
      return b.lo_s * std::pow(b.hi_s / b.lo_s, f);
    }
    below += c;
  }
  return kNoTime;
}

LatencyData latency_from_summary(const StageSummary& s) {
  LatencyData out;
  out.rows = 0;
  // Histograms and figures.
  for (int k = 0; k < kStageQuantities; ++k) {
    Histogram& h = out.hist[k];
    h.bins.assign(48, 0);
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    std::uint64_t n = 0;
    for (const StageHistBin& b : s.hist)
      if (b.quantity == k) {
        n += b.count;
        if (b.hi_s > 0 && std::isfinite(b.hi_s)) lo = std::min(lo, std::log10(b.hi_s));
        if (b.lo_s > 0 && std::isfinite(b.lo_s)) hi = std::max(hi, std::log10(b.lo_s));
      }
    double sum = 0, mx = -HUGE_VAL;
    for (const StageBucket& b : s.buckets)
      if (b.quantity == k) {
        sum += b.mean_s * b.count;
        mx = std::max(mx, b.max_s);
      }
    h.stats.count = static_cast<std::size_t>(n);
    if (n == 0) continue;
    h.stats.p50_s = summary_percentile(s, k, 50);
    h.stats.p95_s = summary_percentile(s, k, 95);
    h.stats.p99_s = summary_percentile(s, k, 99);
    h.stats.max_s = mx;
    h.stats.mean_s = sum / static_cast<double>(n);
    if (!(lo <= hi)) lo = hi = std::isfinite(lo) ? lo : (std::isfinite(hi) ? hi : -3);
    h.log_lo = std::floor(lo * 2) / 2;
    h.log_hi = std::ceil(hi * 2) / 2;
    if (h.log_hi - h.log_lo < 1) h.log_hi = h.log_lo + 1;
    const double w = (h.log_hi - h.log_lo) / static_cast<double>(h.bins.size());
    for (const StageHistBin& b : s.hist) {
      if (b.quantity != k) continue;
      // A stored bin goes to the display bin holding its (log) centre.
      const double c = !std::isfinite(b.lo_s) ? std::log10(b.hi_s) - 1e-9
                       : !std::isfinite(b.hi_s) ? std::log10(b.lo_s)
                                               : 0.5 * (std::log10(b.lo_s) + std::log10(b.hi_s));
      auto bi = static_cast<std::ptrdiff_t>((c - h.log_lo) / w);
      bi = std::clamp<std::ptrdiff_t>(bi, 0, static_cast<std::ptrdiff_t>(h.bins.size()) - 1);
      auto& cell = h.bins[static_cast<std::size_t>(bi)];
      cell += static_cast<std::uint32_t>(std::min<std::uint64_t>(b.count, UINT32_MAX - cell));
      h.peak = std::max(h.peak, cell);
    }
  }
  // Per-stage series: each bucket's min then max (log10 s), one shared time vector.
  std::vector<double> t;
  std::vector<double> v[kStageSeries];
  const double half = s.bucket_s / 2;
  std::size_t i = 0;
  while (i < s.buckets.size()) {
    const double bt = s.buckets[i].t_s;
    const std::size_t at = t.size();
    t.push_back(bt);
    t.push_back(bt + half);
    for (auto& x : v) { x.push_back(kNoTime); x.push_back(kNoTime); }
    for (; i < s.buckets.size() && s.buckets[i].t_s == bt; ++i) {
      const StageBucket& b = s.buckets[i];
      if (b.quantity >= kStageSeries) continue;
      auto lg = [](double x) { return x > 0 ? std::log10(x) : kNoTime; };
      v[b.quantity][at] = lg(b.min_s);
      v[b.quantity][at + 1] = lg(b.max_s);
    }
  }
  auto ts = std::make_shared<const std::vector<double>>(std::move(t));
  for (int k = 0; k < kStageSeries; ++k) out.stage_latency[k].assign(ts, std::move(v[k]));
  return out;
}

namespace {

// Calls fn for every delivered /pipeline/stages row received in [t0, t1],
// reading only the rows that the summary's buckets overlapping the range point to.
template <class Fn>
std::uint64_t for_rows_in(TraceReader& reader, double t0, double t1, Fn fn) {
  return reader.stage_rows_received(t0, t1, [&](const std::vector<StageTimes>& rows) {
    for (const StageTimes& r : rows)
      if (static_cast<UpdateFate>(r.fate) == UpdateFate::kDelivered) fn(r);
  });
}

}  // namespace

LatencyStats range_dashboard_from_rows(TraceReader& reader, double t0, double t1) {
  std::vector<double> lat;
  for_rows_in(reader, t0, t1, [&](const StageTimes& r) {
    double d[kStageQuantities];
    stage_latencies(r, d);
    lat.push_back(d[kDashboardLatency]);
  });
  return latency_stats(lat);
}

std::uint64_t summary_updates_in(const StageSummary& s, double t0, double t1, std::uint64_t limit) {
  std::uint64_t n = 0;
  const auto lo = std::lower_bound(s.buckets.begin(), s.buckets.end(), t0 - s.bucket_s,
                                   [](const StageBucket& b, double t) { return b.t_s < t; });
  for (auto it = lo; it != s.buckets.end() && it->t_s <= t1 && n <= limit; ++it)
    if (it->quantity == 0 && it->t_s + s.bucket_s >= t0) n += it->count;
  return n;
}

StageRowsView stage_rows_view(TraceReader& reader, double t0, double t1) {
  StageRowsView out;
  out.t0 = t0;
  out.t1 = t1;
  struct Row {
    double t;
    double v[kStageSeries];
  };
  std::vector<Row> rows;
  out.rows = for_rows_in(reader, t0, t1, [&](const StageTimes& r) {
    double d[kStageQuantities];
    stage_latencies(r, d);
    Row row{r.t_received_s, {}};
    for (int k = 0; k < kStageSeries; ++k) row.v[k] = d[k] > 0 ? std::log10(d[k]) : kNoTime;
    rows.push_back(row);
  });
  // Rows are in order of completion: order them by arrival.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
  std::vector<double> t(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) t[i] = rows[i].t;
  auto ts = std::make_shared<const std::vector<double>>(std::move(t));
  for (int k = 0; k < kStageSeries; ++k) {
    std::vector<double> v(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) v[i] = rows[i].v[k];
    out.lat[k].assign(ts, std::move(v));
  }
  return out;
}

void install(Model& m, LatencyData&& d, bool exact) {
  for (int k = 0; k < kStageSeries; ++k) m.stage_latency[k] = std::move(d.stage_latency[k]);
  m.dashboard_latency = std::move(d.dashboard_latency);
  for (int k = 0; k < kStageQuantities; ++k) {
    const double target = m.hist[k].target_s;
    const char* label = m.hist[k].target_label;
    m.hist[k] = std::move(d.hist[k]);
    m.hist[k].target_s = target;
    m.hist[k].target_label = label;
  }
  m.rows_total += d.rows;
  m.latency_ready = true;
  m.latency_exact = exact;
  if (std::getenv("PEEBOT_VIEW_PROFILE") && !m.dashboard_latency.empty())
    std::fprintf(stderr, "latency: %zu rows by arrival, %.3f .. %.3f s\n", m.dashboard_latency.size(),
                 m.dashboard_latency.t().front(), m.dashboard_latency.t().back());
}

RangeStats range_stats(const Model& m, double t0, double t1) {
  RangeStats r;
  r.t0 = t0;
  r.t1 = t1;
  auto in = [&](double t) { return t >= t0 && t <= t1; };
  for (std::size_t i = 0; i < m.voids.size(); ++i) {
    if (!in(m.voids[i].onset_s) || m.void_kind[i] == EventKind::kVoidNoTank) continue;
    ++r.voids;
    if (m.void_kind[i] == EventKind::kVoidMissed) ++r.misses;
    else ++r.hits;
  }
  for (std::size_t j = 0; j < m.detections.size(); ++j) {
    if (!in(m.detections[j].emitted_s)) continue;
    ++r.detections;
    if (m.det_kind[j] == EventKind::kDetFalseAlarm) ++r.false_alarms;
    if (m.det_kind[j] == EventKind::kDetDuplicate) ++r.duplicates;
  }
  for (std::size_t i = 0; i < m.posts.size(); ++i)
    if (m.post_kind[i] == EventKind::kPostSent && in(m.posts[i].t_done_s)) ++r.posts_sent;
  const std::size_t tp = r.hits, fp = r.false_alarms + r.duplicates, fn = r.misses;
  r.precision = tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 1.0;
  r.recall = tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 1.0;
  for (const Interval& w : m.los) r.los_s += std::max(0.0, std::min(w.t1, t1) - std::max(w.t0, t0));
  const std::size_t a = m.tank.lower(t0), b = m.tank.lower(std::nextafter(t1, 1e300));
  r.tank_samples = b - a;
  if (b > a) m.tank.range_minmax(a, b, r.tank_min, r.tank_max);
  const std::size_t c = m.dashboard_latency.lower(t0), d = m.dashboard_latency.lower(std::nextafter(t1, 1e300));
  std::vector<double> lat(m.dashboard_latency.v().begin() + static_cast<std::ptrdiff_t>(c),
                          m.dashboard_latency.v().begin() + static_cast<std::ptrdiff_t>(d));
  r.dashboard = latency_stats(lat);
  return r;
}

void export_csv(const Model& m, double t0, double t1, const std::string& out_path) {
  std::ofstream f(out_path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write '" + out_path + "'");
  f << "t_s,utc,series,value,detail\n";
  struct Row {
    double t;
    const char* series;
    double value;
    const std::string* detail;
  };
  std::vector<Row> rows;
  const std::pair<const Series*, const char*> tel[] = {
      {&m.tank, "NODE3000005"}, {&m.upa, "NODE3000004"}, {&m.waste, "NODE3000008"}, {&m.clean, "NODE3000009"}};
  for (const auto& [s, name] : tel)
    for (std::size_t i = s->lower(t0); i < s->size() && s->t()[i] <= t1; ++i) rows.push_back({s->t()[i], name, s->v()[i], nullptr});
  for (const Event& e : m.events)
    if (e.t >= t0 && e.t <= t1) rows.push_back({e.t, event_kind_name(e.kind), kNoTime, &e.detail});
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
  char buf[64];
  for (const Row& r : rows) {
    std::snprintf(buf, sizeof buf, "%.6f", r.t);
    f << buf << ',' << format_utc_ms(m.meta.epoch_unix_s + r.t) << ',' << r.series << ',';
    if (!std::isnan(r.value)) {
      std::snprintf(buf, sizeof buf, "%.17g", r.value);
      f << buf;
    }
    f << ',';
    if (r.detail) {
      f << '"';
      for (char ch : *r.detail) {
        if (ch == '"') f << '"';
        f << ch;
      }
      f << '"';
    }
    f << '\n';
  }
  f.close();
  if (!f) throw std::runtime_error("writing '" + out_path + "' failed");
}

double parse_duration(const std::string& s) {
  // A bare number is seconds; anything else is the scenario files' syntax.
  if (!s.empty() && s.find_first_not_of("0123456789.") == std::string::npos) return peebot::parse_duration(s + "s");
  return peebot::parse_duration(s);
}

std::string format_duration(double s) {
  if (std::isnan(s)) return "-";
  const double a = std::fabs(s);
  const char* sign = s < 0 ? "-" : "";
  char buf[64];
  if (a == 0) std::snprintf(buf, sizeof buf, "0 s");
  else if (a < 1e-3) std::snprintf(buf, sizeof buf, "%s%.0f \xC2\xB5s", sign, a * 1e6);
  else if (a < 0.01) std::snprintf(buf, sizeof buf, "%s%.2f ms", sign, a * 1e3);
  else if (a < 1) std::snprintf(buf, sizeof buf, "%s%.0f ms", sign, a * 1e3);
  else if (a < 60) std::snprintf(buf, sizeof buf, "%s%.1f s", sign, a);
  else if (a < 3600) std::snprintf(buf, sizeof buf, "%s%dm %02ds", sign, static_cast<int>(a / 60), static_cast<int>(std::fmod(a, 60)));
  else if (a < 86400)
    std::snprintf(buf, sizeof buf, "%s%dh %02dm", sign, static_cast<int>(a / 3600), static_cast<int>(std::fmod(a, 3600) / 60));
  else
    std::snprintf(buf, sizeof buf, "%s%dd %02dh", sign, static_cast<int>(a / 86400), static_cast<int>(std::fmod(a, 86400) / 3600));
  return buf;
}

}  // namespace peebot::viz
