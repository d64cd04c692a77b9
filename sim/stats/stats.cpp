#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>

namespace peebot {

double percentile(std::vector<double> values, double p) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty() || std::isnan(p)) return stats::kNaN;
  p = std::clamp(p, 0.0, 100.0);
  std::sort(values.begin(), values.end());
  const double h = static_cast<double>(values.size() - 1) * p / 100.0;
  const std::size_t i = static_cast<std::size_t>(std::floor(h));
  if (i + 1 >= values.size()) return values.back();
  const double frac = h - static_cast<double>(i);
  if (frac == 0.0) return values[i];
  return values[i] + frac * (values[i + 1] - values[i]);
}

double sample_sd(const std::vector<double>& values) {
  double sum = 0;
  std::size_t n = 0;
  for (double x : values)
    if (std::isfinite(x)) { sum += x; ++n; }
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double mean = sum / static_cast<double>(n);
  double ss = 0;
  for (double x : values)
    if (std::isfinite(x)) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(n - 1));
}

namespace stats {

double t975(std::size_t df) {
  // t_{0.975, df} for df 1..30 (standard tables, 4 decimals); beyond, the
  // Cornish-Fisher expansion in 1/df around z = 1.959964 (error < 1e-4 at df 31).
  static const double kTable[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                  2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                  2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df == 0) return kNaN;
  if (df <= 30) return kTable[df - 1];
  const double z = 1.959963984540054, v = static_cast<double>(df);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z, z9 = z7 * z * z;
  return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v) +
         (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
}

namespace {

// splitmix64: a small generator whose output is the same on every platform
// (std::uniform_int_distribution is not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) {  // uniform in [0, n): rejection of the top partial block, then modulo
    const std::uint64_t m = n, limit = ~std::uint64_t{0} - (~std::uint64_t{0} % m);
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return static_cast<std::size_t>(x % m);
  }

 private:
  std::uint64_t s_;
};

// Student t interval of the mean of the finite values.
Interval t_interval(const std::vector<double>& xs) {
  Interval iv;
  double sum = 0;
  for (double x : xs)
    if (std::isfinite(x)) { sum += x; ++iv.n; }
  if (iv.n == 0) return iv;
  const double n = static_cast<double>(iv.n);
  iv.value = sum / n;
  if (iv.n < 2) return iv;
  double ss = 0;
  for (double x : xs)
    if (std::isfinite(x)) ss += (x - iv.value) * (x - iv.value);
  const double half = t975(iv.n - 1) * std::sqrt(ss / (n - 1) / n);
  iv.lo = iv.value - half;
  iv.hi = iv.value + half;
  return iv;
}

// The pooled percentile of replications' samples, each replication counted
// w[r] times (the bootstrap's multiplicities), without building the pooled
// vector: the k-th smallest is found by bisection over all values sorted,
// counting with a binary search in each replication's sorted samples.
class WeightedPercentile {
 public:
  explicit WeightedPercentile(const std::vector<Replicate>& reps) {
    for (const Replicate& r : reps) {
      std::vector<double> s;
      s.reserve(r.samples.size());
      for (double v : r.samples)
        if (!std::isnan(v)) s.push_back(v);
      std::sort(s.begin(), s.end());
      all_.insert(all_.end(), s.begin(), s.end());
      sorted_.push_back(std::move(s));
    }
    std::sort(all_.begin(), all_.end());
  }
  double at(const std::vector<std::uint32_t>& w, double p) const {
    std::uint64_t total = 0;
    for (std::size_t r = 0; r < sorted_.size(); ++r) total += std::uint64_t{w[r]} * sorted_[r].size();
    if (total == 0 || std::isnan(p)) return kNaN;
    p = std::clamp(p, 0.0, 100.0);
    const double h = static_cast<double>(total - 1) * p / 100.0;
    const std::uint64_t i = static_cast<std::uint64_t>(std::floor(h));
    const double xi = kth(w, i);
    if (i + 1 >= total) return xi;
    const double frac = h - static_cast<double>(i);
    if (frac == 0.0) return xi;
    return xi + frac * (kth(w, i + 1) - xi);
  }

 private:
  std::uint64_t count_le(const std::vector<std::uint32_t>& w, double v) const {
    std::uint64_t c = 0;
    for (std::size_t r = 0; r < sorted_.size(); ++r)
      if (w[r]) c += std::uint64_t{w[r]} * static_cast<std::uint64_t>(std::upper_bound(sorted_[r].begin(), sorted_[r].end(), v) - sorted_[r].begin());
    return c;
  }
  // The k-th smallest (0-based) of the weighted pool: the first value v of
  // all_ with count_le(v) > k.
  double kth(const std::vector<std::uint32_t>& w, std::uint64_t k) const {
    std::size_t lo = 0, hi = all_.size() - 1;
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (count_le(w, all_[mid]) > k) hi = mid;
      else lo = mid + 1;
    }
    return all_[lo];
  }
  std::vector<std::vector<double>> sorted_;
  std::vector<double> all_;
};

using Stat = std::function<double(const std::vector<std::uint32_t>&)>;

