// Grid points run here or on Slurm (grid_runner.hpp).
#include "grid_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "../engine/run.hpp"
#include "../util/files.hpp"

namespace peebot::cli {

namespace fs = std::filesystem;

Trace simulate_point(const Scenario& sc) {
  const TempDir dir("point");
  RunOptions ro;
  ro.trace_path = dir.path() + "/run.h5";
  ro.progress = false;
  run_simulation(sc, ro);
  return read_trace(ro.trace_path);
}

void write_file_whole(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

std::vector<std::string> run_points_here(const GridRun& g, int jobs, const std::string& dir,
                                         const ChildProgress& progress) {
  const std::string exe = self_exe();
  std::vector<ChildJob> queue;
  std::vector<std::string> files;
  for (std::size_t k = 0; k < g.points; ++k) {
    const std::string stem = dir + "/" + std::to_string(k);
    ChildJob j;
    j.argv = {exe, g.command};
    j.argv.insert(j.argv.end(), g.grid_args.begin(), g.grid_args.end());
    j.argv.insert(j.argv.end(), {"--point", std::to_string(k), "-o", stem + ".json"});
    j.err_path = stem + ".err";
    j.label = "point " + std::to_string(k) + " (" + g.describe(k) + ")";
    queue.push_back(std::move(j));
    files.push_back(stem + ".json");
  }
  run_children(queue, jobs, progress);
  return files;
}

namespace {

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

// s as one word of a POSIX shell: single-quoted, a ' written as '\''.
std::string shq(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

std::string absolute(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

// The first PATH entry holding an executable `name`, or "".
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream in(path ? path : "");
  std::string d;
  while (std::getline(in, d, ':')) {
    const std::string p = (d.empty() ? "." : d) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

void write_file(const std::string& path, const std::string& text, bool executable = false) {
  {
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw std::runtime_error(path + ": cannot write");
  }
  if (executable) fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
}

std::string read_or_empty(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream o;
  o << f.rdbuf();
  return o.str();
}

// The last `n` non-empty lines of a text, each indented.
std::string tail_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) lines.push_back(l);
  std::string o;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) o += "    " + lines[i] + "\n";
  return o;
}

// Runs a Slurm client (sbatch, squeue, scancel) and returns its stdout;
// std::runtime_error "<what> failed (exit N): <its stderr>" when it fails.
std::string run_client(const std::vector<std::string>& argv, const std::string& what, const std::string& scratch) {
  ChildJob j;
  j.argv = argv;
  j.out_path = scratch + "/client.out";
  j.err_path = scratch + "/client.err";
  j.label = what;
  try {
    run_children({j}, 1);
  } catch (const std::runtime_error& e) {
    std::error_code ec;
    fs::remove(j.out_path, ec);
    fs::remove(j.err_path, ec);
    throw;
  }
  std::string out = read_or_empty(j.out_path);
  std::error_code ec;
  fs::remove(j.out_path, ec);
  fs::remove(j.err_path, ec);
  return out;
}

// The job id of `sbatch --parsable` ("123" or "123;cluster").
std::string parsable_id(const std::string& out, const std::string& what) {
  std::string id = out.substr(0, out.find_first_of(";\n"));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(what + ": sbatch printed no job id (\"" + out + "\")");
  return id;
}

// The run directory's record of what was submitted (DIR/job, key=value lines).
std::map<std::string, std::string> read_record(const std::string& dir) {
  std::map<std::string, std::string> r;
  std::ifstream f(dir + "/job");
  if (!f) throw InputError(dir + ": not a run directory of peebot --slurm (no file " + dir + "/job)");
  std::string l;
  while (std::getline(f, l)) {
    const auto eq = l.find('=');
    if (eq != std::string::npos) r[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return r;
}

void write_record(const std::string& dir, const std::map<std::string, std::string>& r) {
  std::string o;
  for (const auto& [k, v] : r) o += k + "=" + v + "\n";
  write_file_whole(dir + "/job", o);
}

std::string index_list(const std::vector<std::size_t>& idx) {
  // Ranges where contiguous: 0-3,7,9-12.
  std::string o;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
    o += (o.empty() ? "" : ",") + std::to_string(idx[i]) + (j > i ? "-" + std::to_string(idx[j]) : "");
    i = j + 1;
  }
  return o;
}

// "0-3,7" (index_list's text) back to the indices.
std::vector<std::size_t> parse_index_list(const std::string& text, std::size_t points) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const auto dash = part.find('-');
    const std::size_t a = std::strtoul(part.c_str(), nullptr, 10);
    const std::size_t b = dash == std::string::npos ? a : std::strtoul(part.c_str() + dash + 1, nullptr, 10);
    for (std::size_t k = a; k <= b && k < points; ++k) out.push_back(k);
  }
  return out;
}

std::vector<std::size_t> missing_points(const std::string& dir, std::size_t points) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < points; ++k)
    if (!fs::is_regular_file(dir + "/points/" + std::to_string(k) + ".json")) out.push_back(k);
  return out;
}

