// The pipeline stages' logic, without any runtime.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "sim/pipeline/detector.hpp"
#include "sim/pipeline/ingest.hpp"
#include "sim/pipeline/poster.hpp"
#include "sim/pipeline/store.hpp"

using namespace peebot;

namespace {
Update upd(ItemId item, std::uint64_t seq, double value, double t = 0) {
  Update u;
  u.item = item;
  u.seq = seq;
  u.value = value;
  u.t_emit_s = t;
  return u;
}

// Feeds (t, value) tank samples and returns the detections.
std::vector<Detection> run_detector(Detector& d, const std::vector<std::pair<double, double>>& tank, double until) {
  std::vector<Detection> out;
  std::size_t i = 0;
  for (double t = 0; t <= until; t += 1.0) {
    while (i < tank.size() && tank[i].first <= t) {
      d.on_sample(Sample{tank[i].first, tank[i].second, kUrineTank, kStatusAos}, out);
      ++i;
    }
    d.on_sample(Sample{t, 0.0, kSignal, kStatusAos}, out);  // the feed's clock
  }
  d.finish(out);
  return out;
}

std::vector<std::pair<double, double>> rise(double t0, double from, double to, double step_s) {
  std::vector<std::pair<double, double>> s;
  for (double v = from + 1, t = t0; v <= to; v += 1, t += step_s) s.push_back({t, v});
  return s;
}
}  // namespace

TEST_CASE("ingest drops duplicates, stale updates and unknown items", "[pipeline][ingest]") {
  Ingest in(IngestParams{}, ItemDictionary(3));
  REQUIRE(in.accept(upd(kUrineTank, 5, 40)) == UpdateFate::kDelivered);
  REQUIRE(in.accept(upd(kUrineTank, 5, 40)) == UpdateFate::kDuplicate);
  REQUIRE(in.accept(upd(kUrineTank, 3, 39)) == UpdateFate::kStale);
  REQUIRE(in.accept(upd(kUrineTank, 7, 41)) == UpdateFate::kDelivered);
  REQUIRE(in.accept(upd(kUpaState, 4, 16)) == UpdateFate::kDelivered);  // order is per item
  REQUIRE(in.accept(upd(kUrineTank, 8, 140)) == UpdateFate::kInvalid);   // out of range
  REQUIRE(in.accept(upd(static_cast<ItemId>(kFirstBackground + 3), 9, 1)) == UpdateFate::kInvalid);  // not in dictionary
  REQUIRE(in.accept(upd(static_cast<ItemId>(kFirstBackground + 2), 10, 1)) == UpdateFate::kDelivered);
  REQUIRE(in.counters().duplicates == 1);
  REQUIRE(in.counters().stale == 1);
  REQUIRE(in.counters().invalid == 2);
  REQUIRE(in.service_time_s(100) == Approx(50e-6 + 100 * 1e-6));
}

