#!/usr/bin/env python3
"""Prints a Markdown table from a `peebot sweep` CSV (docs/studies.md).

One row per value of the group columns (by default every varied key, i.e. the
columns between `point` and `seed`), in the order they first appear; each
figure column is the mean over the rows of that group (the seeds), an empty
cell when no row has a value. A `.met` column is shown as the share of runs
that met the target.

  scripts/study-table.py arch70.csv targets.throughput.value_s targets.throughput.met ...
  scripts/study-table.py faults.csv --group faults --label faults=NAME:VALUE ... COLUMNS

--digits N rounds the means (default 3 significant decimals after the point).
Exit 2 on a missing file or column, naming it.
"""
import argparse
import csv
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("columns", nargs="+", help="figure columns of the sweep table")
    ap.add_argument("--group", action="append", help="group column (repeatable); default: the varied keys")
    ap.add_argument("--digits", type=int, default=3)
    a = ap.parse_args()
    try:
        with open(a.csv, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        print(f"study-table: {a.csv}: {e.strerror}", file=sys.stderr)
        return 2
    if not rows:
        print(f"study-table: {a.csv}: no rows", file=sys.stderr)
        return 2
    header = list(rows[0].keys())
    groups = a.group or header[header.index("point") + 1:header.index("seed")]
    for c in groups + a.columns:
        if c not in header:
            print(f"study-table: {a.csv}: no column '{c}' (columns: {', '.join(header)})", file=sys.stderr)
            return 2
    order, by = [], {}
    for r in rows:
        k = tuple(r[g] for g in groups)
        if k not in by:
            order.append(k)
            by[k] = []
        by[k].append(r)

    def cell(rs, c):
        vals = []
        for r in rs:
            v = r[c]
            if v == "":
                continue
            try:
                vals.append(float(v))
            except ValueError:
                return v
        if not vals:
            return ""
        m = sum(vals) / len(vals)
        return f"{m:.{a.digits}f}".rstrip("0").rstrip(".") if m != int(m) else str(int(m))

    print("| " + " | ".join(groups + a.columns) + " |")
    print("|" + "---|" * (len(groups) + len(a.columns)))
    for k in order:
        print("| " + " | ".join(list(k) + [cell(by[k], c) for c in a.columns]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