// ---------------------------------------------------------------------------
// Following the jobs
// ---------------------------------------------------------------------------

// How many tasks of the array are waiting and running, and the merge job's
// state, from `squeue --states=all` (no accounting database needed).
struct QueueState {
  std::size_t pending = 0, running = 0;
  std::map<std::size_t, std::string> ended;  // array task -> its end state (CD, F, TO, CA, NF, OOM, ...)
  std::string merge_state;                   // "" when squeue no longer lists it
};

bool alive(const std::string& st) {
  return st == "PD" || st == "R" || st == "CG" || st == "CF" || st == "S" || st == "RQ" || st == "RS" ||
         st == "SI" || st == "SO" || st == "RD" || st == "RF" || st == "RH" || st == "ST";
}

// "[0-3,7,9-12:2%4]" -> the number of tasks it names.
std::size_t count_range(std::string r) {
  if (!r.empty() && r.front() == '[') r = r.substr(1);
  if (!r.empty() && r.back() == ']') r.pop_back();
  r = r.substr(0, r.find('%'));
  std::size_t n = 0;
  std::stringstream in(r);
  std::string part;
  while (std::getline(in, part, ',')) {
    std::size_t step = 1;
    const auto colon = part.find(':');
    if (colon != std::string::npos) {
      step = std::max<std::size_t>(1, std::strtoul(part.c_str() + colon + 1, nullptr, 10));
      part = part.substr(0, colon);
    }
    const auto dash = part.find('-');
    if (dash == std::string::npos) { ++n; continue; }
    const std::size_t a = std::strtoul(part.c_str(), nullptr, 10), b = std::strtoul(part.c_str() + dash + 1, nullptr, 10);
    if (b >= a) n += (b - a) / step + 1;
  }
  return n;
}

QueueState poll_queue(const std::string& array_id, const std::string& merge_id, const std::string& scratch) {
  QueueState q;
  std::string out;
  try {
    out = run_client({"squeue", "-h", "--states=all", "-o", "%i|%t", "-j", array_id + "," + merge_id},
                     "squeue (following jobs " + array_id + " and " + merge_id + ")", scratch);
  } catch (const std::runtime_error& e) {
    // Jobs that ended long ago (MinJobAge) are forgotten: squeue calls them invalid.
    if (std::string(e.what()).find("Invalid job id") != std::string::npos) return q;
    throw;
  }
  std::stringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    const std::string id = line.substr(0, bar), st = line.substr(bar + 1);
    if (id == merge_id) { q.merge_state = st; continue; }
    if (id.rfind(array_id + "_", 0) != 0) continue;
    const std::string task = id.substr(array_id.size() + 1);
    if (task.empty()) continue;
    if (task.front() == '[') {
      (st == "PD" ? q.pending : q.running) += count_range(task);
    } else if (alive(st)) {
      if (st != "CG") (st == "PD" ? q.pending : q.running) += 1;  // completing: its point file is (or is not) there
    } else {
      q.ended[std::strtoul(task.c_str(), nullptr, 10)] = st;
    }
  }
  return q;
}

const char* state_name(const std::string& st) {
  static const std::map<std::string, const char*> names = {
      {"CD", "completed"}, {"F", "failed"},         {"TO", "time limit reached"}, {"CA", "cancelled"},
      {"NF", "node failure"}, {"OOM", "out of memory"}, {"PR", "preempted"},       {"BF", "boot failure"},
      {"DL", "deadline reached"}};
  const auto it = names.find(st);
  return it == names.end() ? "ended" : it->second;
}

