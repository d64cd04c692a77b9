// `peebot serve` judged by a client no one here wrote: the official
// Lightstreamer Node client (lightstreamer-client-node 9.2.2 from npm) must
// receive exactly the replayed values, in order, over WebSocket and over HTTP
// streaming. node and npm are installed by scripts/setup.sh: their absence is
// a failure, not a skip.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

#include "sim/tlcp/server.hpp"
#include "sim/trace/trace.hpp"
#include "live_fixtures.hpp"

using namespace peebot;
using namespace peebot::testing;
namespace fs = std::filesystem;

namespace {

struct Out {
  int code = -1;
  std::string text;
};

Out shell(const std::string& cmd) {
  Out r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.text.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The harness directory in the build tree, with the official client installed.
// ctest runs these cases in parallel: an exclusive lock serialises the set-up,
// and files are replaced by rename so that a running node never reads half of one.
std::string node_harness() {
  const fs::path dir = fs::current_path() / "node_harness";
  fs::create_directories(dir);
  const int lock = open((dir / ".setup.lock").c_str(), O_CREAT | O_RDWR, 0644);
  REQUIRE(lock >= 0);
  REQUIRE(flock(lock, LOCK_EX) == 0);
  struct Unlock {
    int fd;
    ~Unlock() { flock(fd, LOCK_UN); close(fd); }
  } unlock{lock};
  for (const char* f : {"package.json", "client.js"}) {
    const fs::path src = fs::path(PEEBOT_SOURCE_DIR) / "tests" / "node" / f;
    if (fs::exists(dir / f) && read_all(dir / f) == read_all(src)) continue;
    fs::copy_file(src, dir / (std::string(f) + ".new"), fs::copy_options::overwrite_existing);
    fs::rename(dir / (std::string(f) + ".new"), dir / f);
  }
  const Out nodev = shell("node --version 2>&1");
  INFO("node is required (scripts/setup.sh installs it): " << nodev.text);
  REQUIRE(nodev.code == 0);
  if (!fs::exists(dir / "node_modules" / "lightstreamer-client-node" / "package.json")) {
    const Out inst = shell("cd '" + dir.string() + "' && npm install --no-audit --no-fund --loglevel=error 2>&1");
    INFO("npm install of lightstreamer-client-node@9.2.2 failed: " << inst.text);
    REQUIRE(inst.code == 0);
  }
  return dir.string();
}

void check_official_client(const std::string& transport, double speed) {
  const std::string harness = node_harness();
  const std::string trace = make_trace("serve-node");
  const Trace t = read_trace(trace);
  const auto expected = expected_of(t);
  live::ServeOptions o;
  o.port = 0;
  o.speed = speed;
  live::TlcpServer server(live::feed_from_trace(t), o);
  const unsigned short port = server.listen();
  std::thread th([&] { server.run(); });
  const Out r = shell("cd '" + harness + "' && node client.js http://127.0.0.1:" + std::to_string(port) + " " + transport + " " +
                      std::to_string(expected.size()) + " 20 NODE3000005 NODE3000004 NODE3000008 NODE3000009 TIME_000001 2>/dev/null");
  server.stop();
  th.join();
  fs::remove(trace);
  INFO("official client output:\n" << r.text);
  REQUIRE(r.code == 0);
  std::istringstream in(r.text);
  std::string line;
  std::size_t k = 0;
  while (std::getline(in, line)) {
    REQUIRE(k < expected.size());
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string x;
    while (std::getline(ls, x, '|')) f.push_back(x);
    INFO("update " << k << ": " << line);
    REQUIRE(f.size() == 4);
    REQUIRE(f[0] == expected[k].item);
    REQUIRE(std::stod(f[1]) == expected[k].ts);  // exact: the wire text reads back to the same double
    REQUIRE(std::stod(f[2]) == expected[k].value);
    REQUIRE(std::stoi(f[3]) == expected[k].status);
    ++k;
  }
  REQUIRE(k == expected.size());
}

}  // namespace

TEST_CASE("the official Lightstreamer Node client receives exactly the replayed values in order over WebSocket", "[serve][node]") {
  check_official_client("WS-STREAMING", 0.0);
}

TEST_CASE("the official Lightstreamer Node client receives exactly the replayed values in order over HTTP streaming", "[serve][node]") {
  check_official_client("HTTP-STREAMING", 0.0);
}

TEST_CASE("the official client follows a paced replay over WebSocket", "[serve][node]") {
  check_official_client("WS-STREAMING", 100.0);  // 30 s of trace in 0.3 s
}