TEST_CASE("ingest tells duplicates from stale updates across microsecond-numbered jumps as a plainly cleared window would", "[pipeline][ingest]") {
  // Reference: the accepted numbers in a window of 2^23 numbers (ingest.hpp's
  // kSeenBits) that slides in whole blocks of 64 to the newest accepted number;
  // what leaves it is forgotten. Live feeds number updates in microseconds of
  // feed time: jumps of ~1 s, resent snapshots and replays from seconds back.
  constexpr std::uint64_t kWindow = std::uint64_t{1} << 23;
  std::set<std::uint64_t> accepted;
  std::uint64_t base = 0;
  std::vector<std::uint64_t> last(kNamedItems, 0);
  std::vector<bool> seen(kNamedItems, false);
  auto reference = [&](ItemId id, std::uint64_t seq) {
    const auto item = static_cast<std::size_t>(id);
    const bool known = seq >= base && seq < base + kWindow && accepted.count(seq);
    if (seen[item]) {
      if (seq == last[item] || (seq < last[item] && known)) return UpdateFate::kDuplicate;
      if (seq < last[item]) return UpdateFate::kStale;
    }
    seen[item] = true;
    last[item] = seq;
    if (seq >= base) {
      if (seq >= base + kWindow) {
        base = (seq - kWindow + 64) / 64 * 64;
        accepted.erase(accepted.begin(), accepted.lower_bound(base));
      }
      accepted.insert(seq);
    }
    return UpdateFate::kDelivered;
  };
  Ingest in(IngestParams{}, ItemDictionary(0));
  std::mt19937_64 rng(7);
  std::uint64_t t = 1735689600ull * 1000000ull;  // 2025-01-01 in microseconds
  std::vector<std::uint64_t> sent;
  std::size_t dups = 0, stale = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto item = static_cast<ItemId>(rng() % kNamedItems);
    std::uint64_t seq;
    const auto r = rng() % 100;
    if (r < 8 && !sent.empty()) {
      seq = sent[sent.size() - 1 - rng() % std::min<std::size_t>(sent.size(), 40)];  // resent: usually a duplicate
    } else if (r < 10) {
      seq = t - rng() % (20 * kWindow);  // an old number, within or far beyond the window
    } else if (r < 13 && !sent.empty()) {
      // Never sent, but one or two windows after a number that was: the same bit of the ring.
      seq = sent[rng() % sent.size()] + kWindow * (1 + rng() % 2);
      if (seq > t) seq = t - 1 - rng() % kWindow;
    } else {
      t += r < 60 ? rng() % 2000 : r < 95 ? rng() % 2000000 : rng() % (3 * kWindow);  // ms, ~1 s or a jump past the window
      seq = t;
      sent.push_back(seq);
    }
    const UpdateFate want = reference(item, seq);
    INFO("update " << i << ", item " << item << ", seq " << seq);
    REQUIRE(in.accept(upd(item, seq, 50)) == want);
    dups += want == UpdateFate::kDuplicate;
    stale += want == UpdateFate::kStale;
  }
  REQUIRE(dups > 1000);   // the stream exercised both verdicts
  REQUIRE(stale > 1000);
}

TEST_CASE("the step detector ignores +-1 % flicker", "[pipeline][detector]") {
  DetectorParams p;
  auto d = make_detector(p);
  std::vector<std::pair<double, double>> s;
  for (int i = 0; i < 600; ++i) s.push_back({i * 3.0, i % 2 ? 41.0 : 42.0});
  REQUIRE(run_detector(*d, s, 1900).empty());
}

TEST_CASE("the step detector finds a urination with its onset, size and kind", "[pipeline][detector]") {
  DetectorParams p;
  p.confirm_s = 0;  // no early emission: the detection waits for the end of the rise and carries its full size
  auto d = make_detector(p);
  auto s = rise(1000, 30, 35, 5);  // 31..35 at 1000..1020
  s.insert(s.begin(), {{0, 30}, {500, 30}});
  const auto out = run_detector(*d, s, 1200);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kUrination);
  REQUIRE(out[0].onset_s == Approx(1000));
  REQUIRE(out[0].onset_lo_s == Approx(1000));  // the level was seen flat until then: no interval
  REQUIRE(out[0].end_s == Approx(1020));
  REQUIRE(out[0].size_pct == Approx(5));
  REQUIRE(out[0].size_ml == Approx(410));
}

TEST_CASE("the step detector calls a large fast rise a bulk transfer", "[pipeline][detector]") {
  DetectorParams p;
  auto d = make_detector(p);
  auto s = rise(100, 13, 71, 3);
  s.insert(s.begin(), {0, 13});
  const auto out = run_detector(*d, s, 600);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].kind == DetectionKind::kBulkTransfer);
  REQUIRE(out[0].size_pct == Approx(58));
}

TEST_CASE("the step detector finds a rise that straddles a gap, with an onset window spanning it", "[pipeline][detector]") {
  DetectorParams p;
  auto d = make_detector(p);
  // 30 % before a 20-minute gap, 34 % after it.
  std::vector<std::pair<double, double>> s{{0, 30}, {50, 30}, {1250, 34}};
  const auto out = run_detector(*d, s, 1400);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].onset_lo_s == Approx(50));
  REQUIRE(out[0].onset_s == Approx(1250));
}

