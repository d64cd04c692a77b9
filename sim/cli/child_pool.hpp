// Runs of this binary in child processes, a few at once: SimGrid is one engine
// per process, so commands that run many simulations (peebot eval, peebot
// sweep) start one child per run (posix_spawn of /proc/self/exe) and collect
// what each child wrote to its own file.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace peebot::cli {

struct ChildJob {
  std::vector<std::string> argv;  // argv[0] is the program (usually self_exe())
  std::string err_path;           // the child's stderr goes to this file
  std::string out_path;           // and its stdout to this one (empty: /dev/null)
  std::string label;              // "run of X with seed 3": names the job in a failure
};

// Called after each child ends: (jobs done, jobs in all, index of the job that ended).
using ChildProgress = std::function<void(std::size_t done, std::size_t total, std::size_t job)>;

// Runs every job, at most max_jobs at once (>= 1), starting them in order.
// After the first failure (non-zero exit or a signal) no new job starts, the
// running ones are waited for, and std::runtime_error names the first failed
// job, its exit status and its stderr. A job that cannot be started is a
// failure too: the children already running are waited for before the throw.
void run_children(const std::vector<ChildJob>& jobs, int max_jobs, const ChildProgress& progress = {});

// The path of this binary (/proc/self/exe).
std::string self_exe();

// --jobs: 0 means the number of CPUs; negative is a UsageError of `command`;
// more than the CPUs is capped to them with a warning on stderr.
int resolve_jobs(int requested, const std::string& command);

// --seeds: "1..20", "3", "1,4,9" or a mix "1..3,7" of seeds >= 0, none twice;
// a UsageError of `command` otherwise (before any run starts).
std::vector<long> parse_seeds(const std::string& text, const std::string& command);

// A fresh directory /tmp/peebot-<what>-XXXXXX, removed with everything in it
// when this object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& what);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Input files named on a command line: each argument a file, or a directory
// whose *<ext> files are taken in name order. InputError names an argument that
// is neither, or a directory with no such file ("no *.toml scenario in ...").
std::vector<std::string> expand_inputs(const std::vector<std::string>& args, const std::string& ext,
                                       const std::string& what);

// A whole file's bytes; InputError when it cannot be read or holds more than
// max_bytes (the JSON files read this way: baselines and point files, which
// parse_json bounds the same).
std::string read_whole_file(const std::string& path, std::size_t max_bytes = 16u << 20);

}  // namespace peebot::cli
