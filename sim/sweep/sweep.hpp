// peebot sweep: a grid of runs (the cartesian product of --vary lists x
// seeds), one row per run with its inputs and every figure of its report,
// written as CSV or HDF5, and a summary chart. Pure C++ (no SimGrid): the
// CLI (sim/cli/cmd_sweep.cpp) runs the points in child processes.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "../report/json.hpp"
#include "../report/report.hpp"

namespace peebot {

// One --vary: a scenario key and the values it takes, as given (each one a
// TOML value or a bare string, exactly like --set).
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

// "key=v1,v2,...". Commas inside quotes or brackets do not split a value
// ("key=[1,2],[3]" is two values). Throws std::invalid_argument saying what
// was expected.
SweepAxis parse_vary(const std::string& arg);

struct SweepSpec {
  std::string scenario_path;
  std::vector<SweepAxis> axes;    // in the order given
  std::vector<long> seeds;        // one run per seed at every point of the axes
  std::vector<std::string> sets;  // fixed --set overrides of every run
};

// Grid points: the cartesian product of the axes' values x seeds. Index k runs
// 0 .. sweep_size()-1 with the seed fastest, then the last axis, ..., the
// first axis slowest.
struct SweepPoint {
  std::size_t index = 0;
  std::vector<std::string> values;  // one per axis
  long seed = 0;
};

std::size_t sweep_size(const SweepSpec& s);
SweepPoint sweep_point(const SweepSpec& s, std::size_t index);  // throws std::out_of_range
// The --set overrides of one run: the fixed sets, then key=value of each axis, then scenario.seed.
std::vector<std::string> sweep_overrides(const SweepSpec& s, const SweepPoint& p);

// Checks the spec before anything runs: no key varied twice, scenario.seed
// only through seeds, and every combination of the axes' values loads
// through the scenario's validation (so cross-key rules are checked too).
// Throws ScenarioError naming the key, the value and what was expected.
void validate_sweep(const SweepSpec& s);

// A one-line name of a point: "pipeline.tweet.cooldown=5min crew.size=3 seed=2".
std::string describe_point(const SweepSpec& s, const SweepPoint& p);

// ---------------------------------------------------------------------------
// Rows and the table
// ---------------------------------------------------------------------------

using SweepCells = std::vector<std::pair<std::string, Json>>;  // (column, scalar), in column order

// Flattens a JSON value into scalar cells: object keys join with '.', an
// array whose elements are all objects with a string "name" member uses that
// name ("targets.event_to_tweet_p95.met"), any other array the element index.
void flatten_json(const Json& v, const std::string& prefix, SweepCells& out);

// Point files of a grid split into independent points (peebot sweep --point,
// peebot eval --point): JSON objects {"format": F, "format_version": V,
// GRID: {..., "points": N, ...}, "index": K, ...}. GRID names the grid (its
// members: the scenario, lists and seeds that define it); two points belong to
// the same grid when every member of GRID is the same.
struct GridPointFile {
  std::size_t index = 0;
  std::size_t file = 0;  // its position in the texts given
  Json doc;              // the whole point file
};
struct GridPoints {
  Json grid;                         // GRID of the first file
  std::size_t points = 0;            // GRID.points
  std::vector<GridPointFile> files;  // one per index 0 .. points-1, in index order
};
// Parses point files (any order) and checks that they have the format, belong to
// one grid and cover every index exactly once. Throws std::runtime_error naming
// the file (names[i]) and what is wrong ("the sweep has 20 points and 2 are
// missing: 3, 7"); `what` names the grid in messages ("sweep", "eval").
GridPoints gather_grid_points(const std::vector<std::string>& texts, const std::vector<std::string>& names,
                              const std::string& format, int format_version, const std::string& grid_member,
                              const std::string& what);

// A point's result as the text `peebot sweep --point` writes and --merge reads
// (JSON): the sweep it belongs to, its index, its inputs and its report, and
// (when given) the run's verdict figures with their raw material
// (run_figures_json; null: none), which --merge pools per grid point.
std::string format_sweep_point(const SweepSpec& s, const std::string& scenario_text, const SweepPoint& p,
                               const Json& report, const Json& run_figures = nullptr);

struct SweepColumn {
  std::string name;
  enum class Type { kFloat, kInt, kString } type = Type::kFloat;
  std::vector<double> num;        // kFloat and kInt: one per row, NaN = no value
  std::vector<std::string> text;  // kString: one per row, "" = no value
};

struct SweepTable {
  std::vector<SweepColumn> columns;  // inputs first (point, the varied keys, seed), then the report's figures
  std::size_t rows = 0;
  std::vector<std::string> axis_keys;  // the varied keys (columns of the same name)
  std::vector<std::pair<std::string, std::string>> attributes;  // what made it (HDF5 root attributes)

  const SweepColumn* column(const std::string& name) const;
};

// Builds the table from point files' texts (any order): checks that they
// belong to one sweep and cover every point exactly once, sorts the rows by
// index, and types each column (string when any value is a string; integer
// when every value is an integer; else float with NaN for no value).
// Throws std::runtime_error naming the file (names[i]) and what is wrong.
SweepTable merge_sweep_points(const std::vector<std::string>& texts, const std::vector<std::string>& names);
// The same in two steps, so a caller that also summarizes parses the files once.
GridPoints gather_sweep_points(const std::vector<std::string>& texts, const std::vector<std::string>& names);
SweepTable merge_sweep_points(const GridPoints& g, const std::vector<std::string>& names);

// The runs of each grid point (its seeds) pooled: per verdict figure the
// value, 95 % interval, n and verdict (docs/statistics.md). One entry per
// combination of the axes' values, in grid order; points written without
// run figures (an older peebot) are left out. Throws std::runtime_error naming
// the file when a point's figures are malformed.
struct SweepGroup {
  std::vector<std::string> values;  // one per axis (as the inputs give them)
  PooledReport pooled;
};
struct SweepSummary {
  std::vector<std::string> axis_keys;
  std::vector<SweepGroup> groups;
};
SweepSummary summarize_sweep_points(const GridPoints& g, const std::vector<std::string>& names);
// One row per (grid point, figure): the axes, figure, value, ci95_lo, ci95_hi,
// n, target, direction, verdict, unit, description.
std::string format_sweep_summary_csv(const SweepSummary& s);
// Per grid point, the figures that have a target: value [lo, hi] n verdict.
std::string format_sweep_summary_text(const SweepSummary& s);

// CSV (RFC 4180): a header of column names, one line per row; numbers in the
// shortest text that reads back to the same double, no value as an empty field.
std::string format_sweep_csv(const SweepTable& t);

// Writes the table to path (.csv, or .h5/.hdf5: one compound dataset /sweep,
// one field per column, strings fixed-length UTF-8, the attributes on the
// root; no time stamps, so the same table gives the same bytes), via
// path.tmp renamed when complete. Throws std::runtime_error.
void write_sweep_table(const SweepTable& t, const std::string& path);
// True when path ends in .csv, .h5 or .hdf5.
bool sweep_table_path_ok(const std::string& path);

// The summary chart: `figure` (a numeric column) against the first varied key,
// one line per value of the second (further keys and seeds pooled), the mean
// with a min-max bar. Returns SVG, or a self-contained HTML page (inline SVG and
// the plotted table, no script) when html is true. Throws std::invalid_argument
// when figure is not a numeric column.
std::string sweep_chart(const SweepTable& t, const std::string& figure, bool html);

}  // namespace peebot