int follow(const std::string& command, const std::string& dir, std::size_t points, const std::string& array_id,
           const std::string& merge_id, const std::vector<std::size_t>& submitted) {
  const bool tty = stderr_is_tty();
  const auto t0 = std::chrono::steady_clock::now();
  std::string last;
  int squeue_failures = 0;
  QueueState q;
  for (;;) {
    try {
      q = poll_queue(array_id, merge_id, dir);
      squeue_failures = 0;
    } catch (const std::runtime_error& e) {
      // The controller may be briefly busy; give up after about a minute of failures.
      if (++squeue_failures >= 30) throw;
      std::this_thread::sleep_for(std::chrono::seconds(2));
      continue;
    }
    std::size_t done = 0, failed = 0;
    for (std::size_t k : submitted) {
      if (fs::is_regular_file(dir + "/points/" + std::to_string(k) + ".json")) ++done;
      else if (q.ended.count(k) || fs::exists(dir + "/status/" + std::to_string(k))) ++failed;
    }
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char line[256];
    std::snprintf(line, sizeof line, "%s: Slurm job %s: %zu / %zu points done, %zu running, %zu waiting, %zu failed",
                  command.c_str(), array_id.c_str(), done, submitted.size(), q.running, q.pending, failed);
    const std::string merge_note = q.merge_state == "R" ? "; merging" : "";
    if (tty) {
      std::fprintf(stderr, "\r%s%s (%.0f s)   ", line, merge_note.c_str(), el);
    } else if (line + merge_note != last) {
      std::fprintf(stderr, "%s%s (%.0f s)\n", line, merge_note.c_str(), el);
      last = line + merge_note;
    }
    const bool array_alive = q.pending + q.running > 0;
    if (!array_alive && !alive(q.merge_state)) break;
    // Every point failed or done and none running, but the merge waits for a
    // dependency that can no longer be met (when --kill-on-invalid-dep is ignored).
    if (!array_alive && q.merge_state == "PD" && done + failed == submitted.size() && failed > 0) break;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  if (tty) std::fprintf(stderr, "\n");

  // The merge's exit status says it ran (every point was there as the cluster
  // saw it). On a network file system it may show here a little late.
  std::string rc_text = read_or_empty(dir + "/merge.rc");
  for (int i = 0; i < 10 && rc_text.empty() && q.merge_state == "CD"; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rc_text = read_or_empty(dir + "/merge.rc");
  }
  const std::vector<std::size_t> missing = rc_text.empty() ? missing_points(dir, points) : std::vector<std::size_t>{};
  if (!missing.empty()) {
    if (alive(q.merge_state)) {
      try { run_client({"scancel", merge_id}, "scancel " + merge_id, dir); } catch (const std::runtime_error&) {}
    }
    std::ostringstream o;
    o << missing.size() << " of " << points << " points failed or have no result (" << index_list(missing)
      << "); the merge job " << merge_id << " did not run.\n";
    std::size_t shown = 0;
    for (std::size_t k : missing) {
      if (++shown > 5) { o << "  ... and " << missing.size() - 5 << " more (logs in " << dir << "/logs)\n"; break; }
      const std::string ks = std::to_string(k);
      const std::string status = read_or_empty(dir + "/status/" + ks);
      o << "  point " << ks << ": ";
      if (!status.empty()) o << "exit " << status.substr(0, status.find('\n'));
      else if (q.ended.count(k)) o << state_name(q.ended.at(k)) << " (" << q.ended.at(k) << ")";
      else o << "no result";
      o << "; " << dir << "/logs/" << ks << ".err:\n" << tail_lines(read_or_empty(dir + "/logs/" + ks + ".err"), 4);
    }
    o << "Rerun them alone: peebot " << command << " --rerun-failed " << dir << " --wait";
    throw std::runtime_error(o.str());
  }
  if (rc_text.empty())
    throw std::runtime_error("the merge job " + merge_id + " ended without a result (" +
                             (q.merge_state.empty() ? std::string("no longer listed by squeue")
                                                    : std::string(state_name(q.merge_state))) +
                             "); see " + dir + "/merge.err:\n" + tail_lines(read_or_empty(dir + "/merge.err"), 6));
  std::cout << read_or_empty(dir + "/merge.out") << std::flush;
  std::cerr << read_or_empty(dir + "/merge.err") << std::flush;
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "%s: %zu points on Slurm (array job %s, merge job %s) in %.1f s; run directory %s\n",
               command.c_str(), submitted.size(), array_id.c_str(), merge_id.c_str(), el, dir.c_str());
  return std::atoi(rc_text.c_str());
}

