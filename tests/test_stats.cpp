// sim/stats: intervals across replications (their coverage on known
// distributions), the three-valued verdict, the paired difference; and the
// report's pooling of runs.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/report/report.hpp"
#include "sim/stats/stats.hpp"

using namespace peebot;
using namespace peebot::stats;

namespace {

// A deterministic normal generator (Box-Muller over mt19937_64's raw output),
// so the coverage figures are the same on every platform.
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : g_(seed) {}
  double uniform() { return (static_cast<double>(g_() >> 11) + 0.5) / 9007199254740992.0; }
  double operator()(double mean, double sd) {
    const double u = uniform(), v = uniform();
    return mean + sd * std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
  double exponential() { return -std::log(uniform()); }
  std::mt19937_64& raw() { return g_; }

 private:
  std::mt19937_64 g_;
};

bool covers(const Interval& iv, double truth) { return iv.has_ci() && iv.lo <= truth && truth <= iv.hi; }

}  // namespace

TEST_CASE("t975 matches Student's t table", "[stats]") {
  CHECK(t975(1) == Approx(12.7062).epsilon(1e-4));
  CHECK(t975(9) == Approx(2.2622).epsilon(1e-4));
  CHECK(t975(19) == Approx(2.0930).epsilon(1e-4));
  CHECK(t975(40) == Approx(2.0211).epsilon(2e-4));
  CHECK(t975(120) == Approx(1.9799).epsilon(2e-4));
  CHECK(t975(100000) == Approx(1.96).epsilon(1e-3));
  CHECK(std::isnan(t975(0)));
}

// The share of `trials` synthetic samples (each `runs` replications drawn by
// fill) whose 95 % interval covers the truth.
template <typename Fill>
double coverage(int trials, std::size_t runs, const FigureSpec& spec, double truth, Fill fill) {
  int hit = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<Replicate> reps(runs);
    for (auto& r : reps) fill(r);
    hit += covers(estimate(spec, reps, {}, kBootstrapSeed + static_cast<std::uint64_t>(t)), truth);
  }
  return static_cast<double>(hit) / trials;
}

TEST_CASE("the Student t interval of a mean covers the true mean in about 95 % of samples", "[stats]") {
  Normal rng(7);
  const double c = coverage(4000, 10, FigureSpec{Pool::kMean}, 5.0, [&](Replicate& r) { r.x = rng(5.0, 2.0); });
  INFO("coverage " << c);
  CHECK(c > 0.935);
  CHECK(c < 0.965);
}

TEST_CASE("the bootstrap interval of a pooled ratio covers the true share in about 95 % of samples", "[stats]") {
  Normal rng(11);
  const double c = coverage(600, 20, FigureSpec{Pool::kRatio}, 0.3, [&](Replicate& r) {
    r.den = 40;
    for (int k = 0; k < 40; ++k) r.num += rng.uniform() < 0.3 ? 1 : 0;
  });
  INFO("coverage " << c);
  CHECK(c > 0.915);
  CHECK(c < 0.975);
}

TEST_CASE("the bootstrap interval of a pooled percentile covers the true median in about 95 % of samples", "[stats]") {
  Normal rng(13);
  const double median = std::log(2.0);  // of the unit exponential
  const double c = coverage(250, 15, FigureSpec{Pool::kPercentile, 50}, median, [&](Replicate& r) {
    for (int k = 0; k < 12; ++k) r.samples.push_back(rng.exponential());
  });
  INFO("coverage " << c);
  CHECK(c > 0.9);
  CHECK(c < 0.985);
}

TEST_CASE("a pooled percentile is the percentile of every run's samples together, and deterministic", "[stats]") {
  std::vector<Replicate> reps(3);
  reps[0].samples = {10, 50, 20};
  reps[1].samples = {5, NAN, 70, 30};
  reps[2].samples = {};
  std::vector<double> all = {10, 50, 20, 5, 70, 30};
  for (double p : {0.0, 37.0, 50.0, 95.0, 100.0}) {
    const Interval iv = estimate(FigureSpec{Pool::kPercentile, p}, reps);
    CHECK(iv.value == percentile(all, p));
    CHECK(iv.n == 3);
  }
  // Three runs are too few for a bootstrap interval: the verdict is undecided, not a false "met".
  const Interval few = estimate(FigureSpec{Pool::kPercentile, 95}, reps);
  CHECK_FALSE(few.has_ci());
  CHECK(judge(few, 1000, Direction::kBelow) == Verdict::kUndecided);
  reps.resize(6);
  reps[3].samples = {15, 25};
  reps[4].samples = {45};
  reps[5].samples = {35, 65, 40};
  const Interval a = estimate(FigureSpec{Pool::kPercentile, 95}, reps);
  const Interval b = estimate(FigureSpec{Pool::kPercentile, 95}, reps);
  REQUIRE(a.has_ci());
  CHECK(a.lo == b.lo);
  CHECK(a.hi == b.hi);
  CHECK(a.lo <= a.value);
  CHECK(a.value <= a.hi);
}

