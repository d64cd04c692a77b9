// Helpers for tests that run the peebot binary and use scratch files.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "sim/cli/child_pool.hpp"

namespace peebot::test {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Runs a shell command line, stdout and stderr together.
inline Result run_shell(const std::string& command_line) {
  const std::string cmd = "{ " + command_line + "; } 2>&1";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs peebot with args; `env` (e.g. "PATH=/x FOO=1") sets its environment through env(1).
inline Result run_peebot(const std::string& args, const std::string& env = "") {
  return run_shell((env.empty() ? "" : "env " + env + " ") + std::string(PEEBOT_BINARY) + " " + args);
}

// A path in this process's scratch directory, /tmp/peebot-test-XXXXXX (the
// CLI's TempDir: created once, removed with what it holds when the test
// process exits).
inline std::string tmp_path(const std::string& name) {
  static const cli::TempDir scratch("test");
  return scratch.path() + "/" + name;
}

inline std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = tmp_path(name);
  std::ofstream(path) << text;
  return path;
}

inline bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

// A whole file's bytes ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream o;
  o << f.rdbuf();
  return o.str();
}

// 3 crew for 6 hours, light background: a run takes a fraction of a second
// (the grids of the sweep and Slurm tests).
inline const char* const kSmallScenario = R"(
[scenario]
name = "sweep-small"
start = "2025-01-06T05:00:00Z"
duration = "6h"
seed = 1

[crew]
size = 3
upa_share = 1.0

[background]
rate = 2
items = 10
)";

// Where the real recordings (../shared/data/real) should be: PEEBOT_SHARED_DATA
// when set, else next to the source tree.
inline std::string shared_data_path() {
  const char* env = std::getenv("PEEBOT_SHARED_DATA");
  return env && *env ? env : std::string(PEEBOT_SOURCE_DIR) + "/../shared/data/real";
}
// The same when the folder exists, else empty.
inline std::string shared_data_dir() { return exists(shared_data_path()) ? shared_data_path() : std::string(); }

// Reports the running test case as skipped, saying why. Under ctest (which
// sets PEEBOT_SKIP_RETURN_CODE and the SKIP_RETURN_CODE property, one process
// per test case) the process exits with that code, so ctest lists the case as
// skipped, not passed; run directly, it warns and the caller returns.
inline void skip_test(const std::string& why) {
  WARN("SKIPPED: " << why);
  const char* code = std::getenv("PEEBOT_SKIP_RETURN_CODE");
  if (code && *code) {
    std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
    std::fflush(nullptr);
    std::_Exit(std::atoi(code));
  }
}
// The real recordings' folder, or empty after skip_test() saying where they were looked for.
inline std::string shared_data_or_skip() {
  const std::string dir = shared_data_dir();
  if (dir.empty())
    skip_test("the real recordings are absent (no folder " + shared_data_path() +
              "; set PEEBOT_SHARED_DATA to their folder)");
  return dir;
}

}  // namespace peebot::test