// Submits the array (the given indices) and the merge after it; records the ids in DIR/job.
std::pair<std::string, std::string> submit(const std::string& dir, const std::vector<std::size_t>& indices,
                                           int max_running) {
  std::error_code ec;
  fs::remove(dir + "/merge.rc", ec);
  for (std::size_t k : indices) fs::remove(dir + "/status/" + std::to_string(k), ec);
  std::string array = index_list(indices);
  if (max_running > 0) array += "%" + std::to_string(max_running);
  const std::string array_id = parsable_id(
      run_client({"sbatch", "--parsable", "--array=" + array, dir + "/array.sbatch"}, "sbatch (submitting the array job)", dir),
      "sbatch (submitting the array job)");
  std::string merge_id;
  try {
    merge_id = parsable_id(run_client({"sbatch", "--parsable", "--dependency=afterok:" + array_id,
                                       "--kill-on-invalid-dep=yes", dir + "/merge.sbatch"},
                                      "sbatch (submitting the merge job)", dir),
                           "sbatch (submitting the merge job)");
  } catch (const std::runtime_error&) {
    try { run_client({"scancel", array_id}, "scancel " + array_id, dir); } catch (const std::runtime_error&) {}
    throw;
  }
  auto rec = read_record(dir);
  rec["array_job"] = array_id;
  rec["merge_job"] = merge_id;
  rec["submitted"] = index_list(indices);
  write_record(dir, rec);
  return {array_id, merge_id};
}

void need_slurm_clients() {
  for (const char* c : {"sbatch", "squeue", "scancel"})
    if (find_on_path(c).empty())
      throw InputError(std::string("--slurm: ") + c +
                       " is not on PATH; --slurm needs the Slurm client commands (sbatch, squeue, scancel) of a "
                       "cluster this machine can submit to (Debian: apt-get install slurm-client)");
}

std::string default_run_dir(const std::string& command) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string d = "peebot-" + command + "-" + stamp;
  for (int i = 2; fs::exists(d); ++i) d = "peebot-" + command + "-" + stamp + "-" + std::to_string(i);
  return d;
}

}  // namespace

void add_slurm_options(po::options_description& opts) {
  opts.add_options()
      ("slurm", "run the points as a Slurm job array (sbatch --array) and the merge as a job after it")
      ("partition", po::value<std::string>(), "with --slurm: the Slurm partition (sbatch --partition)")
      ("time", po::value<std::string>(), "with --slurm: each task's time limit, e.g. 00:20:00 (sbatch --time)")
      ("run-dir", po::value<std::string>(),
       "with --slurm: the run directory, on a file system every node sees (scripts, points, logs; "
       "default ./peebot-CMD-YYYYMMDD-HHMMSS)")
      ("wait", "with --slurm or --rerun-failed: follow the jobs (progress on stderr), then print the merged result "
                "(--rerun-failed --wait also follows a run whose jobs are still queued)")
      ("rerun-failed", po::value<std::string>(),
       "submit again the points of a --slurm run directory that have no result, and the merge");
}

SlurmOptions slurm_options(const po::variables_map& vm, const std::string& command) {
  SlurmOptions o;
  o.submit = vm.count("slurm") > 0;
  if (vm.count("rerun-failed")) o.rerun_dir = vm["rerun-failed"].as<std::string>();
  if (vm.count("partition")) o.partition = vm["partition"].as<std::string>();
  if (vm.count("time")) o.time = vm["time"].as<std::string>();
  if (vm.count("run-dir")) o.run_dir = vm["run-dir"].as<std::string>();
  o.wait = vm.count("wait") > 0;
  if (o.submit && !o.rerun_dir.empty()) throw UsageError(command, "--slurm and --rerun-failed go one at a time");
  const bool any = o.submit || !o.rerun_dir.empty();
  if (!any && (o.wait || !o.partition.empty() || !o.time.empty() || !o.run_dir.empty()))
    throw UsageError(command, "--wait, --partition, --time and --run-dir go with --slurm (or --wait with --rerun-failed)");
  if (!o.rerun_dir.empty() && (!o.partition.empty() || !o.time.empty() || !o.run_dir.empty()))
    throw UsageError(command, "--rerun-failed DIR reuses DIR's scripts: no --partition, --time or --run-dir");
  if (!o.rerun_dir.empty())
    for (const auto& [name, value] : vm)
      if (name != "rerun-failed" && name != "wait" && !value.defaulted())
        throw UsageError(command, "--rerun-failed RUN-DIR takes no other argument but --wait (the run directory "
                                  "holds the rest); got " + (name == "input" ? std::string("an input") : "--" + name));
  for (const auto& [name, v] : {std::pair{"--partition", &o.partition}, std::pair{"--time", &o.time}})
    if (v->find_first_of(" \t\n'\"\\$`") != std::string::npos || (vm.count(name + 2) && v->empty()))
      throw UsageError(command, std::string(name) + " \"" + *v + "\": expected a Slurm " + (name + 2) +
                                    " (no spaces or quotes)");
  if (o.submit && vm.count("jobs") && !vm["jobs"].defaulted()) {
    const int j = vm["jobs"].as<int>();
    if (j < 0) throw UsageError(command, "--jobs must be >= 0");
    o.max_running = j;
  }
  return o;
}