TEST_CASE("a verdict is undecided when the interval straddles the target, and decided only by a whole interval", "[stats]") {
  Interval iv;
  iv.value = 100;
  iv.lo = 90;
  iv.hi = 130;
  iv.n = 20;
  CHECK(judge(iv, 120, Direction::kBelow) == Verdict::kUndecided);
  CHECK(judge(iv, 131, Direction::kBelow) == Verdict::kMet);
  CHECK(judge(iv, 90, Direction::kBelow) == Verdict::kNotMet);
  CHECK(judge(iv, 95, Direction::kAtLeast) == Verdict::kUndecided);
  CHECK(judge(iv, 90, Direction::kAtLeast) == Verdict::kMet);
  CHECK(judge(iv, 131, Direction::kAtLeast) == Verdict::kNotMet);
  // A count that must be 0: all runs 0 is met; some runs with one is undecided or not met.
  std::vector<Replicate> zeros(5), some(5);
  for (auto& r : zeros) r.x = 0;
  for (std::size_t i = 0; i < some.size(); ++i) some[i].x = i < 2 ? 1 : 0;
  CHECK(judge(estimate(FigureSpec{Pool::kMean}, zeros), 0, Direction::kAtMost) == Verdict::kMet);
  CHECK(judge(estimate(FigureSpec{Pool::kMean}, some), 0, Direction::kAtMost) == Verdict::kUndecided);
  // One run: no interval; the value's side.
  Interval one;
  one.value = 100;
  one.n = 1;
  CHECK_FALSE(one.has_ci());
  CHECK(judge(one, 120, Direction::kBelow) == Verdict::kMet);
  CHECK(judge(one, 80, Direction::kBelow) == Verdict::kNotMet);
  CHECK(judge(Interval{}, 80, Direction::kBelow) == Verdict::kNotApplicable);
  CHECK(std::string(verdict_name(Verdict::kUndecided)) == "undecided");
}

TEST_CASE("a paired difference of equal runs is exactly 0, of a shift its size", "[stats]") {
  Normal rng(3);
  std::vector<Replicate> a(8), b(8), c(8);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i].x = rng(50, 10);
    a[i].num = std::floor(rng.uniform() * 20);
    a[i].den = 20;
    for (int k = 0; k < 5; ++k) a[i].samples.push_back(rng(100, 30));
    b[i] = a[i];
    c[i] = a[i];
    c[i].x += 3;
    for (double& s : c[i].samples) s += 7;
  }
  for (Pool p : {Pool::kMean, Pool::kRatio, Pool::kPercentile}) {
    const Interval d = paired_difference(FigureSpec{p}, a, b);
    CHECK(d.value == 0);
    CHECK(d.lo == 0);
    CHECK(d.hi == 0);
  }
  const Interval dm = paired_difference(FigureSpec{Pool::kMean}, c, a);
  CHECK(dm.value == Approx(3));
  CHECK(dm.lo == Approx(3));
  const Interval dp = paired_difference(FigureSpec{Pool::kPercentile, 95}, c, a);
  CHECK(dp.value == Approx(7));
  CHECK(dp.lo > 0);
}

TEST_CASE("pooled runs give each target its interval, n and a three-valued verdict", "[stats][report]") {
  std::vector<std::vector<RunFigure>> runs;
  for (int s = 0; s < 6; ++s) {
    RunFigure lat;
    lat.name = "event_to_tweet_p95";
    lat.description = "P95 event -> tweet";
    lat.unit = "s";
    lat.target = 120;
    lat.spec = FigureSpec{Pool::kPercentile, 95};
    lat.rep.samples = {60.0 + s, 90.0 + 5 * s, 100.0 + 6 * s};  // around the target
    RunFigure thr;
    thr.name = "throughput";
    thr.description = "persisted share";
    thr.unit = "fraction";
    thr.target = 0.999;
    thr.direction = Direction::kAtLeast;
    thr.spec = FigureSpec{Pool::kRatio};
    thr.rep.num = 1000;
    thr.rep.den = 1000;
    runs.push_back({lat, thr});
  }
  const PooledReport p = pool_runs(runs);
  REQUIRE(p.figures.size() == 2);
  const PooledFigure* lat = p.find("event_to_tweet_p95");
  REQUIRE(lat);
  CHECK(lat->iv.n == 6);
  REQUIRE(lat->iv.has_ci());
  CHECK(lat->iv.lo < 120);
  CHECK(lat->iv.hi > 120);
  CHECK(lat->verdict == Verdict::kUndecided);
  const PooledFigure* thr = p.find("throughput");
  CHECK(thr->iv.value == 1);
  CHECK(thr->verdict == Verdict::kMet);
  // A run's figures survive their hand-over text.
  const auto back = parse_run_figures(parse_json(format_run_figures_json(runs[3])));
  REQUIRE(back.size() == 2);
  CHECK(back[0].rep.samples == runs[3][0].rep.samples);
  CHECK(back[1].direction == Direction::kAtLeast);
  CHECK(back[1].rep.num == 1000);
  CHECK(figure_settled(*thr, 0.05));
  CHECK_FALSE(figure_settled(*lat, 0.01));
  const std::string js = format_pooled_json(p);
  CHECK(js.find("\"verdict\": \"undecided\"") != std::string::npos);
  CHECK(js.find("\"ci95\": [") != std::string::npos);
}

TEST_CASE("the sample standard deviation divides by n - 1 and ignores non-finite values", "[stats]") {
  CHECK(sample_sd({2, 4, 4, 4, 5, 5, 7, 9}) == Approx(std::sqrt(32.0 / 7.0)));
  CHECK(sample_sd({1, 3, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) ==
        Approx(std::sqrt(2.0)));
  CHECK(std::isnan(sample_sd({5})));
  CHECK(std::isnan(sample_sd({})));
}
