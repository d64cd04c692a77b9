// Issue 14: hostile but well-formed input files. Each case failed (a crash, a
// runaway allocation, a clobbered file, a wrong exit status) before its fix.
// Rules and bounds: docs/security.md.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

#include "cli_support.hpp"
#include "sim/cli/child_pool.hpp"
#include "sim/trace/trace.hpp"
#include "sim/util/files.hpp"
#include "sim/util/text.hpp"

using namespace peebot;
using namespace peebot::test;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kMemoryLimit = "";  // ASan reserves far more address space than it uses
#else
constexpr const char* kMemoryLimit = "ulimit -v 2000000; ";  // 2 GB: the old readers grew past 4.5 GB first
#endif

// A small simulation-like trace with a tank feed (a rise every 2 h) over 2 days,
// whose meta and one tank time the caller may spoil.
std::string small_trace(const std::string& name, double duration_s, double epoch_unix_s, double last_t_s) {
  const std::string path = tmp_path(name);
  TraceMeta m;
  m.mode = "sim";  // compare bins a simulation's span by duration_s
  m.scenario_name = "hand-made";
  m.epoch_utc = "2025-01-06T00:00:00Z";
  m.epoch_unix_s = epoch_unix_s;
  m.duration_s = duration_s;
  TraceWriter w(path, m);
  std::uint64_t seq = 0;
  double level = 20;
  for (double t = 0; t < 2 * 86400.0; t += 60) {
    if (std::fmod(t, 7200.0) == 0) level += 1;
    if (level > 80) level = 20;
    TelemetryRow r;
    r.t_s = t;
    r.t_emit_s = std::numeric_limits<double>::quiet_NaN();
    r.iss_time_h = 144 + t / 3600;
    r.value = level;
    r.seq = ++seq;
    w.telemetry(kUrineTank, r);
  }
  TelemetryRow r;
  r.t_s = last_t_s;
  r.value = level;
  r.seq = ++seq;
  w.telemetry(kUrineTank, r);
  w.finish();
  return path;
}

const double kEpoch = 1736121600.0;

}  // namespace

TEST_CASE("hostile traces: every subcommand that reads a trace exits 2 naming the attribute or row", "[hostile]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::string good = small_trace("good.h5", 2 * 86400.0, kEpoch, 2 * 86400.0);
  const std::string labels = write_file("labels.toml", "[[label]]\nonset = \"2025-01-06T02:00:00Z\"\nkind = \"urination\"\n");
  struct Case {
    std::string name;
    double duration, epoch, last_t;
    std::string says;
  };
  const Case cases[] = {
      {"dur1e12.h5", 1e12, kEpoch, 2 * 86400.0, "attribute 'duration_s' = 1000000000000"},
      {"durinf.h5", inf, kEpoch, 2 * 86400.0, "attribute 'duration_s' = inf"},
      {"epochnan.h5", 2 * 86400.0, std::nan(""), 2 * 86400.0, "attribute 'epoch_unix_s' = nan"},
      {"t1e300.h5", 2 * 86400.0, kEpoch, 1e300, "/telemetry/NODE3000005 row 2880: t_s = 1.0000000000000001e+300"},
      {"tinf.h5", 2 * 86400.0, kEpoch, inf, "/telemetry/NODE3000005 row 2880: t_s = inf"},
  };
  for (const Case& c : cases) {
    const std::string bad = small_trace(c.name, c.duration, c.epoch, c.last_t);
    const std::string commands[] = {
        "compare " + good + " " + bad,
        "compare " + bad + " " + good + " --json",
        "report " + bad,
        "calibrate " + bad + " -o " + tmp_path("cal.toml"),
        "eval --labels " + labels + " " + bad,
        "replay " + bad,
        "serve " + bad + " --port 0 --exit-when-done",
    };
    for (const std::string& cmd : commands) {
      INFO("peebot " << cmd);
      const Result r = run_shell(std::string(kMemoryLimit) + PEEBOT_BINARY + " " + cmd);
      INFO(r.out);
      CHECK(r.code == 2);
      CHECK(r.out.find(bad) != std::string::npos);
      CHECK(r.out.find(c.says) != std::string::npos);
    }
  }
  CHECK(!exists(tmp_path("cal.toml")));
  // The good trace still compares.
  const Result ok = run_peebot("compare " + good + " " + good + " --json");
  INFO(ok.out);
  CHECK(ok.code == 0);
}

