// peebot-view's command line: help, bad input (exit 2), headless PNG and CSV.
#include "view_fixtures.hpp"

using namespace peebot;
using namespace peebot::viz;
using namespace peebot::viz::testing;

TEST_CASE("peebot-view: help, bad input, headless screenshot and CSV export", "[viz-cli]") {
  TempDir d;
  const std::string p = d.file("demo.h5");
  write_demo(p);
  const std::string bin = PEEBOT_VIEW_BINARY;
  CHECK(run(bin + " --help > " + d.file("help.txt")) == 0);
  CHECK(slurp(d.file("help.txt")).find("--screenshot") != std::string::npos);
  // peebot view forwards to peebot-view.
  CHECK(run(std::string(PEEBOT_BINARY) + " view --help > " + d.file("help2.txt")) == 0);
  CHECK(slurp(d.file("help2.txt")).find("Usage: peebot-view") != std::string::npos);
  CHECK(run(std::string(PEEBOT_BINARY) + " view 2> /dev/null") == 2);
  CHECK(run(bin + " " + d.file("nope.h5") + " 2> " + d.file("err.txt")) == 2);
  CHECK(slurp(d.file("err.txt")).find("nope.h5") != std::string::npos);
  CHECK(run(bin + " " + p + " --at 2x 2> " + d.file("err2.txt")) == 2);
  CHECK(slurp(d.file("err2.txt")).find("--at") != std::string::npos);
  CHECK(run(bin + " " + p + " --frames 0 2> /dev/null") == 2);
  const std::string png = d.file("out.png");
  REQUIRE(run(bin + " " + p + " --at 1h20min --window 1h --screenshot " + png + " --frames 3 > /dev/null") == 0);
  const std::string bytes = slurp(png);
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.compare(1, 3, "PNG") == 0);
  // IHDR: width and height, big-endian at bytes 16..23.
  auto be32 = [&](std::size_t o) {
    return (static_cast<unsigned>(static_cast<unsigned char>(bytes[o])) << 24) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[o + 1])) << 16) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[o + 2])) << 8) |
           static_cast<unsigned>(static_cast<unsigned char>(bytes[o + 3]));
  };
  CHECK(be32(16) == 1280);
  CHECK(be32(20) == 800);
  const std::string csv = d.file("sel.csv");
  REQUIRE(run(bin + " " + p + " --select 1h22min,1h24min --csv " + csv + " > /dev/null") == 0);
  const std::string text = slurp(csv);
  CHECK(text.find("4980.000000,") != std::string::npos);
  CHECK(text.find("4890.000000,") == std::string::npos);
  CHECK(text.find("5070.000000,") == std::string::npos);
}