// The figure's statistic as a function of the runs' multiplicities.
Stat statistic(const FigureSpec& spec, const std::vector<Replicate>& reps) {
  switch (spec.pool) {
    case Pool::kMean:
    case Pool::kSum:
      return [&reps, spec](const std::vector<std::uint32_t>& w) {
        double s = 0, n = 0;
        for (std::size_t r = 0; r < reps.size(); ++r)
          if (std::isfinite(reps[r].x)) { s += w[r] * reps[r].x; n += w[r]; }
        if (n == 0) return kNaN;
        return spec.pool == Pool::kSum ? s : s / n;
      };
    case Pool::kRatio:
      return [&reps, spec](const std::vector<std::uint32_t>& w) {
        double num = 0, den = 0;
        for (std::size_t r = 0; r < reps.size(); ++r) { num += w[r] * reps[r].num; den += w[r] * reps[r].den; }
        return den > 0 ? num / den : spec.empty;
      };
    case Pool::kPercentile: {
      auto wp = std::make_shared<WeightedPercentile>(reps);
      return [wp, spec](const std::vector<std::uint32_t>& w) { return wp->at(w, spec.pct); };
    }
  }
  return {};
}

// Percentile bootstrap: value = stat(every run once); the interval is the
// 2.5 and 97.5 percentiles of stat over resamples that draw, in each stratum,
// as many runs as it has, with replacement. Resamples where stat has no value
// are left out; with fewer than half of them valued there is no interval.
Interval bootstrap(std::size_t n, const std::vector<std::size_t>& strata, const Stat& stat, std::uint64_t seed) {
  Interval iv;
  iv.n = n;
  if (n == 0) return iv;
  std::vector<std::uint32_t> w(n, 1);
  iv.value = stat(w);
  if (n < kMinBootstrapRuns) return iv;
  std::vector<std::vector<std::size_t>> groups;
  if (strata.size() == n) {
    std::vector<std::size_t> ids(strata);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    groups.resize(ids.size());
    for (std::size_t u = 0; u < n; ++u)
      groups[static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), strata[u]) - ids.begin())].push_back(u);
  } else {
    groups.emplace_back();
    for (std::size_t u = 0; u < n; ++u) groups[0].push_back(u);
  }
  Rng rng(seed);
  std::vector<double> vals;
  vals.reserve(kBootstrapResamples);
  for (int b = 0; b < kBootstrapResamples; ++b) {
    std::fill(w.begin(), w.end(), 0u);
    for (const auto& g : groups)
      for (std::size_t k = 0; k < g.size(); ++k) ++w[g[rng.below(g.size())]];
    const double v = stat(w);
    if (!std::isnan(v)) vals.push_back(v);
  }
  if (vals.size() * 2 < static_cast<std::size_t>(kBootstrapResamples) || std::isnan(iv.value)) return iv;
  iv.lo = std::min(percentile(vals, 2.5), iv.value);
  iv.hi = std::max(percentile(vals, 97.5), iv.value);
  return iv;
}

}  // namespace

Interval estimate(const FigureSpec& spec, const std::vector<Replicate>& reps, const std::vector<std::size_t>& strata,
                  std::uint64_t seed) {
  if (spec.pool == Pool::kMean) {
    std::vector<double> xs;
    xs.reserve(reps.size());
    for (const Replicate& r : reps) xs.push_back(r.x);
    return t_interval(xs);
  }
  return bootstrap(reps.size(), strata, statistic(spec, reps), seed);
}

Interval paired_difference(const FigureSpec& spec, const std::vector<Replicate>& a, const std::vector<Replicate>& b,
                           const std::vector<std::size_t>& strata, std::uint64_t seed) {
  const std::size_t n = std::min(a.size(), b.size());
  if (spec.pool == Pool::kMean) {
    std::vector<double> d(n);
    for (std::size_t i = 0; i < n; ++i) d[i] = a[i].x - b[i].x;
    return t_interval(d);
  }
  std::vector<Replicate> a2(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n));
  std::vector<Replicate> b2(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
  const Stat sa = statistic(spec, a2), sb = statistic(spec, b2);
  return bootstrap(n, strata, [&](const std::vector<std::uint32_t>& w) { return sa(w) - sb(w); }, seed);
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kMet: return "met";
    case Verdict::kNotMet: return "not met";
    case Verdict::kUndecided: return "undecided";
    case Verdict::kNotApplicable: return "n/a";
  }
  return "?";
}

Verdict judge(const Interval& iv, double target, Direction dir) {
  if (std::isnan(iv.value) || std::isnan(target)) return Verdict::kNotApplicable;
  const auto good = [&](double v) {
    switch (dir) {
      case Direction::kBelow: return v < target;
      case Direction::kAtMost: return v <= target;
      case Direction::kAtLeast: return v >= target;
    }
    return false;
  };
  if (!iv.has_ci()) {
    if (iv.n > 1) return Verdict::kUndecided;  // too few runs for an interval
    return good(iv.value) ? Verdict::kMet : Verdict::kNotMet;
  }
  // The worse end of the interval decides "met", the better end "not met".
  const double worse = dir == Direction::kAtLeast ? iv.lo : iv.hi;
  const double better = dir == Direction::kAtLeast ? iv.hi : iv.lo;
  if (good(worse)) return Verdict::kMet;
  if (!good(better)) return Verdict::kNotMet;
  return Verdict::kUndecided;
}

namespace {

std::string fmt(const char* f, double v) {
  if (std::isnan(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::string format_interval(const Interval& iv, const char* f) {
  std::string s = fmt(f, iv.value);
  if (iv.has_ci()) s += " [" + fmt(f, iv.lo) + ", " + fmt(f, iv.hi) + "]";
  return s + " n " + std::to_string(iv.n);
}

}  // namespace stats
}  // namespace peebot