namespace {

const char* kShort = R"(
[scenario]
name = "short"
start = "2025-01-06T04:00:00Z"
duration = "2h"
seed = 3

[crew]
size = 2
)";

bool is_symlink(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

TEST_CASE("a symbolic link planted at OUT.h5.tmp is replaced, never written through", "[hostile]") {
  const std::string sc = write_file("short.toml", kShort);
  const std::string victim = write_file("victim.txt", "precious\n");
  const std::string out = tmp_path("clobber.h5");
  ::unlink((out + ".tmp").c_str());
  REQUIRE(::symlink(victim.c_str(), (out + ".tmp").c_str()) == 0);
  const Result r = run_peebot("run " + sc + " -q -o " + out);
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(slurp(victim) == "precious\n");  // the link's target is untouched
  CHECK_FALSE(is_symlink(out));
  CHECK_FALSE(exists(out + ".tmp"));
  CHECK(TraceReader(out).meta().scenario_name == "short");
}

TEST_CASE("files replaced whole are written through an exclusive temporary, never through a link", "[hostile]") {
  const std::string victim = write_file("victim2.txt", "precious\n");
  const std::string out = tmp_path("table.csv");
  // The old fixed temporary names: a link planted there must not be followed.
  for (const std::string& planted : {out + ".tmp", out + ".tmp" + std::to_string(::getpid())}) {
    ::unlink(planted.c_str());
    REQUIRE(::symlink(victim.c_str(), planted.c_str()) == 0);
  }
  write_file_atomically(out, "a,b\n1,2\n");
  CHECK(slurp(out) == "a,b\n1,2\n");
  CHECK(slurp(victim) == "precious\n");
  // An output that is itself a link is replaced by the new file, the link's target untouched.
  const std::string linked = tmp_path("linked.csv");
  ::unlink(linked.c_str());
  REQUIRE(::symlink(victim.c_str(), linked.c_str()) == 0);
  write_file_atomically(linked, "x\n");
  CHECK(slurp(victim) == "precious\n");
  CHECK_FALSE(is_symlink(linked));
  CHECK(slurp(linked) == "x\n");
  // A temporary is a fresh name each time, created with O_EXCL.
  std::string t1, t2;
  const int a = create_temp_beside(out, t1), b = create_temp_beside(out, t2);
  CHECK(a >= 0);
  CHECK(b >= 0);
  CHECK(t1 != t2);
  CHECK(t1.rfind(out + ".tmp.", 0) == 0);
  ::close(a);
  ::close(b);
  ::unlink(t1.c_str());
  ::unlink(t2.c_str());
  // calibrate -o writes through the same helper (no fixed OUT.tmp to plant).
  const std::string trace = small_trace("cal-src.h5", 2 * 86400.0, kEpoch, 2 * 86400.0);
  const std::string cal = tmp_path("cal-out.toml");
  ::unlink((cal + ".tmp").c_str());
  REQUIRE(::symlink(victim.c_str(), (cal + ".tmp").c_str()) == 0);
  const Result r = run_peebot("calibrate " + trace + " --iterations 0 --fit-days 1 -o " + cal);
  INFO(r.out);
  CHECK(slurp(victim) == "precious\n");
}

TEST_CASE("outputs are checked before a run: -o naming an input, empty, a folder or in a missing folder", "[hostile]") {
  const std::string sc = write_file("self.toml", kShort);
  const std::string before = slurp(sc);
  SECTION("run -o SCENARIO") {
    const Result r = run_peebot("run " + sc + " -o " + sc);
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("is the input '" + sc + "' itself") != std::string::npos);
    CHECK(r.out.find("simulated") == std::string::npos);
    CHECK(slurp(sc) == before);
  }
  SECTION("run -o ''") {
    const Result r = run_peebot("run " + sc + " -o ''");
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("-o: an empty file name") != std::string::npos);
    CHECK(r.out.find("simulated") == std::string::npos);  // said before the run, not after it
  }
  SECTION("run -o FOLDER, -o MISSING/x.h5") {
    const Result d = run_peebot("run " + sc + " -o " + tmp_path(""));
    CHECK(d.code == 2);
    CHECK(d.out.find("folder") != std::string::npos);
    const Result m = run_peebot("run " + sc + " -o " + tmp_path("no-such-folder/x.h5"));
    CHECK(m.code == 2);
    CHECK(m.out.find("no-such-folder") != std::string::npos);
  }
  SECTION("replay, calibrate and import -o naming their input") {
    const std::string trace = small_trace("selfin.h5", 2 * 86400.0, kEpoch, 2 * 86400.0);
    const std::string bytes = slurp(trace);
    for (const std::string& cmd : {"replay " + trace + " -o " + trace, "calibrate " + trace + " -o " + trace}) {
      const Result r = run_peebot(cmd);
      INFO(cmd << "\n" << r.out);
      CHECK(r.code == 2);
      CHECK(r.out.find("itself") != std::string::npos);
    }
    CHECK(slurp(trace) == bytes);
    const std::string rec = write_file("rec.csv", "timestamp,value\n");
    const Result r = run_peebot("import " + rec + " -o " + rec);
    CHECK(r.code == 2);
    CHECK(slurp(rec) == "timestamp,value\n");
  }
}