int submit_grid_to_slurm(const GridRun& g, const SlurmOptions& o) {
  need_slurm_clients();
  const std::string dir = absolute(o.run_dir.empty() ? default_run_dir(g.command) : o.run_dir);
  const std::string cwd = fs::current_path().string();
  for (const std::string& p : {dir, cwd})
    if (p.find_first_of(" \t\n'\"\\$`") != std::string::npos)
      throw UsageError(g.command, "--slurm: " + p +
                                      ": a path with spaces or quotes cannot go into an #SBATCH line; run from "
                                      "(and give --run-dir) a plain path");
  std::error_code ec;
  if (fs::exists(dir) && !fs::is_empty(dir, ec))
    throw UsageError(g.command, "--run-dir " + dir + ": exists and is not empty; expected a new directory");
  for (const char* sub : {"", "/points", "/logs", "/status"}) {
    fs::create_directories(dir + sub, ec);
    if (ec) throw InputError(dir + sub + ": cannot create the run directory (" + ec.message() + ")");
  }
  const std::string exe = self_exe();
  auto header = [&](const std::string& name, const std::string& out, const std::string& err) {
    std::string h = "#!/bin/bash\n# Written by peebot " + g.command + " --slurm (docs/sweeps.md, \"Running at scale on Slurm\").\n";
    h += "#SBATCH --job-name=" + name + "\n#SBATCH --chdir=" + cwd + "\n#SBATCH --output=" + out +
         "\n#SBATCH --error=" + err + "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
    if (!o.partition.empty()) h += "#SBATCH --partition=" + o.partition + "\n";
    if (!o.time.empty()) h += "#SBATCH --time=" + o.time + "\n";
    return h;
  };
  std::string cmd = shq(exe) + " " + shq(g.command);
  for (const auto& a : g.grid_args) cmd += " " + shq(a);
  std::string array = header("peebot-" + g.command, dir + "/logs/%a.out", dir + "/logs/%a.err");
  array += "# Array task K runs grid point K of " + std::to_string(g.points) + " (sbatch --array=0-" +
           std::to_string(g.points - 1) + ").\nK=\"${SLURM_ARRAY_TASK_ID:?run this script as a Slurm array task (sbatch --array)}\"\n";
  array += cmd + " --point \"$K\" -o " + shq(dir + "/points/") + "\"$K\".json\nrc=$?\necho \"$rc\" > " +
           shq(dir + "/status/") + "\"$K\"\nexit \"$rc\"\n";
  std::string merge = header("peebot-" + g.command + "-merge", dir + "/merge.out", dir + "/merge.err");
  merge += "# Runs after every array task succeeded (sbatch --dependency=afterok:ARRAY).\n" + shq(exe) + " " +
           shq(g.command) + " --merge " + shq(dir + "/points");
  for (const auto& a : g.merge_args) merge += " " + shq(a);
  merge += "\nrc=$?\necho \"$rc\" > " + shq(dir + "/merge.rc") + "\nexit \"$rc\"\n";
  write_file(dir + "/array.sbatch", array, true);
  write_file(dir + "/merge.sbatch", merge, true);
  write_record(dir, {{"command", g.command}, {"points", std::to_string(g.points)}});

  std::vector<std::size_t> all(g.points);
  for (std::size_t k = 0; k < g.points; ++k) all[k] = k;
  std::pair<std::string, std::string> ids;
  try {
    ids = submit(dir, all, o.max_running);
  } catch (const std::runtime_error&) {
    fs::remove_all(dir, ec);  // nothing was submitted: leave nothing behind
    throw;
  }
  std::fprintf(stderr, "%s: %zu points submitted to Slurm as array job %s, the merge as job %s (after all succeed); run directory %s\n",
               g.command.c_str(), g.points, ids.first.c_str(), ids.second.c_str(), dir.c_str());
  if (!o.wait) {
    std::printf("%s: submitted array job %s (%zu points) and merge job %s; follow with: squeue -j %s,%s; "
                "the merge's output goes to %s/merge.out; rerun failed points with: peebot %s --rerun-failed %s\n",
                g.command.c_str(), ids.first.c_str(), g.points, ids.second.c_str(), ids.first.c_str(),
                ids.second.c_str(), dir.c_str(), g.command.c_str(), dir.c_str());
    return 0;
  }
  return follow(g.command, dir, g.points, ids.first, ids.second, all);
}

