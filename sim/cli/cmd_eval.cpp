// peebot eval SCENARIOS... [--detector step] [--seeds 1..20] [--jobs N] [--json out.json] [--baseline B.json]
// peebot eval-run (internal): one (scenario, seed) run, scored, printed as an EvalSample.
//
// SimGrid is one engine per process, so every (scenario, seed) run is a child
// process (`peebot eval-run`, this same binary) that simulates into a temp
// trace, scores it and writes its EvalSample; the parent runs up to --jobs
// children at once and pools the samples in (scenario, seed) order, so the
// result does not depend on --jobs.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "../engine/run.hpp"
#include "../eval/eval.hpp"
#include "cli.hpp"
#include "report_common.hpp"

extern char** environ;

namespace peebot::cli {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path + ": cannot read");
  std::ostringstream o;
  o << f.rdbuf();
  return o.str();
}

// "1..20", "3", "1,4,9" or a mix "1..3,7".
std::vector<long> parse_seeds(const std::string& s) {
  std::vector<long> out;
  std::stringstream in(s);
  std::string part;
  auto bad = [&]() { return UsageError("eval", "--seeds \"" + s + "\": expected N, A..B or a comma-separated list of them"); };
  while (std::getline(in, part, ',')) {
    try {
      const auto dots = part.find("..");
      std::size_t used = 0;
      if (dots == std::string::npos) {
        out.push_back(std::stol(part, &used));
        if (used != part.size()) throw bad();
      } else {
        const std::string a = part.substr(0, dots), b = part.substr(dots + 2);
        std::size_t ua = 0, ub = 0;
        const long lo = std::stol(a, &ua), hi = std::stol(b, &ub);
        if (ua != a.size() || ub != b.size() || hi < lo || hi - lo > 100000) throw bad();
        for (long x = lo; x <= hi; ++x) out.push_back(x);
      }
    } catch (const std::logic_error&) {
      throw bad();
    }
  }
  if (out.empty()) throw bad();
  return out;
}

std::vector<std::string> list_scenarios(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> here;
      for (const auto& e : fs::directory_iterator(a))
        if (e.path().extension() == ".toml") here.push_back(e.path().string());
      if (here.empty()) throw InputError(a + ": no *.toml scenario in this directory");
      std::sort(here.begin(), here.end());
      out.insert(out.end(), here.begin(), here.end());
    } else if (fs::is_regular_file(a, ec)) {
      out.push_back(a);
    } else {
      throw InputError(a + ": no such scenario file or directory");
    }
  }
  return out;
}

std::string stem_of(const std::string& path) { return fs::path(path).stem().string(); }

std::string self_exe() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the peebot binary (/proc/self/exe)");
  return p.string();
}

struct Job {
  std::string scenario;
  long seed = 0;
  std::string out, err;
  pid_t pid = -1;
};

pid_t spawn(const std::string& exe, const std::vector<std::string>& argv, const std::string& err_path) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + exe + ": " + std::strerror(rc));
  return pid;
}

int finish_eval(const EvalResult& res, const std::string& json_path, const std::string& baseline_path) {
  std::cout << "detector: " << res.detector << "\n" << format_eval_table(res);
  if (!json_path.empty()) {
    const std::string tmp = json_path + ".tmp";
    {
      std::ofstream f(tmp);
      if (!f) throw InputError(json_path + ": cannot write");
      f << format_eval_json(res);
      if (!f) throw InputError(json_path + ": cannot write");
    }
    fs::rename(tmp, json_path);
  }
  if (!baseline_path.empty()) {
    std::vector<std::string> worse;
    try {
      worse = compare_with_baseline(res, read_file(baseline_path), baseline_path);
    } catch (const InputError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());
    }
    if (!worse.empty()) {
      std::cout << "\nWORSE than the baseline " << baseline_path << " (" << worse.size() << " figure"
                << (worse.size() > 1 ? "s" : "") << "):\n";
      for (const auto& w : worse) std::cout << "  " << w << "\n";
      return 1;
    }
    std::cout << "\nno figure worse than the baseline " << baseline_path << " (tolerances: docs/detectors.md)\n";
  }
  return 0;
}