namespace {
// Starts `peebot run` on a long scenario, waits for its trace temporary, sends
// `sig`, and returns the exit status (-1: killed by the signal) and stderr.
std::pair<int, std::string> interrupt_run(int sig, const std::string& out) {
  const std::string sc = std::string(PEEBOT_SOURCE_DIR) + "/scenarios/iss-30d.toml";
  const std::string err = out + ".stderr";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::execl(PEEBOT_BINARY, PEEBOT_BINARY, "run", sc.c_str(), "--duration", "120d", "-q", "-o", out.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool started = false;
  for (int i = 0; i < 600 && !started; ++i) {  // up to 60 s for the trace to be created
    started = exists(out + ".tmp");
    if (!started) ::usleep(100000);
  }
  ::usleep(300000);  // well inside the run
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  CHECK(started);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(err)};
}
}  // namespace

TEST_CASE("SIGINT or SIGTERM during run says so, removes the temporary and exits 130 or 143", "[hostile]") {
  for (const auto& [sig, code, name] : {std::tuple<int, int, const char*>{SIGINT, 130, "SIGINT"},
                                        std::tuple<int, int, const char*>{SIGTERM, 143, "SIGTERM"}}) {
    const std::string out = tmp_path(std::string("interrupted-") + name + ".h5");
    const auto [status, err] = interrupt_run(sig, out);
    INFO(name << ": " << err);
    CHECK(status == code);
    CHECK(err.find(std::string("interrupted by ") + name) != std::string::npos);
    CHECK(err.find("removed unfinished " + out + ".tmp") != std::string::npos);
    CHECK_FALSE(exists(out + ".tmp"));
    CHECK_FALSE(exists(out));
  }
}

TEST_CASE("a test that needs the real recordings is reported skipped under ctest when they are absent", "[hostile]") {
  // One [real] case of this binary, run as ctest runs it, with the recordings pointed elsewhere.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const Result r = run_shell("PEEBOT_SHARED_DATA=/nonexistent PEEBOT_SKIP_RETURN_CODE=77 " + self +
                             " '[labels][real]'");
  INFO(r.out);
  CHECK(r.code == 77);
  CHECK(r.out.find("SKIPPED: the real recordings are absent") != std::string::npos);
}

