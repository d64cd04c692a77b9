// The series the charts draw from: M4 decimation and the min/max pyramid
// against brute-force scans, and the durations of --at / --window.
#include "view_fixtures.hpp"

using namespace peebot;
using namespace peebot::viz;
using namespace peebot::viz::testing;

TEST_CASE("M4 decimation matches a brute-force scan of every column", "[viz-model]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> t, v;
  double tt = 0;
  for (int i = 0; i < 20000; ++i) {
    tt += u(rng) < 0.1 ? 50 * u(rng) : u(rng);
    t.push_back(tt);
    v.push_back(std::round(100 * u(rng)));
  }
  Series s(t, v);
  for (int cols : {1, 7, 300, 1200}) {
    const double a = (t[1233] + t[1234]) / 2, b = t[17000] + 3;
    std::vector<M4Column> out;
    std::size_t before = 0;
    s.decimate(a, b, cols, out, before);
    REQUIRE(out.size() == static_cast<std::size_t>(cols));
    CHECK(before == 1233);
    std::uint64_t total = 0;
    for (int c = 0; c < cols; ++c) {
      const double ca = a + (b - a) * c / cols, cb = c + 1 == cols ? b : a + (b - a) * (c + 1) / cols;
      double mn = 1e9, mx = -1e9, first = 0, last = 0;
      std::uint64_t n = 0;
      for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i] >= ca && t[i] < cb) {
          if (!n) first = v[i];
          last = v[i];
          mn = std::min(mn, v[i]);
          mx = std::max(mx, v[i]);
          ++n;
        }
      const M4Column& m = out[static_cast<std::size_t>(c)];
      REQUIRE(m.count == n);
      if (n) {
        CHECK(m.first == first);
        CHECK(m.last == last);
        CHECK(m.min == mn);
        CHECK(m.max == mx);
      }
      total += n;
    }
    CHECK(total == s.lower(b) - s.lower(a));
  }
}

TEST_CASE("The min/max pyramid answers any index range like a scan, NaN values skipped", "[viz-model]") {
  std::mt19937_64 rng(9);
  std::vector<double> t(5000), v(5000);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<double>(i);
    v[i] = (i % 97 == 0) ? std::nan("") : static_cast<double>(rng() % 100000) / 7.0;
  }
  Series s(t, v);
  for (int k = 0; k < 400; ++k) {
    std::size_t a = rng() % 5000, b = rng() % 5001;
    if (a > b) std::swap(a, b);
    double mn = 0, mx = 0, bmn = 1e300, bmx = -1e300;
    for (std::size_t i = a; i < b; ++i)
      if (!std::isnan(v[i])) { bmn = std::min(bmn, v[i]); bmx = std::max(bmx, v[i]); }
    const bool any = s.range_minmax(a, b, mn, mx);
    CHECK(any == (bmn <= bmx));
    if (any) {  // the pyramid stores floats
      CHECK(mn == Approx(bmn).epsilon(1e-6));
      CHECK(mx == Approx(bmx).epsilon(1e-6));
    }
  }
}

TEST_CASE("Durations parse as in --at 2d3h and bad ones name what was expected", "[viz-model]") {
  CHECK(viz::parse_duration("2d3h") == 2 * 86400 + 3 * 3600);
  CHECK(viz::parse_duration("6h") == 21600);
  CHECK(viz::parse_duration("1h30min") == 5400);
  CHECK(viz::parse_duration("90") == 90);
  CHECK(viz::parse_duration("1.5d") == 129600);
  CHECK_THROWS_WITH(viz::parse_duration("3x"), Catch::Contains("unknown unit \"x\""));
  CHECK_THROWS_WITH(viz::parse_duration(""), Catch::Contains("empty"));
  CHECK_THROWS(viz::parse_duration("-2h"));
}
