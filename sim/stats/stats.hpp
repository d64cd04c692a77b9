// Statistics across replications (docs/statistics.md): a figure's value and
// 95 % confidence interval over independent runs (one seed each), the
// three-valued verdict against a target, and the paired difference of two
// sets of runs on the same seeds. Used by peebot report, run --seeds, eval
// and sweep alike. Pure C++; deterministic (the bootstrap has its own seeded
// generator).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace peebot {

// The p-th percentile, p in [0, 100] (clamped), by linear interpolation
// between closest ranks: with the n values sorted x[0..n-1], h = (n-1) p/100,
// result = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
// This is Hyndman & Fan type 7, numpy.percentile's default ("linear").
// NaN values in the input are ignored; returns NaN when no value is left or
// p is NaN.
double percentile(std::vector<double> values, double p);
// The sample standard deviation (divisor n - 1) of the finite values; NaN
// when fewer than two are left.
double sample_sd(const std::vector<double>& values);

namespace stats {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// How a figure pools over replications, and which interval it gets.
enum class Pool {
  kMean,        // the mean of per-replication values; Student t interval
  kSum,         // the sum of per-replication values (a count over all runs); bootstrap
  kRatio,       // sum(num) / sum(den) over the runs (precision, recall, F1, a share); bootstrap
  kPercentile,  // the p-th percentile of every run's samples pooled (a latency percentile); bootstrap
};

// The raw material of one figure in one replication.
struct Replicate {
  double x = kNaN;              // kMean, kSum (NaN: this run has no value)
  double num = 0, den = 0;      // kRatio
  std::vector<double> samples;  // kPercentile (NaN samples are ignored)
};

struct FigureSpec {
  Pool pool = Pool::kMean;
  double pct = 95;      // kPercentile: 0..100 (100: the maximum)
  double empty = kNaN;  // kRatio: the value when sum(den) == 0 (precision with no detection: 1)
};

// A figure over n replications: its value and 95 % confidence interval.
// lo and hi are NaN when there is no interval (fewer than 2 runs with data).
struct Interval {
  double value = kNaN;
  double lo = kNaN, hi = kNaN;
  std::size_t n = 0;  // replications (kMean: those with a value)
  bool has_ci() const { return lo == lo && hi == hi; }
  double half_width() const { return has_ci() ? (hi - lo) / 2 : kNaN; }
};

// The bootstrap's resamples and the seed of its generator: fixed, so that an
// interval is a function of the runs alone.
constexpr int kBootstrapResamples = 2000;
// Fewer runs than this give a bootstrap figure no interval: with 2-4 runs
// there are too few distinct resamples, and the interval is far too narrow
// (2 runs of a P95 can look decided when 20 are not; docs/statistics.md).
constexpr std::size_t kMinBootstrapRuns = 5;
constexpr std::uint64_t kBootstrapSeed = 0x5EEDB007u;

// The two-sided 95 % quantile of Student's t with df degrees of freedom
// (t_{0.975, df}); NaN for df 0.
double t975(std::size_t df);

// The figure over the replications. `strata` (empty, or one per replication)
// groups runs of different scenarios: the bootstrap resamples within each
// group, keeping its size. kMean ignores strata.
Interval estimate(const FigureSpec& spec, const std::vector<Replicate>& reps,
                  const std::vector<std::size_t>& strata = {}, std::uint64_t seed = kBootstrapSeed);

// The paired difference a - b of the same figure over the same runs (a[i] and
// b[i] are one seed): kMean a Student t interval on the per-run differences,
// the others a bootstrap that resamples the runs once for both sides. Equal
// inputs give [0, 0].
Interval paired_difference(const FigureSpec& spec, const std::vector<Replicate>& a, const std::vector<Replicate>& b,
                           const std::vector<std::size_t>& strata = {}, std::uint64_t seed = kBootstrapSeed);

// Which side of the target is good.
enum class Direction {
  kBelow,    // met when value < target (a latency percentile)
  kAtMost,   // met when value <= target (a count that must be 0)
  kAtLeast,  // met when value >= target (a share that must be reached)
};

enum class Verdict {
  kMet,            // the whole interval is on the good side
  kNotMet,         // the whole interval is on the bad side
  kUndecided,      // the interval straddles the target: more runs may decide it
  kNotApplicable,  // no value
};
const char* verdict_name(Verdict v);  // "met", "not met", "undecided", "n/a"

// The verdict of a figure against its target. With an interval: met / not met
// when it lies wholly on one side, undecided when it straddles the target.
// Without one: a single run gives the value's side (all one run can say);
// several runs without an interval (a bootstrap figure of 2-4 runs) undecided.
Verdict judge(const Interval& iv, double target, Direction dir);

// "152.2 [140.1, 161.0] n 20" (fmt is the printf format of each number;
// "-" for no value, no brackets without an interval).
std::string format_interval(const Interval& iv, const char* fmt = "%.3g");

}  // namespace stats
}  // namespace peebot