TEST_CASE("a child that cannot be started mid-pool: the running children are waited for before the error", "[hostile]") {
  const std::string flag = tmp_path("child-finished");
  ::unlink(flag.c_str());
  std::vector<cli::ChildJob> jobs;
  const auto job = [](std::vector<std::string> argv, const std::string& name) {
    cli::ChildJob j;
    j.argv = std::move(argv);
    j.err_path = tmp_path(name + ".err");
    j.label = name;
    return j;
  };
  // Job 0 runs for a while and then leaves a mark; job 1 cannot be started.
  jobs.push_back(job({"/bin/sh", "-c", "sleep 1; echo done > " + flag}, "job 0"));
  jobs.push_back(job({"/nonexistent/peebot-child"}, "job 1"));
  jobs.push_back(job({"/bin/true"}, "job 2"));
  std::string msg;
  try {
    cli::run_children(jobs, 2);
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  CHECK(msg.find("job 1 could not start") != std::string::npos);
  CHECK(exists(flag));  // job 0 ran to its end before run_children returned
  int st = 0;
  CHECK(::waitpid(-1, &st, WNOHANG) == -1);  // no child left unwaited (ECHILD)
}

TEST_CASE("labels files, seeds and control bytes are checked and escaped", "[hostile]") {
  const std::string trace = small_trace("labelled.h5", 2 * 86400.0, kEpoch, 2 * 86400.0);
  SECTION("a labels file's errors name the label's own line") {
    const std::string labels = write_file("lines.toml",
                                          "match_before_s = 60\n"         // 1
                                          "\n"                            // 2
                                          "[[label]]\n"                   // 3
                                          "onset = \"2025-01-06T02:00:00Z\"\n"  // 4
                                          "kind = \"urination\"\n"        // 5
                                          "\n"                            // 6
                                          "[[label]]\n"                   // 7
                                          "onset = \"2025-01-06T03:00:00Z\"\n"  // 8
                                          "kind = \"bogus\"\n");          // 9
    const Result r = run_peebot("eval --labels " + labels + " " + trace);
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find(labels + ":8: label 2: `kind` = \"bogus\"") != std::string::npos);
  }
  SECTION("match_before_s / match_after_s must be 0 .. 86400 s") {
    for (const std::string v : {"-1e308", "nan", "inf", "86401", "\"60\""}) {
      const std::string labels = write_file("window.toml", "\n\nmatch_after_s = " + v +
                                                               "\n[[label]]\nonset = \"2025-01-06T02:00:00Z\"\nkind = \"urination\"\n");
      const Result r = run_peebot("eval --labels " + labels + " " + trace);
      INFO(v << ": " << r.out);
      CHECK(r.code == 2);
      CHECK(r.out.find(labels + ":3: `match_after_s` = ") != std::string::npos);
      CHECK(r.out.find("expected a number of seconds, 0 .. 86400") != std::string::npos);
    }
  }
  SECTION("calibrate --seed -1 is refused, not wrapped to 2^64-1") {
    for (const std::string v : {"-1", "18446744073709551616", "1x"}) {
      const Result r = run_peebot("calibrate " + trace + " --seed " + v + " --iterations 0 --fit-days 1");
      INFO(r.out);
      CHECK(r.code == 2);
      CHECK(r.out.find("--seed '" + v + "': expected a whole number") != std::string::npos);
    }
  }
  SECTION("control bytes from input files are escaped before they reach the terminal") {
    CHECK(printable("a\x1b[2J\xc3\xa9\xff\n\x07\\") == "a\\x1B[2J\xc3\xa9\\xFF\\x0A\\x07\\");
    CHECK(printable(printable("\x1b[2J")) == printable("\x1b[2J"));  // escaping twice changes nothing
    CHECK(printable("\xc2\x9b" "31m") == "\\xC2\\x9B31m");  // a C1 control (CSI) written as UTF-8
    CHECK(printable(std::string(5000, 'x')).find("...(904 more bytes)") != std::string::npos);
    CHECK(printable_message("line 1\nline\x1b 2") == "line 1\nline\\x1B 2");
    // A scenario name with a terminal escape, in the run's report.
    const std::string sc = write_file("evil.toml", std::string("[scenario]\nname = \"evil\\u001b]0;pwned\\u0007\\u001b[2J\"\n"
                                                               "start = \"2025-01-06T04:00:00Z\"\nduration = \"1h\"\n"));
    const Result r = run_peebot("run " + sc + " -o " + tmp_path("evil.h5"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    CHECK(r.out.find('\x1b') == std::string::npos);
    CHECK(r.out.find("scenario \"evil\\x1B]0;pwned\\x07\\x1B[2J\"") != std::string::npos);
    // A recording line with one, in an import error.
    const std::string rec = write_file("NODE3000005.txt", std::string("2018-10-12-00:00:00 42\nbad\x1b[31mline\n"));
    const Result i = run_peebot("import " + rec + " -o " + tmp_path("evil-import.h5"));
    INFO(i.out);
    CHECK(i.code == 2);
    CHECK(i.out.find('\x1b') == std::string::npos);
    CHECK(i.out.find("bad\\x1B[31mline") != std::string::npos);
  }
}
