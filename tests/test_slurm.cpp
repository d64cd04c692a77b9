// peebot sweep/eval --slurm against stand-in Slurm clients (tests/fake_slurm:
// an sbatch that runs the array's tasks at once from the written script): the
// scripts, the merge after the array, the same bytes as a local run, failed
// points named by index and rerun alone, eval's --point/--merge, and the
// errors when sbatch is missing or refuses. scripts/test-slurm.sh runs the
// same against a real one-node Slurm cluster (CI).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli_support.hpp"

using namespace peebot::test;

namespace {

std::string fake_env(const std::string& state) {
  return "FAKE_SLURM_DIR=" + state + " PATH=" + std::string(PEEBOT_SOURCE_DIR) + "/tests/fake_slurm:/usr/bin:/bin";
}

}  // namespace

TEST_CASE("sweep --slurm writes an array job and a merge after it, and gives the local run's bytes", "[slurm][cli]") {
  const std::string sc = write_file("slurm-sweep.toml", kSmallScenario);
  const std::string grid = "sweep " + sc + " --vary crew.size=2,4 --seeds 1..2";
  const auto local = run_peebot(grid + " --jobs 2 -o " + tmp_path("sl-local.csv") + " -o " + tmp_path("sl-local.h5"));
  INFO(local.out);
  REQUIRE(local.code == 0);

  const std::string state = tmp_path("fake-state-1"), dir = tmp_path("sl-run");
  const auto r = run_peebot(grid + " --slurm --wait --partition short --time 00:05:00 --run-dir " + dir + " -o " +
                                tmp_path("sl.csv") + " -o " + tmp_path("sl.h5"),
                            fake_env(state));
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(slurp(tmp_path("sl.csv")) == slurp(tmp_path("sl-local.csv")));
  CHECK(slurp(tmp_path("sl.h5")) == slurp(tmp_path("sl-local.h5")));
  CHECK(r.out.find("sweep: merged 4 runs into") != std::string::npos);  // the merge's own output, printed by --wait
  const std::string calls = slurp(state + "/calls");
  INFO(calls);
  CHECK(calls.find("sbatch --parsable --array=0-3 " + dir + "/array.sbatch") != std::string::npos);
  CHECK(calls.find("sbatch --parsable --dependency=afterok:101 --kill-on-invalid-dep=yes " + dir + "/merge.sbatch") !=
        std::string::npos);
  const std::string array = slurp(dir + "/array.sbatch");
  CHECK(array.find("#SBATCH --partition=short\n") != std::string::npos);
  CHECK(array.find("#SBATCH --time=00:05:00\n") != std::string::npos);
  CHECK(array.find("--point \"$K\"") != std::string::npos);
  CHECK(array.find("'--vary' 'crew.size=2,4'") != std::string::npos);
}

TEST_CASE("a failed point is named by index, the merge does not run, and --rerun-failed reruns it alone", "[slurm][cli]") {
  const std::string sc = write_file("slurm-fail.toml", kSmallScenario);
  const std::string grid = "sweep " + sc + " --vary crew.size=2,4 --seeds 1..2";
  const auto local = run_peebot(grid + " --jobs 2 -o " + tmp_path("fl-local.csv"));
  REQUIRE(local.code == 0);
  const std::string state = tmp_path("fake-state-2"), dir = tmp_path("fl-run");
  const auto failed = run_peebot(grid + " --slurm --wait --run-dir " + dir + " -o " + tmp_path("fl.csv"),
                                 "FAKE_SLURM_FAIL=2 " + fake_env(state));
  INFO(failed.out);
  CHECK(failed.code == 1);
  CHECK(failed.out.find("1 of 4 points failed or have no result (2)") != std::string::npos);
  CHECK(failed.out.find("point 2: ") != std::string::npos);
  CHECK(failed.out.find("--point 999999: expected 0 .. 3") != std::string::npos);  // the task's stderr, quoted
  CHECK(failed.out.find("--rerun-failed " + dir) != std::string::npos);
  CHECK_FALSE(exists(tmp_path("fl.csv")));

  const auto rerun = run_peebot("sweep --rerun-failed " + dir + " --wait", fake_env(state));
  INFO(rerun.out);
  REQUIRE(rerun.code == 0);
  CHECK(rerun.out.find("resubmitted 1 point (2)") != std::string::npos);
  CHECK(slurp(state + "/calls").find("--array=2 ") != std::string::npos);
  CHECK(slurp(tmp_path("fl.csv")) == slurp(tmp_path("fl-local.csv")));
  // A run directory of the other command, or none at all, is refused.
  CHECK(run_peebot("eval --rerun-failed " + dir, fake_env(state)).code == 2);
  CHECK(run_peebot("sweep --rerun-failed " + tmp_path("nowhere"), fake_env(state)).code == 2);
  // The run directory holds the rest: any other option, or an input, is refused by name.
  for (const std::string& extra : {std::string("--seeds 1..3"), std::string("--summary s.csv"), std::string("x.toml")}) {
    const auto r = run_peebot("sweep --rerun-failed " + dir + " " + extra, fake_env(state));
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("takes no other argument but --wait") != std::string::npos);
  }
  const auto with_json = run_peebot("eval --rerun-failed " + dir + " --json x.json", fake_env(state));
  CHECK(with_json.code == 2);
  CHECK(with_json.out.find("got --json") != std::string::npos);
}

