// The points of a grid (peebot sweep, peebot eval) run here, in child
// processes, or on a Slurm cluster as one job array. Either way every point is
// the same command, `peebot CMD GRID-ARGS... --point K -o DIR/K.json`, and the
// table is `peebot CMD --merge DIR MERGE-ARGS...`, so both give the same bytes.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "../scenario/scenario.hpp"
#include "../trace/trace.hpp"
#include "child_pool.hpp"
#include "cli.hpp"

namespace peebot::cli {

// A point's run: simulates the scenario into a temp trace and reads it back
// (the file is deleted).
Trace simulate_point(const Scenario& sc);

// Writes text to path through an exclusive temporary beside it renamed when
// complete (write_file_atomically), so a point file (or a table, a chart) is
// either whole or absent, never written through a link. std::runtime_error naming path.
void write_file_whole(const std::string& path, const std::string& text);

struct GridRun {
  std::string command;                          // "sweep" or "eval"
  std::vector<std::string> grid_args;           // what defines the grid: scenario(s), --vary, --seeds, --set, ...
  std::size_t points = 0;                       // grid indices 0 .. points-1
  std::vector<std::string> merge_args;          // the merge's options: -o ..., --chart, --json, --baseline
  std::function<std::string(std::size_t)> describe;  // a point's inputs, "crew.size=3 seed=2"
};

// Runs every point here, `jobs` child processes at once, point K writing dir/K.json
// (stderr to dir/K.err). Returns the point files in index order. std::runtime_error
// names the first point that failed and quotes its stderr (child_pool.hpp).
std::vector<std::string> run_points_here(const GridRun& g, int jobs, const std::string& dir,
                                         const ChildProgress& progress);

// The Slurm options every grid command takes (docs/sweeps.md, "Running at scale on Slurm").
void add_slurm_options(po::options_description& opts);

struct SlurmOptions {
  bool submit = false;           // --slurm
  std::string rerun_dir;         // --rerun-failed DIR
  std::string partition, time;   // --partition, --time (sbatch's own syntax)
  std::string run_dir;           // --run-dir (default: ./peebot-CMD-YYYYMMDD-HHMMSS)
  bool wait = false;             // --wait
  int max_running = 0;           // --jobs N given with --slurm: sbatch --array=...%N (0: no limit)
};
// Reads them; UsageError of `command` for a combination that makes no sense
// (--wait or --partition without --slurm, --jobs negative, --rerun-failed
// with any option but --wait, ...).
SlurmOptions slurm_options(const po::variables_map& vm, const std::string& command);

// Writes DIR/array.sbatch (task K runs point K) and DIR/merge.sbatch, submits
// the array with `sbatch --array` and the merge with
// `--dependency=afterok:ARRAY --kill-on-invalid-dep=yes`; with --wait follows
// both (squeue), prints the merge's output as the local run would and returns
// its exit status, or reports the failed points by index (exit 1). Returns 0
// after submitting without --wait. InputError (exit 2) when sbatch is not on
// PATH, std::runtime_error quoting sbatch when it refuses the job.
int submit_grid_to_slurm(const GridRun& g, const SlurmOptions& o);

// --rerun-failed DIR: submits again the points of DIR without a point file
// (sbatch --array=3,7 DIR/array.sbatch) and the merge after them; --wait as
// above. While DIR's jobs are still queued or running it resubmits nothing:
// with --wait it follows them, without it is a UsageError.
int rerun_failed_on_slurm(const std::string& command, const SlurmOptions& o);

}  // namespace peebot::cli
