// Golden outputs (in the spirit of SimGrid's .tesh files): whole runs of a few
// scenarios and seeds, and an eval, must print the same report and write the
// same trace, dataset by dataset, as the files in tests/golden/. A change that
// moves a figure on purpose regenerates them (scripts/golden.sh --update) and
// says in its commit which figures moved and why; any other difference is a bug.
//
// tests/golden/flatten.py turns a trace or a JSON document into sorted
// 'name = value' lines (dataset digests, attributes, report figures) without the
// fields that are wall-clock by nature, so a failure names what moved.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"

using namespace peebot::test;

namespace {

const std::string kGoldenDir = std::string(PEEBOT_SOURCE_DIR) + "/tests/golden";

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Sorted lines of `flatten.py KIND FILE`.
std::string flatten(const std::string& kind, const std::string& file) {
  const std::string out = tmp_path("flat.txt");
  const std::string cmd = "/usr/bin/python3 " + kGoldenDir + "/flatten.py " + kind + " " + file + " > " + out;
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  return read_text(out);
}

bool updating() {
  const char* u = std::getenv("PEEBOT_GOLDEN_UPDATE");
  return u && *u && std::string(u) != "0";
}

// Compares `now` with the golden file NAME (or rewrites it when updating) and
// fails naming the lines that differ.
void check_golden(const std::string& name, const std::string& now) {
  const std::string path = kGoldenDir + "/" + name;
  if (updating()) {
    std::ofstream(path) << now;
    WARN("rewrote " << path);
    return;
  }
  INFO("golden file " << path << " (scripts/golden.sh --update regenerates it; say why in the commit)");
  REQUIRE(exists(path));
  const std::string want = read_text(path);
  if (want == now) return;
  const auto a = lines_of(want), b = lines_of(now);
  const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  std::ostringstream diff;
  int shown = 0;
  for (const auto& l : a)
    if (!sb.count(l) && shown++ < 40) diff << "- " << l << "\n";
  for (const auto& l : b)
    if (!sa.count(l) && shown++ < 80) diff << "+ " << l << "\n";
  FAIL_CHECK("differs from the golden output (- golden, + now):\n" << diff.str());
}

// One run: its JSON report and its trace's datasets.
void golden_run(const std::string& name, const std::string& args) {
  const std::string h5 = tmp_path(name + ".h5");
  const std::string json = tmp_path(name + ".json");
  const std::string err = tmp_path(name + ".err");
  const std::string cmd = std::string(PEEBOT_BINARY) + " run " + args + " --json -o " + h5 + " > " + json + " 2> " + err;
  const int code = std::system(cmd.c_str());
  INFO(cmd << "\n" << read_text(err));
  REQUIRE(code == 0);
  check_golden(name + ".report.txt", flatten("json", json));
  check_golden(name + ".trace.txt", flatten("trace", h5));
}

const std::string kScen = std::string(PEEBOT_SOURCE_DIR) + "/scenarios/";

}  // namespace

TEST_CASE("golden: a nominal day (direct pipeline) writes the recorded trace and report", "[golden]") {
  golden_run("nominal-1d-s1", kScen + "iss-nominal.toml --duration 1d --seed 1");
}

TEST_CASE("golden: the streaming architecture writes the recorded trace and report", "[golden]") {
  golden_run("streaming-6h-s2", kScen + "arch-streaming.toml --duration 6h --seed 2");
}

TEST_CASE("golden: the polling architecture writes the recorded trace and report", "[golden]") {
  golden_run("polling-6h-s3", kScen + "arch-polling.toml --duration 6h --seed 3");
}

TEST_CASE("golden: the W.E.T. architecture writes the recorded trace and report", "[golden]") {
  golden_run("wet-6h-s1", kScen + "arch-wet.toml --duration 6h --seed 1");
}

TEST_CASE("golden: 10,000 updates/s of load writes the recorded trace and report", "[golden]") {
  golden_run("load10k-5min-s1", kScen + "load-10k.toml --duration 5min --seed 1");
}

TEST_CASE("golden: faults (a partition, duplicates, a broker crash) write the recorded trace and report", "[golden]") {
  golden_run("faults-streaming-s4",
             kScen + "studies/faults.toml --seed 4 --set 'pipeline.architecture=\"streaming\"' --set "
                     "'faults=[{kind=\"partition\",start=\"1h\",end=\"1h10min\"},"
                     "{kind=\"duplicate\",start=\"2h\",end=\"3h\",probability=0.2},"
                     "{kind=\"crash\",target=\"broker\",start=\"4h\",end=\"4h10min\"}]'");
}

TEST_CASE("golden: a scenario with frequent long LOS writes the recorded trace and report", "[golden]") {
  golden_run("long-los-12h-s4", kScen + "eval/long-frequent-los.toml --duration 12h --seed 4");
}

TEST_CASE("golden: eval over the suite prints the recorded scores", "[golden]") {
  const std::string json = tmp_path("eval.json");
  const auto r = run_peebot("eval " + kScen + "eval --seeds 1..2 --jobs 2 --json " + json + " > /dev/null");
  INFO(r.out);
  REQUIRE(r.code == 0);
  check_golden("eval-s1-2.txt", flatten("json", json));
}
