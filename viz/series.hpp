// A time series with a min/max pyramid built once, and its per-pixel-column
// M4 decimation (first / min / max / last of each column): drawing a window
// costs O(columns x log samples), whatever the number of samples.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace peebot::viz {

// One pixel column of a decimated series. count == 0: no sample in the column.
struct M4Column {
  double first = 0.0, min = 0.0, max = 0.0, last = 0.0;
  double t_first = 0.0, t_last = 0.0;  // times of the first and last samples in the column
  std::uint64_t count = 0;
};

class Series {
 public:
  Series() = default;
  // t must be non-decreasing (NaN times are not allowed; NaN values are kept
  // as samples but ignored by min/max).
  Series(std::vector<double> t, std::vector<double> v);
  void assign(std::vector<double> t, std::vector<double> v);  // rebuilds the pyramid
  // Several series may share one time vector (the per-stage latencies).
  void assign(std::shared_ptr<const std::vector<double>> t, std::vector<double> v);
  std::size_t size() const { return t_->size(); }
  bool empty() const { return t_->empty(); }
  const std::vector<double>& t() const { return *t_; }
  const std::vector<double>& v() const { return v_; }

  // First index with t >= time.
  std::size_t lower(double time) const;
  // Min and max of v over [i0, i1) through the pyramid (NaN-free; returns
  // false when the range holds no finite value).
  bool range_minmax(std::size_t i0, std::size_t i1, double& mn, double& mx) const;
  // Decimates [t0, t1) into `cols` equal columns (out is resized to cols).
  // `before` receives the last sample strictly before t0 (index or SIZE_MAX).
  void decimate(double t0, double t1, int cols, std::vector<M4Column>& out, std::size_t& before) const;
  // The value in force at `time` (last sample at or before it); false when none.
  bool value_at(double time, double& value, double& sample_t) const;
  // Index of the sample nearest to `time` (SIZE_MAX when empty).
  std::size_t nearest(double time) const;

 private:
  void build();
  std::shared_ptr<const std::vector<double>> t_ = std::make_shared<const std::vector<double>>();
  std::vector<double> v_;
  // levels_[k] holds min/max of blocks of 2^(k+1) samples.
  std::vector<std::vector<float>> lmin_, lmax_;
};

}  // namespace peebot::viz