TEST_CASE("the step detector does not trigger on a slow drain", "[pipeline][detector]") {
  DetectorParams p;
  auto d = make_detector(p);
  std::vector<std::pair<double, double>> s;
  for (int i = 0; i < 30; ++i) { s.push_back({i * 270.0, 40.0 - i}); s.push_back({i * 270.0 + 2, 41.0 - i}); s.push_back({i * 270.0 + 5, 40.0 - i}); }
  REQUIRE(run_detector(*d, s, 30 * 270).empty());
}

TEST_CASE("the rule detector ignores rises within the guard after a decrease", "[pipeline][detector]") {
  DetectorParams p;
  p.kind = "rule";
  auto d = make_detector(p);
  // 42 -> 41 at t=10, back to 42 at t=20 (within 60 s): ignored.
  std::vector<std::pair<double, double>> s{{0, 42}, {10, 41}, {20, 42}, {200, 43}, {205, 44}, {210, 45}};
  const auto out = run_detector(*d, s, 400);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].onset_s == Approx(200));
  REQUIRE(out[0].end_s == Approx(210));
  REQUIRE(out[0].size_pct == Approx(3));
}

TEST_CASE("an unknown detector kind is an error naming the kinds", "[pipeline][detector]") {
  DetectorParams p;
  p.kind = "magic";
  REQUIRE_THROWS_WITH(make_detector(p), Catch::Contains("magic") && Catch::Contains("step"));
}

TEST_CASE("the store commits when the batch is full or the oldest record is due", "[pipeline][store]") {
  StoreParams p;
  p.batch_size = 4;
  p.flush_interval_s = 2.0;
  StoreBatcher b(p);
  REQUIRE(b.deadline_s() > 1e299);
  b.add(10.0);
  b.add(10.5);
  REQUIRE_FALSE(b.full());
  REQUIRE(b.deadline_s() == Approx(12.0));
  b.add(11.0, 5);
  REQUIRE(b.full());
  double service = 0;
  REQUIRE(b.take(service) == 4);
  REQUIRE(service == Approx(p.service_per_batch_s + 4 * p.service_per_record_s));
  REQUIRE(b.pending() == 3);
  REQUIRE(b.deadline_s() == Approx(12.0));  // the leftovers keep their deadline
}

TEST_CASE("the poster delays or drops within the cooldown and never posts bulk transfers", "[pipeline][poster]") {
  TweetParams p;
  p.cooldown_s = 300;
  Detection d;
  d.id = 1;
  d.size_pct = 4;
  d.size_ml = 328;
  PostOutcome o;
  Poster delay(p);
  REQUIRE(*delay.schedule(d, 100, o) == Approx(100));
  delay.on_sent(101);
  REQUIRE(*delay.schedule(d, 200, o) == Approx(401));
  REQUIRE(o == PostOutcome::kSent);
  p.cooldown_policy = "drop";
  Poster drop(p);
  drop.on_sent(101);
  REQUIRE_FALSE(drop.schedule(d, 200, o).has_value());
  REQUIRE(o == PostOutcome::kSuppressed);
  d.kind = DetectionKind::kBulkTransfer;
  REQUIRE_FALSE(drop.schedule(d, 1000, o).has_value());
  REQUIRE(o == PostOutcome::kSkipped);
}

TEST_CASE("the poster backs off exponentially and gives up after max_retries", "[pipeline][poster]") {
  TweetParams p;
  p.max_retries = 3;
  p.backoff_s = 2;
  p.backoff_max_s = 5;
  Poster po(p);
  REQUIRE(*po.retry_delay(1) == Approx(2));
  REQUIRE(*po.retry_delay(2) == Approx(4));
  REQUIRE(*po.retry_delay(3) == Approx(5));  // capped
  REQUIRE_FALSE(po.retry_delay(4).has_value());
}

TEST_CASE("the tweet names the volume and the UTC time and fits in 280 characters", "[pipeline][poster]") {
  Poster po(TweetParams{});
  Detection d;
  d.id = 3;
  d.onset_s = 3600 * 14 + 60 * 3;
  d.size_pct = 4;
  d.size_ml = 328;
  const std::string text = po.compose(d, 1736121600.0);
  REQUIRE_THAT(text, Catch::Contains("328 mL") && Catch::Contains("14:03 UTC"));
  REQUIRE(text.size() <= 280);
}
