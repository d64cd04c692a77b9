#include "series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace peebot::viz {

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();
}

Series::Series(std::vector<double> t, std::vector<double> v) { assign(std::move(t), std::move(v)); }

void Series::assign(std::vector<double> t, std::vector<double> v) {
  assign(std::make_shared<const std::vector<double>>(std::move(t)), std::move(v));
}

void Series::assign(std::shared_ptr<const std::vector<double>> t, std::vector<double> v) {
  t_ = std::move(t);
  v_ = std::move(v);
  if (v_.size() != t_->size()) v_.resize(t_->size(), std::numeric_limits<double>::quiet_NaN());
  build();
}

void Series::build() {
  lmin_.clear();
  lmax_.clear();
  std::size_t n = v_.size() / 2;
  if (n == 0) return;
  std::vector<float> mn(n), mx(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double a = v_[2 * j], b = v_[2 * j + 1];
    float lo = kInf, hi = -kInf;
    if (!std::isnan(a)) { lo = std::min(lo, static_cast<float>(a)); hi = std::max(hi, static_cast<float>(a)); }
    if (!std::isnan(b)) { lo = std::min(lo, static_cast<float>(b)); hi = std::max(hi, static_cast<float>(b)); }
    mn[j] = lo;
    mx[j] = hi;
  }
  lmin_.push_back(std::move(mn));
  lmax_.push_back(std::move(mx));
  while ((n = lmin_.back().size() / 2) > 0) {
    const auto& pmn = lmin_.back();
    const auto& pmx = lmax_.back();
    std::vector<float> a(n), b(n);
    for (std::size_t j = 0; j < n; ++j) {
      a[j] = std::min(pmn[2 * j], pmn[2 * j + 1]);
      b[j] = std::max(pmx[2 * j], pmx[2 * j + 1]);
    }
    lmin_.push_back(std::move(a));
    lmax_.push_back(std::move(b));
  }
}

std::size_t Series::lower(double time) const {
  return static_cast<std::size_t>(std::lower_bound(t_->begin(), t_->end(), time) - t_->begin());
}

bool Series::range_minmax(std::size_t i0, std::size_t i1, double& mn, double& mx) const {
  i1 = std::min(i1, v_.size());
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::size_t i = i0;
  while (i < i1) {
    // The biggest aligned block starting at i that fits in [i, i1).
    int k = -1;
    while (k + 1 < static_cast<int>(lmin_.size())) {
      const std::size_t span = std::size_t{2} << (k + 1);
      if (i % span != 0 || i + span > i1) break;
      ++k;
    }
    if (k < 0) {
      const double x = v_[i];
      if (!std::isnan(x)) { lo = std::min(lo, x); hi = std::max(hi, x); }
      ++i;
    } else {
      const std::size_t span = std::size_t{2} << k;
      const std::size_t b = i / span;
      if (lmin_[k][b] != kInf) {
        lo = std::min(lo, static_cast<double>(lmin_[k][b]));
        hi = std::max(hi, static_cast<double>(lmax_[k][b]));
      }
      i += span;
    }
  }
  mn = lo;
  mx = hi;
  return lo <= hi;
}

void Series::decimate(double t0, double t1, int cols, std::vector<M4Column>& out, std::size_t& before) const {
  const std::vector<double>& t_ = *this->t_;
  out.assign(static_cast<std::size_t>(std::max(cols, 0)), M4Column{});
  std::size_t i = lower(t0);
  before = i > 0 ? i - 1 : SIZE_MAX;
  if (cols <= 0 || !(t1 > t0)) return;
  const double dt = (t1 - t0) / cols;
  for (int c = 0; c < cols && i < t_.size(); ++c) {
    const double ce = c + 1 == cols ? t1 : t0 + dt * (c + 1);
    const std::size_t j = static_cast<std::size_t>(std::lower_bound(t_.begin() + static_cast<std::ptrdiff_t>(i), t_.end(), ce) - t_.begin());
    if (j > i) {
      M4Column& m = out[static_cast<std::size_t>(c)];
      m.count = j - i;
      m.first = v_[i];
      m.last = v_[j - 1];
      m.t_first = t_[i];
      m.t_last = t_[j - 1];
      if (!range_minmax(i, j, m.min, m.max)) m.min = m.max = m.first;
    }
    i = j;
  }
}

bool Series::value_at(double time, double& value, double& sample_t) const {
  const std::vector<double>& t_ = *this->t_;
  const auto it = std::upper_bound(t_.begin(), t_.end(), time);
  if (it == t_.begin()) return false;
  const std::size_t k = static_cast<std::size_t>(it - t_.begin()) - 1;
  value = v_[k];
  sample_t = t_[k];
  return true;
}

std::size_t Series::nearest(double time) const {
  const std::vector<double>& t_ = *this->t_;
  if (t_.empty()) return SIZE_MAX;
  const std::size_t i = lower(time);
  if (i == 0) return 0;
  if (i >= t_.size()) return t_.size() - 1;
  return (time - t_[i - 1] <= t_[i] - time) ? i - 1 : i;
}

}  // namespace peebot::viz