int cmd_eval(const std::vector<std::string>& args) {
  po::options_description opts(
      "Usage: peebot eval SCENARIO.toml|DIR... [options]\n"
      "       peebot eval --labels LABELS.toml TRACE.h5 [options]\n\n"
      "Scores a detector: runs every scenario (every *.toml of a directory) for\n"
      "every seed, each run in its own process, matches detections to the true\n"
      "voids (docs/detectors.md) and prints per scenario and pooled: precision,\n"
      "recall, F1, F0.5, duplicates, false alarms per day, bulk transfers called\n"
      "urinations, detection latency p50/p95/max and post latency p95.\n"
      "With --labels, scores a recorded trace against hand labels (docs/labels.md).\n"
      "Exit 1 when --baseline is given and a figure is worse beyond its tolerance.\n\nOptions");
  std::vector<std::string> inputs, sets;
  opts.add_options()
      ("help,h", "show this help")
      ("input", po::value<std::vector<std::string>>(&inputs), "scenario files or directories")
      ("detector", po::value<std::string>()->default_value("step"), "detector kind: step | rule")
      ("seeds", po::value<std::string>()->default_value("1..20"), "seeds: N, A..B or a list, e.g. 1..20 or 1,5,9")
      ("jobs,j", po::value<int>()->default_value(0), "runs at once (0: the number of CPUs)")
      ("json", po::value<std::string>(), "write the figures as JSON to this file")
      ("baseline", po::value<std::string>(), "compare with a JSON written by --json; exit 1 when worse")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a scenario key in every run: --set pipeline.detector.min_rise_pct=3 (repeatable)")
      ("labels", po::value<std::string>(), "hand labels (TOML) for the trace given as input");
  po::positional_options_description pos;
  pos.add("input", -1);
  const auto vm = parse_args("eval", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  const std::string detector = vm["detector"].as<std::string>();
  if (detector != "step" && detector != "rule")
    throw UsageError("eval", "--detector \"" + detector + "\": expected step or rule");
  const std::string json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  const std::string baseline = vm.count("baseline") ? vm["baseline"].as<std::string>() : "";
  if (!baseline.empty() && !fs::is_regular_file(baseline)) throw InputError(baseline + ": no such baseline file");
  if (inputs.empty()) throw UsageError("eval", "missing SCENARIO.toml or DIR (or --labels LABELS.toml TRACE.h5)");

  if (vm.count("labels")) {
    if (inputs.size() != 1) throw UsageError("eval", "--labels takes exactly one TRACE.h5");
    EvalResult res;
    res.detector = detector;
    DetectorParams dp;
    dp.kind = detector;
    for (const auto& s : sets) {
      (void)s;
      throw UsageError("eval", "--set is for scenario runs; with --labels the detector uses its defaults");
    }
    EvalSample smp;
    try {
      smp = eval_labelled(vm["labels"].as<std::string>(), inputs[0], dp);
    } catch (const std::exception& e) {
      throw InputError(e.what());  // a bad label file or trace is bad input
    }
    res.pooled = eval_figures(smp);
    res.scenarios.push_back({stem_of(inputs[0]), res.pooled});
    return finish_eval(res, json_path, baseline);
  }

  const std::vector<long> seeds = parse_seeds(vm["seeds"].as<std::string>());
  const std::vector<std::string> scenarios = list_scenarios(inputs);
  // Validate every scenario (and the overrides) here, so bad input is exit 2 before any run starts.
  std::vector<std::string> all_sets = sets;
  all_sets.push_back("pipeline.detector.kind=\"" + detector + "\"");
  for (const auto& s : scenarios) {
    try {
      (void)load_scenario(s, all_sets);
    } catch (const ScenarioError& e) {
      throw InputError(e.what());
    }
  }
  int jobs = vm["jobs"].as<int>();
  if (jobs < 0) throw UsageError("eval", "--jobs must be >= 0");
  if (jobs == 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  char tmpl[] = "/tmp/peebot-eval-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a temp directory in /tmp");
  const std::string dir = tmpl;
  struct Cleanup { std::string d; ~Cleanup() { std::error_code ec; fs::remove_all(d, ec); } } cleanup{dir};

  std::vector<Job> queue;
  for (const auto& s : scenarios)
    for (long seed : seeds) {
      Job j;
      j.scenario = s;
      j.seed = seed;
      const std::string base = dir + "/" + std::to_string(queue.size());
      j.out = base + ".sample";
      j.err = base + ".err";
      queue.push_back(j);
    }
  const std::string exe = self_exe();
  std::size_t next = 0, running = 0, done = 0;
  std::string failure;
  const bool tty = stderr_is_tty();
  while (done < queue.size()) {
    while (failure.empty() && running < static_cast<std::size_t>(jobs) && next < queue.size()) {
      Job& j = queue[next++];
      std::vector<std::string> argv{exe, "eval-run", j.scenario, "--seed", std::to_string(j.seed), "--out", j.out,
                                    "--trace", dir + "/" + std::to_string(next - 1) + ".h5"};
      for (const auto& s : all_sets) { argv.push_back("--set"); argv.push_back(s); }
      j.pid = spawn(exe, argv, j.err);
      ++running;
    }
    if (running == 0) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) throw std::runtime_error("waitpid failed");
    for (Job& j : queue) {
      if (j.pid != pid) continue;
      j.pid = -1;
      --running;
      ++done;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string err;
        try { err = read_file(j.err); } catch (...) {}
        if (failure.empty())
          failure = "run of " + j.scenario + " with seed " + std::to_string(j.seed) + " failed (" +
                    (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "killed by a signal") +
                    "): " + err;
      }
      if (tty) std::fprintf(stderr, "\reval: %zu / %zu runs", done, queue.size());
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  if (!failure.empty()) throw std::runtime_error(failure);

  EvalResult res;
  res.detector = detector;
  EvalSample pooled;
  for (std::size_t si = 0; si < scenarios.size(); ++si) {
    EvalSample per;
    for (std::size_t k = 0; k < seeds.size(); ++k) per.add(parse_eval_sample(read_file(queue[si * seeds.size() + k].out)));
    res.scenarios.push_back({stem_of(scenarios[si]), eval_figures(per)});
    pooled.add(per);
  }
  res.pooled = eval_figures(pooled);
  return finish_eval(res, json_path, baseline);
}

int cmd_eval_run(const std::vector<std::string>& args) {
  po::options_description opts("Usage: peebot eval-run SCENARIO.toml --seed N --out SAMPLE --trace TRACE.h5 [--set k=v ...]\n\n"
                               "(internal, used by peebot eval) runs one scenario, scores its trace and writes\n"
                               "the accuracy sample; the trace is deleted.\n\nOptions");
  std::vector<std::string> sets;
  opts.add_options()
      ("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file")
      ("seed", po::value<std::string>(), "seed")
      ("out", po::value<std::string>(), "sample file to write")
      ("trace", po::value<std::string>(), "temp trace path")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(), "override a scenario key");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args("eval-run", args, opts, pos);
  if (vm.count("help")) { std::cout << opts << "\n"; return 0; }
  if (!vm.count("scenario") || !vm.count("seed") || !vm.count("out") || !vm.count("trace"))
    throw UsageError("eval-run", "needs SCENARIO, --seed, --out and --trace");
  sets.push_back("scenario.seed=" + vm["seed"].as<std::string>());
  const Scenario sc = load_scenario(vm["scenario"].as<std::string>(), sets);
  RunOptions ro;
  ro.trace_path = vm["trace"].as<std::string>();
  ro.progress = false;
  run_simulation(sc, ro);
  const Trace t = read_trace(ro.trace_path);
  const Report r = compute_report(t, sc.report);
  std::error_code ec;
  fs::remove(ro.trace_path, ec);
  const std::string out = vm["out"].as<std::string>();
  std::ofstream f(out);
  f << format_eval_sample(eval_sample(r, sc.duration_s / 86400.0));
  if (!f) throw std::runtime_error(out + ": cannot write");
  return 0;
}

}  // namespace

PEEBOT_COMMAND("eval", "score a detector over scenarios x seeds (or labelled data); CI accuracy gate", cmd_eval);
PEEBOT_COMMAND("eval-run", "(internal) one run of peebot eval, scored", cmd_eval_run);

}  // namespace peebot::cli
