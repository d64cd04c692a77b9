// Micro-benchmark of the TLCP client's decode path (sim/tlcp/tlcp.cpp), as
// `peebot live` runs it per WebSocket message: line splitting, notification
// parsing, MERGE update decoding (unchanged/^N/#/$/percent) and reading the
// TimeStamp and Value fields as numbers. No I/O, no pipeline: the decoder's
// share of the live throughput. Prints figures (scripts/bench_tlcp.sh builds
// and runs it); not a test.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ctime>
#include <string>
#include <vector>

#include "sim/tlcp/tlcp.hpp"

using namespace peebot::tlcp;

namespace {
// CPU time of this process (the machine may be shared: wall time would count others' load).
double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 2000000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  // A feed like `peebot serve`'s: 5 items, fields TimeStamp|Value|Status.Class,
  // MERGE-encoded against each item's previous values, in 64 KiB messages.
  constexpr int kItems = 5, kFields = 3;
  std::vector<std::vector<std::optional<std::string>>> last(kItems);
  std::vector<std::string> frames(1);
  std::uint64_t rng = 12345;
  auto next = [&]() { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return rng >> 11; };
  double ts = 7800.123456789;
  for (long i = 0; i < n; ++i) {
    const int item = static_cast<int>(next() % kItems);
    ts += 0.85 / 3600.0;
    char b[64];
    std::vector<std::optional<std::string>> cur(kFields);
    cur[0] = std::string(b, std::to_chars(b, b + sizeof b, ts).ptr);
    const double v = item == 4 ? ts : static_cast<double>(next() % 10000) / 100.0;
    cur[1] = std::string(b, std::to_chars(b, b + sizeof b, v).ptr);
    cur[2] = item == 4 && next() % 50 == 0 ? "0" : "24";
    std::string line = "U,1," + std::to_string(item + 1) + ",";
    encode_update_values(last[item].empty() ? nullptr : &last[item], cur, line);
    last[item] = cur;
    if (frames.back().size() + line.size() + 2 > 64 * 1024) frames.emplace_back();
    frames.back() += line;
    frames.back() += "\r\n";
  }
  std::size_t bytes = 0;
  for (const auto& f : frames) bytes += f.size();
  double best = 1e300, sum_check = 0;
  for (int r = 0; r < reps; ++r) {
    ItemState st(kItems, kFields);
    LineSplitter lines;
    Notification note;
    long updates = 0;
    const double t0 = cpu_s();
    for (const auto& f : frames) {
      lines.feed(f, [&](std::string_view line) {
        parse_notification(line, note);
        if (note.tag != Tag::kUpdate) return;
        int item = 0;
        std::from_chars(note.args[1].data(), note.args[1].data() + note.args[1].size(), item);
        st.apply(item, note.args[2]);
        double t = 0, v = 0;
        const auto& a = *st.value(item, 0);
        const auto& b = *st.value(item, 1);
        std::from_chars(a.data(), a.data() + a.size(), t);
        std::from_chars(b.data(), b.data() + b.size(), v);
        sum_check += t + v;
        ++updates;
      });
    }
    const double s = cpu_s() - t0;
    if (updates != n) { std::fprintf(stderr, "bench_tlcp: decoded %ld of %ld updates\n", updates, n); return 1; }
    best = std::min(best, s);
  }
  std::printf("bench_tlcp: %ld updates (%.1f MB in %zu messages of <= 64 KiB), best of %d: %.3f CPU-s, %.0f ns/update, "
              "%.0f updates per CPU-second (checksum %.6g)\n",
              n, static_cast<double>(bytes) / 1e6, frames.size(), reps, best, 1e9 * best / static_cast<double>(n),
              static_cast<double>(n) / best, sum_check);
  return 0;
}