int rerun_failed_on_slurm(const std::string& command, const SlurmOptions& o) {
  const std::string dir = absolute(o.rerun_dir);
  const auto rec = read_record(dir);
  if (rec.count("command") == 0 || rec.at("command") != command)
    throw UsageError(command, "--rerun-failed " + dir + ": a run directory of peebot " +
                                  (rec.count("command") ? rec.at("command") : std::string("?")) + ", not of peebot " +
                                  command);
  const std::size_t points = std::strtoul(rec.count("points") ? rec.at("points").c_str() : "0", nullptr, 10);
  if (points == 0) throw InputError(dir + "/job: points: expected the number of points");
  need_slurm_clients();
  // Jobs of an earlier submission still queued or running would race with a
  // rerun: with --wait follow them instead (re-attach after an interrupted
  // --wait), else refuse.
  if (rec.count("array_job") && rec.count("merge_job")) {
    const QueueState q = poll_queue(rec.at("array_job"), rec.at("merge_job"), dir);
    if (q.pending + q.running > 0 || alive(q.merge_state)) {
      if (!o.wait)
        throw UsageError(command, "--rerun-failed " + dir + ": jobs " + rec.at("array_job") + "," + rec.at("merge_job") +
                                      " of this run are still queued or running; follow them with --wait, or "
                                      "scancel them first");
      std::fprintf(stderr, "%s: jobs %s,%s of %s are still queued or running: following them\n", command.c_str(),
                   rec.at("array_job").c_str(), rec.at("merge_job").c_str(), dir.c_str());
      return follow(command, dir, points, rec.at("array_job"), rec.at("merge_job"),
                    parse_index_list(rec.count("submitted") ? rec.at("submitted") : "", points));
    }
  }
  const std::vector<std::size_t> missing = missing_points(dir, points);
  std::string array_id, merge_id;
  if (missing.empty()) {
    std::error_code ec;
    fs::remove(dir + "/merge.rc", ec);
    merge_id = parsable_id(run_client({"sbatch", "--parsable", dir + "/merge.sbatch"}, "sbatch (submitting the merge job)", dir),
                           "sbatch (submitting the merge job)");
    array_id = merge_id;  // nothing to follow but the merge
    auto r = rec;
    r["array_job"] = array_id;
    r["merge_job"] = merge_id;
    r["submitted"] = "";
    write_record(dir, r);
    std::fprintf(stderr, "%s: every point of %s has its result; submitted the merge alone as job %s\n",
                 command.c_str(), dir.c_str(), merge_id.c_str());
  } else {
    std::tie(array_id, merge_id) = submit(dir, missing, 0);
    std::fprintf(stderr, "%s: resubmitted %zu point%s (%s) as array job %s, the merge as job %s\n", command.c_str(),
                 missing.size(), missing.size() == 1 ? "" : "s", index_list(missing).c_str(), array_id.c_str(),
                 merge_id.c_str());
  }
  if (!o.wait) {
    if (missing.empty())
      std::printf("%s: submitted the merge of %s as job %s\n", command.c_str(), dir.c_str(), merge_id.c_str());
    else
      std::printf("%s: resubmitted points %s of %s as array job %s and the merge as job %s\n", command.c_str(),
                  index_list(missing).c_str(), dir.c_str(), array_id.c_str(), merge_id.c_str());
    return 0;
  }
  return follow(command, dir, points, array_id, merge_id, missing);
}

}  // namespace peebot::cli