TEST_CASE("eval --point runs merged with eval --merge (and through --slurm) print the one-shot eval", "[slurm][cli][eval]") {
  const std::string a = write_file("slurm-eval-a.toml", kSmallScenario);
  const std::string b = write_file("slurm-eval-b.toml", std::string(kSmallScenario) + "\n[pipeline.detector]\nmin_rise_pct = 3\n");
  const std::string grid = "eval " + a + " " + b + " --seeds 1,2";
  const auto local = run_peebot(grid + " --jobs 2 --json " + tmp_path("ev-local.json"));
  INFO(local.out);
  REQUIRE(local.code == 0);
  const std::string dir = tmp_path("ev-points");
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  for (int k = 3; k >= 0; --k) {
    const auto p = run_peebot(grid + " --point " + std::to_string(k) + " -o " + dir + "/" + std::to_string(k) + ".json");
    INFO(p.out);
    REQUIRE(p.code == 0);
  }
  const auto merged = run_peebot("eval --merge " + dir + " --json " + tmp_path("ev-merged.json"));
  INFO(merged.out);
  REQUIRE(merged.code == 0);
  CHECK(merged.out == local.out);
  CHECK(slurp(tmp_path("ev-merged.json")) == slurp(tmp_path("ev-local.json")));

  const std::string state = tmp_path("fake-state-3");
  const auto viaslurm =
      run_peebot(grid + " --slurm --wait --run-dir " + tmp_path("ev-run") + " --json " + tmp_path("ev-slurm.json"),
                 fake_env(state));
  INFO(viaslurm.out);
  REQUIRE(viaslurm.code == 0);
  CHECK(viaslurm.out.find(local.out) != std::string::npos);  // the table, as the merge job printed it
  CHECK(slurp(tmp_path("ev-slurm.json")) == slurp(tmp_path("ev-local.json")));

  // Points of another grid, or a grid with a point missing, do not merge.
  std::remove((dir + "/1.json").c_str());
  const auto gap = run_peebot("eval --merge " + dir);
  CHECK(gap.code == 2);
  CHECK(gap.out.find("missing: 1") != std::string::npos);
  REQUIRE(run_peebot("eval " + a + " " + b + " --seeds 1,3 --point 1 -o " + dir + "/1.json").code == 0);
  const auto mixed = run_peebot("eval --merge " + dir);
  CHECK(mixed.code == 2);
  CHECK(mixed.out.find("eval.seeds differs") != std::string::npos);
  CHECK(run_peebot(grid + " --point 4 -o " + tmp_path("x.json")).code == 2);
  CHECK(run_peebot(grid + " --point 0 -o " + tmp_path("x.txt")).code == 2);
  CHECK(run_peebot("eval --merge " + dir + " --seeds 1..3").code == 2);
}

TEST_CASE("a --slurm run says so when sbatch is missing or refuses the job, and leaves nothing behind", "[slurm][cli]") {
  const std::string sc = write_file("slurm-err.toml", kSmallScenario);
  const std::string grid = "sweep " + sc + " --vary crew.size=2,4 -o " + tmp_path("err.csv");
  const auto missing = run_peebot(grid + " --slurm --run-dir " + tmp_path("err-run-1"), "PATH=/nonexistent");
  INFO(missing.out);
  CHECK(missing.code == 2);
  CHECK(missing.out.find("sbatch is not on PATH") != std::string::npos);
  CHECK_FALSE(exists(tmp_path("err-run-1")));

  const std::string state = tmp_path("fake-state-4");
  const auto refused =
      run_peebot(grid + " --slurm --partition nope --run-dir " + tmp_path("err-run-2"), "FAKE_SLURM_REJECT=1 " + fake_env(state));
  INFO(refused.out);
  CHECK(refused.code == 1);
  CHECK(refused.out.find("sbatch (submitting the array job) failed (exit 1)") != std::string::npos);
  CHECK(refused.out.find("Invalid partition name specified") != std::string::npos);
  CHECK_FALSE(exists(tmp_path("err-run-2")));

  // Options that make no sense without --slurm, or a partition that would break the script.
  CHECK(run_peebot(grid + " --wait").code == 2);
  CHECK(run_peebot(grid + " --partition short").code == 2);
  CHECK(run_peebot(grid + " --slurm --partition 'a b'", fake_env(state)).code == 2);
  CHECK(run_peebot(grid + " --slurm --list", fake_env(state)).code == 2);
  // Without --wait: submitted, and how to follow is printed; --jobs caps the tasks running at once.
  const auto nowait = run_peebot(grid + " --slurm --jobs 1 --run-dir " + tmp_path("err-run-3"), fake_env(state));
  INFO(nowait.out);
  CHECK(nowait.code == 0);
  CHECK(nowait.out.find("squeue -j") != std::string::npos);
  CHECK(slurp(state + "/calls").find("--array=0-1%1 ") != std::string::npos);
  const auto help = run_peebot("sweep --help");
  CHECK(help.out.find("--slurm") != std::string::npos);
  CHECK(help.out.find("--rerun-failed") != std::string::npos);
  CHECK(run_peebot("eval --help").out.find("--slurm") != std::string::npos);
}
