// The child-process pool shared by peebot eval and peebot sweep (child_pool.hpp).
#include "child_pool.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "cli.hpp"

extern char** environ;

namespace peebot::cli {

namespace fs = std::filesystem;

namespace {

pid_t spawn(const ChildJob& job) {
  std::vector<char*> a;
  for (const auto& s : job.argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, job.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (job.out_path.empty())
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  else
    posix_spawn_file_actions_addopen(&fa, 1, job.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  // posix_spawnp: a bare program name (sbatch, squeue) is looked up on PATH.
  const int rc = posix_spawnp(&pid, job.argv.at(0).c_str(), &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + job.argv.at(0) + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

void run_children(const std::vector<ChildJob>& jobs, int max_jobs, const ChildProgress& progress) {
  const std::size_t width = static_cast<std::size_t>(std::max(1, max_jobs));
  std::vector<pid_t> pids(jobs.size(), -1);
  std::size_t next = 0, running = 0, done = 0;
  std::string failure;
  while (done < jobs.size()) {
    while (failure.empty() && running < width && next < jobs.size()) {
      try {
        pids[next] = spawn(jobs[next]);
      } catch (const std::exception& e) {
        // Start nothing more, but wait for the running children below: the
        // caller deletes their folder once this returns.
        failure = jobs[next].label + " could not start: " + e.what();
        done += jobs.size() - next;  // never started
        next = jobs.size();
        break;
      }
      ++next;
      ++running;
    }
    if (running == 0) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waitpid failed: ") + std::strerror(errno));  // ECHILD: none left
    }
    const auto it = std::find(pids.begin(), pids.end(), pid);
    if (it == pids.end()) continue;  // not one of ours
    const std::size_t k = static_cast<std::size_t>(it - pids.begin());
    *it = -1;
    --running;
    ++done;
    if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) && failure.empty()) {
      std::string err;
      try { err = read_whole_file(jobs[k].err_path); } catch (...) {}
      failure = jobs[k].label + " failed (" +
                (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : std::string("killed by a signal")) +
                "): " + err;
    }
    if (progress && failure.empty()) {
      try {
        progress(done, jobs.size(), k);
      } catch (const std::exception& e) {
        failure = std::string("progress report failed: ") + e.what();
        done += jobs.size() - next;
        next = jobs.size();
      }
    }
  }
  if (!failure.empty()) throw std::runtime_error(failure);
}

std::string self_exe() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the peebot binary (/proc/self/exe)");
  return p.string();
}

int resolve_jobs(int requested, const std::string& command) {
  if (requested < 0) throw UsageError(command, "--jobs must be >= 0");
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (requested == 0) return cpus;
  if (requested > cpus) {
    // Every job is a CPU-bound simulation: more at once than CPUs only adds memory and switching.
    std::fprintf(stderr, "peebot %s: warning: --jobs %d is more than the %d CPUs; running %d at once\n",
                 command.c_str(), requested, cpus, cpus);
    return cpus;
  }
  return requested;
}

std::vector<long> parse_seeds(const std::string& s, const std::string& command) {
  std::vector<long> out;
  std::stringstream in(s);
  std::string part;
  auto bad = [&]() {
    return UsageError(command, "--seeds \"" + s + "\": expected N, A..B or a comma-separated list of them, seeds >= 0");
  };
  while (std::getline(in, part, ',')) {
    try {
      const auto dots = part.find("..");
      std::size_t used = 0;
      if (dots == std::string::npos) {
        out.push_back(std::stol(part, &used));
        if (used != part.size() || out.back() < 0) throw bad();
      } else {
        const std::string a = part.substr(0, dots), b = part.substr(dots + 2);
        std::size_t ua = 0, ub = 0;
        const long lo = std::stol(a, &ua), hi = std::stol(b, &ub);
        if (ua != a.size() || ub != b.size() || lo < 0 || hi < lo || hi - lo > 100000) throw bad();
        for (long x = lo; x <= hi; ++x) out.push_back(x);
      }
    } catch (const std::logic_error&) {
      throw bad();
    }
  }
  if (out.empty()) throw bad();
  // A seed twice is the same run twice, not two replications.
  std::vector<long> sorted(out);
  std::sort(sorted.begin(), sorted.end());
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end())
    throw UsageError(command, "--seeds \"" + s + "\": seed " + std::to_string(*dup) +
                                  " is given twice (each seed is one independent replication)");
  return out;
}

TempDir::TempDir(const std::string& what) {
  std::string tmpl = "/tmp/peebot-" + what + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temp directory in /tmp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& args, const std::string& ext,
                                       const std::string& what) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> here;
      for (const auto& e : fs::directory_iterator(a))
        if (e.path().extension() == ext) here.push_back(e.path().string());
      if (here.empty()) throw InputError(a + ": no *" + ext + " " + what + " in this directory");
      std::sort(here.begin(), here.end());
      out.insert(out.end(), here.begin(), here.end());
    } else if (fs::is_regular_file(a, ec)) {
      out.push_back(a);
    } else {
      throw InputError(a + ": no such " + what + " or directory");
    }
  }
  return out;
}

std::string read_whole_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path + ": cannot read");
  std::string out;
  char buf[1 << 16];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {  // reads at most max_bytes + one buffer, whatever the file
    out.append(buf, static_cast<std::size_t>(f.gcount()));
    if (out.size() > max_bytes)
      throw InputError(path + ": more than " + std::to_string(max_bytes) + " bytes (expected a JSON file written by peebot)");
  }
  if (f.bad()) throw InputError(path + ": cannot read");
  return out;
}

}  // namespace peebot::cli
